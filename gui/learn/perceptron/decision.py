"""The walkthrough's first two pages: the cricket decision weighed term by term against a
threshold, and the same decision with the threshold moved across as a bias."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from core.data.datasets import CRICKET_THRESHOLD, CRICKET_WEIGHTS
from core.learn.perceptron import (
    CLASSES,
    INPUTS,
    SCORE_MAX,
    bias_equation,
    decide,
    number,
    terms,
    threshold_equation,
    weighted_sum,
)
from gui.learn.perceptron.diagram import PerceptronDiagram
from gui.panels.plot_style import PlotColours, style_plot

DEFAULT_SCORES = (3, 2, 4, 2)
SUM_MAX = SCORE_MAX * SCORE_MAX * len(INPUTS)  # every score and every weight at 4


def scaled_font(scale: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(bold)
    return font


class CricketInputs(QObject):
    """The scores, weights and threshold both pages show; `changed` after every change."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.scores = list(DEFAULT_SCORES)
        self.weights = list(CRICKET_WEIGHTS)
        self.threshold = CRICKET_THRESHOLD

    def set(self, what: str, value: int, index: int = 0) -> None:
        if what == "threshold":
            if value == self.threshold:
                return
            self.threshold = value
        else:
            values = self.scores if what == "score" else self.weights
            if values[index] == value:
                return
            values[index] = value
        self.changed.emit()

    @property
    def go(self) -> bool:
        return decide(self.scores, self.weights, self.threshold)


class ValueSlider(QWidget):
    """A horizontal slider with its value written beside it."""

    def __init__(self, low: int, high: int, value: int, name: str, tip: str = "") -> None:
        super().__init__()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName(name)
        self.slider.setRange(low, high)
        self.slider.setValue(value)
        self.slider.setPageStep(1 if high - low <= 8 else 5)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setTickInterval(1 if high - low <= 8 else 8)
        self.slider.setToolTip(tip)
        self.value_label = QLabel(number(value))
        self.value_label.setMinimumWidth(self.value_label.fontMetrics().horizontalAdvance("−64") + 6)
        self.value_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.value_label.setFont(scaled_font(1.0, bold=True))
        self.slider.valueChanged.connect(lambda v: self.value_label.setText(number(v)))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.value_label)

    def show_value(self, value: int) -> None:
        """Show `value` without telling anyone (it came from the other page)."""
        was = self.slider.blockSignals(True)
        self.slider.setValue(value)
        self.slider.blockSignals(was)
        self.value_label.setText(number(value))


def decision_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setFont(scaled_font(3.2, bold=True))
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setMinimumWidth(label.fontMetrics().horizontalAdvance("STAY") + 40)
    return label


def show_decision(label: QLabel, go: bool, colours: PlotColours) -> None:
    colour = colours.class_colour(int(go))
    label.setText(CLASSES[int(go)].upper())
    label.setStyleSheet(f"color: {colour.name()}; border: 2px solid {colour.name()};"
                        "border-radius: 10px; padding: 6px 18px;")


def equation_label(name: str, scale: float = 1.45) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setFont(scaled_font(scale))
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


