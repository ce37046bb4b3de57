"""What a teaching view lays over the canvas: numbers and a fill on a node, a colour on a wire.

Items draw an overlay instead of part of their usual look and keep no other state; the view that
set it takes it away again (set_overlay(None))."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QFontMetricsF, QPainter

from gui.canvas import style
from gui.canvas.ports import PortItem


@dataclass(frozen=True)
class WireOverlay:
    """A teaching view's look for a wire over its weight's (a gradient's colour, say)."""

    colour: QColor
    width: float = 2.0
    dashed: bool = False
    tooltip: str = ""  # added to the wire's tooltip
    value: float | None = None  # the number the colour shows (for readers and tests)


@dataclass(frozen=True)
class NodeOverlay:
    """A teaching view's numbers on a node, over its usual look: `lines` written inside a neuron
    (under an input) instead of its glyph or map, a fill, a short name above it (when it has no
    label), a note to its right, a ring that singles it out. The item keeps no other state."""

    lines: tuple[tuple[str, str], ...] = ()  # (symbol, value), e.g. ("z", "0.53"); two at most
    fill: QColor | None = None
    tag: str = ""
    note: str = ""  # lines of text to the right (an output's target and loss)
    ring: bool = False
    tooltip: str = ""
    values: tuple[tuple[str, float], ...] = ()  # the numbers shown, by name (for readers, tests)


NOTE_WIDTH = 210.0  # the room an overlay's note takes to the right of a node


CLEAR = 1.5  # the room numbers keep from a circle's edge (its pen) and from its ports


def room_in_circle(radius: float, top: float, bottom: float) -> float:
    """The half-width text between `top` and `bottom` (y, from the centre) may take inside a
    circle of `radius` centred at 0, clear of its edge and of its two ports (at ±radius, 0)."""
    far = max(abs(top), abs(bottom))
    near = 0.0 if top <= 0 <= bottom else min(abs(top), abs(bottom))
    inside = max(radius - CLEAR, 0.0)
    edge = (max(inside * inside - far * far, 0.0)) ** 0.5
    port = PortItem.RADIUS + CLEAR
    beside_port = radius - (max(port * port - near * near, 0.0)) ** 0.5
    return max(min(edge, beside_port), 0.0)


def paint_lines(painter: QPainter, lines: Sequence[tuple[str, str]], centre_y: float,
                ink: QColor, height: float = 12.0, radius: float | None = None) -> None:
    """Small "symbol value" lines centred on (0, centre_y), `height` apart: the symbol smaller,
    then the value (inside a neuron 17 apart, so that the ports between them stay clear). With a
    `radius`, each line is drawn smaller where it would not fit inside that circle."""
    small, big = style.font(7), style.font(10)
    sm, bm = QFontMetricsF(small), QFontMetricsF(big)
    top = centre_y - height * len(lines) / 2
    faint = style.with_alpha(ink, 170)
    for i, (symbol, value) in enumerate(lines):
        gap = 1.5 if symbol else 0.0
        width = sm.horizontalAdvance(symbol) + gap + bm.horizontalAdvance(value)
        baseline = top + i * height + height / 2 + bm.ascent() / 2 - 1
        painter.save()
        if radius is not None:
            marks = [r for r in (sm.tightBoundingRect(symbol), bm.tightBoundingRect(value))
                     if not r.isEmpty()]
            ink_top = baseline + min((r.top() for r in marks), default=0.0)
            ink_bottom = baseline + max((r.bottom() for r in marks), default=0.0)
            room = room_in_circle(radius, ink_top, ink_bottom)
            if width / 2 > room:  # smaller, about the line's middle: it only moves inward
                middle = (ink_top + ink_bottom) / 2
                painter.translate(0.0, middle)
                painter.scale(2 * room / width, 2 * room / width)
                painter.translate(0.0, -middle)
        x = -width / 2
        painter.setFont(small)
        painter.setPen(faint)
        painter.drawText(QPointF(x, baseline), symbol)
        painter.setFont(big)
        painter.setPen(ink)
        painter.drawText(QPointF(x + sm.horizontalAdvance(symbol) + gap, baseline), value)
        painter.restore()


def ink(fill: QColor) -> QColor:
    """Text that reads on this fill."""
    return QColor(255, 255, 255) if fill.lightness() < 128 else QColor(20, 20, 20)
