"""The designs the ONNX export and import are tested on: neurons with every activation, Dense,
images, sequences, branches, each block kind (BLOCK_DESIGNS), the example files; and what the
engine gives for them."""

from __future__ import annotations

import numpy as np

from core.compiler.compile import compile_design
from core.design.design import Design
from core.engine.backend import to_device, to_numpy
from core.training.trainer import Trainer
from tests.core.example_designs import EXAMPLES

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.ncanvas"))
TOLERANCE = 1e-5  # float32 on both sides


# ============================================================================ helpers
def trained(design: Design, steps: int = 5) -> Design:
    """The design after a few training steps, written back (so its weights are not the seed's)."""
    trainer = Trainer(design)
    trainer.fit_steps(steps)
    trainer.write_back()
    assert design.state.step == steps
    return design


def engine_outputs(design: Design) -> tuple[np.ndarray, np.ndarray]:
    """(raw rows X, Model.forward on Build.feature_rows(X)) in the design's dtype."""
    build = compile_design(design)
    X = build.data.X
    rows = to_device(build.feature_rows(X), build.model.dtype)
    return X, to_numpy(build.model.forward(rows))


# ============================================================================ designs
def neuron_design(activations: list[str], params: list[dict] | None = None) -> Design:
    """Inputs x1, x2 (and x1·x2, sin x2) → one layer of neurons with these activations → one linear
    output neuron, on the regression plane."""
    d = Design()
    d.set_dataset("plane", {"n": 60}, seed=1)
    d.set_training(loss="mse", optimizer="adam", learning_rate=0.05, batch_size=10, seed=3)
    inputs = [d.add_node("input", {"feature": f}, node_id=f"in{k}").id
              for k, f in enumerate(("x1", "x2", "x1*x2", "sin(x2)"))]
    params = params or [{} for _ in activations]
    hidden = [d.add_node("neuron", {"activation": a, "activation_params": p}, node_id=f"h{k}",
                         label=f"{a} {k}").id
              for k, (a, p) in enumerate(zip(activations, params, strict=True))]
    out = d.add_node("neuron", {"activation": "identity"}, node_id="out", label="prediction").id
    for k, h in enumerate(hidden):
        for i in inputs[: 2 + k % 3]:
            d.add_connection(i, h)
        d.add_connection(h, out)
    return d


def output_neurons_design(activation: str) -> Design:
    """Inputs x1, x2 → three tanh neurons → three output neurons with `activation`, on three
    Gaussian clusters."""
    d = neuron_design(["tanh"] * 3)
    d.remove_node("out")
    d.set_dataset("gaussian", {"n": 90, "classes": 3})
    d.set_training(loss="softmax_cross_entropy")
    for k in range(3):
        d.add_node("neuron", {"activation": activation}, node_id=f"out{k}")
        for h in ("h0", "h1", "h2")[k:] + ("in0",):
            d.add_connection(h, f"out{k}")
    return d


def dense_design(activation: str, params: dict | None = None) -> Design:
    d = Design()
    d.set_dataset("plane", {"n": 60}, seed=1)
    d.set_training(loss="mse", optimizer="adam", learning_rate=0.05, batch_size=10, seed=3)
    d.add_node("data", node_id="data", label="x")
    d.add_node("dense", {"units": 5, "activation": activation, "activation_params": params or {}},
               node_id="hidden", label=f"{activation} layer")
    d.add_node("dense", {"units": 1, "activation": "identity"}, node_id="out")
    d.add_connection("data", "hidden")
    d.add_connection("hidden", "out")
    return d


def chain(dataset: str, params: dict, nodes: list[tuple[str, dict]], loss: str,
          dataset_params: dict | None = None) -> Design:
    """A Data node, then these blocks one after another."""
    d = Design()
    d.set_dataset(dataset, dataset_params or {}, seed=0)
    d.set_training(loss=loss, optimizer="adam", learning_rate=0.01, batch_size=16, seed=1)
    previous = d.add_node("data", node_id="data").id
    for k, (kind, p) in enumerate(nodes):
        node = d.add_node(kind, p, node_id=f"{kind}{k}", label=f"{kind} #{k}")
        d.add_connection(previous, node.id)
        previous = node.id
    return d


