"""Canvas painting: one item per node (input, neuron, block) with ports and a problem badge, and wires.

Items show the Node or Connection record last passed to `update_from`; they keep no edited state."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem

from core.design import Node
from gui.canvas import style
from gui.canvas.neuron_maps import NeuronMap
from gui.canvas.neuron_maps import paint as paint_map
from gui.canvas.style import format_number, theme
from gui.canvas.wires import ConnectionItem, wire_path

__all__ = ["BlockItem", "ConnectionItem", "DataItem", "InputItem", "NeuronItem", "NodeItem", "PortItem",
           "ProblemBadge", "make_node_item", "wire_path"]

_LOW_DETAIL = 0.45  # below this zoom, text and glyphs are left out
_detail = style.detail


def shape_text(shape: tuple[int, ...] | None) -> str:
    """'8×8×16' for a shape, '' for none."""
    return "×".join(str(n) for n in shape) if shape else ""


class PortItem(QGraphicsItem):
    """A node's input (left) or output (right) port: a small circle, highlighted on hover."""

    RADIUS = 4.5
    HIT = 8.0

    LABEL_SIZE = 9  # the shape written over a block's port, in scene pixels

    def __init__(self, node_item: NodeItem, side: str) -> None:
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
    def node_item(self) -> NodeItem:
        return self.parentItem()  # type: ignore[return-value]

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
        if not self.highlighted and _detail(painter) < _LOW_DETAIL:
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


class NodeItem(QGraphicsItem):
    """What every node item shares: position from the record, ports, selection outline, problems."""

    has_input = True
    has_output = True

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
        self.setToolTip(self.badge.toolTip())
        self.update()

    def set_problems(self, messages: Sequence[str], severity: str = "error") -> None:
        self.badge.set_problems(messages, severity)
        self.setToolTip("\n".join(messages))

    @property
    def problem_messages(self) -> list[str]:
        text = self.badge.toolTip()
        return text.split("\n") if self.badge.isVisible() and text else []

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
        return self.body_rect().adjusted(-4, -4, 4, 4)

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

    def paint(self, painter: QPainter, option, widget=None) -> None:
        t = theme()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.paint_selection(painter)
        painter.setPen(QPen(t.input_border, 1.5))
        painter.setBrush(t.input_fill)
        painter.drawPath(self.shape())
        if _detail(painter) >= _LOW_DETAIL:
            painter.setPen(t.text)
            painter.setFont(style.font(13))
            painter.drawText(self.body_rect(), Qt.AlignmentFlag.AlignCenter, self.text(self.record))


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
        return QRectF(-50, -42, 100, 84)

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
        if self.neuron_map is not None:
            paint_map(painter, self.neuron_map, self.RADIUS, QPen(t.node_border, 1.5))
        else:
            painter.setPen(QPen(t.node_border, 1.5))
            painter.setBrush(t.node_fill)
            painter.drawEllipse(QPointF(0, 0), self.RADIUS, self.RADIUS)
        if _detail(painter) < _LOW_DETAIL:
            return
        glyph = style.activation_glyph(node.params.get("activation"),
                                       node.params.get("activation_params", {}), 26, 18)
        if glyph is None:
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
