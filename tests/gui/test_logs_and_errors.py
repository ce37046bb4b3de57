"""The log file and unexpected errors: what the window logs and where, --verbose, and an error no
check foresaw ending in a dialog that names the log (never a storm of them), or in one line on
stderr when no one sees the window."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from gui.app import make_app
from gui.window import errors, logs
from resources import EXAMPLES
from tests.gui.instances import ROOT


@pytest.fixture
def restored_logging(monkeypatch):
    """The root logger, warnings and exception hooks as they were, once the test ends."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logging.captureWarnings(False)


def test_the_log_lives_in_the_platforms_state_folder(qtbot):
    make_app([])
    state = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.StateLocation)
    assert state and logs.log_folder() == Path(state) / "log"


def test_the_log_file_keeps_information_and_verbose_adds_details_and_stderr(tmp_path, capsys,
                                                                            restored_logging):
    path = logs.configure(verbose=False, folder=tmp_path)
    assert path == tmp_path / logs.LOG_NAME == logs.log_path()
    logging.getLogger("gui.test").info("opened a design")
    logging.getLogger("gui.test").debug("a detail")
    text = path.read_text(encoding="utf-8")
    assert "Neural Canvas started" in text and "opened a design" in text
    assert "a detail" not in text and capsys.readouterr().err == ""
    logs.configure(verbose=True, folder=tmp_path)
    logging.getLogger("gui.test").debug("another detail")
    assert "another detail" in path.read_text(encoding="utf-8")
    assert "another detail" in capsys.readouterr().err


def test_the_log_file_is_rotated_and_stays_small(tmp_path, monkeypatch, restored_logging):
    monkeypatch.setattr(logs, "MAX_BYTES", 2000)
    path = logs.configure(folder=tmp_path)
    for i in range(200):
        logging.getLogger("gui.test").info("line %d of a long session", i)
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == [logs.LOG_NAME] + [f"{logs.LOG_NAME}.{n}" for n in range(1, logs.BACKUPS + 1)]
    assert all(p.stat().st_size <= 2000 for p in tmp_path.iterdir())
    assert "line 199" in path.read_text(encoding="utf-8")


def test_a_log_folder_that_cannot_be_made_sends_warnings_to_stderr(tmp_path, capsys,
                                                                   restored_logging):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the log folder should be")
    assert logs.configure(folder=blocker / "log") is None
    assert "no log file can be kept" in capsys.readouterr().err


@pytest.fixture
def reporter(qtbot, tmp_path, monkeypatch, restored_logging):
    """The hooks a launch installs, logging to a file in tmp_path; dialogs a second apart."""
    make_app([])
    monkeypatch.setattr(errors, "QUIET_S", 0.3)
    installed = errors.install(logs.configure(folder=tmp_path), dialogs=True)
    yield installed
    if installed.dialog is not None:
        installed.dialog.close()
    installed.deleteLater()


def raising_button(qtbot, error: Exception) -> QPushButton:
    button = QPushButton("Do it")
    qtbot.addWidget(button)

    def slot_that_fails():
        raise error
    button.clicked.connect(slot_that_fails)
    return button


def open_error_dialogs() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.isVisible() and w.windowTitle() == errors.TITLE]


@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_slot_is_logged_and_shown_in_a_dialog_naming_the_log(qtbot, reporter,
                                                                          capsys):
    button = raising_button(qtbot, ZeroDivisionError("division by zero"))
    button.click()
    qtbot.waitUntil(lambda: len(open_error_dialogs()) == 1, timeout=5000)
    box = open_error_dialogs()[0]
    assert "ZeroDivisionError: division by zero" in box.text()
    assert str(logs.log_path()) in box.text()
    assert "slot_that_fails" in box.detailedText()  # behind Show Details…
    log = logs.log_path().read_text(encoding="utf-8")
    assert "Traceback" in log and "slot_that_fails" in log and "ZeroDivisionError" in log
    assert "error: unexpected ZeroDivisionError: division by zero" in capsys.readouterr().err
    box.button(QMessageBox.StandardButton.Close).click()  # dismissed as a person would
    qtbot.waitUntil(lambda: not open_error_dialogs(), timeout=5000)


@pytest.mark.qt_no_exception_capture
def test_a_burst_of_errors_is_one_dialog_at_a_time_counting_the_rest(qtbot, reporter):
    button = raising_button(qtbot, ValueError("bad value"))
    for _ in range(50):
        button.click()
    qtbot.waitUntil(lambda: len(open_error_dialogs()) == 1, timeout=5000)
    qtbot.wait(100)
    assert len(open_error_dialogs()) == 1
    assert logs.log_path().read_text(encoding="utf-8").count("Traceback") == 50
    open_error_dialogs()[0].button(QMessageBox.StandardButton.Close).click()
    assert not open_error_dialogs()  # a moment's quiet before the next
    qtbot.waitUntil(lambda: len(open_error_dialogs()) == 1, timeout=5000)
    assert "48 more unexpected errors came just before this one" in open_error_dialogs()[0].text()
    open_error_dialogs()[0].close()
    qtbot.wait(int(errors.QUIET_S * 1000) + 200)
    assert not open_error_dialogs()  # all 50 were told: no more


@pytest.mark.qt_no_exception_capture
def test_an_error_in_another_thread_is_shown_by_the_window(qtbot, reporter):
    def work():
        raise RuntimeError("the worker failed")
    worker = threading.Thread(target=work, name="worker-7")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(open_error_dialogs()) == 1, timeout=5000)
    assert "RuntimeError: the worker failed" in open_error_dialogs()[0].text()
    assert "in worker-7" in logs.log_path().read_text(encoding="utf-8")


def test_with_no_one_to_see_the_window_an_error_is_one_line_on_stderr(tmp_path):
    """A --screenshot launch: an error in a slot the event loop runs goes to stderr and the log,
    and the screenshot is still made (no dialog waits)."""
    script = ("import sys\n"
              "from PySide6.QtCore import QTimer\n"
              "import gui.app\n"
              "def failing_slot():\n"
              "    raise KeyError('no such panel')\n"
              "def make_app(*args):\n"
              "    app = launch(*args)\n"
              "    QTimer.singleShot(0, failing_slot)\n"
              "    return app\n"
              "launch, gui.app.make_app = gui.app.make_app, make_app\n"
              "import main\n"
              "sys.exit(main.main(sys.argv[1:]))\n")
    out = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_STATE_HOME": str(tmp_path / "state"),
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", script, str(EXAMPLES / "xor.ncanvas"),
                           "--screenshot", str(out), "--verbose"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert out.is_file()
    said = re.findall(r"error: unexpected KeyError: 'no such panel' \(details in (.+)\)", proc.stderr)
    assert len(said) == 1
    log = Path(said[0])
    assert log.is_relative_to(tmp_path / "state") and log.name == logs.LOG_NAME
    text = log.read_text(encoding="utf-8")
    assert "failing_slot" in text and "Traceback" in text
    assert "Neural Canvas started" in proc.stderr  # --verbose: the log on stderr as well
