"""The walkthrough's plot: the table's rows over two chosen inputs, by class, and the
perceptron's decision line there (the other inputs held), the row just presented ringed."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsPolygonItem

from core.learn.perceptron import INPUTS, SCORE_MAX, Perceptron, half_plane, line_segment, slice_line
from gui.panels.plot_style import PlotColours, style_plot

MARGIN = 0.6  # the plot shows scores from −MARGIN to 4 + MARGIN
BOX = (-MARGIN, SCORE_MAX + MARGIN, -MARGIN, SCORE_MAX + MARGIN)
SPREAD = 0.13  # rows that fall on the same spot are drawn this far apart
FILL_ALPHA = 38
NUMBER_OFFSET = 8  # px from a point to its row number's corner


def spread_duplicates(points: np.ndarray) -> np.ndarray:
    """Rows at the same spot moved apart on a small circle, so that each one shows."""
    out = np.array(points, dtype=np.float64)
    seen: dict[tuple[float, float], list[int]] = {}
    for k, p in enumerate(map(tuple, out)):
        seen.setdefault(p, []).append(k)
    for rows in seen.values():
        if len(rows) > 1:
            angles = np.linspace(0, 2 * np.pi, len(rows), endpoint=False) + np.pi / 4
            out[rows] += SPREAD * np.column_stack([np.cos(angles), np.sin(angles)])
    return out


class SlicePlot(pg.PlotWidget):
    """Items are made once; `draw` sets their data again."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("perceptron_plot")
        self.colours = PlotColours.from_palette()
        plot = self.getPlotItem()
        plot.setMouseEnabled(x=False, y=False)
        plot.setMenuEnabled(False)
        plot.setRange(xRange=BOX[:2], yRange=BOX[2:], padding=0)
        plot.disableAutoRange()
        self.go_fill = QGraphicsPolygonItem()
        self.stay_fill = QGraphicsPolygonItem()
        self.line = pg.PlotDataItem()
        self.points = pg.ScatterPlotItem(size=13, pxMode=True, symbol="o")
        self.wrong = pg.ScatterPlotItem(size=9, pxMode=True, symbol="x")
        self.ring = pg.ScatterPlotItem(size=26, pxMode=True, symbol="o")
        for z, item in enumerate((self.stay_fill, self.go_fill, self.line, self.points,
                                  self.wrong, self.ring)):
            item.setZValue(z)
            plot.addItem(item)
        self.numbers: list[pg.TextItem] = []
        self._spots = np.zeros((0, 2))
        plot.getViewBox().sigResized.connect(lambda _box: self._place_numbers())
        self.segment: tuple[tuple[float, float], tuple[float, float]] | None = None
        self._last: tuple | None = None
        self.restyle(self.colours)

    def draw(self, perceptron: Perceptron, X: np.ndarray, t: np.ndarray, axes: tuple[int, int],
             held: np.ndarray, presented: int | None) -> None:
        self._last = (perceptron, X, t, axes, held, presented)
        c = self.colours
        spots = spread_duplicates(X[:, axes])
        self.points.setData(pos=spots, brush=[pg.mkBrush(c.class_colour(int(k))) for k in t],
                            pen=pg.mkPen(c.background, width=1.2))
        wrong = perceptron.outputs(X) != t
        self.wrong.setData(pos=spots[wrong])
        if presented is None:
            self.ring.clear()
        else:
            self.ring.setData(pos=spots[presented:presented + 1])
        self._number(spots)
        line = slice_line(perceptron, axes, held)
        self.segment = line_segment(line, BOX)
        if self.segment is None:
            self.line.setData([], [])
        else:
            (x0, y0), (x1, y1) = self.segment
            self.line.setData([x0, x1], [y0, y1])
        go = half_plane(line, BOX)
        stay = half_plane(tuple(-v for v in line), BOX)
        self.go_fill.setPolygon(QPolygonF([QPointF(x, y) for x, y in go]))
        self.stay_fill.setPolygon(QPolygonF([QPointF(x, y) for x, y in stay]))
        style_plot(self.getPlotItem(), c, INPUTS[axes[0]], INPUTS[axes[1]], grid=True)
        for name in ("bottom", "left"):
            self.getPlotItem().getAxis(name).setTicks([[(k, str(k)) for k in range(SCORE_MAX + 1)]])

    def _number(self, spots: np.ndarray) -> None:
        """Each row's number beside its point (items made again only when the count changes)."""
        plot = self.getPlotItem()
        if len(self.numbers) != len(spots):
            for item in self.numbers:
                plot.removeItem(item)
            self.numbers = [pg.TextItem(str(k + 1), anchor=(0, 1)) for k in range(len(spots))]
            for item in self.numbers:
                item.setZValue(6)
                plot.addItem(item)
        self._spots = spots
        for item in self.numbers:
            item.setColor(self.colours.muted)
        self._place_numbers()

    def _place_numbers(self) -> None:
        """Up and right of each point, clear of the ring, by a number of pixels."""
        px, py = self.getPlotItem().getViewBox().viewPixelSize()
        for item, (x, y) in zip(self.numbers, self._spots, strict=True):
            item.setPos(x + NUMBER_OFFSET * px, y + NUMBER_OFFSET * py)

    def restyle(self, colours: PlotColours) -> None:
        self.colours = colours
        self.setBackground(colours.background)
        for fill, k in ((self.go_fill, 1), (self.stay_fill, 0)):
            colour = QColor(colours.class_colour(k))
            colour.setAlpha(FILL_ALPHA - (10 if colours.dark else 0))
            fill.setBrush(QBrush(colour))
            fill.setPen(QPen(Qt.PenStyle.NoPen))
        self.line.setPen(pg.mkPen(colours.text, width=2.5))
        self.wrong.setPen(pg.mkPen(colours.text, width=2))
        self.wrong.setBrush(QBrush(Qt.BrushStyle.NoBrush))
        self.ring.setPen(pg.mkPen(colours.ring, width=2.5))
        self.ring.setBrush(QBrush(Qt.BrushStyle.NoBrush))
        if self._last is not None:
            self.draw(*self._last)
