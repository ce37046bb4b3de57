"""A small picture of a layered network from its weight matrices: neurons in columns, wires
coloured by sign (blue positive, orange negative, as on the canvas) and thickened by size."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui.panels.plot_style import PlotColours

RADIUS = 9.0
MARGIN_X = 34.0
MARGIN_Y = 16.0
CAPTION = 22.0


class NetworkDiagram(QWidget):
    """Columns of neurons joined by the weights of `kernels` (each inputs × outputs); with
    `numbers`, each wire carries its weight and the output its bias (for a single layer)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kernels: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        self.inputs: tuple[str, ...] = ()
        self.caption = ""
        self.numbers = False
        self.setMinimumSize(220, 170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_layers(self, kernels, biases, inputs: tuple[str, ...], caption: str,
                   numbers: bool = False) -> None:
        self.kernels = [np.asarray(k, dtype=np.float64) for k in kernels]
        self.biases = [np.asarray(b, dtype=np.float64) for b in biases]
        self.inputs, self.caption, self.numbers = inputs, caption, numbers
        self.update()

    def widths(self) -> list[int]:
        """Neurons per column, inputs first."""
        if not self.kernels:
            return []
        return [self.kernels[0].shape[0]] + [k.shape[1] for k in self.kernels]

    def _positions(self) -> list[list[QPointF]]:
        widths = self.widths()
        area = QRectF(self.rect()).adjusted(MARGIN_X, MARGIN_Y, -MARGIN_X, -MARGIN_Y - CAPTION)
        columns = []
        for i, count in enumerate(widths):
            x = area.left() + area.width() * (i / max(len(widths) - 1, 1))
            step = min(area.height() / max(count, 1), 46.0)
            top = area.center().y() - step * (count - 1) / 2
            columns.append([QPointF(x, top + step * j) for j in range(count)])
        return columns

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        c = PlotColours.from_palette()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), c.background)
        if not self.kernels:
            return
        columns = self._positions()
        largest = max(float(np.abs(k).max()) for k in self.kernels) or 1.0
        small = QFont(self.font())
        small.setPointSizeF(max(small.pointSizeF() * 0.85, 7.0))
        painter.setFont(small)
        for k, kernel in enumerate(self.kernels):
            for i, start in enumerate(columns[k]):
                for j, end in enumerate(columns[k + 1]):
                    self._wire(painter, c, start, end, float(kernel[i, j]), largest)
        if self.numbers:  # each weight beside its wire, above the upper ones, below the lower
            for k, kernel in enumerate(self.kernels):
                count = len(columns[k])
                for i, start in enumerate(columns[k]):
                    for j, end in enumerate(columns[k + 1]):
                        at = start + (end - start) * 0.42
                        shift = -12 if i < count / 2 else 12
                        self._text(painter, c.text, at + QPointF(0, shift),
                                   f"w = {kernel[i, j]:+.3f}")
        for k, column in enumerate(columns):
            for j, centre in enumerate(column):
                painter.setPen(QPen(c.text, 1.3))
                painter.setBrush(c.background)
                painter.drawEllipse(centre, RADIUS, RADIUS)
                if k == 0 and j < len(self.inputs):
                    self._text(painter, c.text, centre + QPointF(-RADIUS - 4, 0), self.inputs[j],
                               align="right")
        last = columns[-1]
        for j, centre in enumerate(last):
            self._text(painter, c.text, centre + QPointF(RADIUS + 4, 0),
                       "out" if len(last) == 1 else f"out{j + 1}", align="left")
            if self.numbers:
                self._text(painter, c.text, centre + QPointF(0, RADIUS + 12),
                           f"b = {self.biases[-1][j]:+.3f}")
        painter.setPen(c.muted)
        painter.drawText(QRectF(0, self.height() - CAPTION - 4, self.width(), CAPTION),
                         Qt.AlignmentFlag.AlignCenter, self.caption)
        painter.end()

    def _wire(self, painter: QPainter, c: PlotColours, start: QPointF, end: QPointF,
              weight: float, largest: float) -> None:
        colour = QColor(c.class_colour(1 if weight >= 0 else 0))
        share = abs(weight) / largest
        colour.setAlphaF(0.35 + 0.65 * share)
        painter.setPen(QPen(colour, 0.8 + 4.2 * share))
        painter.drawLine(start, end)

    @staticmethod
    def _text(painter: QPainter, colour: QColor, at: QPointF, text: str,
              align: str = "centre") -> None:
        """Text whose middle (its start for "left", its end for "right") is at `at`."""
        metrics = painter.fontMetrics()
        width, height = metrics.horizontalAdvance(text), metrics.height()
        x = {"left": at.x(), "right": at.x() - width}.get(align, at.x() - width / 2)
        box = QRectF(x - 2, at.y() - height / 2, width + 4, height)
        painter.setPen(colour)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
