"""A node item's ports (where wires start and end) and its problem badge."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from gui.canvas import style
from gui.canvas.style import theme

LOW_DETAIL = 0.45  # below this zoom, text and glyphs are left out


class PortItem(QGraphicsItem):
    """A node's input (left) or output (right) port: a small circle, highlighted on hover."""

    RADIUS = 4.5
    HIT = 8.0

    LABEL_SIZE = 9  # the shape written over a block's port, in scene pixels

    def __init__(self, node_item: QGraphicsItem, side: str) -> None:
        super().__init__(node_item)
        self.side = side  # "in" | "out"
        self.highlighted = False  # hovered, or the target of a wire being drawn
        self.label = ""  # the shape that flows through it (blocks), e.g. "8×8×16"
        self._label_rect = QRectF()
        self.setAcceptHoverEvents(True)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # the scene handles presses
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(2)

    @property
    def node_item(self) -> QGraphicsItem:
        """The node item (an items.NodeItem) this port is part of: its parent."""
        return self.parentItem()

    def set_highlighted(self, on: bool) -> None:
        if on != self.highlighted:
            self.highlighted = on
            self.update()

    def set_label(self, text: str) -> None:
        """The shape through this port: its tooltip, and written over it while hovered."""
        if text == self.label:
            return
        self.prepareGeometryChange()
        self.label = text
        if text:
            metrics = QFontMetricsF(style.font(self.LABEL_SIZE))
            width, height = metrics.horizontalAdvance(text) + 2, metrics.height()
            x = -width + 4 if self.side == "in" else -4  # reads away from the block
            self._label_rect = QRectF(x, -self.HIT - height - 1, width, height)
        else:
            self._label_rect = QRectF()
        what = "takes" if self.side == "in" else "gives"
        self.setToolTip(f"{what} {text} per sample" if text else "")
        self.update()

    def boundingRect(self) -> QRectF:
        port = QRectF(-self.HIT, -self.HIT, 2 * self.HIT, 2 * self.HIT)
        return port.united(self._label_rect) if self.label else port

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(QRectF(-self.HIT, -self.HIT, 2 * self.HIT, 2 * self.HIT))
        return path

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not self.highlighted and style.detail(painter) < LOW_DETAIL:
            return  # far out a port is a pixel or two: the node's own outline says enough
        t = theme()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.label and self.highlighted:  # hovered: the shape through it, written over it
            painter.setPen(t.accent)
            painter.setFont(style.font(self.LABEL_SIZE))
            align = Qt.AlignmentFlag.AlignRight if self.side == "in" else Qt.AlignmentFlag.AlignLeft
            painter.drawText(self._label_rect, align | Qt.AlignmentFlag.AlignBottom, self.label)
        if self.highlighted:
            painter.setPen(QPen(t.accent.darker(120), 1.5))
            painter.setBrush(t.accent)
            painter.drawEllipse(QPointF(0, 0), 6.0, 6.0)
        else:
            painter.setPen(QPen(t.node_border, 1.5))
            painter.setBrush(t.node_fill)
            painter.drawEllipse(QPointF(0, 0), self.RADIUS, self.RADIUS)

    def hoverEnterEvent(self, event) -> None:
        self.set_highlighted(True)

    def hoverLeaveEvent(self, event) -> None:
        self.set_highlighted(False)


class ProblemBadge(QGraphicsItem):
    """A small round "!" at a node's corner: red for errors, orange for warnings; tooltip: the messages."""

    RADIUS = 7.5

    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.severity = "error"
        self.setZValue(3)
        self.setVisible(False)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def set_problems(self, messages: Sequence[str], severity: str) -> None:
        self.severity = severity
        self.setToolTip("\n".join(messages))
        self.setVisible(bool(messages))
        self.update()

    def boundingRect(self) -> QRectF:
        r = self.RADIUS + 1
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        t = theme()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(t.node_fill, 1.5))
        painter.setBrush(t.error if self.severity == "error" else t.warning)
        painter.drawEllipse(QPointF(0, 0), self.RADIUS, self.RADIUS)
        painter.setPen(Qt.GlobalColor.white)
        painter.setFont(style.font(11, bold=True))
        painter.drawText(self.boundingRect(), Qt.AlignmentFlag.AlignCenter, "!")
