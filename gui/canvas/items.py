"""Canvas painting: one item per node (input, neuron, block) with ports and a problem badge, and wires.

Items show the Node or Connection record last passed to `update_from`; they keep no edited state."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem

from core.design.design import Node
from gui.canvas import style
from gui.canvas.neuron_maps import NeuronMap
from gui.canvas.neuron_maps import paint as paint_map
from gui.canvas.overlays import NOTE_WIDTH, NodeOverlay, WireOverlay, ink, paint_lines
from gui.canvas.ports import LOW_DETAIL as _LOW_DETAIL
from gui.canvas.ports import PortItem, ProblemBadge
from gui.canvas.style import format_number, theme
from gui.canvas.wires import ConnectionItem, wire_path

__all__ = ["BlockItem", "ConnectionItem", "DataItem", "InputItem", "NeuronItem", "NodeItem",
           "NodeOverlay", "PortItem", "ProblemBadge", "WireOverlay", "make_node_item", "wire_path"]

_detail = style.detail


def shape_text(shape: tuple[int, ...] | None) -> str:
    """'8×8×16' for a shape, '' for none."""
    return "×".join(str(n) for n in shape) if shape else ""


class NodeItem(QGraphicsItem):
    """What every node item shares: position from the record, ports, selection outline, problems."""

    has_input = True
    has_output = True
    overlay: NodeOverlay | None = None

    def __init__(self, node: Node) -> None:
        super().__init__()
        self.node_id = node.id
        self.record = node  # the last record shown (read only)
        self.wires: list[ConnectionItem] = []  # attached wire items, kept by the scene
        self._width, self._height = 44.0, 44.0
        # No itemChange override: under PySide6 6.12 every call of an overridden itemChange leaks a
        # reference to None (Python 3.11 then aborts). The scene moves the wires during a drag instead.
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        # Kept as a picture at the current zoom: panning copies it instead of painting it again.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1)
        self.input_port = PortItem(self, "in") if self.has_input else None
        self.output_port = PortItem(self, "out") if self.has_output else None
        self.badge = ProblemBadge(self)
        self._width, self._height = self.measure(node)
        self._place_children()
        self.update_from(node)

    # ----------------------------------------------------------------- model → item
    def update_from(self, node: Node) -> None:
        self.record = node
        size = self.measure(node)
        if size != (self._width, self._height):
            self.prepareGeometryChange()
            self._width, self._height = size
            self._place_children()
            self.update_wires()
        if (self.x(), self.y()) != node.position:
            self.setPos(*node.position)
            self.update_wires()
        self._refresh_tooltip()
        self.update()

    def set_problems(self, messages: Sequence[str], severity: str = "error") -> None:
        self.badge.set_problems(messages, severity)
        self._refresh_tooltip()

    def set_overlay(self, overlay: NodeOverlay | None) -> None:
        """Show a teaching view's numbers on this node (None: its usual look again)."""
        if overlay == self.overlay:
            return
        self.prepareGeometryChange()
        self.overlay = overlay
        self._refresh_tooltip()
        self.update()

    def _refresh_tooltip(self) -> None:
        parts = [self.badge.toolTip() if self.badge.isVisible() else "",
                 self.overlay.tooltip if self.overlay is not None else ""]
        self.setToolTip("\n".join(p for p in parts if p))

    def note_rect(self) -> QRectF:
        """Where an overlay's note is written: to the right of the output port."""
        return QRectF(self._width / 2 + 12, -40, NOTE_WIDTH, 80)

    def paint_note(self, painter: QPainter) -> None:
        if self.overlay is not None and self.overlay.note:
            painter.setPen(theme().text)
            painter.setFont(style.font(11))
            painter.drawText(self.note_rect(), Qt.AlignmentFlag.AlignVCenter
                             | Qt.AlignmentFlag.AlignLeft, self.overlay.note)

    def overlay_rect(self, rect: QRectF) -> QRectF:
        """`rect` grown by what the overlay draws outside the body."""
        if self.overlay is not None and self.overlay.note:
            rect = rect.united(self.note_rect())
        return rect

    # ----------------------------------------------------------------- geometry
    def measure(self, node: Node) -> tuple[float, float]:
        """The body's width and height for this record."""
        return self._width, self._height

    def body_rect(self) -> QRectF:
        return QRectF(-self._width / 2, -self._height / 2, self._width, self._height)

    def badge_pos(self) -> QPointF:
        r = self.body_rect()
        return QPointF(r.right() - 4, r.top() + 2)

    def _place_children(self) -> None:
        half = self._width / 2
        if self.input_port is not None:
            self.input_port.setPos(-half, 0)
        if self.output_port is not None:
            self.output_port.setPos(half, 0)
        self.badge.setPos(self.badge_pos())

    def input_anchor(self) -> QPointF:
        """Where wires end, in scene coordinates."""
        return self.pos() + QPointF(-self._width / 2, 0)

    def output_anchor(self) -> QPointF:
        """Where wires start, in scene coordinates."""
        return self.pos() + QPointF(self._width / 2, 0)

    def boundingRect(self) -> QRectF:
        return self.overlay_rect(self.body_rect().adjusted(-4, -4, 4, 4))

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self.body_rect(), 8, 8)
        return path

    def update_wires(self) -> None:
        """Bend the attached wires to this item's ports (after a move or a change of size)."""
        for wire in self.wires:
            wire.update_path()

    # ----------------------------------------------------------------- painting
    def paint_selection(self, painter: QPainter) -> None:
        if self.isSelected():
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(theme().accent, 2.0))
            outline = self.shape()
            stroker = QPainterPathStroker()
            stroker.setWidth(6)
            painter.drawPath(stroker.createStroke(outline).united(outline).simplified())


