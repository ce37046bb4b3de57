"""A grid of variants: what may vary (one axis per `--vary KEY=VALUES`), the values each axis
takes, and every combination of them as the variant dicts that core.training.variants trains.

One axis, as text (`parse_vary`):

    learning_rate=0.001,0.01,0.1    a list of values (numbers, or names for optimizer/activation)
    seed=1..5                       whole numbers from 1 to 5, both included
    learning_rate=1e-4..1e-1:log4   4 values evenly spaced in log from 1e-4 to 1e-1 (both included)
    l2=0..0.01:3                    3 values evenly spaced from 0 to 0.01 (both included)
    n3.activation=relu,tanh         a node's parameter, by node id (or the node's unique label)
    n3+n4.activation=relu,tanh      the same parameter of several nodes at once, set together
    dense1.units=8..64:log4         whole-number parameters take ranges too: 8, 16, 32, 64

Training settings that vary: learning_rate, optimizer, batch_size, l1, l2, clip_norm, seed. The
number of epochs is not an axis (every variant trains as long). `expand(axes)` makes the
cartesian product, the first axis varying slowest; `grid_points(axes)` names each variant's
values in the same order. Every mistake is a GridError naming the spec and what is wrong.

    axes = parse_grid(["learning_rate=0.01,0.1", "seed=1..3"], design)
    for variant, point in zip(expand(axes), grid_points(axes)):
        ...  # {"learning_rate": 0.01, "seed": 1}, {"learning_rate": 0.01, "seed": 1}
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from core.design import registry
from core.design.design import Design
from core.design.errors import NeuralCanvasError, cut, shown
from core.training.trainer import new_seed

MAX_VARIANTS = 1000  # the most variants one grid may hold (an axis, or all axes multiplied)
_MAX_DIGITS = 30  # a number longer than this, as text, is refused before it is parsed

# training settings an axis may vary: (value kind, lowest allowed, whether the lowest is allowed)
TRAINING_AXES: dict[str, tuple[str, float | None, bool]] = {
    "learning_rate": ("float", 0.0, False),
    "optimizer": ("optimizer", None, True),
    "batch_size": ("int", 1, True),
    "l1": ("float", 0.0, True),
    "l2": ("float", 0.0, True),
    "clip_norm": ("float", 0.0, True),
    "seed": ("int", 0, True),
}
# node parameter kinds (a block's ParamSpec.kind) an axis may vary
_NODE_KINDS = {"int": "int", "float": "float", "float?": "float", "bool": "bool", "str": "text",
               "activation": "activation", "initializer": "initializer"}

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class GridError(NeuralCanvasError):
    """A `--vary` spec, or a grid of them, that cannot be used; the message says why."""


@dataclass(frozen=True)
class Axis:
    """One thing that varies and the values it takes, in order.

    `setting` is a training setting's name when `nodes` is empty, else the parameter each of
    `nodes` (node ids) takes the value for."""

    spec: str  # as written
    setting: str
    values: tuple[Any, ...]
    nodes: tuple[str, ...] = ()
    # the design's optimizer and its settings: kept by a variant of that optimizer, while one of
    # another optimizer takes its defaults (a setting of one is no setting of another)
    base_optimizer: str = ""
    base_optimizer_params: tuple[tuple[str, Any], ...] = ()

    @property
    def name(self) -> str:
        """The axis as a column heading: "learning_rate", "n3+n4.activation"."""
        return f"{'+'.join(self.nodes)}.{self.setting}" if self.nodes else self.setting

    def change(self, value: Any) -> dict[str, Any]:
        """The variant dict that sets this axis to `value`."""
        if self.setting == "optimizer" and not self.nodes:
            kept = dict(self.base_optimizer_params) if value == self.base_optimizer else {}
            return {"optimizer": value, "optimizer_params": kept}
        if not self.nodes:
            return {self.setting: value}
        return {"nodes": {node: {self.setting: value} for node in self.nodes}}


def parse_vary(spec: str, design: Design) -> Axis:
    """One axis from `KEY=VALUES` text (the forms in this module's docstring), checked against
    the design (its node ids and each node's parameters); GridError when it is wrong."""
    if not isinstance(spec, str):
        raise GridError(f"cannot vary {shown(spec)}: it is not text such as learning_rate=0.01,0.1")
    key, sep, text = spec.partition("=")
    key, text = key.strip(), text.strip()
    if not sep or not key:
        raise GridError(f"cannot vary {shown(spec)}: write KEY=VALUES, such as "
                        "learning_rate=0.001,0.01 or seed=1..5")
    if not text:
        raise GridError(f"cannot vary {shown(spec)}: it names no values after '='")
    if "." in key:
        nodes_text, _, setting = key.rpartition(".")
        nodes = tuple(_node_id(spec, name.strip(), design) for name in nodes_text.split("+"))
        if len(set(nodes)) != len(nodes):
            raise GridError(f"cannot vary {shown(spec)}: it names a node twice")
        kind = _node_value_kind(spec, setting.strip(), nodes, design)
        axis_kind = (kind, None, True)
        setting = setting.strip()
    else:
        if key not in TRAINING_AXES:
            known = ", ".join(TRAINING_AXES)
            hint = " (the number of epochs is --epochs)" if key == "epochs" else ""
            raise GridError(f"cannot vary {shown(spec)}: unknown setting {shown(key)}{hint}; "
                            f"a training setting ({known}) or NODE.parameter varies")
        nodes, setting, axis_kind = (), key, TRAINING_AXES[key]
    values = _values(spec, text, axis_kind, nodes, setting, design)
    axis = Axis(spec, setting, values, nodes)
    if setting == "optimizer" and not nodes:
        axis = Axis(spec, setting, values, nodes, design.training.optimizer,
                    tuple(sorted(design.training.optimizer_params.items())))
    if nodes:
        _check_node_values(axis, design)
    return axis


def parse_grid(specs: Iterable[str], design: Design, limit: int = MAX_VARIANTS) -> list[Axis]:
    """Every spec as an axis; GridError when one is wrong, two vary the same thing, or the grid
    would hold more than `limit` variants."""
    axes = [parse_vary(spec, design) for spec in specs]
    check_grid(axes, limit)
    return axes


def check_grid(axes: Sequence[Axis], limit: int = MAX_VARIANTS) -> None:
    """GridError when two axes vary the same setting (of the same node) or the grid is too big."""
    seen: dict[tuple[str, str], Axis] = {}
    for axis in axes:
        for target in axis.nodes or ("",):
            other = seen.setdefault((target, axis.setting), axis)
            if other is not axis:
                what = (f"the {axis.setting!r} of node {shown(target)}" if target
                        else repr(axis.setting))
                raise GridError(f"cannot vary {shown(axis.spec)}: {shown(other.spec)} already "
                                f"varies {what}")
    size = grid_size(axes)
    if size > limit:
        sizes = " × ".join(str(len(a.values)) for a in axes)
        raise GridError(f"the grid {sizes} holds {size} variants, more than the {limit} allowed; "
                        "vary fewer values")


def grid_size(axes: Sequence[Axis]) -> int:
    return math.prod(len(axis.values) for axis in axes)


def expand(axes: Sequence[Axis], limit: int = MAX_VARIANTS) -> list[dict[str, Any]]:
    """Every combination of the axes' values as a variant dict, the first axis varying slowest
    (no axes: one variant, the design as it is)."""
    check_grid(axes, limit)
    variants = []
    for combination in itertools.product(*(axis.values for axis in axes)):
        variant: dict[str, Any] = {}
        for axis, value in zip(axes, combination, strict=True):
            for key, change in axis.change(value).items():
                if key == "nodes":
                    nodes = variant.setdefault("nodes", {})
                    for node, params in change.items():
                        nodes.setdefault(node, {}).update(params)
                else:
                    variant[key] = change
        variants.append(variant)
    return variants


def grid_points(axes: Sequence[Axis]) -> list[dict[str, Any]]:
    """Each variant's values by axis name ({"learning_rate": 0.01, "n3.activation": "relu"}),
    in the order of `expand`."""
    return [{axis.name: value for axis, value in zip(axes, combination, strict=True)}
            for combination in itertools.product(*(axis.values for axis in axes))]


def sweep_design(design: Design, axes: Sequence[Axis]) -> Design:
    """The design the variants start from: a copy of `design`; when the seed varies, with every
    weight and the training state cleared, so that each variant draws its own weights from its
    seed (as `train --seed` does) instead of all sharing the design's."""
    return start_design(design, any(axis.setting == "seed" and not axis.nodes for axis in axes))


def start_design(design: Design, seeds_vary: bool) -> Design:
    """A copy of `design` for variants to start from: with every weight and the training state
    cleared when `seeds_vary` (each variant then draws its weights from its own seed)."""
    start = design.copy()
    if seeds_vary:
        new_seed(start, start.training.seed)
    return start


# ---------------------------------------------------------------------------- parsing values
def _node_id(spec: str, name: str, design: Design) -> str:
    if name in design.nodes:
        return name
    labelled = [node.id for node in design.nodes.values() if node.label and node.label == name]
    if len(labelled) == 1:
        return labelled[0]
    if len(labelled) > 1:
        raise GridError(f"cannot vary {shown(spec)}: {len(labelled)} nodes are labelled "
                        f"{shown(name)}; name one by its id")
    raise GridError(f"cannot vary {shown(spec)}: the design has no node {shown(name)}")


def _node_value_kind(spec: str, setting: str, nodes: tuple[str, ...], design: Design) -> str:
    kinds = set()
    for node_id in nodes:
        node = design.nodes[node_id]
        block = registry.blocks.get(node.kind) if node.kind in registry.blocks else None
        specs = {p.name: p for p in block.params} if block is not None else {}
        param = specs.get(setting)
        if param is None or param.name == "bias":
            known = ", ".join(p.name for p in specs.values() if p.kind in _NODE_KINDS
                              and p.name != "bias") or "none"
            raise GridError(f"cannot vary {shown(spec)}: node {shown(node_id)} "
                            f"({node.kind}) has no parameter {shown(setting)} that can vary "
                            f"(it has: {known})")
        if param.kind not in _NODE_KINDS:
            raise GridError(f"cannot vary {shown(spec)}: {setting!r} holds named settings, "
                            "which an axis cannot vary")
        kinds.add("name" if param.choices and param.kind == "str" else _NODE_KINDS[param.kind])
    if len(kinds) > 1:
        raise GridError(f"cannot vary {shown(spec)}: {setting!r} is not the same kind of value "
                        "in each of the nodes named")
    return kinds.pop()


def _values(spec: str, text: str, axis_kind: tuple[str, float | None, bool],
            nodes: tuple[str, ...], setting: str, design: Design) -> tuple[Any, ...]:
    kind = axis_kind[0]
    if ".." in text and "," not in text:
        low, _, rest = text.partition("..")
        high, colon, count = rest.partition(":")
        values = _range(spec, low.strip(), high.strip(), count.strip() if colon else None, kind)
    else:
        tokens = [token.strip() for token in text.split(",")]
        if len(tokens) > MAX_VARIANTS:
            raise GridError(f"cannot vary {shown(spec)}: {len(tokens)} values, more than the "
                            f"{MAX_VARIANTS} a grid may hold")
        values = [_value(spec, token, kind, nodes, setting, design) for token in tokens]
    repeated = sorted({repr(v) for v in values if values.count(v) > 1})
    if repeated:
        raise GridError(f"cannot vary {shown(spec)}: it repeats {cut(', '.join(repeated))}")
    low, low_allowed = axis_kind[1], axis_kind[2]
    if low is not None:
        for value in values:
            if value < low or (value == low and not low_allowed):
                bound = f"{'at least' if low_allowed else 'above'} {low:g}"
                raise GridError(f"cannot vary {shown(spec)}: {value!r} is out of range; "
                                f"{setting} must be {bound}")
    return tuple(values)


def _range(spec: str, low_text: str, high_text: str, count_text: str | None,
           kind: str) -> list[Any]:
    """A..B (whole numbers), A..B:N (N evenly spaced) or A..B:logN (N evenly spaced in log)."""
    if kind not in ("int", "float"):
        raise GridError(f"cannot vary {shown(spec)}: a range needs numbers; list the names "
                        "instead (a,b,c)")
    low = _number(spec, low_text, "float" if count_text is not None else kind)
    high = _number(spec, high_text, "float" if count_text is not None else kind)
    if count_text is None:  # whole numbers, both ends included
        if kind != "int":
            raise GridError(f"cannot vary {shown(spec)}: A..B counts whole numbers; give a count "
                            "for numbers between (A..B:N, or A..B:logN in log)")
        if high < low:
            raise GridError(f"cannot vary {shown(spec)}: the range {low}..{high} is empty")
        if high - low + 1 > MAX_VARIANTS:
            raise GridError(f"cannot vary {shown(spec)}: {high - low + 1} values, more than the "
                            f"{MAX_VARIANTS} a grid may hold")
        return list(range(low, high + 1))
    is_log = count_text.startswith("log")
    count_text = count_text[3:] if is_log else count_text
    if not _INT.fullmatch(count_text) or len(count_text) > _MAX_DIGITS:
        raise GridError(f"cannot vary {shown(spec)}: after ':' comes how many values, as N or "
                        f"logN (such as :4 or :log4), not {shown(count_text)}")
    count = int(count_text)
    if count < 2:
        raise GridError(f"cannot vary {shown(spec)}: a range needs at least 2 values")
    if count > MAX_VARIANTS:
        raise GridError(f"cannot vary {shown(spec)}: {count} values, more than the "
                        f"{MAX_VARIANTS} a grid may hold")
    if not low < high:
        raise GridError(f"cannot vary {shown(spec)}: the range {low:g}..{high:g} is empty "
                        "(it runs from the lower number up to the higher)")
    if is_log:
        if low <= 0:
            raise GridError(f"cannot vary {shown(spec)}: a log range needs numbers above 0")
        a, b = math.log10(low), math.log10(high)
        values = [10 ** (a + (b - a) * i / (count - 1)) for i in range(count)]
        values[0], values[-1] = low, high
        values = [float(f"{v:.6g}") for v in values]  # 0.001, not 0.0009999999999999998
    else:
        values = [low + (high - low) * i / (count - 1) for i in range(count)]
        values[-1] = high
        values = [float(f"{v:.12g}") for v in values]
    if not all(math.isfinite(v) for v in values):
        raise GridError(f"cannot vary {shown(spec)}: its values are not all finite numbers")
    if kind == "int":
        whole = [round(v) for v in values]
        if len(set(whole)) < len(whole):
            raise GridError(f"cannot vary {shown(spec)}: {count} whole numbers do not fit between "
                            f"{low:g} and {high:g} without repeats")
        return whole
    return values


def _number(spec: str, token: str, kind: str) -> Any:
    pattern = _INT if kind == "int" else _FLOAT
    if len(token) > _MAX_DIGITS or not pattern.fullmatch(token):
        what = "a whole number" if kind == "int" else "a number"
        raise GridError(f"cannot vary {shown(spec)}: {shown(token)} is not {what}")
    value = int(token) if kind == "int" else float(token)
    if kind == "float" and not math.isfinite(value):
        raise GridError(f"cannot vary {shown(spec)}: {shown(token)} is not a finite number")
    return value


def _value(spec: str, token: str, kind: str, nodes: tuple[str, ...], setting: str,
           design: Design) -> Any:
    if not token:
        raise GridError(f"cannot vary {shown(spec)}: it has an empty value between commas")
    if kind in ("int", "float"):
        return _number(spec, token, kind)
    if kind == "text":  # free text (an input's feature): the node's checks and the compiler judge it
        return token
    if kind == "bool":
        if token.lower() not in ("true", "false"):
            raise GridError(f"cannot vary {shown(spec)}: {shown(token)} is not true or false")
        return token.lower() == "true"
    known = _names(kind, nodes, setting, design)
    if token not in known:
        raise GridError(f"cannot vary {shown(spec)}: unknown {kind if kind != 'name' else setting} "
                        f"{shown(token)} (known: {', '.join(known)})")
    return token


def _names(kind: str, nodes: tuple[str, ...], setting: str, design: Design) -> list[str]:
    if kind == "optimizer":
        return sorted(registry.optimizers)
    if kind == "activation":
        return sorted(registry.activations)
    if kind == "initializer":
        return ["auto", *sorted(registry.initializers)]
    block = registry.blocks.get(design.nodes[nodes[0]].kind)
    return [str(c) for c in {p.name: p for p in block.params}[setting].choices]


def _check_node_values(axis: Axis, design: Design) -> None:
    """Each value as the node's own checks judge it (a Dense block's units from 1, …)."""
    for node_id in axis.nodes:
        node = design.nodes[node_id]
        block = registry.blocks.get(node.kind)
        already = set(block.param_problems(node.params))
        for value in axis.values:
            params = {**node.params, axis.setting: value}
            problems = [p for p in block.param_problems(params) if p not in already]
            if problems:
                raise GridError(f"cannot vary {shown(axis.spec)}: node {shown(node_id)}: "
                                f"{problems[0]}")


__all__ = ["MAX_VARIANTS", "TRAINING_AXES", "Axis", "GridError", "check_grid", "expand",
           "grid_points", "grid_size", "parse_grid", "parse_vary", "start_design", "sweep_design"]
