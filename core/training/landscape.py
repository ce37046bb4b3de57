"""The loss landscape: the training loss over a grid of two weights' values, every other weight held
where it is — which weights a compiled design has, where each lives in the model, and the grid."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.compiler.compile import Build, compile_design
from core.data.datasets import train_test_split
from core.engine.backend import to_device, to_numpy

GRID = 41  # points along each axis
SPAN = 2.0  # the grid reaches this far either side of the current values
SAMPLE_LIMIT = 500  # training rows the loss is measured on, at most (a fixed sample beyond)
SAMPLE_SEED = 0


@dataclass(frozen=True)
class WeightRef:
    """One trainable number: a wire's weight, a neuron's bias, or one entry of a block's array."""

    key: str  # "wire:c8", "bias:n3", "block:d3:kernel:0,1": stable while the structure stays
    kind: str  # "wire" | "bias" | "block"
    owner: str  # the connection id (a wire), else the node id
    op_index: int  # the model's op that holds it
    param: str  # the op's array: "kernel", "bias", "recurrent_kernel", …
    index: tuple[int, ...]  # where in that array


class WeightTable:
    """Every weight of a compiled design, wires first (by the neuron they lead into, then by where
    they come from, both in the design's order of nodes), then the neurons' biases (in the design's
    order), then each block's arrays entry by entry — listed lazily, since a block has thousands."""

    def __init__(self, build: Build, design) -> None:
        wires: dict[str, WeightRef] = {}
        biases: dict[str, WeightRef] = {}
        for nmap in build.neuron_maps:
            for cid, row, col in nmap.wires:
                wires[cid] = WeightRef(f"wire:{cid}", "wire", cid, nmap.op_index, "kernel", (row, col))
            for nid, col in nmap.neurons:
                biases[nid] = WeightRef(f"bias:{nid}", "bias", nid, nmap.op_index, "bias", (col,))
        order = {nid: i for i, nid in enumerate(design.nodes)}
        conns = design.connections
        into = sorted((c for c in conns if c in wires),
                      key=lambda c: (order.get(conns[c].target, -1), order.get(conns[c].source, -1)))
        self.neurons = [wires[c] for c in into] + [biases[n] for n in design.nodes if n in biases]
        self.blocks: list[tuple[str, int, str, tuple[int, ...], int]] = []  # (node, op, param, shape, start)
        start = len(self.neurons)
        for nid, index in sorted(build.block_ops.items(), key=lambda item: item[1]):
            op = build.model.ops[index]
            kept = getattr(op.layer, "statistics", ())
            for param, view in op.params.items():
                if param in kept or view.size == 0:
                    continue  # running statistics are not weights an optimizer moves
                self.blocks.append((nid, index, param, tuple(view.shape), start))
                start += int(view.size)
        self._count = start
        self._by_key = {ref.key: i for i, ref in enumerate(self.neurons)}

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i: int) -> WeightRef:
        if not 0 <= i < self._count:
            raise IndexError(i)
        if i < len(self.neurons):
            return self.neurons[i]
        for nid, op, param, shape, start in reversed(self.blocks):
            if i >= start:
                index = tuple(int(k) for k in np.unravel_index(i - start, shape))
                key = f"block:{nid}:{param}:{','.join(map(str, index))}"
                return WeightRef(key, "block", nid, op, param, index)
        raise IndexError(i)

    def position(self, key: str) -> int | None:
        """Where the weight with this key stands in the list (None: not in this design)."""
        if key in self._by_key:
            return self._by_key[key]
        parts = key.split(":")
        if len(parts) != 4 or parts[0] != "block":
            return None
        for nid, _op, param, shape, start in self.blocks:
            if (nid, param) == (parts[1], parts[2]):
                try:
                    index = tuple(int(k) for k in parts[3].split(","))
                    return start + int(np.ravel_multi_index(index, shape))
                except ValueError:
                    return None
        return None

    def find(self, key: str) -> WeightRef | None:
        i = self.position(key)
        return None if i is None else self[i]

    def default_pair(self) -> tuple[WeightRef, WeightRef] | None:
        """Two weights worth a first look: two inputs of one unit in the layer nearest the output
        (its weights shape the loss most plainly), else simply the first two."""
        if self._count < 2:
            return None
        wires = [r for r in self.neurons if r.kind == "wire"]
        if wires:
            last = max(r.op_index for r in wires)
            into: dict[int, list[WeightRef]] = {}
            for ref in wires:
                if ref.op_index == last:
                    into.setdefault(ref.index[1], []).append(ref)
            pair = next((refs for refs in into.values() if len(refs) >= 2), None)
            if pair is not None:
                return pair[0], pair[1]
        kernels = [b for b in self.blocks if b[2] == "kernel" and len(b[3]) == 2 and b[3][0] >= 2]
        if kernels:
            nid, op, param, _shape, _start = max(kernels, key=lambda b: b[1])
            return (WeightRef(f"block:{nid}:{param}:0,0", "block", nid, op, param, (0, 0)),
                    WeightRef(f"block:{nid}:{param}:1,0", "block", nid, op, param, (1, 0)))
        return self[0], self[1]


