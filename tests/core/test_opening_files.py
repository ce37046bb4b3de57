"""Every file a person names is opened safely (core/design/safe_files.py): a design file or an ONNX model
that is a FIFO or a device (a link to /dev/zero) is refused at once, by the library, the command
line and the ONNX import, without blocking or reading without end; a file larger than its kind's
limit is refused naming the limit; an ONNX model's external data is read under the same rules."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from core.design import safe_files
from core.design.errors import FileFormatError, NeuralCanvasError  # noqa: E402
from core.files.fileformat import load_design  # noqa: E402
from core.interchange.onnx import importer as import_onnx  # noqa: E402
from core.interchange.onnx.importer import read_onnx  # noqa: E402
from tests.hang_guard import run_isolated, run_main  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
XOR = ROOT / "resources" / "examples" / "xor.ncanvas"


def special_file(folder: Path, special: str, name: str) -> tuple[Path, str]:
    """A FIFO no one writes to (opening it to read would wait for ever), or a link to /dev/zero
    (reading it never ends), named `name`; and the words its refusal uses for it."""
    path = folder / name
    if special == "fifo":
        os.mkfifo(path)
        return path, "is a FIFO (named pipe)"
    path.symlink_to("/dev/zero")
    return path, "is a character device"


EVERY_READER = """
import json, sys
import core
from core.design.errors import NeuralCanvasError
from core.files.fileformat import load_design
from core.interchange.onnx.importer import read_onnx

path = sys.argv[1]
found = {}
for name, call in (("core.load", lambda: core.load(path)),
                   ("load_design", lambda: load_design(path, validate=False)),
                   ("read_onnx", lambda: read_onnx(path))):
    try:
        call()
        found[name] = "no error"
    except NeuralCanvasError as exc:
        found[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(found))
