"""Design → Model: topological order, neurons grouped by depth into masked layers, blocks as ops."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from core.compiler.validation import check_design, errors_only, load_cached_dataset
from core.design import registry
from core.design.bulk import collector_paused
from core.design.errors import DesignError
from core.design.features import Feature, parse_feature
from core.engine import initializers
from core.engine.activations import make_activation
from core.engine.backend import resolve_dtype, to_device, to_numpy
from core.engine.blocks.dense import ActivationGroup, LinearLayer, learned_names
from core.engine.losses import make_loss
from core.engine.model import Model, Op, Piece


@dataclass
class NeuronLayerMap:
    """Where each wire's weight and each neuron's bias live in a masked layer."""

    op_index: int
    wires: list[tuple[str, int, int]] = field(default_factory=list)  # (connection id, row, col)
    neurons: list[tuple[str, int]] = field(default_factory=list)  # (node id, col)
    slopes: list[tuple[str, str, int]] = field(default_factory=list)  # (node id, param, index)


@dataclass
class Build:
    """A compiled design: the model plus how to feed it, score it and write weights back."""

    model: Model
    data: Any
    features: list[Feature | None]  # None entries stand for a Data node's whole vector
    loss: Any
    rule: str  # "gradient", or "perceptron" for a step output
    output_ids: list[str]
    neuron_maps: list[NeuronLayerMap]
    block_ops: dict[str, int]
    warnings: list

    @property
    def task(self) -> str:
        return self.data.task

    def feature_rows(self, X: np.ndarray) -> np.ndarray:
        """The model's input matrix for raw data rows (host NumPy)."""
        parts = []
        for feature in self.features:
            parts.append(X if feature is None else feature.compute(X)[:, None])
        return np.concatenate(parts, axis=1) if parts else X[:, :0]

    def encode_targets(self, y: np.ndarray) -> np.ndarray:
        return self.loss.encode_targets(y, self.data.task, self.model.output_width,
                                        self.data.num_classes)

    def threshold(self) -> float:
        return self.loss.threshold(self.model.output_activation)

    # ------------------------------------------------------------------ weights ↔ design
    def write_back(self, design) -> None:
        """Copy the model's weights into the design (one weights_changed event)."""
        dtype = self.model.dtype
        for nmap in self.neuron_maps:
            params = {k: to_numpy(v) for k, v in self.model.ops[nmap.op_index].params.items()}
            kernel = params["kernel"]
            for cid, row, col in nmap.wires:
                if cid in design.connections:
                    design.connections[cid] = replace(design.connections[cid],
                                                      weight=float(kernel[row, col]))
            updates: dict[str, dict[str, Any]] = {}
            for nid, col in nmap.neurons:
                updates.setdefault(nid, {})["bias"] = float(params["bias"][col])
            for nid, name, index in nmap.slopes:
                if nid not in design.nodes:
                    continue
                node_params = design.nodes[nid].params
                act = dict(node_params.get("activation_params", {}))
                act[name.rsplit("_", 1)[0]] = float(params[name][index])
                updates.setdefault(nid, {})["activation_params"] = act
            for nid, changes in updates.items():
                if nid in design.nodes:
                    node = design.nodes[nid]
                    design.nodes[nid] = replace(node, params={**node.params, **changes})
        for nid, index in self.block_ops.items():
            design.parameters[nid] = {
                name: to_numpy(v).astype(dtype, copy=True)
                for name, v in self.model.ops[index].params.items()
            }
        design.events.weights_changed.emit()

    def read_weights(self, design) -> None:
        """Load the design's current weights into the model (after a person edits one)."""
        for nmap in self.neuron_maps:
            op = self.model.ops[nmap.op_index]
            kernel = to_numpy(op.params["kernel"]).copy()
            bias = to_numpy(op.params["bias"]).copy()
            for cid, row, col in nmap.wires:
                weight = design.connections[cid].weight if cid in design.connections else None
                if weight is not None:
                    kernel[row, col] = weight
            for nid, col in nmap.neurons:
                value = design.nodes[nid].params.get("bias") if nid in design.nodes else None
                if value is not None:
                    bias[col] = value
            self.model.set_param(nmap.op_index, "kernel", kernel)
            self.model.set_param(nmap.op_index, "bias", bias)
            learned = {name: to_numpy(op.params[name]).copy() for _, name, _ in nmap.slopes}
            for nid, name, index in nmap.slopes:  # a PReLU slope edited in the inspector
                if nid not in design.nodes:
                    continue
                own = design.nodes[nid].params.get("activation_params", {})
                value = own.get(name.rsplit("_", 1)[0])
                if value is not None:
                    learned[name][index] = value
            for name, values in learned.items():
                self.model.set_param(nmap.op_index, name, values)
        for nid, index in self.block_ops.items():
            stored = design.parameters.get(nid, {})
            for name, view in self.model.ops[index].params.items():
                if name in stored and stored[name].shape == view.shape:
                    self.model.set_param(index, name, stored[name])


