"""Runs the open design's training in a child process: play, pause, one step, one sample, reset,
new seed; live settings; edits made while it runs; snapshots for the views ~30 times a second;
the timeline of every epoch's weights, a past moment shown in the views, and resuming from it."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from core.design.design import TrainingState
from core.design.errors import NeuralCanvasError, OutOfMemoryError, TrainingError
from core.engine import backend
from core.engine.work import step_work
from core.files.fileformat import design_to_dict
from core.training import probes
from core.training.process import views_for
from core.training.timeline import Moment, Timeline
from core.training.trainer import Trainer, new_seed, reset_weights
from gui.document.document import Document
from gui.training import status
from gui.training.process import STOP_SECONDS, TrainingProcess
from gui.training.timeline import TimelineActs

WEIGHTS_SECONDS = 0.25  # while running, the views (the canvas) take the live weights this often
TRAINING_FIELDS_NEEDING_A_REBUILD = ("test_fraction", "seed", "dtype")


class TrainingController(TimelineActs, QObject):
    """The one place the GUI trains: the toolbar, the panels and the window talk to it.

    It never writes the design: while a run goes, its weights are the document's live weights
    (view state); what a run, a step, a reset or a resume leaves enters through
    Document.take_weights, one undo command each."""

    snapshot = Signal(object)  # probes.Snapshot, ~30 a second while running, and after each act
    weights_shown = Signal(object)  # a snapshot whose weights the views took (~8 a second)
    state_changed = Signal(str)  # "idle" | "running" | "paused"
    stopped = Signal(str, str)  # (kind, reason): "paused", "finished", "diverged", "failed", …
    message = Signal(str)  # something to tell the person (a banner): divergence, a design error
    note = Signal(str)  # a word in passing (the status bar): why a run stopped, what Play does
    alert = Signal(str)  # a failure to show in a dialog: the machine ran out of memory
    moment = Signal(object)  # a past moment the views show (probes.Snapshot); None: now again
    moment_shown = Signal(object)  # that moment's weights (Design.snapshot_weights()); None: now
    timeline_changed = Signal()  # moments were recorded or forgotten

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.trainer: Trainer | None = None
        self.remote: TrainingProcess | None = None  # the training process, started at the first Play
        self._running = False
        self.state = "idle"
        self.rate = 0.0
        self.last: probes.Snapshot | None = None
        self._plane: probes.Plane | None = None
        self._samples: np.ndarray | None = None
        self._applying = False  # the design taking what we trained: not a person's edit
        self._resume = False  # a structural edit paused the run: play again once it stopped
        self._written = 0.0  # when the views last took a running snapshot's weights
        self._history: list = []  # the running process's epochs so far (it sends new ones)
        self._kept: probes.Snapshot | None = None  # the run's snapshot whose weights are shown
        self.timeline = Timeline()  # the weights at each epoch's end (core.training.timeline)
        self.viewing: Moment | None = None  # the past moment the views show; None: now
        self._run_moments: tuple | None = None  # what the running process recorded, at its end
        self._wanted: int | None = None  # an epoch to show once the run has paused
        self.ended: tuple[str, str] | None = None  # (kind, reason) the last run stopped for; None
        # once anything else happened (a step, a reset, another design)
        for signal, slot in ((document.node_added, self._structure),
                             (document.node_removed, self._structure),
                             (document.connection_added, self._structure),
                             (document.connection_removed, self._structure),
                             (document.node_changed, self._node_changed),
                             (document.connection_changed, self._weight_edited),
                             (document.settings_changed, self._settings_changed),
                             (document.weights_changed, self._weights)):
            signal.connect(slot)
        document.design_replaced.connect(self._bind)
        self._bind()

    # ------------------------------------------------------------------ acts
    @property
    def running(self) -> bool:
        return self._running

    @property
    def process(self):
        """The training process (multiprocessing.Process), or None before the first Play."""
        return None if self.remote is None else self.remote.process

    def play(self) -> bool:
        """Train in the background until the settings' epochs (or a target) or a pause."""
        if self.running or not self._ensure_trainer():
            return self.running
        self.back_to_now()
        settings = self.document.design.training
        if self.trainer.finished:  # every epoch asked for is done: as many again
            done, more = self.trainer.epoch, settings.epochs
            self.document.set_training(epochs=done + more)
            self._ensure_trainer()
            self.note.emit(status.more_epochs_note(done, more, self.document.design.training))
        elif self.ended is not None and self.ended[0] == "finished":
            met = status.target_met(settings, self.trainer.last_metrics())
            if met:
                self.note.emit(f"{met[:1].upper()}{met[1:]}: one epoch more, then it stops.")
        self.ended = None
        wanted = backend.for_training(step_work(self.trainer.build.model, settings.batch_size))
        if self.remote is None or not self.remote.process.is_alive() \
                or self.remote.backend != wanted:
            if self.remote is not None:
                self.remote.close()
            self.remote = TrainingProcess(self, backend=wanted)
            self.remote.received.connect(self._received)
        self._history, self._run_moments, self._kept = [], None, None
        self.remote.send("run", design_to_dict(self.document.design, comparison=False),
                         self.timeline.grid())
        self.remote.timer.start()
        self._running = True
        self._set_state("running")
        return True

    def backend_text(self) -> str:
        """What trains, in words: the window's engine, or the backend its training process was
        started on for this design's size (CuPy for a big network on a machine with a GPU)."""
        chosen = "" if self.remote is None else self.remote.backend
        if chosen in ("", backend.name):
            return backend.description()
        return "CuPy on the GPU" if chosen == "cupy" else "NumPy"

    def pause(self) -> None:
        if self.running:
            self.remote.ask("pause")  # a process that does not answer is ended

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
        self._change_weights(new_seed, "New random weights")

    def shutdown(self) -> None:
        """Stop training, keep what it learned, and end the training process (closing)."""
        self._stop_run(record=True)
        if self.remote is not None:
            self.remote.close()
            self.remote = None

    def _stop_run(self, record: bool) -> None:
        """Stop a run now and wait for its end (what it learned is kept when `record`)."""
        if not self.running:
            return
        self._resume = False
        self.remote.timer.stop()
        self.remote.send("stop")
        ended = self.remote.wait_for_end(min(self.remote.answer_limit(), STOP_SECONDS))
        if ended is None:
            ended = ("ended", "failed", self.remote.give_up(), None, None)
        self._ended(ended[1], ended[2], self._whole(ended[3]), ended[4], record=record)

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
        except OutOfMemoryError as exc:
            self.alert.emit(str(exc))
            return False
        except NeuralCanvasError as exc:
            self.message.emit(f"The design cannot train: {exc}")
            return False
        self.trainer = trainer
        self._plane, self._samples = views_for(trainer)
        if fresh:  # the drawn initial weights become the design's (and Reset's) starting point
            self._applying = True
            try:
                self.document.fill_drawn_weights(trainer.design.snapshot_weights(),
                                                 trainer.design.initial_weights)
            finally:
                self._applying = False
        self._sync_timeline(trainer, fresh, design.state.cursor == 0)
        self._show(self.take(trainer, None))
        return True

    def _act_once(self, act, text: str) -> bool:
        if self.running or not self._ensure_trainer():
            return False
        self.ended = None
        try:
            progress = act(self.trainer)
        except TrainingError as exc:
            memory = isinstance(exc, OutOfMemoryError)
            self._show(self.take(self.trainer, None))
            self.stopped.emit("memory" if memory else "diverged", str(exc))
            (self.alert if memory else self.message).emit(str(exc))
            return False
        snap = self.take(self.trainer, progress.loss, progress.sample)
        self.trainer.write_back()  # the trainer's copy of the design: its state for the command
        self._take(snap.weights, self.trainer.design.state, text)
        self._show(snap)
        return True

    def _change_weights(self, change, text: str) -> None:
        """Reset or a new seed, worked out on a copy of the design: one undo command."""
        self._stop_run(record=True)
        self.ended = None
        trial = self.document.design.copy()
        change(trial)
        self._take(trial.snapshot_weights(), trial.state, text, initial=trial.initial_weights,
                   training=trial.training)
        self.trainer = None
        self._ensure_trainer()

    def _take(self, weights: dict[str, Any], state: Any, text: str, **more: Any) -> None:
        """Weights and a training state into the design: Document's one undo command."""
        self._applying = True
        try:
            self.document.take_weights(weights, state, text, **more)
        finally:
            self._applying = False

    def _show(self, snap: probes.Snapshot, live: bool = False) -> None:
        """A snapshot to the views; while running, its weights are the document's live weights
        (4 times a second: restyling and redrawing every wire for each frame would take the
        window's time); the design keeps its own until the run's result is taken."""
        self.back_to_now()  # the present, drawn: the past is no longer shown
        self.last = snap
        now = time.perf_counter()
        took = self.trainer is not None and bool(snap.weights) and (
            not live or now - self._written >= WEIGHTS_SECONDS / 2)
        if took and live:
            self._written = now
            self.document.show_live_weights(snap.weights)
            self._kept = snap
        self.snapshot.emit(snap)
        if took:
            self.weights_shown.emit(snap)

    def _whole(self, snap: probes.Snapshot | None) -> probes.Snapshot | None:
        """A snapshot from the process, with the epochs it left out put back."""
        if snap is None:
            return None
        history = self._history[:snap.history_start] + list(snap.history)
        self._history = history
        return dataclasses.replace(snap, history=tuple(history), history_start=0)

    def _received(self, message: tuple) -> None:
        if message[0] == "snapshot" and self.running:
            self._show(self._whole(message[1]), live=True)
            remote = self.remote
            QTimer.singleShot(0, lambda: remote.send("drawn"))  # after the paints it asked for
        elif message[0] == "timeline":
            self._run_moments = message[1:]
        elif message[0] == "ended" and self.running:
            self._ended(message[1], message[2], self._whole(message[3]), message[4])

    def _ended(self, kind: str, reason: str, final: probes.Snapshot | None, state: Any,
               record: bool = True) -> None:
        """A run stopped: its weights and state into the design (one undo step), the trainer
        here rebuilt from them (so One Step goes on exactly from there)."""
        self._running = False
        self.remote.timer.stop()
        moments, self._run_moments = self._run_moments, None
        if not record:  # the design it trained is gone (another was opened)
            self.document.show_live_weights(None)
            self._set_state("idle")
            return
        if moments:
            self.timeline.adopt(*moments)
        if final is None and self._kept is not None:  # the process ended without a last word:
            final = self._kept  # the views show this snapshot's weights; its state goes with them
            state = TrainingState(final.epoch, final.step, list(final.history), {}, final.cursor)
            reason += (f"; the weights and history of epoch {final.epoch:,} (step {final.step:,}) "
                       f"are kept")
        if final is not None:
            self._take(final.weights, state, f"Train to epoch {final.epoch}")
            self._show(final)
        else:
            self.document.show_live_weights(None)
        self.trainer = None
        if not self._ensure_trainer():
            self._set_state("idle")
        else:
            self._set_state("paused" if self.trainer.epoch else "idle")
        self.ended = (kind, reason)
        self.stopped.emit(kind, reason)
        note = status.stop_note(kind, reason, self.document.design.state.epoch,
                                self.document.design.training)
        if note:
            self.note.emit(note)
        if kind in ("diverged", "failed"):
            self.message.emit(reason)
        elif kind == "memory":
            self.alert.emit(reason)
        if self._resume:
            self._resume = False
            self.play()
        elif self._wanted is not None:
            wanted, self._wanted = self._wanted, None
            self.show_epoch(wanted)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    # ------------------------------------------------------------------ the design's events
    def _bind(self) -> None:
        """Another design is open (New, Open): the run on the old one ends, unrecorded."""
        self._stop_run(record=False)
        self.trainer, self.last, self.ended = None, None, None
        self._wanted = None
        self.back_to_now()
        self.timeline.clear()
        self.timeline_changed.emit()
        self._set_state("idle")
        state = self.document.design.state
        if state.epoch or state.step:  # trained before: show where it is
            QTimer.singleShot(0, self._show_where_it_is)

    def _show_where_it_is(self) -> None:
        if self.trainer is None and not self.running and not any(
                p.severity == "error" for p in self.document.problems):
            self._ensure_trainer()
            self._set_state("paused")

    def _structure(self, *_args: Any) -> None:
        """A node or wire came or went: pause, rebuild from the edited design, resume."""
        if self._applying:
            return
        self.back_to_now()
        if self.running:
            self._resume = True
            self.remote.ask("pause")
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
            self._weight_edited(None, new)
        else:  # a name or a position: nothing to do for training (the canvas shows now)
            self.back_to_now()

    def _weight_edited(self, _old: Any, new: Any) -> None:
        """A weight or bias typed by a person: the model takes it at the next step."""
        if self._applying or self.trainer is None:
            return
        self.back_to_now()
        if self.running:
            if hasattr(new, "weight"):
                part = {"connections": {new.id: new.weight}}
            else:
                part = {"neurons": {new.id: {k: new.params[k] for k in ("bias", "activation_params")
                                             if k in new.params}}}
            self.remote.send("edit", part)
        else:
            self.trainer.build.read_weights(self.document.design)

    def _settings_changed(self, what: str) -> None:
        if self._applying or self.trainer is None:
            return
        settings = self.document.design.training
        if what == "training" and all(getattr(settings, f) == getattr(self.trainer.settings, f)
                                      for f in TRAINING_FIELDS_NEEDING_A_REBUILD):
            if self.running:
                self.remote.send("settings", settings)
            else:
                self.trainer.apply_settings(settings)
            return
        self._structure()  # the data set, its split, the seed or the precision: a new trainer

    def _weights(self) -> None:
        """Weights set from outside (undo of a run, expand or collapse): rebuild from them."""
        if not self._applying:
            self._structure()
