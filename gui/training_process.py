"""The training process (core.train_process.serve) seen from the GUI thread: started with
`spawn`, read on a timer, stopped and ended cleanly."""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from core.train_process import serve

POLL_MS = 5  # how often the window reads what the training process sent
STOP_SECONDS = 10.0  # the longest a stop waits for the training process to answer


class TrainingProcess(QObject):
    """The training process (core.train_process.serve), seen from the GUI thread."""

    received = Signal(tuple)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        context = multiprocessing.get_context("spawn")  # no fork of a process that runs Qt
        self.conn, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child,), daemon=True,
                                       name="neuralcanvas-training")
        self.process.start()
        child.close()
        self.timer = QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self.poll)

    def send(self, *message: Any) -> None:
        try:
            self.conn.send(message)
        except (BrokenPipeError, OSError):
            pass

    def poll(self) -> None:
        try:
            while self.conn.poll():
                self.received.emit(self.conn.recv())
        except (EOFError, OSError):
            self.timer.stop()
            self.received.emit(("ended", "failed", "the training process stopped unexpectedly",
                                None, None))

    def wait_for_end(self, seconds: float = STOP_SECONDS) -> tuple | None:
        """Read until the run's "ended" message (snapshots on the way are dropped, the run's
        timeline is passed on)."""
        deadline = time.perf_counter() + seconds
        try:
            while time.perf_counter() < deadline:
                if self.conn.poll(0.05):
                    message = self.conn.recv()
                    if message[0] == "ended":
                        return message
                    if message[0] == "timeline":
                        self.received.emit(message)
        except (EOFError, OSError):
            return None
        return None

    def close(self) -> None:
        self.timer.stop()
        self.send("quit")
        self.process.join(2)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(2)
        self.conn.close()