class InputItem(NodeItem):
    """An input feature: a pill with its feature written as a person would, such as x1²."""

    has_input = False

    def text(self, node: Node) -> str:
        return node.label or style.pretty_feature(node.params.get("feature", "?"))

    def measure(self, node: Node) -> tuple[float, float]:
        width = QFontMetricsF(style.font(13)).horizontalAdvance(self.text(node))
        return max(56.0, round(width / 2 + 12) * 2), 28.0

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self.body_rect(), 14, 14)
        return path

    def _under_rect(self) -> QRectF:
        """Below the pill: where an overlay's value is written."""
        return QRectF(-self._width / 2 - 10, self._height / 2 + 1, self._width + 20, 14)

    def boundingRect(self) -> QRectF:
        rect = super().boundingRect()
        return rect.united(self._under_rect()) if self.overlay and self.overlay.lines else rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        t = theme()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.paint_selection(painter)
        if self.overlay is not None and self.overlay.ring:
            painter.setPen(QPen(style.with_alpha(t.accent, 150), 3.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(self.body_rect().adjusted(-2, -2, 2, 2), 16, 16)
        painter.setPen(QPen(t.input_border, 1.5))
        painter.setBrush(t.input_fill)
        painter.drawPath(self.shape())
        if _detail(painter) >= _LOW_DETAIL:
            painter.setPen(t.text)
            painter.setFont(style.font(13))
            painter.drawText(self.body_rect(), Qt.AlignmentFlag.AlignCenter, self.text(self.record))
            if self.overlay is not None and self.overlay.lines:
                paint_lines(painter, self.overlay.lines[:1], self._under_rect().center().y(),
                             t.text)


class NeuronItem(NodeItem):
    """A neuron: a circle with a small glyph of its activation — or, while training on a plane, a
    map of its output over the plane — its bias below and its name above."""

    RADIUS = 22.0
    neuron_map: NeuronMap | None = None

    def __init__(self, node: Node) -> None:
        super().__init__(node)
        self.setAcceptHoverEvents(True)

    def set_map(self, values) -> None:
        """Show this map of the neuron's output (n × n, row j = y); None brings the glyph back."""
        if values is None and self.neuron_map is None:
            return
        self.neuron_map = None if values is None else NeuronMap.make(values, self.record.params)
        self.update()

    def hoverEnterEvent(self, event) -> None:  # no repaint: hovering changes nothing drawn
        self._tell_scene(self.node_id)

    def hoverLeaveEvent(self, event) -> None:
        self._tell_scene(None)

    def _tell_scene(self, node_id: str | None) -> None:
        if hasattr(self.scene(), "neuron_hover"):
            self.scene().neuron_hover(node_id)

    def measure(self, node: Node) -> tuple[float, float]:
        return 2 * self.RADIUS, 2 * self.RADIUS

    def badge_pos(self) -> QPointF:
        return QPointF(17, -17)

    def boundingRect(self) -> QRectF:
        return self.overlay_rect(QRectF(-50, -42, 100, 84))

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(QPointF(0, 0), self.RADIUS, self.RADIUS)
        return path

    def bias_text(self) -> str:
        bias = self.record.params.get("bias")
        return "b = 0" if bias is None else f"b = {format_number(float(bias))}"

    def paint(self, painter: QPainter, option, widget=None) -> None:
        t = theme()
        node = self.record
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.paint_selection(painter)
        overlay = self.overlay
        if overlay is not None:
            if overlay.ring:
                painter.setPen(QPen(style.with_alpha(t.accent, 150), 4.0))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(QPointF(0, 0), self.RADIUS + 3, self.RADIUS + 3)
            fill = overlay.fill if overlay.fill is not None else t.node_fill
            painter.setPen(QPen(t.node_border, 1.5))
            painter.setBrush(fill)
            painter.drawEllipse(QPointF(0, 0), self.RADIUS, self.RADIUS)
        elif self.neuron_map is not None:
            paint_map(painter, self.neuron_map, self.RADIUS, QPen(t.node_border, 1.5))
        else:
            painter.setPen(QPen(t.node_border, 1.5))
            painter.setBrush(t.node_fill)
            painter.drawEllipse(QPointF(0, 0), self.RADIUS, self.RADIUS)
        if _detail(painter) < _LOW_DETAIL:
            return
        glyph = style.activation_glyph(node.params.get("activation"),
                                       node.params.get("activation_params", {}), 26, 18)
        if overlay is not None and overlay.lines:
            paint_lines(painter, overlay.lines[:2], 0.0,
                        ink(overlay.fill) if overlay.fill is not None else t.text, 17.0,
                        self.RADIUS)
        elif glyph is None:
            painter.setPen(t.error)
            painter.setFont(style.font(14, bold=True))
            painter.drawText(self.body_rect(), Qt.AlignmentFlag.AlignCenter, "?")
        elif self.neuron_map is None:  # while there is a map, it says more than the glyph
            style.draw_glyph(painter, glyph, 2.0)
        painter.setFont(style.font(10))
        painter.setPen(t.muted if node.params.get("bias") is None else t.text)
        painter.drawText(QRectF(-50, self.RADIUS + 1, 100, 14), Qt.AlignmentFlag.AlignCenter,
                         self.bias_text())
        if node.label:
            painter.setPen(t.text)
            painter.setFont(style.font(11))
            painter.drawText(QRectF(-50, -self.RADIUS - 16, 100, 14), Qt.AlignmentFlag.AlignCenter,
                             node.label)
        elif overlay is not None and overlay.tag:  # a little smaller: clear of the bias above
            painter.setPen(t.muted)
            painter.setFont(style.font(10))
            lift = 4 if overlay.ring else 0  # clear of the ring
            painter.drawText(QRectF(-50, -self.RADIUS - 13 - lift, 100, 12),
                             Qt.AlignmentFlag.AlignCenter, overlay.tag)
        self.paint_note(painter)


class BlockItem(NodeItem):
    """A layer-level block (Data, Dense, …): a rounded box with a coloured title header."""

    WIDTH, HEIGHT, HEADER = 156.0, 56.0, 22.0

    def measure(self, node: Node) -> tuple[float, float]:
        return self.WIDTH, self.HEIGHT

    def title(self) -> str:
        p = self.record.params
        words = [style.kind_label(self.record.kind)]
        for key in ("units", "filters", "size"):
            if isinstance(p.get(key), int):
                words[0] += f" {p[key]}"
                break
        if isinstance(p.get("activation"), str):
            words.append(p["activation"])
        return " · ".join(words)

    def subtitle(self) -> str:
        """Its name (or what it is), and the shape it passes on, as validation infers it."""
        node = self.record
        shape = getattr(self, "out_shape", None)
        size = "×".join(str(n) for n in shape) if shape else ""
        if node.label:
            return f"{node.label} → {size}" if size else node.label
        in_text = getattr(self, "in_text", "")
        if size and in_text:
            return f"{in_text} → {size}"
        if size:
            return f"output {size}"
        return {"data": "the data set's features", "dense": "fully connected"}.get(node.kind, "")

    def set_shape(self, shape: tuple[int, ...] | None,
                  in_shapes: Sequence[tuple[int, ...] | None] = ()) -> None:
        """The shape this block passes on (`shape` itself is Qt's outline of the item), and the
        shapes its incoming wires bring: each written over its port."""
        texts = [shape_text(s) for s in in_shapes]
        joiner = " + " if self.record.kind == "add" else " | "
        in_text = joiner.join(texts) if texts and all(texts) else ""
        if shape != getattr(self, "out_shape", None) or in_text != getattr(self, "in_text", ""):
            self.out_shape, self.in_text = shape, in_text
            self.update()
        if self.output_port is not None:
            self.output_port.set_label(shape_text(shape))
        if self.input_port is not None:
            self.input_port.set_label(in_text)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        t = theme()
        node = self.record
        rect = self.body_rect()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.paint_selection(painter)
        colour = style.header_colour(node.kind)
        painter.setPen(QPen(style.mix(colour, t.node_border, 0.4), 1.5))
        painter.setBrush(t.node_fill)
        painter.drawPath(self.shape())
        header = QPainterPath()
        header.addRoundedRect(rect, 8, 8)
        clip = QPainterPath()
        clip.addRect(QRectF(rect.left(), rect.top(), rect.width(), self.HEADER))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(colour))
        painter.drawPath(header.intersected(clip))
        if _detail(painter) < _LOW_DETAIL:
            return
        painter.setFont(style.font(12, bold=True))
        painter.setPen(Qt.GlobalColor.white)
        title_rect = QRectF(rect.left() + 10, rect.top(), rect.width() - 24, self.HEADER)
        title = QFontMetricsF(painter.font()).elidedText(self.title(), Qt.TextElideMode.ElideRight,
                                                         title_rect.width())
        painter.drawText(title_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, title)
        body = QRectF(rect.left() + 10, rect.top() + self.HEADER, rect.width() - 20,
                      rect.height() - self.HEADER)
        glyph = style.activation_glyph(node.params.get("activation"),
                                       node.params.get("activation_params", {}), 24, 16)
        if glyph is not None:
            painter.save()
            painter.translate(body.right() - 14, body.center().y())
            style.draw_glyph(painter, glyph, 1.8)
            painter.restore()
            body.setRight(body.right() - 34)
        painter.setFont(style.font(11))
        painter.setPen(t.text if node.label else t.muted)
        text = QFontMetricsF(painter.font()).elidedText(self.subtitle(), Qt.TextElideMode.ElideRight,
                                                        body.width())
        painter.drawText(body, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)


class DataItem(BlockItem):
    """The data set's whole feature vector: a block with only an output port."""

    has_input = False


def make_node_item(node: Node) -> NodeItem:
    """The item that draws a node of this kind."""
    item_class = {"input": InputItem, "neuron": NeuronItem, "data": DataItem}.get(node.kind, BlockItem)
    return item_class(node)
