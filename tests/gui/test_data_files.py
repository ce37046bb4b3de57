"""A design someone sent that is a FIFO, or whose CSV file is one, and an ONNX model that is a FIFO:
every way of opening it in the window shows a dialog at once, and the design already open keeps
its content, its path and its undo steps."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QMimeData, QPoint, QUrl
from PySide6.QtWidgets import QMessageBox

from core.design.design import Design
from core.files.fileformat import dumps
from gui.window import file_actions
from resources import EXAMPLES
from tests.gui.gestures import drop


@pytest.fixture
def fifo_design(tmp_path):
    """A design file whose data set is a CSV file that is a FIFO no one writes to."""
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    d = Design()
    a = d.add_node("input", {"feature": "a"})
    out = d.add_node("neuron", {"activation": "sigmoid"})
    d.add_connection(a.id, out.id)
    d.set_dataset("csv", {"path": str(fifo), "label": "label", "features": "a",
                          "task": "classification"})
    path = tmp_path / "sent.ncanvas"
    path.write_text(dumps(d, weights=False), encoding="utf-8")
    return path


@pytest.fixture
def edited_window(window, tmp_path):
    """The window with a saved design open and one unsaved edit on its undo stack."""
    window.open_path(str(EXAMPLES / "xor.ncanvas"))
    mine = tmp_path / "mine.ncanvas"
    window.document.save(str(mine))
    window.document.add_node("neuron", (300, 300), label="new")
    return window


def opening_ways(window, path, monkeypatch):
    """Each way a person opens a file, as a function that opens `path`."""
    def by_menu():
        monkeypatch.setattr(file_actions, "open_file_name", lambda parent: str(path))
        window.act_open.trigger()

    def by_recent():
        window.remember_recent(str(path))  # opened once before, on another day
        next(a for a in window.recent_menu.actions() if a.text() == str(path)).trigger()

    def by_drop():
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        drop(window.view, mime, QPoint(200, 200))

    def by_example():
        monkeypatch.setattr(file_actions, "choose_example", lambda parent: str(path))
        window.act_example.trigger()

    return {"File → Open": by_menu, "Open Recent": by_recent, "drop": by_drop,
            "Open Example": by_example}


@pytest.mark.parametrize("way", ["File → Open", "Open Recent", "drop", "Open Example"])
def test_opening_a_design_whose_csv_is_a_fifo_shows_a_dialog_and_keeps_the_open_design(
        edited_window, fifo_design, monkeypatch, no_hang, way):
    window = edited_window
    document = window.document
    before, path, steps = document.design.copy(), document.path, document.undo_stack.count()
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append((title, text)))
    monkeypatch.setattr(file_actions, "ask_to_save",
                        lambda parent, name: QMessageBox.StandardButton.Discard)
    opening_ways(window, fifo_design, monkeypatch)[way]()
    assert len(shown) == 1
    title, text = shown[0]
    assert title == "Cannot open the design"
    assert "sent.ncanvas" in text and "data.csv: is a FIFO" in text and "regular file" in text
    assert window.document.design == before
    assert window.document.path == path and window.document.undo_stack.count() == steps
    assert window.windowTitle().startswith("mine.ncanvas")
    assert "new" in {node.label for node in window.scene.design.nodes.values()}


@pytest.mark.parametrize("name, title, noun", [
    ("sent.ncanvas", "Cannot open the design", "not a design file"),
    ("sent.onnx", "Cannot import the ONNX model", "not an ONNX model"),
])
@pytest.mark.parametrize("way", ["File → Open", "Open Recent", "drop", "Open Example"])
def test_opening_a_file_that_is_a_fifo_shows_a_dialog_and_keeps_the_open_design(
        edited_window, tmp_path, monkeypatch, no_hang, way, name, title, noun):
    window = edited_window
    document = window.document
    fifo = tmp_path / name
    os.mkfifo(fifo)  # no one ever writes to it: opening it to read would freeze the window
    before, path, steps = document.design.copy(), document.path, document.undo_stack.count()
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append((title, text)))
    monkeypatch.setattr(file_actions, "ask_to_save",
                        lambda parent, name: QMessageBox.StandardButton.Discard)
    opening_ways(window, fifo, monkeypatch)[way]()
    assert shown == [(title, f"{fifo}: {'$: ' if name.endswith('.ncanvas') else ''}is a FIFO "
                             f"(named pipe), {noun}; a {'design' if 'design' in noun else 'model'} "
                             "is read only from a regular file")]
    assert window.document.design == before
    assert window.document.path == path and window.document.undo_stack.count() == steps
    assert window.windowTitle().startswith("mine.ncanvas")


def test_a_design_whose_data_fails_to_load_replaces_nothing(qtbot, tmp_path, monkeypatch):
    """Whatever goes wrong while the new design is checked and its data read (here the memory
    running out), the open design, its path and its undo steps stay as they were."""
    from gui.document import document as document_module
    from gui.document.document import Document

    doc = Document()
    doc.open(str(EXAMPLES / "xor.ncanvas"))
    doc.add_node("neuron", (0, 0))
    before, path, steps = doc.design.copy(), doc.path, doc.undo_stack.count()
    checked = document_module.check_design

    def out_of_memory(design, **kwargs):
        if design.dataset.name == "spiral":
            raise MemoryError
        return checked(design, **kwargs)

    monkeypatch.setattr(document_module, "check_design", out_of_memory)
    with pytest.raises(MemoryError):
        doc.open(str(EXAMPLES / "spiral.ncanvas"))
    assert doc.design == before and doc.path == path and doc.undo_stack.count() == steps
    assert doc.design.dataset.name == "xor" and doc.validate_now() == doc.problems
