"""The inspector: a person edits the selection's properties; each edit is one undo command."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTableWidget,
    QWidget,
)

from gui.inspector.dock import Inspector
from gui.inspector.multi import NodesPage
from gui.inspector.pages import ConnectionPage, NodePage, SummaryPage
from gui.inspector.settings_form import SettingsPage
from gui.widgets.fields import activation_icon
from tests.gui.gestures import type_into


def problems_shown(inspector: Inspector) -> str:
    """The text of the note at the inspector's top ("" when hidden)."""
    return "" if inspector.note.isHidden() else inspector.note.text()


def field(inspector: Inspector, name: str, kind: type = QWidget):
    found = inspector.findChild(kind, name)
    assert found is not None, f"no field {name!r} on the page"
    return found




def test_a_neuron_shows_its_activation(inspector, document):
    inspector.show_selection(["n7"], [])
    assert isinstance(inspector.page, NodePage)
    combo = field(inspector, "activation", QComboBox)
    assert combo.currentData() == "sigmoid"
    assert combo.currentText() == "Logistic (sigmoid)"
    assert not combo.itemIcon(combo.currentIndex()).isNull()


def test_choosing_an_activation_is_one_undo_step_and_undo_moves_the_combo_back(inspector, document):
    inspector.show_selection(["n7"], [])
    combo = field(inspector, "activation", QComboBox)
    combo.setCurrentIndex(combo.findData("relu"))
    assert document.design.nodes["n7"].params["activation"] == "relu"
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert document.design.nodes["n7"].params["activation"] == "sigmoid"
    assert combo.currentData() == "sigmoid"
    assert document.undo_stack.count() == 1  # the refresh after undo pushed nothing
    document.undo_stack.redo()
    assert combo.currentData() == "relu"
    assert document.undo_stack.count() == 1


def test_an_activation_with_settings_shows_them_and_a_change_resets_them(qtbot, inspector, document):
    inspector.show_selection(["n7"], [])
    combo = field(inspector, "activation", QComboBox)
    combo.setCurrentIndex(combo.findData("leaky_relu"))
    slope = field(inspector, "activation_params.slope")
    assert slope.value() == pytest.approx(0.01)
    type_into(qtbot, slope.lineEdit(), "0.2")
    assert document.design.nodes["n7"].params["activation_params"] == {"slope": pytest.approx(0.2)}
    combo.setCurrentIndex(combo.findData("tanh"))
    assert document.design.nodes["n7"].params["activation_params"] == {}
    assert inspector.findChild(QWidget, "activation_params.slope") is None
    assert document.undo_stack.count() == 3


def test_typing_a_bias_and_return_sets_it_and_emptying_unsets_it(qtbot, inspector, document):
    inspector.show_selection(["n3"], [])
    bias = field(inspector, "bias", QLineEdit)
    type_into(qtbot, bias, "0.5")
    assert document.design.nodes["n3"].params["bias"] == 0.5
    type_into(qtbot, bias, "")
    assert document.design.nodes["n3"].params["bias"] is None
    assert document.undo_stack.count() == 2


def test_a_bias_that_is_not_a_number_is_not_sent(qtbot, inspector, document):
    inspector.show_selection(["n3"], [])
    bias = field(inspector, "bias", QLineEdit)
    type_into(qtbot, bias, "abc")
    assert document.design.nodes["n3"].params["bias"] is None
    assert document.undo_stack.count() == 0


def test_renaming_a_neuron(qtbot, inspector, document):
    inspector.show_selection(["n7"], [])
    type_into(qtbot, field(inspector, "name", QLineEdit), "output")
    assert document.design.nodes["n7"].label == "output"
    assert document.undo_stack.undoText() == "Rename"


def test_editing_a_weight_cell_sets_the_connection_weight(qtbot, inspector, document):
    inspector.show_selection(["n7"], [])
    table = field(inspector, "incoming", QTableWidget)
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == ["n3", "n4", "n5", "n6"]
    table.setFocus()
    table.setCurrentCell(1, 1)
    table.editItem(table.item(1, 1))
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    qtbot.keyClicks(editor, "-1.5")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: document.design.connections["c17"].weight == -1.5)  # the view commits later
    assert table.item(1, 1).text() == "-1.5"
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert document.design.connections["c17"].weight is None
    assert table.item(1, 1).text() == ""


def test_a_weight_typed_on_the_connection_page(qtbot, inspector, document):
    inspector.show_selection([], ["c8"])
    assert isinstance(inspector.page, ConnectionPage)
    type_into(qtbot, field(inspector, "weight", QLineEdit), "2e-1")
    assert document.design.connections["c8"].weight == pytest.approx(0.2)


def test_a_dense_units_spin_box_sets_units(qtbot, inspector, document):
    node_id = document.add_node("dense", (400.0, 0.0))
    inspector.show_selection([node_id], [])
    assert inspector.findChild(QTableWidget, "incoming") is None  # layers have no weight table
    units = field(inspector, "units", QSpinBox)
    assert units.value() == 8
    type_into(qtbot, units.lineEdit(), "16")
    assert document.design.nodes[node_id].params["units"] == 16
    assert document.undo_stack.count() == 2  # the add, then one change of units
    document.undo_stack.undo()
    assert units.value() == 8


