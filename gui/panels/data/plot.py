"""The data panel's plot: a data set's points, training filled and test hollow, and painting on a
painted set (a click adds a point, a right-drag or a drag with the eraser rubs points out)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QWidget

from core.data import painted
from gui.panels.plot_style import PlotColours, style_plot

POINT_SIZE = 7
ERASER_PX = 12  # the eraser's radius on the screen
VALUE_SHADES = 64  # a regression's points: values in this many shades of the colour map
PAINT_RANGE = (-6.0, 6.0)  # the plane a painting starts on, on both axes (the playground's)


@dataclass(frozen=True)
class Shown:
    """What the plot draws: two-dimensional rows, their targets and the train/test split."""

    X: np.ndarray  # (n, 2)
    y: np.ndarray  # classes (n,) or values (n, 1)
    task: str
    num_classes: int
    train: np.ndarray  # row indices
    test: np.ndarray
    feature_names: tuple[str, str] = ("x1", "x2")
    ids: np.ndarray | None = None  # a painted set: each row's index in its list of points


class _Points(pg.ScatterPlotItem):
    """Points that leave every click to the plot (a click on a point paints beside it)."""

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph's override
        ev.ignore()


class _PaintBox(pg.ViewBox):
    """The view box, which hands clicks and drags to the plot first while painting."""

    def __init__(self) -> None:
        super().__init__()
        self.owner: PointsPlot | None = None

    def mouseClickEvent(self, ev) -> None:  # noqa: N802
        if self.owner is None or not self.owner.take_click(ev):
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: N802
        if self.owner is None or not self.owner.take_drag(ev):
            super().mouseDragEvent(ev, axis)


class PointsPlot(pg.PlotWidget):
    """The points of a data set; with painting on, `point_clicked(x1, x2)` for a left click and
    `erased([indices])` once per click or drag of the eraser (the points' indices in the list)."""

    point_clicked = Signal(float, float)
    erased = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        box = _PaintBox()
        super().__init__(parent, viewBox=box)
        box.owner = self
        self.box = box
        self.colours = PlotColours.from_palette()
        self.painting = False
        self.eraser = False  # the left button erases too
        self.shown: Shown | None = None
        self._erasing: set[int] = set()
        self.setMouseEnabled(x=False, y=False)
        self.setMenuEnabled(False)
        self.setAspectLocked(True)
        self.test_points = _Points(size=POINT_SIZE, pxMode=True, symbol="o")
        self.train_points = _Points(size=POINT_SIZE, pxMode=True, symbol="o")
        self.eraser_ring = _Points(size=2 * ERASER_PX, pxMode=True, symbol="o")
        for z, item in enumerate((self.test_points, self.train_points, self.eraser_ring)):
            item.setZValue(z)
            self.addItem(item)
        self.apply_colours()

    # ------------------------------------------------------------------ drawing
    def show_points(self, shown: Shown | None, reset_range: bool = False) -> None:
        """Draw these rows (None: nothing) and, with reset_range, fit the view to them."""
        self.shown = shown
        self._erasing = set()
        self.eraser_ring.clear()
        self._draw()
        if reset_range:
            self.fit()

    def fit(self) -> None:
        """The whole data set in view; a painting's plane is at least the playground's."""
        s = self.shown
        # in float64: a CSV file's float32 numbers would overflow pyqtgraph's range arithmetic
        lo = np.array([np.inf, np.inf]) if s is None or not len(s.X) else s.X.min(axis=0).astype(float)
        hi = -lo if s is None or not len(s.X) else s.X.max(axis=0).astype(float)
        if self.painting or s is None or not len(s.X):
            lo, hi = np.minimum(lo, PAINT_RANGE[0]), np.maximum(hi, PAINT_RANGE[1])
        self.setRange(xRange=(lo[0], hi[0]), yRange=(lo[1], hi[1]), padding=0.04)

    def _draw(self) -> None:
        s, c = self.shown, self.colours
        if s is None:
            self.train_points.clear()
            self.test_points.clear()
            return
        style_plot(self.getPlotItem(), c, *s.feature_names)
        outline = pg.mkPen(c.background, width=1)
        keys, colours = self._colour_keys()
        # one brush or pen per colour, shared by its points: pyqtgraph draws each style once
        brushes = [pg.mkBrush(k) for k in colours]
        pens = [pg.mkPen(k, width=1.6) for k in colours]
        for item, rows, filled in ((self.train_points, s.train, True),
                                   (self.test_points, s.test, False)):
            rows = np.asarray(rows, dtype=np.intp)
            if self._erasing and s.ids is not None:
                rows = rows[~np.isin(s.ids[rows], list(self._erasing))]
            if filled:
                item.setData(pos=s.X[rows], brush=[brushes[k] for k in keys[rows]], pen=outline)
            else:
                item.setData(pos=s.X[rows], brush=QBrush(Qt.BrushStyle.NoBrush),
                             pen=[pens[k] for k in keys[rows]])

    def _colour_keys(self) -> tuple[np.ndarray, list]:
        """Each row's colour as an index into a short list of colours."""
        s = self.shown
        if s.task == "regression":
            values = np.asarray(s.y, dtype=np.float64).reshape(len(s.y), -1)[:, 0]
            if not len(values):
                return np.zeros(0, dtype=np.intp), []
            span = max(float(np.ptp(values)), 1e-12)
            keys = np.rint((values - values.min()) / span * (VALUE_SHADES - 1)).astype(np.intp)
            return keys, self.colours.value_colours(np.linspace(0.0, 1.0, VALUE_SHADES))
        k = max(s.num_classes, 2, int(np.max(s.y)) + 1 if len(s.y) else 0)
        return np.asarray(s.y, dtype=np.intp), [self.colours.class_colour(j) for j in range(k)]

    def apply_colours(self) -> None:
        """Everything coloured from the palette (at the start and when light ↔ dark changes)."""
        self.colours = c = PlotColours.from_palette()
        self.setBackground(c.background)
        names = self.shown.feature_names if self.shown is not None else ("x1", "x2")
        style_plot(self.getPlotItem(), c, *names)
        self.eraser_ring.setPen(pg.mkPen(c.ring, width=1.5, style=Qt.PenStyle.DashLine))
        self.eraser_ring.setBrush(QBrush(Qt.BrushStyle.NoBrush))
        self._draw()

    # ------------------------------------------------------------------ painting
    def set_painting(self, on: bool) -> None:
        self.painting = on
        self.viewport().setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)

    def set_eraser(self, on: bool) -> None:
        self.eraser = on

    def data_point(self, scene_pos: QPointF) -> QPointF:
        """Where a scene position lies in data coordinates."""
        return self.box.mapSceneToView(scene_pos)

    def _erases(self, button: Qt.MouseButton) -> bool:
        return button == Qt.MouseButton.RightButton or (
            button == Qt.MouseButton.LeftButton and self.eraser)

    def take_click(self, ev) -> bool:
        """A click while painting: add a point, or erase those under the pointer."""
        if not self.painting:
            return False
        if self._erases(ev.button()):
            ev.accept()
            gone = self._under(ev.scenePos(), ev.scenePos())
            if gone:
                self.erased.emit(sorted(gone))
            return True
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            pos = self.data_point(ev.scenePos())
            self.point_clicked.emit(pos.x(), pos.y())
            return True
        return False

    def take_drag(self, ev) -> bool:
        """An eraser's drag: the points it passes over vanish at once and go as one edit at the end."""
        if not (self.painting and self._erases(ev.button())):
            return False
        ev.accept()
        if ev.isStart():
            self._erasing = set()
        self._erasing |= self._under(ev.lastScenePos(), ev.scenePos())
        here = self.data_point(ev.scenePos())
        if ev.isFinish():
            gone, self._erasing = sorted(self._erasing), set()
            self.eraser_ring.clear()
            if gone:
                self.erased.emit(gone)  # the design redraws the plot
            else:
                self._draw()
        else:
            self.eraser_ring.setData(pos=[(here.x(), here.y())])
            self._draw()
        return True

    def _under(self, start: QPointF, end: QPointF) -> set[int]:
        """The painted points within the eraser's radius of the segment start → end (scene)."""
        s = self.shown
        if s is None or s.ids is None or not len(s.X):
            return set()
        px_x, px_y = self.box.viewPixelSize()
        steps = max(1, math.ceil(math.hypot(end.x() - start.x(), end.y() - start.y())
                                 / (ERASER_PX / 2)))
        found: set[int] = set()
        for t in np.linspace(0.0, 1.0, steps + 1):
            p = self.data_point(start + (end - start) * float(t))
            rows = painted.points_near(s.X, p.x(), p.y(), ERASER_PX * px_x, ERASER_PX * px_y)
            found.update(int(i) for i in s.ids[rows])
        return found
