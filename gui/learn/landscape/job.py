"""Computes a loss surface off the GUI thread: one job at a time on a pool of one thread, a rough
11×11 preview first when the full grid will take a while, and a result the panel may drop."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from core.training.landscape import GRID, Landscape, WeightRef

PREVIEW = 11  # points along each axis of the quick first look
PREVIEW_AFTER = 0.05  # seconds: a preview that took longer than this is shown before the full grid


@dataclass(frozen=True)
class Request:
    """What to compute: the grid of `a` and `b` around their values in `design` (a copy)."""

    generation: int
    landscape: Landscape
    design: object
    a: WeightRef
    b: WeightRef
    span: float


class JobSignals(QObject):
    progress = Signal(int, float)  # generation, fraction done
    surface = Signal(int, object, bool)  # generation, core.training.landscape.Surface, final
    failed = Signal(int, str)  # generation, what went wrong
    finished = Signal()  # the job is over (after its last result), whatever became of it


class SurfaceJob(QRunnable):
    """Loads the design's weights into the landscape's model and computes the grid; stops early
    when `current()` says a newer request has taken its place."""

    def __init__(self, request: Request, current: Callable[[], int], signals: JobSignals) -> None:
        super().__init__()
        self.request, self.current, self.signals = request, current, signals
        self.setAutoDelete(False)  # the panel keeps it until it is done

    def run(self) -> None:
        r = self.request
        stale = lambda: self.current() != r.generation  # noqa: E731
        try:
            r.landscape.load(r.design)
            started = time.perf_counter()
            preview = r.landscape.surface(r.a, r.b, r.span, PREVIEW, cancelled=stale)
            if preview is None:
                return
            slow = time.perf_counter() - started > PREVIEW_AFTER
            if slow:
                self.signals.surface.emit(r.generation, preview, False)
            done = r.landscape.surface(
                r.a, r.b, r.span, GRID, cancelled=stale,
                progress=(lambda f: self.signals.progress.emit(r.generation, f)) if slow else None)
            if done is not None:
                self.signals.surface.emit(r.generation, done, True)
        except Exception as exc:  # noqa: BLE001 - a model's error becomes the panel's message
            self.signals.failed.emit(r.generation, f"{type(exc).__name__}: {exc}")
        finally:
            self.signals.finished.emit()


class SurfaceRunner(QObject):
    """Runs one SurfaceJob at a time; a request made meanwhile waits, and only the newest does."""

    progress = Signal(float)
    surface = Signal(object, bool)  # core.training.landscape.Surface, final
    failed = Signal(str)
    idle = Signal()  # the last job is over and none waits

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.generation = 0
        self.job: SurfaceJob | None = None
        self.waiting: Request | None = None
        self.signals = JobSignals(self)
        self.signals.progress.connect(self._progress)
        self.signals.surface.connect(self._surface)
        self.signals.failed.connect(self._failed)
        self.signals.finished.connect(self._finished)

    @property
    def busy(self) -> bool:
        return self.job is not None or self.waiting is not None

    def next_generation(self) -> int:
        """A new request's number (any older result is then stale)."""
        self.generation += 1
        return self.generation

    def submit(self, request: Request) -> None:
        if self.job is not None:
            self.waiting = request  # the running job sees it is stale and stops early
            return
        self.job = SurfaceJob(request, lambda: self.generation, self.signals)
        self.pool.start(self.job)

    def cancel(self) -> None:
        self.next_generation()
        self.waiting = None

    def shutdown(self) -> None:
        self.cancel()
        self.pool.waitForDone(5000)

    def _finished(self) -> None:
        self.job = None
        if self.waiting is not None:
            request, self.waiting = self.waiting, None
            self.submit(request)
        else:
            self.idle.emit()

    def _progress(self, generation: int, fraction: float) -> None:
        if generation == self.generation:
            self.progress.emit(fraction)

    def _surface(self, generation: int, surface, final: bool) -> None:
        if generation == self.generation:
            self.surface.emit(surface, final)

    def _failed(self, generation: int, text: str) -> None:
        if generation == self.generation:
            self.failed.emit(text)