class DecisionPage(QWidget):
    """Four reasons, each a score and an importance; their weighted sum against a threshold."""

    def __init__(self, inputs: CricketInputs) -> None:
        super().__init__()
        self.inputs = inputs
        self.colours = PlotColours.from_palette()
        intro = note("<b>Should I go to the cricket match?</b> Score each reason from 0 (bad) to 4 "
                     "(great) and say how much it matters to you, its <i>weight</i>. Go when the "
                     "weighted sum reaches the threshold.")
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(8)
        self.headers = []
        for col, text in enumerate(("", "score (0–4)", "importance (weight, 0–4)", "score · weight")):
            header = QLabel(text)
            self.headers.append(header)
            grid.addWidget(header, 0, col, Qt.AlignmentFlag.AlignLeft)
        self.score_sliders: list[ValueSlider] = []
        self.weight_sliders: list[ValueSlider] = []
        self.term_labels: list[QLabel] = []
        for k, name in enumerate(INPUTS):
            grid.addWidget(QLabel(f"<b>{name}</b>"), k + 1, 0)
            score = ValueSlider(0, SCORE_MAX, inputs.scores[k], f"score_{name}",
                                f"How good the {name} looks, 0 to 4")
            weight = ValueSlider(0, SCORE_MAX, inputs.weights[k], f"weight_{name}",
                                 f"How much the {name} matters to you, 0 to 4")
            score.slider.valueChanged.connect(lambda v, k=k: self.inputs.set("score", v, k))
            weight.slider.valueChanged.connect(lambda v, k=k: self.inputs.set("weight", v, k))
            term = QLabel()
            term.setObjectName(f"term_{name}")
            term.setMinimumWidth(term.fontMetrics().horizontalAdvance("4·4 = 16") + 12)
            grid.addWidget(score, k + 1, 1)
            grid.addWidget(weight, k + 1, 2)
            grid.addWidget(term, k + 1, 3)
            self.score_sliders.append(score)
            self.weight_sliders.append(weight)
            self.term_labels.append(term)
        grid.addWidget(QLabel("<b>threshold</b>"), len(INPUTS) + 1, 0)
        self.threshold_slider = ValueSlider(0, SUM_MAX, inputs.threshold, "threshold",
                                            "The weighted sum must reach this to go")
        self.threshold_slider.slider.valueChanged.connect(lambda v: self.inputs.set("threshold", v))
        grid.addWidget(self.threshold_slider, len(INPUTS) + 1, 1, 1, 2)
        self.threshold_note = QLabel("go when the sum ≥ threshold")
        grid.addWidget(self.threshold_note, len(INPUTS) + 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)

        self.equation = equation_label("threshold_equation", 1.6)
        self.equation.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.diagram = PerceptronDiagram(inputs, with_bias=False)
        self.decision = decision_label("decision")
        below = QHBoxLayout()
        below.setSpacing(36)
        below.addStretch(1)
        below.addWidget(self.diagram, 4)
        below.addWidget(self.decision, 0, Qt.AlignmentFlag.AlignVCenter)
        below.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.setSpacing(14)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addSpacing(6)
        layout.addWidget(self.equation)
        layout.addSpacing(10)
        layout.addLayout(below)
        layout.addStretch(1)
        inputs.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        inputs = self.inputs
        for k, product in enumerate(terms(inputs.scores, inputs.weights)):
            self.term_labels[k].setText(
                f"{inputs.scores[k]}·{inputs.weights[k]} = <b>{number(product)}</b>")
        self.threshold_slider.show_value(inputs.threshold)
        self.equation.setText(threshold_equation(inputs.scores, inputs.weights, inputs.threshold))
        show_decision(self.decision, inputs.go, self.colours)

    def restyle(self, colours: PlotColours) -> None:
        self.colours = colours
        for header in self.headers:
            header.setStyleSheet(f"color: {colours.muted.name()};")
        self.threshold_note.setStyleSheet(f"color: {colours.muted.name()};")
        self.diagram.restyle(colours)
        self.refresh()


