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
from core.engine.backend import xp  # noqa: E402
from core.engine.blocks.base import BlockKind  # noqa: E402
from core.engine.blocks.shape_ops import ShapeLayer  # noqa: E402
from core.files.fileformat import load_design  # noqa: E402
from core.interchange.onnx.export import DESIGN_KEY, export_onnx, to_onnx  # noqa: E402
from tests.core.onnx_designs import (  # noqa: E402
    BLOCK_DESIGNS,
    EXAMPLE_FILES,
    MIXED,
    MIXED_PARAMS,
    TOLERANCE,
    dense_design,
    engine_outputs,
    every_block_design,
    neuron_design,
    output_neurons_design,
    trained,
)


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


# ============================================================================ the tests
@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
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
    assert len(EXAMPLE_FILES) >= 10
    kinds = {n.kind for path in EXAMPLE_FILES for n in load_design(path).nodes.values()}
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
    model = assert_exports(trained(load_design(EXAMPLE_FILES[0].parent / "digits_cnn.ncanvas"), 2), tmp_path,
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


def test_an_activation_without_translation_names_its_node(tmp_path, register_for_the_test):
    register_for_the_test(registry.activations, Cube.id, Cube)
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


def test_a_block_kind_without_translation_names_its_node(tmp_path, register_for_the_test):
    register_for_the_test(registry.blocks, DoubleKind.id, DoubleKind())
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
