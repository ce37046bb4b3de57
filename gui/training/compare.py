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
CANVAS_LEAST = 300  # the canvas keeps this much height; else Compare takes the row's place


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
        self.dock.visibilityChanged.connect(self._visibility)
        self.dialog: CompareDialog | None = None
        self.replaced: list[QDockWidget] = []  # the row's panels Compare stands in for
        self.shared: list[tuple[QDockWidget, int]] = []  # … or shares the bottom with: heights
        self._arranging = False
        window.document.design_replaced.connect(self._design_replaced)  # after the panel's

    def open_dialog(self) -> CompareDialog:
        """The Compare dialog for the design as it is and the canvas's selection."""
        if self.dialog is not None:
            self.dialog.raise_()
            return self.dialog
        self.dialog = CompareDialog(self.window.document.design, self.window.selected_nodes(),
                                    self.window, self.window.document.path)
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
        self._show_dock()
        return True

    def _design_replaced(self) -> None:
        if self.panel.kept is not None:
            self._show_dock()

    def _show_dock(self) -> None:
        if self.window.dockWidgetArea(self.dock) == Qt.DockWidgetArea.NoDockWidgetArea:
            # the first comparison: a row of its own, the window's width, under the panels
            self.window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock,
                                      Qt.Orientation.Vertical)
            self.window.view_menu.insertAction(self.window.view_separator,
                                               self.dock.toggleViewAction())
        if self.dock.isHidden():
            self._make_room()
        self.dock.raise_()

    def _make_room(self) -> None:
        """Show the dock under the row of panels; where that would leave the canvas less than
        CANVAS_LEAST pixels (1280×800, 1600×1000), in the row's place instead: the row's panels
        come back when Compare is closed (the window's own run is paused meanwhile)."""
        self._arranging = True
        try:
            self._arrange()
        finally:
            self._arranging = False

    def _arrange(self) -> None:
        if self.dock.isFloating():  # a window of its own: nothing under it moves
            self.dock.show()
            return
        row = [d for d in (*self.row, getattr(self.window, "problems_dock", None))
               if d is not None and d.isVisible()]
        canvas = self.window.centralWidget().height()
        if row and canvas - DOCK_HEIGHT + ROW_HEIGHT // 2 < CANVAS_LEAST:
            height = max(DOCK_HEIGHT, max(d.height() for d in row))
            self.replaced, self.shared = row, []
            for dock in row:
                dock.hide()
            self.dock.show()
            self.window.resizeDocks([self.dock], [height], Qt.Orientation.Vertical)
            return
        self.dock.show()
        docks = row[:1]
        self.shared = [(dock, dock.height()) for dock in docks]
        self.window.resizeDocks([*docks, self.dock], [ROW_HEIGHT] * len(docks) + [DOCK_HEIGHT],
                                Qt.Orientation.Vertical)

    def _visibility(self, _visible: bool) -> None:
        """Compare closed: the panels it stood in for come back, or the row it shared the
        bottom with takes its height again (not Compare's place too)."""
        if not self.dock.isHidden():
            if not (self.replaced or self.shared or self._arranging):  # shown from the View menu
                self._make_room()
            return
        replaced, self.replaced = self.replaced, []
        for dock in replaced:
            dock.show()
        shared, self.shared = self.shared, []
        if shared:
            self.window.resizeDocks([d for d, _ in shared], [h for _, h in shared],
                                    Qt.Orientation.Vertical)

    def shutdown(self) -> None:
        self.panel.shutdown()
