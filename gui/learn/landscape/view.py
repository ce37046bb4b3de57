"""Learn → Loss Landscape: the loss over two weights a person picks, and the path gradient descent
takes on it live (the panel is gui/learn/landscape/panel.py; core/training/landscape.py computes)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer

from gui.learn.landscape.panel import LandscapePanel

HEIGHT, WIDTH, WIDTH_3D = 360, 640, 820  # the room the dock is given when the person opens it


def install(window) -> None:
    """Learn → Loss Landscape, and its dock (tabbed with the boundary, hidden until asked for)."""
    panel = LandscapePanel(window.document, window.live.controller, window.scene)
    dock = window.add_dock("Loss Landscape", panel, Qt.DockWidgetArea.BottomDockWidgetArea)
    dock.setObjectName("landscape_dock")
    panel.dock = dock
    window.tabifyDockWidget(window.live.inside_dock, dock)
    dock.hide()
    window.live.boundary_dock.raise_()  # hiding the new tab must not change which one shows
    dock.visibilityChanged.connect(panel.set_seen)
    window.installEventFilter(panel)
    window.view_menu.insertAction(window.view_separator, dock.toggleViewAction())

    def make_room() -> None:
        width = WIDTH if panel.surface_view is None else WIDTH_3D
        if not dock.isFloating():
            for size, have, orientation in ((HEIGHT, dock.height(), Qt.Orientation.Vertical),
                                            (width, dock.width(), Qt.Orientation.Horizontal)):
                if have < size:
                    window.resizeDocks([dock], [size], orientation)

    def open_view() -> None:
        dock.show()
        dock.raise_()
        make_room()
        QTimer.singleShot(0, make_room)  # once the dock area has laid the dock out
        if len(window.scene.selected_connection_ids()) == 2:
            panel.use_selected_wires()

    action = window.add_learn_action(
        "Loss &Landscape", open_view, "mdi6.terrain",
        "the loss over two weights, and the path gradient descent takes on it")
    window.landscape_panel, window.landscape_dock, window.act_landscape = panel, dock, action
