"""The CSV dialog's view of a file: its header and first rows read, whether its label is a class
or a number guessed, core.csv_import's problems one to a line, and the table model that shows it."""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from core.errors import DataError

PREVIEW_ROWS = 8  # rows of the file the table shows
SAMPLED_ROWS = 2000  # rows looked at to guess whether the label is a class or a number
FEW_CLASSES = 10  # a label of at most this many whole numbers is taken for a class


@dataclass(frozen=True)
class Preview:
    """What the dialog shows of a file before any column is chosen."""

    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (line number, cells) of the first rows
    count: int  # data rows in the file
    sampled: tuple[tuple[str, ...], ...]  # the first SAMPLED_ROWS rows, to guess the task from


def read_preview(path: str) -> Preview:
    """The header and first rows of a CSV file; DataError when it cannot be read at all."""
    name = os.path.basename(path)
    header: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[str, ...]]] = []
    sampled: list[tuple[str, ...]] = []
    count = 0
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            try:
                for row in reader:
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue
                    cells = tuple(cell.strip() for cell in row)
                    if header is None:
                        header = cells
                        continue
                    count += 1
                    if len(rows) < PREVIEW_ROWS:
                        rows.append((reader.line_num, cells))
                    if len(sampled) < SAMPLED_ROWS:
                        sampled.append(cells)
            except csv.Error as exc:
                raise DataError(f"{name}, line {reader.line_num}: {exc}") from None
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, not a CSV file") from None
    except UnicodeDecodeError:
        raise DataError(f"{name}: is not UTF-8 text") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror})") from None
    if header is None:
        raise DataError(f"{name}: the file is empty; it needs a header row and data rows")
    return Preview(header, tuple(rows), count, tuple(sampled))


def guess_task(preview: Preview, label: str) -> str:
    """Classification for words or a few whole numbers in the label column, regression else."""
    if label not in preview.header:
        return "classification"
    column = preview.header.index(label)
    values = [row[column] for row in preview.sampled if column < len(row) and row[column]]
    try:
        numbers = [float(v) for v in values]
    except ValueError:
        return "classification"
    whole = all(n.is_integer() for n in numbers)
    return "classification" if whole and len(set(numbers)) <= FEW_CLASSES else "regression"


def split_problems(message: str, filename: str) -> list[str]:
    """core.csv_import's one message (problems joined by '; ') as one line per problem, without
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
