"""Every numeric field refuses a value it cannot take the same way: the design keeps its last good
value, a red note beside the field (and its tooltip) says what was refused and why, and the note
goes as soon as a good value is typed; no banner, no silent clamp, no swallowed keystroke."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QLineEdit, QSpinBox, QWidget

from gui.document.document import Document
from gui.inspector.dock import Inspector
from resources import EXAMPLES
from tests.gui.gestures import type_into

XOR = Path(__file__).resolve().parents[2] / "resources" / "examples" / "xor.ncanvas"


def note_of(field: QWidget) -> str:
    """The refusal note shown beside `field` ("" when none is shown)."""
    note = field.window().findChild(QLabel, f"{field.objectName()}.refused")
    return note.text() if note is not None and note.isVisible() else ""


def type_only(qtbot, edit: QLineEdit, text: str) -> None:
    """Type over what is there, without pressing Return."""
    edit.setFocus()
    edit.selectAll()
    QTest.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)


@pytest.fixture
def xor_window(window):
    window.open_path(str(EXAMPLES / "xor.ncanvas"))
    yield window
    window.live.shutdown()


@pytest.fixture
def inspector(qtbot):
    document = Document()
    document.open(str(XOR))
    widget = Inspector(document)
    qtbot.addWidget(widget)
    widget.resize(320, 700)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    return widget


def test_a_refused_learning_rate_is_said_beside_the_box_and_cleared_by_a_good_one(xor_window, qtbot):
    window = xor_window
    rate = window.live.bar.rate
    type_into(qtbot, rate.lineEdit(), "fast")
    assert window.document.design.training.learning_rate == 0.1
    assert rate.currentText() == "0.1"  # the design's value again
    assert "'fast' is not a number" in note_of(rate) and "kept 0.1" in note_of(rate)
    assert "'fast' is not a number" in rate.toolTip()
    type_into(qtbot, rate.lineEdit(), "0")
    assert "must be more than 0" in note_of(rate)
    type_only(qtbot, rate.lineEdit(), "0.03")  # good: the note goes at once, before Return
    assert note_of(rate) == ""
    QTest.keyClick(rate.lineEdit(), Qt.Key.Key_Return)
    assert window.document.design.training.learning_rate == 0.03
    assert not window.live.banner.isVisible()  # no banner about it left behind
    assert "not a number" not in rate.toolTip()


def test_the_toolbar_batch_refuses_zero_and_too_many_instead_of_ignoring_or_clamping(xor_window, qtbot):
    window = xor_window
    batch = window.live.bar.batch
    before = window.document.design.training.batch_size
    type_into(qtbot, batch.lineEdit(), "0")
    assert window.document.design.training.batch_size == before
    assert "at least 1" in note_of(batch)
    type_into(qtbot, batch.lineEdit(), "9999999")
    assert window.document.design.training.batch_size == before  # neither taken nor clamped
    assert "9999999 is too large" in note_of(batch) and "at most 1,000,000" in note_of(batch)
    type_only(qtbot, batch.lineEdit(), "16")
    assert note_of(batch) == ""
    QTest.keyClick(batch.lineEdit(), Qt.Key.Key_Return)
    assert window.document.design.training.batch_size == 16


def test_the_inspector_bias_says_why_abc_and_1e400_are_refused(qtbot, inspector):
    document = inspector.document
    inspector.show_selection(["n3"], [])
    bias = inspector.findChild(QLineEdit, "bias")
    type_into(qtbot, bias, "abc")  # every keystroke reaches the field; none is swallowed
    assert "'abc' is not a number" in note_of(bias)
    assert document.design.nodes["n3"].params["bias"] is None and document.undo_stack.count() == 0
    type_into(qtbot, bias, "1e400")
    assert "1e400 is too large" in note_of(bias) and "1e400" in bias.toolTip()
    assert document.design.nodes["n3"].params["bias"] is None
    type_only(qtbot, bias, "0.25")
    assert note_of(bias) == ""
    QTest.keyClick(bias, Qt.Key.Key_Return)
    assert document.design.nodes["n3"].params["bias"] == 0.25
    type_into(qtbot, bias, "-")
    assert "kept 0.25" in note_of(bias) and bias.text() == "0.25"
    document.undo_stack.undo()  # the design moves on: nothing refused is left to say
    assert note_of(bias) == "" and bias.text() == ""


def test_the_inspector_batch_size_refuses_zero_with_its_reason(qtbot, inspector):
    document = inspector.document
    inspector.show_selection([], [])
    batch = inspector.findChild(QSpinBox, "training.batch_size")
    before = document.design.training.batch_size
    type_into(qtbot, batch.lineEdit(), "0")
    assert "at least 1" in note_of(batch) and document.design.training.batch_size == before
    type_into(qtbot, batch.lineEdit(), "2.5")
    assert "not a whole number" in note_of(batch)
    type_into(qtbot, batch.lineEdit(), "8")
    assert note_of(batch) == "" and document.design.training.batch_size == 8


def test_a_refused_value_is_said_when_the_field_is_left_too(qtbot, inspector):
    inspector.show_selection([], [])
    l2 = inspector.findChild(QLineEdit, "training.l2")
    epochs = inspector.findChild(QSpinBox, "training.epochs")
    type_only(qtbot, l2, "-1")
    epochs.setFocus()  # leaving the field, without Return
    qtbot.waitUntil(lambda: note_of(l2) != "")
    assert "must be at least 0" in note_of(l2) and l2.text() == "0"


def test_a_refusal_under_an_optimizer_setting_goes_with_its_row(qtbot, inspector):
    document = inspector.document
    inspector.show_selection([], [])
    optimizer = inspector.findChild(QWidget, "training.optimizer")
    optimizer.setCurrentIndex(optimizer.findData("momentum"))
    momentum = inspector.findChild(QLineEdit, "training.optimizer_params.momentum")
    type_into(qtbot, momentum, "-1")
    assert "at least 0" in note_of(momentum)
    optimizer.setCurrentIndex(optimizer.findData("adam"))
    assert document.design.training.optimizer == "adam"
    shown = [n.text() for n in inspector.findChildren(QLabel) if n.objectName().endswith(".refused")
             and n.isVisible()]
    assert shown == []


def test_a_weight_cell_that_is_not_a_number_is_said_under_the_table(qtbot, inspector):
    from PySide6.QtWidgets import QApplication, QTableWidget

    document = inspector.document
    inspector.show_selection(["n7"], [])
    table = inspector.findChild(QTableWidget, "incoming")

    def type_cell(text: str) -> None:
        table.setFocus()
        table.setCurrentCell(1, 1)
        table.editItem(table.item(1, 1))
        editor = QApplication.focusWidget()
        assert isinstance(editor, QLineEdit)
        editor.selectAll()
        qtbot.keyClicks(editor, text)
        QTest.keyClick(editor, Qt.Key.Key_Return)

    type_cell("abc")
    qtbot.waitUntil(lambda: note_of(table) != "")
    assert "The weight from n4: 'abc' is not a number" in note_of(table)
    assert document.design.connections["c17"].weight is None and document.undo_stack.count() == 0
    type_cell("0.5")
    qtbot.waitUntil(lambda: document.design.connections["c17"].weight == 0.5)
    assert note_of(table) == ""


def test_a_spin_box_says_it_takes_fewer_decimals_instead_of_rounding_or_ignoring(qtbot, inspector):
    document = inspector.document
    inspector.show_selection([], [])
    fraction = inspector.findChild(QWidget, "training.test_fraction")
    before = document.design.training.test_fraction
    type_into(qtbot, fraction.lineEdit(), "0.125")
    assert "more than 2 decimals" in note_of(fraction)
    assert document.design.training.test_fraction == before
    type_into(qtbot, fraction.lineEdit(), "0.25")
    assert note_of(fraction) == "" and document.design.training.test_fraction == 0.25
