"""The weights a person can pick for the loss landscape: their names ("x1 → n3", "bias of n3",
"Dense d3 kernel[0, 1]") and a list model that names them only when shown (blocks have thousands)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt

from core.training.inside import block_name
from core.training.landscape import WeightRef, WeightTable
from gui.inspector.names import node_name


def weight_name(design, ref: WeightRef) -> str:
    if ref.kind == "wire":
        conn = design.connections.get(ref.owner)
        if conn is None:
            return ref.owner
        return f"{node_name(design, conn.source)} → {node_name(design, conn.target)}"
    if ref.kind == "bias":
        return f"bias of {node_name(design, ref.owner)}"
    owner = block_name(design, ref.owner) if ref.owner in design.nodes else ref.owner
    return f"{owner} {ref.param}[{', '.join(str(i) for i in ref.index)}]"


def widest_names(design, table: WeightTable | None) -> list[str]:
    """The names among which the widest of the table's is: every neuron's weight and bias, and
    each block array's last entry (the largest indices); a block's thousands are not named."""
    if table is None:
        return []
    last = [start + int(np.prod(shape)) - 1 for _nid, _op, _param, shape, start in table.blocks]
    return [weight_name(design, ref) for ref in table.neurons] + [
        weight_name(design, table[i]) for i in last]


class WeightListModel(QAbstractListModel):
    """Every weight of a WeightTable, named from the design as it is when a row is shown."""

    KEY_ROLE = Qt.ItemDataRole.UserRole

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.table: WeightTable | None = None
        self.design = None

    def set_table(self, table: WeightTable | None, design) -> None:
        self.beginResetModel()
        self.table, self.design = table, design
        self.endResetModel()

    def names_changed(self) -> None:
        """A node was renamed: the rows say so the next time they are drawn."""
        if self.rowCount():
            self.dataChanged.emit(self.index(0), self.index(self.rowCount() - 1))

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's
        return 0 if self.table is None or parent.isValid() else len(self.table)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if self.table is None or not index.isValid():
            return None
        ref = self.table[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return weight_name(self.design, ref)
        if role == self.KEY_ROLE:
            return ref.key
        return None
