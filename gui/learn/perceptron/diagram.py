"""The walkthrough's picture of the perceptron: the inputs with their scores, wires labelled and
thickened by weight, the neuron with its sum and its test, the decision out of it; with the bias
drawn as one more input that is always 1."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from core.learn.perceptron import CLASSES, INPUTS, number, weighted_sum
from gui.panels.plot_style import PlotColours

INPUT_RADIUS = 15
NEURON_RADIUS = 40
MAX_STEP = 58  # px between two inputs' centres


class PerceptronDiagram(QWidget):
    """Painted from `inputs` (gui.learn.perceptron.decision.CricketInputs) on every change."""

    def __init__(self, inputs, with_bias: bool) -> None:
        super().__init__()
        self.inputs = inputs
        self.with_bias = with_bias
        self.colours = PlotColours.from_palette()
        self.setObjectName("perceptron_bias_diagram" if with_bias else "perceptron_diagram")
        count = len(INPUTS) + with_bias
        self.setMinimumSize(360, (count - 1) * MAX_STEP + 2 * INPUT_RADIUS + 16)
        self.setMaximumWidth(560)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        inputs.changed.connect(self.update)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(460, self.minimumHeight())

    def restyle(self, colours: PlotColours) -> None:
        self.colours = colours
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        c, inputs = self.colours, self.inputs
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        names = [*INPUTS, "always 1"] if self.with_bias else list(INPUTS)
        values = [*inputs.scores, 1] if self.with_bias else list(inputs.scores)
        weights = [*inputs.weights, -inputs.threshold] if self.with_bias else list(inputs.weights)
        w, h = self.width(), self.height()
        label_width = painter.fontMetrics().horizontalAdvance("always 1") + 8
        x_in = label_width + INPUT_RADIUS + 4
        x_neuron = w - NEURON_RADIUS - 100
        neuron = QPointF(x_neuron, h / 2)
        step = min((h - 2 * INPUT_RADIUS - 8) / max(len(names) - 1, 1), MAX_STEP)
        top = h / 2 - step * (len(names) - 1) / 2
        spots = [QPointF(x_in, top + k * step) for k in range(len(names))]
        small = QFont(self.font())
        small.setPointSizeF(small.pointSizeF() * 0.9)
        for spot, weight in zip(spots, weights, strict=True):  # the wires first, under the nodes
            colour = c.class_colour(1) if weight > 0 else c.class_colour(0) if weight < 0 else c.muted
            pen = QPen(colour, 1.2 + min(abs(weight), 8) * 0.7 if weight else 1.2)
            if weight == 0:
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            along = neuron - spot
            length = (along.x() ** 2 + along.y() ** 2) ** 0.5
            painter.drawLine(spot, neuron - along * (NEURON_RADIUS / length))
        painter.setFont(small)
        for spot, weight in zip(spots, weights, strict=True):  # the weights, on a backing chip
            at = spot + (neuron - spot) * 0.5
            text = f"w = {number(weight)}" if not self.with_bias or spot is not spots[-1] \
                else f"b = {number(weight)}"
            width = painter.fontMetrics().horizontalAdvance(text) + 10
            chip = QRectF(at.x() - width / 2, at.y() - 9, width, 18)
            painter.setPen(QPen(c.muted, 0.8))
            painter.setBrush(c.background)
            painter.drawRoundedRect(chip, 8, 8)
            painter.setPen(c.text)
            painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, text)
        painter.setFont(self.font())
        for spot, name, value in zip(spots, names, values, strict=True):
            painter.setPen(QPen(c.muted, 1.4))
            painter.setBrush(c.background)
            painter.drawEllipse(spot, INPUT_RADIUS, INPUT_RADIUS)
            painter.setPen(c.text)
            painter.drawText(QRectF(spot.x() - INPUT_RADIUS, spot.y() - INPUT_RADIUS,
                                    2 * INPUT_RADIUS, 2 * INPUT_RADIUS),
                             Qt.AlignmentFlag.AlignCenter, str(value))
            painter.setPen(c.muted)
            painter.drawText(QRectF(0, spot.y() - 10, x_in - INPUT_RADIUS - 6, 20),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
        total = weighted_sum(inputs.scores, inputs.weights)
        go = inputs.go
        out = c.class_colour(int(go))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(c.background)
        painter.drawEllipse(neuron, NEURON_RADIUS, NEURON_RADIUS)
        painter.setPen(QPen(out, 2.4))
        fill = QColor(out)
        fill.setAlpha(40)
        painter.setBrush(fill)
        painter.drawEllipse(neuron, NEURON_RADIUS, NEURON_RADIUS)
        painter.setPen(c.text)
        net = total - inputs.threshold if self.with_bias else total
        test = "≥ 0 ?" if self.with_bias else f"≥ {inputs.threshold} ?"
        box = QRectF(neuron.x() - NEURON_RADIUS, neuron.y() - NEURON_RADIUS,
                     2 * NEURON_RADIUS, 2 * NEURON_RADIUS)
        painter.drawText(box.adjusted(0, 0, 0, -NEURON_RADIUS - 1), Qt.AlignmentFlag.AlignHCenter
                         | Qt.AlignmentFlag.AlignBottom, f"Σ = {number(net)}")
        painter.drawText(box.adjusted(0, NEURON_RADIUS + 1, 0, 0), Qt.AlignmentFlag.AlignHCenter
                         | Qt.AlignmentFlag.AlignTop, test)
        start = QPointF(neuron.x() + NEURON_RADIUS, neuron.y())
        end = QPointF(min(start.x() + 44, w - 50), neuron.y())
        painter.setPen(QPen(out, 2.4))
        painter.drawLine(start, end)
        painter.drawLine(end, end + QPointF(-8, -5))
        painter.drawLine(end, end + QPointF(-8, 5))
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        painter.drawText(QRectF(end.x() + 6, end.y() - 12, 60, 24),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, CLASSES[int(go)])
        painter.end()

