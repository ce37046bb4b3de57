"""A message built from a file's name, an operator's type, a node's name or a value read from a file
is one line of bounded length: names are cut (file names in the middle), and line breaks, other
control characters and text-direction marks are shown as escapes, whatever the names hold."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import core
from core.data.datasets import read_csv
from core.design.design import Design
from core.design.errors import DataError, FileFormatError, NeuralCanvasError
from core.design.names import refused_character
from core.files.fileformat import dumps

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from core.interchange.onnx.importer import read_onnx  # noqa: E402

LIMIT = 300  # characters in a message about one problem, whatever the names in it hold
PIECES = ["a", "b", "/", ".", " ", "é", '"', "'", "\\", "\n", "\r", "\t", "\x00", "\x0b", "\x0c",
          "\x1b", "\x1c", "\x1e", "\x85", "\u2028", "\u2029", "\u202e", "\u2066", "\u200f", "\ud800"]
# a name of up to 6,000 characters: a few pieces, repeated
hostile = st.builds(lambda text, times: (text * times)[:6000],
                    st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map("".join),
                    st.sampled_from([1, 2, 40, 2000]))
# an ONNX file holds UTF-8 text: every piece but a lone surrogate
onnx_text = st.builds(lambda text, times: (text * times)[:6000],
                      st.lists(st.sampled_from(PIECES[:-1]), min_size=1, max_size=8).map("".join),
                      st.sampled_from([1, 2, 40, 2000]))
HOSTILE = settings(max_examples=40, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def one_short_line(message: str) -> None:
    assert len(message) <= LIMIT, f"{len(message)} characters: {message[:400]!a}"
    bad = [c for c in message if refused_character(c)]
    assert not bad, f"{bad!a} in {message!a}"


@pytest.fixture(scope="module")
def short_folder():
    """A folder with a short path, so that the limit measures what the names add."""
    with tempfile.TemporaryDirectory(prefix="m") as folder:
        yield Path(folder)


def csv_design(csv_path: str, folder: Path) -> Path:
    d = Design()
    a = d.add_node("input", {"feature": "a"})
    out = d.add_node("neuron", {"activation": "sigmoid"})
    d.add_connection(a.id, out.id)
    d.set_dataset("csv", {"path": csv_path, "label": "label", "features": "a",
                          "task": "classification"})
    path = folder / "d.ncanvas"
    path.write_text(dumps(d, weights=False), encoding="utf-8")
    return path


# ---- CSV files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["d" * 5000 + ".csv", "a\nb\u202e.csv"])
def test_the_reviewers_csv_paths_give_one_short_line(short_folder, name):
    path = f"{short_folder}/{name}"
    with pytest.raises(DataError) as caught:
        read_csv(path, "label")
    one_short_line(str(caught.value))
    with pytest.raises(FileFormatError) as caught:
        core.load(str(csv_design(path, short_folder)))
    one_short_line(str(caught.value))
    assert "\\u202e" in str(caught.value) or "…" in str(caught.value)  # escaped, or cut


@HOSTILE
@given(name=hostile)
def test_a_missing_csv_file_of_any_name_gives_one_short_line(short_folder, name):
    path = f"{short_folder}/{name}.csv"
    with pytest.raises(DataError) as caught:
        read_csv(path, "label")
    one_short_line(str(caught.value))
    with pytest.raises(FileFormatError) as caught:
        core.load(str(csv_design(path, short_folder)))
    one_short_line(str(caught.value))


def file_name(text: str) -> str | None:
    """`text` as the name of a file that can be made here (no NUL or slash, at most 255 bytes)."""
    name = text.replace("\x00", "").replace("/", "")[:60] + ".csv"
    try:
        return name if len(os.fsencode(name)) <= 255 and name not in (".csv",) else None
    except UnicodeEncodeError:  # a lone surrogate
        return None


@HOSTILE
@given(name=hostile.map(file_name).filter(bool),
       content=st.sampled_from(["", "a,label\n", "a,label\n1,\n", "a,label\nx,1\n2,1\n",
                                "a,label\n1,1\n2,1\n", "a,label\n1,\"0\n"]))
def test_a_csv_file_of_any_name_gives_one_short_line(short_folder, name, content):
    path = short_folder / name
    path.write_text(content, encoding="utf-8")
    try:
        with pytest.raises(DataError) as caught:
            read_csv(path, "label")
    finally:
        path.unlink()
    one_short_line(str(caught.value))


# ---- ONNX models -------------------------------------------------------------------------------


def write_model(folder: Path, nodes, width: int = 4, input_name: str = "x",
                input_shape=(None, 4), inits=()) -> Path:
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, list(input_shape))],
        [helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, [None, 3])],
        [numpy_helper.from_array(np.asarray(v, np.float32), n) for n, v in inits])
    path = folder / "m.onnx"
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
                     .SerializeToString())
    return path


def refused(path: Path) -> str:
    with pytest.raises(NeuralCanvasError) as caught:
        read_onnx(path)
    return str(caught.value)


def test_the_reviewers_long_operator_gives_one_short_line(short_folder):
    nodes = [helper.make_node("Foo" * 2000, ["x"], ["y"], name="n\n" * 500)]
    message = refused(write_model(short_folder, nodes))
    one_short_line(message)
    assert "unsupported operator: FooFoo" in message and "…" in message


@HOSTILE
@given(op=onnx_text, name=onnx_text, output=onnx_text, input_name=onnx_text, case=st.integers(0, 4))
def test_any_names_in_an_onnx_model_give_one_short_line(short_folder, op, name, output,
                                                        input_name, case):
    w = ("w", np.ones((4, 3)))
    if case == 0:  # an operator with no translation
        nodes, inits = [helper.make_node(op, ["x"], [output], name=name)], []
    elif case == 1:  # several of them
        nodes = [helper.make_node(op, ["x"], [f"{output}{k}"], name=f"{name}{k}") for k in range(12)]
        inits = []
    elif case == 2:  # a known operator that cannot be read, unnamed: named by its output
        nodes, inits = [helper.make_node("Gemm", ["x", "w"], [output], transA=1)], [w]
    elif case == 3:  # a known operator that cannot be read, named
        nodes, inits = [helper.make_node("Gemm", ["x", "w"], [output], name=name, transA=1)], [w]
    else:  # an input of a shape a design cannot take
        nodes = [helper.make_node("Gemm", [input_name, "w"], [output], name=name)]
        inits = [w]
    path = write_model(short_folder, nodes, input_name=input_name if case == 4 else "x",
                       input_shape=(None, 4, 0) if case == 4 else (None, 4), inits=inits)
    one_short_line(refused(path))


@pytest.mark.parametrize("dims", [1, 3000])
def test_a_shape_read_from_the_file_is_cut(short_folder, dims):
    nodes = [helper.make_node("Gemm", ["x", "w"], ["y"], name="dense")]
    path = write_model(short_folder, nodes, input_shape=(None, *[0] * dims), inits=[("w", np.ones((4, 3)))])
    message = refused(path)
    one_short_line(message)
    assert "must be (batch, features…)" in message
