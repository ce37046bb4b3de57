"""The undo commands: each redo/undo calls design operations and nothing else."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from PySide6.QtGui import QUndoCommand

from core.design.design import Connection, Design, Node


class AddNode(QUndoCommand):
    """A node added (at the end, or `in_place_of` one removed before it: see Design.insert_node)."""

    def __init__(self, design: Design, node: Node, text: str = "",
                 parameters: Mapping[str, Any] | None = None,
                 in_place_of: tuple[str, int] | None = None) -> None:
        super().__init__(text or f"Add {node.kind}")
        self.design, self.node, self.parameters = design, node, parameters
        self.in_place_of = in_place_of

    def redo(self) -> None:
        self.design.insert_node(self.node, self.parameters, self.in_place_of)

    def undo(self) -> None:
        self.design.remove_node(self.node.id)


class AddConnection(QUndoCommand):
    """A wire added (at the end, or `in_place_of` one removed before it: a block reads it there)."""

    def __init__(self, design: Design, conn: Connection, text: str = "Connect",
                 in_place_of: tuple[str, int] | None = None) -> None:
        super().__init__(text)
        self.design, self.conn, self.in_place_of = design, conn, in_place_of

    def redo(self) -> None:
        self.design.insert_connection(self.conn, self.in_place_of)

    def undo(self) -> None:
        self.design.remove_connection(self.conn.id)


class RemoveItems(QUndoCommand):
    """Delete nodes (with their wires and block weights) and connections; undo puts all back."""

    def __init__(self, design: Design, node_ids: list[str], connection_ids: list[str],
                 text: str = "Delete") -> None:
        super().__init__(text)
        self.design = design
        self.node_ids = [n for n in node_ids if n in design.nodes]
        self.connection_ids = [c for c in connection_ids if c in design.connections]
        self._removed_nodes: list[tuple[Node, list[Connection], dict]] = []
        self._removed_connections: list[Connection] = []

    def redo(self) -> None:
        self._removed_connections = [self.design.remove_connection(c) for c in self.connection_ids
                                     if c in self.design.connections]
        self._removed_nodes = [self.design.remove_node(n) for n in self.node_ids]

    def undo(self) -> None:
        for node, _wires, params in reversed(self._removed_nodes):
            self.design.insert_node(node, params)
        for _node, wires, _params in reversed(self._removed_nodes):
            for conn in wires:
                if conn.id not in self.design.connections:
                    self.design.insert_connection(conn)
        for conn in reversed(self._removed_connections):
            self.design.insert_connection(conn)


class MoveNodes(QUndoCommand):
    """One drag of one or more nodes: pushed once, on mouse release."""

    def __init__(self, design: Design, moves: Mapping[str, tuple[tuple[float, float],
                                                                 tuple[float, float]]],
                 text: str = "Move") -> None:
        super().__init__(text)
        self.design, self.moves = design, dict(moves)

    def redo(self) -> None:
        for node_id, (_old, new) in self.moves.items():
            self.design.move_node(node_id, new)

    def undo(self) -> None:
        for node_id, (old, _new) in self.moves.items():
            self.design.move_node(node_id, old)


class SetNodeParams(QUndoCommand):
    """Change some parameters of one node (its block weights come back on undo)."""

    def __init__(self, design: Design, node_id: str, changes: Mapping[str, Any],
                 text: str = "Change") -> None:
        super().__init__(text)
        self.design, self.node_id = design, node_id
        self.new = dict(changes)
        node = design.nodes[node_id]
        self.old = {k: node.params.get(k) for k in changes}
        self.old_weights = {k: v.copy() for k, v in design.parameters.get(node_id, {}).items()}

    def redo(self) -> None:
        self.design.set_node_params(self.node_id, **self.new)

    def undo(self) -> None:
        self.design.set_node_params(self.node_id, **self.old)
        if self.old_weights:
            self.design.parameters[self.node_id] = {k: v.copy() for k, v in self.old_weights.items()}


class RenameNode(QUndoCommand):
    def __init__(self, design: Design, node_id: str, label: str) -> None:
        super().__init__("Rename")
        self.design, self.node_id = design, node_id
        self.old, self.new = design.nodes[node_id].label, label

    def redo(self) -> None:
        self.design.rename_node(self.node_id, self.new)

    def undo(self) -> None:
        self.design.rename_node(self.node_id, self.old)


class SetWeight(QUndoCommand):
    def __init__(self, design: Design, connection_id: str, weight: float | None) -> None:
        super().__init__("Set weight")
        self.design, self.connection_id = design, connection_id
        self.old, self.new = design.connections[connection_id].weight, weight

    def redo(self) -> None:
        self.design.set_weight(self.connection_id, self.new)

    def undo(self) -> None:
        self.design.set_weight(self.connection_id, self.old)


class SetDataset(QUndoCommand):
    def __init__(self, design: Design, name: str, params: Mapping[str, Any], seed: int,
                 text: str = "Change data set") -> None:
        super().__init__(text)
        self.design = design
        old = design.dataset
        self.old = (old.name, dict(old.params), old.seed)
        self.new = (name, dict(params), seed)

    def redo(self) -> None:
        self.design.set_dataset(*self.new)

    def undo(self) -> None:
        self.design.set_dataset(*self.old)


class SetTraining(QUndoCommand):
    def __init__(self, design: Design, changes: Mapping[str, Any]) -> None:
        super().__init__("Change training settings")
        self.design = design
        self.new = dict(changes)
        self.old = {k: getattr(design.training, k) for k in changes}

    def redo(self) -> None:
        self.design.set_training(**self.new)

    def undo(self) -> None:
        self.design.set_training(**self.old)


class SetBlockWeights(QUndoCommand):
    """Replace one block's arrays (a kernel whose rows now come in another order)."""

    def __init__(self, design: Design, node_id: str, arrays: Mapping[str, Any] | None,
                 text: str = "Update weights") -> None:
        super().__init__(text)
        self.design, self.node_id = design, node_id
        self.new = {k: v.copy() for k, v in (arrays or {}).items()}
        self.old = {k: v.copy() for k, v in design.parameters.get(node_id, {}).items()}

    def redo(self) -> None:
        self.design.set_block_weights(self.node_id, self.new)

    def undo(self) -> None:
        self.design.set_block_weights(self.node_id, self.old)


class SetWeightsAndState(QUndoCommand):
    """A training run's result (or a reset, a new seed): every weight and the training state,
    with the ones before it for undo."""

    def __init__(self, design: Design, before: tuple[dict, Any, Any, Any],
                 after: tuple[dict, Any, Any, Any], text: str) -> None:
        super().__init__(text)
        self.design, self.before, self.after = design, before, after

    def _apply(self, values: tuple[dict, Any, Any, Any]) -> None:
        weights, state, training, initial = values
        self.design.state = copy.deepcopy(state)
        self.design.initial_weights = copy.deepcopy(initial)
        if training != self.design.training:
            self.design.set_training(**{f.name: getattr(training, f.name) for f in fields(training)})
        self.design.restore_weights(weights)

    def redo(self) -> None:
        self._apply(self.after)

    def undo(self) -> None:
        self._apply(self.before)


class SetComparison(QUndoCommand):
    """A comparison's results kept with the design (core.design.comparison), or another one in
    their place; undo keeps the one before (records are immutable: shared, never copied)."""

    def __init__(self, design: Design, comparison: Any, text: str = "Keep the comparison") -> None:
        super().__init__(text)
        self.design, self.old, self.new = design, design.comparison, comparison

    def redo(self) -> None:
        self.design.set_comparison(self.new)

    def undo(self) -> None:
        self.design.set_comparison(self.old)
