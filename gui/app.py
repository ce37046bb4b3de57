"""The launch: the QApplication with its names and look, and the window (or its screenshot)."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QCoreApplication, QObject, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from gui.document.clipboard import release_clipboard
from gui.widgets.theme import APPEARANCES, apply_theme, set_appearance
from gui.window import errors, logs
from resources import DESKTOP_ID, icon_files

SWITCH_INTERVAL = 0.001  # seconds: how soon a thread waiting for the GIL gets it
SCREENSHOT_SIZE = (1440, 900)  # --screenshot's window, unless --size says otherwise


def make_app(argv: list[str] | None = None) -> QApplication:
    # Training runs in a worker thread while this one paints. Most Qt calls let go of the GIL;
    # with Python's default 5 ms hand-over, taking it back after each one waits behind the
    # worker, and a frame of a few hundred calls takes seconds.
    sys.setswitchinterval(SWITCH_INTERVAL)
    QCoreApplication.setOrganizationName("NeuralCanvas")
    QCoreApplication.setApplicationName("Neural Canvas")
    QGuiApplication.setDesktopFileName(DESKTOP_ID)  # the taskbar finds the .desktop entry and icon
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setWindowIcon(app_icon())  # every window's, unless it sets its own
    apply_theme(app)
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_theme(app))
    app.aboutToQuit.connect(release_clipboard)
    return app


def app_icon() -> QIcon:
    """Neural Canvas's icon (a small network), from the PNG renders shipped in resources/icons."""
    icon = QIcon()
    for size, path in icon_files():
        icon.addFile(str(path), QSize(size, size))
    return icon


class ModalDismisser(QObject):
    """For a window no one sees (--screenshot): each modal dialog that opens is answered at once
    as Escape would, its message printed on stderr as one line, so that nothing waits forever."""

    def __init__(self, app: QApplication, interval_ms: int = 10) -> None:
        super().__init__(app)
        self.messages: list[str] = []
        self._timer = QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(self.dismiss)
        self._timer.start()

    def dismiss(self) -> None:
        widget = QApplication.activeModalWidget()
        if widget is None:
            return
        text = widget.text() if isinstance(widget, QMessageBox) else ""
        message = " ".join(f"{widget.windowTitle()}: {text}".split())
        self.messages.append(message)
        print(f"error: {message}", file=sys.stderr, flush=True)
        if isinstance(widget, QDialog):
            widget.done(QDialog.DialogCode.Rejected.value)
        else:
            widget.close()

    def stop(self) -> None:
        self._timer.stop()


def run(design_path: str | None = None, screenshot: str | None = None,
        appearance: str | None = None, verbose: bool = False,
        size: tuple[int, int] = SCREENSHOT_SIZE) -> int:
    """Open the window (optionally with a design); with `screenshot`, save a PNG of the window at
    `size` (width, height) and quit.

    `appearance` ("system", "light", "dark") overrides the one chosen in View → Appearance;
    `verbose` logs everything, to stderr as well as the log file.
    """
    if screenshot and "QT_QPA_PLATFORM" not in os.environ and not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    app = make_app()
    # an error no check foresaw is logged and shown (on stderr when no one sees the window)
    errors.install(logs.configure(verbose), dialogs=screenshot is None)
    chosen = appearance or (None if screenshot else QSettings().value("appearance", "system", str))
    if chosen in APPEARANCES:
        set_appearance(chosen)
    from gui.window.main_window import MainWindow  # the window's modules load once the QApplication exists

    window = MainWindow(restore_settings=screenshot is None)
    # offscreen, no one would ever click a message box: each is answered and printed at once
    dismisser = ModalDismisser(app) if screenshot else None
    if design_path:
        if not window.open_path(design_path) and screenshot:
            window.close()
            return 2  # the message box's text is already on stderr
    elif screenshot is None:
        QTimer.singleShot(0, window.offer_recovery)
    if screenshot:
        window.setWindowState(Qt.WindowState.WindowNoState)  # the size asked for, whatever the screen
        window.resize(*size)
        window.show()
        for _ in range(5):
            app.processEvents()
        window.view.fit_to_view()
        app.processEvents()
        window.grab()  # a first frame asks for the picture of a big design's wires …
        window.scene.wire_layer.finish()  # … which is drawn in full before the shot
        ok = window.grab().save(screenshot)
        window.document.undo_stack.setClean()  # nothing to ask about on the way out
        window.close()
        if dismisser is not None:
            dismisser.stop()
        if not ok:
            print(f"error: cannot write the screenshot to {screenshot}", file=sys.stderr)
            return 2
        return 0
    window.show()
    return app.exec()
