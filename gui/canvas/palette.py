"""What can be placed: inputs, neurons and layers, dragged onto the canvas as registry ids."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import qtawesome as qta
from PySide6.QtCore import QEvent, QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QColor, QDrag, QIcon, QPalette
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from core.compiler.validation import load_cached_dataset
from core.design import registry
from core.design.design import Design
from core.design.errors import DataError
from gui.document.document import Document

KIND_MIME = "application/x-neuralcanvas-kind"
MAX_COLUMN_ENTRIES = 16  # more columns than this (digits' 64 pixels): place the Data node instead

FEATURE_ICON = "mdi6.alpha-x-circle-outline"
COLUMN_ICON = "mdi6.table-column"
DATA_ICON = "mdi6.database-outline"
HIDDEN_ICON = "mdi6.circle-outline"
OUTPUT_ICON = "mdi6.circle-double"
LAYER_ICON = "mdi6.view-column-outline"

# (feature expression, how it is shown, what it is for, icon)
FEATURES: tuple[tuple[str, str, str, str], ...] = (
    ("x1", "x1", "x1: the first coordinate of each point, as it is", FEATURE_ICON),
    ("x2", "x2", "x2: the second coordinate of each point, as it is", FEATURE_ICON),
    ("x1^2", "x1²", "x1²: the square of x1 — lets a single neuron draw a circle", "mdi6.exponent"),
    ("x2^2", "x2²", "x2²: the square of x2 — with x1², a single neuron can draw a circle",
     "mdi6.exponent"),
    ("x1*x2", "x1·x2", "x1·x2: the product — positive where x1 and x2 share a sign, which solves XOR",
     "mdi6.multiplication"),
    ("sin(x1)", "sin x1", "sin x1: waves along x1 — helps with stripes and spirals", "mdi6.sine-wave"),
    ("sin(x2)", "sin x2", "sin x2: waves along x2 — helps with stripes and spirals", "mdi6.sine-wave"),
)
FEATURE_NAMES = frozenset(f[0] for f in FEATURES)
GROUPS = (("inputs", "Inputs"), ("neurons", "Neurons"), ("layers", "Layers"))


@dataclass(frozen=True)
class PaletteEntry:
    """One thing that can be placed: a registry kind with its starting parameters and label."""

    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""
    text: str = ""  # what the palette shows
    tooltip: str = ""
    icon: str = ""  # a qtawesome name
    group: str = "layers"
    fits: bool = True  # False: the current data set lacks what it needs (shown greyed, still placeable)

    def payload(self) -> dict[str, Any]:
        return {"kind": self.kind, "params": dict(self.params), "label": self.label}


def entry_mime(entry: PaletteEntry | Mapping[str, Any]) -> QMimeData:
    """The drag's data: UTF-8 JSON {"kind", "params", "label"} under KIND_MIME."""
    payload = entry.payload() if isinstance(entry, PaletteEntry) else dict(entry)
    mime = QMimeData()
    mime.setData(KIND_MIME, json.dumps(payload).encode("utf-8"))
    return mime


def dataset_columns(design: Design) -> tuple[str, ...] | None:
    """The current data set's column names, or None when it cannot be loaded as set."""
    choice = design.dataset
    try:
        return tuple(load_cached_dataset(choice.name, dict(choice.params), choice.seed).feature_names)
    except (DataError, OSError, ValueError, KeyError):
        return None


def feature_choices(design: Design) -> list[tuple[str, str]]:
    """(feature, shown text) for an input node: the engineered features and the data set's columns."""
    columns = dataset_columns(design) or ()
    choices = [(f, shown) for f, shown, _tip, _icon in FEATURES]
    choices += [(c, c) for c in columns if c not in FEATURE_NAMES]
    return choices


def palette_entries(design: Design) -> list[PaletteEntry]:
    """Everything the palette offers for this design, in order, each tagged with its group."""
    columns = dataset_columns(design)
    has_xy = columns is None or {"x1", "x2"} <= set(columns)
    entries = []
    for feature, shown, tip, icon in FEATURES:
        if not has_xy:
            tip += " (the current data set has no x1 and x2)"
        entries.append(PaletteEntry("input", {"feature": feature}, shown, shown, tip, icon, "inputs",
                                    fits=has_xy))
    extra = [c for c in columns or () if c not in FEATURE_NAMES]
    if len(extra) <= MAX_COLUMN_ENTRIES:
        for column in extra:
            entries.append(PaletteEntry("input", {"feature": column}, column, column,
                                        f"{column}: a column of the data set, as it is",
                                        COLUMN_ICON, "inputs"))
    data = registry.blocks.get("data")
    data_tip = data.description
    if len(extra) > MAX_COLUMN_ENTRIES:
        data_tip += f" Use it for this data set's {len(columns)} columns."
    entries.append(PaletteEntry("data", {}, "", data.label, data_tip, data.icon or DATA_ICON, "inputs"))
    neuron = registry.blocks.get("neuron")
    entries.append(PaletteEntry("neuron", {"activation": "tanh"}, "", "Hidden neuron",
                                f"A hidden neuron (tanh). {neuron.description}", HIDDEN_ICON, "neurons"))
    entries.append(PaletteEntry("neuron", {"activation": "sigmoid"}, "", "Output neuron",
                                "An output neuron (sigmoid): a probability between 0 and 1 for "
                                "one class.", OUTPUT_ICON, "neurons"))
    for key, kind in registry.blocks.items():
        if kind.category == "layers":
            entries.append(PaletteEntry(key, kind.default_params(), "", kind.label, kind.description,
                                        kind.icon or LAYER_ICON, "layers"))
    return entries


