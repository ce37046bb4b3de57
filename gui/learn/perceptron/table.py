"""The walkthrough's labelled table: evenings' scores with go/stay labels, edited in place, and
beside each row what the perceptron says now."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import QComboBox, QSpinBox, QStyledItemDelegate

from core.learn.perceptron import CLASSES, INPUTS, SCORE_MAX
from gui.panels.plot_style import PlotColours

LABEL, SAYS = len(INPUTS), len(INPUTS) + 1
HEADERS = (*INPUTS, "label", "says")

Index = QModelIndex | QPersistentModelIndex


class LabelledTable(QAbstractTableModel):
    """Scores (0 to 4) and a label per row; `edited` after a person changes a cell."""

    edited = Signal()

    def __init__(self, X: np.ndarray, t: np.ndarray, parent=None) -> None:
        super().__init__(parent)
        self.X = np.array(X, dtype=np.float64)
        self.t = np.array(t, dtype=np.int64)
        self.says: np.ndarray | None = None  # the perceptron's decision per row
        self.presented: int | None = None  # the row presented last
        self.colours = PlotColours.from_palette()

    def set_table(self, X: np.ndarray, t: np.ndarray) -> None:
        self.beginResetModel()
        self.X, self.t = np.array(X, dtype=np.float64), np.array(t, dtype=np.int64)
        self.says, self.presented = None, None
        self.endResetModel()

    def show_outputs(self, says: np.ndarray, presented: int | None) -> None:
        self.says, self.presented = np.asarray(says), presented
        self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, SAYS))

    def restyle(self, colours: PlotColours) -> None:
        self.colours = colours
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, SAYS))

    # ------------------------------------------------------------------ the model
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self.X)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt override
                   role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return HEADERS[section] if orientation == Qt.Orientation.Horizontal else str(section + 1)

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return flags | Qt.ItemFlag.ItemIsEditable if index.column() <= LABEL else flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        row, col = index.row(), index.column()
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignCenter
        if role == Qt.ItemDataRole.EditRole:
            return int(self.X[row, col]) if col < LABEL else int(self.t[row]) if col == LABEL else None
        if role == Qt.ItemDataRole.DisplayRole:
            if col < LABEL:
                return str(int(self.X[row, col]))
            if col == LABEL:
                return CLASSES[self.t[row]]
            if self.says is None:
                return ""
            said = int(self.says[row])
            return f"{CLASSES[said]} {'✓' if said == self.t[row] else '✗'}"
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == LABEL:
                return QBrush(self.colours.class_colour(int(self.t[row])))
            if col == SAYS and self.says is not None and self.says[row] != self.t[row]:
                return QBrush(self.colours.class_colour(int(self.says[row])))
        if role == Qt.ItemDataRole.FontRole and (col == LABEL or row == self.presented):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if col < LABEL:
                return f"{INPUTS[col]}: a score from 0 to {SCORE_MAX} (double-click to change)"
            if col == LABEL:
                return "What should happen that evening (double-click to change)"
            return "What the perceptron decides now: ✓ right, ✗ wrong"
        return None

    def setData(self, index: Index, value, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        row, col = index.row(), index.column()
        if col < LABEL:
            try:
                score = int(value)
            except (TypeError, ValueError):
                return False
            if not 0 <= score <= SCORE_MAX or score != float(value):
                return False  # refused, not clamped: the editor allows only 0 to 4 anyway
            if score == self.X[row, col]:
                return True
            self.X[row, col] = score
        elif col == LABEL:
            label = CLASSES.index(value) if value in CLASSES else value
            if label not in (0, 1):
                return False
            if label == self.t[row]:
                return True
            self.t[row] = label
        else:
            return False
        self.dataChanged.emit(index, index)
        self.edited.emit()
        return True


class TableEditors(QStyledItemDelegate):
    """A spin box 0 to 4 for a score, a go/stay choice for a label."""

    def createEditor(self, parent, option, index):  # noqa: N802 - Qt override
        if index.column() == LABEL:
            editor = QComboBox(parent)
            editor.setObjectName("label_editor")
            editor.addItems(list(CLASSES))
            editor.activated.connect(lambda _i, e=editor: self._finish(e))
            return editor
        editor = QSpinBox(parent)
        editor.setObjectName("score_editor")
        editor.setRange(0, SCORE_MAX)
        editor.setAlignment(Qt.AlignmentFlag.AlignCenter)
        return editor

    def _finish(self, editor) -> None:
        self.commitData.emit(editor)
        self.closeEditor.emit(editor)

    def setEditorData(self, editor, index) -> None:  # noqa: N802 - Qt override
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(int(value))
        else:
            editor.setValue(int(value))

    def setModelData(self, editor, model, index) -> None:  # noqa: N802 - Qt override
        value = editor.currentIndex() if isinstance(editor, QComboBox) else editor.value()
        model.setData(index, value, Qt.ItemDataRole.EditRole)
