"""The inspector's pages for one node, one connection, or a multiple selection."""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QStyledItemDelegate,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.design import registry
from core.design.names import MAX_LABEL
from gui.canvas.palette import feature_choices
from gui.document.document import Document
from gui.inspector.names import design_order, node_name
from gui.inspector.params import ParamForm
from gui.widgets.fields import NumberEdit, TextField, format_number
from gui.widgets.refusals import clear_refusal, number_problem, refuse

HINT_STYLE = "color: palette(placeholder-text);"


def hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(HINT_STYLE)
    return label


def form_layout(parent: QWidget) -> QFormLayout:
    form = QFormLayout(parent)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return form


class Page(QWidget):
    """One page of the inspector; `refresh` shows the design again and says whether its subject exists."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(0, 0, 0, 0)

    def refresh(self) -> bool:
        return True

    def concerns(self, problem) -> bool:
        """Whether a validation problem is about what this page shows."""
        return False


class NodePage(Page):
    """A neuron, an input or any block: its name and a form generated from its kind's parameters."""

    def __init__(self, document: Document, node_id: str, parent: QWidget | None = None) -> None:
        super().__init__(document, parent)
        self.node_id = node_id
        node = document.design.nodes[node_id]
        kind = registry.blocks.get(node.kind)
        box = QGroupBox(kind.label)
        box.setObjectName("node")
        self.body.addWidget(box)
        form = form_layout(box)
        form.addRow(hint(kind.description))
        self.name = TextField(placeholder=node_id)
        self.name.setObjectName("name")
        self.name.setMaxLength(MAX_LABEL)
        self.name.setToolTip("The name shown on the canvas (empty: its id)")
        self.name.edited.connect(lambda text: self.document.rename(self.node_id, text))
        form.addRow("Name", self.name)
        self.features = feature_choices(document.design) if node.kind == "input" else []
        self.params = ParamForm(form, kind, self._commit, self.features)
        # what the design, not the compiler, decides: what a softmax spans, the order of inputs
        self.rule = hint("")
        self.rule.setObjectName("rule")
        form.addRow(self.rule)
        self.incoming: IncomingTable | None = None
        if node.kind == "neuron":
            weights = QGroupBox("Incoming weights")
            self.body.addWidget(weights)
            box_layout = QVBoxLayout(weights)
            self.incoming = IncomingTable(document, node_id)
            self.incoming.setObjectName("incoming")
            box_layout.addWidget(self.incoming)
            box_layout.addWidget(hint("Double-click a weight to type it; an empty one is drawn "
                                      "from the seed when training starts."))
        self.body.addStretch(1)
        self.refresh()

    def refresh(self) -> bool:
        node = self.document.shown_design().nodes.get(self.node_id)  # a run's live bias too
        if node is None:
            return False
        self.name.set_value(node.label)
        if node.kind == "input":  # the data set may have changed: offer its columns
            features = feature_choices(self.document.design)
            if features != self.features:
                self.features = features
                self.params.fields["feature"].set_items((f, t, f, None) for f, t in features)
        self.params.refresh(node.params)
        if self.incoming is not None:
            self.incoming.refresh()
        text = self._rule_text(node)
        self.rule.setText(text)
        self.rule.setVisible(bool(text))
        return True

    def _rule_text(self, node) -> str:
        """A softmax neuron's rule, or the order in which a block takes several inputs."""
        if node.kind == "neuron":
            name = node.params.get("activation")
            activation = registry.activations.get(name) if name in registry.activations else None
            if activation is None or activation.elementwise:
                return ""
            return (f"{activation.label} on neurons normalises all the output neurons together. "
                    f"A hidden neuron cannot have it: use a Dense block with {activation.label}.")
        wires = self.document.design.incoming(self.node_id)
        if node.kind in ("input", "data") or len(wires) < 2:
            return ""
        names = ", ".join(node_name(self.document.design, c.source) for c in wires)
        return f"Takes its inputs in the order their wires were connected: {names}."

    def concerns(self, problem) -> bool:
        return self.node_id in problem.node_ids

    def _commit(self, text: str = "Change", **changes) -> None:
        if self.node_id in self.document.design.nodes:
            self.document.set_node_params(self.node_id, text=text, **changes)


class UnsetWeightDelegate(QStyledItemDelegate):
    """Draws an unset (empty) weight as a faint "from seed"."""

    def initStyleOption(self, option, index) -> None:  # noqa: N802 (Qt override)
        super().initStyleOption(option, index)
        if not option.text:
            option.text = "from seed"
            faint = option.palette.color(QPalette.ColorRole.PlaceholderText)
            option.palette.setColor(QPalette.ColorRole.Text, faint)


