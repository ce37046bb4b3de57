"""The open design's events, relayed by Document: a view connects once and follows whichever
design is open (New, Open); a view that is gone is neither kept alive nor called."""

from __future__ import annotations

import weakref

import shiboken6
from PySide6.QtWidgets import QApplication, QWidget

from gui.document.document import Document
from resources import EXAMPLES


class View(QWidget):
    """A view as the panels are: it connects to the document once, in its constructor."""

    def __init__(self, document: Document, heard: list) -> None:
        super().__init__()
        self.heard = heard
        document.node_added.connect(self.node_added)
        document.connection_changed.connect(self.connection_changed)
        document.settings_changed.connect(self.settings_changed)
        document.weights_changed.connect(self.weights_changed)
        document.design_changed.connect(self.design_changed)

    def node_added(self, node) -> None:
        self.heard.append(("node_added", node.id))

    def connection_changed(self, _old, new) -> None:
        self.heard.append(("connection_changed", new.id))

    def settings_changed(self, what: str) -> None:
        self.heard.append(("settings_changed", what))

    def weights_changed(self) -> None:
        self.heard.append(("weights_changed",))

    def design_changed(self) -> None:
        self.heard.append(("design_changed",))


def _app() -> QApplication:
    return QApplication.instance() or QApplication([])


def test_a_view_connected_once_hears_every_design_that_is_opened(tmp_path):
    _app()
    document, heard = Document(), []
    _view = View(document, heard)  # lives to the test's end
    first = document.add_node("input", (0, 0))
    assert heard == [("node_added", first), ("design_changed",)]

    document.new()  # another design: the same signals
    heard.clear()
    again = document.add_node("input", (0, 0))
    assert heard == [("node_added", again), ("design_changed",)]

    document.open(str(EXAMPLES / "xor.ncanvas"))
    heard.clear()
    wire = next(iter(document.design.connections))
    document.set_weight(wire, 0.5)
    document.set_training(learning_rate=0.5)
    document.undo_stack.undo()  # undo is the design's events too
    assert heard == [("connection_changed", wire), ("design_changed",),
                     ("settings_changed", "training"), ("design_changed",),
                     ("settings_changed", "training"), ("design_changed",)]


def test_the_design_left_behind_is_no_longer_heard():
    _app()
    document, heard = Document(), []
    View(document, heard)
    old = document.design
    document.new()
    heard.clear()
    old.add_node("input")  # an edit of the design that is no longer open
    assert heard == []
    assert not any(len(e) for e in (old.events.node_added, old.events.weights_changed,
                                    old.events.settings_changed))  # nothing holds on to it


def test_a_view_that_is_gone_is_not_kept_alive_nor_called():
    _app()
    document, heard = Document(), []
    view = View(document, heard)
    gone = weakref.ref(view)
    view.close()
    shiboken6.delete(view)  # as Qt deletes a closed dock's widget
    del view  # (no gc.collect(): the suite's other Qt wrappers are not this test's to collect)
    assert gone() is None
    document.add_node("input", (0, 0))
    document.set_training(learning_rate=0.5)
    assert heard == []

    forgotten = View(document, heard)  # dropped by Python without Qt deleting it first
    gone = weakref.ref(forgotten)
    del forgotten
    assert gone() is None
    document.add_node("input", (0, 0))
    assert heard == []

