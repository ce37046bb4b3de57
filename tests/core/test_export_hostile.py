"""Exports of designs whose text is hostile: data set and file names, column names, class and
target names, node ids, node labels, block labels and connection ids that try to end a comment's
line or close a docstring. The exported NumPy and PyTorch files run nothing of it (no marker file
appears when they are imported and run), and their code is the code of the same design with benign
names (the same `ast`, string constants aside)."""

from __future__ import annotations

import ast
import itertools
import json
import subprocess
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import core.data.datasets
from core.data.datasets import Dataset
from core.design.design import Design
from core.interchange.numpy.export import numpy_source
from core.interchange.torch.export import torch_source

MARKER = "hostile_marker"  # a payload that runs creates this file in the working folder
# each kind of line break (Python's tokenizer and str.splitlines), quotes, a backslash, NUL, a tab
BREAKS = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
PIECES = [*BREAKS, '"', "'", '"""', "'''", "\\", "\x00", "\t", "#", " ", "    ", "a", "é", "\u202e",
          "\ud800", "{", "}", "\\N{BULLET}", "\\x41"]
PAYLOADS = [
    f'\n    import os; os.system("touch {MARKER}")\n',
    f'"""; open("{MARKER}", "w").close()#',
    f"'''; open('{MARKER}', 'w').close()#",
    f'\\"""; open("{MARKER}", "w").close()#',
    f"\r    open('{MARKER}', 'w').close()\r",
    f"\r\n    open('{MARKER}', 'w').close()  #",
    f"\n__import__('pathlib').Path('{MARKER}').touch()\n",
    f"\u2028    open('{MARKER}', 'w').close()\u2028",
    f"\x85    open('{MARKER}', 'w').close()\x0c",
    f'\\\n    open("{MARKER}", "w").close()',
    f"\n        open('{MARKER}', 'w').close()\n        #",
]
hostile = st.lists(st.sampled_from(PIECES + PAYLOADS), min_size=1, max_size=4).map("".join)

# every place of a design whose text can reach an export, and the tag its benign name is
FIELDS = ("dataset", "feature0", "feature1", "class0", "class1", "target0", "target1",
          "input0", "input1", "hidden0", "hidden1", "dense", "out", "data", "wire",
          "label_input0", "label_input1", "label_hidden0", "label_hidden1", "label_dense", "label_out",
          "label_data")
_paths = itertools.count()


def names_of(texts: dict[str, str] | None) -> dict[str, str]:
    """Each field's name: its tag, with the hostile text inside it (a feature name starts and ends
    with letters, so that parsing it as a feature finds the column)."""
    if texts is None:
        return {field: field.replace("_", "") for field in FIELDS}
    return {field: f"{field.replace('_', '')}{texts[field]}{field.replace('_', '')}" for field in FIELDS}


def fake_csv(names: dict[str, str]):
    """core.data.datasets.read_csv as it would read a file with these names (any text at all, NUL and
    '/' included, which no real file name holds)."""
    def read_csv(path, label, features=None, task="classification", dtype="float32"):
        rng = np.random.default_rng(0)
        X = rng.normal(size=(24, 2))
        feature_names = (names["feature0"], names["feature1"])
        if task == "classification":
            y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
            return Dataset(names["dataset"], X, y, feature_names, task, 2,
                           (names["class0"], names["class1"]))
        y = np.stack([X[:, 0] + X[:, 1], X[:, 0] - X[:, 1]], axis=1)
        return Dataset(names["dataset"], X, y, feature_names, task, 0,
                       target_names=(names["target0"], names["target1"]))
    return read_csv