class BiasPage(QWidget):
    """The same sum with the threshold taken to the other side: a bias b = −threshold."""

    def __init__(self, inputs: CricketInputs) -> None:
        super().__init__()
        self.inputs = inputs
        self.colours = PlotColours.from_palette()
        intro = note("Take the threshold to the other side of the inequality: "
                     "<i>sum ≥ threshold</i> is the same as <i>sum − threshold ≥ 0</i>. "
                     "The threshold becomes a <b>bias</b> b = −threshold, a weight on an input that "
                     "is always 1, and the neuron compares with 0. The decision does not change. "
                     "(Scores and weights are set on the first page.)")
        self.given = QLabel()
        self.given.setObjectName("bias_given")
        self.threshold_form = equation_label("threshold_form", 1.25)
        self.bias_form = equation_label("bias_equation", 1.6)
        self.bias_slider = ValueSlider(-SUM_MAX, 0, -inputs.threshold, "bias",
                                       "The bias, minus the threshold: moving it moves the threshold")
        self.bias_slider.slider.valueChanged.connect(lambda v: self.inputs.set("threshold", -v))
        self.bias_text = QLabel()
        self.bias_text.setObjectName("bias_value")
        forms = QGridLayout()
        forms.setHorizontalSpacing(14)
        forms.setVerticalSpacing(10)
        self.form_names = [QLabel("with a threshold"), QLabel("with a bias"), QLabel("bias b")]
        for row, (name, widget) in enumerate(zip(self.form_names,
                                                 (self.threshold_form, self.bias_form,
                                                  self.bias_slider), strict=True)):
            forms.addWidget(name, row, 0)
            forms.addWidget(widget, row, 1)
        forms.addWidget(self.bias_text, 3, 1)
        forms.setColumnStretch(1, 1)

        self.step_plot = pg.PlotWidget()
        self.step_plot.setObjectName("step_plot")
        self.step_plot.setMouseEnabled(x=False, y=False)
        self.step_plot.setMenuEnabled(False)
        self.step_plot.setMinimumSize(240, 170)
        plot = self.step_plot.getPlotItem()
        plot.setYRange(-0.15, 1.15, padding=0)
        plot.getAxis("left").setTicks([[(0, "stay 0"), (1, "go 1")]])
        self.step_curve = pg.PlotDataItem()
        self.step_dot = pg.ScatterPlotItem(size=14, pxMode=True)
        self.zero_line = pg.InfiniteLine(0, angle=90)
        for item in (self.zero_line, self.step_curve, self.step_dot):
            plot.addItem(item)
        self.diagram = PerceptronDiagram(inputs, with_bias=True)
        self.decision = decision_label("bias_decision")
        below = QHBoxLayout()
        below.setSpacing(18)
        below.addWidget(self.diagram, 3)
        below.addWidget(self.step_plot, 2)
        below.addWidget(self.decision, 0, Qt.AlignmentFlag.AlignVCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.setSpacing(12)
        layout.addWidget(intro)
        layout.addWidget(self.given)
        layout.addLayout(forms)
        layout.addLayout(below, 1)
        inputs.changed.connect(self.refresh)
        self.restyle(self.colours)

    @property
    def bias(self) -> int:
        return -self.inputs.threshold

    def refresh(self) -> None:
        inputs = self.inputs
        self.given.setText(f"scores {', '.join(map(str, inputs.scores))} · weights "
                           f"{', '.join(map(str, inputs.weights))} · threshold {inputs.threshold}")
        self.threshold_form.setText(threshold_equation(inputs.scores, inputs.weights,
                                                       inputs.threshold))
        self.bias_form.setText(bias_equation(inputs.scores, inputs.weights, self.bias))
        self.bias_slider.show_value(self.bias)
        self.bias_text.setText(f"b = −threshold = {number(self.bias)}: the weight of an input "
                               "that is always 1")
        show_decision(self.decision, inputs.go, self.colours)
        net = weighted_sum(inputs.scores, inputs.weights) + self.bias
        reach = max(16.0, abs(net) * 1.25)
        self.step_curve.setData(np.array([-reach, 0, 0, reach]), np.array([0, 0, 1, 1]))
        self.step_dot.setData([net], [float(net >= 0)],
                              brush=[pg.mkBrush(self.colours.class_colour(int(net >= 0)))])
        self.step_plot.getPlotItem().setXRange(-reach, reach, padding=0.02)

    def restyle(self, colours: PlotColours) -> None:
        self.colours = colours
        muted = colours.muted.name()
        for label in (self.given, self.bias_text, *self.form_names):
            label.setStyleSheet(f"color: {muted};")
        self.step_plot.setBackground(colours.background)
        style_plot(self.step_plot.getPlotItem(), colours, "sum of score·weight + b", "output")
        self.step_plot.getPlotItem().getAxis("left").setTicks([[(0, "stay 0"), (1, "go 1")]])
        self.step_curve.setPen(pg.mkPen(colours.text, width=2))
        self.zero_line.setPen(pg.mkPen(colours.muted, style=Qt.PenStyle.DashLine))
        self.step_dot.setPen(pg.mkPen(colours.text, width=1.5))
        self.diagram.restyle(colours)
        self.refresh()
