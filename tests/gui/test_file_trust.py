"""Every way a file can go wrong in the window ends in one message, and the open design stays:
files someone sent, a broken recovery file at launch, an autosave folder that cannot be made."""

from __future__ import annotations

import copy
import json
import os
import stat

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

import core
from core.files.fileformat import design_to_dict
from gui.app import make_app
from gui.document.document import Document
from gui.window.main_window import MainWindow
from resources import EXAMPLES


def record(monkeypatch, kind: str) -> list[tuple[str, str]]:
    """Answer every QMessageBox.`kind` at once; the list records each (title, text)."""
    shown: list[tuple[str, str]] = []

    def box(parent, title, text, *args, **kwargs):
        shown.append((title, text))
        return QMessageBox.StandardButton.Ok
    monkeypatch.setattr(QMessageBox, kind, staticmethod(box))
    return shown


def status_messages(window) -> list[str]:
    said: list[str] = []
    window.statusBar().messageChanged.connect(lambda text: text and said.append(text))
    return said


# ---- files someone sent -----------------------------------------------------------------------

def trained_xor() -> dict:
    design = core.load(str(EXAMPLES / "xor.ncanvas"))
    core.train(design, epochs=2)
    return design_to_dict(design)


def empty_step_count(data: dict) -> None:
    data["state"]["optimizer"]["t"] = {"dtype": "int64", "shape": [0], "data": ""}


def unknown_history_key(data: dict) -> None:
    data["state"]["history"][-1]["bogus"] = 1


@pytest.mark.parametrize("spoil, where", [(empty_step_count, "$.state.optimizer.t"),
                                          (unknown_history_key, "$.state.history[1].bogus")])
def test_a_file_with_a_bad_state_shows_a_dialog_and_keeps_the_open_design(window, tmp_path,
                                                                           monkeypatch, spoil,
                                                                           where):
    window.open_path(str(EXAMPLES / "spiral.ncanvas"))
    before = window.document.design.copy()
    shown = record(monkeypatch, "critical")
    data = copy.deepcopy(trained_xor())
    spoil(data)
    sent = tmp_path / "sent.ncanvas"
    sent.write_text(json.dumps(data), encoding="utf-8")
    assert not window.open_path(str(sent))
    assert len(shown) == 1 and shown[0][0] == "Cannot open the design"
    assert "sent.ncanvas" in shown[0][1] and where in shown[0][1]
    assert window.document.design == before
    assert window.document.path == str(EXAMPLES / "spiral.ncanvas")


def test_an_error_no_check_foresaw_while_opening_still_ends_in_a_dialog(window, monkeypatch):
    before = window.document.design.copy()
    shown = record(monkeypatch, "critical")

    def too_big(self, path):
        raise MemoryError
    monkeypatch.setattr(Document, "open", too_big)
    assert not window.open_path(str(EXAMPLES / "xor.ncanvas"))
    assert shown == [("Cannot open the design",
                      f"{EXAMPLES / 'xor.ncanvas'}: there is not enough memory to read it")]
    assert window.document.design == before


def test_an_onnx_file_that_trips_its_reader_ends_in_a_dialog(window, tmp_path, monkeypatch):
    pytest.importorskip("onnx", reason="the export extra is not installed")
    from gui.window import model_files

    def nested_too_deeply(path):
        raise RecursionError("maximum recursion depth exceeded while decoding a JSON array")
    monkeypatch.setattr(model_files, "read_onnx", nested_too_deeply)
    shown = record(monkeypatch, "critical")
    before = window.document.design.copy()
    assert not window.open_path(str(tmp_path / "sent.onnx"))
    assert len(shown) == 1 and "RecursionError" in shown[0][1] and "sent.onnx" in shown[0][1]
    assert window.document.design == before


def test_a_picture_that_cannot_be_made_ends_in_a_dialog_and_no_file(window, tmp_path,
                                                                    monkeypatch):
    from gui.widgets import exports

    def too_big(*args, **kwargs):
        raise MemoryError
    monkeypatch.setattr(exports, "canvas_svg", too_big)
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a: (str(tmp_path / "canvas.svg"), exports.SVG_FILTER)))
    shown = record(monkeypatch, "critical")
    assert window.export_canvas_svg() == ""
    assert shown and "not enough memory" in shown[0][1] and not (tmp_path / "canvas.svg").exists()


