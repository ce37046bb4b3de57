"""Whole journeys through the main window, as a person makes them with the mouse and keyboard.

Build the XOR network at the neuron level from an empty canvas (palette drops, port-to-port
wires, the inspector), train it with the engine, save, reopen, undo everything and redo it; build
the digits MLP from Dense blocks the same way; try a wire the model refuses.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QSpinBox, QToolButton

from core.training.trainer import Trainer
from gui.canvas.palette import PaletteTree
from gui.document.document import Document
from gui.window import file_actions
from gui.window.main_window import MainWindow
from tests.gui.gestures import LEFT, NO_MOD, at, drag, drop, type_into


def palette_drop(window: MainWindow, text: str, view_pos: QPoint) -> str:
    """Drag the palette entry shown as `text` onto the canvas; returns the new node's id."""
    tree: PaletteTree = window.palette_panel.tree
    items = [item for item in window.palette_panel.items() if item.text(0) == text]
    assert items, f"no palette entry {text!r}"
    before = set(window.document.design.nodes)
    assert drop(window.view, tree.mimeData([items[0]]), view_pos) == (True, True)
    (added,) = set(window.document.design.nodes) - before
    return added


def wire(window: MainWindow, source: str, target: str) -> None:
    """Drag from the source node's output port to the target node's input port."""
    scene, view = window.scene, window.view
    drag(view, at(view, scene.node_item(source).output_anchor()),
         at(view, scene.node_item(target).input_anchor()))


def click_node(window: MainWindow, node_id: str) -> None:
    item = window.scene.node_item(node_id)
    QTest.mouseClick(window.view.viewport(), LEFT, NO_MOD,
                     at(window.view, item.mapToScene(item.body_rect().center() + QPointF(0, -6))))


def inspector_field(window: MainWindow, kind: type, name: str):
    found = window.inspector.findChild(kind, name)
    assert found is not None, f"the inspector shows no {name!r}"
    return found


def test_build_xor_by_hand_train_it_save_reopen_undo_all_and_redo_all(window, qtbot, tmp_path,
                                                                      monkeypatch):
    doc = window.document
    empty = doc.design.copy()
    window.resize(1400, 900)
    window.view.resetTransform()
    window.view.centerOn(0, 0)

    # The data set and the learning rate, in the inspector with nothing selected.
    data = inspector_field(window, QComboBox, "dataset")
    data.setCurrentIndex(data.findData("xor"))
    type_into(qtbot, inspector_field(window, QLineEdit, "training.learning_rate"), "0.1")

    # Two inputs, four hidden neurons and one output, dropped from the palette.
    origin = at(window.view, QPointF(0, 0))
    x1 = palette_drop(window, "x1", origin + QPoint(-260, -60))
    x2 = palette_drop(window, "x2", origin + QPoint(-260, 60))
    hidden = [palette_drop(window, "Hidden neuron", origin + QPoint(0, -180 + 120 * k)) for k in range(4)]
    out = palette_drop(window, "Output neuron", origin + QPoint(260, 0))
    assert doc.design.nodes[out].params["activation"] == "sigmoid"

    # Twelve wires, each dragged from an output port to an input port.
    for h in hidden:
        wire(window, x1, h)
        wire(window, x2, h)
        wire(window, h, out)
    pairs = {(c.source, c.target) for c in doc.design.connections.values()}
    assert pairs == {(x, h) for x in (x1, x2) for h in hidden} | {(h, out) for h in hidden}

    # The hidden neurons become ReLUs, and one weight is typed, all in the inspector.
    for h in hidden:
        click_node(window, h)
        assert window.scene.selected_node_ids() == [h]
        combo = inspector_field(window, QComboBox, "activation")
        combo.setCurrentIndex(combo.findData("relu"))
    first = doc.design.connection_between(x1, hidden[0])
    window.scene.select_ids([first.id])
    type_into(qtbot, inspector_field(window, QLineEdit, "weight"), "0.5")
    assert doc.design.connections[first.id].weight == 0.5
    assert {doc.design.nodes[h].params["activation"] for h in hidden} == {"relu"}
    assert [str(p) for p in doc.validate_now()] == []
    assert window.live.state_label.text() == "ready to train" and window.problem_count.isHidden()
    built = doc.design.copy()

    # The engine trains what was drawn to 100 % accuracy.
    result = Trainer(doc.design.copy()).train()
    assert result.train_accuracy == 1.0 and result.test_accuracy >= 0.98

    # Save from the File menu, reopen in a fresh window: the same design.
    path = tmp_path / "my_xor.ncanvas"
    monkeypatch.setattr(file_actions, "save_file_name", lambda parent, current: str(path))
    window.act_save.trigger()
    assert not doc.dirty and window.windowTitle().startswith("my_xor.ncanvas")
    reopened = MainWindow(restore_settings=False)
    qtbot.addWidget(reopened)
    assert reopened.open_path(str(path))
    assert reopened.document.design == built
    assert len(reopened.scene.node_items()) == 7

    # Undo every step back to the empty canvas, then redo it all.
    while window.act_undo.isEnabled():
        window.act_undo.trigger()
    assert doc.design == empty and window.scene.node_items() == []
    while window.act_redo.isEnabled():
        window.act_redo.trigger()
    assert doc.design == built and len(window.scene.node_items()) == 7
    assert window.scene.connection_item(first.id) is not None


