"""The Document: every edit undoable exactly, files, refused wires, clipboard, autosave, recovery."""

from __future__ import annotations

import pytest

from core.design.errors import FileFormatError
from core.training.trainer import Trainer
from gui.document import recovery
from gui.document.document import Document


@pytest.fixture
def doc(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(Document, "recovery_folder", staticmethod(lambda: tmp_path / "recovery"))
    document = Document()
    document.set_dataset("xor", {"n": 200})
    document.set_training(loss="binary_cross_entropy", learning_rate=0.1, epochs=100,
                          target_accuracy=1.0)
    return document


def build_xor(doc: Document) -> dict[str, str]:
    x1 = doc.add_node("input", (0, -40), {"feature": "x1"}, "x1")
    x2 = doc.add_node("input", (0, 40), {"feature": "x2"}, "x2")
    hidden = doc.add_layer(4, [x1, x2], (160, 0), activation="relu")
    out = doc.add_node("neuron", (320, 0), {"activation": "sigmoid"}, "out")
    doc.fully_connect(hidden + [out])
    return {"x1": x1, "x2": x2, "out": out, **{f"h{i}": h for i, h in enumerate(hidden)}}


def test_an_xor_built_by_edits_trains_and_every_edit_undoes_and_redoes_exactly(doc):
    empty = doc.design.copy()
    ids = build_xor(doc)
    assert len(doc.design.connections) == 12 and doc.validate_now() == []
    built = doc.design.copy()
    trainer = Trainer(doc.design.copy())
    assert trainer.train().train_accuracy == 1.0
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert doc.design.nodes == empty.nodes and doc.design.connections == {}
    while doc.undo_stack.canRedo():
        doc.undo_stack.redo()
    assert doc.design == built
    assert ids["out"] in doc.design.nodes


def test_the_title_marks_unsaved_changes_and_save_reopen_gives_an_equal_design(doc, tmp_path):
    build_xor(doc)
    assert doc.dirty and doc.title.endswith("•")
    path = tmp_path / "xor.ncanvas"
    doc.save(str(path))
    assert not doc.dirty and doc.title == "xor.ncanvas"
    other = Document()
    other.open(str(path))
    assert other.design == doc.design


def test_refused_wires_say_why(doc):
    ids = build_xor(doc)
    assert "cycle" in doc.connection_problem(ids["out"], ids["h0"])
    assert "input" in doc.connection_problem(ids["h0"], ids["x1"])
    assert "already" in doc.connection_problem(ids["x1"], ids["h0"])
    count = doc.undo_stack.count()
    assert doc.connect(ids["out"], ids["h0"]) is None and doc.undo_stack.count() == count


def test_a_corrupt_file_leaves_the_open_design_untouched(doc, tmp_path):
    build_xor(doc)
    before = doc.design.copy()
    bad = tmp_path / "bad.ncanvas"
    bad.write_text('{"format": "neuralcanvas-design", "version": 1, "nodes": [{"id": 3}]}')
    with pytest.raises(FileFormatError, match=r"\$\.nodes\[0\]"):
        doc.open(str(bad))
    assert doc.design == before and doc.dirty


def test_delete_then_undo_restores_weights_and_wires(doc):
    ids = build_xor(doc)
    doc.set_weight(doc.design.incoming(ids["out"])[0].id, 2.5)
    before = doc.design.copy()
    doc.remove([ids["h1"]], [])
    assert ids["h1"] not in doc.design.nodes and len(doc.design.connections) == 9
    doc.undo_stack.undo()
    assert doc.design == before


def test_copy_paste_makes_new_nodes_with_the_wires_among_them(doc):
    ids = build_xor(doc)
    data = doc.copy_data([ids["x1"], ids["h0"]])
    new = doc.paste_data(data)
    assert len(new) == 2 and not set(new) & set(ids.values())
    assert doc.design.connection_between(new[0], new[1]) is not None
    doc.undo_stack.undo()
    assert not set(new) & set(doc.design.nodes)


def test_a_pasted_copy_keeps_its_nodes_in_design_order_whatever_the_selection_order(doc):
    """The output neurons' order is the order of the network's outputs: a copy keeps it."""
    x = doc.add_node("input", (0, 0), {"feature": "x1"})
    o1 = doc.add_node("neuron", (160, -40))
    o2 = doc.add_node("neuron", (160, 40))
    doc.connect(x, o1, 1.0)
    doc.connect(x, o2, -1.0)
    new = doc.paste_data(doc.copy_data([o2, x, o1]))  # selected from the bottom up
    pasted = [n for n in doc.design.nodes if n in new and doc.design.nodes[n].kind == "neuron"]
    assert [doc.design.incoming(n)[0].weight for n in pasted] == [1.0, -1.0]


def test_auto_layout_puts_columns_in_depth_order_in_one_command(doc):
    ids = build_xor(doc)
    doc.move({ids["out"]: (doc.design.nodes[ids["out"]].position, (-500.0, 300.0))})
    count = doc.undo_stack.count()
    doc.auto_layout()
    assert doc.undo_stack.count() == count + 1
    xs = {k: doc.design.nodes[v].position[0] for k, v in ids.items()}
    assert xs["x1"] < xs["h0"] < xs["out"]


def test_autosave_writes_the_recovery_file_and_restore_brings_back_unsaved_work(doc, tmp_path):
    build_xor(doc)
    assert doc.autosave() and doc.recovery_path().is_file()
    recovered = Document()
    recovered.restore_recovery(recovery.read(doc.recovery_path()))
    assert recovered.design == doc.design and recovered.dirty
    # the restored work is kept at once, in the restoring document's own file
    assert recovered.recovery_path() != doc.recovery_path()
    assert recovery.read(recovered.recovery_path())[0] == doc.design
    doc.save(str(tmp_path / "saved.ncanvas"))
    assert not doc.recovery_path().exists() and recovered.recovery_path().exists()
    recovered.undo_stack.setClean()


def test_live_validation_reports_problems_after_an_edit(doc, qtbot):
    ids = build_xor(doc)
    with qtbot.waitSignal(doc.validated, timeout=2000) as blocker:
        doc.set_node_params(ids["out"], activation="tanh")  # BCE wants sigmoid or identity
    assert any(ids["out"] in p.node_ids for p in blocker.args[0])
