"""GUI tests: settings and recovery files go to a temporary folder, never the user's own; the
XOR example's `document` and an `inspector` on it, outside a window (a module may define its own)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, QStandardPaths

from resources import EXAMPLES


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    QStandardPaths.setTestModeEnabled(True)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    from gui.document.document import Document

    monkeypatch.setattr(Document, "recovery_folder", staticmethod(lambda: tmp_path))
    yield


@pytest.fixture(autouse=True)
def clipboard_released():
    """What a test copied leaves the clipboard with the test (as the application does at quit)."""
    yield
    from gui.document.clipboard import release_clipboard

    release_clipboard()


@pytest.fixture(autouse=True)
def no_unanswered_dialogs(monkeypatch):
    """Every modal dialog a test meets must be answered by that test (monkeypatch it there).

    An unanswered one would wait forever for a click; here it is rejected at once (as Escape
    would) and the test fails at teardown, naming the dialog. Raising instead would throw through
    Qt's virtual functions (closeEvent), which PySide cannot unwind safely.
    """
    from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox

    opened: list[str] = []

    def rejecting(name, result):
        def dialog(*args, **kwargs):
            opened.append(f"{name}{tuple(a for a in args[1:3] if isinstance(a, str))}")
            return result
        return staticmethod(dialog)

    cancel = QMessageBox.StandardButton.Cancel
    for cls, names, result in (
            (QMessageBox, ("question", "critical", "warning", "information"), cancel),
            (QMessageBox, ("about",), None),
            (QFileDialog, ("getOpenFileName", "getSaveFileName"), ("", "")),
            (QInputDialog, ("getInt", "getDouble"), (0, False)),
            (QInputDialog, ("getText", "getItem"), ("", False))):
        for name in names:
            monkeypatch.setattr(cls, name, rejecting(f"{cls.__name__}.{name}", result))

    def exec_(self):
        opened.append(f"{type(self).__name__}.exec()")
        return QDialog.DialogCode.Rejected.value

    monkeypatch.setattr(QDialog, "exec", exec_)
    yield opened
    assert not opened, f"modal dialogs opened that the test did not answer: {opened}"


@pytest.fixture
def window(qtbot):
    """The main window, shown, keeping no settings; unsaved work is dropped when the test ends."""
    from gui.app import make_app
    from gui.window.main_window import MainWindow

    make_app([])
    win = MainWindow(restore_settings=False)
    # pytest-qt closes the window before fixtures end: stop training (what it learned becomes a
    # change) and drop unsaved work first, so no question is asked
    qtbot.addWidget(win, before_close_func=lambda w: (w.live.shutdown(),
                                                      w.document.undo_stack.setClean()))
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def document():
    """The XOR example, opened in a Document of its own."""
    from gui.document.document import Document

    doc = Document()
    doc.open(str(EXAMPLES / "xor.ncanvas"))
    return doc


@pytest.fixture
def inspector(qtbot, document):
    """The inspector on `document`, shown, at the width of its dock."""
    from gui.inspector.dock import Inspector

    widget = Inspector(document)
    qtbot.addWidget(widget)
    widget.resize(340, 700)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    return widget


@pytest.fixture
def spiral_window(window):
    """The main window with the spiral example open (the Compare view's tests)."""
    assert window.open_path(str(EXAMPLES / "spiral.ncanvas"))
    yield window
    window.live.shutdown()
