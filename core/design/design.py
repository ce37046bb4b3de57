"""The design: nodes, connections, data set and training settings; every edit emits an event."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from core.design import registry
from core.design.comparison import Comparison
from core.design.errors import shown
from core.design.events import Event
from core.design.names import one_line


@dataclass(frozen=True)
class Node:
    """A thing on the canvas: an input feature, a neuron, or a block such as Dense."""

    id: str
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)
    position: tuple[float, float] = (0.0, 0.0)
    label: str = ""

    def __post_init__(self) -> None:  # a label is one line (core.design.names): ONNX names, pasted text
        if isinstance(self.label, str) and (clean := one_line(self.label)) != self.label:
            object.__setattr__(self, "label", clean)


@dataclass(frozen=True)
class Connection:
    """A wire from one node's output to another's input; neuron-level wires carry a weight."""

    id: str
    source: str
    target: str
    weight: float | None = None  # None: not yet initialized (drawn from the seed at build)


@dataclass(frozen=True)
class DatasetChoice:
    """Which data set, with which parameters and generation seed."""

    name: str = "circle"
    params: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0


@dataclass(frozen=True)
class TrainingSettings:
    """Everything that says how to train, as a person sets it."""

    loss: str = "softmax_cross_entropy"
    optimizer: str = "sgd"
    optimizer_params: Mapping[str, Any] = field(default_factory=dict)
    learning_rate: float = 0.03
    schedule: str = "constant"
    schedule_params: Mapping[str, Any] = field(default_factory=dict)
    batch_size: int = 10
    epochs: int = 100
    l1: float = 0.0
    l2: float = 0.0
    clip_norm: float = 0.0  # 0: no clipping
    test_fraction: float = 0.5
    seed: int = 0
    target_loss: float | None = None
    target_accuracy: float | None = None
    early_stopping_patience: int = 0  # 0: off
    dtype: str = "float32"


@dataclass
class TrainingState:
    """Where training stopped: epoch count, place in the epoch, history and the optimizer's state."""

    epoch: int = 0
    step: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    optimizer_state: dict[str, np.ndarray] = field(default_factory=dict)
    cursor: int = 0  # training samples already used in the epoch under way (paused mid-epoch)


class DesignEvents:
    """The events a design emits; the GUI redraws from them."""

    def __init__(self) -> None:
        self.node_added = Event()  # (node)
        self.node_removed = Event()  # (node)
        self.node_changed = Event()  # (old, new)
        self.connection_added = Event()  # (connection)
        self.connection_removed = Event()  # (connection)
        self.connection_changed = Event()  # (old, new)
        self.settings_changed = Event()  # (what: "dataset" | "training")
        self.weights_changed = Event()  # () after a bulk weight update (training, reset)
        self.comparison_changed = Event()  # () the comparison kept with the design is another