def test_build_the_digits_mlp_from_dense_blocks(window, qtbot, tmp_path):
    doc = window.document
    window.view.resetTransform()
    window.view.centerOn(0, 0)
    data = inspector_field(window, QComboBox, "dataset")
    data.setCurrentIndex(data.findData("digits"))
    loss = inspector_field(window, QComboBox, "training.loss")
    loss.setCurrentIndex(loss.findData("softmax_cross_entropy"))
    assert [e.text for e in window.palette_panel.entries() if e.kind == "data"] == ["Data"]

    origin = at(window.view, QPointF(0, 0))
    pixels = palette_drop(window, "Data", origin + QPoint(-300, 0))
    hidden = palette_drop(window, "Dense", origin + QPoint(0, 0))
    out = palette_drop(window, "Dense", origin + QPoint(300, 0))
    wire(window, pixels, hidden)
    wire(window, hidden, out)

    click_node(window, out)
    units = inspector_field(window, QSpinBox, "units")
    units.setValue(10)
    combo = inspector_field(window, QComboBox, "activation")
    combo.setCurrentIndex(combo.findData("softmax"))
    click_node(window, hidden)
    inspector_field(window, QSpinBox, "units").setValue(64)
    assert [str(p) for p in doc.validate_now()] == []
    assert window.live.state_label.text() == "ready to train" and window.problem_count.isHidden()
    assert [doc.design.nodes[n].params["units"] for n in (hidden, out)] == [64, 10]

    design = doc.design.copy()
    design.set_training(epochs=15)
    result = Trainer(design).train()
    assert result.test_accuracy >= 0.93

    path = tmp_path / "digits.ncanvas"
    doc.save(str(path))
    again = Document()
    again.open(str(path))
    assert again.design == doc.design


def test_a_refused_wire_explains_itself_and_changes_nothing(window):
    doc = window.document
    window.view.resetTransform()
    window.view.centerOn(0, 0)
    origin = at(window.view, QPointF(0, 0))
    a = palette_drop(window, "Hidden neuron", origin + QPoint(-150, 0))
    b = palette_drop(window, "Hidden neuron", origin + QPoint(150, 0))
    wire(window, a, b)
    commands = doc.undo_stack.count()
    wire(window, b, a)  # would close a cycle
    assert [(c.source, c.target) for c in doc.design.connections.values()] == [(a, b)]
    assert doc.undo_stack.count() == commands
    assert "cycle" in window.statusBar().currentMessage()


# ---------------------------------------------------------------- XOR from an empty window, fast
def pick_dataset(window: MainWindow, qtbot, name: str) -> None:
    """Choose the data set as a person does in the Data panel: one click on its entry."""
    button = window.findChild(QToolButton, f"dataset_{name}")
    assert button is not None and button.isVisible(), f"the Data panel shows no {name!r}"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def keys_on_canvas(window: MainWindow, qtbot, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier
                   ) -> None:
    """A shortcut pressed with the canvas in front (the window active again after any dialog)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.view.setFocus()
    QTest.keyClick(window.view, key, modifier)


def add_layer_by_keys(window: MainWindow, qtbot, count: str, activation: str = "",
                      output: bool = False) -> None:
    """Ctrl+L, then in its dialog: the count typed, Tab and the activation's first letters (or
    Alt+O for Output layer), Enter."""
    keys_on_canvas(window, qtbot, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.layer_dialog is not None
                    and QApplication.activeWindow() is window.layer_dialog)
    dialog = window.layer_dialog
    QTest.keyClicks(QApplication.focusWidget(), count)
    if activation:
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        QTest.keyClicks(QApplication.focusWidget(), activation)
    if output:
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(dialog.output.isChecked)  # a mnemonic clicks a moment later
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.layer_dialog is None)


def test_xor_from_an_empty_window_in_five_actions_trains_to_100_percent(window, qtbot):
    doc, live = window.document, window.live
    assert not doc.design.nodes and window.start_page.isVisible()
    actions = []

    # 1. Ctrl+I: the data set's two inputs, x1 and x2, selected.
    keys_on_canvas(window, qtbot, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    actions.append("Ctrl+I")
    inputs = window.scene.selected_node_ids()
    assert sorted(doc.design.nodes[n].params["feature"] for n in inputs) == ["x1", "x2"]
    assert not window.start_page.isVisible()

    # 2. Ctrl+L 4 relu Enter: four hidden neurons wired from both inputs, selected.
    add_layer_by_keys(window, qtbot, "4", "relu")
    actions.append("Ctrl+L 4 Tab relu Enter")
    hidden = window.scene.selected_node_ids()
    assert len(hidden) == 4 and {doc.design.nodes[h].params["activation"] for h in hidden} == {"relu"}

    # 3. Ctrl+L 1 Alt+O Enter: one output neuron, sigmoid for two classes.
    add_layer_by_keys(window, qtbot, "1", output=True)
    actions.append("Ctrl+L 1 Alt+O Enter")
    (out,) = window.scene.selected_node_ids()
    assert doc.design.nodes[out].params["activation"] == "sigmoid"

    # 4. One click on Exclusive or in the Data panel.
    pick_dataset(window, qtbot, "xor")
    actions.append("click Exclusive or")
    assert doc.design.dataset.name == "xor"
    assert [str(p) for p in doc.validate_now()] == []
    pairs = {(c.source, c.target) for c in doc.design.connections.values()}
    assert pairs == {(i, h) for i in inputs for h in hidden} | {(h, out) for h in hidden}

    # 5. Ctrl+Return: Play, to the end of its epochs.
    keys_on_canvas(window, qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    actions.append("Ctrl+Return")
    assert live.controller.running
    qtbot.waitUntil(lambda: not live.controller.running, timeout=60000)

    assert len(actions) <= 8, actions
    metrics = live.controller.last.metrics
    assert metrics.train_accuracy == 1.0
    assert "test accuracy" in live.status.text() and metrics.test_accuracy >= 0.98
    live.shutdown()