def value_in(weights: Mapping[str, Any], ref: WeightRef) -> float | None:
    """The weight's value in a Design.snapshot_weights() dict (None: not there, or not drawn yet)."""
    if ref.kind == "wire":
        value = weights.get("connections", {}).get(ref.owner)
    elif ref.kind == "bias":
        value = weights.get("neurons", {}).get(ref.owner, {}).get("bias")
    else:
        array = weights.get("blocks", {}).get(ref.owner, {}).get(ref.param)
        value = None if array is None or array.ndim != len(ref.index) or any(
            i >= n for i, n in zip(ref.index, array.shape, strict=True)) else array[ref.index]
    return None if value is None else float(value)


def value_in_design(design, ref: WeightRef) -> float | None:
    """The weight's value in the design as it is now (None: not drawn yet)."""
    if ref.kind == "wire":
        conn = design.connections.get(ref.owner)
        return None if conn is None or conn.weight is None else float(conn.weight)
    if ref.kind == "bias":
        node = design.nodes.get(ref.owner)
        value = None if node is None else node.params.get("bias")
        return None if value is None else float(value)
    return value_in({"blocks": {ref.owner: design.parameters.get(ref.owner, {})}}, ref)


@dataclass(frozen=True)
class Surface:
    """The loss over a grid: loss[j, i] at (xs[i], ys[j]) — x the first weight, y the second."""

    xs: np.ndarray
    ys: np.ndarray
    loss: np.ndarray  # (len(ys), len(xs)); NaN or inf where the loss overflowed
    centre: tuple[float, float]
    span: float

    def contains(self, x: float, y: float) -> bool:
        return bool(self.xs[0] <= x <= self.xs[-1] and self.ys[0] <= y <= self.ys[-1])

    def at(self, x, y):
        """The loss at (x, y) by bilinear interpolation, clamped to the grid's edge (arrays of
        points give an array)."""
        fx, fy = _place(x, self.xs), _place(y, self.ys)
        i = np.minimum(fx.astype(int), len(self.xs) - 2)
        j = np.minimum(fy.astype(int), len(self.ys) - 2)
        tx, ty = fx - i, fy - j
        g = self.loss
        value = (g[j, i] * (1 - tx) + g[j, i + 1] * tx) * (1 - ty) \
            + (g[j + 1, i] * (1 - tx) + g[j + 1, i + 1] * tx) * ty
        return float(value) if np.ndim(value) == 0 else value


def _place(values, axis: np.ndarray):
    """Where values fall along a grid axis, in grid steps, clamped to its ends. An axis that
    collapsed to one value (a span below what the numbers can tell apart at a diverged run's
    weight, 1e30 ± 1) and a value that is no number give its middle."""
    width = axis[-1] - axis[0]
    with np.errstate(all="ignore"):
        where = (np.clip((np.asarray(values, float) - axis[0]) / width, 0, 1) if width > 0
                 else np.full(np.shape(values), 0.5))
    return np.nan_to_num(where, nan=0.5) * (len(axis) - 1)


