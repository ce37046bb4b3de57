"""The CSV dialog's view of a file (read by core.data.csv_import.read_preview): core.data.csv_import's
problems one to a line, and the table model that shows the first rows."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from core.data.csv_import import Preview


def split_problems(message: str, filename: str) -> list[str]:
    """core.data.csv_import's one message (problems joined by '; ') as one line per problem, without
    the file's name in front (the dialog names the file once)."""
    starts = rf"; (?={re.escape(filename)}[,:]|… and )"
    problems = re.split(starts, message) if filename else [message]
    out = []
    for text in problems:
        for prefix in (f"{filename}, ", f"{filename}: "):
            if filename and text.startswith(prefix):
                text = text[len(prefix):]
        out.append(text[:1].upper() + text[1:])
    return out


class PreviewModel(QAbstractTableModel):
    """The first rows of the file: column names across, line numbers down; the label column
    tinted, columns left out greyed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preview: Preview | None = None
        self.label = ""
        self.features: set[str] = set()

    def show(self, preview: Preview | None) -> None:
        self.beginResetModel()
        self.preview = preview
        self.endResetModel()

    def set_choice(self, label: str, features: set[str]) -> None:
        self.label, self.features = label, set(features)
        if self.preview is not None and self.preview.header:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(max(len(self.preview.rows) - 1, 0),
                                             len(self.preview.header) - 1))
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.preview.header) - 1)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if self.preview is None or parent.isValid() else len(self.preview.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if self.preview is None or parent.isValid() else len(self.preview.header)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.preview is None or not index.isValid():
            return None
        cells = self.preview.rows[index.row()][1]
        name = self.preview.header[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cells[index.column()] if index.column() < len(cells) else ""
        if role == Qt.ItemDataRole.ForegroundRole and name != self.label \
                and name not in self.features:
            return QApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        if role == Qt.ItemDataRole.BackgroundRole and name == self.label:
            colour = QColor(QApplication.palette().color(QPalette.ColorRole.Highlight))
            colour.setAlpha(40)
            return colour
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.preview is None:
            return None
        if orientation == Qt.Orientation.Vertical:
            if role == Qt.ItemDataRole.DisplayRole and section < len(self.preview.rows):
                return str(self.preview.rows[section][0])
            if role == Qt.ItemDataRole.ToolTipRole:
                return "The line of the file"
            return None
        if section >= len(self.preview.header):
            return None
        name = self.preview.header[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{name} (label)" if name == self.label else name
        if role == Qt.ItemDataRole.FontRole and name == self.label:
            font = QFont()
            font.setBold(True)
            return font
        return None
