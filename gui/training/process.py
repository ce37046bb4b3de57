"""The training process (core.training.process.serve) seen from the GUI thread: started with
`spawn`, read on a timer, fed by a thread of its own (a process that stops reading never blocks
the window), watched while a request waits for its answer, and ended for certain at close.
The same machinery runs the Compare view's process (core.training.compare_process.serve): the
loop the child serves, its name and the messages that begin a run are given."""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from core.training.child import serve_on
from core.training.process import serve

POLL_MS = 5  # how often the window reads what the training process sent
WATCH_MS = 100  # how often a request that waits for its answer is looked at
ANSWER_SECONDS = 3.0  # a request's answer may take this long at least …
SILENCE_FACTOR = 4.0  # … or this many times the longest the process was silent in this run
STOP_SECONDS = 10.0  # the longest a stop (closing, another design) waits before ending the process
START_SECONDS = STOP_SECONDS  # before a run's first word: starting, compiling, a first big step
QUIT_SECONDS = 1.0  # a process that reads its messages quits within this
KILL_SECONDS = 1.0  # a process killed (SIGKILL: a stopped one too) is gone within this
NOT_ANSWERING = ("the training process does not answer (it may be stopped or stuck), so it was "
                 "ended")


def not_answering(label: str) -> str:
    return NOT_ANSWERING.replace("the training process", f"the {label}", 1)


def _how_it_ended(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        if -exitcode == getattr(signal, "SIGKILL", None):
            return "killed by SIGKILL, as the system does when memory runs out"
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-exitcode).name}"
        return f"killed by signal {-exitcode}"
    return f"exit status {exitcode}" if exitcode is not None else "its connection closed"