def image(*blocks: tuple[str, dict], end: tuple[str, dict] | None = None) -> Design:
    """The digits as 8×8×1 images through these blocks, then Flatten and a softmax Dense."""
    nodes = [("reshape", {"shape": "8,8,1"}), *blocks, ("flatten", {}),
             ("dense", {"units": 10, "activation": "softmax"})]
    if end:
        nodes.append(end)
    return chain("digits", {}, nodes, "softmax_cross_entropy")


def sequence(*blocks: tuple[str, dict], shape: str = "20,1") -> Design:
    nodes = [("reshape", {"shape": shape}), *blocks, ("dense", {"units": 1, "activation": "identity"})]
    return chain("sine", {}, nodes, "mse", {"n": 120, "window": 20})


def recurrent(kind: str) -> list:
    return [lambda: sequence((kind, {"units": 4, "return_sequences": True}),
                             (kind, {"units": 3, "return_sequences": False})),
            lambda: sequence((kind, {"units": 3, "return_sequences": True}), ("flatten", {}))]


def branches(merge: str, units: tuple[int, int, int] = (5, 5, 5), activations=("tanh", "relu", "elu"),
             count: int = 2) -> Design:
    """Data → two or three Dense branches → merge → softmax Dense, on three Gaussian clusters."""
    d = Design()
    d.set_dataset("gaussian", {"n": 90, "classes": 3}, seed=0)
    d.set_training(loss="softmax_cross_entropy", optimizer="adam", learning_rate=0.05, batch_size=10)
    d.add_node("data", node_id="data")
    d.add_node(merge, node_id="merge", label="joined")
    for k in range(count):
        d.add_node("dense", {"units": units[k], "activation": activations[k]}, node_id=f"b{k}")
        d.add_connection("data", f"b{k}")
        d.add_connection(f"b{k}", "merge")
    d.add_node("dense", {"units": 3, "activation": "softmax"}, node_id="out")
    d.add_connection("merge", "out")
    return d


def image_branches(merge: str) -> Design:
    """Two Conv2D branches of one image, merged (Add: values; Concatenate: channels)."""
    d = Design()
    d.set_dataset("digits", {}, seed=0)
    d.set_training(loss="softmax_cross_entropy", optimizer="adam", learning_rate=0.01, batch_size=32)
    d.add_node("data", node_id="data")
    d.add_node("reshape", {"shape": "8,8,1"}, node_id="img")
    d.add_connection("data", "img")
    for k, act in enumerate(("relu", "tanh")):
        d.add_node("conv2d", {"filters": 3, "kernel_size": 3, "activation": act}, node_id=f"conv{k}")
        d.add_connection("img", f"conv{k}")
    d.add_node(merge, node_id="merge")
    d.add_connection("conv0", "merge")
    d.add_connection("conv1", "merge")
    d.add_node("flatten", node_id="flat")
    d.add_node("dense", {"units": 10, "activation": "softmax"}, node_id="out")
    d.add_connection("merge", "flat")
    d.add_connection("flat", "out")
    return d


def neurons_into_blocks() -> Design:
    """Neurons of two depths feed one Dense block (its input joins columns of two layers)."""
    d = Design()
    d.set_dataset("circle", {"n": 80}, seed=0)
    d.set_training(loss="binary_cross_entropy", optimizer="adam", learning_rate=0.05, batch_size=10)
    for f in ("x2", "x1", "x1^2", "cos(x1)"):  # not the data set's order: the graph computes them
        d.add_node("input", {"feature": f}, node_id=f)
    for k in range(3):
        d.add_node("neuron", {"activation": "tanh"}, node_id=f"n{k}")
        d.add_connection("x1" if k else "x2", f"n{k}")
        d.add_connection("x1^2" if k < 2 else "cos(x1)", f"n{k}")
    d.add_node("neuron", {"activation": "relu"}, node_id="deep")
    d.add_connection("n0", "deep")
    d.add_connection("n2", "deep")
    d.add_node("dense", {"units": 4, "activation": "relu"}, node_id="block")
    for source in ("n1", "deep", "x2"):
        d.add_connection(source, "block")
    d.add_node("dense", {"units": 1, "activation": "sigmoid"}, node_id="out")
    d.add_connection("block", "out")
    return d


