"""The look of the application: Fusion with a light or dark palette that follows the system (or the
person's choice in View → Appearance), and icons drawn in the palette's text colour."""

from __future__ import annotations

import qtawesome
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle

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


class ClearIndicators(QProxyStyle):
    """Fusion, whose check box and radio button frames are drawn from a darker shade of the window
    colour: on a dark window they vanish. Here they take the placeholder grey's shade instead."""

    FRAMED = (QStyle.PrimitiveElement.PE_IndicatorCheckBox,
              QStyle.PrimitiveElement.PE_IndicatorRadioButton)

    def drawPrimitive(self, element, option, painter, widget=None) -> None:  # noqa: N802 (Qt's name)
        if element in self.FRAMED and is_dark():
            option = type(option)(option)  # a copy: the caller's option stays as it was
            option.palette.setColor(QPalette.ColorRole.Window,
                                    option.palette.color(QPalette.ColorRole.PlaceholderText))
        super().drawPrimitive(element, option, painter, widget)


def apply_theme(app: QApplication) -> None:
    """Fusion, with a palette that follows the system's light or dark scheme."""
    if not isinstance(app.style(), ClearIndicators):
        app.setStyle(ClearIndicators("Fusion"))
    palette = QPalette()
    if is_dark():
        colors = {
            QPalette.ColorRole.Window: "#1f2329", QPalette.ColorRole.WindowText: "#e6e8eb",
            QPalette.ColorRole.Base: "#2b3039", QPalette.ColorRole.AlternateBase: "#323843",
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
    color = QApplication.palette().color(QPalette.ColorRole.WindowText)
    return qtawesome.icon(name, color=color, color_disabled=color.lighter(160) if not is_dark()
                          else color.darker(180))