def classification_design(names: dict[str, str]) -> Design:
    """Input features → two neurons (one op, their labels in its title) → Dense → softmax Dense."""
    d = Design()
    d.set_dataset("csv", {"path": f"/nonexistent/hostile-{next(_paths)}.csv", "label": "y",
                          "task": "classification"}, seed=0)
    d.set_training(loss="softmax_cross_entropy", optimizer="adam", batch_size=8, epochs=2, seed=1,
                   learning_rate=0.05)
    for k in (0, 1):
        d.add_node("input", {"feature": names[f"feature{k}"]}, node_id=names[f"input{k}"],
                   label=names[f"label_input{k}"])
    for k in (0, 1):
        d.add_node("neuron", {"activation": "tanh"}, node_id=names[f"hidden{k}"],
                   label=names[f"label_hidden{k}"] if k else "")
    d.add_node("dense", {"units": 3, "activation": "relu"}, node_id=names["dense"],
               label=names["label_dense"])
    d.add_node("dense", {"units": 2, "activation": "softmax"}, node_id=names["out"],
               label=names["label_out"])
    d.add_connection(names["input0"], names["hidden0"], connection_id=names["wire"])
    for source, target in (("input1", "hidden0"), ("input0", "hidden1"), ("hidden0", "dense"),
                           ("hidden1", "dense"), ("input1", "dense"), ("dense", "out")):
        d.add_connection(names[source], names[target])
    return d


def regression_design(names: dict[str, str]) -> Design:
    """The data block → Dense → Dense with two outputs, one per named target."""
    d = Design()
    d.set_dataset("csv", {"path": f"/nonexistent/hostile-{next(_paths)}.csv", "label": "y",
                          "task": "regression"}, seed=0)
    d.set_training(loss="mse", optimizer="sgd", batch_size=8, epochs=2, seed=1, learning_rate=0.01)
    d.add_node("data", node_id=names["data"], label=names["label_data"])
    d.add_node("dense", {"units": 3, "activation": "tanh"}, node_id=names["dense"], label="")
    d.add_node("dense", {"units": 2, "activation": "identity"}, node_id=names["out"],
               label=names["label_out"])
    d.add_connection(names["data"], names["dense"], connection_id=names["wire"])
    d.add_connection(names["dense"], names["out"])
    return d


class _BlankStrings(ast.NodeTransformer):
    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        return ast.Constant("") if isinstance(node.value, str) else node


def code_shape(source: str) -> str:
    """The file's syntax tree with every string constant blanked (docstrings, names)."""
    return ast.dump(_BlankStrings().visit(ast.parse(source)))


def exports(names: dict[str, str]) -> dict[str, str]:
    """The NumPy and PyTorch sources of both designs, the data sets read as `names` say."""
    with mock.patch.object(core.data.datasets, "read_csv", fake_csv(names)):
        return {f"{kind}-{library}": source(build(names))
                for kind, build in (("classes", classification_design), ("values", regression_design))
                for library, source in (("numpy", numpy_source), ("torch", torch_source))}


BENIGN = None


def benign_shapes() -> dict[str, str]:
    global BENIGN
    if BENIGN is None:
        BENIGN = {key: code_shape(source) for key, source in exports(names_of(None)).items()}
    return BENIGN


def write_exports(texts: dict[str, str], folder: Path) -> tuple[dict[str, Path], list[str]]:
    """Export the designs named with `texts` into `folder`; also the exports whose code is not the
    benign code (or is no Python at all)."""
    sources = exports(names_of(texts))
    index = next(_paths)
    written, changed = {}, []
    for key, source in sources.items():
        try:
            same = code_shape(source) == benign_shapes()[key]
        except (SyntaxError, ValueError):  # a broken file, or NUL in its source
            same = False
        if not same:
            changed.append(f"{key}: {texts!r}")
        path = folder / f"export_{index}_{key.replace('-', '_')}.py"
        path.write_text(source, encoding="utf-8", errors="surrogatepass")
        written[key] = path
    return written, changed


RUN = """
import json, runpy, sys
import numpy as np
failed = []
for path in json.loads(sys.argv[1]):
    try:
        module = runpy.run_path(path)
        if "predict" in module:  # NumPy: the output, and the classes (every design here has 2 columns)
            X = np.random.default_rng(0).normal(size=(5, 2))
            out = module["predict"](X)
            assert out.shape[0] == 5 and np.isfinite(out).all()
            if "classify" in module:
                assert set(module["classify"](X).tolist()) <= {0, 1}
        else:  # PyTorch: two training steps
            assert len(module["main"](["--steps", "2"])) == 2
    except BaseException as exc:
        failed.append(f"{path}: {type(exc).__name__}: {exc}")
print(json.dumps({"ran": len(json.loads(sys.argv[1])), "failed": failed}))
"""


