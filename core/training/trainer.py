"""The trainer: a generator of progress over epochs and mini-batches, with stop, pause and a NaN guard;
the words for a run that runs out of memory."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from core.compiler import memory
from core.compiler.compile import Build, compile_design
from core.compiler.precision import column_names, fits_dtype
from core.compiler.validation import check_design, load_cached_dataset
from core.data.datasets import train_test_split
from core.design import registry
from core.design.design import TrainingState
from core.design.errors import OutOfMemoryError, TrainingError
from core.engine.backend import to_device, to_numpy, xp
from core.engine.losses import make_loss
from core.engine.optimizers import clip_by_norm, make_optimizer, regularize


@dataclass(frozen=True)
class EpochMetrics:
    """Loss and accuracy (classification) or R² (regression) after one epoch."""

    epoch: int
    train_loss: float
    test_loss: float | None
    train_accuracy: float | None = None
    test_accuracy: float | None = None
    train_r2: float | None = None
    test_r2: float | None = None
    learning_rate: float = 0.0


@dataclass(frozen=True)
class TrainProgress:
    """What the trainer reports: after a step, an epoch, a pause, or at the end."""

    kind: str  # "step" | "epoch" | "sample" | "paused" | "stopped" | "finished"
    epoch: int
    step: int
    loss: float | None = None  # the mini-batch's loss, for "step" and "sample"
    metrics: EpochMetrics | None = None
    sample: int | None = None
    reason: str = ""


def out_of_memory(where: str, design=None) -> OutOfMemoryError:
    """The words for a MemoryError met while training (`where`: "at epoch 3, step 40", …)."""
    machine = memory.machine_memory()
    has = f" (this machine has {memory.size_text(machine)})" if machine else ""
    need = float32 = ""
    if design is not None:
        float32 = ", or float32 precision" if design.training.dtype == "float64" else ""
        try:
            _problems, structure = check_design(design, memory=False)
            if structure is not None:
                choice = design.dataset
                data = load_cached_dataset(choice.name, dict(choice.params), choice.seed)
                total = memory.estimate(design, structure, data).total
                need = f"; the design needs about {memory.size_text(total)}"
        except Exception:  # noqa: BLE001 - a MemoryError again, say: the message goes without it
            need = ""
    where = f" {where}" if where else ""
    return OutOfMemoryError(f"training ran out of memory{where}{has}{need}. Nothing was lost: "
                            f"the weights are those from before. Use fewer units or filters or a "
                            f"smaller batch{float32}, then train again.")


class Trainer:
    """Trains a design in place; `run` is a generator a worker thread can drive."""

    def __init__(self, design, dtype: Any = None, build: Build | None = None) -> None:
        try:
            self._prepare(design, dtype, build)
        except MemoryError:
            raise out_of_memory("while preparing the model and its data", design) from None

    def _prepare(self, design, dtype: Any, build: Build | None) -> None:
        self.design = design
        self.build = build or compile_design(design, dtype=dtype)
        self.model = self.build.model
        self.settings = design.training
        self.on_step: list = []
        self.on_epoch: list = []
        data = self.build.data

        self.train_idx, self.test_idx = train_test_split(
            data.num_samples, self.settings.test_fraction, self.settings.seed)
        dt = self.model.dtype
        with np.errstate(all="ignore"):  # x² of a huge value: refused just below, in words
            features = self.build.feature_rows(data.X)
        features = fits_dtype(features, dt, column_names(design, data), "column")
        self.X_train = to_device(features[self.train_idx], dt)
        self.X_test = to_device(features[self.test_idx], dt)
        self.labels_train = data.y[self.train_idx]
        self.labels_test = data.y[self.test_idx]
        self._encode_targets()
        self.optimizer = make_optimizer(self.settings.optimizer, self.model.size, dt,
                                        self.settings.optimizer_params)
        state = design.state
        self.epoch, self.step_count = state.epoch, state.step
        self.history: list[dict[str, Any]] = list(state.history)
        if state.optimizer_state:
            self.optimizer.load_state_dict(state.optimizer_state)
        self._backup = xp.empty_like(self.model.flat)
        self._order = self._order_X = self._order_T = None
        self._cursor = 0
        self._pause = self._stop = False
        self._best: tuple[float, Any] | None = None
        self._since_best = 0
        self._total: int | None = None  # the epochs in all of the run under way
        self._lr = self.learning_rate()
        if 0 < state.cursor < len(self.train_idx):  # written back mid-epoch: go on from there
            self._start_epoch()
            self._cursor = state.cursor
        if self.epoch == 0 and self.step_count == 0:
            self.build.write_back(design)  # drawn initial weights become visible
            design.initial_weights = design.snapshot_weights()

    # ------------------------------------------------------------------ settings
    def _encode_targets(self) -> None:
        dt = self.model.dtype
        names = list(self.build.data.target_names) or ["target"]
        targets = [fits_dtype(self.build.encode_targets(labels), dt, names, "target",
                              self.train_idx if labels is self.labels_train else self.test_idx)
                   for labels in (self.labels_train, self.labels_test)]
        self.T_train, self.T_test = (to_device(t, dt) for t in targets)
        self._labels_train_dev = to_device(self.labels_train)
        self._labels_test_dev = to_device(self.labels_test)

    def learning_rate(self) -> float:
        """This epoch's rate; a schedule spans the epochs of the run under way."""
        s = self.settings
        total = self._total if self._total is not None else s.epochs
        return registry.schedules.get(s.schedule)(s.learning_rate, self.epoch, total,
                                                  s.schedule_params)

    def apply_settings(self, settings) -> None:
        """Take new training settings (learning rate, batch size, optimizer, loss…) mid-run.

        The data split, the seed and the dtype shape the compiled model and its data: changing
        them needs a new Trainer, and asking for it here raises ValueError."""
        fixed = [f for f in ("test_fraction", "seed", "dtype")
                 if getattr(settings, f) != getattr(self.settings, f)]
        if fixed:
            raise ValueError(f"changing {', '.join(fixed)} needs a new Trainer (rebuild the design)")
        old, self.settings = self.settings, settings
        self.design.training = settings
        if settings.optimizer != old.optimizer or settings.optimizer_params != old.optimizer_params:
            self.optimizer = make_optimizer(settings.optimizer, self.model.size, self.model.dtype,
                                            settings.optimizer_params)
        if settings.loss != old.loss:
            self.build.loss = make_loss(settings.loss)
            self._encode_targets()
            if self._order_X is not None:  # the rest of this epoch learns the new targets
                self._order_T = xp.take(self.T_train, self._order, axis=0)
        self._lr = self.learning_rate()

    # ------------------------------------------------------------------ control
    def pause(self) -> None:
        self._pause = True

    def stop(self) -> None:
        self._stop = True

    @property
    def finished(self) -> bool:
        return self.epoch >= self.settings.epochs

    # ------------------------------------------------------------------ one update
    def _update(self, xb, tb) -> float:
        # NumPy's overflow warnings stay quiet: a loss or weight that is not finite is caught
        # here and said in words (CuPy never warns)
        with np.errstate(all="ignore"):
            try:
                return self._guarded_update(xb, tb)
            except MemoryError:  # the weights are those from before the step
                where = f"at epoch {self.epoch + 1}, step {self.step_count + 1}"
                raise out_of_memory(where, self.design) from None

    def _guarded_update(self, xb, tb) -> float:
        model = self.model
        if model.stochastic:  # randomness is a function of (seed, step): resuming is exact
            model.rng = np.random.default_rng([self.settings.seed, 1, self.step_count])
        xp.copyto(self._backup, model.flat)
        value = float(model.loss_and_gradients(xb, tb, self.build.loss, self.build.rule))
        where = f"epoch {self.epoch + 1}, step {self.step_count + 1}"
        if not math.isfinite(value):
            raise TrainingError(f"the loss became {value} at {where}; the weights are those "
                                f"from before that step. Try a lower learning rate.",
                                self.epoch + 1, self.step_count + 1)
        s = self.settings
        if s.l1 or s.l2:
            regularize(model.flat, model.grad, model.decay_mask, s.l1, s.l2)
        if s.clip_norm:
            clip_by_norm(model.grad, s.clip_norm)
        self.optimizer.checkpoint()
        kept = None if model.statistics is None else model.flat[model.statistics]
        try:
            self.optimizer.step(model.flat, model.grad, self._lr)
        except MemoryError:
            xp.copyto(model.flat, self._backup)
            self.optimizer.rollback()
            raise
        model.zero_absent()  # a momentum restored from a file may hold values there
        if kept is not None:  # AdamW's decoupled decay shrinks every value it is given
            model.flat[model.statistics] = kept
        if not bool(xp.isfinite(model.flat).all()):
            xp.copyto(model.flat, self._backup)
            self.optimizer.rollback()
            raise TrainingError(f"a weight became infinite or NaN at {where}; the weights are "
                                f"those from before that step. Try a lower learning rate.",
                                self.epoch + 1, self.step_count + 1)
        self.step_count += 1
        return value

    def _start_epoch(self) -> None:
        rng = np.random.default_rng([self.settings.seed, self.epoch])
        self._order = order = to_device(rng.permutation(len(self.train_idx)))
        self._order_X = xp.take(self.X_train, order, axis=0)  # take: NumPy's [order] copies a
        self._order_T = xp.take(self.T_train, order, axis=0)  # row at a time, ~15× slower
        self._cursor = 0
        self._lr = self.learning_rate()

    def _next_batch(self) -> tuple[float, bool]:
        """Train on the next mini-batch of the epoch; returns its loss and whether it ended it."""
        if self._order_X is None:
            self._start_epoch()
        n = len(self.train_idx)
        start, stop = self._cursor, min(self._cursor + self.settings.batch_size, n)
        value = self._update(self._order_X[start:stop], self._order_T[start:stop])
        self._cursor = stop
        return value, stop >= n

    def step(self) -> TrainProgress:
        """One mini-batch; when it ends an epoch, the epoch's metrics come with it."""
        value, epoch_done = self._next_batch()
        for callback in self.on_step:
            callback(self.epoch, self.step_count, value)
        if not epoch_done:
            return TrainProgress("step", self.epoch, self.step_count, value)
        return TrainProgress("epoch", self.epoch + 1, self.step_count, value, self._end_epoch())

    def fit_steps(self, steps: int) -> None:
        """`steps` mini-batch updates with no evaluation or reports (benchmarks, warm-up).

        Epochs still advance (with their shuffles and schedule) but leave no history entry."""
        for _ in range(steps):
            if self._next_batch()[1]:
                self._order_X = self._order_T = None
                self.epoch += 1

    def next_rows(self, kind: str = "batch") -> np.ndarray:
        """The training-set rows the next update will use, without taking it: the next mini-batch
        of the epoch's shuffle (as step takes it), or with kind "sample" the one present_one draws."""
        if kind == "sample":
            return np.array([self._sample_index()])
        if self._order_X is None:
            self._start_epoch()
        stop = min(self._cursor + self.settings.batch_size, len(self.train_idx))
        return to_numpy(self._order[self._cursor:stop]).astype(np.int64)

    def _sample_index(self) -> int:
        rng = np.random.default_rng([self.settings.seed, 2, self.step_count])
        return int(rng.integers(len(self.train_idx)))

    def present_one(self, index: int | None = None) -> TrainProgress:
        """One training sample, one update (the sample's index in the training set)."""
        if index is None:
            index = self._sample_index()
        value = self._update(self.X_train[index:index + 1], self.T_train[index:index + 1])
        return TrainProgress("sample", self.epoch, self.step_count, value, sample=index)

    def _end_epoch(self) -> EpochMetrics:
        self._order_X = self._order_T = None
        self.epoch += 1
        metrics = self.evaluate()
        self.history.append(asdict(metrics))
        for callback in self.on_epoch:
            callback(metrics)
        return metrics

    # ------------------------------------------------------------------ the generator
    def run(self, epochs: int | None = None) -> Iterator[TrainProgress]:
        """Train until `epochs` epochs in all (the settings' count by default), yielding progress.

        Pausing ends the generator with a "paused" report and keeps the place: calling `run`
        again continues from the same mini-batch, bit for bit as if it had never paused.
        """
        total = self.settings.epochs if epochs is None else epochs
        self._total = total
        self._lr = self.learning_rate()  # a function of the epoch and the run's length
        while self.epoch < total:
            if self._stop:  # a request made before the first step counts too
                self._stop = self._pause = False
                yield TrainProgress("stopped", self.epoch, self.step_count, reason="stopped")
                return
            if self._pause:
                self._pause = False
                yield TrainProgress("paused", self.epoch, self.step_count, reason="paused")
                return
            progress = self.step()
            yield progress
            if progress.metrics is not None:
                reason = self._stop_reason(progress.metrics)
                if reason:
                    yield TrainProgress("finished", self.epoch, self.step_count,
                                        metrics=progress.metrics, reason=reason)
                    return
        yield TrainProgress("finished", self.epoch, self.step_count,
                            metrics=self.last_metrics(), reason=f"reached {total} epochs")

    def train(self, epochs: int | None = None) -> EpochMetrics | None:
        """Run to the end, without reporting; returns the last epoch's metrics."""
        for _ in self.run(epochs):
            pass
        return self.last_metrics()

    def _stop_reason(self, m: EpochMetrics) -> str:
        s = self.settings
        if s.target_loss is not None and m.train_loss <= s.target_loss:
            return f"the training loss reached the target {s.target_loss}"
        accuracy = m.test_accuracy if m.test_accuracy is not None else m.train_accuracy
        if s.target_accuracy is not None and accuracy is not None and accuracy >= s.target_accuracy:
            return f"the accuracy reached the target {s.target_accuracy:.0%}"
        if s.early_stopping_patience and m.test_loss is not None:
            if self._best is None or m.test_loss < self._best[0]:
                self._best = (m.test_loss, self.model.parameters_numpy())
                self._since_best = 0
            else:
                self._since_best += 1
                if self._since_best >= s.early_stopping_patience:
                    self.model.load_flat(self._best[1])
                    return (f"the test loss has not improved for {self._since_best} epochs "
                            f"(the best weights are kept)")
        return ""

    def last_metrics(self) -> EpochMetrics | None:
        return EpochMetrics(**self.history[-1]) if self.history else None

    # ------------------------------------------------------------------ evaluation
    def outputs(self, X):
        """The network's outputs (and the output layer's pre-activation) for feature rows."""
        slots, caches = self.model.forward_all(X)
        out = slots[self.model.output_op.out_slot]
        layer = self.model.output_op.layer  # Dropout, pooling or Flatten may end a design too
        return out, layer.preactivation(caches[-1]) if hasattr(layer, "preactivation") else None

    def evaluate(self) -> EpochMetrics:
        with np.errstate(all="ignore"):  # a diverging run's metrics may be inf or NaN
            try:
                return self._evaluate()
            except MemoryError:
                raise out_of_memory(f"evaluating epoch {self.epoch}", self.design) from None

    def _evaluate(self) -> EpochMetrics:
        train = self._score(self.X_train, self.T_train, self._labels_train_dev)
        test = self._score(self.X_test, self.T_test, self._labels_test_dev) if len(
            self.test_idx) else (None, None, None)
        return EpochMetrics(self.epoch, train[0], test[0], train[1], test[1], train[2], test[2],
                            self._lr)

    def _score(self, X, T, labels):
        out, z = self.outputs(X)
        loss = float(self.model.loss_value(out, T, self.build.loss, z))
        if self.build.task == "classification":
            return loss, float(self.accuracy(out, labels)), None
        return loss, None, float(r_squared(out, T))

    def predict_classes(self, out):
        if out.shape[1] == 1:
            return (out[:, 0] > self.build.threshold()).astype(xp.int64)
        return out.argmax(axis=1)

    def accuracy(self, out, labels) -> float:
        return float((self.predict_classes(out) == labels).mean())

    # ------------------------------------------------------------------ back to the design
    def write_back(self) -> None:
        """Trained weights, optimizer state and history into the design."""
        self.build.write_back(self.design)
        self.design.state = TrainingState(self.epoch, self.step_count, list(self.history),
                                          self.optimizer.state_dict(), self.cursor)

    @property
    def cursor(self) -> int:
        """Training samples already used in the epoch under way (0 between epochs)."""
        return self._cursor if self._order_X is not None else 0


def r_squared(out, T) -> float:
    ss_res = ((out - T) ** 2).sum()
    ss_tot = ((T - T.mean(axis=0)) ** 2).sum()
    return float(1 - ss_res / ss_tot) if float(ss_tot) > 0 else 0.0


def reset_weights(design) -> None:
    """Back to the weights training started from (or, never trained, the seed's draw)."""
    if design.initial_weights is not None:
        design.restore_weights(design.initial_weights)
    else:
        design.clear_weights()
    design.reset_training_state()


def new_seed(design, seed: int | None = None) -> int:
    """Fresh random weights: a new seed, every weight drawn again from it."""
    seed = design.training.seed + 1 if seed is None else seed
    design.set_training(seed=seed)
    design.clear_weights()
    design.initial_weights = None
    design.reset_training_state()
    return seed


__all__ = ["EpochMetrics", "TrainProgress", "Trainer", "new_seed", "reset_weights"]
