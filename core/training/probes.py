"""Evaluations for views: the decision boundary over the input plane, each neuron's map, the
confusion matrix and per-sample probabilities, the snapshot a live view draws from, and an
activation's curve and range (the canvas's glyphs and the colour scale of its neuron maps)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.compiler.memory import PROBE_GRID
from core.engine.activations import make_activation
from core.engine.backend import to_device, to_numpy
from core.training.trainer import EpochMetrics, Trainer

GRID = PROBE_GRID  # boundary and neuron maps: GRID × GRID points over the input plane
MARGIN = 0.1  # the plane reaches this fraction of the data's range beyond it on each side
SATURATION_Z = (-60.0, -30.0, 0.0, 30.0, 60.0)  # where an activation that saturates has
SATURATION_TOLERANCE = 1e-3  # … reached its bounds on both sides (within this)


def activation_values(activation_id: str, z: Any, params: Any = None) -> np.ndarray:
    """f(z) as the engine computes it (host float64). Softmax, a vector function, on the logits
    (z, 0): its first output, the S from 0 to 1 it draws for two classes. Raises what the
    activation raises for parameters it refuses (TypeError, ValueError)."""
    activation = make_activation(activation_id, params)
    z = np.asarray(z, dtype=np.float64)
    x = z if activation.elementwise else np.stack([z, np.zeros_like(z)], axis=1)
    y = np.asarray(to_numpy(activation.f(to_device(x, np.float64))), dtype=np.float64)
    return y if activation.elementwise else y[:, 0]


def activation_range(activation_id: str, params: Any = None) -> tuple[float, float] | None:
    """The activation's (lowest, highest) output when it saturates on both sides (tanh: −1 and
    1, sigmoid: 0 and 1); None when it does not (ReLU, …) or cannot be evaluated."""
    try:
        y = activation_values(activation_id, SATURATION_Z, params)
    except Exception:  # noqa: BLE001 - an activation that cannot be probed has no known range
        return None
    if not np.all(np.isfinite(y)) or abs(y[0] - y[1]) > SATURATION_TOLERANCE \
            or abs(y[4] - y[3]) > SATURATION_TOLERANCE:
        return None
    return float(y.min()), float(y.max())


@dataclass(frozen=True)
class Plane:
    """The input plane of a two-dimensional data set: where the grid's points lie."""

    x_min: float
    x_max: float
    y_min: float
    y_max: float
    size: int = GRID

    @classmethod
    def around(cls, X: np.ndarray, size: int = GRID) -> Plane:
        lo, hi = X[:, :2].min(axis=0), X[:, :2].max(axis=0)
        pad = (hi - lo) * MARGIN + 1e-9
        return cls(float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]),
                   float(hi[1] + pad[1]), size)

    def points(self) -> np.ndarray:
        """(size², 2) raw data rows, row-major with x1 fastest (row j, column i)."""
        xs = np.linspace(self.x_min, self.x_max, self.size)
        ys = np.linspace(self.y_min, self.y_max, self.size)
        gx, gy = np.meshgrid(xs, ys)
        return np.column_stack([gx.ravel(), gy.ravel()])


def is_planar(trainer: Trainer) -> bool:
    """The data has two raw inputs: its boundary and neuron maps can be drawn over a plane."""
    return trainer.build.data.X.shape[1] == 2


def neuron_columns(trainer: Trainer) -> dict[str, tuple[int, int]]:
    """Each neuron's (value slot, column) in the model."""
    model = trainer.model
    where: dict[str, tuple[int, int]] = {}
    for nmap in trainer.build.neuron_maps:
        slot = model.ops[nmap.op_index].out_slot
        for node_id, col in nmap.neurons:
            where[node_id] = (slot, col)
    return where


