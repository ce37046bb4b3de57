"""Small designs built through the Design API, and the folder of the example files, shared by the
tests."""

from __future__ import annotations

from pathlib import Path

import core
from core.design import registry
from core.design.design import Design

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def xor_design(n: int = 200, epochs: int = 20, seed: int = 0, optimizer: str = "adam",
               learning_rate: float = 0.1, dtype: str = "float32") -> Design:
    """Neuron-level 2-4-1: inputs x1, x2; four tanh neurons h1..h4; a sigmoid output `out`."""
    d = Design()
    d.set_dataset("xor", {"n": n}, seed=0)
    d.set_training(loss="binary_cross_entropy", optimizer=optimizer, learning_rate=learning_rate,
                   batch_size=10, epochs=epochs, seed=seed, dtype=dtype)
    d.add_node("input", {"feature": "x1"}, (0, -40), node_id="x1")
    d.add_node("input", {"feature": "x2"}, (0, 40), node_id="x2")
    for i in range(1, 5):
        d.add_node("neuron", {"activation": "tanh"}, (160, 70 * i), node_id=f"h{i}")
    d.add_node("neuron", {"activation": "sigmoid"}, (320, 0), node_id="out")
    for i in range(1, 5):
        d.add_connection("x1", f"h{i}", connection_id=f"x1-h{i}")
        d.add_connection("x2", f"h{i}", connection_id=f"x2-h{i}")
        d.add_connection(f"h{i}", "out", connection_id=f"h{i}-out")
    return d


def gaussian_dense_design(n: int = 150, epochs: int = 5, seed: int = 0) -> Design:
    """Data → Dense(16, relu) `hidden` → Dense(3, softmax) `out` on three Gaussian clusters."""
    d = Design()
    d.set_dataset("gaussian", {"n": n, "classes": 3}, seed=0)
    d.set_training(loss="softmax_cross_entropy", optimizer="adam", learning_rate=0.05,
                   batch_size=10, epochs=epochs, seed=seed)
    d.add_node("data", node_id="data")
    d.add_node("dense", {"units": 16, "activation": "relu"}, node_id="hidden")
    d.add_node("dense", {"units": 3, "activation": "softmax"}, node_id="out")
    d.add_connection("data", "hidden", connection_id="data-hidden")
    d.add_connection("hidden", "out", connection_id="hidden-out")
    return d


def plane_design(n: int = 100, epochs: int = 10, seed: int = 0, learning_rate: float = 0.01,
                 optimizer: str = "sgd") -> Design:
    """Regression: inputs x1, x2 → one identity neuron `out`, mean squared error."""
    d = Design()
    d.set_dataset("plane", {"n": n}, seed=0)
    d.set_training(loss="mse", optimizer=optimizer, learning_rate=learning_rate, batch_size=10,
                   epochs=epochs, seed=seed)
    d.add_node("input", {"feature": "x1"}, node_id="x1")
    d.add_node("input", {"feature": "x2"}, node_id="x2")
    d.add_node("neuron", {"activation": "identity"}, node_id="out")
    d.add_connection("x1", "out", connection_id="x1-out")
    d.add_connection("x2", "out", connection_id="x2-out")
    return d


def rows_design(kind: str, **params) -> tuple[Design, list[str]]:
    """digits → rows of 8 (8×8) → a sequence block `kind` (its defaults and `params`) [→ Flatten
    when it returns sequences] → Dense 10; with the node ids in that order."""
    design = Design()
    design.set_dataset("digits")
    design.set_training(loss="softmax_cross_entropy", optimizer="adam", learning_rate=0.01,
                        batch_size=64, epochs=15)
    ids = [design.add_node("data", {}).id,
           design.add_node("reshape", {"shape": "8,8"}).id,
           design.add_node(kind, {**registry.blocks.get(kind).default_params(), **params}).id]
    if params.get("return_sequences"):
        ids.append(design.add_node("flatten", {}).id)
    ids.append(design.add_node("dense", {"units": 10, "activation": "softmax"}).id)
    for source, target in zip(ids, ids[1:], strict=False):
        design.add_connection(source, target)
    return design, ids



