"""Errors no check foresaw: each is logged with its traceback and shown in a dialog that names the
log (one at a time, a few seconds apart: a burst is one dialog that counts the rest), or printed
on stderr as one line when no one sees the window (--screenshot). The window lives on."""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from core.design.errors import cut

QUIET_S = 5.0  # after a dialog is closed, the next one waits this long (errors meanwhile counted)
TITLE = "Unexpected error"
SUMMARY_CHARACTERS = 160

_log = logging.getLogger(__name__)


def summary(exc_type: type[BaseException], exc: BaseException | None) -> str:
    """'ZeroDivisionError: division by zero': one line, cut."""
    text = " ".join(str(exc).split()) if exc is not None else ""
    return cut(f"{exc_type.__name__}: {text}" if text else exc_type.__name__, SUMMARY_CHARACTERS)


class ErrorReporter(QObject):
    """Reports what sys.excepthook and threading.excepthook are handed (see `install`)."""

    reported = Signal(str, str)  # summary, traceback: carried to the GUI thread to be shown

    def __init__(self, log_path: Path | None, dialogs: bool = True,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_path, self.dialogs = log_path, dialogs
        self.dialog: QMessageBox | None = None  # the one shown now
        self.skipped = 0  # errors logged that no dialog has shown, kept or shown ones aside
        self._latest: tuple[str, str] | None = None  # the one to show when the quiet time ends
        self._closed_at = -float("inf")
        self._quiet = QTimer(self, singleShot=True)
        self._quiet.timeout.connect(self._show_latest)
        self.reported.connect(self._show, Qt.ConnectionType.QueuedConnection)

    # ---------------------------------------------------------------- hooks (any thread)
    def excepthook(self, exc_type: type[BaseException], exc: BaseException | None,
                   tb: TracebackType | None, thread: str = "") -> None:
        if issubclass(exc_type, KeyboardInterrupt):  # Ctrl+C in a terminal: as Python does
            sys.__excepthook__(exc_type, exc or exc_type(), tb)
            return
        try:
            self.report(exc_type, exc, tb, thread)
        except Exception:  # reporting must never be a second failure
            sys.__excepthook__(exc_type, exc or exc_type(), tb)

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:  # a thread that ends itself is no error
            return
        name = args.thread.name if args.thread is not None else "a thread"
        self.excepthook(args.exc_type, args.exc_value, args.exc_traceback, name)

    def report(self, exc_type: type[BaseException], exc: BaseException | None,
               tb: TracebackType | None, thread: str = "") -> None:
        where = f" in {thread}" if thread else ""
        _log.error("unexpected error%s", where, exc_info=(exc_type, exc, tb))
        line = summary(exc_type, exc)
        print(f"error: unexpected {line}" + (f" (details in {self.log_path})" if self.log_path
                                            else ""), file=sys.stderr, flush=True)
        if self.dialogs and QApplication.instance() is not None:
            details = "".join(traceback.format_exception(exc_type, exc, tb))
            self.reported.emit(line, details)  # shown by the GUI thread, whichever thread this is

    # ---------------------------------------------------------------- the dialog (GUI thread)
    def _show(self, line: str, details: str) -> None:
        """Show an error now, or, while a dialog is open or was closed moments ago, keep it for
        one dialog later (the latest error, counting those before it)."""
        if self.dialog is None and time.monotonic() >= self._closed_at + QUIET_S:
            self._open(line, details)
            return
        if self._latest is not None:
            self.skipped += 1
        self._latest = (line, details)
        if self.dialog is None and not self._quiet.isActive():
            self._quiet.start(int((self._closed_at + QUIET_S - time.monotonic()) * 1000) + 1)

    def _open(self, line: str, details: str) -> None:
        text = f"Neural Canvas met an error it did not expect: {line}"
        if self.skipped:
            text += (f"\n\n{self.skipped} more unexpected error{'s' if self.skipped > 1 else ''} "
                     f"came just before this one.")
        where = str(self.log_path) if self.log_path else "stderr (no log file could be kept)"
        text += f"\n\nThe details are in the log: {where}"
        box = QMessageBox(QMessageBox.Icon.Critical, TITLE, text,
                          QMessageBox.StandardButton.Close, QApplication.activeWindow())
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setDetailedText(details)  # behind "Show Details…"
        box.setWindowModality(Qt.WindowModality.NonModal)  # the window stays usable: save first
        box.finished.connect(self._closed)
        self.skipped = 0
        self.dialog = box
        box.show()

    def _closed(self, _result: int) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None
        self._closed_at = time.monotonic()
        if self._latest is not None:  # errors while it was open: one more dialog, in a while
            self._quiet.start(int(QUIET_S * 1000))

    def _show_latest(self) -> None:
        if self._latest is not None:
            line, details = self._latest
            self._latest = None
            self._open(line, details)


def install(log_path: Path | None, dialogs: bool = True) -> ErrorReporter:
    """Report every uncaught error, in the GUI thread (a Qt slot included) or another thread."""
    reporter = ErrorReporter(log_path, dialogs, QApplication.instance())
    sys.excepthook = reporter.excepthook
    threading.excepthook = reporter.thread_excepthook
    return reporter
