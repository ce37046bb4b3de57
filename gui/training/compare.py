"""Training → Compare… in the window: the dialog that chooses what varies, and the Compare dock
(gui/panels/compare) where the variants then train, in a process of their own (started at the
first comparison, reused by the next, ended when the window closes or another design opens);
the window's own run pauses meanwhile."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox

from core.design.errors import NeuralCanvasError
from core.training.compare_process import serve
from gui.panels.compare.grid import CompareDialog
from gui.panels.compare.panel import ComparePanel
from gui.training.controller import TrainingController
from gui.training.process import ProcessKeeper

DOCK_HEIGHT = 320  # pixels the Compare dock takes when it opens
ROW_HEIGHT = 200  # … and the row of panels above it then


class CompareLauncher:
    """The dialog (one at a time, not modal) and the dock it fills."""

    def __init__(self, window: QMainWindow, controller: TrainingController,
                 row: list | None = None) -> None:
        self.window, self.controller = window, controller
        self.row = row or []  # the docks of the panels' row above it: lower while it opens
        self.panel = ComparePanel(window.document, processes=ProcessKeeper(
            window, target=serve, label="comparison process", starts=("compare", "train")))
        self.dock = QDockWidget("Compare", window)  # placed at the first comparison: a hidden
        self.dock.setObjectName("compare_dock")  # dock in the bottom area would take the panels'
        self.dock.setWidget(self.panel)  # row's height from the canvas
        self.dock.hide()
        self.dialog: CompareDialog | None = None

    def open_dialog(self) -> CompareDialog:
        """The Compare dialog for the design as it is and the canvas's selection."""
        if self.dialog is not None:
            self.dialog.raise_()
            return self.dialog
        self.dialog = CompareDialog(self.window.document.design, self.window.selected_nodes(),
                                    self.window)
        self.dialog.finished.connect(self._dialog_done)
        self.dialog.open()
        return self.dialog

    def _dialog_done(self, result: int) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is None:
            return
        if result == CompareDialog.DialogCode.Accepted.value:
            self.compare(dialog.variants(), dialog.epochs.value())
        dialog.deleteLater()

    def compare(self, variants, epochs: int) -> bool:
        """Train these variants in the Compare dock (the window's run paused first)."""
        self.controller.pause()
        try:
            self.panel.start(variants, epochs)
        except (NeuralCanvasError, ValueError) as exc:
            QMessageBox.warning(self.window, "Cannot compare", f"The variants cannot train: {exc}")
            return False
        if self.window.dockWidgetArea(self.dock) == Qt.DockWidgetArea.NoDockWidgetArea:
            # the first comparison: a row of its own, the window's width, under the panels
            self.window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock,
                                      Qt.Orientation.Vertical)
            self.window.view_menu.insertAction(self.window.view_separator,
                                               self.dock.toggleViewAction())
        if self.dock.isHidden():
            self.dock.show()
            docks = [d for d in self.row if d.isVisible()][:1]
            self.window.resizeDocks([*docks, self.dock], [ROW_HEIGHT] * len(docks) + [DOCK_HEIGHT],
                                    Qt.Orientation.Vertical)
        self.dock.raise_()
        return True

    def shutdown(self) -> None:
        self.panel.shutdown()
