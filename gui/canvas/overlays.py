"""What a teaching view lays over the canvas: numbers and a fill on a node, a colour on a wire.

Items draw an overlay instead of part of their usual look and keep no other state; the view that
set it takes it away again (set_overlay(None))."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QFontMetricsF, QPainter

from gui.canvas import style


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


def paint_lines(painter: QPainter, lines: Sequence[tuple[str, str]], centre_y: float,
                ink: QColor, height: float = 12.0) -> None:
    """Small "symbol value" lines centred on (0, centre_y), `height` apart: the symbol smaller,
    then the value (inside a neuron 17 apart, so that the ports between them stay clear)."""
    small, big = style.font(7), style.font(10)
    sm, bm = QFontMetricsF(small), QFontMetricsF(big)
    top = centre_y - height * len(lines) / 2
    faint = style.with_alpha(ink, 170)
    for i, (symbol, value) in enumerate(lines):
        gap = 1.5 if symbol else 0.0
        width = sm.horizontalAdvance(symbol) + gap + bm.horizontalAdvance(value)
        x = -width / 2
        baseline = top + i * height + height / 2 + bm.ascent() / 2 - 1
        painter.setFont(small)
        painter.setPen(faint)
        painter.drawText(QPointF(x, baseline), symbol)
        painter.setFont(big)
        painter.setPen(ink)
        painter.drawText(QPointF(x + sm.horizontalAdvance(symbol) + gap, baseline), value)


def ink(fill: QColor) -> QColor:
    """Text that reads on this fill."""
    return QColor(255, 255, 255) if fill.lightness() < 128 else QColor(20, 20, 20)
