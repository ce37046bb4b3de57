"""One recovery file per running instance: two windows never overwrite each other's unsaved
work, and a launch offers only the work of instances that are no longer running, newest first."""

from __future__ import annotations

import os

import pytest
from PySide6.QtWidgets import QMessageBox

from gui.app import make_app
from gui.document import recovery
from gui.document.document import Document
from gui.window.main_window import MainWindow
from resources import EXAMPLES
from tests.gui.instances import crashed_instance, running_instance


def answering(monkeypatch, *answers: QMessageBox.StandardButton) -> list[str]:
    """Answer each recovery question in turn; the list records each question's text."""
    asked: list[str] = []
    queue = list(answers)

    def question(parent, title, text, *args):
        asked.append(text)
        return queue.pop(0)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


@pytest.fixture
def launched(qtbot):
    """A window as a launch makes it, before it offers anything."""
    make_app([])
    window = MainWindow(restore_settings=False)
    qtbot.addWidget(window, before_close_func=lambda w: w.document.undo_stack.setClean())
    return window


def test_two_documents_keep_their_unsaved_work_in_two_files(qtbot):
    first, second = Document(), Document()
    first.add_node("neuron", (0, 0), label="first")
    second.add_node("neuron", (0, 0), label="second")
    assert first.autosave() and second.autosave()
    assert first.recovery_path() != second.recovery_path()
    assert first.recovery_path().parent == second.recovery_path().parent
    for document, label in ((first, "first"), (second, "second")):
        design, _source = recovery.read(document.recovery_path())
        assert [node.label for node in design.nodes.values()] == [label]
    assert Document.left_recoveries() == []  # both still run: nothing to offer
    first.discard_recovery()  # saved or closed: its file, note and lock go; the other's stays
    kept = Document.recovery_folder().glob("recovery*")
    assert sorted(p.name for p in kept) == sorted(
        p.name for p in (second.recovery_path(), recovery.note_path(second.recovery_path()),
                         recovery.lock_path(second.recovery_path())))
    for document in (first, second):
        document.undo_stack.setClean()


def test_a_running_instance_keeps_its_file_and_an_ended_one_is_offered(launched, monkeypatch):
    folder = Document.recovery_folder()
    other = running_instance(folder, EXAMPLES / "xor.ncanvas", label="theirs")
    asked = answering(monkeypatch)  # any question would fail: none is expected
    try:
        launched.offer_recovery()
        assert asked == [] and other.recovery.exists()  # its work is still its own
    finally:
        other.end()  # it ends without having been saved, as a crash would leave it
    asked = answering(monkeypatch, QMessageBox.StandardButton.Yes)
    launched.offer_recovery()
    assert len(asked) == 1 and "xor.ncanvas" in asked[0]
    assert "theirs" in [node.label for node in launched.document.design.nodes.values()]
    assert not other.recovery.exists()
    # what was taken is this window's unsaved work now, kept in its own file at once
    assert recovery.read(launched.document.recovery_path())[0] == launched.document.design


def test_crashed_instances_are_offered_newest_first_and_each_answer_removes_its_file(
        launched, monkeypatch):
    folder = Document.recovery_folder()
    older = crashed_instance(folder, EXAMPLES / "xor.ncanvas", label="older")
    newer = crashed_instance(folder, EXAMPLES / "spiral.ncanvas", label="newer")
    os.utime(older, (1_000_000_000, 1_000_000_000))  # kept long before the other
    asked = answering(monkeypatch, QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
    launched.offer_recovery()
    assert len(asked) == 2
    assert "spiral.ncanvas" in asked[0] and "xor.ncanvas" in asked[1]
    assert not newer.exists() and not recovery.note_path(newer).exists()  # declined
    assert not older.exists()  # taken
    assert "older" in [node.label for node in launched.document.design.nodes.values()]
    asked = answering(monkeypatch)
    launched.offer_recovery()  # the next launch: nothing more
    assert asked == []


def test_once_one_is_taken_the_others_wait_for_the_next_launch(launched, monkeypatch):
    folder = Document.recovery_folder()
    first = crashed_instance(folder, label="first")
    second = crashed_instance(folder, label="second")
    asked = answering(monkeypatch, QMessageBox.StandardButton.Yes)
    launched.offer_recovery()
    assert len(asked) == 1
    taken, waiting = (first, second) if not first.exists() else (second, first)
    assert not taken.exists() and waiting.exists()
    assert launched.statusBar().currentMessage().startswith("1 more unsaved design will be offered")
    assert [left.path for left in Document.left_recoveries()] == [waiting]  # no longer claimed


def test_work_being_offered_by_one_launch_is_not_offered_by_another(qtbot):
    folder = Document.recovery_folder()
    left = crashed_instance(folder)
    offering = Document.left_recoveries()
    assert [found.path for found in offering] == [left]
    assert Document.left_recoveries() == []  # claimed while the first launch asks
    offering[0].release()  # the first launch ended without an answer: it is offered again
    assert [found.path for found in Document.left_recoveries()] == [left]
