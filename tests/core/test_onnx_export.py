"""ONNX export: every example, activation and block kind exports, passes onnx.checker (full check)
and gives in onnxruntime what the engine's forward pass gives, from the data set's raw rows.

Both sides run in float32 (the designs' dtype and the exported graph's); the outputs agree to 1e-5.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from core.compiler.compile import compile_design  # noqa: E402
from core.design import registry  # noqa: E402
from core.design.design import Design  # noqa: E402
from core.design.errors import DesignError, NeuralCanvasError  # noqa: E402
from core.engine.activations import Activation  # noqa: E402
from core.engine.backend import to_device, to_numpy, xp  # noqa: E402
from core.engine.blocks.base import BlockKind  # noqa: E402
from core.engine.blocks.shape_ops import ShapeLayer  # noqa: E402
from core.files.fileformat import load_design  # noqa: E402
from core.interchange.onnx.export import DESIGN_KEY, export_onnx, to_onnx  # noqa: E402
from core.training.trainer import Trainer  # noqa: E402

EXAMPLES = sorted(Path(__file__).resolve().parents[2].glob("resources/examples/*.ncanvas"))
TOLERANCE = 1e-5


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


def onnx_outputs(model, X: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(["output"], {"input": X.astype(np.float32)})[0]


def assert_exports(design: Design, tmp_path: Path, opset: int = 17):
    """Export to a file, check the file and its outputs; returns the loaded ONNX model."""
    path = tmp_path / "model.onnx"
    export_onnx(design, path, opset=opset)
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    X, expected = engine_outputs(design)
    got = onnx_outputs(model, X)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE)
    return model


def op_types(model) -> set[str]:
    return {node.op_type for node in model.graph.node}


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


# ============================================================================ the tests
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_exports_with_its_trained_weights(path, tmp_path):
    design = trained(load_design(path))
    model = assert_exports(design, tmp_path)
    names = {node.name for node in model.graph.node}
    for node_id, node in design.nodes.items():  # each block's nodes start with its id
        if node.kind not in ("input", "data", "neuron"):
            assert any(name.startswith(f"{node_id}/") for name in names), node_id
    stored = json.loads({p.key: p.value for p in model.metadata_props}[DESIGN_KEY])
    assert [n["id"] for n in stored["nodes"]] == list(design.nodes)
    assert stored["dataset"]["name"] == design.dataset.name
    assert all(c["weight"] is None for c in stored["connections"])  # weights live in the graph


def test_the_examples_cover_the_engine():
    assert len(EXAMPLES) >= 10
    kinds = {n.kind for path in EXAMPLES for n in load_design(path).nodes.values()}
    assert {"neuron", "input", "data", "dense", "conv2d", "lstm", "gru"} <= kinds


EXPECTED_OPS = {
    "identity": set(), "step": {"GreaterOrEqual", "Cast"}, "sigmoid": {"Sigmoid"}, "tanh": {"Tanh"},
    "arctan": {"Atan"}, "relu": {"Relu"}, "leaky_relu": {"LeakyRelu"}, "rrelu": {"LeakyRelu"},
    "prelu": {"PRelu"}, "elu": {"Elu"}, "softplus": {"Softplus"}, "softmax": {"Softmax"},
    "gelu": {"Tanh", "Mul", "Add"}, "silu": {"Sigmoid", "Mul"},
}
ACTIVATION_PARAMS = {"leaky_relu": {"slope": 0.2}, "rrelu": {"lower": 0.05, "upper": 0.45},
                     "prelu": {"slope": -0.4}, "elu": {"alpha": 0.7}}


@pytest.mark.parametrize("activation", list(registry.activations))
@pytest.mark.parametrize("level", ["neurons", "dense"])
def test_every_activation_exports(activation, level, tmp_path):
    assert activation in EXPECTED_OPS, f"no ONNX expectation written for the activation {activation!r}"
    params = ACTIVATION_PARAMS.get(activation, {})
    if level == "neurons" and not registry.activations.get(activation).elementwise:
        design = output_neurons_design(activation)  # softmax: on the output neurons only
    elif level == "neurons":
        design = neuron_design([activation] * 3, [params] * 3)
    else:
        design = dense_design(activation, params)
    model = assert_exports(trained(design, 3), tmp_path)
    assert EXPECTED_OPS[activation] <= op_types(model)


def test_rrelu_exports_its_mean_slope_as_predicting_uses(tmp_path):
    design = trained(dense_design("rrelu", {"lower": 0.1, "upper": 0.3}), 3)
    model = assert_exports(design, tmp_path)
    alphas = [a.f for n in model.graph.node if n.op_type == "LeakyRelu" for a in n.attribute]
    assert alphas == [pytest.approx(0.2)]


def test_mixed_activations_in_one_neuron_layer(tmp_path):
    design = neuron_design(MIXED, MIXED_PARAMS)
    build = compile_design(design)
    groups = build.model.ops[0].layer.groups
    assert len(groups) == len(set(MIXED)) + 1  # two leaky ReLUs of different slopes: two groups
    model = assert_exports(trained(design, 4), tmp_path)
    slopes = {tuple(np.round(onnx.numpy_helper.to_array(i), 6)) for i in model.graph.initializer
              if ".slope_" in i.name}
    learned = [design.nodes[f"h{k}"].params["activation_params"]["slope"] for k in (2, 3)]
    assert slopes == {tuple(np.round(np.asarray(learned, dtype=np.float32), 6))}
    assert learned != [0.1, -0.3]  # trained: the PReLU slopes moved, and the graph has the new ones


@pytest.mark.parametrize("kind", list(registry.blocks))
def test_every_block_kind_has_an_export_test(kind):
    assert kind in BLOCK_DESIGNS, f"no ONNX export test design for the block kind {kind!r}"
    for make in BLOCK_DESIGNS[kind]:
        assert kind in {n.kind for n in make().nodes.values()}


@pytest.mark.parametrize(("kind", "k", "make"), every_block_design(),
                         ids=[f"{kind}-{k}" for kind, k, _ in every_block_design()])
def test_every_block_kind_exports(kind, k, make, tmp_path):
    design = trained(make(), 4)
    assert compile_design(design).model.ops  # valid, and it compiles
    assert_exports(design, tmp_path)


def test_batchnorm_exports_its_running_statistics_not_the_batch(tmp_path):
    design = trained(BLOCK_DESIGNS["batchnorm"][0](), 6)
    stats = design.parameters["batchnorm1"]
    assert not np.allclose(stats["running_mean"], 0)  # training moved them
    model = assert_exports(design, tmp_path)
    X, expected = engine_outputs(design)
    few = onnx_outputs(model, X[:3])  # three rows give the same as among all: no batch statistics
    np.testing.assert_allclose(few, expected[:3], rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("opset", [13, 20])
def test_other_opsets(opset, tmp_path):
    model = assert_exports(trained(load_design(EXAMPLES[0].parent / "digits_cnn.ncanvas"), 2), tmp_path,
                           opset=opset)
    assert model.opset_import[0].version == opset


# ============================================================================ failures
def test_an_invalid_design_raises_and_writes_nothing(tmp_path):
    design = dense_design("relu")
    design.remove_connection(design.incoming("out")[0].id)
    path = tmp_path / "model.onnx"
    with pytest.raises(DesignError) as caught:
        export_onnx(design, path)
    assert "out" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


class Cube(Activation):
    id, label, formula = "cube_for_test", "Cube", "f(z) = z³"

    def f(self, z):
        return z**3

    def df(self, z, a):
        return 3 * z * z


def test_an_activation_without_translation_names_its_node(tmp_path, monkeypatch):
    monkeypatch.setitem(registry.activations._items, Cube.id, Cube)
    design = neuron_design(["tanh", Cube.id])
    path = tmp_path / "model.onnx"
    path.write_bytes(b"the old file")
    with pytest.raises(DesignError) as caught:
        export_onnx(design, path)
    message = str(caught.value)
    assert "cube_for_test 1" in message and "h1" in message  # the neuron's label and id
    assert "cube_for_test" in message.split("activation")[-1]
    assert path.read_bytes() == b"the old file"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]  # no temporary file left


class DoubleLayer(ShapeLayer):
    def forward(self, p, x, training=False, rng=None):
        return x * 2, x.shape


class DoubleKind(BlockKind):
    id, label = "double_for_test", "Double"

    def output_shape(self, params, input_shapes):
        return tuple(input_shapes[0])

    def build(self, params, input_shape):
        return DoubleLayer(input_shape, tuple(input_shape))


def test_a_block_kind_without_translation_names_its_node(tmp_path, monkeypatch):
    monkeypatch.setitem(registry.blocks._items, DoubleKind.id, DoubleKind())
    design = dense_design("relu")
    design.add_node(DoubleKind.id, node_id="twice", label="times two")
    design.remove_connection(design.incoming("out")[0].id)
    design.add_connection("hidden", "twice")
    design.add_connection("twice", "out")
    assert xp is not None and compile_design(design).model.ops  # the engine runs it
    with pytest.raises(DesignError) as caught:
        to_onnx(design)
    assert "'times two' (twice)" in str(caught.value)
    assert caught.value.problems[0].node_ids == ("twice",)


def test_an_opset_out_of_range_is_refused(tmp_path):
    with pytest.raises(NeuralCanvasError, match="opset"):
        export_onnx(dense_design("relu"), tmp_path / "m.onnx", opset=9)
    assert not (tmp_path / "m.onnx").exists()


def test_a_file_that_cannot_be_written_is_named(tmp_path):
    path = tmp_path / "no such folder" / "model.onnx"
    with pytest.raises(NeuralCanvasError) as caught:
        export_onnx(dense_design("relu"), path)
    assert os.fspath(path) in str(caught.value)
