"""ONNX graphs with odd attributes (a window moved by 0, a window of 0, negative pads): each is
read as a design or refused with one OnnxImportError naming the node, never another exception."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    onnx = pytest.importorskip("onnx", reason="the export extra is not installed")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from core.interchange.onnx.importer import OnnxImportError, read_onnx  # noqa: E402


def image_graph(path: Path, op: str, **attributes) -> Path:
    """Rows of 64 → an 8×8 one-channel image → one Conv (2 filters, 3×3) or pooling node, named
    'window' → flat rows."""
    shape = numpy_helper.from_array(np.asarray([-1, 1, 8, 8], np.int64), "shape")
    inits, inputs = [shape], ["image"]
    if op == "Conv":
        inits.append(numpy_helper.from_array(np.ones((2, 1, 3, 3), np.float32), "W"))
        inputs.append("W")
    graph = helper.make_graph(
        [helper.make_node("Reshape", ["x", "shape"], ["image"]),
         helper.make_node(op, inputs, ["windows"], name="window", **attributes),
         helper.make_node("Flatten", ["windows"], ["y"])],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, None])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return path


@pytest.mark.parametrize(("op", "attributes", "words"), [
    ("Conv", {"strides": [0, 0]}, "a window of 3 moved by 0 has no block"),
    ("MaxPool", {"kernel_shape": [0, 0]}, "a window of 0 moved by 1 has no block"),
    ("AveragePool", {"kernel_shape": [2, 2], "strides": [-1, -1]}, "moved by -1 has no block"),
])
def test_a_window_that_does_not_move_or_has_no_size_is_refused_naming_the_node(tmp_path, op, attributes,
                                                                                words):
    path = image_graph(tmp_path / "odd.onnx", op, **attributes)
    with pytest.raises(OnnxImportError) as caught:
        read_onnx(path)
    message = str(caught.value)
    assert "odd.onnx" in message and "'window'" in message and words in message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(op=st.sampled_from(["Conv", "MaxPool", "AveragePool"]),
       stride=st.integers(-2, 10), kernel=st.integers(-1, 10), pad=st.integers(-2, 4),
       auto_pad=st.sampled_from(["NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"]))
def test_odd_window_attributes_are_read_or_refused_in_words(tmp_path, op, stride, kernel, pad, auto_pad):
    attributes = {"strides": [stride, stride], "auto_pad": auto_pad}
    if auto_pad == "NOTSET":
        attributes["pads"] = [pad] * 4
    if op != "Conv":
        attributes["kernel_shape"] = [kernel, kernel]
    path = image_graph(tmp_path / "odd.onnx", op, **attributes)
    try:
        imported = read_onnx(path)
    except OnnxImportError as exc:
        assert "odd.onnx" in str(exc)
        return
    kinds = [node.kind for node in imported.design.nodes.values()]
    assert kinds[0] == "data" and kinds[-1] == "flatten"
