"""The log: a small rotating file in the platform's folder for application state (on Linux
~/.local/state/NeuralCanvas/Neural Canvas/log/neuralcanvas.log), at debug level and on stderr as
well with --verbose."""

from __future__ import annotations

import logging
import platform
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

import PySide6
from PySide6.QtCore import QStandardPaths, qVersion

LOG_NAME = "neuralcanvas.log"
MAX_BYTES = 1 << 20  # a file this size is renamed .1 (… .3) and a new one begun
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s"

_log = logging.getLogger(__name__)
_handlers: list[logging.Handler] = []  # what `configure` added to the root logger
_path: Path | None = None


def log_folder() -> Path:
    """The platform's folder for this application's state, and in it `log` (the application's
    names must be set first, as make_app does)."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.StateLocation)
    return Path(folder or Path.home() / ".neuralcanvas") / "log"


def log_path() -> Path | None:
    """The file the log is written to; None before `configure`, or when it could not be opened."""
    return _path


def configure(verbose: bool = False, folder: Path | None = None) -> Path | None:
    """Send Python's logging to the log file (rotated, at most MAX_BYTES × (BACKUPS + 1)):
    information and worse, or everything with `verbose`, which copies it to stderr too. When no
    file can be opened there, warnings go to stderr instead. The log file's path, or None.

    Called again, it replaces what it set up before."""
    global _path
    root = logging.getLogger()
    for handler in _handlers:
        root.removeHandler(handler)
        handler.close()
    _handlers.clear()
    formatter = logging.Formatter(FORMAT)
    path: Path | None = (folder or log_folder()) / LOG_NAME
    problem = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler: logging.Handler = RotatingFileHandler(path, maxBytes=MAX_BYTES,
                                                            backupCount=BACKUPS, encoding="utf-8")
    except OSError as exc:
        problem = f"no log file can be kept at {path} ({exc.strerror or exc})"
        path = None
    else:
        _handlers.append(file_handler)
    if verbose or path is None:
        _handlers.append(logging.StreamHandler(sys.stderr))
        _handlers[-1].setLevel(logging.DEBUG if verbose else logging.WARNING)
    for handler in _handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.captureWarnings(True)  # warnings.warn goes to the log as well
    _path = path
    if problem:
        _log.warning("%s: messages go to stderr", problem)
    _log.info("Neural Canvas started: Python %s, Qt %s, PySide %s, %s", platform.python_version(),
              qVersion(), PySide6.__version__, platform.platform())
    return path
