"""Runs the open design's training in a worker thread: play, pause, one step, one sample, reset,
new seed; live settings; edits made while it runs; snapshots for the views ~30 times a second."""

from __future__ import annotations

import copy
import queue
import threading
import time
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QThread, QTimer, Signal

from core import probes
from core.errors import NeuralCanvasError, TrainingError
from core.training import Trainer, reset_weights
from gui.commands import SetWeightsAndState
from gui.document import Document

FRAME_SECONDS = 1 / 30  # the worker sends at most this many snapshots a second
DRAW_WAIT_SECONDS = 0.05  # the longest the worker waits for the GUI to draw a snapshot
WEIGHTS_SECONDS = 0.25  # while running, the design (and so the canvas) takes the weights this often
SAMPLES_SHOWN = 12  # test samples shown with their probabilities (inputs of more than 2 dims)
TRAINING_FIELDS_NEEDING_A_REBUILD = ("test_fraction", "seed", "dtype")


def _same(a: Any, b: Any) -> bool:
    """Equal weights snapshots (block weights are arrays: compared element by element)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    return a == b


class _Worker(QThread):
    """Drives Trainer.run() off the GUI thread; applies queued requests between steps."""

    snapshot = Signal(object)  # probes.Snapshot
    ended = Signal(object)  # (kind, reason, final Snapshot)

    def __init__(self, controller: TrainingController, trainer: Trainer) -> None:
        super().__init__()
        self.controller, self.trainer = controller, trainer
        self.requests: queue.SimpleQueue = queue.SimpleQueue()

    def run(self) -> None:
        trainer, c = self.trainer, self.controller
        last = 0.0
        loss: float | None = None
        stamps: list[tuple[float, int]] = []
        kind, reason = "finished", ""
        try:
            for progress in trainer.run():
                self._drain()
                if progress.kind in ("paused", "stopped", "finished"):
                    kind, reason = progress.kind, progress.reason
                    continue
                loss = progress.loss
                now = time.perf_counter()
                stamps.append((now, trainer.step_count))
                if now - last >= FRAME_SECONDS:
                    last = now
                    stamps = [s for s in stamps if now - s[0] <= 1.0]
                    rate = ((stamps[-1][1] - stamps[0][1]) / (stamps[-1][0] - stamps[0][0])
                            if len(stamps) > 1 and stamps[-1][0] > stamps[0][0] else 0.0)
                    c.rate = rate
                    c.drawn.clear()
                    self.snapshot.emit(c.take(trainer, loss))
                    # Let the GUI thread draw it alone: both threads need the GIL, and a frame
                    # drawn while training holds it waits at every Qt call.
                    c.drawn.wait(DRAW_WAIT_SECONDS)
        except TrainingError as exc:
            kind, reason = "diverged", str(exc)
        except Exception as exc:  # noqa: BLE001 - a failure must reach the person, not a traceback
            kind, reason = "failed", f"training stopped: {exc.__class__.__name__}: {exc}"
        self.ended.emit((kind, reason, c.take(trainer, loss)))

    def _drain(self) -> None:
        while True:
            try:
                what, value = self.requests.get_nowait()
            except queue.Empty:
                return
            if what == "settings":
                self.trainer.apply_settings(value)
            elif what == "weights":  # a weight or bias a person typed: from the next step on
                self.trainer.build.read_weights(value)


class TrainingController(QObject):
    """The one place the GUI trains: the toolbar, the panels and the window talk to it."""

    snapshot = Signal(object)  # probes.Snapshot, ~30 a second while running, and after each act
    weights_shown = Signal(object)  # a snapshot whose weights the design took (~10 a second)
    state_changed = Signal(str)  # "idle" | "running" | "paused"
    stopped = Signal(str, str)  # (kind, reason): "paused", "finished", "diverged", "failed", …
    message = Signal(str)  # something to tell the person (a banner): divergence, a design error

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.trainer: Trainer | None = None
        self.worker: _Worker | None = None
        self.state = "idle"
        self.rate = 0.0
        self.drawn = threading.Event()  # set once the views have drawn the last snapshot
        self.last: probes.Snapshot | None = None
        self._plane: probes.Plane | None = None
        self._samples: np.ndarray | None = None
        self._applying = False  # our own writes into the design: not a person's edit
        self._resume = False  # a structural edit paused the run: play again once it stopped
        self._before: tuple | None = None
        self._written = 0.0  # when the design last took a running snapshot's weights
        self._design = None
        document.design_replaced.connect(self._bind)
        self._bind()

    # ------------------------------------------------------------------ acts
    @property
    def running(self) -> bool:
        return self.worker is not None

    def play(self) -> bool:
        """Train in the background until the settings' epochs (or a target) or a pause."""
        if self.running or not self._ensure_trainer():
            return self.running
        if self.trainer.finished:
            self.document.set_training(epochs=self.trainer.epoch + self.document.design.training.epochs)
            self._ensure_trainer()
        self._before = self._state_now()
        self.worker = _Worker(self, self.trainer)
        self.worker.snapshot.connect(self._show_live)
        self.worker.ended.connect(self._ended)
        self.worker.start()
        self._set_state("running")
        return True

    def pause(self) -> None:
        if self.trainer is not None and self.running:
            self.trainer.pause()

    def toggle(self) -> None:
        self.pause() if self.running else self.play()

    def step_once(self) -> bool:
        """One mini-batch, here and now (paused or idle)."""
        return self._act_once(lambda t: t.step(), "One step")

    def present_one(self) -> bool:
        """One training sample, one update; the snapshot names the sample."""
        return self._act_once(lambda t: t.present_one(), "Present one sample")

    def reset(self) -> None:
        """Back to the weights training started from (the experiment can be repeated)."""
        self._change_weights(reset_weights, "Reset the weights")

    def new_seed(self) -> None:
        """Fresh random weights: a new seed, every weight drawn again."""
        from core.training import new_seed  # noqa: PLC0415

        self._change_weights(new_seed, "New random weights")

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Stop the worker and wait for it (the window is closing)."""
        worker = self.worker
        if worker is None:
            return
        self._resume = False
        self.trainer.stop()
        worker.wait(timeout_ms)
        self._ended_now(worker)

    # ------------------------------------------------------------------ internals
    def take(self, trainer: Trainer, loss: float | None, sample: int | None = None) -> probes.Snapshot:
        """A snapshot of `trainer` (called on the thread that drives it)."""
        return probes.take_snapshot(trainer, loss=loss, steps_per_second=self.rate,
                                    plane=self._plane, samples=self._samples, sample=sample)

    def _ensure_trainer(self) -> bool:
        if self.trainer is not None:
            return True
        design = self.document.design
        errors = [p for p in self.document.validate_now() if p.severity == "error"]
        if errors:
            self.message.emit(f"The design cannot train yet: {errors[0]}"
                              + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""))
            return False
        fresh = design.state.epoch == 0 and design.state.step == 0
        try:
            trainer = Trainer(design.copy())
        except NeuralCanvasError as exc:
            self.message.emit(f"The design cannot train: {exc}")
            return False
        self.trainer = trainer
        self._plane = probes.Plane.around(trainer.build.data.X) if probes.is_planar(trainer) else None
        n_test = len(trainer.test_idx)
        self._samples = None if self._plane is not None else np.arange(min(SAMPLES_SHOWN, n_test))
        if fresh:  # the drawn initial weights become the design's (and Reset's) starting point
            self._write(trainer.design.snapshot_weights(), initial=trainer.design.initial_weights)
        self._show(self.take(trainer, None))
        return True

    def _act_once(self, act, text: str) -> bool:
        if self.running or not self._ensure_trainer():
            return False
        before = self._state_now()
        try:
            progress = act(self.trainer)
        except TrainingError as exc:
            self._show(self.take(self.trainer, None))
            self.stopped.emit("diverged", str(exc))
            self.message.emit(str(exc))
            return False
        snap = self.take(self.trainer, progress.loss, progress.sample)
        self._show(snap)
        self._record(before, text)
        return True

    def _change_weights(self, change, text: str) -> None:
        if self.running:
            self._resume = False
            self.trainer.stop()
            self.worker.wait()
            self._ended_now(self.worker)
        before = self._state_now()
        self._applying = True
        try:
            change(self.document.design)
        finally:
            self._applying = False
        self.document.push(SetWeightsAndState(self.document.design, before, self._state_now(), text))
        self.trainer = None
        self._ensure_trainer()

    def _state_now(self) -> tuple:
        d = self.document.design
        return (d.snapshot_weights(), copy.deepcopy(d.state), d.training,
                copy.deepcopy(d.initial_weights))

    def _record(self, before: tuple, text: str) -> None:
        """The run's result into the design as one undo command."""
        trainer = self.trainer
        trainer.write_back()
        self._applying = True
        try:
            self.document.design.state = copy.deepcopy(trainer.design.state)
            after = self._state_now()
            if not _same(after[0], before[0]) or after[1] != before[1]:
                self.document.push(SetWeightsAndState(self.document.design, before, after, text))
        finally:
            self._applying = False

    def _write(self, weights: dict[str, Any], initial: Any = None) -> None:
        self._applying = True
        try:
            if initial is not None:
                self.document.design.initial_weights = copy.deepcopy(initial)
            self.document.design.restore_weights(weights)
        finally:
            self._applying = False

    def _show(self, snap: probes.Snapshot, live: bool = False) -> None:
        """A snapshot to the views; its weights into the design (while running, ~10 a second:
        restyling every wire 30 times a second would take the GUI thread's time)."""
        self.last = snap
        now = time.perf_counter()
        took = self.trainer is not None and (not live or now - self._written >= WEIGHTS_SECONDS)
        if took:
            self._written = now
            self._write(snap.weights)
        try:
            self.snapshot.emit(snap)
            if took:
                self.weights_shown.emit(snap)
        finally:  # drawn once the paints the views asked for are done: the next turn of the loop
            QTimer.singleShot(0, self.drawn.set)

    def _show_live(self, snap: probes.Snapshot) -> None:
        self._show(snap, live=True)

    def _ended(self, result: tuple) -> None:
        worker = self.sender() if isinstance(self.sender(), _Worker) else self.worker
        self._ended_now(worker, result)

    def _ended_now(self, worker: _Worker | None, result: tuple | None = None,
                   record: bool = True) -> None:
        if worker is None or worker is not self.worker:
            return
        worker.wait()
        self.worker = None
        kind, reason = ("stopped", "stopped") if result is None else result[:2]
        if not record:  # the design it trained is gone (another was opened)
            self._set_state("idle")
            return
        if result is not None:
            self._show(result[2])
        epoch = self.trainer.epoch
        self._record(self._before, f"Train to epoch {epoch}")
        self._set_state("paused" if epoch else "idle")
        self.stopped.emit(kind, reason)
        if kind in ("diverged", "failed"):
            self.message.emit(reason)
        if self._resume:
            self._resume = False
            self.trainer = None
            self.play()

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    # ------------------------------------------------------------------ the design's events
    def _bind(self) -> None:
        if self.running:
            self._resume = False
            self.trainer.stop()
            self.worker.wait()
            self._ended_now(self.worker, record=False)
        if self._design is not None:
            for event, slot in self._slots(self._design):
                event.disconnect(slot)
        self._design = self.document.design
        for event, slot in self._slots(self._design):
            event.connect(slot)
        self.trainer, self.last = None, None
        self._set_state("idle")

    def _slots(self, design) -> list:
        e = design.events
        return [(e.node_added, self._structure), (e.node_removed, self._structure),
                (e.connection_added, self._structure), (e.connection_removed, self._structure),
                (e.node_changed, self._node_changed), (e.connection_changed, self._weight_edited),
                (e.settings_changed, self._settings_changed), (e.weights_changed, self._weights)]

    def _structure(self, *_args: Any) -> None:
        """A node or wire came or went: pause, rebuild from the edited design, resume."""
        if self._applying:
            return
        if self.running:
            self._resume = True
            self.trainer.pause()
        else:
            self.trainer = None

    def _node_changed(self, old, new) -> None:
        def core_params(node):
            return {k: v for k, v in node.params.items() if k not in ("bias", "activation_params")}

        if old.kind != new.kind or core_params(old) != core_params(new) \
                or (old.params.get("activation_params") != new.params.get("activation_params")
                    and old.params.get("activation") != "prelu"):
            self._structure()
        elif old.params.get("bias") != new.params.get("bias") \
                or old.params.get("activation_params") != new.params.get("activation_params"):
            self._weight_edited()
        # a name or a position: nothing to do for training

    def _weight_edited(self, *_args: Any) -> None:
        """A weight or bias typed by a person: the model takes it at the next step."""
        if self._applying or self.trainer is None:
            return
        if self.running:
            self.worker.requests.put(("weights", self.document.design.copy()))
        else:
            self.trainer.build.read_weights(self.document.design)

    def _settings_changed(self, what: str) -> None:
        if self._applying or self.trainer is None:
            return
        settings = self.document.design.training
        if what == "training" and all(getattr(settings, f) == getattr(self.trainer.settings, f)
                                      for f in TRAINING_FIELDS_NEEDING_A_REBUILD):
            if self.running:
                self.worker.requests.put(("settings", settings))
            else:
                self.trainer.apply_settings(settings)
            return
        self._structure()  # the data set, its split, the seed or the precision: a new trainer

    def _weights(self) -> None:
        """Weights set from outside (undo of a run, expand or collapse): rebuild from them."""
        if not self._applying:
            self._structure()
