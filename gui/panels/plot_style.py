"""How the panels' plots look in the light or dark palette: colours, axes and colour tables."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPalette
from PySide6.QtWidgets import QApplication

# One colour per class, (light, dark). Class 0 orange and class 1 blue, as the canvas draws
# negative and positive weights and as TensorFlow Playground draws its two classes.
_CLASS_COLOURS = (
    ((232, 118, 30), (255, 150, 70)),
    ((40, 110, 220), (90, 150, 255)),
    ((46, 160, 67), (90, 200, 110)),
    ((148, 80, 190), (190, 130, 240)),
    ((214, 39, 40), (250, 95, 90)),
    ((0, 150, 136), (60, 200, 185)),
    ((140, 86, 75), (190, 140, 120)),
    ((214, 90, 170), (245, 150, 210)),
)
HEAT_STRENGTH = 0.62  # how far the heatmap goes from the background toward a class colour
LUT_SIZE = 256


@lru_cache(maxsize=1)
def _viridis() -> np.ndarray:
    """(LUT_SIZE, 3) float RGB 0..255 of the viridis colour map (read once)."""
    return pg.colormap.get("viridis").getLookupTable(0.0, 1.0, LUT_SIZE, alpha=False).astype(np.float64)


def _mix(a: np.ndarray, b: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    return a + (b - a) * t


@dataclass(frozen=True)
class PlotColours:
    """The colours of the panels' plots for one application palette."""

    dark: bool
    background: QColor
    text: QColor
    muted: QColor
    grid_alpha: float
    train: QColor
    test: QColor
    ring: QColor
    classes: np.ndarray  # (8, 3) float RGB 0..255, one row per class (cycled beyond 8)

    @classmethod
    def from_palette(cls, palette: QPalette | None = None) -> PlotColours:
        palette = palette or QApplication.palette()
        background = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        dark = background.lightness() < 128
        muted = QColor.fromRgbF(*(a + (b - a) * 0.45 for a, b in
                                  zip(text.getRgbF()[:3], background.getRgbF()[:3], strict=True)))
        classes = np.array([c[1 if dark else 0] for c in _CLASS_COLOURS], dtype=np.float64)
        return cls(dark=dark, background=background, text=text, muted=muted,
                   grid_alpha=0.12 if dark else 0.1,
                   train=QColor(*_CLASS_COLOURS[1][1 if dark else 0]),
                   test=QColor(*_CLASS_COLOURS[0][1 if dark else 0]),
                   ring=QColor("#ffffff") if dark else QColor("#111111"),
                   classes=classes)

    @property
    def background_rgb(self) -> np.ndarray:
        return np.array(self.background.getRgb()[:3], dtype=np.float64)

    def class_colour(self, k: int) -> QColor:
        r, g, b = self.classes[k % len(self.classes)]
        return QColor(int(r), int(g), int(b))

    def class_table(self, count: int) -> np.ndarray:
        """(count, 3) float RGB: the class colours, cycled."""
        return self.classes[np.arange(count) % len(self.classes)]

    def diverging_table(self) -> np.ndarray:
        """(LUT_SIZE, 3) uint8: class 0's colour at index 0, the background at the middle,
        class 1's colour at the end (the binary boundary and the neurons' maps)."""
        t = np.linspace(-1.0, 1.0, LUT_SIZE)[:, None]
        bg = self.background_rgb
        low = _mix(bg, self.classes[0], -t * HEAT_STRENGTH)
        high = _mix(bg, self.classes[1], t * HEAT_STRENGTH)
        return np.where(t < 0, low, high).round().astype(np.uint8)

    def value_table(self) -> np.ndarray:
        """(LUT_SIZE, 3) uint8: a perceptually even colour map for a predicted value."""
        softened = _mix(self.background_rgb, _viridis(), 0.55)  # paler: the points stand out
        return softened.round().astype(np.uint8)

    def value_colours(self, fractions: np.ndarray) -> list[QColor]:
        """Full-strength colour-map colours for values already scaled to 0..1 (the points)."""
        table = _viridis()
        idx = np.clip((np.asarray(fractions) * (LUT_SIZE - 1)).round(), 0, LUT_SIZE - 1).astype(int)
        return [QColor(int(r), int(g), int(b)) for r, g, b in table[idx]]


class SpacedAxis(pg.AxisItem):
    """An axis whose labelled ticks never run together ("0.20.40.60.8" on a narrow plot): the
    labelled spacing grows (1, 2, 5 × 10ⁿ) until each label has its own room; the finer ticks
    between them stay unlabelled."""

    GAP = 8  # pixels between two labels at least

    def tickSpacing(self, minVal: float, maxVal: float, size: float):  # noqa: N802, N803 - pyqtgraph's
        levels = super().tickSpacing(minVal, maxVal, size)
        span = abs(maxVal - minVal)
        if not levels or size <= 0 or not np.isfinite(span) or span == 0:
            return levels
        metrics = QFontMetrics(self.style["tickFont"] or QFont())
        major = levels[0][0]
        for _ in range(12):  # a few steps of 1, 2, 5 reach any room needed
            if size * major / span >= self._label_extent(metrics, minVal, maxVal, major) + self.GAP:
                break
            digits = major / 10 ** np.floor(np.log10(major))
            major *= 2.5 if round(digits) == 2 else 2
        if major == levels[0][0]:
            return levels
        lead = round(major / 10 ** np.floor(np.log10(major)))  # 1, 2 or 5
        return [(major, 0), (major / (4 if lead == 2 else 5), 0)]

    def _label_extent(self, metrics: QFontMetrics, low: float, high: float, spacing: float) -> float:
        if self.orientation in ("left", "right"):
            return metrics.height()
        low, high = min(low, high), max(low, high)
        values = list(np.arange(np.ceil(low / spacing), np.floor(high / spacing) + 1) * spacing)[:50]
        texts = self.tickStrings(values, self.autoSIPrefixScale * self.scale, spacing) if values else []
        return max((metrics.horizontalAdvance(text) for text in texts), default=0)


def style_plot(plot: pg.PlotItem, colours: PlotColours, x_label: str, y_label: str,
               grid: bool = True) -> None:
    """Axes, labels and grid in the palette's colours (called again when the palette changes);
    the axes' labels never run together (SpacedAxis)."""
    small = QFont()
    small.setPointSizeF(max(small.pointSizeF() * 0.85, 7.0))
    for name, label in (("bottom", x_label), ("left", y_label)):
        if not isinstance(plot.getAxis(name), SpacedAxis):
            plot.setAxisItems({name: SpacedAxis(name)})
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(colours.muted))
        axis.setTextPen(pg.mkPen(colours.text))
        axis.setStyle(tickFont=small, tickLength=-4, maxTextLevel=0)
        axis.setTickFont(small)
        axis.enableAutoSIPrefix(False)
        axis.setLabel(label, color=colours.muted.name(), **{"font-size": f"{small.pointSizeF():.0f}pt"})
    plot.showGrid(x=grid, y=grid, alpha=colours.grid_alpha)
    plot.hideButtons()


class FollowsPlotColours:
    """Mixed in (before the Qt class) by a widget that draws in PlotColours (`self.colours`): when
    the application's palette changes — light to dark — it takes the new colours and calls
    `colours_changed()`."""

    colours: PlotColours

    def colours_changed(self) -> None:
        raise NotImplementedError

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            colours = PlotColours.from_palette()
            if (colours.background, colours.text) != (self.colours.background, self.colours.text):
                self.colours = colours
                self.colours_changed()
        super().changeEvent(event)