def entry_icon(name: str, color: QColor | None = None, fallback: str = LAYER_ICON) -> QIcon:
    """The qtawesome icon of that name, or the fallback when the name is unknown."""
    options = {} if color is None else {"color": color}
    try:
        return qta.icon(name, **options)
    except Exception:  # qtawesome raises its own error types for unknown names
        return qta.icon(fallback, **options)


class PaletteTree(QTreeWidget):
    """The tree inside the palette: its drags carry KIND_MIME."""

    entry_activated = Signal(object)  # PaletteEntry

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setIndentation(12)
        self.setIconSize(QSize(20, 20))
        self.setStyleSheet("QTreeView::item { padding: 3px 2px; }")
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.itemDoubleClicked.connect(self._double_clicked)

    @staticmethod
    def entry(item: QTreeWidgetItem | None) -> PaletteEntry | None:
        return None if item is None else item.data(0, Qt.ItemDataRole.UserRole)

    def mimeTypes(self) -> list[str]:  # noqa: N802 (Qt override)
        return [KIND_MIME]

    def mimeData(self, items) -> QMimeData:  # noqa: N802
        entries = [self.entry(item) for item in items]
        entries = [e for e in entries if e is not None]
        return entry_mime(entries[0]) if entries else QMimeData()

    def startDrag(self, actions) -> None:  # noqa: N802
        entry = self.entry(self.currentItem())
        if entry is None:
            return
        drag = QDrag(self)
        drag.setMimeData(entry_mime(entry))
        drag.setPixmap(entry_icon(entry.icon).pixmap(QSize(32, 32)))
        drag.exec(Qt.DropAction.CopyAction)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        entry = self.entry(self.currentItem())
        if entry is not None and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.entry_activated.emit(entry)
            return
        super().keyPressEvent(event)

    def _double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        entry = self.entry(item)
        if entry is not None:
            self.entry_activated.emit(entry)


class Palette(QWidget):
    """Groups of things to place; drag one onto the canvas, or double-click it to add it at the centre."""

    add_requested = Signal(dict)  # {"kind", "params", "label"}: the same payload a drag carries

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.tree = PaletteTree(self)
        self.tree.entry_activated.connect(lambda entry: self.add_requested.emit(entry.payload()))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        self._columns: tuple[str, ...] | None = ()
        self._built = False  # the tree is filled (a palette change before that has nothing to recolour)
        document.design_replaced.connect(self.rebuild)
        document.settings_changed.connect(self._settings_changed)
        self.rebuild()

    def groups(self) -> dict[str, QTreeWidgetItem]:
        """The group items by title ("Inputs", "Neurons", "Layers")."""
        return {self.tree.topLevelItem(i).text(0): self.tree.topLevelItem(i)
                for i in range(self.tree.topLevelItemCount())}

    def entries(self) -> list[PaletteEntry]:
        return [self.tree.entry(item) for item in self.items()]

    def items(self) -> list[QTreeWidgetItem]:
        """Every entry's item, group by group."""
        return [group.child(j) for group in self.groups().values() for j in range(group.childCount())]

    def rebuild(self) -> None:
        """Fill the tree afresh from the registry and the current data set."""
        self._columns = dataset_columns(self.document.design)
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for key, title in GROUPS:
            group = QTreeWidgetItem(self.tree, [title])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            groups[key] = group
        text = self.palette().color(QPalette.ColorRole.WindowText)
        faint = self.palette().color(QPalette.ColorRole.PlaceholderText)
        for entry in palette_entries(self.document.design):
            item = QTreeWidgetItem(groups.get(entry.group, groups["layers"]), [entry.text])
            item.setIcon(0, entry_icon(entry.icon, text if entry.fits else faint))
            if not entry.fits:
                item.setForeground(0, faint)
            item.setToolTip(0, entry.tooltip)
            item.setData(0, Qt.ItemDataRole.UserRole, entry)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                          | Qt.ItemFlag.ItemIsDragEnabled)
        self.tree.expandAll()
        self._built = True

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and getattr(self, "_built", False):
            # light ↔ dark: recolour the icons
            self.rebuild()

    def _settings_changed(self, what: str) -> None:
        if what == "dataset" and dataset_columns(self.document.design) != self._columns:
            self.rebuild()
