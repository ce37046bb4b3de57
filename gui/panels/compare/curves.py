"""The comparison's loss curves, overlaid: each variant's train loss (solid) and test loss
(dashed) in its own colour, the curve under the mouse (or the table's row) drawn thick and the
others faded; the curves are made once per comparison and set again as epochs come."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor

from gui.panels.compare.table import VariantRecord
from gui.panels.plot_style import PlotColours, style_plot

HOVER_PIXELS = 8  # the mouse this close to a curve picks it
FADED = 60  # the alpha of the other curves while one is highlighted
WIDTH = 1.0  # a curve's pen: one pixel wide is drawn several times faster than a wider one
# (measured: the 32 curves of 16 variants at 500 epochs, painted in 26 ms against 65 ms at 1.6),
# which a comparison redraws many times a second; the highlighted curve is drawn thick


class CompareCurves(pg.PlotWidget):
    """Train and test loss of every variant over the epochs."""

    hovered = Signal(object)  # the variant index under the mouse, or None

    def __init__(self, colours: PlotColours) -> None:
        super().__init__()
        self.setObjectName("compare_curves")
        self.colours = colours
        self.records: list[VariantRecord] = []
        self.curves: list[tuple[pg.PlotCurveItem, pg.PlotCurveItem]] = []
        self.highlighted: int | None = None
        plot = self.getPlotItem()
        plot.setMouseEnabled(x=False, y=False)
        plot.setMenuEnabled(False)
        self.setMinimumSize(220, 140)
        self.scene().sigMouseMoved.connect(self._mouse_moved)
        self.apply_colours(colours)

    def set_records(self, records: list[VariantRecord]) -> None:
        plot = self.getPlotItem()
        for train, test in self.curves:
            plot.removeItem(train)
            plot.removeItem(test)
        self.records, self.highlighted = records, None
        self.curves = [(pg.PlotCurveItem(connect="finite"), pg.PlotCurveItem(connect="finite"))
                       for _ in records]  # curves, not PlotDataItems: half the cost to set
        for train, test in self.curves:
            plot.addItem(train)
            plot.addItem(test)
        self._drawn: list[int | None] = [None] * len(records)  # the epochs each curve shows
        self._columns = [_Columns() for _ in records]
        self._pens()
        self.redraw()

    def redraw(self) -> None:
        for n, (record, (train, test)) in enumerate(zip(self.records, self.curves, strict=True)):
            if self._drawn[n] == len(record.history):  # nothing new (finished, diverged)
                continue
            self._drawn[n] = len(record.history)
            epochs, train_loss, test_loss = self._columns[n].of(record.history)
            train.setData(epochs, train_loss)
            test.setData(epochs, test_loss)
        box = self.getPlotItem().getViewBox()
        box.prepareForPaint()  # the new range now: the axes follow in the same paint, not another

    def highlight(self, index: int | None) -> None:
        if index != self.highlighted:
            self.highlighted = index
            self._pens()

    def _pens(self) -> None:
        for record, (train, test) in zip(self.records, self.curves, strict=True):
            colour = QColor(record.colour)
            on = self.highlighted == record.index
            if self.highlighted is not None and not on:
                colour.setAlpha(FADED)
            width = 3.2 if on else WIDTH
            train.setPen(pg.mkPen(colour, width=width))
            test.setPen(pg.mkPen(colour, width=width, style=Qt.PenStyle.DashLine))
            for curve in (train, test):
                curve.setZValue(10 if on else 0)

    def apply_colours(self, colours: PlotColours) -> None:
        self.colours = colours
        self.setBackground(colours.background)
        style_plot(self.getPlotItem(), colours, "epoch", "loss", grid=True)
        self._pens()

    def _mouse_moved(self, position) -> None:
        plot = self.getPlotItem()
        box = plot.getViewBox()
        if not self.records or not box.sceneBoundingRect().contains(position):
            self.hovered.emit(None)
            return
        point = box.mapSceneToView(position)
        x_pixel, y_pixel = box.viewPixelSize()
        best, best_distance = None, HOVER_PIXELS
        for record in self.records:
            if not record.history:
                continue
            epochs = np.array([h["epoch"] for h in record.history], dtype=np.float64)
            nearest = int(np.argmin(np.abs(epochs - point.x())))
            if abs(epochs[nearest] - point.x()) / x_pixel > 3 * HOVER_PIXELS:
                continue
            for key in ("train_loss", "test_loss"):
                value = record.history[nearest].get(key)
                if value is None or not np.isfinite(value):
                    continue
                distance = abs(value - point.y()) / y_pixel
                if distance < best_distance:
                    best, best_distance = record.index, distance
        self.hovered.emit(best)


class _Columns:
    """A variant's epochs, train and test loss as arrays, grown as its history grows (a history
    that is not the one before plus new epochs, after a reset, is read again)."""

    def __init__(self) -> None:
        self.history: list | None = None
        self.rows = np.empty((0, 3))

    def of(self, history: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = len(self.rows)
        if history is not self.history or len(history) < n:
            self.history, n, self.rows = history, 0, np.empty((0, 3))
        if len(history) > n:
            new = np.array([(h["epoch"], _number(h.get("train_loss")), _number(h.get("test_loss")))
                            for h in history[n:]], dtype=np.float64)
            self.rows = np.concatenate([self.rows, new])
        return self.rows[:, 0], self.rows[:, 1], self.rows[:, 2]


def _number(value) -> float:
    return np.nan if value is None else value
