"""What a person's hands do in the GUI tests, sent as Qt events: a point on the canvas, a drag, a
drop from elsewhere, typing into a field."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit

from gui.canvas import CanvasView

LEFT, MIDDLE = Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton
NO_MOD = Qt.KeyboardModifier.NoModifier


def at(view: CanvasView, scene_point: QPointF) -> QPoint:
    return view.mapFromScene(scene_point)


def drag(view: CanvasView, start: QPoint, end: QPoint, steps: int = 6, button=LEFT, modifier=NO_MOD):
    """Press, move in steps and release, as a hand would."""
    viewport = view.viewport()
    QTest.mousePress(viewport, button, modifier, start)
    for k in range(1, steps + 1):
        QTest.mouseMove(viewport, start + (end - start) * k / steps)
    QTest.mouseRelease(viewport, button, modifier, end)


def drop(view: CanvasView, mime: QMimeData, view_pos: QPoint) -> tuple[bool, bool]:
    """Drag a payload over the viewport and drop it; returns (entry accepted, drop accepted)."""
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(view_pos, actions, mime, LEFT, NO_MOD)
    QApplication.sendEvent(view.viewport(), enter)
    event = QDropEvent(QPointF(view_pos), actions, mime, LEFT, NO_MOD)
    QApplication.sendEvent(view.viewport(), event)
    return enter.isAccepted(), event.isAccepted()


def type_into(qtbot, edit: QLineEdit, text: str) -> None:
    """Select what is there, type over it and press Return, as a person would."""
    edit.setFocus()
    edit.selectAll()
    QTest.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key.Key_Return)
