"""The loss landscape seen from above: filled contours with contour lines, a colour bar, the path
gradient descent took and the point where the weights are now. Items are made once, set after."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QVBoxLayout, QWidget

from core.training.landscape import Surface
from gui.panels.plot_style import LUT_SIZE, PlotColours, style_plot

LEVELS = 12  # contour lines over the surface's range
DOTS = 400  # a path of more points than this is drawn as a line alone
LOG_RATIO = 30.0  # a surface whose highest loss is this many times its lowest is coloured by log


def path_colour(colours: PlotColours) -> QColor:
    return QColor("#ff5c8a") if colours.dark else QColor("#d6246e")


def display_scale(loss: np.ndarray) -> tuple[np.ndarray, float, float, bool]:
    """(values to colour, their low and high, whether they are log₁₀ of the loss): a non-finite
    loss (it overflowed) takes the highest colour; a loss spanning decades is shown by its log."""
    finite = np.isfinite(loss)
    if not finite.any():
        return np.zeros_like(loss), 0.0, 1.0, False
    lo, hi = float(loss[finite].min()), float(loss[finite].max())
    log = lo > 0 and hi / lo > LOG_RATIO
    values = np.where(finite, loss, hi)
    if log:
        values, lo, hi = np.log10(values), float(np.log10(lo)), float(np.log10(hi))
    least = 1e-12 * max(1.0, abs(lo))  # a flat surface (1e-12 is nothing next to a loss of 1e30)
    if not hi - lo >= least:
        hi = lo + least
    return values, lo, hi, log


def colour_image(values: np.ndarray, lo: float, hi: float, table: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):  # what is no number at all takes the highest colour
        index = np.clip(((values - lo) / (hi - lo) * (LUT_SIZE - 1)).round(), 0, LUT_SIZE - 1)
    return table[np.nan_to_num(index, nan=LUT_SIZE - 1).astype(int)]


class ContourView(QWidget):
    """The surface as an image (one pixel per grid point, centred on it), LEVELS isocurves, and the
    path and the marked point on top, with the loss's colour bar to the right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colours = PlotColours.from_palette()
        self.surface: Surface | None = None
        self.levels: list[float] = []  # the contour lines' levels (in the coloured values)
        self.log = False
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self.plots.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)  # smooth colours
        self.plots.ci.setContentsMargins(2, 4, 4, 2)
        self.plot = self.plots.addPlot(row=0, col=0)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMenuEnabled(False)
        self.plot.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.isocurves = [pg.IsocurveItem(axisOrder="row-major") for _ in range(LEVELS)]
        for curve in self.isocurves:
            curve.setParentItem(self.image)  # in the image's pixels: each pixel centred on its point
        self.path = pg.PlotDataItem(symbol="o", symbolSize=4)
        self.path.setZValue(10)
        self.start = pg.ScatterPlotItem(size=11)
        self.start.setZValue(11)
        self.mark = pg.ScatterPlotItem(size=13)
        self.mark.setZValue(12)
        for item in (self.path, self.start, self.mark):
            self.plot.addItem(item)
        self.bar = self.plots.addPlot(row=0, col=1)
        self.bar.setMouseEnabled(x=False, y=False)
        self.bar.setMenuEnabled(False)
        self.bar.showAxis("right")
        self.bar.setFixedWidth(50)
        self.bar_image = pg.ImageItem(axisOrder="row-major")
        self.bar.addItem(self.bar_image)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plots)
        self.set_colours(self.colours)

    # ------------------------------------------------------------------ look
    def set_colours(self, colours: PlotColours) -> None:
        self.colours = colours
        self.plots.setBackground(colours.background)
        x_label = self.plot.getAxis("bottom").labelText
        y_label = self.plot.getAxis("left").labelText
        style_plot(self.plot, colours, x_label, y_label, grid=False)
        style_plot(self.bar, colours, "", "", grid=False)
        for name in ("bottom", "left"):  # style_plot put in new ones, shown: the bar keeps its right one
            self.bar.hideAxis(name)
        bar_axis = self.bar.getAxis("right")
        bar_axis.setPen(pg.mkPen(colours.muted))
        bar_axis.setTextPen(pg.mkPen(colours.text))
        bar_axis.setStyle(tickFont=self.plot.getAxis("left").style["tickFont"], tickLength=-4)
        bar_axis.setLabel("loss", color=colours.muted.name())
        line = QColor(colours.text)
        line.setAlphaF(0.45)
        for curve in self.isocurves:
            curve.setPen(pg.mkPen(line, width=1))
        colour = path_colour(colours)
        self.path.setPen(pg.mkPen(colour, width=2))
        self.path.setSymbolPen(pg.mkPen(colour))
        self.path.setSymbolBrush(pg.mkBrush(colour))
        self.start.setPen(pg.mkPen(colours.ring, width=1.5))
        self.start.setBrush(pg.mkBrush(colours.background))
        self.mark.setPen(pg.mkPen(colours.ring, width=2))
        self.mark.setBrush(pg.mkBrush(colour))
        if self.surface is not None:
            self._paint()

    def set_labels(self, x_label: str, y_label: str) -> None:
        style_plot(self.plot, self.colours, x_label, y_label, grid=False)

    # ------------------------------------------------------------------ data
    def show_surface(self, surface: Surface) -> None:
        self.surface = surface
        self._paint()

    def _paint(self) -> None:
        s = self.surface
        values, lo, hi, self.log = display_scale(s.loss)
        self.image.setImage(colour_image(values, lo, hi, self.colours.value_table()), autoLevels=False)
        dx = (s.xs[-1] - s.xs[0]) / (len(s.xs) - 1)
        dy = (s.ys[-1] - s.ys[0]) / (len(s.ys) - 1)
        self.image.setRect(QRectF(s.xs[0] - dx / 2, s.ys[0] - dy / 2, len(s.xs) * dx, len(s.ys) * dy))
        self.levels = list(np.linspace(lo, hi, LEVELS + 2)[1:-1])
        for curve, level in zip(self.isocurves, self.levels, strict=True):
            curve.setData(values, level)
        self.plot.setRange(xRange=(s.xs[0], s.xs[-1]), yRange=(s.ys[0], s.ys[-1]), padding=0.02)
        ramp = np.linspace(0, 1, LUT_SIZE)[:, None]
        self.bar_image.setImage(colour_image(ramp, 0, 1, self.colours.value_table()), autoLevels=False)
        self.bar_image.setRect(QRectF(0, lo, 1, hi - lo))
        self.bar.setLogMode(False, self.log)
        self.bar.setRange(xRange=(0, 1), yRange=(lo, hi), padding=0)

    def clear(self) -> None:
        self.surface = None
        self.image.clear()
        self.bar_image.clear()
        for curve in self.isocurves:
            curve.setData(None)
        self.show_path(np.zeros(0), np.zeros(0))
        self.show_mark(None)

    def show_path(self, xs: np.ndarray, ys: np.ndarray) -> None:
        self.path.setData(xs, ys, symbol="o" if len(xs) <= DOTS else None)
        self.start.setData(xs[:1], ys[:1])

    def show_mark(self, point: tuple[float, float] | None) -> None:
        self.mark.setData([] if point is None else [point[0]],
                          [] if point is None else [point[1]])


__all__ = ["ContourView", "display_scale", "path_colour"]
