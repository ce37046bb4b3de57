"""The start page an empty window offers: the examples with their drawings, the steps to build one
yourself with the actions' real shortcuts; gone with the first node, back after File → New."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QDragEnterEvent, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from core.files.fileformat import load_design
from gui.canvas.palette import entry_mime, palette_entries
from gui.window import file_actions
from gui.window.main_window import EMPTY_TEXT
from resources import EXAMPLES
from tests.gui.gestures import drop

CTRL = Qt.KeyboardModifier.ControlModifier


def native(action) -> str:
    return action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)


def ctrl_i(window, qtbot) -> None:
    """Ctrl+I on the canvas: the data set's inputs."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_I, CTRL)


def test_an_empty_window_offers_every_example_and_the_steps_not_an_error(window, qtbot):
    page = window.start_page
    assert page.isVisible()
    assert page.geometry() == window.view.viewport().geometry()  # over the whole canvas
    stems = sorted(p.stem for p in EXAMPLES.glob("*.ncanvas"))
    assert sorted(page.buttons) == stems and len(stems) >= 10
    for button in page.buttons.values():
        assert button.isVisible() and not button.icon().isNull() and button.toolTip()
        assert button.width() >= button.sizeHint().width()  # its name shown whole
        assert button.height() >= button.sizeHint().height()
    # the empty design is a start: no error count, the Problems panel says what to do
    assert window.problem_count.isHidden()
    assert [window.problems.item(i).text() for i in range(window.problems.count())] == [EMPTY_TEXT]
    assert not window.live.state_label.isVisible()  # and nothing claims it could train
    assert window.inspector.note.isHidden()  # no red "no input / no output" in the inspector
    QTest.keyClick(window.view, Qt.Key.Key_I, CTRL)  # once there is a node, what is missing is said
    window.scene.select_ids([])  # (the design's settings page: its problems)
    qtbot.waitUntil(lambda: window.inspector.note.isVisibleTo(window))
    assert "output" in window.inspector.note.text()


def test_the_steps_spell_the_keys_the_actions_have(window, qtbot):
    steps = window.start_page.step_list.text()
    for action in (window.act_add_inputs, window.act_add_layer, window.live.bar.act_play):
        assert native(action) and native(action) in steps
    assert "Ctrl+I" in steps and "Ctrl+L" in steps  # the XOR recipe's keys
    window.act_add_layer.setShortcut(QKeySequence("Ctrl+Shift+Y"))
    ctrl_i(window, qtbot)
    window.act_undo.trigger()  # empty again: the page comes back with the new key
    assert window.start_page.isVisible()
    assert "Ctrl+Shift+Y" in window.start_page.step_list.text()
    qtbot.wait(50)  # laid out again for the longer text: nothing squashed
    card = window.start_page.card
    assert card.height() >= card.sizeHint().height() and card.width() >= card.sizeHint().width()


def test_the_first_node_puts_it_away_undo_and_file_new_bring_it_back(window, qtbot, monkeypatch):
    page = window.start_page
    ctrl_i(window, qtbot)
    assert window.document.design.nodes and not page.isVisible()
    window.document.validate_now()  # with a node, what is missing is a problem again
    shown = [window.problems.item(i).text() for i in range(window.problems.count())]
    assert window.problem_count.isVisible() and any("no output" in text for text in shown)
    window.act_undo.trigger()
    assert not window.document.design.nodes and page.isVisible()
    window.act_redo.trigger()
    assert not page.isVisible()
    monkeypatch.setattr(file_actions, "ask_to_save",
                        lambda parent, name: QMessageBox.StandardButton.Discard)
    window.act_new.trigger()
    assert not window.document.design.nodes and page.isVisible()


def test_clicking_an_example_opens_it_as_file_open_example_does(window, qtbot):
    page = window.start_page
    qtbot.mouseClick(page.buttons["xor"], Qt.MouseButton.LeftButton)
    assert window.document.design == load_design(str(EXAMPLES / "xor.ncanvas"))
    assert window.document.path is None and not window.document.dirty  # Save asks for a name
    assert not page.isVisible() and len(window.scene.node_items()) == 7


def test_a_palette_drag_over_the_page_puts_it_away_and_drops_on_the_canvas(window):
    page = window.start_page
    entry = next(e for e in palette_entries(window.document.design) if e.text == "x1")
    mime = entry_mime(entry)
    centre = page.viewport().rect().center()
    enter = QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(page.viewport(), enter)
    assert not page.isVisible()
    assert drop(window.view, mime, QPoint(centre)) == (True, True)  # the canvas below takes it
    assert [n.params["feature"] for n in window.document.design.nodes.values()] == ["x1"]
