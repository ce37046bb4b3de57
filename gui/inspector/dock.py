"""Property editors for the canvas selection; every edit goes through the Document's undo commands."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from core.design.errors import Problem
from gui.document.document import Document
from gui.inspector.multi import NodesPage
from gui.inspector.pages import ConnectionPage, NodePage, Page, SummaryPage
from gui.inspector.settings_form import SettingsPage

MAX_NOTES = 4
TITLE_STYLE = "QGroupBox { font-weight: bold; } QGroupBox * { font-weight: normal; }"
ERROR_STYLE = ("QLabel { background: #fdecea; color: #a12622; border: 1px solid #f5c2c0;"
               " border-radius: 4px; padding: 6px; }")
WARNING_STYLE = ("QLabel { background: #fff6e0; color: #7a5200; border: 1px solid #f2dca6;"
                 " border-radius: 4px; padding: 6px; }")


class Inspector(QWidget):
    """Shows and edits what is selected: one node, several nodes, one connection, several wires, or
    the settings.

    The widgets only show the design: every edit calls a Document method (one undo command), and
    the design's events (edits, undo, redo) refresh the shown values without sending anything back.
    """

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.node_ids: list[str] = []
        self.connection_ids: list[str] = []
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.hide()
        self.setStyleSheet(TITLE_STYLE)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.note)
        layout.addWidget(self.scroll, 1)
        self.page: Page | None = None
        document.design_replaced.connect(self._design_replaced)
        document.validated.connect(self._show_problems)
        document.design_changed.connect(self._design_changed)
        document.live_weights_changed.connect(self._design_changed)
        self.show_selection([], [])

    # ------------------------------------------------------------------ selection
    def show_selection(self, node_ids: list[str], connection_ids: list[str]) -> None:
        """Show the editors for this selection (the window calls it when the canvas selection changes)."""
        design = self.document.design
        nodes = [n for n in node_ids if n in design.nodes]
        connections = [c for c in connection_ids if c in design.connections]
        same = (nodes, connections) == (self.node_ids, self.connection_ids)
        if same and self.page is not None and self.page.refresh():
            return  # the canvas repeats its selection often: keep the page and its focus
        self.node_ids, self.connection_ids = nodes, connections
        old = self.scroll.takeWidget()  # first, so that a field losing focus commits to its own item
        if old is not None:
            old.deleteLater()
        self.page = self._make_page()
        self.scroll.setWidget(self.page)
        self.page.refresh()
        self._show_problems(self.document.problems)

    def _make_page(self) -> Page:
        nodes, connections = self.node_ids, self.connection_ids
        if not nodes and not connections:
            return SettingsPage(self.document)
        if len(nodes) == 1 and not connections:
            return NodePage(self.document, nodes[0])
        if len(connections) == 1 and not nodes:
            return ConnectionPage(self.document, connections[0])
        if nodes:  # several nodes, or nodes with wires: what the nodes share, set on all at once
            return NodesPage(self.document, nodes, connections)
        return SummaryPage(self.document, nodes, connections)

    # ------------------------------------------------------------------ following the design
    def _design_replaced(self) -> None:
        self.show_selection([], [])

    def _design_changed(self, *_args: Any) -> None:
        if self.page is not None and not self.page.refresh():
            self.show_selection(self.node_ids, self.connection_ids)  # its subject was removed

    # ------------------------------------------------------------------ validation
    def _show_problems(self, problems: list[Problem]) -> None:
        # an empty design is a start, not an error: the start page on the canvas says what to do
        mine = [p for p in problems if self.page is not None and self.page.concerns(p)]
        if not mine or not self.document.design.nodes:
            self.note.hide()
            return
        mine.sort(key=lambda p: p.severity != "error")
        lines = [f"• {p.message}" for p in mine[:MAX_NOTES]]
        if len(mine) > MAX_NOTES:
            lines.append(f"… and {len(mine) - MAX_NOTES} more")
        self.note.setText("\n".join(lines))
        self.note.setStyleSheet(ERROR_STYLE if mine[0].severity == "error" else WARNING_STYLE)
        self.note.show()
