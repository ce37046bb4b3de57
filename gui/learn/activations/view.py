"""Learn → Activation Explorer…: every activation the engine has, drawn with its slope and its
parameters on sliders (Curves), a table of formula, range, derivative and when to use each
(Table), and why a network needs them at all (Linear only)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.learn.activation_notes import activation_ids, note_for
from gui.learn.activations.curves import CurvesPage
from gui.learn.activations.linear import LinearPage
from gui.widgets.theme import icon

COLUMNS = ("Activation", "Formula", "Range", "Derivative", "When to use it")


def install(window) -> None:
    """The Learn menu's entry; the explorer is made the first time it is asked for."""
    action = QAction("Activation &Explorer…", window)
    action.setObjectName("activation_explorer_action")
    action.setIcon(icon("mdi6.chart-bell-curve-cumulative"))
    action.setProperty("icon_name", "mdi6.chart-bell-curve-cumulative")
    action.setStatusTip("every activation with its slope, its parameters and when to use it")
    action.triggered.connect(lambda _checked=False: show_explorer(window))
    window.learn_menu.addAction(action)


def show_explorer(window) -> ActivationExplorer:
    """Show (making it the first time) the window's explorer and bring it to the front."""
    explorer = window.findChild(ActivationExplorer)
    if explorer is None:
        explorer = ActivationExplorer(window)
    explorer.show()
    explorer.raise_()
    explorer.activateWindow()
    return explorer


class ActivationExplorer(QDialog):
    """A window beside the main one (not modal): Curves, Table and Linear only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("activation_explorer")
        self.setWindowTitle("Activation Explorer — Neural Canvas")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self.curves = CurvesPage()
        self.table = activation_table()
        self.linear = LinearPage()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.curves, "Curves")
        self.tabs.addTab(self.table, "Table")
        self.tabs.addTab(self.linear, "Linear only")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.tabs)
        self.resize(940, 640)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.linear.wait()  # at most a fraction of a second
        super().closeEvent(event)


class ActivationTable(QTableWidget):
    """A table whose wrapped rows take the height their text needs at the width they have."""

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.resizeRowsToContents()


def activation_table() -> QTableWidget:
    """One row per registered activation: its name, formula, range, derivative and uses."""
    ids = activation_ids()
    table = ActivationTable(len(ids), len(COLUMNS))
    table.setObjectName("activation_table")
    table.setHorizontalHeaderLabels(COLUMNS)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setWordWrap(True)
    table.setAlternatingRowColors(True)
    for row, activation_id in enumerate(ids):
        note = note_for(activation_id)
        texts = (note.label, note.formula, note.output_range, note.derivative, note.use)
        for col, text in enumerate(texts):
            item = QTableWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, activation_id)
            item.setTextAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            item.setToolTip(text)
            table.setItem(row, col, item)
    header = table.horizontalHeader()
    for col, width in enumerate((120, 190, 100, 190)):
        header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
        table.setColumnWidth(col, width)
    header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
    header.sectionResized.connect(lambda *_args: table.resizeRowsToContents())
    return table
