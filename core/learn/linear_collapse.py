"""A network whose activations are all the identity is one affine map: its weight matrices
multiplied into one and its biases carried through; and the XOR experiment that shows what that
costs (the identity network cannot learn XOR, the same network with tanh can)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from core.compiler.compile import Build
from core.design.design import Design
from core.engine.backend import to_device, to_numpy
from core.training.probes import Plane, plane_maps
from core.training.trainer import Trainer

XOR_HIDDEN = (4, 4)  # 2-4-4-1
XOR_POINTS = 400
XOR_EPOCHS = 60
XOR_LEARNING_RATE = 0.05
PLANE_SIZE = 100  # the boundary's grid: PLANE_SIZE × PLANE_SIZE points


@dataclass(frozen=True)
class Collapse:
    """The single layer a linear network equals: outputs = x·W + b (x a row of features)."""

    names: tuple[str, ...]  # each layer's node ids, joined, in order
    kernels: tuple[np.ndarray, ...]  # each layer's weights W₁, W₂, … (inputs × outputs)
    biases: tuple[np.ndarray, ...]  # each layer's biases b₁, b₂, …
    weight: np.ndarray  # W = W₁·W₂·…, (inputs × outputs)
    bias: np.ndarray  # b = (b₁·W₂ + b₂)·W₃ + … , (outputs,)

    def outputs(self, features: np.ndarray) -> np.ndarray:
        return np.asarray(features, dtype=np.float64) @ self.weight + self.bias

    @property
    def parameter_count(self) -> int:
        """Weights and biases of the network before it collapsed."""
        return sum(k.size + b.size for k, b in zip(self.kernels, self.biases, strict=True))


def collapse_model(model) -> Collapse:
    """Multiply a compiled model's layers into one, when every layer is weighted sums followed by
    the identity; ValueError names the first layer that is not.

    Each value slot is tracked as an affine map of the features, slot = x·A + c: a layer that reads
    pieces of slots and computes z = input·K + b makes A = A_in·K and c = c_in·K + b, so skip
    connections and neuron-level layers collapse as well as a chain of Dense blocks."""
    width = model.n_features
    maps: dict[int, tuple[np.ndarray, np.ndarray]] = {0: (np.eye(width), np.zeros(width))}
    names, kernels, biases = [], [], []
    for op in model.ops:
        layer = op.layer
        name = ", ".join(op.node_ids)
        groups = getattr(layer, "groups", None)
        if groups is None or "kernel" not in op.params or getattr(op, "merges", False):
            raise ValueError(f"{name} is a {type(layer).__name__}, not a layer of weighted sums")
        for group in groups:
            if group.activation.id != "identity":
                raise ValueError(f"{name} applies {group.activation.id}, not the identity")
        parts = [_piece(maps[p.slot], p.columns) for p in op.inputs]
        a_in = np.concatenate([a for a, _ in parts], axis=1)
        c_in = np.concatenate([c for _, c in parts])
        kernel = to_numpy(op.params["kernel"]).astype(np.float64)
        if getattr(layer, "mask", None) is not None:
            kernel = kernel * layer.mask
        bias = (to_numpy(op.params["bias"]).astype(np.float64) if "bias" in op.params
                else np.zeros(kernel.shape[1]))
        maps[op.out_slot] = (a_in @ kernel, c_in @ kernel + bias)
        names.append(name)
        kernels.append(kernel)
        biases.append(bias)
    weight, bias = maps[model.output_op.out_slot]
    return Collapse(tuple(names), tuple(kernels), tuple(biases), weight, bias)


def _piece(affine: tuple[np.ndarray, np.ndarray], columns) -> tuple[np.ndarray, np.ndarray]:
    a, c = affine
    if columns is None:
        return a, c
    columns = columns if isinstance(columns, slice) else to_numpy(columns)
    return a[:, columns], c[columns]


def network_outputs(build: Build, X: np.ndarray) -> np.ndarray:
    """The engine's own outputs for raw data rows (its forward pass, layer by layer)."""
    features = to_device(build.feature_rows(np.asarray(X)), build.model.dtype)
    return to_numpy(build.model.forward(features)).astype(np.float64)


# ---------------------------------------------------------------------- the XOR experiment
def xor_network(activation: str, seed: int = 0, hidden: tuple[int, ...] = XOR_HIDDEN,
                epochs: int = XOR_EPOCHS, points: int = XOR_POINTS) -> Design:
    """Data → Dense(4, activation) → Dense(4, activation) → Dense(1, identity) on XOR, trained
    with binary cross-entropy from the output (a logit: class 1 where it is above 0), in float64.
    With activation "identity" every layer is linear."""
    d = Design()
    d.set_dataset("xor", {"n": points}, seed=0)
    d.set_training(loss="binary_cross_entropy", optimizer="adam", learning_rate=XOR_LEARNING_RATE,
                   batch_size=10, epochs=epochs, seed=seed, dtype="float64")
    d.add_node("data", position=(0, 0), node_id="data")
    previous = "data"
    for i, units in enumerate(hidden, start=1):
        d.add_node("dense", {"units": units, "activation": activation}, (160 * i, 0),
                   node_id=f"hidden{i}")
        d.add_connection(previous, f"hidden{i}", connection_id=f"{previous}-hidden{i}")
        previous = f"hidden{i}"
    d.add_node("dense", {"units": 1, "activation": "identity"}, (160 * (len(hidden) + 1), 0),
               node_id="out")
    d.add_connection(previous, "out", connection_id=f"{previous}-out")
    return d


@dataclass(frozen=True)
class XorRun:
    """One trained XOR network: its accuracy, its boundary over the plane, and (for the identity
    network) the one matrix it collapses to."""

    activation: str
    design: Design  # trained, weights written back
    train_accuracy: float
    test_accuracy: float
    epochs: int
    seconds: float
    plane: Plane
    output_map: np.ndarray  # (size, size, 1) the output (a logit) over the plane
    X: np.ndarray  # the data's points, their outputs (the engine's forward), labels and split
    outputs: np.ndarray
    labels: np.ndarray
    train_idx: np.ndarray
    test_idx: np.ndarray
    collapse: Collapse | None  # None when an activation is not the identity


def train_xor(activation: str, seed: int = 0, epochs: int = XOR_EPOCHS) -> XorRun:
    """Train `xor_network(activation)` with the engine's Trainer (60 epochs: about 0.15 s on one
    core); with epochs 0, the network as its seed draws it, scored untrained."""
    design = xor_network(activation, seed=seed, epochs=epochs)
    start = time.perf_counter()
    trainer = Trainer(design)
    metrics = trainer.train() if epochs else trainer.evaluate()
    seconds = time.perf_counter() - start
    trainer.write_back()
    data = trainer.build.data
    plane = Plane.around(data.X, size=PLANE_SIZE)
    output_map, _ = plane_maps(trainer, plane)
    return XorRun(activation, design, float(metrics.train_accuracy), float(metrics.test_accuracy),
                  trainer.epoch, seconds, plane, output_map, data.X,
                  network_outputs(trainer.build, data.X), np.asarray(data.y),
                  np.asarray(trainer.train_idx), np.asarray(trainer.test_idx),
                  collapse_of(trainer.build))


def collapse_of(build: Build) -> Collapse | None:
    try:
        return collapse_model(build.model)
    except ValueError:
        return None
