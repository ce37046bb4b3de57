"""Trains a comparison off the GUI thread: the variants of a design on core's VariantTrainer in a
worker thread, play, pause and reset for all of them, and frames for the view a few times a
second (the epochs reported since the last frame, and each variant's output over the plane)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal

from core.design.design import Design
from core.engine.backend import to_device, to_numpy
from core.training.ensemble import VariantResult, VariantTrainer
from core.training.ensemble_group import VariantReport
from core.training.probes import Plane

FRAME_SECONDS = 0.1  # the view is sent what happened at most this often while training runs
YIELD_SECONDS = 0.001  # after each group's epoch the worker sleeps this long (see README)


@dataclass(frozen=True)
class CompareFrame:
    """What happened since the last frame: the variants' reports, in order, and their outputs
    over the input plane (variant index → (n, n, outputs)), for the variants that moved."""

    reports: tuple[VariantReport, ...]
    maps: dict[int, np.ndarray] = field(default_factory=dict)
    kind: str = "epoch"  # "epoch" | "paused" | "finished" | "failed"
    message: str = ""


class PlaneOutputs:
    """Each variant's output over the plane of a two-dimensional data set (None otherwise)."""

    def __init__(self, trainer: VariantTrainer) -> None:
        build = trainer.groups[0].build
        X = np.asarray(build.data.X)
        self.plane = Plane.around(X) if X.ndim == 2 and X.shape[1] == 2 else None
        self._rows = {}
        self._left: dict[int, np.ndarray] = {}  # variants that left their group: drawn once
        if self.plane is not None:
            points = self.plane.points()
            self._rows = {g.group: g.build.feature_rows(points) for g in trainer.groups}

    def __call__(self, trainer: VariantTrainer) -> dict[int, np.ndarray]:
        if self.plane is None:
            return {}
        n, maps = self.plane.size, {}
        for group in trainer.groups:
            rows = self._rows[group.group]
            alive = list(group.alive)
            if alive:
                x = to_device(np.broadcast_to(rows, (len(alive), *rows.shape)).copy(), group.dtype)
                out = to_numpy(group.model.outputs(x)[0])
                for row, position in enumerate(alive):
                    maps[group.indices[position]] = out[row].reshape(n, n, -1)
            for position, outcome in group.outcomes.items():
                index = group.indices[position]
                if index not in self._left:
                    group.build.model.load_flat(outcome.weights)
                    out = to_numpy(group.build.model.forward(to_device(rows, group.dtype)))
                    self._left[index] = out.reshape(n, n, -1)
                    maps[index] = self._left[index]
        return maps


class _Worker(QThread):
    """Runs the trainer to `target` epochs; every report goes to `frame`, gathered."""

    frame = Signal(object, object)  # this worker, CompareFrame

    def __init__(self, run: CompareRun, target: int) -> None:
        super().__init__()
        self.run_, self.target = run, target

    def run(self) -> None:  # noqa: D102 - QThread's
        trainer, outputs = self.run_.trainer, self.run_.outputs
        pending: list[VariantReport] = []
        sent = time.perf_counter()
        kind, message = "finished", ""
        told: set[int] = set()
        try:
            for progress in trainer.run(self.target):
                time.sleep(YIELD_SECONDS)  # the window's thread may take the GIL between epochs
                pending.extend(progress.reports)
                pending.extend(_diverged(trainer, told))
                if progress.kind in ("paused", "stopped"):
                    kind = "paused"
                now = time.perf_counter()
                if progress.kind == "epoch" and now - sent >= FRAME_SECONDS:
                    self.frame.emit(self, CompareFrame(tuple(pending), outputs(trainer)))
                    pending, sent = [], now
        except Exception as exc:  # noqa: BLE001 - a design error ends the run, said in the view
            kind, message = "failed", f"{type(exc).__name__}: {exc}"
        pending.extend(_diverged(trainer, told))
        self.frame.emit(self, CompareFrame(tuple(pending), outputs(trainer), kind, message))


def _diverged(trainer: VariantTrainer, told: set[int]) -> list[VariantReport]:
    """A report for each variant that diverged since the last call (the groups' epoch reports
    leave them out: they left mid-epoch)."""
    reports = []
    for group in trainer.groups:
        for position, outcome in group.outcomes.items():
            index = group.indices[position]
            if outcome.state == "diverged" and index not in told:
                told.add(index)
                reports.append(VariantReport(index, outcome.epoch, outcome.step, None, "diverged",
                                             outcome.reason))
    return reports


class CompareRun(QObject):
    """A comparison: the variants of a design (a copy), trained together to `epochs` epochs per
    Play. Nothing here writes the design: a picked variant's design is `variant_design(i)`."""

    frame = Signal(object)  # CompareFrame
    state_changed = Signal(str)  # "idle" | "running" | "paused" | "finished"

    def __init__(self, design: Design, changes: list[dict[str, Any]], epochs: int,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.design, self.changes, self.epochs = design.copy(), [dict(c) for c in changes], epochs
        self.state = "idle"
        self.worker: _Worker | None = None
        self._build()

    def _build(self) -> None:
        self.trainer = VariantTrainer(self.design, self.changes)
        self.outputs = PlaneOutputs(self.trainer)
        self.target = 0

    @property
    def plane(self) -> Plane | None:
        return self.outputs.plane

    @property
    def running(self) -> bool:
        return self.worker is not None

    def play(self) -> None:
        if self.running:
            return
        if self.state in ("idle", "finished"):  # as many epochs again
            self.target += self.epochs
        self.worker = _Worker(self, self.target)
        self.worker.frame.connect(self._frame)
        self.worker.start()
        self._set_state("running")

    def pause(self) -> None:
        if self.running:
            self.trainer.pause()

    def toggle(self) -> None:
        self.pause() if self.running else self.play()

    def wait(self, seconds: float = 30.0) -> None:
        """Until the worker has ended (after a pause or stop), its last frame delivered."""
        worker = self.worker
        if worker is not None:
            worker.wait(int(seconds * 1000))
            QCoreApplication.sendPostedEvents(self)
            if self.worker is worker:  # its last frame was not delivered: the thread ended
                self._ended(worker, "paused")

    def stop(self) -> None:
        """Stop training now and wait for the worker (a reset, a pick, closing)."""
        if self.running:
            self.trainer.stop()
            self.wait()

    def reset(self) -> None:
        """Every variant back to its start: a new trainer from the same design and variants."""
        self.stop()
        self._build()
        self._set_state("idle")

    def variant_design(self, index: int) -> Design:
        """The variant's design with its trained weights (a copy; training is stopped first)."""
        if self.running:
            self.pause()
            self.wait()
        return self.trainer.variant_design(index).copy()

    def results(self) -> list[VariantResult]:
        """Every variant as it stands (changes, state, history, weights); training is paused
        first, as for a pick."""
        if self.running:
            self.pause()
            self.wait()
        return self.trainer.results()

    def _frame(self, worker: _Worker, frame: CompareFrame) -> None:
        if worker is not self.worker:
            return
        self.frame.emit(frame)
        if frame.kind != "epoch":
            self._ended(worker, "paused" if frame.kind == "paused" else "finished")

    def _ended(self, worker: _Worker, state: str) -> None:
        worker.wait()
        self.worker = None
        worker.deleteLater()
        self._set_state(state)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)