# ---- launch: a broken recovery file -----------------------------------------------------------

@pytest.mark.parametrize("kind", ["not UTF-8", "not JSON", "refused", "a folder", "a FIFO"])
def test_a_recovery_file_that_cannot_be_read_is_said_once_and_set_aside(qtbot, monkeypatch,
                                                                         no_hang, kind):
    target = Document.recovery_folder() / "recovery.ncanvas"  # left by an earlier version
    content = {"not UTF-8": b'{"format": "\xff\xfe"}', "not JSON": b"{half", "a folder": None,
               "a FIFO": None,
               "refused": json.dumps({**design_to_dict(core.load(str(EXAMPLES / "xor.ncanvas"))),
                                      "state": {"history": [{"x": 1}]}}).encode()}[kind]
    if kind == "a folder":
        target.mkdir()
    elif kind == "a FIFO":
        os.mkfifo(target)  # no one writes to it: reading it would freeze the launch
    else:
        target.write_bytes(content)
    target.with_suffix(".json").write_text('{"path": "/somewhere/mine.ncanvas"}')
    make_app([])
    launched = MainWindow(restore_settings=False)
    qtbot.addWidget(launched)
    before = launched.document.design.copy()
    warned = record(monkeypatch, "warning")
    launched.offer_recovery()  # what the launch runs, once the window shows
    assert len(warned) == 1 and warned[0][0] == "Cannot recover unsaved work"
    assert "cannot be read" in warned[0][1] and "set aside as" in warned[0][1]
    assert not target.exists() and not target.with_suffix(".json").exists()
    kept = list(target.parent.glob("recovery-unreadable-*.ncanvas"))
    assert len(kept) == 1 and str(kept[0]) in warned[0][1]
    if kind == "a FIFO":
        assert stat.S_ISFIFO(kept[0].lstat().st_mode)  # as it was
    else:
        assert kept[0].is_dir() if content is None else kept[0].read_bytes() == content
    assert launched.document.design == before and not launched.document.dirty
    launched.offer_recovery()  # the next launch: nothing more is offered or said
    assert len(warned) == 1


@pytest.mark.parametrize("note", ["a list", "a FIFO"])
def test_a_recovery_note_that_is_not_what_it_should_be_still_recovers_the_work(qtbot, monkeypatch,
                                                                               no_hang, note):
    design = core.load(str(EXAMPLES / "xor.ncanvas"))
    design.rename_node("n7", "unsaved")
    target = Document.recovery_folder() / "recovery.ncanvas"
    core.save(design, str(target))
    if note == "a FIFO":
        os.mkfifo(target.with_suffix(".json"))  # reading it would freeze the launch
    else:
        target.with_suffix(".json").write_text('["/somewhere/mine.ncanvas"]')  # a list, not a note
    monkeypatch.setattr(QMessageBox, "question",
                        staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))
    make_app([])
    launched = MainWindow(restore_settings=False)
    qtbot.addWidget(launched, before_close_func=lambda w: w.document.undo_stack.setClean())
    launched.offer_recovery()
    assert launched.document.design.nodes["n7"].label == "unsaved"
    assert launched.document.path is None and launched.document.dirty


# ---- autosave into a folder that cannot be made -----------------------------------------------

def test_an_autosave_that_cannot_be_written_is_said_once_and_retried_quietly(window, tmp_path,
                                                                             monkeypatch):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the recovery folder should be")
    monkeypatch.setattr(Document, "recovery_folder", staticmethod(lambda: blocker / "app"))
    target = window.document.recovery_path()
    said = status_messages(window)
    window.document.add_node("neuron", (0, 0))
    for _ in range(3):  # the 30-second timer, three times
        window.document.autosave_timer.timeout.emit()
    failures = [m for m in said if "cannot be kept for recovery" in m]
    assert len(failures) == 1 and str(target.parent) in failures[0]
    blocker.unlink()  # the folder can be made again: the next tick keeps the work, quietly
    window.document.autosave_timer.timeout.emit()
    assert target.exists() and len([m for m in said if "cannot be kept" in m]) == 1
    target.parent.parent.rename(tmp_path / "moved")
    blocker.write_text("blocked again")
    window.statusBar().clearMessage()  # the message's 30 seconds are over
    window.document.autosave_timer.timeout.emit()  # a new failure after a success is said again
    assert len([m for m in said if "cannot be kept" in m]) == 2


