"""Learn → Training Timeline: the bar under the panels whose slider scrubs back through the epochs
trained (gui/training/timeline_bar.py), shown or hidden from the Learn menu."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSizePolicy, QToolBar

from gui.training.timeline_bar import TimelineBar


def install(window) -> None:
    """The bar along the bottom of the window, under the panels (shown from the start: the
    timeline is recorded whatever is shown), and its entry in the Learn menu."""
    bar = TimelineBar(window.live.controller)
    bar.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    holder = QToolBar("Training Timeline", window)
    holder.setObjectName("timeline_toolbar")
    holder.setMovable(False)
    holder.setFloatable(False)
    holder.setContentsMargins(0, 0, 0, 0)
    holder.layout().setContentsMargins(0, 0, 0, 0)
    holder.addWidget(bar)
    window.addToolBar(Qt.ToolBarArea.BottomToolBarArea, holder)
    action = holder.toggleViewAction()
    action.setText("Training &Timeline")
    action.setStatusTip("Show or hide the slider that scrubs back through the epochs trained")
    window.learn_menu.addAction(action)
    window.timeline_bar, window.timeline_toolbar = bar, holder