def run_files(paths: list[Path], folder: Path) -> None:
    """Import and run the files in one subprocess (working folder `folder`): no payload may leave
    its marker, and each file must run."""
    result = subprocess.run([sys.executable, "-c", RUN, json.dumps([str(p) for p in paths])],
                            capture_output=True, text=True, cwd=folder, timeout=600,
                            env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1",
                                 "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert not (folder / MARKER).exists(), "a name in the design ran as code"
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.splitlines()[-1])
    assert report == {"ran": len(paths), "failed": []}


EVERY_PAYLOAD = {field: PAYLOADS[k % len(PAYLOADS)] + BREAKS[k % len(BREAKS)]
                 for k, field in enumerate(FIELDS)}
# one field hostile, its payload made to run where the text lands: a docstring, or a comment
# inside predict() (the other fields plain)
IN_DOCSTRING = f'"""; open("{MARKER}", "w").close(); """'
IN_PREDICT = f'\n    open("{MARKER}", "w").close()  #'
IN_FORWARD = f'\n        open("{MARKER}", "w").close()  #'
TARGETED = [{**dict.fromkeys(FIELDS, ""), field: payload}
            for field, payload in [("dataset", IN_DOCSTRING), ("class0", IN_DOCSTRING),
                                   ("target1", IN_DOCSTRING), ("feature1", IN_PREDICT),
                                   ("label_hidden1", IN_PREDICT), ("hidden0", IN_FORWARD),
                                   ("dense", IN_FORWARD), ("label_out", IN_PREDICT)]]


def with_examples(test):
    """The targeted cases and all-payload cases first, then what hypothesis draws."""
    for texts in [*TARGETED, EVERY_PAYLOAD, dict.fromkeys(FIELDS, PAYLOADS[1])]:
        test = example(texts)(test)
    return test


def test_hostile_names_never_run_and_never_change_the_code(tmp_path):
    """Hypothesis draws hostile text for every field; each export's code is the benign one; then
    every NumPy file is run in one subprocess (predict and classify called), and the PyTorch
    files of the explicit examples (import, and two training steps through main())."""
    run = tmp_path / "run"
    run.mkdir()
    numpy_files, torch_files, changes = [], [], []

    @settings(max_examples=30, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.fixed_dictionaries({field: hostile for field in FIELDS}))
    @with_examples
    def check(texts):
        written, changed = write_exports(texts, tmp_path)
        changes.extend(changed)
        numpy_files.extend(p for key, p in written.items() if key.endswith("numpy"))
        if len(torch_files) < 2 * len(TARGETED) + 4:
            torch_files.extend(p for key, p in written.items() if key.endswith("torch"))

    check()
    assert len(numpy_files) >= 20
    run_files(numpy_files + torch_files, run)
    assert changes == []


@pytest.mark.parametrize("text", [*PAYLOADS, *BREAKS, "\x00", "\\", '"', '\\"""'])
def test_each_payload_in_every_field_leaves_one_line_per_line(text):
    """One payload in every field at once: the code is the benign code, and the file has no line
    break but \\n and no NUL, so that every reader (Python's tokenizer, an editor, str.splitlines)
    sees the same lines."""
    sources = exports(names_of(dict.fromkeys(FIELDS, text)))
    for key, source in sources.items():
        assert code_shape(source) == benign_shapes()[key], key
        assert not set(source) & {*BREAKS, "\x00"} - {"\n"}, key
        assert source.splitlines() == source.split("\n")[:-1], key


