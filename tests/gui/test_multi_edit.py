"""Several nodes selected: the inspector shows what they share, a value set there goes to all of
them as one undo step, and a field where they differ says "mixed" and is left alone."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QSpinBox, QWidget

import core
from gui.document.document import Document
from gui.inspector.dock import Inspector
from gui.inspector.multi import NodesPage
from gui.widgets.refusals import refusal
from resources import EXAMPLES
from tests.gui.gestures import type_into

HIDDEN = ["n3", "n4", "n5", "n6"]  # xor's four hidden neurons, all relu; n7 (sigmoid) is its output
GRID = np.array([[x, y] for x in (-1.0, -0.3, 0.4, 1.0) for y in (-1.0, 0.2, 1.0)])

XOR = EXAMPLES / "xor.ncanvas"


def field(inspector: Inspector, name: str, kind: type = QWidget):
    found = inspector.findChild(kind, name)
    assert found is not None, f"no field {name!r} on the page"
    return found


def params(document: Document, key: str, node_ids: list[str]) -> list:
    return [document.design.nodes[n].params.get(key) for n in node_ids]


def choose(combo: QComboBox, key: str) -> None:
    """Pick an item of the combo's list, as a click in its open list does."""
    index = combo.findData(key)
    assert index >= 0, f"{key!r} is not offered"
    combo.setCurrentIndex(index)


def test_four_neurons_selected_on_the_canvas_get_one_activation_in_one_undo_step(window, qtbot):
    assert window.open_path(str(XOR))
    document, scene = window.document, window.scene
    selected = ["n4", "n5", "n6", "n7"]  # three relu and the sigmoid output
    scene.select_ids(selected)
    page = window.inspector.page
    assert isinstance(page, NodesPage)
    assert page.findChild(QWidget, "nodes").title() == "4 neurons selected"
    combo = field(window.inspector, "activation", QComboBox)
    assert combo.currentIndex() == -1 and combo.placeholderText() == "— mixed —"
    before = document.undo_stack.count()

    choose(combo, "relu")
    assert params(document, "activation", selected) == ["relu"] * 4
    assert document.undo_stack.count() == before + 1
    assert [scene.node_item(n).record.params["activation"] for n in selected] == ["relu"] * 4
    assert combo.currentData() == "relu"  # all alike now: the field shows their value

    document.undo_stack.undo()
    assert params(document, "activation", selected) == ["relu", "relu", "relu", "sigmoid"]
    assert scene.node_item("n7").record.params["activation"] == "sigmoid"
    assert combo.currentIndex() == -1  # mixed again
    document.undo_stack.redo()
    assert params(document, "activation", selected) == ["relu"] * 4
    assert document.undo_stack.count() == before + 1


def test_the_hidden_layer_to_tanh_and_back(inspector, document):
    inspector.show_selection(HIDDEN, [])
    combo = field(inspector, "activation", QComboBox)
    assert combo.currentData() == "relu"  # the value all four have
    choose(combo, "tanh")
    assert params(document, "activation", HIDDEN) == ["tanh"] * 4
    assert params(document, "activation", ["n7"]) == ["sigmoid"]  # not selected: untouched
    assert document.undo_stack.count() == 1
    assert document.undo_stack.undoText() == "Change activation of 4 neurons"
    document.undo_stack.undo()
    assert params(document, "activation", HIDDEN) == ["relu"] * 4
    assert combo.currentData() == "relu"


def test_mixed_values_stay_mixed_while_another_field_is_set(qtbot, inspector, document):
    document.set_node_params("n3", bias=1.5)
    document.set_node_params("n4", initializer="glorot_uniform")
    inspector.show_selection(["n3", "n4", "n7"], [])
    combo = field(inspector, "activation", QComboBox)
    bias = field(inspector, "bias", QLineEdit)
    initializer = field(inspector, "initializer", QComboBox)
    assert combo.currentIndex() == -1 and combo.currentText() == ""
    assert bias.text() == "" and bias.placeholderText() == "mixed"
    assert initializer.currentIndex() == -1
    pushed = document.undo_stack.count()

    type_into(qtbot, bias, "0.5")
    assert params(document, "bias", ["n3", "n4", "n7"]) == [0.5, 0.5, 0.5]
    assert params(document, "activation", ["n3", "n4", "n7"]) == ["relu", "relu", "sigmoid"]
    assert params(document, "initializer", ["n3", "n4", "n7"]) == ["auto", "glorot_uniform", "auto"]
    assert document.undo_stack.count() == pushed + 1
    assert combo.currentIndex() == -1 and initializer.currentIndex() == -1  # still mixed
    assert bias.text() == "0.5"


