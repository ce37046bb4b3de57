"""How much memory a design needs to train, estimated before anything is allocated (the weights
with their gradients, optimizer state and copies; the data; what one mini-batch and one evaluation
pass keep), what the machine has, and the words for a design that does not fit (those for a
run that ran out: core.training.trainer.out_of_memory)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import numpy as np

from core.data.datasets import train_test_split
from core.design import registry
from core.design.errors import Problem
from core.engine import backend
from core.engine.blocks.conv import Conv2DLayer
from core.engine.blocks.pooling import Pool2DLayer
from core.engine.blocks.recurrent import RecurrentLayer
from core.engine.blocks.shape_ops import ShapeLayer

FLOAT64_DRAW = 8  # the compiler draws every initial weight in float64 before it is converted
NAMED = 3  # the heaviest nodes a refusal names
PROBE_GRID = 64  # the views evaluate the network on PROBE_GRID × PROBE_GRID points of the input plane


@dataclass(frozen=True)
class NodeMemory:
    """What one op of the compiled model needs: its weights, and values per sample and per step."""

    node_ids: tuple[str, ...]
    parameters: int  # learned values
    kept: int  # values per sample a training forward keeps (outputs, caches) for the backward
    passing: int  # values per sample the backward pass makes on its way (gradients)
    evaluating: int  # values per sample an evaluation's forward keeps (outputs, what caches hold)
    fixed: int = 0  # values a step makes whatever the batch (a recurrent layer's sums per time step)
    masked: int = 0  # a neuron layer's wire mask: kernel-sized, kept beside the kernel


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a design needs to train; `total` is the figure shown and checked."""

    nodes: tuple[NodeMemory, ...]
    itemsize: int
    per_parameter: int  # bytes per learned value: weight, gradient, optimizer state, copies
    data_bytes: int
    batch: int
    evaluated: int  # samples one evaluation pass computes at once (the larger split, the plane)

    @property
    def parameters(self) -> int:
        return sum(n.parameters for n in self.nodes)

    def node_bytes(self, node: NodeMemory) -> int:
        step = (node.kept + node.passing) * self.batch + node.fixed
        values = max(step, node.evaluating * self.evaluated)
        return (node.parameters * self.per_parameter + node.masked * (self.itemsize + 1)
                + values * self.itemsize)

    @property
    def step_bytes(self) -> int:
        return self.itemsize * sum((n.kept + n.passing) * self.batch + n.fixed for n in self.nodes)

    @property
    def evaluation_bytes(self) -> int:
        return self.itemsize * sum(n.evaluating for n in self.nodes) * self.evaluated

    @property
    def total(self) -> int:
        weights = sum(n.parameters * self.per_parameter + n.masked * (self.itemsize + 1)
                      for n in self.nodes)
        return weights + self.data_bytes + max(self.step_bytes, self.evaluation_bytes)

    def heaviest(self, count: int = NAMED) -> list[NodeMemory]:
        return sorted(self.nodes, key=self.node_bytes, reverse=True)[:count]