class Design:
    """The single source of truth: a graph of nodes and connections plus settings and weights."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.connections: dict[str, Connection] = {}
        self.dataset = DatasetChoice()
        self.training = TrainingSettings()
        # Block weights (Dense kernels, …) by node id and parameter name; host NumPy arrays.
        self.parameters: dict[str, dict[str, np.ndarray]] = {}
        self.state = TrainingState()
        # The weights training started from, so that Reset can go back to them.
        self.initial_weights: dict[str, Any] | None = None
        # The comparison kept with the design (core.design.comparison): its variants' results.
        self.comparison: Comparison | None = None
        self.events = DesignEvents()
        self._ids = itertools.count(1)
        # Where each node and connection id stands in its table, so that undoing a removal puts it
        # back in place: the order of the wires into a block is the order of its input rows, the
        # order of the output neurons that of the outputs; it also decides the draw of unset weights.
        # A rank is a tuple: an item put in place of a removed one (an expanded block's neurons and
        # wires) ranks just after it, (its rank + (index,)), and so before everything that followed.
        self._rank: dict[tuple[str, str], tuple[int, ...]] = {}
        self._ranks = itertools.count()

    # ----------------------------------------------------------------- ids and queries
    def new_id(self, prefix: str) -> str:
        while True:
            candidate = f"{prefix}{next(self._ids)}"
            if candidate not in self.nodes and candidate not in self.connections:
                return candidate

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def incoming(self, node_id: str) -> list[Connection]:
        return [c for c in self.connections.values() if c.target == node_id]

    def outgoing(self, node_id: str) -> list[Connection]:
        return [c for c in self.connections.values() if c.source == node_id]

    def incoming_by_node(self) -> dict[str, list[Connection]]:
        """Every node's incoming wires, in the order they were connected, in one pass (calling
        `incoming` for each node of a big design would scan every wire once per node)."""
        wires: dict[str, list[Connection]] = {n: [] for n in self.nodes}
        for c in self.connections.values():
            if c.target in wires:
                wires[c.target].append(c)
        return wires

    def connection_between(self, source: str, target: str) -> Connection | None:
        for c in self.connections.values():
            if c.source == source and c.target == target:
                return c
        return None

    # ----------------------------------------------------------------- node edits
    def add_node(
        self,
        kind: str,
        params: Mapping[str, Any] | None = None,
        position: tuple[float, float] = (0.0, 0.0),
        node_id: str | None = None,
        label: str = "",
    ) -> Node:
        """Add a node of a registered kind; missing params take the kind's defaults."""
        full = dict(registry.blocks.get(kind).default_params())
        full.update(params or {})
        node_id = node_id or self.new_id(kind[0] if kind else "n")
        if node_id in self.nodes:
            raise ValueError(f"node id {shown(node_id)} is already used")
        node = Node(node_id, kind, full, (float(position[0]), float(position[1])), label)
        self._place(self.nodes, "node", node_id, node, back=False)
        self.events.node_added.emit(node)
        return node

    def insert_node(self, node: Node, parameters: Mapping[str, np.ndarray] | None = None,
                    in_place_of: tuple[str, int] | None = None) -> None:
        """Put back a node exactly as it was, in its old place (undo of a removal); or a new one
        `in_place_of` (removed node id, index) a node it replaces, where that one stood."""
        if node.id in self.nodes:
            raise ValueError(f"node id {shown(node.id)} is already used")
        self._place(self.nodes, "node", node.id, node, in_place_of=in_place_of)
        if parameters:
            self.parameters[node.id] = {k: v.copy() for k, v in parameters.items()}
        self.events.node_added.emit(node)

    def remove_node(self, node_id: str) -> tuple[Node, list[Connection], dict[str, np.ndarray]]:
        """Remove a node and its wires; returns what was removed so that undo can restore it."""
        removed = [c for c in self.connections.values() if node_id in (c.source, c.target)]
        for c in removed:
            self.remove_connection(c.id)
        node = self.nodes.pop(node_id)
        params = self.parameters.pop(node_id, {})
        self.events.node_removed.emit(node)
        return node, removed, params

    def move_node(self, node_id: str, position: tuple[float, float]) -> None:
        self._replace_node(node_id, position=(float(position[0]), float(position[1])))

    def set_node_params(self, node_id: str, **changes: Any) -> None:
        """Change some of a node's parameters; a structural change drops its block weights."""
        old = self.nodes[node_id]
        params = dict(old.params)
        params.update(changes)
        structural = {k for k in changes if k not in ("bias", "activation", "activation_params")}
        if structural:
            self.parameters.pop(node_id, None)
        self._replace_node(node_id, params=params)

    def rename_node(self, node_id: str, label: str) -> None:
        self._replace_node(node_id, label=label)

    def _replace_node(self, node_id: str, **changes: Any) -> None:
        old = self.nodes[node_id]
        new = replace(old, **changes)
        self.nodes[node_id] = new
        self.events.node_changed.emit(old, new)

    # ----------------------------------------------------------------- connection edits
    def add_connection(
        self,
        source: str,
        target: str,
        weight: float | None = None,
        connection_id: str | None = None,
    ) -> Connection:
        for end in (source, target):
            if end not in self.nodes:
                raise KeyError(f"no node {shown(end)}")
        connection_id = connection_id or self.new_id("c")
        if connection_id in self.connections:
            raise ValueError(f"connection id {shown(connection_id)} is already used")
        conn = Connection(connection_id, source, target, None if weight is None else float(weight))
        self._place(self.connections, "connection", connection_id, conn, back=False)
        self.events.connection_added.emit(conn)
        return conn

    def insert_connection(self, conn: Connection, in_place_of: tuple[str, int] | None = None) -> None:
        """Put back a wire where it stood, or a new one `in_place_of` (removed wire id, index) one it
        replaces: a block then reads it where it read that one."""
        if conn.id in self.connections:
            raise ValueError(f"connection id {shown(conn.id)} is already used")
        self._place(self.connections, "connection", conn.id, conn, in_place_of=in_place_of)
        self.events.connection_added.emit(conn)

    def _place(self, table: dict, what: str, key: str, value: Any, back: bool = True,
               in_place_of: tuple[str, int] | None = None) -> None:
        """Add an entry at the end or, putting `back` one that was here before, where it stood, or
        a new one `in_place_of` (old key, index) a removed one, just after where that one stood."""
        rank = self._rank.get((what, key)) if back else None
        if in_place_of is not None and (what, in_place_of[0]) in self._rank:
            rank = self._rank[what, in_place_of[0]] + (int(in_place_of[1]),)
            self._rank[what, key] = rank
        if rank is None:
            self._rank[what, key] = (next(self._ranks),)
            table[key] = value
            return
        later = [k for k in table if self._rank.get((what, k), (-1,)) > rank]
        table[key] = value
        for k in later:
            table[k] = table.pop(k)

    def remove_connection(self, connection_id: str) -> Connection:
        conn = self.connections.pop(connection_id)
        self.events.connection_removed.emit(conn)
        return conn

    def set_weight(self, connection_id: str, weight: float | None) -> None:
        old = self.connections[connection_id]
        new = replace(old, weight=None if weight is None else float(weight))
        self.connections[connection_id] = new
        self.events.connection_changed.emit(old, new)

    # ----------------------------------------------------------------- settings
    def set_dataset(self, name: str | None = None, params: Mapping[str, Any] | None = None,
                    seed: int | None = None) -> None:
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if params is not None:
            changes["params"] = dict(params)
        if seed is not None:
            changes["seed"] = int(seed)
        self.dataset = replace(self.dataset, **changes)
        self.events.settings_changed.emit("dataset")

    def set_training(self, **changes: Any) -> None:
        self.training = replace(self.training, **changes)
        self.events.settings_changed.emit("training")

    # ----------------------------------------------------------------- weights
    def snapshot_weights(self) -> dict[str, Any]:
        """Every weight in the design: connection weights, neuron biases and block arrays."""
        return {
            "connections": {cid: c.weight for cid, c in self.connections.items()},
            "neurons": {
                nid: {k: n.params[k] for k in ("bias", "activation_params") if k in n.params}
                for nid, n in self.nodes.items()
                if n.kind == "neuron"
            },
            "blocks": {nid: {k: v.copy() for k, v in p.items()} for nid, p in self.parameters.items()},
        }

    def restore_weights(self, snapshot: Mapping[str, Any]) -> None:
        """Put back the weights of `snapshot_weights`, for what still exists; emits once."""
        for cid, w in snapshot.get("connections", {}).items():
            if cid in self.connections:
                self.connections[cid] = replace(self.connections[cid], weight=w)
        for nid, values in snapshot.get("neurons", {}).items():
            if nid in self.nodes:
                params = dict(self.nodes[nid].params)
                params.update(copy.deepcopy(dict(values)))
                self.nodes[nid] = replace(self.nodes[nid], params=params)
        self.parameters = {
            nid: {k: v.copy() for k, v in p.items()}
            for nid, p in snapshot.get("blocks", {}).items()
            if nid in self.nodes
        }
        self.events.weights_changed.emit()

    def set_block_weights(self, node_id: str, arrays: Mapping[str, np.ndarray] | None) -> None:
        """Replace one block's arrays (None: forget them, so the next build draws them afresh)."""
        if arrays:
            self.parameters[node_id] = {k: np.array(v, copy=True) for k, v in arrays.items()}
        else:
            self.parameters.pop(node_id, None)
        self.events.weights_changed.emit()

    def clear_weights(self) -> None:
        """Forget every weight, so the next build draws them all afresh from the seed."""
        for cid, c in self.connections.items():
            self.connections[cid] = replace(c, weight=None)

        for nid, n in self.nodes.items():
            if n.kind == "neuron":
                params = {**n.params, "bias": None}
                act = params.get("activation")
                if isinstance(act, str) and act in registry.activations:  # a learned PReLU slope
                    learnable = registry.activations.get(act).learnable  # starts at its default
                    params["activation_params"] = {k: v for k, v in dict(
                        params.get("activation_params", {})).items() if k not in learnable}
                self.nodes[nid] = replace(n, params=params)
        self.parameters = {}
        self.events.weights_changed.emit()

    def set_comparison(self, comparison: Comparison | None) -> None:
        """Keep this comparison with the design (None: none); emits once."""
        self.comparison = comparison
        self.events.comparison_changed.emit()

    def reset_training_state(self) -> None:
        self.state = TrainingState()

    # ----------------------------------------------------------------- whole-design helpers
    def copy(self) -> Design:
        """An independent copy without the event listeners (a worker trains on its own copy).

        Node and connection records are immutable and shared; weights and state are copied."""
        other = Design()
        other.nodes = dict(self.nodes)
        other.connections = dict(self.connections)
        other.dataset = self.dataset
        other.training = self.training
        other.parameters = {n: {k: v.copy() for k, v in p.items()} for n, p in self.parameters.items()}
        other.state = copy.deepcopy(self.state)
        other.initial_weights = copy.deepcopy(self.initial_weights)
        other.comparison = self.comparison  # immutable, its arrays read-only: shared
        other._rank = dict(self._rank)
        other._ranks = itertools.count(max((r[0] for r in self._rank.values()), default=-1) + 1)
        return other

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Design):
            return NotImplemented
        return (
            self.nodes == other.nodes
            and self.connections == other.connections
            and list(self.nodes) == list(other.nodes)
            and list(self.connections) == list(other.connections)  # a block's rows follow it
            and self.dataset == other.dataset
            and self.training == other.training
            and _arrays_equal(self.parameters, other.parameters)
            and self.comparison == other.comparison
        )

    __hash__ = None  # type: ignore[assignment]


def _arrays_equal(a: Mapping[str, Mapping[str, np.ndarray]], b: Mapping[str, Any]) -> bool:
    if a.keys() != b.keys():
        return False
    for key in a:
        if a[key].keys() != b[key].keys():
            return False
        for name in a[key]:
            x, y = a[key][name], b[key][name]
            if x.dtype != y.dtype or x.shape != y.shape or x.tobytes() != y.tobytes():
                return False
    return True


def layered_positions(columns: Iterable[Iterable[str]], dx: float = 160.0, dy: float = 70.0):
    """Positions for columns of node ids, left to right, each column centred vertically."""
    positions = {}
    for i, column in enumerate(columns):
        column = list(column)
        for j, node_id in enumerate(column):
            positions[node_id] = (i * dx, (j - (len(column) - 1) / 2) * dy)
    return positions