MIXED = ["relu", "tanh", "prelu", "prelu", "leaky_relu", "leaky_relu", "step",
         "gelu", "sigmoid", "rrelu"]  # (softmax is refused on hidden neurons)


MIXED_PARAMS = [{}, {}, {"slope": 0.1}, {"slope": -0.3}, {"slope": 0.05}, {"slope": 0.2}, {},
                {}, {}, {"lower": 0.1, "upper": 0.5}]


# Designs using each block kind: a block kind with no entry here fails test_every_block_kind_exports.
BLOCK_DESIGNS = {
    "input": [lambda: neuron_design(["tanh", "relu", "sigmoid"])],
    "neuron": [lambda: neuron_design(MIXED, MIXED_PARAMS), neurons_into_blocks],
    "data": [lambda: dense_design("relu")],
    "dense": [lambda: branches("concatenate"),
              lambda: chain("gaussian", {}, [("dense", {"units": 4, "use_bias": False}),
                                             ("dense", {"units": 3, "activation": "softmax"})],
                            "softmax_cross_entropy", {"n": 90, "classes": 3})],
    "conv2d": [lambda: image(("conv2d", {"filters": 4, "kernel_size": 3, "strides": 2,
                                         "padding": "same", "activation": "tanh"}),
                             ("conv2d", {"filters": 3, "kernel_size": 2, "padding": "same",
                                         "activation": "prelu"}),
                             ("conv2d", {"filters": 2, "kernel_size": 3, "padding": "valid",
                                         "use_bias": False, "activation": "softmax"}))],
    "max_pool2d": [lambda: image(("conv2d", {"filters": 3, "kernel_size": 3}),
                                 ("max_pool2d", {"pool_size": 3, "strides": 1}),
                                 ("max_pool2d", {"pool_size": 2, "strides": 0}))],
    "avg_pool2d": [lambda: image(("avg_pool2d", {"pool_size": 3, "strides": 2}),
                                 ("conv2d", {"filters": 2, "kernel_size": 2, "activation": "elu"}),
                                 ("avg_pool2d", {"pool_size": 2, "strides": 0}))],
    "flatten": [lambda: chain("digits", {}, [("reshape", {"shape": "4,16"}), ("flatten", {}),
                                             ("dense", {"units": 10, "activation": "softmax"})],
                              "softmax_cross_entropy")],
    "reshape": [lambda: chain("digits", {}, [("reshape", {"shape": "8,-1"}), ("reshape", {"shape": "64"}),
                                             ("dense", {"units": 10, "activation": "softmax"})],
                              "softmax_cross_entropy")],
    "dropout": [lambda: chain("gaussian", {}, [("dense", {"units": 6}), ("dropout", {"rate": 0.3}),
                                               ("dense", {"units": 3, "activation": "softmax"}),
                                               ("dropout", {"rate": 0.5})],
                              "softmax_cross_entropy", {"n": 90, "classes": 3})],
    "batchnorm": [lambda: chain("gaussian", {}, [("dense", {"units": 6, "activation": "identity"}),
                                                 ("batchnorm", {"momentum": 0.3, "epsilon": 1e-3}),
                                                 ("dense", {"units": 3, "activation": "softmax"})],
                                "softmax_cross_entropy", {"n": 90, "classes": 3}),
                  lambda: image(("conv2d", {"filters": 3, "kernel_size": 3}), ("batchnorm", {})),
                  lambda: sequence(("batchnorm", {"momentum": 0.5}), ("gru", {"units": 3}),
                                   shape="10,2")],
    "simple_rnn": recurrent("simple_rnn"),
    "lstm": recurrent("lstm"),
    "gru": recurrent("gru"),
    "add": [lambda: branches("add"), lambda: branches("add", count=3), lambda: image_branches("add")],
    "concatenate": [lambda: branches("concatenate", (3, 4, 2), count=3),
                    lambda: image_branches("concatenate")],
}


def every_block_design():
    return [(kind, k, make) for kind, makes in BLOCK_DESIGNS.items() for k, make in enumerate(makes)]
