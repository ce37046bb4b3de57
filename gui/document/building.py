"""The Document's bigger edits, each one undo step: a layer or a column of nodes, wiring the
columns of a selection, the automatic layout, and a Dense block expanded into its neurons or a
column of neurons collapsed into one (a part of Document: it needs its undo stack, `push`,
`add_node`, `connect`, `move` and the `refused` signal)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core.compiler import regroup
from core.design.design import Design, layered_positions
from core.design.graph_order import topological_order
from gui.document import commands


class BuildingEdits:
    """Edits that build several things at once (mixed into Document)."""

    def add_layer(self, count: int, previous: list[str], position: tuple[float, float],
                  activation: str = "tanh", spacing: float = 70.0) -> list[str]:
        """A column of `count` neurons at `position`, fully connected from `previous`."""
        text = f"Add a layer of {count} neurons"
        self.undo_stack.beginMacro(text)
        try:
            ids = self.add_column("neuron", [{"activation": activation}] * count, position, text,
                                  spacing)
            for source in previous:
                for target in ids:
                    self.connect(source, target)
        finally:
            self.undo_stack.endMacro()
        return ids

    def add_column(self, kind: str, params: list[Mapping[str, Any]], position: tuple[float, float],
                   text: str, spacing: float = 70.0) -> list[str]:
        """A column of nodes of one kind, one per entry of `params`, centred on `position`: one
        undo step named `text`."""
        ids: list[str] = []
        self.undo_stack.beginMacro(text)
        try:
            for i, node_params in enumerate(params):
                y = position[1] + (i - (len(params) - 1) / 2) * spacing
                ids.append(self.add_node(kind, (position[0], y), node_params))
        finally:
            self.undo_stack.endMacro()
        return ids

    def fully_connect(self, node_ids: Iterable[str]) -> int:
        """Group the nodes into columns by x and wire each column to the next; returns the count."""
        columns = _columns(self.design, node_ids)
        made = 0
        self.undo_stack.beginMacro("Fully connect")
        try:
            for left, right in zip(columns, columns[1:], strict=False):
                for source in left:
                    for target in right:
                        if not self.connection_problem(source, target):
                            self.connect(source, target)
                            made += 1
        finally:
            self.undo_stack.endMacro()
        return made

    def auto_layout(self) -> None:
        """Place nodes in columns by depth, left to right, each column centred."""
        design = self.design
        depth: dict[str, int] = {}

        order, _ = topological_order(design)
        incoming = design.incoming_by_node()
        for node_id in order or list(design.nodes):
            sources = [c.source for c in incoming[node_id]]
            depth[node_id] = 1 + max((depth.get(s, 0) for s in sources), default=-1)
        columns: dict[int, list[str]] = {}
        for node_id in design.nodes:
            columns.setdefault(depth[node_id], []).append(node_id)
        positions = layered_positions([columns[d] for d in sorted(columns)])
        self.move({n: (design.nodes[n].position, p) for n, p in positions.items()})

    def expand_dense(self, node_id: str) -> list[str]:
        """Replace a Dense block by its column of neurons, weights carried over (one undo step).

        Returns the new neurons' ids, or [] when refused: `refused` then says why (a block fed by a
        Data node or another block, …; see core.compiler.regroup.plan_expansion)."""
        try:
            plan = regroup.plan_expansion(self.design, node_id)
        except regroup.RegroupError as exc:
            self.refused.emit(f"Cannot expand into neurons: {exc}")
            return []
        self._regroup(plan, f"Expand into {len(plan.nodes)} neurons")
        return plan.created

    def collapse_to_dense(self, node_ids: Iterable[str]) -> str | None:
        """Replace one column of neurons by a Dense block with their weights (one undo step).

        Returns the block's id, or None when refused: `refused` then says why (not one column, a
        neuron downstream, …; see core.compiler.regroup.plan_collapse)."""
        try:
            plan = regroup.plan_collapse(self.design, node_ids)
        except regroup.RegroupError as exc:
            self.refused.emit(f"Cannot collapse into a Dense block: {exc}")
            return None
        self._regroup(plan, f"Collapse {len(plan.remove)} neurons into a Dense block")
        return plan.created[0]

    def _regroup(self, plan: regroup.Regroup, text: str) -> None:
        self.undo_stack.beginMacro(text)
        try:
            self.push(commands.RemoveItems(self.design, list(plan.remove), [], text))
            for node in plan.nodes:  # each where the one it replaces stood (core.compiler.regroup: places)
                self.push(commands.AddNode(self.design, node, text, plan.parameters.get(node.id),
                                           plan.places.get(node.id)))
            for conn in plan.connections:
                self.push(commands.AddConnection(self.design, conn, text, plan.places.get(conn.id)))
            for node_id, arrays in plan.reordered.items():
                self.push(commands.SetBlockWeights(self.design, node_id, arrays, text))
        finally:
            self.undo_stack.endMacro()


def _columns(design: Design, node_ids: Iterable[str]) -> list[list[str]]:
    """Nodes grouped by x position (within half a column's width), left to right."""
    nodes = sorted((design.nodes[n] for n in node_ids if n in design.nodes),
                   key=lambda n: (n.position[0], n.position[1]))
    columns: list[list[str]] = []
    last_x = None
    for node in nodes:
        if last_x is None or node.position[0] - last_x > 40:
            columns.append([])
            last_x = node.position[0]
        columns[-1].append(node.id)
    return columns
