"""A Dense block expanded into its neurons and collapsed back: same function, exact undo, reasons."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

import core
from gui.document.document import Document
from gui.window.main_window import MainWindow

X = np.random.default_rng(7).normal(size=(32, 2))


def build(doc: Document, trained: bool = True) -> dict[str, str]:
    """x1, x2 → Dense(4, tanh) → Dense(1, sigmoid) output, trained a little on the circle."""
    doc.set_dataset("circle", {"n": 120})
    doc.set_training(loss="binary_cross_entropy", optimizer="adam", learning_rate=0.05, epochs=3)
    x1 = doc.add_node("input", (0, -40), {"feature": "x1"}, "x1")
    x2 = doc.add_node("input", (0, 40), {"feature": "x2"}, "x2")
    hidden = doc.add_node("dense", (200, 0), {"units": 4, "activation": "tanh"}, "hidden")
    out = doc.add_node("dense", (400, 0), {"units": 1, "activation": "sigmoid"}, "out")
    for source, target in ((x1, hidden), (x2, hidden), (hidden, out)):
        assert doc.connect(source, target)
    assert [p for p in doc.validate_now() if p.severity == "error"] == []
    if trained:
        core.train(doc.design, epochs=3)  # every weight set, none left at the seed's draw
    return {"x1": x1, "x2": x2, "hidden": hidden, "out": out}


def neurons(doc: Document) -> list[str]:
    return [n for n, node in doc.design.nodes.items() if node.kind == "neuron"]


def test_expand_keeps_the_weights_and_the_function_collapse_gives_them_back_undo_is_exact(qtbot):
    doc = Document()
    ids = build(doc)
    before = doc.design.copy()
    kernel = before.parameters[ids["hidden"]]["kernel"]  # rows: x1, x2 (the inputs' order)
    bias = before.parameters[ids["hidden"]]["bias"]
    y_before = core.predict(doc.design, X)

    created = doc.expand_dense(ids["hidden"])
    design = doc.design
    assert created == neurons(doc) and len(created) == 4 and ids["hidden"] not in design.nodes
    ys = [design.nodes[n].position[1] for n in created]
    assert ys == sorted(ys) and np.isclose(np.mean(ys), 0.0)  # a column centred where it stood
    for i, n in enumerate(created):
        node = design.nodes[n]
        assert node.params["activation"] == "tanh" and node.params["bias"] == bias[i]
        assert {c.source for c in design.incoming(n)} == {ids["x1"], ids["x2"]}
        assert design.connection_between(ids["x1"], n).weight == kernel[0, i]
        assert design.connection_between(ids["x2"], n).weight == kernel[1, i]
        assert [c.target for c in design.outgoing(n)] == [ids["out"]]
    assert len(design.connections) == 4 * 2 + 4
    assert design.parameters[ids["out"]]["kernel"].tobytes() == \
        before.parameters[ids["out"]]["kernel"].tobytes()
    assert [p for p in doc.validate_now() if p.severity == "error"] == []
    expanded = design.copy()
    np.testing.assert_allclose(core.predict(design, X), y_before, rtol=0, atol=1e-6)

    block = doc.collapse_to_dense(created)
    assert block is not None and neurons(doc) == []
    assert design.nodes[block].params["units"] == 4
    assert design.nodes[block].params["activation"] == "tanh"
    for name, values in before.parameters[ids["hidden"]].items():
        assert design.parameters[block][name].tobytes() == values.tobytes(), name
    np.testing.assert_allclose(core.predict(design, X), y_before, rtol=0, atol=1e-6)

    doc.undo_stack.undo()
    assert design == expanded
    doc.undo_stack.undo()
    assert design == before  # nodes in their old order, wires, block weights: all exactly back
    doc.undo_stack.redo()
    assert design == expanded
    doc.undo_stack.redo()
    np.testing.assert_allclose(core.predict(design, X), y_before, rtol=0, atol=1e-6)


def test_an_untrained_block_becomes_fresh_neurons(qtbot):
    doc = Document()
    ids = build(doc, trained=False)
    created = doc.expand_dense(ids["hidden"])
    assert len(created) == 4
    assert all(doc.design.nodes[n].params["bias"] is None for n in created)
    assert all(c.weight is None for c in doc.design.connections.values())
    block = doc.collapse_to_dense(created)
    assert block is not None and block not in doc.design.parameters


def test_refusals_change_nothing_and_say_why(qtbot):
    doc = Document()
    doc.set_dataset("gaussian", {"n": 90, "classes": 3})
    doc.set_training(loss="softmax_cross_entropy")
    data = doc.add_node("data", (0, 0))
    hidden = doc.add_node("dense", (200, 0), {"units": 4})
    out = doc.add_node("dense", (400, 0), {"units": 3, "activation": "softmax"})
    doc.connect(data, hidden)
    doc.connect(hidden, out)
    before, count = doc.design.copy(), doc.undo_stack.count()
    with qtbot.waitSignal(doc.refused) as said:
        assert doc.expand_dense(hidden) == []
    assert "Data node" in said.args[0] and "Input" in said.args[0]
    with qtbot.waitSignal(doc.refused) as said:
        assert doc.expand_dense(out) == []
    assert "expand Dense" in said.args[0]
    with qtbot.waitSignal(doc.refused) as said:
        assert doc.collapse_to_dense([data, hidden]) is None
    assert "only neurons" in said.args[0]
    assert doc.design == before and doc.undo_stack.count() == count


def test_neurons_of_two_layers_or_feeding_a_neuron_do_not_collapse(qtbot):
    doc = Document()
    x1 = doc.add_node("input", (0, 0), {"feature": "x1"})
    hidden = doc.add_layer(3, [x1], (160, 0))
    out = doc.add_node("neuron", (320, 0), {"activation": "sigmoid"})
    doc.fully_connect([*hidden, out])
    reasons: list[str] = []
    doc.refused.connect(reasons.append)
    assert doc.collapse_to_dense([*hidden, out]) is None
    assert doc.collapse_to_dense(hidden) is None
    assert "not wired from the same nodes" in reasons[0]
    assert "collapse that layer first" in reasons[1]
    block = doc.collapse_to_dense([out])  # the output column first, then the hidden one
    assert block is not None and doc.collapse_to_dense(hidden) is not None


def right_click(window: MainWindow, node_id: str) -> None:
    view = window.view
    point = view.mapFromScene(QPointF(*window.document.design.nodes[node_id].position))
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point, view.viewport().mapToGlobal(point))
    QApplication.sendEvent(view.viewport(), event)


def test_the_canvas_menu_expands_and_the_edit_menu_collapses(window, qtbot):
    doc = window.document
    ids = build(doc)
    y_before = core.predict(doc.design, X)
    window.view.fit_to_view()
    assert not window.act_expand.isEnabled() and not window.act_collapse.isEnabled()

    right_click(window, ids["hidden"])
    menu = window.canvas_menu
    qtbot.waitUntil(menu.isVisible)
    assert window.scene.selected_node_ids() == [ids["hidden"]]
    assert window.act_expand.isEnabled() and not window.act_collapse.isEnabled()
    assert {a.text() for a in menu.actions()} >= {window.act_duplicate.text(), window.act_delete.text()}
    QTest.mouseClick(menu, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     menu.actionGeometry(window.act_expand).center())
    created = neurons(doc)
    assert len(created) == 4 and sorted(window.scene.selected_node_ids()) == sorted(created)
    assert all(window.scene.node_item(n) is not None for n in created)
    assert "4 neurons" in window.statusBar().currentMessage()

    edit = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    collapse = next(a for a in edit.actions() if a.text().replace("&", "") ==
                    "Collapse Neurons into Dense")
    assert collapse.isEnabled() and not window.act_expand.isEnabled()
    collapse.trigger()
    blocks = [n for n, node in doc.design.nodes.items() if node.kind == "dense" and n != ids["out"]]
    assert len(blocks) == 1 and window.scene.selected_node_ids() == blocks
    np.testing.assert_allclose(core.predict(doc.design, X), y_before, rtol=0, atol=1e-6)

    window.act_undo.trigger()
    window.act_undo.trigger()
    assert ids["hidden"] in doc.design.nodes and neurons(doc) == []


def test_a_refusal_from_the_menu_shows_its_reason_in_the_status_bar(window, qtbot):
    doc = window.document
    doc.set_dataset("gaussian", {"n": 90, "classes": 3})
    data = doc.add_node("data", (0, 0))
    hidden = doc.add_node("dense", (200, 0), {"units": 4})
    doc.connect(data, hidden)
    before, count = doc.design.copy(), doc.undo_stack.count()
    window.view.fit_to_view()
    right_click(window, hidden)
    qtbot.waitUntil(window.canvas_menu.isVisible)
    window.canvas_menu.hide()
    assert window.act_expand.isEnabled()
    window.act_expand.trigger()
    message = window.statusBar().currentMessage()
    assert message.startswith("Cannot expand into neurons") and "Data node" in message
    assert doc.design == before and doc.undo_stack.count() == count


def test_a_block_fed_by_the_dense_and_a_neuron_reads_the_new_neurons_where_it_read_the_dense(qtbot):
    """T reads Dense D, then neuron b, in the order they were wired: once D is neurons, T reads
    them where it read D, before b, so its kernel stays as it was (undone and redone exactly)."""
    doc = Document()
    doc.set_dataset("circle", {"n": 120})
    doc.set_training(loss="binary_cross_entropy", optimizer="adam", epochs=2)
    x1 = doc.add_node("input", (0, -40), {"feature": "x1"})
    x2 = doc.add_node("input", (0, 40), {"feature": "x2"})
    a = doc.add_node("neuron", (160, -120))
    b = doc.add_node("neuron", (320, -120))
    dense = doc.add_node("dense", (240, 60), {"units": 3, "activation": "relu"})
    out = doc.add_node("dense", (480, 0), {"units": 1, "activation": "sigmoid"})
    for source, target in ((x1, a), (x2, a), (a, b), (x1, dense), (x2, dense), (dense, out), (b, out)):
        assert doc.connect(source, target)
    core.train(doc.design, epochs=2)
    before, y_before = doc.design.copy(), core.predict(doc.design, X)
    old_kernel = before.parameters[out]["kernel"][:, 0]  # rows: the Dense's three units, then b
    created = doc.expand_dense(dense)
    assert len(created) == 3
    assert [c.source for c in doc.design.incoming(out)] == [*created, b]
    new_kernel = doc.design.parameters[out]["kernel"][:, 0]  # rows: the new neurons, then b
    assert new_kernel.tobytes() == old_kernel.tobytes()
    np.testing.assert_allclose(core.predict(doc.design, X), y_before, rtol=0, atol=1e-6)
    expanded = doc.design.copy()
    doc.undo_stack.undo()
    assert doc.design == before
    doc.undo_stack.redo()
    assert doc.design == expanded
