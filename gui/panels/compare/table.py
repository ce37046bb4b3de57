"""The comparison's numbers: each variant's record (its values, colour, history and state) and
the table of them, sortable by final test loss, accuracy, epoch reached or state, diverged
variants marked; the records as CSV, one row per variant per epoch."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from core.interchange.tables import table_csv
from core.training.ensemble_group import VariantReport
from gui.panels.compare.grid import Variant, describe

METRIC_KEYS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "train_r2", "test_r2",
               "learning_rate")
STATES = {"training": "training", "paused": "paused", "finished": "finished",
          "diverged": "diverged", "waiting": "not started"}
STATE_ORDER = {"finished": 0, "paused": 1, "training": 1, "waiting": 2, "diverged": 3}


def variant_colour(index: int, count: int) -> QColor:
    """One colour per variant, hues spread evenly (at least 8 apart, so that few stay distinct)."""
    return pg.intColor(index, hues=max(count, 8), values=1, maxValue=215, minValue=150, sat=200)


@dataclass
class VariantRecord:
    """One variant as the view knows it: filled from the run's reports."""

    index: int
    labels: dict[str, Any]
    changes: dict[str, Any]
    colour: QColor
    history: list[dict[str, Any]] = field(default_factory=list)
    state: str = "waiting"
    reason: str = ""
    epoch: int = 0

    @property
    def name(self) -> str:
        return describe(self.labels) or "the design as it is"

    def last(self, key: str) -> float | None:
        value = self.history[-1].get(key) if self.history else None
        return None if value is None or not math.isfinite(value) else float(value)

    def take(self, report: VariantReport) -> None:
        if report.metrics is not None and report.epoch > self.epoch:
            values = {"epoch": report.epoch}
            values.update({k: getattr(report.metrics, k) for k in METRIC_KEYS})
            self.history.append(values)
        self.epoch = max(self.epoch, report.epoch)
        if report.state == "diverged" or self.state != "diverged":
            self.state, self.reason = report.state, report.reason


def make_records(variants: list[Variant]) -> list[VariantRecord]:
    return [VariantRecord(i, dict(v.labels), dict(v.changes), variant_colour(i, len(variants)))
            for i, v in enumerate(variants)]


def records_csv(records: list[VariantRecord]) -> bytes:
    """One row per variant per epoch: the variant, its values, its state, the epoch's metrics
    (a variant not trained an epoch yet: one row with its values alone)."""
    axes = list(dict.fromkeys(k for r in records for k in r.labels))
    header = ["variant", *axes, "state", "epoch", *METRIC_KEYS[:-1], "rate_this_epoch"]
    rows = []
    for r in records:
        front = [r.index, *(r.labels.get(a) for a in axes), r.state]
        for epoch in r.history or [{}]:
            rows.append([*front, epoch.get("epoch"), *(epoch.get(k) for k in METRIC_KEYS)])
    return table_csv(header, rows)


class VariantTable(QAbstractTableModel):
    """The records as rows; `sort` keeps its order as new epochs come (missing values last)."""

    HEADERS = ("", "variant", "epoch", "train loss", "test loss", "test accuracy", "state")
    KEYS = (None, None, None, "train_loss", "test_loss", "test_accuracy", None)

    def __init__(self, records: list[VariantRecord] | None = None) -> None:
        super().__init__()
        self.records: list[VariantRecord] = records or []
        self.order = list(range(len(self.records)))
        self.sort_column, self.sort_order = 4, Qt.SortOrder.AscendingOrder
        self.metric = "test_accuracy"  # or "test_r2" for a regression

    def set_records(self, records: list[VariantRecord]) -> None:
        self.beginResetModel()
        self.records = records
        self.order = list(range(len(records)))
        self.metric = "test_accuracy"
        self.endResetModel()
        self.refresh()

    def record_at(self, row: int) -> VariantRecord:
        return self.records[self.order[row]]

    def row_of(self, index: int) -> int:
        return self.order.index(index)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if section == 5:
                return "test R²" if self.metric == "test_r2" else "test accuracy"
            return self.HEADERS[section]
        return None

    def value(self, record: VariantRecord, column: int) -> Any:
        if column == 0:
            return record.index + 1
        if column == 1:
            return record.name
        if column == 2:
            return record.epoch
        if column == 6:
            return STATES.get(record.state, record.state)
        return record.last(self.metric if column == 5 else self.KEYS[column])

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        record, column = self.record_at(index.row()), index.column()
        diverged = record.state == "diverged"
        if role == Qt.ItemDataRole.DisplayRole:
            value = self.value(record, column)
            if value is None:
                return "—"
            if column == 5 and self.metric == "test_accuracy":
                return f"{value:.1%}"
            if isinstance(value, float):
                return f"{value:.4g}"
            return f"{value:,}" if isinstance(value, int) else value
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return record.colour
        if role == Qt.ItemDataRole.ForegroundRole and diverged and column == 6:
            return QBrush(QColor(214, 39, 40))
        if role == Qt.ItemDataRole.FontRole and diverged and column == 6:
            bold = QFont()
            bold.setBold(True)
            return bold
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{record.name}: {record.reason}" if record.reason else record.name
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, 2, 3, 4, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        self.sort_column, self.sort_order = column, order
        self.layoutAboutToBeChanged.emit()
        self._sort()
        self.layoutChanged.emit()

    def _sort(self) -> None:
        column, descending = self.sort_column, self.sort_order == Qt.SortOrder.DescendingOrder

        def key(i: int):
            record = self.records[i]
            if column == 6:
                value: Any = STATE_ORDER.get(record.state, 2)
            else:
                value = self.value(record, column)
            if value is None:
                return (1, 0, i)  # missing: last, whichever the order
            if isinstance(value, str):
                return (0, value, i)
            return (0, -value if descending else value, i)

        if column == 1 and descending:
            self.order = sorted(range(len(self.records)), key=key, reverse=True)
        else:
            self.order = sorted(range(len(self.records)), key=key)

    def refresh(self) -> None:
        """New epochs arrived: the metric's name, the order and every cell again."""
        last = next((r.history[-1] for r in self.records if r.history), None)
        metric = ("test_r2" if last is not None and last.get("train_r2") is not None
                  and last.get("train_accuracy") is None else "test_accuracy")
        if metric != self.metric:
            self.metric = metric
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 5, 5)
        self.sort(self.sort_column, self.sort_order)
        if self.records:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.records) - 1,
                                                                len(self.HEADERS) - 1))