def two_convs() -> Design:
    """digits → 8×8×1 → Conv2D(4) `first` → Conv2D(3, valid, tanh) `second` → Flatten → Dense(10)."""
    d = Design()
    d.set_dataset("digits", {}, seed=0)
    d.set_training(loss="softmax_cross_entropy", optimizer="adam", learning_rate=0.01, batch_size=32)
    d.add_node("data", node_id="data")
    d.add_node("reshape", {"shape": "8,8,1"}, node_id="image")
    d.add_node("conv2d", {"filters": 4, "kernel_size": 3}, node_id="first")
    d.add_node("conv2d", {"filters": 3, "kernel_size": 3, "padding": "valid", "activation": "tanh"},
               node_id="second")
    d.rename_node("second", "strokes")
    d.add_node("flatten", node_id="flat")
    d.add_node("dense", {"units": 10, "activation": "softmax"}, node_id="out")
    for a, b in (("data", "image"), ("image", "first"), ("first", "second"), ("second", "flat"),
                 ("flat", "out")):
        d.add_connection(a, b)
    return d


def sine_design(kind: str) -> Design:
    """The sine_lstm example, its LSTM `l3` replaced by a block of `kind` (8 units) in its place."""
    design = core.load(str(EXAMPLES / "sine_lstm.ncanvas"))
    if kind != "lstm":  # the same place, another kind: replace the node
        node = design.nodes["l3"]
        design.remove_node("l3")
        design.add_node(kind, {"units": 8, "return_sequences": False}, node.position, node_id="l3")
        design.add_connection("r2", "l3")
        design.add_connection("l3", "d4")
    return design


def block(design: Design, kind: str, **params) -> str:
    """Add a block of `kind` with its default params and `params`; its id."""
    return design.add_node(kind, {**registry.blocks.get(kind).default_params(), **params}).id


def wire(design: Design, *ids: str) -> None:
    """Connect the nodes in a chain, each to the next."""
    for a, b in zip(ids, ids[1:], strict=False):
        design.add_connection(a, b)


def residual_cnn(filters: int = 4) -> tuple[Design, dict[str, str]]:
    """digits → 8×8×1 → Conv A → Conv B, then A + B (a skip around B) → Flatten → Dense 10."""
    design = Design()
    design.set_dataset("digits")
    design.set_training(loss="softmax_cross_entropy")
    ids = {"data": block(design, "data"), "image": block(design, "reshape", shape="8,8,1"),
           "a": block(design, "conv2d", filters=filters, activation="tanh"),
           "b": block(design, "conv2d", filters=filters, activation="tanh"),
           "add": block(design, "add"), "flat": block(design, "flatten"),
           "out": block(design, "dense", units=10, activation="softmax")}
    wire(design, ids["data"], ids["image"], ids["a"], ids["b"], ids["add"], ids["flat"], ids["out"])
    wire(design, ids["a"], ids["add"])
    return design, ids


def two_branches(first: int = 5, second: int = 3) -> tuple[Design, dict[str, str]]:
    """digits → Dense (tanh) and Dense (ReLU) side by side → Concatenate → Dense 10."""
    design = Design()
    design.set_dataset("digits")
    design.set_training(loss="softmax_cross_entropy")
    ids = {"data": block(design, "data"),
           "left": block(design, "dense", units=first, activation="tanh"),
           "right": block(design, "dense", units=second, activation="relu"),
           "join": block(design, "concatenate"),
           "out": block(design, "dense", units=10, activation="softmax")}
    wire(design, ids["data"], ids["left"], ids["join"], ids["out"])
    wire(design, ids["data"], ids["right"], ids["join"])
    return design, ids
