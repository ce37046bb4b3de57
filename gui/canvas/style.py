"""How the canvas looks: colours drawn from the application palette, fonts, sizes and cached glyphs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QStyleOptionGraphicsItem

from core.design import registry
from core.training import probes

GRID = 10.0  # the snapping grid, in scene units (device-independent pixels at 100 % zoom)
DOT_SPACING = 20.0  # the background's dot grid


def detail(painter: QPainter) -> float:
    """How many screen pixels one scene pixel takes under this painter (the zoom)."""
    return QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """a blended toward b by t (0: a, 1: b)."""
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t,
                           a.greenF() + (b.greenF() - a.greenF()) * t,
                           a.blueF() + (b.blueF() - a.blueF()) * t,
                           a.alphaF() + (b.alphaF() - a.alphaF()) * t)


def with_alpha(color: QColor, alpha: int) -> QColor:
    c = QColor(color)
    c.setAlpha(alpha)
    return c


@dataclass(frozen=True)
class Theme:
    """The canvas colours for one application palette (light or dark)."""

    dark: bool
    background: QColor
    dots: QColor
    node_fill: QColor
    node_border: QColor
    text: QColor
    muted: QColor
    accent: QColor
    glyph: QColor
    input_fill: QColor
    input_border: QColor
    positive: QColor
    negative: QColor
    unset_wire: QColor
    layer_wire: QColor
    error: QColor
    warning: QColor
    gradient_positive: QColor  # a gradient that says: lower this value (the loss grows with it)
    gradient_negative: QColor  # a gradient that says: raise it

    @classmethod
    def from_palette(cls, palette: QPalette) -> Theme:
        base = palette.color(QPalette.ColorRole.Base)
        window = palette.color(QPalette.ColorRole.Window)
        text = palette.color(QPalette.ColorRole.Text)
        dark = base.lightness() < 128
        teal = QColor(38, 166, 154) if dark else QColor(0, 137, 123)
        accent = palette.color(QPalette.ColorRole.Highlight)
        return cls(
            dark=dark,
            background=mix(base, window, 0.35),
            dots=with_alpha(text, 55 if dark else 45),
            node_fill=mix(base, text, 0.06 if dark else 0.0),
            node_border=mix(base, text, 0.45),
            text=text,
            muted=mix(text, base, 0.45),
            accent=accent,
            glyph=QColor(100, 160, 255) if dark else QColor(30, 90, 190),
            input_fill=mix(base, teal, 0.18 if dark else 0.10),
            input_border=teal,
            positive=QColor(90, 150, 255) if dark else QColor(40, 110, 220),
            negative=QColor(255, 150, 70) if dark else QColor(232, 118, 30),
            unset_wire=mix(base, text, 0.42),
            layer_wire=mix(base, text, 0.5),
            error=QColor(235, 80, 70) if dark else QColor(211, 47, 47),
            warning=QColor(255, 170, 40) if dark else QColor(239, 140, 0),
            gradient_positive=QColor(240, 98, 160) if dark else QColor(197, 27, 125),
            gradient_negative=QColor(120, 200, 80) if dark else QColor(56, 142, 60),
        )


_theme: Theme | None = None


def theme() -> Theme:
    """The current canvas theme (made from the application palette on first use)."""
    global _theme
    if _theme is None:
        _theme = Theme.from_palette(QGuiApplication.palette())
    return _theme


def refresh_theme(palette: QPalette | None = None) -> Theme:
    """Rebuild the theme after the application palette changed (light ↔ dark)."""
    global _theme
    _theme = Theme.from_palette(palette or QGuiApplication.palette())
    return _theme


# Headers of layer-level blocks, by kind; unknown kinds take a steady colour from their id.
HEADER_COLOURS = {
    "data": QColor(0, 137, 123),
    "dense": QColor(84, 96, 190),
}
_SPARE_HEADERS = (QColor(142, 68, 173), QColor(41, 128, 185), QColor(192, 57, 43),
                  QColor(22, 160, 133), QColor(211, 84, 0), QColor(127, 140, 141))


def header_colour(kind: str) -> QColor:
    if kind in HEADER_COLOURS:
        return HEADER_COLOURS[kind]
    return _SPARE_HEADERS[sum(map(ord, kind)) % len(_SPARE_HEADERS)]


@lru_cache(maxsize=16)
def font(pixel_size: int, bold: bool = False) -> QFont:
    """A font sized in scene pixels, so the canvas looks the same on any screen DPI."""
    f = QFont(QGuiApplication.font())
    f.setPixelSize(pixel_size)
    f.setBold(bold)
    return f


def granularity(kind: str) -> str:
    """"neuron" for kinds wired one scalar at a time, else "layer" (also for unknown kinds)."""
    return registry.blocks.get(kind).granularity if kind in registry.blocks else "layer"


def kind_label(kind: str) -> str:
    return registry.blocks.get(kind).label if kind in registry.blocks else kind.title()


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def pretty_feature(feature: str) -> str:
    """'x1^2' → 'x1²', 'x1*x2' → 'x1·x2', 'sin(x1)' → 'sin x1': how a person writes it."""
    text = str(feature).strip()
    if "^" in text:
        head, _, power = text.rpartition("^")
        if power.strip().isdigit():
            text = head.strip() + power.strip().translate(_SUPERSCRIPTS)
    text = text.replace("*", "·")
    for fn in ("sin", "cos"):
        if text.startswith(fn + "(") and text.endswith(")"):
            text = f"{fn} {text[len(fn) + 1:-1].strip()}"
    return text


def format_number(value: float) -> str:
    """A short number with a true minus sign: 0.12, −1.5, 12.3, 1.2e+03."""
    if not math.isfinite(value):
        return str(value)
    a = abs(value)
    text = f"{value:.2f}" if a < 10 else f"{value:.1f}" if a < 1000 else f"{value:.1e}"
    return text.replace("-", "−")


GRADIENT_DECADES = 4  # the gradient colours span this many powers of ten below the largest


def gradient_strength(value: float, scale: float) -> float:
    """How strongly a gradient shows, 0…1, on a log scale: the largest (`scale`) is 1, each
    power of ten smaller a quarter less, and 10⁻⁴ of the largest or less 0 (still drawn faintly)."""
    if not value or not math.isfinite(value) or scale <= 0:
        return 0.0 if value == 0 or scale <= 0 else 1.0
    return min(1.0, max(0.0, 1.0 + math.log10(abs(value) / scale) / GRADIENT_DECADES))


def gradient_colour(value: float, scale: float) -> QColor:
    """A wire's colour for its gradient: the sign's hue, more opaque the larger it is on the log
    scale (a gradient of exactly zero: the faint grey of an unset wire)."""
    t = theme()
    if value == 0 or not math.isfinite(scale) or scale <= 0:
        return with_alpha(t.unset_wire, 110)
    colour = QColor(t.gradient_positive if value > 0 else t.gradient_negative)
    colour.setAlpha(int(round(40 + 215 * gradient_strength(value, scale))))
    return colour


def gradient_fill(value: float, scale: float) -> QColor:
    """A neuron's opaque fill for its gradient: the canvas's fill tinted by the sign's hue."""
    t = theme()
    if value == 0 or scale <= 0:
        return QColor(t.node_fill)
    hue = t.gradient_positive if value > 0 else t.gradient_negative
    return mix(t.node_fill, hue, 0.12 + 0.68 * gradient_strength(value, scale))


