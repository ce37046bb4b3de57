"""Adding a layer and the data set's inputs from the keyboard: Ctrl+I, then Ctrl+L with its dialog
(count, activation, output layer), each one undo step, wired from the selection."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from gui.window.add_layer import AddLayerDialog

CTRL = Qt.KeyboardModifier.ControlModifier


def press(widget, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(widget, key, modifier)


def to_canvas(window, qtbot) -> None:
    """The window active (again, after a dialog closed) and the canvas focused: where keys go."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.view.setFocus()


def open_layer_dialog(window, qtbot) -> AddLayerDialog:
    """Ctrl+L on the canvas: the dialog opens with the count field focused."""
    to_canvas(window, qtbot)
    press(window.view, Qt.Key.Key_L, CTRL)
    qtbot.waitUntil(lambda: window.layer_dialog is not None and window.layer_dialog.isVisible())
    dialog = window.layer_dialog
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)  # the window system gives it the keys
    return dialog


def type_keys(widget, text: str) -> None:
    QTest.keyClicks(widget, text)


def focused():
    return QApplication.focusWidget()


def answer(dialog: AddLayerDialog, qtbot, count: str, activation: str = "", output: bool = False):
    """Type the count, Tab to the activation and type its first letters, tick Output layer with
    Alt+O when asked, press Enter."""
    assert focused() is dialog.count
    type_keys(dialog.count, count)
    if activation:
        press(focused(), Qt.Key.Key_Tab)
        assert focused() is dialog.activation
        type_keys(dialog.activation, activation)
    if output:
        tick_output(dialog, qtbot)
    press(focused(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window_of(dialog).layer_dialog is None)


def tick_output(dialog: AddLayerDialog, qtbot) -> None:
    """Alt+O, the Output layer box's mnemonic (it clicks as a button does, a moment later)."""
    press(focused(), Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(dialog.output.isChecked)


def window_of(dialog):
    return dialog.parent()


def add_inputs(window, qtbot) -> list[str]:
    to_canvas(window, qtbot)
    press(window.view, Qt.Key.Key_I, CTRL)
    nodes = window.document.design.nodes  # top to bottom
    return sorted(window.scene.selected_node_ids(), key=lambda n: nodes[n].position[1])


def test_ctrl_i_adds_the_data_sets_two_inputs_selected_as_one_step_and_again_adds_none(window, qtbot):
    doc = window.document
    assert doc.design.dataset.name == "circle"
    steps = doc.undo_stack.count()
    inputs = add_inputs(window, qtbot)
    assert [doc.design.nodes[n].params["feature"] for n in inputs] == ["x1", "x2"]
    assert doc.undo_stack.count() == steps + 1
    assert add_inputs(window, qtbot) == inputs and len(doc.design.nodes) == 2  # nothing doubled
    window.act_undo.trigger()
    assert not doc.design.nodes


def test_the_dialog_starts_on_four_tanh_hidden_neurons_with_the_count_focused(window, qtbot):
    dialog = open_layer_dialog(window, qtbot)
    assert focused() is dialog.count and dialog.count.value() == 4
    assert dialog.count.lineEdit().selectedText() == "4"  # typing replaces it
    assert dialog.activation.currentData() == "tanh" and not dialog.output.isChecked()
    keys = [dialog.activation.itemData(i) for i in range(dialog.activation.count())]
    assert {"identity", "sigmoid", "tanh", "relu", "softmax"} <= set(keys)
    press(dialog.count, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.layer_dialog is None)
    assert not window.document.design.nodes


def test_ctrl_l_3_relu_enter_adds_a_wired_selected_layer_as_one_undo_step(window, qtbot):
    doc = window.document
    inputs = add_inputs(window, qtbot)
    steps = doc.undo_stack.count()
    answer(open_layer_dialog(window, qtbot), qtbot, "3", "relu")
    design = doc.design
    hidden = window.scene.selected_node_ids()
    assert len(hidden) == 3 and {design.nodes[n].params["activation"] for n in hidden} == {"relu"}
    assert {(c.source, c.target) for c in design.connections.values()} == {
        (i, h) for i in inputs for h in hidden}
    assert all(design.nodes[h].position[0] > design.nodes[inputs[0]].position[0] for h in hidden)
    assert doc.undo_stack.count() == steps + 1
    window.act_undo.trigger()
    assert set(doc.design.nodes) == set(inputs) and not doc.design.connections


def test_the_last_hidden_activation_is_offered_next_time(window, qtbot):
    add_inputs(window, qtbot)
    answer(open_layer_dialog(window, qtbot), qtbot, "2", "elu")
    dialog = open_layer_dialog(window, qtbot)
    assert dialog.activation.currentData() == "elu"
    press(dialog.count, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.layer_dialog is None)


def test_an_output_layer_for_two_classes_is_one_sigmoid_neuron_and_the_design_is_ready(window, qtbot):
    doc = window.document
    add_inputs(window, qtbot)
    answer(open_layer_dialog(window, qtbot), qtbot, "4", "tanh")
    hidden = window.scene.selected_node_ids()
    dialog = open_layer_dialog(window, qtbot)
    type_keys(dialog.count, "1")
    tick_output(dialog, qtbot)
    assert dialog.activation.currentData() == "sigmoid"
    assert "2 classes" in dialog.hint.text() and "Logistic (sigmoid)" in dialog.hint.text()
    press(focused(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.layer_dialog is None)
    (out,) = window.scene.selected_node_ids()
    assert doc.design.nodes[out].params["activation"] == "sigmoid"
    assert {c.source for c in doc.design.connections.values() if c.target == out} == set(hidden)
    assert [str(p) for p in doc.validate_now()] == []
    # the output's sigmoid is not remembered as the next hidden layer's activation
    dialog = open_layer_dialog(window, qtbot)
    assert dialog.activation.currentData() == "tanh"
    press(dialog.count, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.layer_dialog is None)


def test_an_output_layer_for_ten_digits_is_ten_softmax_neurons(window, qtbot):
    doc = window.document
    doc.set_dataset("digits", {})
    doc.set_training(loss="softmax_cross_entropy")
    dialog = open_layer_dialog(window, qtbot)
    dialog.output.click()
    assert dialog.count.value() == 10 and dialog.activation.currentData() == "softmax"
    assert "10 classes" in dialog.hint.text()
    dialog.output.click()  # unticked: the hidden activation comes back
    assert dialog.activation.currentData() == "tanh"
    press(dialog.count, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.layer_dialog is None)


def test_an_output_layer_for_regression_is_linear(window, qtbot):
    doc = window.document
    doc.set_dataset("plane", {})
    doc.set_training(loss="mse")
    dialog = open_layer_dialog(window, qtbot)
    dialog.output.click()
    assert dialog.count.value() == 1 and dialog.activation.currentData() == "identity"
    assert "regression" in dialog.hint.text()
    press(dialog.count, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.layer_dialog is None)
    (out,) = window.scene.selected_node_ids()
    assert doc.design.nodes[out].params["activation"] == "identity"