class TrainingProcess(QObject):
    """The training process (core.training.process.serve by default: `target`, the loop the child
    serves over its end of the pipe), seen from the GUI thread. `label` names it to the person;
    a message whose first word is in `starts` begins a run (its silences are measured anew)."""

    received = Signal(tuple)

    def __init__(self, parent: QObject, target: Callable[[Any], None] = serve,
                 label: str = "training process", starts: Iterable[str] = ("run",),
                 backend: str = "") -> None:
        super().__init__(parent)
        self.label, self.starts = label, frozenset(starts)
        self.backend = backend  # what it trains on ("numpy", "cupy"; "" the window's own)
        context = multiprocessing.get_context("spawn")  # no fork of a process that runs Qt
        self.conn, child = context.Pipe()
        # the loop by name, imported in the child once its backend is set (core.training.child)
        loop = f"{target.__module__}:{target.__name__}"
        self.process = context.Process(target=serve_on, args=(child, loop, backend), daemon=True,
                                       name=f"neuralcanvas-{label.split()[0]}")
        self.process.start()
        child.close()
        self.heard = time.perf_counter()  # when the process last said something
        self.longest_silence: float | None = None  # the longest it was silent in this run;
        # None until its first word (the wait for that one is the process starting, compiling)
        self._asked: float | None = None  # when a request that awaits "ended" was sent
        self._over = False  # "ended" for its death or silence was given: say it once
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._sender = threading.Thread(target=self._send_all, daemon=True,
                                        name=f"neuralcanvas-{label.split()[0]}-send")
        self._sender.start()
        self.timer = QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.watch = QTimer(self, interval=WATCH_MS)
        self.watch.timeout.connect(self._look)

    # ------------------------------------------------------------------ to the process
    def send(self, *message: Any) -> None:
        """Queue a message; the sending thread writes it (the window never waits on the pipe)."""
        if message and message[0] in self.starts:
            self.heard, self.longest_silence, self._asked = time.perf_counter(), None, None
        self._outbox.put(message)

    def ask(self, *message: Any) -> None:
        """Send a request the run must answer with "ended" (pause): if the process stays silent
        past `answer_limit`, it is ended and "ended" is given in its place."""
        self.send(*message)
        if self._asked is None:
            self._asked = time.perf_counter()
        self.watch.start()

    def _send_all(self) -> None:
        while (message := self._outbox.get()) is not None:
            try:
                self.conn.send(message)
            except (OSError, ValueError):  # the process is gone: nothing more can reach it
                return

    # ------------------------------------------------------------------ from the process
    def answer_limit(self) -> float:
        """How long an answer may take: a few times the longest silence seen in this run (a
        big design's step), never less than ANSWER_SECONDS; START_SECONDS before its first word."""
        if self.longest_silence is None:
            return START_SECONDS
        return max(ANSWER_SECONDS, SILENCE_FACTOR * self.longest_silence)

    def _heard(self, message: tuple) -> None:
        now = time.perf_counter()
        first = self.longest_silence is None
        self.longest_silence = 0.0 if first else max(self.longest_silence, now - self.heard)
        self.heard = now
        if message[0] == "ended":
            self._asked = None
            self.watch.stop()

    def poll(self) -> None:
        try:
            while self.conn.poll():
                message = self.conn.recv()
                self._heard(message)
                self.received.emit(message)
        except (EOFError, OSError):
            self._gone()
            return
        if not self.process.is_alive():
            self._gone()

    def _gone(self) -> None:
        """The process died (kill -9, a crash): say so once, as the end of the run."""
        self.timer.stop()
        self.watch.stop()
        if self._over:
            return
        self._over = True
        self.process.join(KILL_SECONDS)
        how = _how_it_ended(self.process.exitcode)
        self.received.emit(("ended", "failed", f"the {self.label} ended unexpectedly ({how})",
                            None, None))

    def _look(self) -> None:
        """A request waits for its answer: end a process that stays silent past the limit."""
        if self._asked is None:
            self.watch.stop()
            return
        now, limit = time.perf_counter(), self.answer_limit()
        if now - self._asked > limit and now - self.heard > limit:
            self.end()
            self.timer.stop()
            self.watch.stop()
            if not self._over:
                self._over = True
                self.received.emit(("ended", "failed", not_answering(self.label), None, None))

    def wait_for_end(self, seconds: float = STOP_SECONDS) -> tuple | None:
        """Read until the run's "ended" message (snapshots on the way are dropped, the run's
        timeline is passed on); None when it does not come within `seconds` or the process died."""
        return self.wait_for(("ended",), seconds)

    def wait_for(self, kinds: Iterable[str], seconds: float = STOP_SECONDS,
                 passed: Iterable[str] = ("timeline",)) -> tuple | None:
        """Read until a message whose first word is one of `kinds` and return it; those on the
        way whose first word is in `passed` are given on (`received`), the others dropped. None
        when none comes within `seconds` or the process died."""
        kinds, passed = frozenset(kinds), frozenset(passed)
        deadline = time.perf_counter() + seconds
        try:
            while time.perf_counter() < deadline:
                if self.conn.poll(0.05):
                    message = self.conn.recv()
                    self._heard(message)
                    if message[0] in kinds:
                        return message
                    if message[0] in passed:
                        self.received.emit(message)
                elif not self.process.is_alive():
                    return None
        except (EOFError, OSError):
            return None
        return None

    # ------------------------------------------------------------------ ending it
    def give_up(self) -> str:
        """End a process whose answer did not come in time; returns what to tell the person."""
        alive = self.process.is_alive()
        self.end()
        self.timer.stop()
        self.watch.stop()
        self._over = True
        if alive:
            return not_answering(self.label)
        return f"the {self.label} ended unexpectedly ({_how_it_ended(self.process.exitcode)})"

    def end(self) -> None:
        """End the process now, whatever it is doing: SIGKILL (a stopped process ignores
        SIGTERM; the process writes no file, so nothing needs its goodbye), a short bounded wait."""
        if self.process.is_alive():
            self.process.kill()
            self.process.join(KILL_SECONDS)

    def close(self) -> None:
        self.timer.stop()
        self.watch.stop()
        self._over = True
        if self.process.is_alive():
            self.send("quit")
            self.process.join(QUIT_SECONDS)
        self.end()
        self._outbox.put(None)
        self._sender.join(KILL_SECONDS)
        if not self._sender.is_alive():  # never close a pipe a thread is still writing to
            self.conn.close()


class ProcessKeeper:
    """A process (TrainingProcess(parent, **options)) started when first asked for, the same one
    given again while it lives, a new one after it died; `close` ends it for certain. The Compare
    view is given one (its panels may not start processes themselves: gui.training is above)."""

    def __init__(self, parent: QObject, **options: Any) -> None:
        self.parent, self.options = parent, options
        self.remote: TrainingProcess | None = None

    def __call__(self, backend: str = "") -> TrainingProcess:
        """The process, on `backend` ("" the window's): one on another backend is replaced."""
        remote = self.remote
        if remote is None or not remote.process.is_alive() or remote.backend != backend:
            self.close()
            self.remote = TrainingProcess(self.parent, **self.options, backend=backend)
        return self.remote

    def close(self) -> None:
        if self.remote is not None:
            self.remote.close()
            self.remote.deleteLater()
            self.remote = None