def test_weights_that_cannot_be_saved_are_an_autosave_failure_said_once(window, monkeypatch):
    said = status_messages(window)
    node = window.document.add_node("dense", (0, 0))
    window.document.design.parameters[node] = {"kernel": np.full((2, 2), np.nan, np.float32)}
    for _ in range(2):
        window.document.autosave_timer.timeout.emit()
    failures = [m for m in said if "cannot be kept for recovery" in m]
    assert len(failures) == 1 and "NaN" in failures[0]


# ---- the clipboard ----------------------------------------------------------------------------

@pytest.mark.parametrize("raw, words", [
    (b"\xff{", "not JSON text"),
    (b'{"nodes": {"a": 1}}', "$.nodes: Input should be a valid list"),
    (b'{"nodes": [{"id": "a", "kind": "warp_drive", "params": {}, "position": [0, 0]}]}',
     "there is no kind of node 'warp_drive'"),
    (b'{"nodes": [{"id": "a", "kind": "input", "params": {}, "position": [0]}]}',
     "$.nodes[0].position"),
    (b'{"nodes": [{"id": "d", "kind": "dense", "params": {}, "position": [0, 0]}], '
     b'"weights": {"d": {"kernel": [[1, 2], [3]]}}}', "the weights of 'd' are not arrays"),
    (b'{"nodes": [], "connections": [{"source": "a"}]}', "$.connections[0].target: Field required"),
    (b"[" * 5000 + b"]" * 5000, "not JSON text"),
])
def test_pasting_what_another_program_put_on_the_clipboard_is_said_and_changes_nothing(
        window, monkeypatch, raw, words):
    from PySide6.QtCore import QByteArray, QMimeData
    from PySide6.QtWidgets import QApplication

    from gui.document.clipboard import CLIPBOARD_MIME

    window.open_path(str(EXAMPLES / "xor.ncanvas"))
    before = window.document.design.copy()
    mime = QMimeData()
    mime.setData(CLIPBOARD_MIME, QByteArray(raw))
    QApplication.clipboard().setMimeData(mime)
    warned = record(monkeypatch, "warning")
    window.act_paste.trigger()
    assert len(warned) == 1 and warned[0][0] == "Cannot paste" and words in warned[0][1]
    assert window.document.design == before and not window.document.dirty


def test_what_copy_puts_on_the_clipboard_still_pastes(window):
    window.open_path(str(EXAMPLES / "digits_mlp.ncanvas"))
    design = window.document.design
    window.scene.select_ids(list(design.nodes))
    window.act_copy.trigger()
    count = len(design.nodes)
    window.act_paste.trigger()
    assert len(design.nodes) == 2 * count


def test_an_export_that_runs_out_of_memory_ends_in_a_dialog_and_no_file(window, tmp_path,
                                                                        monkeypatch):
    from gui.window import model_files

    def too_big(design, path):
        raise MemoryError
    monkeypatch.setattr(model_files, "exporter", lambda kind: too_big)
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a: (str(tmp_path / "model.py"), "")))
    shown = record(monkeypatch, "critical")
    assert window.export_model("numpy") == ""
    assert shown == [("Cannot export the NumPy predictor", "There is not enough memory to write it.")]
    assert not (tmp_path / "model.py").exists()


def test_the_status_bar_names_an_opened_file_on_one_line(window, tmp_path):
    """A file name may hold a line break or a text-direction mark: the status bar shows them as
    escapes, so what it says stays one line that reads in order."""
    folder = tmp_path / "sent\nfrom a\u202efriend"
    folder.mkdir()
    path = folder / "xor\u2028copy.ncanvas"
    path.write_bytes((EXAMPLES / "xor.ncanvas").read_bytes())
    said = status_messages(window)
    assert window.open_path(str(path))
    (opened,) = [text for text in said if text.startswith("Opened ")]
    assert "\n" not in opened and "\u202e" not in opened and "\u2028" not in opened
    assert "\\u000a" in opened and "\\u202e" in opened and "\\u2028" in opened
    assert opened.endswith("copy.ncanvas")