def test_an_input_node_offers_the_features(inspector, document):
    inspector.show_selection(["i1"], [])
    combo = field(inspector, "feature", QComboBox)
    assert combo.isEditable()
    combo.setCurrentIndex(combo.findData("x1^2"))
    assert document.design.nodes["i1"].params["feature"] == "x1^2"
    assert combo.findData("weather") < 0
    document.set_dataset("cricket", {})
    assert combo.findData("weather") >= 0  # the data set's own columns follow it
    assert combo.currentData() == "x1^2"


def test_learning_rate_and_data_set_go_through_the_undo_stack(qtbot, inspector, document):
    inspector.show_selection([], [])
    assert isinstance(inspector.page, SettingsPage)
    rate = field(inspector, "training.learning_rate", QLineEdit)
    assert rate.text() == "0.1"
    type_into(qtbot, rate, "1e-3")
    assert document.design.training.learning_rate == pytest.approx(0.001)
    assert document.undo_stack.count() == 1

    data = field(inspector, "dataset", QComboBox)
    data.setCurrentIndex(data.findData("spiral"))
    assert document.design.dataset.name == "spiral"
    assert dict(document.design.dataset.params) == {"n": 400, "noise": 0.0}  # shared ones kept
    assert field(inspector, "dataset.classes", QSpinBox).value() == 2
    assert document.undo_stack.count() == 2

    document.undo_stack.undo()
    assert document.design.dataset.name == "xor"
    assert data.currentData() == "xor"
    assert inspector.findChild(QWidget, "dataset.classes") is None
    document.undo_stack.undo()
    assert document.design.training.learning_rate == 0.1
    assert rate.text() == "0.1"
    assert document.undo_stack.count() == 2 and document.undo_stack.index() == 0


def test_training_settings_spin_boxes_and_optimizer_settings(qtbot, inspector, document):
    inspector.show_selection([], [])
    type_into(qtbot, field(inspector, "training.batch_size", QSpinBox).lineEdit(), "32")
    assert document.design.training.batch_size == 32
    optimizer = field(inspector, "training.optimizer", QComboBox)
    optimizer.setCurrentIndex(optimizer.findData("momentum"))
    assert document.design.training.optimizer == "momentum"
    type_into(qtbot, field(inspector, "training.optimizer_params.momentum", QLineEdit), "0.5")
    assert document.design.training.optimizer_params == {"momentum": 0.5}
    seed = field(inspector, "dataset.seed", QSpinBox)
    type_into(qtbot, seed.lineEdit(), "7")
    assert document.design.dataset.seed == 7
    assert document.undo_stack.count() == 4


def test_several_selected_shows_a_summary(inspector):
    inspector.show_selection([], ["c8", "c9"])
    assert isinstance(inspector.page, SummaryPage)
    assert inspector.page.label.text() == "2 connections selected"
    inspector.show_selection(["n3", "n4", "n5"], ["c8", "c9"])  # nodes: what they share, to edit
    assert isinstance(inspector.page, NodesPage)
    assert inspector.page.findChild(QWidget, "nodes").title() == "3 neurons selected"
    assert inspector.page.detail.text().startswith("and 2 connections")


def test_problems_of_the_selection_show_as_a_note(inspector, document):
    node_id = document.add_node("dense", (400.0, 0.0))
    inspector.show_selection([node_id], [])
    document.validate_now()
    assert "no incoming connection" in problems_shown(inspector)
    inspector.show_selection(["n3"], [])
    assert problems_shown(inspector) == ""


def test_removing_the_shown_node_falls_back_to_the_settings(inspector, document):
    inspector.show_selection(["n7"], [])
    document.remove(["n7"])
    assert isinstance(inspector.page, SettingsPage)
    document.undo_stack.undo()
    inspector.show_selection(["n7"], [])
    assert isinstance(inspector.page, NodePage)


def test_opening_another_design_rebinds(inspector, document):
    inspector.show_selection(["n7"], [])
    document.new()
    assert isinstance(inspector.page, SettingsPage)
    document.design.set_training(epochs=5)  # the new design's events reach the inspector
    assert field(inspector, "training.epochs", QSpinBox).value() == 5


def test_every_activation_has_an_icon(qapp):
    from core.design import registry

    for name in registry.activations:
        assert not activation_icon(name).isNull(), name


def test_choosing_softmax_for_a_neuron_says_what_it_normalises(inspector, document):
    inspector.show_selection(["n3"], [])
    rule = field(inspector, "rule", QLabel)
    assert not rule.isVisible()
    combo = field(inspector, "activation", QComboBox)
    combo.setCurrentIndex(combo.findData("softmax"))
    assert rule.isVisible()
    assert "all the output neurons together" in rule.text() and "Dense block" in rule.text()
    combo.setCurrentIndex(combo.findData("tanh"))
    assert not rule.isVisible()


def test_a_block_with_several_inputs_shows_the_order_it_takes_them_in(inspector, document):
    design = document.design
    block = document.add_node("dense", (500, 0), {"units": 2})
    for source in ("n5", "i2", "n3"):
        document.connect(source, block)
    inspector.show_selection([block], [])
    rule = field(inspector, "rule", QLabel)
    assert rule.isVisible()
    assert rule.text().endswith("in the order their wires were connected: n5, x2, n3.")
    document.remove([], [design.connection_between("i2", block).id])
    assert rule.text().endswith(": n5, n3.")
    document.undo_stack.undo()  # the wire comes back where it was
    assert rule.text().endswith(": n5, x2, n3.")