# ---------------------------------------------------------------------- real files
def csv_design(folder: Path) -> Design:
    """A design on a real CSV file whose file name, column names and class labels carry payloads,
    its node ids and labels too."""
    import csv

    csv_path = folder / f'evil{IN_DOCSTRING.replace("/", "")}\r.csv'
    # a header is one line of printable names (core.data.csv_source.header_problem: others are refused
    # unread), so the columns carry the payloads that need no line break; the labels carry both
    columns = [f"a{IN_DOCSTRING}", "b" + IN_DOCSTRING.replace('"', "'"), f"label{IN_DOCSTRING}"]
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for k in range(20):
            writer.writerow([k / 10, (k % 7) / 3, CSV_LABELS[k % 2]])
    d = Design()
    d.set_dataset("csv", {"path": str(csv_path), "label": columns[2], "task": "classification"})
    d.set_training(loss="softmax_cross_entropy", batch_size=4, epochs=1)
    for k in (0, 1):
        d.add_node("input", {"feature": columns[k]}, node_id=f"x{k}{IN_PREDICT}", label=columns[k])
    d.add_node("neuron", {"activation": "tanh"}, node_id=f"h{IN_FORWARD}")
    d.add_node("dense", {"units": 2, "activation": "softmax"}, node_id="out", label=IN_PREDICT)
    for source in ("x0", "x1"):
        d.add_connection(f"{source}{IN_PREDICT}", f"h{IN_FORWARD}")
    d.add_connection(f"h{IN_FORWARD}", "out")
    return d


CSV_LABELS = [f"yes{IN_DOCSTRING}", f"no{IN_PREDICT}"]


def hostile_onnx(path: Path, input_name: str) -> None:
    """An ONNX graph from elsewhere (not Neural Canvas's): input → Gemm → Sigmoid, its input named
    with a payload (the import labels the data block with it)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.full((2, 1), 0.5, dtype=np.float32), "W")
    bias = numpy_helper.from_array(np.zeros(1, dtype=np.float32), "B")
    graph = helper.make_graph(
        [helper.make_node("Gemm", [input_name, "W", "B"], ["z"], name=f"gemm{IN_PREDICT}"),
         helper.make_node("Sigmoid", ["z"], ["y"])],
        f"g{IN_DOCSTRING}", [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [None, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 1])], [weights, bias])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))


def onnx_designs(folder: Path) -> dict[str, Design]:
    """Designs read from ONNX files: a foreign graph whose input name carries payloads (the import
    labels the data block with it), and a Neural Canvas file whose metadata carries a design with
    payloads in its node labels."""
    from core.interchange.onnx.export import export_onnx
    from core.interchange.onnx.importer import read_onnx
    from tests.core.export_designs import example

    foreign = folder / "foreign.onnx"
    hostile_onnx(foreign, f"rows{IN_DOCSTRING}{IN_PREDICT}")
    design = example("xor")
    for k, node in enumerate(list(design.nodes.values())):
        design.rename_node(node.id, (IN_PREDICT, IN_FORWARD, IN_DOCSTRING)[k % 3])
    ours = folder / "ours.onnx"
    export_onnx(design, ours)
    return {"onnx_graph": read_onnx(foreign).design, "onnx_metadata": read_onnx(ours).design}


def test_names_from_real_files_export_safely(tmp_path):
    """File → Export of designs whose text comes from files: a CSV file (its name, columns and
    class labels) and ONNX files (an input's name, a carried design's labels). Their NumPy and
    PyTorch exports run nothing of that text, and keep it as text."""
    pytest.importorskip("onnx")
    from core.interchange.numpy.export import export_numpy
    from core.interchange.torch.export import export_torch

    (tmp_path / "data").mkdir()
    designs = {"csv": csv_design(tmp_path / "data"), **onnx_designs(tmp_path / "data")}
    # the payload arrives (a label's line breaks become spaces on the way: core.design.names.one_line)
    assert any('open("' in n.label for n in designs["onnx_graph"].nodes.values())
    run = tmp_path / "run"
    run.mkdir()
    paths = []
    for name, design in designs.items():
        paths += [run / f"{name}_numpy.py", run / f"{name}_torch.py"]
        export_numpy(design, paths[-2])
        export_torch(design, paths[-1])
    run_files(paths, run)
    numpy_text = (run / "csv_numpy.py").read_text(encoding="utf-8")
    assert "CLASS_NAMES = " + repr((CSV_LABELS[1], CSV_LABELS[0])) in numpy_text  # as literals