def test_a_bias_on_several_neurons_and_leaving_a_mixed_field_sends_nothing(qtbot, inspector, document):
    document.set_node_params("n3", bias=1.0)
    inspector.show_selection(["n3", "n4", "n5"], [])
    bias = field(inspector, "bias", QLineEdit)
    assert bias.text() == "" and bias.placeholderText() == "mixed"
    pushed = document.undo_stack.count()
    bias.setFocus()
    QTest.keyClick(bias, Qt.Key.Key_Return)  # Return on the untouched mixed field
    field(inspector, "initializer", QComboBox).setFocus()  # and leaving it
    assert document.undo_stack.count() == pushed
    assert params(document, "bias", ["n3", "n4", "n5"]) == [1.0, None, None]
    assert refusal(bias) == ""  # nothing refused either: empty means "each keeps its own"

    type_into(qtbot, bias, "-0.25")
    assert params(document, "bias", ["n3", "n4", "n5"]) == [-0.25] * 3
    assert [inspector.page is not None, document.undo_stack.count()] == [True, pushed + 1]
    document.undo_stack.undo()
    assert params(document, "bias", ["n3", "n4", "n5"]) == [1.0, None, None]
    assert bias.placeholderText() == "mixed" and bias.text() == ""
    document.undo_stack.redo()
    assert params(document, "bias", ["n3", "n4", "n5"]) == [-0.25] * 3
    assert bias.text() == "-0.25" and bias.placeholderText() == "not set"


def test_a_value_that_cannot_be_taken_is_refused_beside_the_field_and_nothing_changes(
        qtbot, inspector, document):
    document.set_node_params("n3", bias=1.0)
    inspector.show_selection(HIDDEN, [])
    bias = field(inspector, "bias", QLineEdit)
    pushed = document.undo_stack.count()
    for text in ("abc", "1e400"):
        type_into(qtbot, bias, text)
        assert params(document, "bias", HIDDEN) == [1.0, None, None, None]
        assert document.undo_stack.count() == pushed
        note = inspector.findChild(QLabel, "bias.refused")
        assert note is not None and note.isVisible()
        assert "each node keeps its own value" in note.text()
        assert bias.text() == ""  # the mixed field again, not the refused text
    assert "not a number" in refusal(bias) or "too large" in refusal(bias)
    type_into(qtbot, bias, "2")
    assert params(document, "bias", HIDDEN) == [2.0] * 4
    assert refusal(bias) == ""  # a good value clears the note


def test_mixed_units_of_two_dense_blocks_refuse_zero_and_take_the_lowest(qtbot, inspector, document):
    a = document.add_node("dense", (500.0, 0.0), {"units": 8})
    b = document.add_node("dense", (500.0, 100.0), {"units": 16, "use_bias": False})
    inspector.show_selection([a, b], [])
    assert inspector.page.findChild(QWidget, "nodes").title() == "2 Dense blocks selected"
    units = field(inspector, "units", QSpinBox)
    use_bias = field(inspector, "use_bias", QCheckBox)
    assert units.text() == "mixed"
    assert use_bias.checkState() == Qt.CheckState.PartiallyChecked
    pushed = document.undo_stack.count()
    type_into(qtbot, units.lineEdit(), "0")
    assert params(document, "units", [a, b]) == [8, 16]
    assert document.undo_stack.count() == pushed
    assert "too small" in refusal(units)
    type_into(qtbot, units.lineEdit(), "1")  # the box's own lowest value, typed into "mixed"
    assert params(document, "units", [a, b]) == [1, 1]
    assert document.undo_stack.count() == pushed + 1
    use_bias.click()
    assert params(document, "use_bias", [a, b]) == [True, True]
    assert document.undo_stack.count() == pushed + 2
    document.undo_stack.undo()
    assert params(document, "use_bias", [a, b]) == [True, False]
    assert use_bias.checkState() == Qt.CheckState.PartiallyChecked