"""


@pytest.mark.parametrize("suffix", [".ncanvas", ".onnx"])
@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_a_fifo_or_a_device_is_refused_at_once_by_every_reader(tmp_path, special, suffix):
    path, words = special_file(tmp_path, special, "sent" + suffix)
    found = run_isolated(EVERY_READER, str(path))  # 2 GiB and 120 s at most: no hang, no OOM
    assert found["core.load"].startswith("FileFormatError")
    assert found["load_design"].startswith("FileFormatError")
    assert found["read_onnx"].startswith("OnnxImportError")
    noun = {"core.load": "not a design file", "load_design": "not a design file",
            "read_onnx": "not an ONNX model"}
    for reader, message in found.items():
        assert f"{path}" in message and words in message, message
        assert noun[reader] in message and "regular file" in message


@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
@pytest.mark.parametrize("command", ["train", "export", "import"])
def test_the_command_line_refuses_a_fifo_or_a_device_with_exit_2(tmp_path, special, command):
    suffix = ".onnx" if command == "import" else ".ncanvas"
    path, words = special_file(tmp_path, special, "sent" + suffix)
    args = {"train": ["train", str(path), "--epochs", "1"],
            "export": ["export", str(path), "--onnx", str(tmp_path / "out.onnx")],
            "import": ["import", str(path), "--out", str(tmp_path / "out.ncanvas")]}[command]
    done = run_main(*args)
    errors = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr[-2000:]
    assert len(errors) == 1 and errors[0].startswith(f"error: {path}") and words in errors[0]
    assert "regular file" in errors[0] and "Traceback" not in done.stderr
    assert not (tmp_path / "out.onnx").exists() and not (tmp_path / "out.ncanvas").exists()


# ---- size limits --------------------------------------------------------------------------------


def test_a_design_file_larger_than_the_limit_is_refused_naming_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr("core.files.fileformat.DESIGN_FILE",
                        safe_files.FileKind("a design file", "", 1000))
    big = tmp_path / "big.ncanvas"
    big.write_bytes(XOR.read_bytes())
    with pytest.raises(FileFormatError) as caught:
        load_design(big)
    message = str(caught.value)
    assert f"{big}: $: is {big.stat().st_size:,} bytes" in message
    assert "a design file may hold at most 1,000 bytes" in message
    assert safe_files.DESIGN_FILE.limit == 1 << 30  # what a design may really hold: 1 GiB


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_a_file_that_says_it_is_empty_is_read_no_further_than_the_limit(monkeypatch, no_hang):
    assert os.stat("/proc/self/status").st_size == 0  # a regular file of size 0, with text
    for target, name in (("core.files.fileformat.DESIGN_FILE", "a design file"),
                         ("core.interchange.onnx.importer.ONNX_MODEL", "an ONNX model")):
        monkeypatch.setattr(target, safe_files.FileKind(name, "", 64))
    with pytest.raises(FileFormatError, match="status: \\$: is larger than 64 bytes, the most a "
                                              "design file may hold"):
        load_design("/proc/self/status")
    with pytest.raises(NeuralCanvasError, match="status: is larger than 64 bytes, the most an "
                                                "ONNX model may hold"):
        read_onnx("/proc/self/status")


def test_what_cannot_be_read_is_named_and_says_why(tmp_path):
    with pytest.raises(FileFormatError, match="nowhere.ncanvas: \\$: cannot read the file: no such "
                                              "file"):
        load_design(tmp_path / "nowhere.ncanvas")
    with pytest.raises(NeuralCanvasError, match="cannot read the file: is a folder, not an ONNX model"):
        read_onnx(tmp_path)
    with pytest.raises(FileFormatError, match="is not a file name"):
        load_design("a\x00b.ncanvas")
    with pytest.raises(safe_files.UnreadableFile) as caught:
        safe_files.read_file(tmp_path / "nowhere.csv", safe_files.CSV_FILE)
    again = pickle.loads(pickle.dumps(caught.value))  # as a process would send it on
    assert (str(again), again.reason, again.refused) == (f"{tmp_path}/nowhere.csv: no such file",
                                                         "no such file", False)


# ---- an ONNX model's external data ---------------------------------------------------------------


def dense_model(folder: Path, location: str | None, **external: str) -> tuple[Path, np.ndarray]:
    """A Gemm of 4 inputs and 3 outputs, its weights kept in `location` beside it (inside the
    model when None); the weights."""
    weights = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    w = numpy_helper.from_array(weights, "w")
    if location is not None:
        (folder / "weights.bin").write_bytes(b"\0" * 16 + weights.tobytes())
        w.ClearField("raw_data")
        w.data_location = TensorProto.EXTERNAL
        entries = {"location": location, "offset": "16", "length": str(weights.nbytes), **external}
        for key, value in entries.items():
            entry = w.external_data.add()
            entry.key, entry.value = key, value
    b = numpy_helper.from_array(np.zeros(3, np.float32), "b")
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "b"], ["z"], name="dense"),
         helper.make_node("Sigmoid", ["z"], ["y"], name="squash")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 3])], [w, b])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    path = folder / "model.onnx"
    path.write_bytes(model.SerializeToString())
    return path, weights


def kernel(design) -> np.ndarray:
    block = next(p for p in design.parameters.values() if "kernel" in p)
    return np.asarray(block["kernel"])


def test_external_data_beside_the_model_is_read(tmp_path):
    path, weights = dense_model(tmp_path, "weights.bin")
    assert np.array_equal(kernel(read_onnx(path).design), weights)
    folder = tmp_path / "inside"
    folder.mkdir()
    inside, _ = dense_model(folder, None)
    assert np.array_equal(kernel(read_onnx(inside).design), weights)


@pytest.mark.parametrize("location, words", [
    ("/dev/zero", "kept in /dev/zero, which is not a file inside the model's folder"),
    ("../../../etc/passwd", "which is not a file inside the model's folder"),
    ("link.bin", "which leads out of the model's folder"),
    ("pipe", "pipe: is a FIFO (named pipe), not an ONNX model's external data"),
    ("nothere.bin", "nothere.bin: no such file"),
])
def test_external_data_is_read_only_from_a_regular_file_inside_the_models_folder(
        tmp_path, no_hang, location, words):
    os.mkfifo(tmp_path / "pipe")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.bin"
    outside.write_bytes(b"\0" * 64)
    (tmp_path / "link.bin").symlink_to(outside)
    path, _ = dense_model(tmp_path, location)
    with pytest.raises(NeuralCanvasError) as caught:
        read_onnx(path)
    assert str(caught.value).startswith(f"{path}: the weights 'w': ") and words in str(caught.value)


def test_external_data_that_is_too_short_or_too_large_is_refused(tmp_path, monkeypatch):
    path, _ = dense_model(tmp_path, "weights.bin", length=str(10 ** 12))
    with pytest.raises(NeuralCanvasError, match="weights.bin holds 64 bytes, fewer than they need"):
        read_onnx(path)
    path, _ = dense_model(tmp_path, "weights.bin", length="")  # the rest of the file
    sparse = tmp_path / "weights.bin"
    with sparse.open("r+b") as f:
        f.truncate(2 << 30)  # 2 GiB of nothing (a sparse file): never read
    with pytest.raises(NeuralCanvasError, match="is 2,048 MiB; an ONNX model's external data "
                                                "may hold at most 1,024 MiB"):
        read_onnx(path)
    sparse.write_bytes(b"\0" * 16 + b"\1" * 48)
    monkeypatch.setattr(import_onnx, "ONNX_MODEL", safe_files.FileKind("an ONNX model", "",
                                                                        path.stat().st_size + 40))
    with pytest.raises(NeuralCanvasError, match="the model with its external data is larger than"):
        read_onnx(path)
