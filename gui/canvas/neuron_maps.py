"""Neuron maps on the canvas: each neuron's output over the input plane as a small picture, coloured
by a diverging table (orange below the activation's centre, blue above) fitted to its range."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QPainterPath, QPen

from core.design import registry
from core.training import probes
from gui.canvas import style

LEVELS = 255  # colours in the table (odd: the centre has its own, the node's fill)


@lru_cache(maxsize=64)
def _bounds(activation: str, params: tuple) -> tuple[float, float] | None:
    """The activation's (lowest, highest) output when it saturates on both sides, else None
    (core.training.probes computes it; kept here per activation and parameters)."""
    return probes.activation_range(activation, dict(params))


def scale_for(activation: object, params: object) -> tuple[float, float] | None:
    """(centre, half span) the colours spread over: a bounded activation's own range — around 0
    when it crosses 0 (tanh), around its middle when it does not (sigmoid: 0.5 ± 0.5); None for an
    unbounded one (ReLU …), whose maps are scaled to their own largest |value| around 0."""
    if not isinstance(activation, str) or activation not in registry.activations:
        return None
    items = tuple(sorted(dict(params).items())) if isinstance(params, dict) else ()
    bounds = _bounds(activation, items)
    if bounds is None:
        return None
    low, high = bounds
    if high - low < 1e-9:
        return None
    if low < 0 < high:
        return 0.0, max(-low, high)
    return (low + high) / 2, (high - low) / 2


def _table(theme: style.Theme) -> np.ndarray:
    """(LEVELS, 4) RGBA: negative colour → the node's fill → positive colour."""
    ends = np.array([theme.negative.getRgb(), theme.node_fill.getRgb(), theme.positive.getRgb()],
                    dtype=float)
    t = np.linspace(-1.0, 1.0, LEVELS)[:, None]
    low = ends[1] + (ends[0] - ends[1]) * np.clip(-t, 0, 1)
    high = ends[1] + (ends[2] - ends[1]) * np.clip(t, 0, 1)
    table = np.where(t < 0, low, high).round().astype(np.uint8)
    table[:, 3] = 255
    return table


_tables: dict[int, tuple[style.Theme, np.ndarray]] = {}


def colour_table() -> np.ndarray:
    """The table for the current theme as (LEVELS,) uint32 words holding the RGBA bytes in order
    (made again once the theme changes)."""
    theme = style.theme()
    cached = _tables.get(id(theme))
    if cached is None or cached[0] is not theme:
        _tables.clear()
        cached = _tables[id(theme)] = (theme, np.ascontiguousarray(_table(theme)).view(np.uint32)[:, 0])
    return cached[1]


@dataclass(frozen=True)
class NeuronMap:
    """One neuron's map: its values (row j = y, column i = x) and the picture drawn of them."""

    values: np.ndarray
    image: QImage
    pixels: np.ndarray  # (h, w) uint32: the RGBA bytes the image reads (kept alive with it)

    @property
    def rgba(self) -> np.ndarray:
        """The picture's pixels as (h, w, 4) bytes, top row first."""
        return self.pixels.view(np.uint8).reshape(*self.pixels.shape, 4)

    @classmethod
    def make(cls, values: np.ndarray, node_params: Mapping) -> NeuronMap:
        """The picture of `values` for a neuron with these params (its activation sets the scale)."""
        v = np.asarray(values, dtype=np.float32)
        if not np.isfinite(v).all():
            v = np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0)
        scale = scale_for(node_params.get("activation"), node_params.get("activation_params", {}))
        centre, half = scale if scale is not None else (0.0, float(np.abs(v).max()) if v.size else 0.0)
        middle = (LEVELS - 1) / 2
        step = middle / half if half > 1e-12 and math.isfinite(half) else 0.0
        index = (v - centre) * step + middle
        np.clip(index, 0, LEVELS - 1, out=index)
        # y grows upward on the plane and downward in an image: the first row goes to the bottom
        pixels = np.take(colour_table(), np.rint(index[::-1]).astype(np.intp))  # (h, w) RGBA words
        h, w = pixels.shape
        image = QImage(pixels.data, w, h, 4 * w, QImage.Format.Format_RGBA8888)
        return cls(v, image, pixels)


def paint(painter: QPainter, neuron_map: NeuronMap, radius: float, border: QPen) -> None:
    """The map filling a circle of `radius` around the origin, with its outline on top."""
    circle = QPainterPath()
    circle.addEllipse(QPointF(0, 0), radius, radius)
    painter.save()
    painter.setClipPath(circle)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    painter.drawImage(QRectF(-radius, -radius, 2 * radius, 2 * radius), neuron_map.image)
    painter.restore()
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(border)
    painter.drawPath(circle)


def show(items: Iterable, maps: Mapping[str, np.ndarray] | None) -> None:
    """Give each neuron item its map from `maps` (node id → values), or take it away."""
    maps = maps or {}
    for item in items:
        if hasattr(item, "set_map"):
            item.set_map(maps.get(item.node_id))
