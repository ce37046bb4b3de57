"""Trains a comparison off the window's process: the variants of a design on core's VariantTrainer in
a child process (core.training.compare_process, run through gui.training.process's machinery:
the launcher, gui/training/compare.py, gives the view a ProcessKeeper of it),
play, pause and reset for all of them, and frames for the view as they come (the epochs reported
since the last frame, and each variant's output over the plane), up to ~30 a second.

A thread of the window's own process shared the GIL with the thread that paints, and with 16
variants the event loop stalled ~100 ms at a time; a child process has its own interpreter.

One process serves a window's comparisons (the keeper the view is given): started at the first comparison that
needs it and reused by the next (starting one, `spawn` and the imports, takes a second or more on a
busy machine, and the view would wait that long at every new comparison and after every Reset);
started again if it died; ended for certain when the window closes or another design opens."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from core.compiler.compile import compile_design
from core.design.design import Design
from core.engine import backend
from core.engine.work import variants_step_work
from core.files.fileformat import design_to_dict
from core.training.compare_process import plane_of
from core.training.ensemble import VariantResult
from core.training.ensemble_group import VariantReport
from core.training.probes import Plane
from core.training.variants import variant_design

STOP_SECONDS = 10.0  # the longest a stop or a request waits for the process (unless it was slower)


class Processes(Protocol):
    """Where a comparison's process comes from (gui.training.process.ProcessKeeper): calling it
    gives the process, started if it was not running; `close` ends it."""

    def __call__(self, backend: str = "") -> Any: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class CompareFrame:
    """What happened since the last frame: the variants' reports, in order, and their outputs
    over the input plane (variant index → (n, n, outputs)), for the variants that moved."""

    reports: tuple[VariantReport, ...]
    maps: dict[int, np.ndarray] = field(default_factory=dict)
    kind: str = "epoch"  # "epoch" | "paused" | "finished" | "failed"
    message: str = ""


class CompareRun(QObject):
    """A comparison: the variants of a design (a copy), trained together to `epochs` epochs per
    Play in the comparison process (`processes()` gives it, started if need be). Nothing here
    writes the design: a picked variant's design is `variant_design(i)`."""

    frame = Signal(object)  # CompareFrame
    state_changed = Signal(str)  # "idle" | "running" | "paused" | "finished"

    def __init__(self, design: Design, changes: list[dict[str, Any]], epochs: int,
                 parent: QObject | None = None,
                 processes: Processes | None = None) -> None:
        super().__init__(parent)
        if processes is None:
            raise ValueError("a comparison trains in a process of its own: give `processes`")
        self.design, self.changes, self.epochs = design.copy(), [dict(c) for c in changes], epochs
        if not self.changes:
            raise ValueError("there are no variants to train")
        designs = [variant_design(self.design, c) for c in self.changes]  # refused here, as a
        # VariantTrainer would refuse them
        self.build = compile_design(designs[0])  # the boundary tiles' colours and data: compiled
        # here, trained in the comparison process, on the backend a step of all variants wants
        self.backend = backend.for_training(variants_step_work(
            self.build.model, [d.training.batch_size for d in designs]))
        self.state = "idle"
        # the epoch the variants start from (a design that has trained goes on from where it
        # is: each Play trains `epochs` more, never a target it already passed)
        self.start_epoch = self.design.state.epoch
        self.target = self.start_epoch
        self._processes = processes
        self.remote = None  # gui.training.process.TrainingProcess, once asked for
        self._loaded = False  # the process holds this comparison (sent with "compare")
        self._training = False
        self._lost: str | None = None  # why the process that held the variants is gone
        self._arrived: list[tuple] = []  # frames read and not yet drawn: drawn as one

    @property
    def plane(self) -> Plane | None:
        return plane_of(self.build)

    @property
    def running(self) -> bool:
        return self._training

    @property
    def process(self):
        """The comparison process (multiprocessing.Process), or None before it was needed."""
        return None if self.remote is None else self.remote.process

    # ------------------------------------------------------------------ acts
    def play(self) -> None:
        if self.running:
            return
        self._still_there()
        if self._lost is not None:
            self.frame.emit(CompareFrame((), {}, "failed", self._lost))
            return
        if self.state in ("idle", "finished"):  # as many epochs again
            self.target += self.epochs
        remote = self._remote()
        if self._loaded:
            remote.send("train", self.target)
        else:
            remote.send("compare", design_to_dict(self.design, comparison=False), self.changes, self.target)
            self._loaded = True
        remote.timer.start()
        self._training = True
        self._set_state("running")

    def pause(self) -> None:
        if self.running:
            self.remote.ask("pause")  # a process that does not answer is ended

    def toggle(self) -> None:
        self.pause() if self.running else self.play()

    def wait(self, seconds: float = 30.0) -> None:
        """Until the training has ended (after a pause or stop), its last frame delivered."""
        if self.running:
            self._wait_end(seconds)

    def stop(self) -> None:
        """Stop training now and wait for its end (a reset, a pick, closing)."""
        if self.running:
            self.remote.send("stop")
            self._wait_end(max(STOP_SECONDS, self.remote.answer_limit()))

    def reset(self) -> None:
        """Every variant back to its start: the next Play sends the comparison anew."""
        self.stop()
        self._loaded, self._lost, self.target = False, None, self.start_epoch
        self._set_state("idle")

    def close(self) -> None:
        """Stop, and let go of the process (the next comparison may use it)."""
        self.stop()
        if self.remote is not None:
            self.remote.received.disconnect(self._received)
            self.remote = None
        self._loaded = False  # the process (if another run takes it) holds these no longer

    def variant_design(self, index: int) -> Design:
        """The variant's design with its trained weights (a copy; training is paused first)."""
        if self.running:
            self.pause()
            self.wait()
        return self._ask("variant", index)

    def results(self) -> list[VariantResult]:
        """Every variant as it stands (changes, state, history, weights); training is paused
        first, as for a pick."""
        if self.running:
            self.pause()
            self.wait()
        return self._ask("results")

    # ------------------------------------------------------------------ the process
    def _remote(self):
        """The process, connected to this run; a new process has lost the variants trained."""
        remote = self._processes(self.backend)
        if remote is not self.remote:
            if self.remote is not None:
                self.remote.received.disconnect(self._received)
            self.remote = remote
            remote.received.connect(self._received)
            self._loaded = False
        return remote

    def _ask(self, *message: Any) -> Any:
        """A request answered by the process ("results", "variant"); ValueError when it cannot."""
        self._still_there()
        if self._lost is not None:
            raise ValueError(self._lost)
        remote = self._remote()
        if not self._loaded:  # nothing trained yet: the comparison is built there first
            remote.send("compare", design_to_dict(self.design, comparison=False), self.changes, None)
            self._loaded = True
        remote.send(*message)
        answer = remote.wait_for(("answer",), max(STOP_SECONDS, remote.answer_limit()),
                                 passed=("frame", "ended"))
        if answer is None:
            self._gone(remote.give_up())
            raise ValueError(self._lost)
        if answer[2] is None:
            raise ValueError(answer[3])
        return answer[2]

    def _still_there(self) -> None:
        """A process that held the variants and died while they rested took them with it."""
        if self._loaded and self._lost is None and self.remote is not None \
                and not self.remote.process.is_alive():
            code = self.remote.process.exitcode
            how = f"killed by signal {-code}" if code is not None and code < 0 else \
                f"exit status {code}"
            self._gone(f"the comparison process ended unexpectedly ({how})")

    def _wait_end(self, seconds: float) -> None:
        ended = self.remote.wait_for(("ended",), seconds, passed=("frame",))
        self._received(ended or ("ended", "failed", self.remote.give_up(), None, None))

    def _received(self, message: tuple) -> None:
        what = message[0]
        if what == "frame" and self._training:
            self._arrived.append(message)
            if len(self._arrived) == 1:  # once the frames read together are all in
                QTimer.singleShot(0, self, self._draw)
        elif what == "ended" and self._training:
            _, kind, text, reports, maps = message
            self._draw()
            self._training = False
            self.remote.timer.stop()
            if reports is None:  # the process died or stopped answering: its variants are gone
                self._gone(text)
                return
            self.frame.emit(CompareFrame(reports, maps, kind, text))
            self._set_state("paused" if kind == "paused" else "finished")
        elif what == "ended" and message[1] == "failed":  # the comparison could not be built
            self.frame.emit(CompareFrame(message[3] or (), message[4] or {}, "failed", message[2]))

    def _draw(self) -> None:
        """The frames that arrived since the last one drawn, as one frame (reports in order)."""
        arrived, self._arrived = self._arrived, []
        if not arrived:
            return
        maps: dict[int, np.ndarray] = {}
        for message in arrived:
            maps.update(message[2])
        self.frame.emit(CompareFrame(tuple(r for m in arrived for r in m[1]), maps))
        for _ in arrived:
            self.remote.send("drawn")

    def _gone(self, text: str) -> None:
        self._training, self._loaded = False, False
        self._lost = f"{text}; Reset trains the variants again"
        self.frame.emit(CompareFrame((), {}, "failed", self._lost))
        self._set_state("finished")

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)
