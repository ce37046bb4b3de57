"""The designs every exporter is tested on (neuron level with every activation, Dense, images,
sequences, merges, the examples) and how to run them: the engine's forward, rows to feed, a
generated file loaded as a module."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import numpy as np

import core
from core.compiler.compile import compile_design
from core.design import registry
from core.design.design import Design
from core.engine.backend import to_numpy
from core.training.trainer import Trainer
from tests.core.example_designs import EXAMPLES

EXAMPLE_NAMES = sorted(p.stem for p in EXAMPLES.glob("*.ncanvas"))

# settings other than the defaults, so that the export is seen to carry them
ACTIVATION_PARAMS = {"leaky_relu": {"slope": 0.2}, "elu": {"alpha": 0.7}, "prelu": {"slope": 0.1},
                     "rrelu": {"lower": 0.1, "upper": 0.3}}
_module_ids = itertools.count()


# ---------------------------------------------------------------------- designs
def neuron_design(activation: str) -> Design:
    """Neuron level: six input features, sparse wiring, a layer of mixed activations (masked
    layer, activation groups, learned PReLU slopes per neuron), a skip wire from an input to the
    output, sigmoid output with binary cross-entropy."""
    d = Design()
    d.set_dataset("xor", {"n": 60}, seed=0)
    d.set_training(loss="binary_cross_entropy", optimizer="adam", learning_rate=0.05, batch_size=8,
                   epochs=5, seed=1)
    for name in ("x1", "x2", "x1^2", "x1*x2", "sin(x1)", "cos(x2)"):
        d.add_node("input", {"feature": name}, node_id=name)
    own = ACTIVATION_PARAMS.get(activation, {})
    d.add_node("neuron", {"activation": activation, "activation_params": own}, node_id="h1")
    d.add_node("neuron", {"activation": activation}, node_id="h2")
    d.add_node("neuron", {"activation": "tanh"}, node_id="h3")
    d.add_node("neuron", {"activation": activation, "bias": 0.1}, node_id="h4")
    d.add_node("neuron", {"activation": activation}, node_id="h5")
    d.add_node("neuron", {"activation": "sigmoid"}, node_id="out")
    wires = {"h1": ["x1", "x2"], "h2": ["x1^2", "x1*x2", "x2"], "h3": ["sin(x1)", "cos(x2)", "x1"],
             "h4": ["x1", "x2", "x1^2", "x1*x2", "sin(x1)", "cos(x2)"], "h5": ["h1", "h3"],
             "out": ["h2", "h4", "h5", "x1"]}
    if not registry.activations.get(activation).elementwise:  # softmax: on the output neurons only
        for nid in ("h1", "h2", "h4", "h5"):
            d.set_node_params(nid, activation="tanh", activation_params={})
        d.set_node_params("out", activation=activation)
        d.add_node("neuron", {"activation": activation}, node_id="out2")
        wires["out2"] = ["h1", "h4", "x2"]
        d.set_training(loss="softmax_cross_entropy")
    for target, sources in wires.items():
        for source in sources:
            d.add_connection(source, target)
    return d


def dense_design(activation: str) -> Design:
    """Dense blocks with the activation inside and on the output, with a loss that fits it (so
    every loss mode appears: fused, from the logits, plain, and the perceptron rule)."""
    loss, width = {"softmax": ("softmax_cross_entropy", 2), "sigmoid": ("binary_cross_entropy", 1),
                   "identity": ("binary_cross_entropy", 1), "tanh": ("hinge", 1)}.get(activation,
                                                                                     ("mse", 1))
    d = Design()
    d.set_dataset("xor", {"n": 60}, seed=0)
    d.set_training(loss=loss, optimizer="adam", learning_rate=0.05, batch_size=8, epochs=5, seed=2)
    own = ACTIVATION_PARAMS.get(activation, {})
    d.add_node("data", node_id="data")
    d.add_node("dense", {"units": 6, "activation": activation, "activation_params": own}, node_id="hidden")
    d.add_node("dense", {"units": width, "activation": activation, "activation_params": own},
               node_id="out")
    d.add_connection("data", "hidden")
    d.add_connection("hidden", "out")
    return d


def image_design() -> Design:
    """Digits as images: convolutions with 'same' padding (odd amounts, strides), 'valid' ones,
    both poolings, BatchNorm per channel, Flatten, Reshape."""
    d = Design()
    d.set_dataset("digits", {}, seed=0)
    d.set_training(loss="softmax_cross_entropy", optimizer="adam", learning_rate=0.01, batch_size=32,
                   epochs=2, seed=3)
    layers = [
        ("data", {}),
        ("reshape", {"shape": "8,8,1"}),
        ("conv2d", {"filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"}),
        ("conv2d", {"filters": 3, "kernel_size": 4, "padding": "same", "activation": "prelu"}),
        ("conv2d", {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "elu"}),
        ("batchnorm", {}),
        ("avg_pool2d", {"pool_size": 2, "strides": 1}),
        ("conv2d", {"filters": 5, "kernel_size": 2, "padding": "valid", "activation": "tanh",
                    "use_bias": False}),
        ("max_pool2d", {"pool_size": 2}),
        ("flatten", {}),
        ("dense", {"units": 10, "activation": "softmax"}),
    ]
    _chain(d, layers)
    return d


def sequence_design() -> Design:
    """A noisy sine read by SimpleRNN → LSTM → GRU (sequences in between), Dropout, Dense."""
    d = Design()
    d.set_dataset("sine", {"n": 200, "window": 12}, seed=0)
    d.set_training(loss="mse", optimizer="adam", learning_rate=0.01, batch_size=16, epochs=2, seed=4)
    _chain(d, [("data", {}), ("reshape", {"shape": "12,1"}),
               ("simple_rnn", {"units": 4, "return_sequences": True}),
               ("lstm", {"units": 5, "return_sequences": True}), ("gru", {"units": 3}),
               ("dropout", {"rate": 0.3}), ("dense", {"units": 1, "activation": "identity"})])
    return d


def merge_design() -> Design:
    """A graph: two Dense branches added, concatenated with neurons and the data, BatchNorm,
    Dropout; a Dense block fed by two sources at once."""
    d = Design()
    d.set_dataset("gaussian", {"n": 90, "classes": 3}, seed=0)
    d.set_training(loss="softmax_cross_entropy", optimizer="adam", learning_rate=0.05, batch_size=10,
                   epochs=2, seed=5)
    d.add_node("data", node_id="data")
    d.add_node("input", {"feature": "x1"}, node_id="x1")
    d.add_node("input", {"feature": "x2"}, node_id="x2")
    d.add_node("neuron", {"activation": "tanh"}, node_id="n1")
    d.add_node("neuron", {"activation": "relu"}, node_id="n2")
    d.add_node("dense", {"units": 6, "activation": "relu"}, node_id="a")
    d.add_node("dense", {"units": 6, "activation": "tanh"}, node_id="b")
    d.add_node("add", node_id="sum")
    d.add_node("concatenate", node_id="join")
    d.add_node("batchnorm", node_id="norm")
    d.add_node("dropout", {"rate": 0.2}, node_id="drop")
    d.add_node("dense", {"units": 4, "activation": "gelu"}, node_id="c")
    d.add_node("dense", {"units": 3, "activation": "softmax"}, node_id="out")
    for source, target in [("x1", "n1"), ("x2", "n1"), ("x2", "n2"), ("data", "a"), ("data", "b"),
                           ("a", "sum"), ("b", "sum"), ("sum", "join"), ("n1", "join"), ("data", "join"),
                           ("b", "join"), ("join", "norm"), ("norm", "drop"), ("drop", "c"),
                           ("n2", "c"), ("c", "out")]:
        d.add_connection(source, target)
    return d


def _chain(d: Design, layers) -> None:
    previous = None
    for i, (kind, params) in enumerate(layers):
        node = d.add_node(kind, params, node_id=f"{kind}{i}")
        if previous is not None:
            d.add_connection(previous, node.id)
        previous = node.id


def example(name: str) -> Design:
    return core.load(str(EXAMPLES / f"{name}.ncanvas"))


DESIGNS = {
    **{f"example-{name}": (lambda name=name: example(name)) for name in EXAMPLE_NAMES},
    **{f"neurons-{a}": (lambda a=a: neuron_design(a)) for a in registry.activations},
    **{f"dense-{a}": (lambda a=a: dense_design(a)) for a in registry.activations},
    "image": image_design, "sequence": sequence_design, "merge": merge_design,
}


def trained(name: str, steps: int = 3) -> Design:
    """The design after a few training steps, the weights written back."""
    design = DESIGNS[name]()
    trainer = Trainer(design)
    trainer.fit_steps(steps)
    trainer.write_back()
    return design


def engine_forward(design, X: np.ndarray) -> np.ndarray:
    """What the engine predicts for raw rows, in float64."""
    build = compile_design(design, dtype="float64")
    return to_numpy(build.model.forward(build.feature_rows(X)))


def load_module(path: Path):
    spec = importlib.util.spec_from_file_location(f"exported_{next(_module_ids)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sample_rows(design) -> np.ndarray:
    X = compile_design(design).data.X
    return X[:400]


# ---------------------------------------------------------------------- failures
def cyclic_design() -> Design:
    d = neuron_design("tanh")
    d.add_connection("h5", "h1", connection_id="back")  # h1 → h5 → h1
    return d


def inputless_design() -> Design:
    d = Design()
    d.set_dataset("xor", {"n": 20}, seed=0)
    d.add_node("dense", {"units": 1, "activation": "sigmoid"}, node_id="lonely")
    return d