def grid_axis(centre: float, span: float, size: int = GRID) -> np.ndarray:
    """`size` values from centre − span to centre + span; the middle one is the centre exactly."""
    axis = centre + np.linspace(-span, span, size)
    if size % 2:
        axis[size // 2] = centre
    return axis


def training_rows(build: Build, settings, limit: int | None = SAMPLE_LIMIT):
    """(feature rows, encoded targets, rows used, training rows in all) of the training split, as
    core.training.trainer.Trainer makes it; beyond `limit` rows, a fixed random sample of them (in order)."""
    data = build.data
    train, _test = train_test_split(data.num_samples, settings.test_fraction, settings.seed)
    total = len(train)
    if limit is not None and total > limit:
        chosen = np.sort(np.random.default_rng(SAMPLE_SEED).choice(total, limit, replace=False))
        train = train[chosen]
    dt = build.model.dtype
    X = to_device(build.feature_rows(data.X)[train], dt)
    T = to_device(build.encode_targets(data.y[train]), dt)
    return X, T, len(train), total


class Landscape:
    """A compiled copy of a design, its weights, and the training rows the loss is measured on.

    Not thread-safe: one computation at a time (a worker may own it while it computes)."""

    def __init__(self, design, sample_limit: int | None = SAMPLE_LIMIT) -> None:
        self.build = compile_design(design)  # raises DesignError for a design that cannot build
        self.build.read_weights(design)
        self.model = self.build.model
        self.weights = WeightTable(self.build, design)
        self.X, self.T, self.rows_used, self.rows_total = training_rows(
            self.build, design.training, sample_limit)
        self._compiled = {(i, name): to_numpy(v).copy() for i, op in enumerate(self.model.ops)
                          for name, v in op.params.items()}

    @property
    def sampled(self) -> bool:
        return self.rows_used < self.rows_total

    def load(self, design) -> None:
        """Take the design's current weights (structure unchanged)."""
        self.build.read_weights(design)

    def compiled_value(self, ref: WeightRef) -> float:
        """The weight as compiled: the design's, or drawn from the seed where it has none yet
        (as training will draw it). Safe to read while a worker computes a surface."""
        return float(self._compiled[(ref.op_index, ref.param)][ref.index])

    def value(self, ref: WeightRef) -> float:
        return float(to_numpy(self.model.ops[ref.op_index].params[ref.param][ref.index]))

    def _set(self, ref: WeightRef, value: float) -> None:
        self.model.ops[ref.op_index].params[ref.param][ref.index] = value

    def loss(self) -> float:
        """The training loss at the model's weights, as Trainer.evaluate() reports it."""
        with np.errstate(all="ignore"):  # a diverged run's loss may be inf or NaN: shown as such
            slots, caches = self.model.forward_all(self.X)
            return self._loss(slots, caches)

    def _loss(self, slots: list, caches: list) -> float:
        model = self.model
        out = slots[model.output_op.out_slot]
        layer = model.output_op.layer
        z = layer.preactivation(caches[-1]) if hasattr(layer, "preactivation") else None
        return float(model.loss_value(out, self.T, self.build.loss, z))

    def surface(self, a: WeightRef, b: WeightRef, span: float = SPAN, size: int = GRID,
                centre: tuple[float, float] | None = None,
                cancelled: Callable[[], bool] | None = None,
                progress: Callable[[float], None] | None = None) -> Surface | None:
        """The loss with weight `a` over the x axis and `b` over the y axis, each `span` either
        side of `centre` (their current values by default); None when `cancelled` said so.

        The ops before the first that holds `a` or `b` give the same values at every point:
        they are computed once."""
        if not span > 0 or not math.isfinite(span):
            raise ValueError(f"the span must be a positive number, not {span}")
        model = self.model
        was = (self.value(a), self.value(b))
        ca, cb = was if centre is None else centre
        xs, ys = grid_axis(ca, span, size), grid_axis(cb, span, size)
        start = min(a.op_index, b.op_index)
        loss = np.full((size, size), np.nan)
        # around a diverged run's weights the losses overflow: kept as inf or NaN, not warned about
        with np.errstate(all="ignore"):
            slots, caches = model.forward_all(self.X)
            try:
                for j, y in enumerate(ys):
                    if cancelled is not None and cancelled():
                        return None
                    self._set(b, y)
                    for i, x in enumerate(xs):
                        self._set(a, x)
                        loss[j, i] = self._loss_from(start, slots, caches)
                    if progress is not None:
                        progress((j + 1) / size)
            finally:
                self._set(a, was[0])
                self._set(b, was[1])
        return Surface(xs, ys, loss, (float(ca), float(cb)), float(span))

    def _loss_from(self, start: int, slots: list, caches: list) -> float:
        """The loss when the ops from `start` on run again over the kept slots."""
        model = self.model
        slots, caches = list(slots), list(caches)
        for i in range(start, len(model.ops)):
            op = model.ops[i]
            inputs = model.gather(slots, op.inputs, op.merges)
            slots[op.out_slot], caches[i] = op.layer.forward(op.params, inputs, False, model.rng)
        return self._loss(slots, caches)


class DescentPath:
    """The two weights' values moment by moment, each with the training step it was taken at.

    A value for a step already on the path replaces it; one for an earlier step (Reset, New Seed,
    a step after an undo) cuts the path back to before that step first: the path is always the
    one that led to the weights now."""

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.points: list[tuple[float, float]] = []

    def __len__(self) -> int:
        return len(self.points)

    def clear(self) -> None:
        self.steps.clear()
        self.points.clear()

    def add(self, step: int, point: tuple[float, float]) -> None:
        while self.steps and self.steps[-1] >= step:
            self.steps.pop()
            self.points.pop()
        self.steps.append(int(step))
        self.points.append((float(point[0]), float(point[1])))

    def array(self) -> np.ndarray:
        """(len, 2): x (the first weight) and y (the second) of each point, oldest first."""
        return np.asarray(self.points, dtype=np.float64).reshape(-1, 2)


__all__ = ["DescentPath", "GRID", "SPAN", "Landscape", "Surface", "WeightRef", "WeightTable", "grid_axis",
           "training_rows", "value_in", "value_in_design"]
