"""ONNX import: what Neural Canvas exported comes back as the same design; other feed-forward graphs
(PyTorch's included) come back as blocks that compute what the graph computes; anything else is
refused with the operator and node named, and nothing returned.

Outputs are compared in float32 (the imported designs' dtype, PyTorch's and the graph's) to 1e-5.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from core.compiler.compile import compile_design  # noqa: E402
from core.design.errors import NeuralCanvasError  # noqa: E402
from core.engine.backend import to_device, to_numpy  # noqa: E402
from core.files.fileformat import load_design  # noqa: E402
from core.interchange.onnx.export import export_onnx, to_onnx  # noqa: E402
from core.interchange.onnx.importer import OnnxImportError, design_from_model, import_onnx, read_onnx  # noqa: E402
from tests.core.onnx_designs import (  # noqa: E402
    EXAMPLE_FILES,
    TOLERANCE,
    engine_outputs,
    every_block_design,
    trained,
)

EXAMPLE = {path.stem: path for path in EXAMPLE_FILES}


def exported(design, tmp_path: Path) -> Path:
    path = tmp_path / "model.onnx"
    export_onnx(design, path)
    return path


def without_metadata(model):
    del model.metadata_props[:]
    return model


def kinds(design) -> list[tuple[str, str | None]]:
    return [(n.kind, n.params.get("activation")) for n in design.nodes.values()]


def assert_same_outputs(design, reference: np.ndarray, X: np.ndarray) -> None:
    X_design, got = engine_outputs(design)
    assert X_design.shape == X.shape and np.array_equal(X_design, X)
    np.testing.assert_allclose(got, reference, rtol=0, atol=TOLERANCE)


# ============================================================================ our own files
@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_every_exported_example_comes_back_equal(path, tmp_path):
    design = trained(load_design(path))
    result = read_onnx(exported(design, tmp_path))
    assert result.restored and result.notes == []
    assert result.design == design  # nodes (positions, labels, params), wires, weights, settings
    for node_id, node in design.nodes.items():  # weights, biases, PReLU slopes: the trained ones
        assert result.design.nodes[node_id].params == node.params


@pytest.mark.parametrize(("kind", "k", "make"), every_block_design(),
                         ids=[f"{kind}-{k}" for kind, k, _ in every_block_design()])
def test_every_block_kind_comes_back_equal(kind, k, make, tmp_path):
    design = trained(make(), 3)
    imported = import_onnx(exported(design, tmp_path))
    assert imported == design
    X, expected = engine_outputs(design)
    assert_same_outputs(imported, expected, X)


def test_the_metadata_design_is_checked_against_the_graph(tmp_path):
    """A graph changed after the export is read as a graph (with a note), not trusted blindly."""
    design = trained(load_design(EXAMPLE["digits_mlp"]))
    model = to_onnx(design)
    softmax = next(n for n in model.graph.node if n.op_type == "Softmax")
    softmax.name = "renamed in another tool"
    onnx.save(model, tmp_path / "changed.onnx")
    result = read_onnx(tmp_path / "changed.onnx")
    assert not result.restored
    assert "changed" in result.notes[0]
    assert kinds(result.design) == [("data", None), ("dense", "relu"), ("dense", "softmax")]
    X, expected = engine_outputs(design)
    assert_same_outputs(result.design, expected, X)


# ============================================================================ graphs without metadata
# A neuron-level design's graph carries masked dense layers: read without its metadata, it comes
# back as Dense blocks (zero weights where no wire was) that compute the same.
AS_BLOCKS = {
    "xor": [("data", None), ("dense", "relu"), ("dense", "sigmoid")],
    "circle": [("data", None), ("dense", "tanh"), ("dense", "sigmoid")],
    "cricket_perceptron": [("data", None), ("dense", "step")],
    "regression_plane": [("data", None), ("dense", "identity")],
    "digits_mlp": [("data", None), ("dense", "relu"), ("dense", "softmax")],
    "digits_autoencoder": [("data", None), ("dense", "relu"), ("dense", "identity"), ("dense", "relu"),
                           ("dense", "sigmoid")],
    "digits_cnn": [("data", None), ("reshape", None), ("conv2d", "relu"), ("max_pool2d", None),
                   ("flatten", None), ("dense", "softmax")],
}
NOT_FEED_FORWARD = {  # example → what the error names
    "spiral": ("Slice", "i1"),  # the features (x1², sin x1, …) are computed in the graph
    "sine_lstm": ("LSTM", "/LSTM"),
    "sine_gru": ("GRU", "/GRU"),
}


def test_every_example_is_sorted_into_one_of_the_two():
    assert set(AS_BLOCKS) | set(NOT_FEED_FORWARD) == set(EXAMPLE)


CHOSEN = {"xor": "circle", "circle": "circle", "cricket_perceptron": "cricket", "regression_plane": "plane",
          "digits_mlp": "digits", "digits_autoencoder": "digits_itself", "digits_cnn": "digits"}


@pytest.mark.parametrize("name", sorted(AS_BLOCKS))
def test_an_example_without_metadata_comes_back_as_blocks(name):
    design = trained(load_design(EXAMPLE[name]))
    result = design_from_model(without_metadata(to_onnx(design)))
    assert not result.restored
    assert kinds(result.design) == AS_BLOCKS[name]
    assert result.design.dataset.name == CHOSEN[name] and CHOSEN[name] in result.notes[0]
    X, expected = engine_outputs(design)  # on the example's own rows (xor's data set is not chosen)
    np.testing.assert_allclose(outputs_on(result.design, X), expected, rtol=0, atol=TOLERANCE)
    xs = [n.position[0] for n in result.design.nodes.values()]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)  # laid out left to right


def outputs_on(design, X: np.ndarray) -> np.ndarray:
    build = compile_design(design)
    return to_numpy(build.model.forward(to_device(build.feature_rows(X), build.model.dtype)))


@pytest.mark.parametrize("name", sorted(NOT_FEED_FORWARD))
def test_an_example_that_is_not_feed_forward_is_refused_by_name(name, tmp_path):
    operator, node = NOT_FEED_FORWARD[name]
    path = tmp_path / "model.onnx"
    onnx.save(without_metadata(to_onnx(load_design(EXAMPLE[name]))), path)
    with pytest.raises(OnnxImportError) as caught:
        import_onnx(path)
    message = str(caught.value)
    assert operator in message and node in message and str(path) in message


# ============================================================================ PyTorch
def torch_export(module, example, path: Path) -> Path:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    module.eval()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (example,), str(path), input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "N"}, "output": {0: "N"}}, dynamo=False)
    return path


def torch_outputs(module, X: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    import torch

    with torch.no_grad():
        return module(torch.tensor(X, dtype=torch.float32).reshape(-1, *shape)).numpy()


def test_a_pytorch_mlp(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    nn = torch.nn
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(),
                        nn.Linear(8, 6), nn.GELU(approximate="tanh"), nn.Linear(6, 6), nn.SiLU(),
                        nn.Linear(6, 6), nn.LeakyReLU(0.2), nn.Linear(6, 6), nn.PReLU(6),
                        nn.Linear(6, 6), nn.ELU(0.5), nn.Linear(6, 6), nn.Softplus(),
                        nn.Linear(6, 6), nn.Sigmoid(), nn.Dropout(0.3),
                        nn.Linear(6, 2), nn.Softmax(dim=1))
    with torch.no_grad():
        mlp[11].weight.uniform_(-0.5, 0.5)  # PReLU slopes of their own
    result = read_onnx(torch_export(mlp, torch.zeros(3, 2), tmp_path / "mlp.onnx"))
    acts = ["relu", "tanh", "gelu", "silu", "leaky_relu", "prelu", "elu", "softplus", "sigmoid",
            "softmax"]
    assert kinds(result.design) == [("data", None)] + [("dense", a) for a in acts]
    assert result.design.dataset.name == "circle" and "circle" in result.notes[0]
    X = engine_outputs(result.design)[0]
    assert_same_outputs(result.design, torch_outputs(mlp, X, (2,)), X)


def test_a_pytorch_cnn(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    nn = torch.nn
    torch.manual_seed(1)
    cnn = nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(),
                        nn.BatchNorm2d(4), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(),
                        nn.AvgPool2d(2), nn.Flatten(), nn.Linear(24, 10))
    with torch.no_grad():  # statistics of its own, so that BatchNorm does something
        cnn[3].running_mean.uniform_(-1, 1)
        cnn[3].running_var.uniform_(0.5, 2)
    result = read_onnx(torch_export(cnn, torch.zeros(3, 64), tmp_path / "cnn.onnx"))
    assert kinds(result.design) == [
        ("data", None), ("reshape", None), ("conv2d", "relu"), ("batchnorm", None),
        ("max_pool2d", None), ("conv2d", "relu"), ("avg_pool2d", None), ("flatten", None),
        ("dense", "identity")]
    assert result.design.dataset.name == "digits"
    X = engine_outputs(result.design)[0]
    # PyTorch flattens channels first, the design channels last: the Dense rows were reordered
    assert_same_outputs(result.design, torch_outputs(cnn, X, (64,)), X)


def test_a_pytorch_cnn_that_takes_images(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    nn = torch.nn
    torch.manual_seed(2)
    cnn = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.Tanh(), nn.MaxPool2d(3, stride=1),
                        nn.Flatten(), nn.Linear(108, 10), nn.Softmax(dim=1))
    design = import_onnx(torch_export(cnn, torch.zeros(3, 1, 8, 8), tmp_path / "cnn.onnx"))
    assert design.nodes[list(design.nodes)[1]].params["shape"] == "8,8,1"
    X = engine_outputs(design)[0]
    assert_same_outputs(design, torch_outputs(cnn, X, (1, 8, 8)), X)


# ============================================================================ refusals
def model_of(nodes, initializers=(), width=2, out_width=2, opset=17):
    graph = helper.make_graph(
        nodes, "test", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", width])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", out_width])],
        [numpy_helper.from_array(np.asarray(v, dtype=np.float32 if k[0] != "i" else np.int64), k)
         for k, v in initializers])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def refused(model, tmp_path) -> str:
    onnx.checker.check_model(model)
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    with pytest.raises(OnnxImportError) as caught:
        import_onnx(path)
    assert str(path) in str(caught.value)
    return str(caught.value)


def test_an_einsum_is_refused_by_name(tmp_path):
    nodes = [helper.make_node("Einsum", ["x", "w"], ["y"], name="mixing", equation="ni,ij->nj")]
    message = refused(model_of(nodes, [("w", np.eye(2))]), tmp_path)
    assert "Einsum" in message and "'mixing'" in message


def test_an_lstm_without_our_metadata_is_refused_by_name(tmp_path):
    hidden = 3
    nodes = [
        helper.make_node("Reshape", ["x", "i_shape"], ["seq"], name="as sequence"),
        helper.make_node("Transpose", ["seq"], ["time_major"], name="time major", perm=[1, 0, 2]),
        helper.make_node("LSTM", ["time_major", "W", "R"], ["", "h"], name="memory",
                         hidden_size=hidden),
        helper.make_node("Squeeze", ["h", "i_axis"], ["last"], name="last"),
        helper.make_node("Gemm", ["last", "K"], ["y"], name="out"),
    ]
    inits = [("i_shape", [0, 2, 1]), ("i_axis", [0]), ("W", np.ones((1, 4 * hidden, 1))),
             ("R", np.ones((1, 4 * hidden, hidden))), ("K", np.ones((hidden, 2)))]
    message = refused(model_of(nodes, inits), tmp_path)
    assert "LSTM" in message and "'memory'" in message


def test_every_unsupported_operator_is_named_at_once(tmp_path):
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Add", ["v_in", "v_in"], ["v_out"])],
        "body", [helper.make_tensor_value_info("i", TensorProto.INT64, []),
                 helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
                 helper.make_tensor_value_info("v_in", TensorProto.FLOAT, None)],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_out", TensorProto.FLOAT, None)])
    nodes = [helper.make_node("Loop", ["i_trips", "", "x"], ["looped"], name="repeat", body=body),
             helper.make_node("Einsum", ["looped", "w"], ["y"], name="mixing", equation="ni,ij->nj")]
    message = refused(model_of(nodes, [("i_trips", np.asarray(3)), ("w", np.eye(2))]), tmp_path)
    assert "Loop (node 'repeat')" in message and "Einsum (node 'mixing')" in message


def test_an_activation_with_no_block_before_it_is_refused_by_name(tmp_path):
    nodes = [helper.make_node("Gemm", ["x", "a"], ["left"], name="left"),
             helper.make_node("Gemm", ["x", "b"], ["right"], name="right"),
             helper.make_node("Add", ["left", "right"], ["sum"], name="skip"),
             helper.make_node("Relu", ["sum"], ["y"], name="after the sum")]
    message = refused(model_of(nodes, [("a", np.eye(2)), ("b", np.eye(2))]), tmp_path)
    assert "Relu (node 'after the sum')" in message and "Dense or Conv2D" in message


def test_symmetric_padding_with_a_stride_is_refused(tmp_path):
    """PyTorch pads (1, 1) where 'same' pads (0, 1) for a stride of 2: not the same network."""
    nodes = [helper.make_node("Reshape", ["x", "i_shape"], ["img"], name="img"),
             helper.make_node("Conv", ["img", "w"], ["conv"], name="strided", pads=[1, 1, 1, 1],
                              strides=[2, 2]),
             helper.make_node("Flatten", ["conv"], ["y"], name="flat")]
    inits = [("i_shape", [-1, 1, 8, 8]), ("w", np.ones((1, 1, 3, 3)))]
    message = refused(model_of(nodes, inits, width=64, out_width=16), tmp_path)
    assert "Conv (node 'strided')" in message and "padding" in message


def test_a_file_that_is_not_onnx_is_named(tmp_path):
    path = tmp_path / "notes.onnx"
    path.write_text("these are not the weights you are looking for")
    with pytest.raises(NeuralCanvasError, match="not an ONNX model"):
        import_onnx(path)
    with pytest.raises(NeuralCanvasError, match="cannot read"):
        import_onnx(tmp_path / "missing.onnx")


# ============================================================================ the data set
def test_no_obvious_data_set_leaves_it_and_says_so(tmp_path):
    nodes = [helper.make_node("MatMul", ["x", "w"], ["z"], name="weights"),
             helper.make_node("Add", ["z", "b"], ["s"], name="bias"),
             helper.make_node("Sigmoid", ["s"], ["y"], name="squash")]
    model = model_of(nodes, [("w", np.ones((5, 3))), ("b", np.arange(3))], width=5, out_width=3)
    result = design_from_model(model)
    assert kinds(result.design) == [("data", None), ("dense", "sigmoid")]
    block = result.design.parameters[list(result.design.nodes)[1]]
    assert block["kernel"].shape == (5, 3) and list(block["bias"]) == [0, 1, 2]
    assert result.design.dataset.name == "circle"
    assert "5 inputs and 3 outputs" in result.notes[0] and "left as 'circle'" in result.notes[0]


def test_the_digits_fit_a_64_by_10_network():
    nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["z"], name="dense", transB=1),
             helper.make_node("Softmax", ["z"], ["y"], name="probabilities", axis=1)]
    model = model_of(nodes, [("w", np.ones((10, 64)) / 64), ("b", np.zeros(10))], 64, 10, opset=11)
    result = design_from_model(model)
    assert (result.design.dataset.name, result.design.training.loss) == ("digits", "softmax_cross_entropy")
    assert kinds(result.design) == [("data", None), ("dense", "softmax")]