def activation_glyph(activation: object, params: object, width: float, height: float
                     ) -> tuple[QPainterPath, QPainterPath] | None:
    """The activation's curve over z ∈ [−3, 3] fitted to a box, and its axes; None if unknown."""
    if not isinstance(activation, str) or activation not in registry.activations:
        return None
    items = tuple(sorted(dict(params).items())) if isinstance(params, dict) else ()
    try:
        return _glyph(activation, items, float(width), float(height))
    except (TypeError, ValueError):  # parameters the activation refuses: no glyph
        return None


@lru_cache(maxsize=256)
def _glyph(activation: str, params: tuple, width: float, height: float
           ) -> tuple[QPainterPath, QPainterPath]:
    z = np.linspace(-3.0, 3.0, 61)
    y = probes.activation_values(activation, z, dict(params))  # softmax: its two-class S
    low, high = float(np.min(y)), float(np.max(y))
    low, high = min(low, 0.0), max(high, 0.0)  # the zero line always shows
    span = high - low if high - low > 1e-9 else 1.0

    def point(zv: float, yv: float) -> QPointF:
        return QPointF(zv / 3.0 * width / 2, height / 2 - (yv - low) / span * height)

    curve = QPainterPath(point(z[0], y[0]))
    for zv, yv in zip(z[1:], y[1:], strict=True):
        curve.lineTo(point(zv, yv))
    axes = QPainterPath(QPointF(-width / 2, point(0, 0.0).y()))
    axes.lineTo(QPointF(width / 2, point(0, 0.0).y()))
    axes.moveTo(QPointF(0, -height / 2))
    axes.lineTo(QPointF(0, height / 2))
    return curve, axes


def draw_glyph(painter: QPainter, glyph: tuple[QPainterPath, QPainterPath], width: float) -> None:
    """An activation glyph (curve, axes) around the painter's origin: faint axes, a bold curve."""
    t = theme()
    curve, axes = glyph
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(with_alpha(t.muted, 110), 0.8))
    painter.drawPath(axes)
    painter.setPen(QPen(t.glyph, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                        Qt.PenJoinStyle.RoundJoin))
    painter.drawPath(curve)