def plane_maps(trainer: Trainer, plane: Plane) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The network's output over the plane, (size, size, outputs), and each neuron's
    activation over it, node id → (size, size); input nodes map their feature."""
    rows = trainer.build.feature_rows(plane.points())
    x = to_device(rows, trainer.model.dtype)
    slots, _ = trainer.model.forward_all(x)
    n = plane.size
    out = to_numpy(slots[trainer.model.output_op.out_slot]).reshape(n, n, -1)
    maps = {node_id: to_numpy(slots[slot][:, col]).reshape(n, n)
            for node_id, (slot, col) in neuron_columns(trainer).items()}
    return out, maps


def confusion(trainer: Trainer, test: bool = True) -> np.ndarray:
    """Counts[true class, predicted class] on the test (or training) set."""
    X, labels = (trainer.X_test, trainer.labels_test) if test else (trainer.X_train, trainer.labels_train)
    k = max(trainer.build.data.num_classes, 2)
    if len(labels) == 0:
        return np.zeros((k, k), dtype=np.int64)
    predicted = to_numpy(trainer.predict_classes(trainer.outputs(X)[0]))
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (np.asarray(labels), predicted), 1)
    return counts


def probabilities(trainer: Trainer, indices: np.ndarray) -> np.ndarray:
    """The network's output for some test samples, (len(indices), outputs)."""
    return to_numpy(trainer.outputs(trainer.X_test[to_device(np.asarray(indices))])[0])


@dataclass(frozen=True)
class Snapshot:
    """One moment of a training run, as the live views draw it (host arrays only)."""

    epoch: int
    step: int
    loss: float | None  # the last mini-batch's
    metrics: EpochMetrics | None  # the last epoch's
    history: tuple[dict[str, Any], ...]  # every epoch's metrics so far
    weights: dict[str, Any]  # Design.snapshot_weights() of the trained copy
    steps_per_second: float = 0.0
    plane: Plane | None = None
    output_map: np.ndarray | None = None  # (n, n, outputs) over the plane
    neuron_maps: dict[str, np.ndarray] = field(default_factory=dict)
    confusion: np.ndarray | None = None  # (classes, classes) on the test set
    sample_indices: np.ndarray | None = None  # test samples shown with their probabilities
    sample_probabilities: np.ndarray | None = None
    sample: int | None = None  # the training sample just presented, if any
    history_start: int = 0  # `history` holds the epochs from this one on (sent in parts)
    cursor: int = 0  # training samples already used in the epoch under way


def take_snapshot(trainer: Trainer, *, loss: float | None = None, steps_per_second: float = 0.0,
                  plane: Plane | None = None, samples: np.ndarray | None = None,
                  sample: int | None = None, weights: bool = True,
                  history_from: int = 0) -> Snapshot:
    """Everything a live view needs, computed where the trainer runs (it reads the model).

    Without `weights` the snapshot leaves out the weights and the neurons' maps (the canvas
    takes them a few times a second, the plots every frame); `history_from` leaves out the
    epochs the receiver already has."""
    with np.errstate(all="ignore"):  # a diverging run's views may hold inf or NaN: drawn as such
        return _snapshot(trainer, loss, steps_per_second, plane, samples, sample, weights,
                         history_from)


def _snapshot(trainer, loss, steps_per_second, plane, samples, sample, weights, history_from):
    if weights:
        trainer.write_back()  # into the trainer's own copy of the design
    output_map, maps = (None, {})
    if plane is not None:
        output_map, maps = plane_maps(trainer, plane)
        if not weights:
            maps = {}
    counts = probs = None
    if trainer.build.task == "classification" and plane is None:
        counts = confusion(trainer)
        if samples is not None and len(samples):
            probs = probabilities(trainer, samples)
    return Snapshot(trainer.epoch, trainer.step_count, loss, trainer.last_metrics(),
                    tuple(trainer.history[history_from:]),
                    trainer.design.snapshot_weights() if weights else {}, steps_per_second,
                    plane, output_map, maps, counts, samples, probs, sample, history_from,
                    trainer.cursor)
