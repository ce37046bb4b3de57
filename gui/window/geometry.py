"""The window's size at the first launch: it fits the screen's available area (a small screen is
filled, a large one gets most of it). A size restored from the settings is Qt's restoreGeometry's
to fit: it moves and shrinks a window that would not fit the screen it opens on."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

FULL = QSize(1440, 900)  # a screen's available area up to this is filled: every pixel is needed
SHARE = 0.85  # of a larger screen's available area, centred on it
LARGEST = QSize(1920, 1200)  # nor larger than this on a very large screen: panels would sprawl


def available_area(window: QWidget) -> QRect:
    """The available geometry (the screen less its panels and docks) of the window's screen."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def first_geometry(available: QRect) -> tuple[QRect, bool]:
    """The window's geometry at the first launch on a screen whose available area is `available`,
    and whether the window should be maximized (the whole area, the frame included)."""
    if available.width() <= FULL.width() or available.height() <= FULL.height():
        return QRect(available), True
    size = QSize(min(max(round(available.width() * SHARE), FULL.width()), LARGEST.width()),
                 min(max(round(available.height() * SHARE), FULL.height()), LARGEST.height()))
    rect = QRect(0, 0, size.width(), size.height())
    rect.moveCenter(available.center())
    return rect, False


def place_first(window: QWidget) -> None:
    """The first launch's size and place (maximized on a screen of FULL or smaller)."""
    rect, maximize = first_geometry(available_area(window))
    window.setGeometry(rect)
    if maximize:
        window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)