def test_a_neuron_and_a_block_show_what_both_have(inspector, document):
    dense = document.add_node("dense", (500.0, 0.0))
    inspector.show_selection(["n3", dense], ["c8"])
    page = inspector.page
    assert isinstance(page, NodesPage)
    assert page.findChild(QWidget, "nodes").title() == "2 nodes selected"
    detail = field(inspector, "detail", QLabel).text()
    assert "1 neuron, 1 Dense block" in detail and "1 connection" in detail
    assert inspector.findChild(QWidget, "bias") is None  # a neuron's only
    assert inspector.findChild(QWidget, "units") is None  # a block's only
    combo = field(inspector, "activation", QComboBox)
    assert combo.currentData() == "relu"  # the neuron's and a new Dense block's
    choose(combo, "elu")
    assert params(document, "activation", ["n3", dense]) == ["elu", "elu"]
    assert document.undo_stack.undoText() == "Change activation of 2 nodes"


def test_nodes_with_nothing_in_common_say_so(inspector, document):
    inspector.show_selection(["i1", "n3"], [])
    page = inspector.page
    assert page.findChild(QWidget, "nodes").title() == "2 nodes selected"
    texts = " ".join(label.text() for label in page.findChildren(QLabel))
    assert "1 input, 1 neuron" in texts and "no setting in common" in texts
    assert inspector.findChild(QWidget, "feature") is None  # each input's own, never set on two


def test_a_shared_activation_setting_goes_to_each_and_a_chosen_activation_keeps_theirs(
        qtbot, inspector, document):
    document.set_node_params("n3", activation="leaky_relu", activation_params={"slope": 0.2})
    document.set_node_params("n4", activation="leaky_relu", activation_params={})
    inspector.show_selection(["n3", "n4", "n5"], [])
    combo = field(inspector, "activation", QComboBox)
    assert combo.currentIndex() == -1
    assert inspector.findChild(QWidget, "activation_params.slope") is None  # no common activation
    pushed = document.undo_stack.count()
    choose(combo, "leaky_relu")  # only n5 changes: n3 keeps its slope of 0.2
    assert params(document, "activation", ["n3", "n4", "n5"]) == ["leaky_relu"] * 3
    assert params(document, "activation_params", ["n3", "n4", "n5"]) == [{"slope": 0.2}, {}, {}]
    slope = field(inspector, "activation_params.slope")
    assert slope.text() == "mixed"  # 0.2 against the default 0.01
    type_into(qtbot, slope.lineEdit(), "0.3")
    assert [p["slope"] for p in params(document, "activation_params", ["n3", "n4", "n5"])] == \
        [pytest.approx(0.3)] * 3
    assert document.undo_stack.count() == pushed + 2
    document.undo_stack.undo()
    assert params(document, "activation_params", ["n3", "n4", "n5"]) == [{"slope": 0.2}, {}, {}]
    document.undo_stack.undo()
    assert params(document, "activation", ["n3", "n4", "n5"]) == ["leaky_relu", "leaky_relu", "relu"]


def test_setting_what_they_already_have_pushes_nothing_and_the_outputs_stay(qtbot, inspector, document):
    document.set_node_params("n3", bias=0.5)
    document.set_node_params("n4", bias=0.5)
    outputs = core.predict(document.design, GRID)
    pushed = document.undo_stack.count()
    inspector.show_selection(["n3", "n4"], [])
    bias = field(inspector, "bias", QLineEdit)
    assert bias.text() == "0.5"
    type_into(qtbot, bias, "5e-1")  # the same number, written otherwise
    choose(field(inspector, "activation", QComboBox), "relu")  # what both have
    assert document.set_params_of_nodes({n: {"activation": "relu"} for n in HIDDEN}) == 0
    assert document.undo_stack.count() == pushed
    np.testing.assert_array_equal(core.predict(document.design, GRID), outputs)


def test_undo_of_a_change_to_several_gives_back_the_same_outputs(inspector, document):
    outputs = core.predict(document.design, GRID)
    inspector.show_selection(HIDDEN, [])
    choose(field(inspector, "activation", QComboBox), "sigmoid")
    assert not np.allclose(core.predict(document.design, GRID), outputs)
    document.undo_stack.undo()
    np.testing.assert_array_equal(core.predict(document.design, GRID), outputs)
