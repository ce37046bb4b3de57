"""File → Export → ONNX / PyTorch / NumPy and File → Import → ONNX Model, through the menus: the
files written compute what the engine computes, an imported model becomes the open design, and a
file that cannot be read changes nothing and says why."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

import core
from core.compiler.validation import load_cached_dataset
from gui.window import model_files

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def answer_save_with(monkeypatch, path: Path) -> list[str]:
    asked: list[str] = []

    def answer(parent, title, suggested, file_filter):
        asked.append(title)
        return str(path), file_filter

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(answer))
    return asked


def menu_texts(menu) -> list[str]:
    return [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]


def design_rows(design, count: int = 40) -> np.ndarray:
    choice = design.dataset
    return load_cached_dataset(choice.name, dict(choice.params), choice.seed).X[:count]


def test_the_file_menu_offers_every_model_format(window):
    assert menu_texts(window.export_menu)[:3] == ["ONNX Model…", "PyTorch Script…", "NumPy Predictor…"]
    assert menu_texts(window.import_menu)[0] == "ONNX Model…"


def test_onnx_export_from_the_menu_matches_the_engine(window, monkeypatch, tmp_path):
    ort = pytest.importorskip("onnxruntime", reason="the export extra is not installed")
    window.open_path(str(EXAMPLES / "digits_mlp.ncanvas"))
    target = tmp_path / "digits"
    asked = answer_save_with(monkeypatch, target)
    window.model_export_actions["onnx"].trigger()
    assert asked and (tmp_path / "digits.onnx").exists()  # the suffix is added
    x = design_rows(window.document.design)
    session = ort.InferenceSession(str(tmp_path / "digits.onnx"))
    got = session.run(None, {session.get_inputs()[0].name: x.astype(np.float32)})[0]
    np.testing.assert_allclose(got, core.predict(window.document.design, x), atol=1e-5)
    assert "Exported the ONNX model" in window.statusBar().currentMessage()


def test_numpy_and_pytorch_exports_from_the_menu(window, monkeypatch, tmp_path):
    window.open_path(str(EXAMPLES / "xor.ncanvas"))
    design = window.document.design
    answer_save_with(monkeypatch, tmp_path / "xor_numpy.py")
    window.model_export_actions["numpy"].trigger()
    spec = importlib.util.spec_from_file_location("xor_numpy", tmp_path / "xor_numpy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    x = design_rows(design)
    np.testing.assert_allclose(module.predict(x), core.predict(design, x), atol=1e-5)  # float32

    answer_save_with(monkeypatch, tmp_path / "xor_torch.py")
    window.model_export_actions["torch"].trigger()
    source = (tmp_path / "xor_torch.py").read_text(encoding="utf-8")
    compile(source, "xor_torch.py", "exec")
    assert "DistributedDataParallel(" in source and "(nn.Module)" in source


def test_a_design_that_cannot_be_exported_says_so_and_writes_nothing(window, monkeypatch, tmp_path):
    window.document.set_dataset("xor", {})
    window.document.add_node("neuron", (0, 0))  # a neuron with no input: not a network yet
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: said.append(text))
    answer_save_with(monkeypatch, tmp_path / "broken.py")
    assert window.export_model("numpy") == ""
    assert said and not (tmp_path / "broken.py").exists()


def test_an_exported_onnx_model_imports_as_the_open_design(window, monkeypatch, tmp_path):
    pytest.importorskip("onnx", reason="the export extra is not installed")
    from core.interchange.onnx.export import export_onnx

    original = core.load(EXAMPLES / "digits_cnn.ncanvas")
    export_onnx(original, tmp_path / "cnn.onnx")
    monkeypatch.setattr(model_files, "onnx_file_name", lambda parent: str(tmp_path / "cnn.onnx"))
    window.act_import_onnx.trigger()
    imported = window.document.design
    assert sorted(n.kind for n in imported.nodes.values()) == sorted(
        n.kind for n in original.nodes.values())
    x = design_rows(original)
    np.testing.assert_allclose(core.predict(imported, x), core.predict(original, x), atol=1e-5)
    assert window.document.path is None and not window.document.undo_stack.isClean()
    assert "Imported cnn.onnx" in window.statusBar().currentMessage()


def test_a_bad_onnx_file_changes_nothing_and_says_why(window, monkeypatch, tmp_path):
    pytest.importorskip("onnx", reason="the export extra is not installed")
    window.open_path(str(EXAMPLES / "xor.ncanvas"))
    before = window.document.design.copy()
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not a model")
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: said.append(text))
    assert window.open_path(str(bad)) is False  # File → Open takes .onnx files too
    assert said and window.document.design == before


@pytest.mark.parametrize("menu", ["File → Open", "File → Import → ONNX Model"])
@pytest.mark.parametrize("damage", ["nested too deeply", "an array for an object"])
def test_an_onnx_file_with_damaged_metadata_shows_why_and_changes_nothing(window, monkeypatch, tmp_path,
                                                                          menu, damage):
    """Metadata that once raised RecursionError or AttributeError (no dialog, a traceback in the
    terminal) now shows the import's message, and the open design stays as it was."""
    pytest.importorskip("onnx", reason="the export extra is not installed")
    import onnx

    from core.interchange.onnx.export import DESIGN_KEY, PARAMS_KEY, to_onnx

    window.open_path(str(EXAMPLES / "xor.ncanvas"))
    before = window.document.design.copy()
    model = to_onnx(core.load(EXAMPLES / "xor.ncanvas"))
    key, text = {"nested too deeply": (DESIGN_KEY, "[" * 100_000 + "]" * 100_000),
                 "an array for an object": (PARAMS_KEY, "[]")}[damage]
    for prop in model.metadata_props:
        if prop.key == key:
            prop.value = text
    path = tmp_path / "damaged.onnx"
    onnx.save(model, path)
    said: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: said.append((title, text)))
    if menu == "File → Open":
        monkeypatch.setattr(QFileDialog, "getOpenFileName",
                            staticmethod(lambda *args, **kwargs: (str(path), "")))
        window.act_open.trigger()
    else:
        monkeypatch.setattr(model_files, "onnx_file_name", lambda parent: str(path))
        window.act_import_onnx.trigger()
    assert len(said) == 1
    title, text = said[0]
    assert title == "Cannot import the ONNX model"
    assert text.startswith(f"{path}: its metadata {key!r}")
    assert ("nested too deeply" if damage == "nested too deeply" else "not an array") in text
    assert window.document.design == before
