"""The QApplication: names, the light or dark look that follows the system, icons, and the launch."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "resources"
EXAMPLES = RESOURCES / "examples"

ACCENT = QColor("#3b82f6")


APPEARANCES = ("system", "light", "dark")
_appearance = "system"  # the person's choice (View → Appearance); "system" follows the platform


def set_appearance(choice: str) -> None:
    """Follow the system's colour scheme ("system") or keep to "light" or "dark"; the look
    changes at once (the colorSchemeChanged signal repaints everything)."""
    if choice not in APPEARANCES:
        raise ValueError(f"appearance must be one of {', '.join(APPEARANCES)}, not {choice!r}")
    global _appearance
    _appearance = choice
    scheme = {"system": Qt.ColorScheme.Unknown, "light": Qt.ColorScheme.Light,
              "dark": Qt.ColorScheme.Dark}[choice]
    QGuiApplication.styleHints().setColorScheme(scheme)
    app = QApplication.instance()
    if app is not None:
        apply_theme(app)


def appearance() -> str:
    return _appearance


def is_dark() -> bool:
    if _appearance != "system":
        return _appearance == "dark"
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def apply_theme(app: QApplication) -> None:
    """Fusion, with a palette that follows the system's light or dark scheme."""
    app.setStyle("Fusion")
    palette = QPalette()
    if is_dark():
        colors = {
            QPalette.ColorRole.Window: "#1f2329", QPalette.ColorRole.WindowText: "#e6e8eb",
            QPalette.ColorRole.Base: "#171a1f", QPalette.ColorRole.AlternateBase: "#22262d",
            QPalette.ColorRole.Text: "#e6e8eb", QPalette.ColorRole.Button: "#2a2f37",
            QPalette.ColorRole.ButtonText: "#e6e8eb", QPalette.ColorRole.ToolTipBase: "#2a2f37",
            QPalette.ColorRole.ToolTipText: "#e6e8eb", QPalette.ColorRole.PlaceholderText: "#8b929c",
            QPalette.ColorRole.Mid: "#3a404a", QPalette.ColorRole.Dark: "#101216",
        }
    else:
        colors = {
            QPalette.ColorRole.Window: "#f4f5f7", QPalette.ColorRole.WindowText: "#1f2933",
            QPalette.ColorRole.Base: "#ffffff", QPalette.ColorRole.AlternateBase: "#f7f8fa",
            QPalette.ColorRole.Text: "#1f2933", QPalette.ColorRole.Button: "#eceef1",
            QPalette.ColorRole.ButtonText: "#1f2933", QPalette.ColorRole.ToolTipBase: "#ffffff",
            QPalette.ColorRole.ToolTipText: "#1f2933", QPalette.ColorRole.PlaceholderText: "#8a94a0",
            QPalette.ColorRole.Mid: "#c9ced6", QPalette.ColorRole.Dark: "#9aa3ad",
        }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    palette.setColor(QPalette.ColorRole.Highlight, ACCENT)
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.Link, ACCENT)
    app.setPalette(palette)


def icon(name: str) -> QIcon:
    """A qtawesome icon in the theme's text colour (crisp at any scale: it is a font glyph)."""
    import qtawesome  # noqa: PLC0415

    color = QApplication.palette().color(QPalette.ColorRole.WindowText)
    return qtawesome.icon(name, color=color, color_disabled=color.lighter(160) if not is_dark()
                          else color.darker(180))


SWITCH_INTERVAL = 0.001  # seconds: how soon a thread waiting for the GIL gets it


def make_app(argv: list[str] | None = None) -> QApplication:
    # Training runs in a worker thread while this one paints. Most Qt calls let go of the GIL;
    # with Python's default 5 ms hand-over, taking it back after each one waits behind the
    # worker, and a frame of a few hundred calls takes seconds.
    sys.setswitchinterval(SWITCH_INTERVAL)
    QCoreApplication.setOrganizationName("NeuralCanvas")
    QCoreApplication.setApplicationName("Neural Canvas")
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    apply_theme(app)
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_theme(app))
    app.aboutToQuit.connect(release_clipboard)
    return app


def release_clipboard() -> None:
    """Let go of what Neural Canvas put on the clipboard before Qt goes: PySide 6.11 crashes at
    exit when the clipboard still holds data this process made and has read back."""
    from gui.document import CLIPBOARD_MIME  # noqa: PLC0415

    if QApplication.instance() is None:  # no application, no clipboard of ours
        return
    clipboard = QApplication.clipboard()
    mime = clipboard.mimeData()
    if mime is not None and mime.hasFormat(CLIPBOARD_MIME):
        clipboard.clear()


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
        appearance: str | None = None) -> int:
    """Open the window (optionally with a design); with `screenshot`, save a PNG and quit.

    `appearance` ("system", "light", "dark") overrides the one chosen in View → Appearance.
    """
    if screenshot and "QT_QPA_PLATFORM" not in os.environ and not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    app = make_app()
    chosen = appearance or (None if screenshot else QSettings().value("appearance", "system", str))
    if chosen in APPEARANCES:
        set_appearance(chosen)
    from gui.main_window import MainWindow  # noqa: PLC0415

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
        window.resize(1440, 900)
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