def size_text(n: float) -> str:
    """'12 MiB', '74.5 GiB': bytes as a person reads them."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" or n >= 100 else f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} TiB"


# ---------------------------------------------------------------------------- the machine
@functools.lru_cache(maxsize=1)
def machine_memory() -> int | None:
    """Bytes of physical memory training may use: the machine's (os.sysconf, or /proc/meminfo),
    or a container's or the GPU's when smaller; None where none can be read."""
    total = None
    try:
        total = int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        total = _meminfo_total()
    for limit in (_read_number("/sys/fs/cgroup/memory.max"),  # cgroup v2; "max" reads as None
                  backend.device_memory()):  # on a GPU, the arrays live in its memory
        if limit is not None and (total is None or limit < total):
            total = limit
    return total if total and total > 0 else None


def _meminfo_total() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f.read(4096).splitlines():
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _read_number(path: str) -> int | None:
    try:
        with open(path, encoding="ascii") as f:
            text = f.read(64).strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


# ---------------------------------------------------------------------------- the estimate
def estimate(design, structure, data) -> MemoryEstimate:
    """What training `design` needs, from validation's structure and the loaded data set (no
    array the size of a layer is made)."""
    settings = design.training
    itemsize = np.dtype(settings.dtype if settings.dtype in ("float32", "float64")
                        else "float32").itemsize
    nodes = _neuron_layers(design, structure) + _blocks(design, structure)
    optimizer = registry.optimizers.get(settings.optimizer) \
        if settings.optimizer in registry.optimizers else None
    slots = len(getattr(optimizer, "slots", ()))
    # on the device: weights, gradients, the copy a bad step goes back to, the optimizer's scratch
    # and decay mask, its state and the state's copy; on the host: the design's weights and the
    # weights training started from, and the compiler's float64 draw
    per_parameter = itemsize * (5 + 2 * slots) + 2 * itemsize + FLOAT64_DRAW
    n = int(data.num_samples)
    train, test = train_test_split(n, settings.test_fraction, settings.seed)
    width_in = sum(_width(design, structure, s) for s in structure.order
                   if design.nodes[s].kind in ("input", "data"))
    width_out = max(1, int(structure.output_width), int(getattr(data, "num_classes", 0) or 0))
    # the converted rows, the two splits and each epoch's shuffled copy of the training split
    data_bytes = itemsize * (width_in + width_out) * (n + len(train) + len(test) + len(train))
    planar = int(data.num_features) == 2

    evaluated = max(len(train), len(test), PROBE_GRID * PROBE_GRID if planar else 0)
    batch = max(1, min(int(settings.batch_size), max(1, len(train))))
    return MemoryEstimate(tuple(nodes), itemsize, per_parameter, data_bytes, batch, evaluated)


def parameter_count(design, structure) -> int:
    """The learned values of the compiled model (the size of its flat buffer), from validation's
    structure, without compiling."""
    return sum(n.parameters for n in _neuron_layers(design, structure) + _blocks(design, structure))


def _width(design, structure, node_id: str) -> int:
    shape = structure.shapes.get(node_id, (1,))
    return int(np.prod(shape)) if shape else 1


def _neuron_layers(design, structure) -> list[NodeMemory]:
    """Neurons compile into one masked layer per depth (core.compiler.compile): a kernel of every source
    column of the depth by every neuron in it."""
    nodes = design.nodes
    depth: dict[str, int] = {}
    for nid in structure.order:
        if nodes[nid].kind == "neuron":
            depth[nid] = 1 + max((depth.get(s, 0) for s in structure.sources[nid]), default=0)
    if not depth:
        return []
    deepest = max(depth.values())
    for nid in structure.outputs:
        if nid in depth:
            depth[nid] = deepest
    layers: dict[int, list[str]] = {}
    for nid, d in depth.items():
        layers.setdefault(d, []).append(nid)
    out = []
    for d in sorted(layers):
        members = layers[d]
        sources = {s for nid in members for s in structure.sources[nid]}
        n_in = sum(_width(design, structure, s) for s in sources)
        n_out = len(members)
        joined = n_in if len(sources) > 1 else 0  # several sources: their values side by side
        out.append(NodeMemory(tuple(members), n_in * n_out + n_out, kept=2 * n_out + joined,
                              passing=n_in + n_out, evaluating=n_out + joined,
                              masked=n_in * n_out))
    return out


def _blocks(design, structure) -> list[NodeMemory]:
    out = []
    for nid in structure.order:
        node = design.nodes[nid]
        if node.kind in ("input", "data", "neuron"):
            continue
        kind = registry.blocks.get(node.kind)
        in_shapes = [tuple(structure.shapes[s]) for s in structure.sources[nid]]
        if getattr(kind, "merges", False):
            layer = kind.build(node.params, in_shapes)
        else:
            in_shape = in_shapes[0] if len(in_shapes) == 1 else (sum(s[0] for s in in_shapes),)
            layer = kind.build(node.params, in_shape)
        params = sum(int(np.prod(s)) for s in layer.param_shapes().values())
        kept, passing, evaluating, fixed = _values(layer, in_shapes)
        out.append(NodeMemory((nid,), params, kept, passing, evaluating, fixed))
    return out


def _values(layer, in_shapes) -> tuple[int, int, int, int]:
    """(kept, passing, evaluating, fixed) values of one block's layer (see NodeMemory), as its
    forward and backward make them."""
    n_in = sum(int(np.prod(s)) for s in in_shapes)
    n_out = int(getattr(layer, "n_out", 0) or np.prod(getattr(layer, "out_shape", (n_in,))))
    if isinstance(layer, Conv2DLayer):
        return _conv_values(layer)
    if isinstance(layer, RecurrentLayer):
        t, f, u, g = layer.time_steps, layer.n_features, layer.units, layer.gates
        kept = t * f + 2 * t * g * u + 4 * (t + 1) * u + n_out
        passing = 2 * t * g * u + 5 * t * u + t * f
        return kept, passing, kept, t * u * g * u
    if isinstance(layer, ShapeLayer):  # a view of its input
        return 0, 0, 0, 0
    if isinstance(layer, Pool2DLayer):
        return 2 * n_out, n_in + n_out, 2 * n_out, 0
    joined = n_in if len(in_shapes) > 1 else 0  # several wires: their values side by side
    return 2 * n_out + joined, n_in + n_out, n_out + joined, 0


def _conv_values(layer: Conv2DLayer) -> tuple[int, int, int]:
    height, width, channels = layer.in_shape
    out_h, out_w, filters = layer.out_shape
    k, s = layer.kernel_size, layer.strides
    padded_h = height + layer.pad_top + layer.pad_bottom
    padded_w = width + layer.pad_left + layer.pad_right
    positions = out_h * out_w
    padded = padded_h * padded_w * channels if padded_h * padded_w != height * width else 0
    evaluating = padded + positions * k * k * channels + positions * filters  # im2col, output
    kept = evaluating + positions * filters  # and the sums
    if s == 1:  # the input's gradient: a transposed convolution, im2col over the spread gradient
        back = (padded_h + k - 1) * (padded_w + k - 1) * filters + height * width * k * k * filters
    else:
        back = positions * k * k * channels + padded_h * padded_w * channels
    return kept, positions * filters + back + height * width * channels, evaluating, 0


# ---------------------------------------------------------------------------- words
def _who(design, node: NodeMemory) -> str:
    ids = node.node_ids
    first = design.nodes[ids[0]] if ids[0] in design.nodes else None
    name = (first.label or first.id) if first is not None else ids[0]
    if len(ids) > 1:
        return f"the {len(ids)} neurons with {name}"
    return f"{name!r}" if first is None or not first.label else f"{name!r} ({ids[0]})"


def memory_problems(design, structure, data) -> list[Problem]:
    """An error when training the design would need more memory than the machine has."""
    machine = machine_memory()
    if machine is None:
        return []
    try:
        found = estimate(design, structure, data)
    except (ValueError, KeyError):  # a shape the compiler will refuse in words of its own
        return []
    if found.total <= machine:
        return []
    heavy = found.heaviest()
    heavy = [n for n in heavy if found.node_bytes(n) >= found.node_bytes(heavy[0]) / 10]
    named = ", ".join(f"{_who(design, n)} {size_text(found.node_bytes(n))}" for n in heavy)
    ids = tuple(i for n in heavy for i in n.node_ids[:1])
    return [Problem(f"training would need about {size_text(found.total)} of memory, more than the "
                    f"{size_text(machine)} this machine has (the heaviest: {named}); use fewer "
                    f"units or filters, a smaller kernel or batch, or less data", ids)]


def summary(design, structure, data) -> str:
    """'training needs ≈ 12 MiB', for the status bar; '' when it cannot be estimated."""
    try:
        found = estimate(design, structure, data)
    except (ValueError, KeyError):
        return ""
    return f"training needs ≈ {size_text(found.total)}"


__all__ = ["MemoryEstimate", "NodeMemory", "estimate", "machine_memory", "memory_problems",
           "size_text", "summary"]
