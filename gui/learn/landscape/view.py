"""Learn → Loss Landscape: the loss over two weights a person picks, and the path gradient descent
takes on it live (the panel is gui/learn/landscape/panel.py; core/training/landscape.py computes)."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, QTimer

from gui.learn.landscape.panel import LandscapePanel

HEIGHT, WIDTH, WIDTH_3D = 360, 640, 820  # the room the dock is given, docked, when it opens
FLOAT_WIDTH, FLOAT_WIDTH_3D, FLOAT_HEIGHT = 780, 1180, 440  # its own window's size, screen allowing
SCREEN_MARGIN = 24  # its own window stays this far inside the screen's free area
CANVAS_GAP = 12  # … and this far below the canvas's top


def floating_geometry(window, dock, panel) -> QRect:
    """Where the landscape's own window opens: over the canvas, centred across it, its top at the
    canvas's (the toolbars above stay free: Play, Step), as large as its contours (and 3-D
    surface) want, inside the screen's free area; never below what it needs."""
    wanted = panel.minimumSizeHint().expandedTo(panel.sizeHint())
    width = max(FLOAT_WIDTH if panel.surface_view is None else FLOAT_WIDTH_3D, wanted.width())
    height = max(FLOAT_HEIGHT, wanted.height())
    free = window.screen().availableGeometry().adjusted(SCREEN_MARGIN, SCREEN_MARGIN,
                                                        -SCREEN_MARGIN, -SCREEN_MARGIN)
    least = dock.minimumSizeHint()
    width = max(min(width, free.width()), least.width())
    height = max(min(height, free.height()), least.height())
    canvas = window.view
    top = canvas.mapToGlobal(canvas.rect().topLeft())
    rect = QRect(top.x() + (canvas.width() - width) // 2, top.y() + CANVAS_GAP, width, height)
    # inside the free area where it fits (a person moves it from there)
    rect.moveLeft(max(free.left(), min(rect.left(), free.right() - width + 1)))
    rect.moveTop(max(free.top(), min(rect.top(), free.bottom() - height + 1)))
    return rect


def install(window) -> None:
    """Learn → Loss Landscape, and its dock: a window of its own when it opens (the bottom row of
    panels keeps its room); docked again (double-click its title) it is a tab beside the boundary."""
    panel = LandscapePanel(window.document, window.live.controller, window.scene)
    dock = window.add_dock("Loss Landscape", panel, Qt.DockWidgetArea.BottomDockWidgetArea)
    dock.setObjectName("landscape_dock")
    panel.dock = dock
    window.tabifyDockWidget(window.live.inside_dock, dock)  # where it docks again
    dock.hide()
    window.live.boundary_dock.raise_()  # hiding the new tab must not change which one shows
    dock.visibilityChanged.connect(panel.set_seen)
    window.installEventFilter(panel)
    window.view_menu.insertAction(window.view_separator, dock.toggleViewAction())
    placed = []  # its own window was placed once: later it opens where the person left it

    def make_room() -> None:
        width = WIDTH if panel.surface_view is None else WIDTH_3D
        if not dock.isFloating():
            for size, have, orientation in ((HEIGHT, dock.height(), Qt.Orientation.Vertical),
                                            (width, dock.width(), Qt.Orientation.Horizontal)):
                if have < size:
                    window.resizeDocks([dock], [size], orientation)

    def open_view() -> None:
        if not placed and dock.isHidden():
            placed.append(True)
            dock.setFloating(True)
            dock.setGeometry(floating_geometry(window, dock, panel))
        dock.show()
        dock.raise_()
        if not dock.isFloating():  # the person docked it: it takes its room there
            make_room()
            QTimer.singleShot(0, make_room)  # once the dock area has laid the dock out
        if len(window.scene.selected_connection_ids()) == 2:
            panel.use_selected_wires()

    action = window.add_learn_action(
        "Loss &Landscape", open_view, "mdi6.terrain",
        "the loss over two weights, and the path gradient descent takes on it")
    window.landscape_panel, window.landscape_dock, window.act_landscape = panel, dock, action
