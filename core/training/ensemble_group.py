"""One group of variants (one structure) trained in lockstep on the ensemble model: each variant's
own seed (initial weights, data split, shuffles, random layers), learning rate, L1/L2, clipping
and stop conditions; a variant that diverges or meets its stop condition leaves the group alone."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from core.compiler.compile import compile_design
from core.compiler.precision import column_names, fits_dtype
from core.data.datasets import train_test_split
from core.design import registry
from core.design.design import Design, TrainingState
from core.engine.backend import to_device, to_numpy, xp
from core.engine.ensemble.model import EnsembleModel
from core.engine.ensemble.optimizers import EnsembleOptimizer, clip_by_norm, column, regularize
from core.engine.optimizers import make_optimizer
from core.training.trainer import EpochMetrics, r_squared


@dataclass(frozen=True)
class VariantReport:
    """Where one variant stands after an epoch of its group."""

    index: int  # in the list of variants given
    epoch: int
    step: int
    metrics: EpochMetrics | None
    state: str  # "training" | "finished" (reached the epochs or a stop condition) | "diverged"
    reason: str = ""


@dataclass(frozen=True)
class EnsembleProgress:
    """What a group reports: after an epoch, a pause, a stop, or at the end."""

    kind: str  # "epoch" | "paused" | "stopped" | "finished"
    group: int
    epoch: int
    step: int
    reports: tuple[VariantReport, ...] = ()
    losses: tuple[float, ...] = ()  # the epoch's last mini-batch loss of each variant reported


@dataclass
class VariantOutcome:
    """A variant that left its group: its weights and state at that moment."""

    state: str
    reason: str
    epoch: int
    step: int
    weights: np.ndarray
    optimizer_state: dict[str, np.ndarray] = field(default_factory=dict)
    cursor: int = 0


class VariantGroup:
    """Variants of one structure (`designs`, each a variant's own design; `indices`, their places
    in the list of variants) trained as one batched computation."""

    def __init__(self, designs: Sequence[Design], indices: Sequence[int], group: int = 0,
                 dtype: Any = None) -> None:
        self.designs, self.indices, self.group = list(designs), list(indices), group
        builds = [compile_design(d, dtype=dtype) for d in self.designs]
        for build, design in zip(builds, self.designs, strict=True):
            if design.state.epoch == 0 and design.state.step == 0:  # as a Trainer shows them
                build.write_back(design)
                design.initial_weights = design.snapshot_weights()
        self.build = build = builds[0]  # the template: structure, data, loss, write-back
        self.model = EnsembleModel(build.model, [b.model.flat for b in builds])
        del builds
        self.settings = [d.training for d in self.designs]
        first = self.settings[0]
        self.dtype = dt = self.model.dtype
        data = build.data
        with np.errstate(all="ignore"):
            features = build.feature_rows(data.X)
        self.X_all = to_device(fits_dtype(features, dt, column_names(self.designs[0], data),
                                          "column"), dt)
        names = list(data.target_names) or ["target"]
        self.T_all = to_device(fits_dtype(build.encode_targets(data.y), dt, names, "target"), dt)
        splits = [train_test_split(data.num_samples, s.test_fraction, s.seed) for s in self.settings]
        self.train_idx = np.stack([s[0] for s in splits])
        self.test_idx = np.stack([s[1] for s in splits])
        self.n_train, self.n_test = self.train_idx.shape[1], self.test_idx.shape[1]
        self.labels = to_device(np.asarray(data.y))
        self.optimizer = EnsembleOptimizer(first.optimizer, self.model.k, self.model.size, dt,
                                           [s.optimizer_params for s in self.settings])
        state = self.designs[0].state
        self.epoch, self.step_count = state.epoch, state.step
        self.histories: list[list[dict[str, Any]]] = [list(d.state.history) for d in self.designs]
        if state.optimizer_state and make_optimizer(first.optimizer, self.model.size, dt).load_state_dict(
                state.optimizer_state):
            self.optimizer.load_rows(state.optimizer_state)
        self.alive = np.arange(len(self.designs))  # positions in self.designs still training
        self.outcomes: dict[int, VariantOutcome] = {}  # position → how it left
        self.best: dict[int, tuple[float, np.ndarray]] = {}
        self.since_best = np.zeros(len(self.designs), dtype=np.int64)
        self._backup = xp.empty_like(self.model.flat)
        self._order_X = self._order_T = None
        self._cursor = 0
        self._lr = np.zeros(len(self.designs))
        self._last = np.full(len(self.designs), np.nan)
        self._pause = self._stop = False
        self._total: int | None = None
        self._refresh_rates()
        if 0 < state.cursor < self.n_train:  # written back mid-epoch: go on from there
            self._start_epoch()
            self._cursor = state.cursor

    # ------------------------------------------------------------------ per-variant values
    def _settings(self, name: str) -> np.ndarray:
        return np.array([getattr(self.settings[i], name) for i in self.alive], dtype=np.float64)

    def _refresh_rates(self) -> None:
        """Each training variant's L1 and L2 as columns (None: all 0) and clipping norms."""
        l1, l2, clip = self._settings("l1"), self._settings("l2"), self._settings("clip_norm")
        self._rates = (column(l1, self.dtype) if l1.any() else None,
                       column(l2, self.dtype) if l2.any() else None, clip if clip.any() else None)

    def learning_rates(self) -> np.ndarray:
        """This epoch's rate of each training variant, from its own schedule."""
        total = self._total if self._total is not None else self.settings[0].epochs
        return np.array([registry.schedules.get(s.schedule)(s.learning_rate, self.epoch, total,
                                                            s.schedule_params)
                         for s in (self.settings[i] for i in self.alive)])

    def pause(self) -> None:
        self._pause = True

    def stop(self) -> None:
        self._stop = True

    # ------------------------------------------------------------------ one update
    def _start_epoch(self) -> None:
        orders = [np.random.default_rng([self.settings[i].seed, self.epoch]).permutation(self.n_train)
                  for i in self.alive]
        rows = to_device(np.stack([self.train_idx[i][o] for i, o in zip(self.alive, orders, strict=True)]))
        # take, not X_all[rows]: NumPy's indexing copies a row at a time (16 × 1,000 rows of the
        # playground: 250 µs against 16 µs, a step's worth every epoch)
        self._order_X = xp.take(self.X_all, rows, axis=0)
        self._order_T = xp.take(self.T_all, rows, axis=0)
        self._cursor = 0
        self._lr = self.learning_rates()

    def _rngs(self):
        if not self.model.stochastic:
            return None
        return [np.random.default_rng([self.settings[i].seed, 1, self.step_count]) for i in self.alive]

    def _update(self, xb, tb) -> np.ndarray:
        model = self.model
        if model.statistics is not None:  # the forward pass moves BatchNorm's running statistics
            xp.copyto(self._backup, model.flat)
        self.optimizer.begin()
        self._sums: list[float] = []
        values = to_numpy(model.loss_and_gradients(xb, tb, self.build.loss, self.build.rule,
                                                   self._rngs(), self._apply)).astype(np.float64)
        # one sum tells that every weight is finite (a weight that is not makes it inf or NaN;
        # only huge finite weights may too, and then the rows say that none broke)
        if not (math.isfinite(values.sum()) and all(math.isfinite(v) for v in self._sums)):
            lost = ~np.isfinite(values)
            broken = ~to_numpy(xp.isfinite(model.flat).all(axis=1))
            if (lost | broken).any():
                values = np.delete(values, self._diverged(values, lost, broken))
        self.step_count += 1
        return values

    def _apply(self, rows: slice) -> None:
        """The update of these variants' rows from their gradients (in the thread that made them,
        where the step is split): the weights from before the step kept, L1/L2, clipping, the
        optimizer's step, the absent weights and BatchNorm statistics put back."""
        model = self.model
        flat, grad = model.flat[rows], model.grad[rows]
        if model.statistics is None:
            xp.copyto(self._backup[rows], flat)
        l1, l2, clip = self._rates
        if l1 is not None or l2 is not None:
            regularize(flat, grad, model.decay_mask, None if l1 is None else l1[rows],
                       None if l2 is None else l2[rows])
        if clip is not None:
            clip_by_norm(grad, clip[rows], self.dtype)
        kept = None if model.statistics is None else flat[:, model.statistics]
        self.optimizer.step_rows(rows, flat, grad, self._lr)
        model.zero_absent(rows)
        if kept is not None:
            flat[:, model.statistics] = kept
        self._sums.append(float(flat.sum()))

    def _diverged(self, values: np.ndarray, lost: np.ndarray, broken: np.ndarray) -> np.ndarray:
        """Variants whose loss or weights stopped being finite leave with their weights from
        before the step (as a single run stops with a TrainingError)."""
        rows = np.flatnonzero(lost | broken)
        self.model.flat[rows] = self._backup[rows]
        self.optimizer.restore_rows(rows)
        where = f"epoch {self.epoch + 1}, step {self.step_count + 1}"
        for row in rows:
            if lost[row]:
                reason = (f"the loss became {values[row]} at {where}; the weights are those from "
                          f"before that step. Try a lower learning rate.")
            else:
                reason = (f"a weight became infinite or NaN at {where}; the weights are those from "
                          f"before that step. Try a lower learning rate.")
            self._leave(row, "diverged", reason, self.step_count, t=self.optimizer.t - 1)
        self._keep_others(rows)
        return rows

    def _leave(self, row: int, state: str, reason: str, step: int, t: int | None = None,
               weights: np.ndarray | None = None) -> None:
        position = int(self.alive[row])
        opt = self.optimizer.row_state(row)
        if t is not None and self.optimizer.kind in ("adam", "adamw"):
            opt["t"] = np.array([t], dtype=np.int64)
        if not self.optimizer.slots:
            opt = {"t": np.array([0], dtype=np.int64)}
        self.outcomes[position] = VariantOutcome(
            state, reason, self.epoch, step, self.model.row(row) if weights is None else weights,
            opt, self.cursor)

    def _keep_others(self, rows: np.ndarray) -> None:
        keep = np.setdiff1d(np.arange(len(self.alive)), rows)
        self.alive = self.alive[keep]
        self._lr = self._lr[keep]
        self._last = self._last[keep]
        if len(keep):
            self.model.keep(keep)
            self.optimizer.keep(keep)
            self._refresh_rates()
            self._backup = xp.empty_like(self.model.flat)
            if self._order_X is not None:
                self._order_X, self._order_T = self._order_X[keep], self._order_T[keep]

    @property
    def cursor(self) -> int:
        return self._cursor if self._order_X is not None else 0

    def _next_batch(self) -> bool:
        """Every training variant's next mini-batch; True when it ended the epoch."""
        if self._order_X is None:
            self._start_epoch()
        start, stop = self._cursor, min(self._cursor + self.settings[0].batch_size, self.n_train)
        self._last = self._update(self._order_X[:, start:stop], self._order_T[:, start:stop])
        self._cursor = stop
        return stop >= self.n_train

    def _next_batches(self) -> bool:
        """Mini-batches until the epoch ends (True) or a pause or stop is asked for (False)."""
        with np.errstate(all="ignore"):  # once for the batches, not once a batch
            while len(self.alive) and not (self._pause or self._stop):
                if self._next_batch():
                    return True
        return False

    def fit_steps(self, steps: int) -> None:
        """`steps` updates of every variant, with no evaluation (benchmarks, warm-up)."""
        with np.errstate(all="ignore"):
            for _ in range(steps):
                if not len(self.alive):
                    return
                if self._next_batch():
                    self._order_X = self._order_T = None
                    self.epoch += 1

    # ------------------------------------------------------------------ epochs
    def _end_epoch(self) -> list[VariantReport]:
        self._order_X = self._order_T = None
        self.epoch += 1
        with np.errstate(all="ignore"):
            metrics = self.evaluate()
        reports, leaving = [], []
        for row, m in enumerate(metrics):
            position = int(self.alive[row])
            self.histories[position].append(asdict(m))
            reason, best = self._stop_reason(row, position, m)
            state = "training"
            if reason:
                state = "finished"
                self._leave(row, state, reason, self.step_count, weights=best)
                leaving.append(row)
            reports.append(VariantReport(self.indices[position], self.epoch, self.step_count, m,
                                         state, reason))
        if leaving:
            self._keep_others(np.asarray(leaving))
        return reports

    def _stop_reason(self, row: int, position: int, m: EpochMetrics) -> tuple[str, Any]:
        """Why this variant stops after this epoch ('' for not), and the weights it keeps (None:
        its current ones), as Trainer._stop_reason decides for a single run."""
        s = self.settings[position]
        if s.target_loss is not None and m.train_loss <= s.target_loss:
            return f"the training loss reached the target {s.target_loss}", None
        accuracy = m.test_accuracy if m.test_accuracy is not None else m.train_accuracy
        if s.target_accuracy is not None and accuracy is not None and accuracy >= s.target_accuracy:
            return f"the accuracy reached the target {s.target_accuracy:.0%}", None
        if s.early_stopping_patience and m.test_loss is not None:
            best = self.best.get(position)
            if best is None or m.test_loss < best[0]:
                self.best[position] = (m.test_loss, self.model.row(row))
                self.since_best[position] = 0
            else:
                self.since_best[position] += 1
                if self.since_best[position] >= s.early_stopping_patience:
                    return (f"the test loss has not improved for {self.since_best[position]} epochs "
                            f"(the best weights are kept)"), best[1]
        return "", None

    def evaluate(self) -> list[EpochMetrics]:
        """Each training variant's metrics on its own training and test rows."""
        alive = self.alive
        train = self._score(self.train_idx[alive])
        test = self._score(self.test_idx[alive]) if self.n_test else [(None, None, None)] * len(alive)
        return [EpochMetrics(self.epoch, a[0], b[0], a[1], b[1], a[2], b[2], float(lr))
                for a, b, lr in zip(train, test, self._lr, strict=True)]

    def _score(self, rows: np.ndarray) -> list[tuple]:
        index = to_device(rows)
        X, T = xp.take(self.X_all, index, axis=0), xp.take(self.T_all, index, axis=0)
        labels = self.labels[index]
        out, z = self.model.outputs(X)
        template, build = self.model.template, self.build
        scores = []
        for k in range(out.shape[0]):
            loss = float(template.loss_value(out[k], T[k], build.loss, None if z is None else z[k]))
            if build.task == "classification":
                if out.shape[2] == 1:
                    predicted = (out[k, :, 0] > build.threshold()).astype(xp.int64)
                else:
                    predicted = out[k].argmax(axis=1)
                scores.append((loss, float((predicted == labels[k]).mean()), None))
            else:
                scores.append((loss, None, float(r_squared(out[k], T[k]))))
        return scores

    # ------------------------------------------------------------------ the generator
    def run(self, epochs: int | None = None) -> Iterator[EnsembleProgress]:
        """Train every variant until `epochs` epochs in all (the settings' count by default),
        yielding a report after each epoch; pausing keeps the place, as Trainer.run does."""
        total = self.settings[0].epochs if epochs is None else epochs
        self._total = total
        self._lr = self.learning_rates()  # a function of the epoch and the run's length
        while self.epoch < total and len(self.alive):
            if self._stop:
                self._stop = self._pause = False
                yield EnsembleProgress("stopped", self.group, self.epoch, self.step_count)
                return
            if self._pause:
                self._pause = False
                yield EnsembleProgress("paused", self.group, self.epoch, self.step_count)
                return
            if self._next_batches():
                losses = tuple(float(v) for v in self._last)
                reports = self._end_epoch()
                yield EnsembleProgress("epoch", self.group, self.epoch, self.step_count,
                                       tuple(reports), losses)
        # the variants that trained to the end stay in the group: a later run may go on
        reports = tuple(VariantReport(self.indices[int(p)], self.epoch, self.step_count,
                                      self._last_metrics(int(p)), "finished",
                                      f"reached {total} epochs") for p in self.alive)
        yield EnsembleProgress("finished", self.group, self.epoch, self.step_count, reports)

    def _last_metrics(self, position: int) -> EpochMetrics | None:
        history = self.histories[position]
        return EpochMetrics(**history[-1]) if history else None

    # ------------------------------------------------------------------ back to a design
    def weights(self, position: int) -> np.ndarray:
        """A variant's weights now (its place in this group's designs)."""
        if position in self.outcomes:
            return self.outcomes[position].weights
        return self.model.row(int(np.flatnonzero(self.alive == position)[0]))

    def write_back(self, position: int) -> Design:
        """The variant's own design with its weights, history and optimizer state written in."""
        design = self.designs[position]
        outcome = self.outcomes.get(position)
        if outcome is None:
            row = int(np.flatnonzero(self.alive == position)[0])
            outcome = VariantOutcome("training", "", self.epoch, self.step_count,
                                     self.model.row(row), self.optimizer.row_state(row), self.cursor)
        self.build.model.load_flat(outcome.weights)
        self.build.write_back(design)
        design.state = TrainingState(outcome.epoch, outcome.step, list(self.histories[position]),
                                     dict(outcome.optimizer_state), outcome.cursor)
        return design
