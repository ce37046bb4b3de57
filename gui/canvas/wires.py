"""Wires: a cubic Bézier per connection, styled by its weight, and how it is painted fast in bulk.

A wire at rest is drawn by its scene into the view's cached background (see CanvasScene), so
thousands of them cost nothing while the person drags a node or hovers a port; a wire that moves or
is selected is "live" and paints itself until it rests again."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem

from core.design.design import Connection
from gui.canvas import style
from gui.canvas.overlays import WireOverlay
from gui.canvas.style import format_number, theme

THIN = 1.0  # wires narrower than this on screen are drawn as one-pixel cosmetic lines
NO_CONTENTS = QGraphicsItem.GraphicsItemFlag.ItemHasNoContents
LIVE_FLAGS = QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
REST_FLAGS = LIVE_FLAGS | NO_CONTENTS


def wire_path(start: QPointF, end: QPointF) -> QPainterPath:
    """The smooth S from an output port to an input port (a loop when the target is behind)."""
    dx = max(abs(end.x() - start.x()) * 0.5, 40.0)
    path = QPainterPath(start)
    path.cubicTo(QPointF(start.x() + dx, start.y()), QPointF(end.x() - dx, end.y()), end)
    return path


class WireEnd(Protocol):
    """A node item as its wires see it (items.NodeItem is one): where a wire leaves and enters it."""

    def output_anchor(self) -> QPointF: ...

    def input_anchor(self) -> QPointF: ...


class ConnectionItem(QGraphicsItem):
    """A wire from the source's output port to the target's input port.

    At the neuron level its width and colour show the weight (blue positive, orange negative, width
    1–6 px by |w| against `weight_scale`); an unset weight is a thin grey dash; layer wires are plain
    grey; a wire with a problem is red (orange for a warning), its tooltip the message. A
    teaching view may lay a WireOverlay over the weight's look (`set_overlay`)."""

    HIT_WIDTH = 10.0
    overlay: WireOverlay | None = None

    def __init__(self, conn: Connection, source: WireEnd, target: WireEnd, layer_level: bool,
                 weight_scale: float = 1.0, live: bool = True) -> None:
        super().__init__()
        self.connection_id = conn.id
        self.record = conn  # the last record shown (read only)
        self.source_item, self.target_item = source, target
        self.layer_level = layer_level
        self.problems: tuple[str, ...] = ()
        self.severity = "error"
        self.live = live  # paints itself; False: its scene draws it into the cached background
        self._path = QPainterPath()
        self._rect = QRectF()
        self._shape: QPainterPath | None = None
        self._pen = QPen()
        self._key: tuple | None = None  # what the pen depends on, quantized (see _look)
        self._thin: QPen | None = None
        self._solid: tuple[QPen, QPen] | None = None  # (pen, thin pen) premixed with the canvas
        self._scale = weight_scale
        self.setFlags(LIVE_FLAGS if live else REST_FLAGS)
        self.update_path()
        self.update_from(conn, weight_scale)

    # ----------------------------------------------------------------- model → item
    def update_from(self, conn: Connection, weight_scale: float = 1.0) -> None:
        self.record = conn
        self._scale = weight_scale
        key = self._look(weight_scale)
        if key == self._key:  # looks the same: no Qt call at all (training restyles 10× a second)
            return
        self._key = key
        pen = self._make_pen(weight_scale)
        if pen != self._pen:
            self._pen, self._thin, self._shape, self._solid = pen, None, None, None
            self._changed(self._rect)

    def set_overlay(self, overlay: WireOverlay | None) -> None:
        """Draw the wire with this look instead of its weight's (None: by its weight again)."""
        if overlay != self.overlay:
            self.overlay = overlay
            self.update_from(self.record, self._scale)

    def set_problems(self, messages: Sequence[str], severity: str = "error",
                     weight_scale: float = 1.0) -> None:
        self.problems = tuple(messages)
        self.severity = severity
        self.update_from(self.record, weight_scale)

    def update_path(self) -> None:
        """Follow the ends (they moved, or changed size)."""
        old = self._rect
        start, end = self.source_item.output_anchor(), self.target_item.input_anchor()
        self.prepareGeometryChange()
        self._path = wire_path(start, end)
        self._rect = self._path.controlPointRect().adjusted(-6, -6, 6, 6)
        self._shape = None
        self._changed(old.united(self._rect))

    def set_live(self, live: bool) -> None:
        """Paint as an item (moving, selected) or let the scene's cached background draw it."""
        if live == self.live:
            return
        self.live = live
        self.setFlag(NO_CONTENTS, not live)
        self._background_changed(self._rect)
        if live:
            self.update()

    def _changed(self, rect: QRectF) -> None:
        if self.live:
            self.update()
        else:
            self._background_changed(rect)

    def _background_changed(self, rect: QRectF) -> None:
        scene = self.scene()
        if scene is not None and hasattr(scene, "wire_background_changed"):
            scene.wire_background_changed(rect)

    # ----------------------------------------------------------------- what it shows
    def pen(self) -> QPen:
        return QPen(self._pen)

    def path(self) -> QPainterPath:
        return QPainterPath(self._path)

    def _look(self, scale: float) -> tuple:
        """What the wire's look depends on, with the weight's size in 1/64 steps (finer than
        the eye tells apart on a 1–6 px line)."""
        w = self.record.weight
        if w is None or self.layer_level or not math.isfinite(w):
            size = None
        else:
            size = round(min(abs(w) / scale, 1.0) * 64) if scale > 0 else 64
        return (self.layer_level, w is None, w is not None and w >= 0, size, self.problems,
                self.severity, id(theme()), self.overlay)

    def _make_pen(self, scale: float) -> QPen:
        t = theme()
        w = self.record.weight
        round_cap = Qt.PenCapStyle.RoundCap
        if self.overlay is not None:
            o = self.overlay
            pen = QPen(o.colour, o.width, Qt.PenStyle.DashLine if o.dashed else Qt.PenStyle.SolidLine,
                       Qt.PenCapStyle.FlatCap if o.dashed else round_cap)
        elif self.layer_level:
            pen = QPen(t.layer_wire, 2.0, Qt.PenStyle.SolidLine, round_cap)
        elif w is None:
            pen = QPen(t.unset_wire, 1.25, Qt.PenStyle.DashLine, Qt.PenCapStyle.FlatCap)
        else:
            magnitude = min(abs(w) / scale, 1.0) if scale > 0 and math.isfinite(w) else 1.0
            colour = QColor(t.positive if w >= 0 else t.negative)
            colour.setAlpha(int(90 + 165 * magnitude))
            pen = QPen(colour, 1.0 + 5.0 * magnitude, Qt.PenStyle.SolidLine, round_cap)
        if self.problems:
            pen.setColor(t.error if self.severity == "error" else t.warning)
            pen.setStyle(Qt.PenStyle.SolidLine)
            pen.setWidthF(max(2.0, pen.widthF()))
        return pen

    def _solid_pens(self) -> tuple[QPen, QPen]:
        if self._solid is None:
            c, b = self._pen.color(), theme().background
            a = c.alpha()
            colour = QColor((b.red() * (255 - a) + c.red() * a) // 255,
                            (b.green() * (255 - a) + c.green() * a) // 255,
                            (b.blue() * (255 - a) + c.blue() * a) // 255)
            pen = QPen(self._pen)
            pen.setColor(colour)
            thin = QPen(colour, 1.0, self._pen.style())
            thin.setCosmetic(True)
            self._solid = (pen, thin)
        return self._solid

    def toolTip(self) -> str:  # noqa: N802 - written when asked (the scene's helpEvent asks)
        lines = list(self.problems)
        if not self.layer_level:
            w = self.record.weight
            lines.append("weight not set yet (drawn when training starts)" if w is None
                         else f"weight {format_number(w)}")
        if self.overlay is not None and self.overlay.tooltip:
            lines.append(self.overlay.tooltip)
        return "\n".join(lines)

    # ----------------------------------------------------------------- geometry and painting
    def boundingRect(self) -> QRectF:
        return self._rect

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(max(self.HIT_WIDTH, self._pen.widthF() + 4))
            self._shape = stroker.createStroke(self._path)
        return self._shape

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if self.isSelected():
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            halo = style.with_alpha(theme().accent, 120)
            painter.setPen(QPen(halo, self._pen.widthF() + 5, Qt.PenStyle.SolidLine,
                                Qt.PenCapStyle.RoundCap))
            painter.drawPath(self._path)
        self.draw(painter, style.detail(painter))

    def draw(self, painter: QPainter, zoom: float, solid: bool = False, fast: bool = False) -> None:
        """The wire itself, at this zoom, with no brush set (the scene's background draws wires at
        rest with it). `solid`: in opaque colours premixed with the canvas (the picture of a big
        design: two to three times faster to draw; where wires cross, the upper one covers).
        `fast`: solid and without antialiasing, four times faster again (while training runs and
        the weights restyle every wire ten times a second)."""
        if solid or fast:
            pen, thin = self._solid_pens()
            wide = pen.widthF() * zoom >= THIN
            painter.setRenderHint(QPainter.RenderHint.Antialiasing,
                                  not fast and (wide or zoom >= 0.5))
            painter.setPen(pen if wide else thin)
            painter.drawPath(self._path)
            return
        if self._pen.widthF() * zoom < THIN:
            # Zoomed out, the wire is under a pixel or two wide: a one-pixel cosmetic line draws
            # faster than a stroked outline and looks the same (far out, without antialiasing).
            if self._thin is None:
                self._thin = QPen(self._pen.color(), 1.0, self._pen.style())
                self._thin.setCosmetic(True)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, zoom >= 0.5)
            painter.setPen(self._thin)
        else:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(self._pen)
        painter.drawPath(self._path)
