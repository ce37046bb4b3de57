"""Small designs built through the Design API, shared by the core tests."""

from __future__ import annotations

from core.design.design import Design


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