class IncomingTable(QTableWidget):
    """A neuron's incoming connections: where each comes from and its weight (editable)."""

    def __init__(self, document: Document, node_id: str, parent: QWidget | None = None) -> None:
        super().__init__(0, 2, parent)
        self.document, self.node_id = document, node_id
        self._refreshing = False
        self.connection_ids: list[str] = []
        self.setHorizontalHeaderLabels(["From", "Weight"])
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(24)
        self.setItemDelegateForColumn(1, UnsetWeightDelegate(self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                             | QAbstractItemView.EditTrigger.EditKeyPressed
                             | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.setAlternatingRowColors(True)
        self.cellChanged.connect(self._cell_changed)

    def refresh(self) -> None:
        design = self.document.shown_design()  # a run's live weights too
        order = design_order(design)  # the sources in the design's order, as every view lists them
        wires = sorted(design.incoming(self.node_id), key=lambda c: order.get(c.source, -1))
        self._refreshing = True
        try:
            ids = [c.id for c in wires]
            if ids != self.connection_ids:
                self.setRowCount(len(ids))
                self.connection_ids = ids
            for row, conn in enumerate(wires):
                source = self._cell(row, 0, editable=False)
                source.setText(node_name(self.document.design, conn.source))
                source.setToolTip(f"{conn.source} → {self.node_id} ({conn.id})")
                weight = self._cell(row, 1, editable=True)
                if weight.text() != format_number(conn.weight):
                    weight.setText(format_number(conn.weight))
        finally:
            self._refreshing = False
        self.setFixedHeight(self._height())

    def _cell(self, row: int, column: int, editable: bool) -> QTableWidgetItem:
        item = self.item(row, column)
        if item is None:
            item = QTableWidgetItem()
            if editable:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setToolTip("Type a number; empty: drawn from the seed")
            else:
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            self.setItem(row, column, item)
        return item

    def _height(self) -> int:
        rows = sum(self.rowHeight(r) for r in range(min(self.rowCount(), 8)))
        return self.horizontalHeader().height() + rows + 2 * self.frameWidth() + 2

    def _cell_changed(self, row: int, column: int) -> None:
        if self._refreshing or column != 1 or row >= len(self.connection_ids):
            return
        conn_id = self.connection_ids[row]
        text = self.item(row, 1).text().strip()
        reason = number_problem(text, optional=True)
        if reason:  # said under the table, as every field says it; the design keeps its weight
            conn = self.document.design.connections.get(conn_id)
            kept = format_number(conn.weight) if conn is not None else ""
            source = self.item(row, 0).text()
            refuse(self, f"the weight from {source}: {reason} (kept {kept})" if kept else
                   f"the weight from {source}: {reason} (left to the seed)")
        else:
            clear_refusal(self)
            if conn_id in self.document.design.connections:
                self.document.set_weight(conn_id, float(text.replace("\u2212", "-")) if text else None)
        self.refresh()  # show the design's value: the new one, or the old one after a refused text


class ConnectionPage(Page):
    """One connection: its two ends and, for a wire into a neuron, its weight."""

    def __init__(self, document: Document, connection_id: str, parent: QWidget | None = None) -> None:
        super().__init__(document, parent)
        self.connection_id = connection_id
        conn = document.design.connections[connection_id]
        box = QGroupBox("Connection")
        self.body.addWidget(box)
        form = form_layout(box)
        self.source, self.target = QLabel(), QLabel()
        form.addRow("From", self.source)
        form.addRow("To", self.target)
        target = document.design.nodes[conn.target]
        self.weight: NumberEdit | None = None
        if registry.blocks.get(target.kind).granularity == "neuron":
            self.weight = NumberEdit(optional=True, placeholder="from the seed")
            self.weight.setObjectName("weight")
            self.weight.setToolTip("The wire's weight; empty: drawn from the seed when training starts")
            self.weight.edited.connect(self._weight_edited)
            form.addRow("Weight", self.weight)
        else:
            form.addRow(hint("A wire into a layer carries no single weight: the layer holds them."))
        self.body.addStretch(1)
        self.refresh()

    def refresh(self) -> bool:
        conn = self.document.shown_design().connections.get(self.connection_id)  # live too
        if conn is None:
            return False
        self.source.setText(node_name(self.document.design, conn.source))
        self.target.setText(node_name(self.document.design, conn.target))
        if self.weight is not None:
            self.weight.set_value(conn.weight)
        return True

    def concerns(self, problem) -> bool:
        return self.connection_id in problem.connection_ids

    def _weight_edited(self, value) -> None:
        if self.connection_id in self.document.design.connections:
            self.document.set_weight(self.connection_id, value)


class SummaryPage(Page):
    """Several things selected: how many of each."""

    def __init__(self, document: Document, node_ids: list[str], connection_ids: list[str],
                 parent: QWidget | None = None) -> None:
        super().__init__(document, parent)
        self.node_ids, self.connection_ids = list(node_ids), list(connection_ids)
        box = QGroupBox("Selection")
        self.body.addWidget(box)
        inner = QVBoxLayout(box)
        self.label = QLabel()
        self.label.setWordWrap(True)
        inner.addWidget(self.label)
        self.body.addStretch(1)
        self.refresh()

    def refresh(self) -> bool:
        self.label.setText(selection_summary(self.document, self.node_ids, self.connection_ids))
        return True

    def concerns(self, problem) -> bool:
        return bool(set(problem.node_ids) & set(self.node_ids)
                    or set(problem.connection_ids) & set(self.connection_ids))


def selection_summary(document: Document, node_ids: list[str], connection_ids: list[str]) -> str:
    """'3 neurons, 2 connections selected'."""
    design = document.design
    counts: Counter[str] = Counter()
    for node_id in node_ids:
        node = design.nodes.get(node_id)
        if node is not None:
            kind = registry.blocks.get(node.kind)
            counts["input" if kind.category == "inputs" else kind.label.lower()] += 1
    parts = [f"{count} {word}{'' if count == 1 else 's'}" for word, count in counts.items()]
    n_conn = sum(1 for c in connection_ids if c in design.connections)
    if n_conn:
        parts.append(f"{n_conn} connection{'' if n_conn == 1 else 's'}")
    return (", ".join(parts) or "Nothing") + " selected"
