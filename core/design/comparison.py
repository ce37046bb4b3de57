"""A comparison kept with the design: the variants the Compare dialog made (their labels and
changes), the epochs per Play, and how far each variant trained: its state, history and, while
they fit the budget, its weights (the flat buffer of its own compiled model)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# What one design keeps of a comparison; a file holding more is refused, so that a file cannot
# make the program allocate without bound. 32 MiB of weights keep every variant of the comparisons
# the Compare dialog makes on the nets it is for (256 variants of the playground net take 0.4 MiB;
# 16 of the digits MLP 64-256-256-10, 85,000 values each, 5.2 MiB in float32) while the file
# stays a size that opens in about a second; beyond it the curves and the table are kept and
# picking a variant needs training again.
WEIGHTS_BUDGET = 32 * 2**20  # bytes
MAX_VARIANTS = 1000
MAX_HISTORY = 250_000  # epochs of history in all the variants together
VARIANT_STATES = ("waiting", "training", "paused", "finished", "diverged")
METRICS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "train_r2", "test_r2",
           "learning_rate")  # core.training.trainer.EpochMetrics' fields after "epoch"


@dataclass(frozen=True, eq=False)
class ComparedVariant:
    """One variant of a comparison as far as it trained."""

    labels: Mapping[str, Any]  # each axis's value as the dialog showed it
    changes: Mapping[str, Any]  # core.training.variants: training settings and "nodes"
    state: str = "waiting"  # one of VARIANT_STATES
    reason: str = ""
    epoch: int = 0
    step: int = 0
    history: tuple[Mapping[str, Any], ...] = ()  # per epoch: "epoch" and METRICS
    weights: np.ndarray | None = None  # flat, as the variant's own model lays them out; read-only

    def __post_init__(self) -> None:
        object.__setattr__(self, "history", tuple(self.history))
        if self.weights is not None:
            weights = np.array(self.weights, copy=True)
            weights.flags.writeable = False
            object.__setattr__(self, "weights", weights)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ComparedVariant):
            return NotImplemented
        return ((self.labels, self.changes, self.state, self.reason, self.epoch, self.step)
                == (other.labels, other.changes, other.state, other.reason, other.epoch, other.step)
                and len(self.history) == len(other.history)
                and all(_same_entry(a, b) for a, b in zip(self.history, other.history, strict=True))
                and _same_array(self.weights, other.weights))

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Comparison:
    """Variants of the design trained side by side, `epochs` epochs per Play."""

    epochs: int
    variants: tuple[ComparedVariant, ...] = field(default_factory=tuple)
    base: str = ""  # weights_base of the design the variants were made from ("" not known)

    def __post_init__(self) -> None:
        object.__setattr__(self, "variants", tuple(self.variants))

    @property
    def weights_bytes(self) -> int:
        return sum(v.weights.nbytes for v in self.variants if v.weights is not None)

    @property
    def pickable(self) -> bool:
        """Every variant keeps its weights: any of them can become the design without training."""
        return all(v.weights is not None for v in self.variants)

    def without_weights(self) -> Comparison:
        return Comparison(self.epochs, tuple(
            ComparedVariant(v.labels, v.changes, v.state, v.reason, v.epoch, v.step, v.history)
            for v in self.variants), self.base)

    def weights_fit(self, design: Any) -> bool:
        """Whether the kept weights were trained for this design: its nodes, wires and data set
        as they were when the variants were made (an activation changed since, another data set
        of as many inputs: the same number of weights, but not what they mean)."""
        return bool(self.base) and self.base == weights_base(design)


def weights_base(design: Any) -> str:
    """A digest of what a design's weights mean: its nodes (their parameters but a neuron's bias,
    a weight), wires and data set; equal for two designs whose weights can be swapped."""
    nodes = [[node.id, node.kind, {k: v for k, v in node.params.items() if k != "bias"}]
             for node in design.nodes.values()]
    wires = [[c.id, c.source, c.target] for c in design.connections.values()]
    text = json.dumps([nodes, wires, dataclasses.asdict(design.dataset)], sort_keys=True,
                      default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def limit_problems(comparison: Comparison) -> list[str]:
    """Why a comparison is more than a design keeps (empty: it fits). Weights over the budget
    are not a reason: `within_budget` leaves them out."""
    problems = []
    if not comparison.variants:
        problems.append("a comparison has at least one variant")
    if len(comparison.variants) > MAX_VARIANTS:
        problems.append(f"{len(comparison.variants)} variants are more than the "
                        f"{MAX_VARIANTS} a design keeps")
    epochs = sum(len(v.history) for v in comparison.variants)
    if epochs > MAX_HISTORY:
        problems.append(f"{epochs} epochs of history are more than the {MAX_HISTORY} a design "
                        f"keeps")
    return problems


def within_budget(comparison: Comparison, budget: int | None = None) -> Comparison:
    """The comparison, its weights left out when together they are over `budget` bytes
    (WEIGHTS_BUDGET by default)."""
    budget = WEIGHTS_BUDGET if budget is None else budget
    return comparison if comparison.weights_bytes <= budget else comparison.without_weights()


def changed_design(design: Any, changes: Mapping[str, Any]) -> Any:
    """A copy of the design with a variant's changes (training settings by name, node parameters
    under "nodes"): core.training.variants.variant_design without its checks, for a comparison
    already checked."""
    other = design.copy()
    settings = {k: v for k, v in changes.items() if k != "nodes"}
    if settings:
        other.set_training(**settings)
    for node_id, params in dict(changes.get("nodes", {})).items():
        other.set_node_params(node_id, **dict(params))
    return other


def _same_entry(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Two epochs of history alike, NaN equal to NaN (a diverged loss)."""
    if a.keys() != b.keys():
        return False
    return all(x == y or (isinstance(x, float) and isinstance(y, float) and math.isnan(x)
                          and math.isnan(y)) for x, y in ((a[k], b[k]) for k in a))


def _same_array(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def history_of(entries: Sequence[Any]) -> tuple[dict[str, Any], ...]:
    """History entries (EpochMetrics or dicts of its fields) as plain dicts."""
    out = []
    for entry in entries:
        if isinstance(entry, Mapping):
            out.append({"epoch": entry["epoch"], **{k: entry.get(k) for k in METRICS}})
        else:
            out.append({"epoch": entry.epoch, **{k: getattr(entry, k) for k in METRICS}})
    return tuple(out)
