"""The Activation Explorer's Curves page: pick an activation, see it and its slope as the engine
computes them, move its parameters on sliders, and read what it is for."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.learn.activation_notes import ParameterSpec, activation_ids, curve, note_for, parameters
from gui.panels.plot_style import FollowsPlotColours, PlotColours, style_plot

Z_RANGE = (-5.0, 5.0)
SAMPLES = 401
SLIDER_STEPS = 1000
SYMBOLS = {"slope": " a", "alpha": " α"}  # as the formulas write them


class ParameterSlider(QWidget):
    """A slider and a spin box for one parameter, kept in step; `changed` after either moves."""

    def __init__(self, spec: ParameterSpec, changed, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName(f"slider_{spec.name}")
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setPageStep(SLIDER_STEPS // 20)
        self.spin = QDoubleSpinBox()
        self.spin.setObjectName(f"spin_{spec.name}")
        self.spin.setDecimals(3)
        self.spin.setRange(spec.low, spec.high)
        self.spin.setSingleStep(0.01)
        self.spin.setFixedWidth(80)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self._changed = changed
        self.set_value(spec.default)
        self.slider.valueChanged.connect(self._slid)
        self.spin.valueChanged.connect(self._typed)

    def value(self) -> float:
        """The exact value (the engine's default until moved; the spin box shows it rounded)."""
        return self._value

    def set_value(self, value: float) -> None:
        self._value = float(value)
        for widget in (self.slider, self.spin):
            widget.blockSignals(True)
        self.spin.setValue(value)
        self.slider.setValue(self._position(value))
        for widget in (self.slider, self.spin):
            widget.blockSignals(False)

    def _position(self, value: float) -> int:
        low, high = self.spec.low, self.spec.high
        return round((value - low) / (high - low) * SLIDER_STEPS) if high > low else 0

    def _slid(self, position: int) -> None:
        low, high = self.spec.low, self.spec.high
        self._value = round(low + (high - low) * position / SLIDER_STEPS, 3)
        self.spin.blockSignals(True)
        self.spin.setValue(self._value)
        self.spin.blockSignals(False)
        self._changed(self.spec.name)

    def _typed(self, value: float) -> None:
        self._value = float(value)
        self.slider.blockSignals(True)
        self.slider.setValue(self._position(value))
        self.slider.blockSignals(False)
        self._changed(self.spec.name)


class CurvesPage(FollowsPlotColours, QWidget):
    """The list of activations, the plot of f and f′, the parameter sliders and the notes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colours = PlotColours.from_palette()
        self.z = np.linspace(*Z_RANGE, SAMPLES)
        self.activation_id = ""
        self.sliders: dict[str, ParameterSlider] = {}

        self.list = QListWidget()
        self.list.setObjectName("activation_list")
        for activation_id in activation_ids():
            item = QListWidgetItem(note_for(activation_id).label)
            item.setData(Qt.ItemDataRole.UserRole, activation_id)
            item.setToolTip(note_for(activation_id).formula)
            self.list.addItem(item)
        self.list.setMinimumWidth(150)
        self.list.setSpacing(2)

        self.plots = pg.GraphicsLayoutWidget()
        self.plots.ci.setContentsMargins(4, 4, 10, 4)
        self.plot = self.plots.addPlot()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.legend = self.plot.addLegend(offset=(10, 10))
        self.axes = (pg.InfiniteLine(0, angle=0), pg.InfiniteLine(0, angle=90))  # through 0
        self.training_dots = pg.ScatterPlotItem(size=4, pxMode=True)
        self.value_curve = pg.PlotDataItem(name="f(z)")
        self.slope_curve = pg.PlotDataItem(name="f′(z), its slope")
        for z, item in enumerate((*self.axes, self.training_dots, self.slope_curve,
                                  self.value_curve)):
            item.setZValue(z)
        for item in (*self.axes, self.training_dots, self.value_curve, self.slope_curve):
            self.plot.addItem(item)  # in the legend's order
        self._dots_in_legend = False
        self.slice_note = QLabel()
        self.slice_note.setObjectName("slice_note")
        self.slice_note.setWordWrap(True)

        self.parameter_box = QWidget()
        self.parameter_form = QFormLayout(self.parameter_box)
        self.parameter_form.setContentsMargins(8, 0, 8, 0)
        self.no_parameters = QLabel("No parameters to set.")

        centre = QWidget()
        middle = QVBoxLayout(centre)
        middle.setContentsMargins(0, 0, 0, 0)
        middle.addWidget(self.plots, 1)
        middle.addWidget(self.slice_note)
        middle.addWidget(self.parameter_box)
        middle.addWidget(self.no_parameters)

        self.notes = QLabel()
        self.notes.setObjectName("activation_notes")
        self.notes.setWordWrap(True)
        self.notes.setTextFormat(Qt.TextFormat.RichText)
        self.notes.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes.setMargin(8)
        self.notes.setMinimumWidth(220)

        splitter = QSplitter()
        splitter.addWidget(self.list)
        splitter.addWidget(centre)
        splitter.addWidget(self.notes)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([160, 480, 260])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self.apply_colours()
        self.list.currentItemChanged.connect(self._chosen)
        self.list.setCurrentRow(0)

    # ------------------------------------------------------------------ public
    def choose(self, activation_id: str) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == activation_id:
                self.list.setCurrentRow(row)
                return
        raise KeyError(activation_id)

    def params(self) -> dict[str, float]:
        return {name: slider.value() for name, slider in self.sliders.items()}

    # ------------------------------------------------------------------ drawing
    def _chosen(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is None:
            return
        self.activation_id = item.data(Qt.ItemDataRole.UserRole)
        self._make_sliders()
        self._show_notes()
        self._draw()

    def _make_sliders(self) -> None:
        while self.parameter_form.rowCount():
            self.parameter_form.removeRow(0)
        self.sliders = {}
        for spec in parameters(self.activation_id):
            slider = ParameterSlider(spec, self._parameter_moved)
            self.sliders[spec.name] = slider
            self.parameter_form.addRow(f"{spec.name}{SYMBOLS.get(spec.name, '')}:", slider)
        self.parameter_box.setVisible(bool(self.sliders))
        self.no_parameters.setVisible(not self.sliders)

    def _parameter_moved(self, name: str) -> None:
        if self.activation_id == "rrelu":  # keep lower ≤ upper
            lower, upper = self.sliders["lower"], self.sliders["upper"]
            if lower.value() > upper.value():
                (upper if name == "lower" else lower).set_value(
                    lower.value() if name == "lower" else upper.value())
        self._draw()

    def _draw(self) -> None:
        c = curve(self.activation_id, self.z, self.params())
        self.value_curve.setData(c.z, c.value)
        self.slope_curve.setData(c.z, c.slope)
        if c.training_value is None:
            self.training_dots.clear()
        else:
            every = slice(None, None, 4)
            self.training_dots.setData(c.z[every], c.training_value[every])
        if self._dots_in_legend != (c.training_value is not None):
            self._dots_in_legend = c.training_value is not None
            if self._dots_in_legend:
                self.legend.addItem(self.training_dots, "f(z) in training: random slopes")
            else:
                self.legend.removeItem(self.training_dots)
        self.slice_note.setText(f"Softmax acts on a vector: plotted is {c.slice}."
                                if c.slice else "")
        self.slice_note.setVisible(bool(c.slice))
        finite = np.concatenate([c.value, c.slope] + (
            [] if c.training_value is None else [c.training_value]))
        low, high = float(np.min(finite)), float(np.max(finite))
        pad = max((high - low) * 0.08, 0.1)
        self.plot.setRange(xRange=(Z_RANGE[0] - 0.2, Z_RANGE[1] + 0.2), yRange=(low - pad, high + pad),
                           padding=0)

    def _show_notes(self) -> None:
        note = note_for(self.activation_id)
        muted = self.colours.muted.name()
        rows = "".join(
            f"<p style='margin:0 0 6px 0'><span style='color:{muted}'>{name}</span><br>"
            f"{html.escape(text)}</p>"
            for name, text in (("Formula", note.formula), ("Range", note.output_range),
                               ("Derivative", note.derivative)))
        self.notes.setText(f"<h3 style='margin:0 0 8px 0'>{html.escape(note.label)}</h3>{rows}"
                           f"<p style='margin:8px 0 0 0'><span style='color:{muted}'>When to use "
                           f"it</span><br>{html.escape(note.use)}</p>")

    def apply_colours(self) -> None:
        c = self.colours
        self.plots.setBackground(c.background)
        style_plot(self.plot, c, "z", "")
        value, slope = c.class_colour(1), c.class_colour(0)
        self.value_curve.setPen(pg.mkPen(value, width=2.5))
        self.slope_curve.setPen(pg.mkPen(slope, width=2, style=Qt.PenStyle.DashLine))
        dots = QColor(value)
        dots.setAlphaF(0.55)
        self.training_dots.setBrush(pg.mkBrush(dots))
        self.training_dots.setPen(pg.mkPen(None))
        for line in self.axes:
            line.setPen(pg.mkPen(c.muted, width=1))
        self.legend.setLabelTextColor(c.text)
        for _sample, label in self.legend.items:  # the labels made before
            label.setText(label.text, color=c.text)
        self.slice_note.setStyleSheet(f"color: {c.muted.name()}; padding: 2px 8px;")
        self.no_parameters.setStyleSheet(f"color: {c.muted.name()}; padding: 4px 8px;")
        if self.activation_id:
            self._show_notes()

    def colours_changed(self) -> None:
        self.apply_colours()