def compile_design(design, dtype: Any = None, seed: int | None = None) -> Build:
    """Compile a valid design; raises DesignError with every error found."""
    with collector_paused():  # a big design makes many small objects, none of them garbage
        return _compile(design, dtype, seed)


def _compile(design, dtype: Any, seed: int | None) -> Build:
    problems, structure = check_design(design)
    errors = errors_only(problems)
    if errors:
        raise DesignError(errors)

    choice = design.dataset
    dtype = resolve_dtype(dtype or design.training.dtype)
    data = load_cached_dataset(choice.name, dict(choice.params), choice.seed, dtype.name)
    seed = design.training.seed if seed is None else seed
    init_rng, run_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    return _Compiler(design, structure, data, dtype, init_rng, run_rng).build(
        [p for p in problems if p.severity != "error"])


class _Compiler:
    def __init__(self, design, structure, data, dtype, init_rng, run_rng) -> None:
        self.design, self.s, self.data = design, structure, data
        self.dtype, self.init_rng, self.run_rng = dtype, init_rng, run_rng
        self.where: dict[str, tuple[int, Any]] = {}  # node id → (slot, column or None)
        self.slot_width: dict[int, int] = {}
        self.ops: list[Op] = []
        self.initial: list[dict[str, np.ndarray]] = []
        self.neuron_maps: list[NeuronLayerMap] = []
        self.block_ops: dict[str, int] = {}
        self.outdegree: dict[str, int] = {}
        for wires in structure.incoming.values():
            for c in wires:
                self.outdegree[c.source] = self.outdegree.get(c.source, 0) + 1

    def build(self, warnings) -> Build:
        nodes = self.design.nodes
        features = self._features()
        neurons = [n for n in self.s.order if nodes[n].kind == "neuron"]
        for depth_nodes in self._depths(neurons):
            self._neuron_layer(depth_nodes)
        for node_id in self.s.order:
            if nodes[node_id].kind not in ("input", "data", "neuron"):
                self._block(node_id)
        model = Model(self.ops, self.slot_width[0], self.dtype, self.s.output_width, self.run_rng)
        for index, values in enumerate(self.initial):
            for name, value in values.items():
                model.set_param(index, name, value)
        loss = make_loss(self.design.training.loss)
        rule = "perceptron" if model.output_activation == "step" else "gradient"
        output_ids = self.s.outputs
        return Build(model, self.data, features, loss, rule, output_ids, self.neuron_maps,
                     self.block_ops, warnings)

    def _features(self) -> list[Feature | None]:
        features: list[Feature | None] = []
        column = 0
        for node in self.design.nodes.values():
            if node.kind == "input":
                features.append(parse_feature(node.params["feature"], self.data.feature_names))
                self.where[node.id] = (0, column)
                column += 1
            elif node.kind == "data":
                features.append(None)
                self.where[node.id] = (0, slice(column, column + self.data.num_features))
                column += self.data.num_features
        self.slot_width[0] = column
        return features

    def _depths(self, neurons: list[str]) -> list[list[str]]:
        depth: dict[str, int] = {}
        for nid in neurons:  # topological order: sources come first
            depth[nid] = 1 + max((depth.get(s, 0) for s in self.s.sources[nid]), default=0)
        outputs = [n for n in self.s.outputs if n in depth]  # in design order: the output columns
        layers: dict[int, list[str]] = {}
        last = set(outputs)
        for nid in neurons:
            if nid not in last:
                layers.setdefault(depth[nid], []).append(nid)
        if outputs:
            layers.setdefault(max(depth.values()), []).extend(outputs)
        return [layers[d] for d in sorted(layers)]

    def _pieces(self, sources: list[tuple[int, Any]]) -> tuple[list[Piece], dict[tuple, int]]:
        """Group source columns by slot, in order; return the pieces and each source's row."""
        by_slot: dict[int, set[int]] = {}
        for slot, col in sources:
            cols = range(col.start, col.stop) if isinstance(col, slice) else (
                range(self.slot_width[slot]) if col is None else (col,))
            by_slot.setdefault(slot, set()).update(cols)
        pieces, rows, row = [], {}, 0
        for slot in sorted(by_slot):
            cols = sorted(by_slot[slot])
            for c in cols:
                rows[(slot, c)] = row
                row += 1
            pieces.append(Piece(slot, _as_index(cols, self.slot_width[slot]), len(cols)))
        return pieces, rows

    def _runs(self, sources: list[tuple[int, Any]]) -> list[Piece]:
        """A block's input, wire after wire in the order they were connected: the wires of a run
        from one slot share one piece (a slice when their columns are adjacent, as a whole layer
        connected in order is), so that the design, not the compiler's grouping, orders the rows."""
        pieces: list[Piece] = []
        slot, cols = -1, []
        for source_slot, col in sources:
            if source_slot != slot and cols:
                pieces.append(Piece(slot, _as_index(cols, self.slot_width[slot]), len(cols)))
                cols = []
            slot = source_slot
            cols.extend(range(col.start, col.stop) if isinstance(col, slice) else (
                range(self.slot_width[slot]) if col is None else (col,)))
        if cols:
            pieces.append(Piece(slot, _as_index(cols, self.slot_width[slot]), len(cols)))
        return pieces

    def _neuron_layer(self, layer_nodes: list[str]) -> None:
        design = self.design
        index = len(self.ops)
        slot = index + 1
        incoming = {nid: self.s.incoming[nid] for nid in layer_nodes}
        sources = [self.where[c.source] for nid in layer_nodes for c in incoming[nid]]
        pieces, rows = self._pieces(sources)
        n_in, n_out = len(rows), len(layer_nodes)
        mask = np.zeros((n_in, n_out), dtype=bool)
        kernel = np.zeros((n_in, n_out))
        bias = np.zeros(n_out)
        nmap = NeuronLayerMap(index)
        groups: dict[str, list[int]] = {}
        group_act: dict[str, Any] = {}
        made: dict[tuple, tuple[Any, str]] = {}  # (activation, its settings) → (Activation, group)
        for col, nid in enumerate(layer_nodes):
            params = design.nodes[nid].params
            outdegree = max(1, self.outdegree.get(nid, 0))
            drawn = initializers.draw(params["initializer"], params["activation"], self.init_rng,
                                      (len(incoming[nid]),), len(incoming[nid]), outdegree)
            for k, conn in enumerate(incoming[nid]):
                slot_col = self.where[conn.source]
                row = rows[(slot_col[0], slot_col[1])]
                mask[row, col] = True
                kernel[row, col] = drawn[k] if conn.weight is None else conn.weight
                nmap.wires.append((conn.id, row, col))
            if params.get("bias") is not None:
                bias[col] = params["bias"]
            nmap.neurons.append((nid, col))
            own = params.get("activation_params") or {}
            named = (params["activation"], tuple(sorted(own.items())))
            if named not in made:  # a layer of 100,000 neurons has a few activations, not 100,000
                activation = make_activation(params["activation"], own)
                made[named] = activation, activation.id if activation.learnable else json.dumps(
                    [activation.id, activation.params], sort_keys=True)
            activation, key = made[named]
            groups.setdefault(key, []).append(col)
            group_act.setdefault(key, activation)
            self.where[nid] = (slot, col)
        act_groups, initial = [], {"kernel": kernel, "bias": bias}
        for g, (key, cols) in enumerate(groups.items()):
            activation = group_act[key]
            names = learned_names(activation, f"g{g}")
            columns = None if len(groups) == 1 else to_device(np.asarray(cols))
            act_groups.append(ActivationGroup(columns, activation, names))
            for name in names:
                base = name.rsplit("_", 1)[0]
                values = []
                for i, col in enumerate(cols):
                    own = design.nodes[layer_nodes[col]].params.get("activation_params", {})
                    values.append(own.get(base, activation.defaults[base]))
                    nmap.slopes.append((layer_nodes[col], name, i))
                initial[name] = np.asarray(values, dtype=float)
        layer = LinearLayer(n_in, n_out, act_groups, use_bias=True, mask=mask)
        self._add_op(tuple(layer_nodes), layer, pieces, initial)
        self.slot_width[slot] = n_out
        self.neuron_maps.append(nmap)

    def _block(self, node_id: str) -> None:
        design = self.design
        node = design.nodes[node_id]
        kind = registry.blocks.get(node.kind)
        wires = self.s.incoming[node_id]
        sources = [self.where[c.source] for c in wires]
        whole = [s for s in sources if s[1] is None]
        in_shapes = [self.s.shapes[c.source] for c in wires]
        if getattr(kind, "merges", False):  # one piece per connection, in the order connected
            pieces = [Piece(slot, _one_column(col), int(np.prod(shape)))
                      for (slot, col), shape in zip(sources, in_shapes, strict=True)]
            layer = kind.build(node.params, in_shapes)
        elif len(sources) == 1 and whole:
            pieces = [Piece(sources[0][0], None, self.slot_width[sources[0][0]])]
        else:  # rows in the order the wires were connected, whatever the depth of each source
            pieces = self._runs(sources)
        if not getattr(kind, "merges", False):
            in_shape = in_shapes[0] if len(in_shapes) == 1 else (sum(s[0] for s in in_shapes),)
            layer = kind.build(node.params, in_shape)
        initial = layer.initial_params(self.init_rng)  # always drawn: the stream stays stable
        stored = design.parameters.get(node_id, {})
        for name, value in list(initial.items()):
            if name in stored and stored[name].shape == value.shape:
                initial[name] = stored[name]
        index = self._add_op((node_id,), layer, pieces, initial)
        self.where[node_id] = (index + 1, None)
        self.slot_width[index + 1] = int(np.prod(self.s.shapes[node_id]))
        self.block_ops[node_id] = index

    def _add_op(self, node_ids, layer, pieces, initial) -> int:
        index = len(self.ops)
        need_dx = any(p.slot != 0 for p in pieces)
        self.ops.append(Op(node_ids, layer, pieces, index + 1, need_dx,
                           merges=getattr(layer, "merges", False)))
        self.initial.append(initial)
        return index


def _one_column(col):
    """A neuron's column as a slice (the piece keeps its (N, 1) shape); None or a slice as it is."""
    return slice(col, col + 1) if isinstance(col, int) else col


def _as_index(cols: list[int], width: int):
    """None for a whole slot in order, a slice for a run, else an index array."""
    if cols == list(range(width)):
        return None
    if cols == list(range(cols[0], cols[0] + len(cols))):
        return slice(cols[0], cols[0] + len(cols))
    return to_device(np.asarray(cols))  # indexes device arrays every step: move it once

