"""The Inside view's page for recurrent blocks: a clean sine wave predicted one step at a time (for
the sine data), the chosen test sample's values over time with the network's answer, and the
block's state after each step as a heatmap (units × time steps)."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from core.training.inside import RecurrentView, WaveView
from gui.panels.inside.tiles import hint_label, signed_key, signed_lut, signed_range
from gui.panels.plot_style import PlotColours, style_plot

WIDE = 1.5  # wider than this times the height: the wave at the left, the sample at the right
MARK_SIZE = 9
MIN_PLOT_HEIGHT = 60
PROBABILITY_WIDTH = 120
SHORT_NAME = 6  # class names longer than this become their numbers under the probability bars
AXIS_WIDTH = 40  # the left axes of the sample and its states: their time steps line up


class RecurrentPage(QWidget):
    """Plots made once; `show_view` sets their data, `_arrange` places them for the size and for
    what the data needs (the wave for sine data, the class probabilities for classes)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view: RecurrentView | None = None
        self.wave: WaveView | None = None
        self.task = "regression"
        self.colours = PlotColours.from_palette()
        self.heat_range = (-1.0, 1.0)
        self.views: list[pg.PlotWidget] = []
        self.wave_key, self.wave_plot, self.wave_box = self._block()
        self.truth = self.wave_plot.plot()
        self.predicted = self.wave_plot.plot(symbol="o", symbolSize=4)
        self.sample_key, self.sample_plot, self.sample_box = self._block()
        self.input_curves: list[pg.PlotDataItem] = []
        self.next_truth = pg.ScatterPlotItem(size=MARK_SIZE, pxMode=True, symbol="o")
        self.next_said = pg.ScatterPlotItem(size=MARK_SIZE - 3, pxMode=True, symbol="o")
        self.sample_plot.addItem(self.next_truth)
        self.sample_plot.addItem(self.next_said)
        self.prob_view = pg.PlotWidget()
        self.prob_view.setFixedWidth(PROBABILITY_WIDTH)
        self.prob_plot = self.prob_view.getPlotItem()
        self.views.append(self.prob_view)
        self._quiet(self.prob_plot)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.6)
        self.prob_plot.addItem(self.bars)
        self.sample_box.layout().itemAt(1).layout().addWidget(self.prob_view)
        self.heat_key, self.heat_plot, self.heat_box = self._block()
        self.heat = pg.ImageItem(axisOrder="row-major")
        self.heat_plot.addItem(self.heat)
        self.heat_plot.invertY(True)  # unit 1 at the top, as a table reads
        self.heat_spacer = QWidget()  # under the probabilities: the two plots keep one width
        self.heat_spacer.setFixedWidth(PROBABILITY_WIDTH)
        self.heat_box.layout().itemAt(1).layout().addWidget(self.heat_spacer)
        for plot in (self.sample_plot, self.heat_plot):  # the same width: the time steps line up
            plot.getAxis("left").setWidth(AXIS_WIDTH)
        self.sample_plot.getAxis("bottom").setStyle(showValues=False)  # the states' axis below
        self.grid = QGridLayout()
        self.grid.setContentsMargins(4, 0, 4, 2)
        self.grid.setSpacing(4)
        self.setLayout(self.grid)
        self._arranged: tuple | None = None

    @staticmethod
    def _quiet(plot: pg.PlotItem) -> None:
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()

    def _block(self) -> tuple[QLabel, pg.PlotItem, QWidget]:
        """A key line above a plot (the plot in a row that may take a second plot beside it)."""
        key = hint_label()
        view = pg.PlotWidget()
        view.setMinimumHeight(MIN_PLOT_HEIGHT)
        self.views.append(view)
        plot = view.getPlotItem()
        self._quiet(plot)
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(key)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(view, 1)
        column.addLayout(row, 1)
        return key, plot, box

    # ------------------------------------------------------------------ layout
    def _arrange(self) -> None:
        has_wave = self.wave is not None
        wide = has_wave and self.width() >= WIDE * self.height()
        key = (has_wave, wide)
        self.prob_view.setVisible(self._classes())
        self.heat_spacer.setVisible(self._classes())
        if key == self._arranged:
            return
        self._arranged = key
        for box in (self.wave_box, self.sample_box, self.heat_box):
            self.grid.removeWidget(box)
        self.wave_box.setVisible(has_wave)
        for r in range(3):
            self.grid.setRowStretch(r, 0)
        for c in range(2):
            self.grid.setColumnStretch(c, 0)
        if wide:  # the wave at the left; the sample over its states at the right
            self.grid.addWidget(self.wave_box, 0, 0, 2, 1)
            self.grid.addWidget(self.sample_box, 0, 1)
            self.grid.addWidget(self.heat_box, 1, 1)
            self.grid.setColumnStretch(0, 1)
            self.grid.setColumnStretch(1, 1)
            self.grid.setRowStretch(0, 2)
            self.grid.setRowStretch(1, 3)
        else:
            row = 0
            if has_wave:
                self.grid.addWidget(self.wave_box, 0, 0)
                self.grid.setRowStretch(0, 3)
                row = 1
            self.grid.addWidget(self.sample_box, row, 0)
            self.grid.addWidget(self.heat_box, row + 1, 0)
            self.grid.setRowStretch(row, 2)
            self.grid.setRowStretch(row + 1, 3)
            self.grid.setColumnStretch(0, 1)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's override
        super().resizeEvent(event)
        self._arrange()

    def _classes(self) -> bool:
        return self.task == "classification"

    # ------------------------------------------------------------------ data
    def show_view(self, view: RecurrentView, wave: WaveView | None, block: str, task: str,
                  class_names: tuple[str, ...], colours: PlotColours) -> None:
        self.view, self.wave, self.task, self.colours = view, wave, task, colours
        self._arrange()
        c = colours
        truth_colour, said_colour = c.class_colour(1), c.class_colour(0)
        if wave is not None:
            self.truth.setData(np.arange(len(wave.wave), dtype=np.float64), wave.wave,
                               pen=pg.mkPen(truth_colour, width=2))
            self.predicted.setData(wave.time, wave.prediction, pen=pg.mkPen(said_colour, width=1.2),
                                   symbolBrush=said_colour, symbolPen=pg.mkPen(said_colour))
            error = float(np.sqrt(np.mean((wave.prediction - wave.truth) ** 2)))
            self.wave_key.setText(
                f"{_dot(truth_colour, '━')} a clean sine (no noise) · {_dot(said_colour)} each "
                f"value guessed from the {wave.window} before it · RMS error {error:.2g}")
            self.wave_key.setToolTip(
                f"The sine of the data set (period {wave.period:g} steps) without its noise, cut "
                f"into sliding windows of {wave.window} values; each dot is the network's "
                f"prediction of the value after its window")
            style_plot(self.wave_plot, c, "time step", "value")
            self.wave_plot.enableAutoRange()
        t_steps, features = view.inputs.shape
        steps = np.arange(1, t_steps + 1, dtype=np.float64)
        while len(self.input_curves) < features:
            self.input_curves.append(self.sample_plot.plot(symbol="o", symbolSize=4))
        while len(self.input_curves) > features:
            self.sample_plot.removeItem(self.input_curves.pop())
        for k, curve in enumerate(self.input_curves):
            colour = c.text if features == 1 else c.class_colour(k + 2)
            curve.setData(steps, view.inputs[:, k], pen=pg.mkPen(colour, width=1.4),
                          symbolBrush=colour, symbolPen=pg.mkPen(colour))
        said = self._answer(view, t_steps, truth_colour, said_colour, class_names)
        self.sample_key.setText(f"Test sample {view.sample}{said}")
        self.sample_key.setToolTip(f"The {t_steps} values of test sample {view.sample} as the "
                                   f"recurrent block reads them, one per time step")
        style_plot(self.sample_plot, c, "", "input")
        reach = t_steps + (0.5 if self._classes() else 1.5)  # regression: the next value too
        for plot in (self.sample_plot, self.heat_plot):  # one time axis: the steps line up
            plot.setXRange(0.5, reach, padding=0.01)
        self.sample_plot.enableAutoRange(axis="y")
        self._heatmap(view, block)

    def _answer(self, view, t_steps, truth_colour, said_colour, class_names) -> str:
        """The network's answer for the sample: the next value beside the truth at step T + 1,
        or the class probabilities as bars; returns what the key line adds."""
        if self._classes():
            k = len(view.output)
            names = [class_names[i] if i < len(class_names) else str(i) for i in range(k)]
            self.bars.setOpts(x=np.arange(k, dtype=np.float64), height=view.output, width=0.6,
                              brushes=[pg.mkBrush(self.colours.class_colour(i)) for i in range(k)],
                              pens=[pg.mkPen(None)] * k)
            style_plot(self.prob_plot, self.colours, "", "probability", grid=False)
            short = all(len(n) <= SHORT_NAME for n in names)
            self.prob_plot.getAxis("bottom").setTicks(
                [list(enumerate(names if short else [str(i) for i in range(k)]))])
            self.prob_plot.setXRange(-0.6, k - 0.4, padding=0)
            self.prob_plot.setYRange(0, 1, padding=0.02)
            self.next_truth.clear()
            self.next_said.clear()
            true, guess = int(view.target), int(np.argmax(view.output))
            def named(i: int) -> str:
                label = html.escape(names[i] if i < k else str(i))
                return f"{_dot(self.colours.class_colour(i))} {label}"
            return f" · true: {named(true)} · says {named(guess)} ({float(view.output[guess]):.0%})"
        target = float(np.ravel(view.target)[0])
        self.next_truth.setData([t_steps + 1.0], [target], pen=pg.mkPen(truth_colour, width=2),
                                brush=QBrush(Qt.BrushStyle.NoBrush))
        self.next_said.setData([t_steps + 1.0], [float(view.output[0])], pen=pg.mkPen(None),
                               brush=pg.mkBrush(said_colour))
        return (f" · {_dot(truth_colour, '○')} next {target:.3g} · "
                f"{_dot(said_colour)} guess {float(view.output[0]):.3g}")

    def _heatmap(self, view: RecurrentView, block: str) -> None:
        units, t_steps = view.hidden.shape
        self.heat_range = signed_range(view.hidden)
        self.heat.setImage(view.hidden, levels=self.heat_range,
                           lut=signed_lut(self.colours), autoLevels=False)
        self.heat.setRect(QRectF(0.5, 0.5, t_steps, units))
        self.heat_plot.setYRange(0.5, units + 0.5, padding=0)
        self.heat_key.setText(f"{html.escape(block)}'s state ({signed_key(self.colours, '−', '+')}"
                              f", ±{self.heat_range[1]:.2g})")
        self.heat_key.setToolTip(f"Each of its {units} units (rows) after reading each time step "
                                 f"(columns) of the sample above")
        style_plot(self.heat_plot, self.colours, "time step", "unit", grid=False)

    def apply_colours(self, colours: PlotColours) -> None:
        self.colours = colours
        for view in self.views:
            view.setBackground(colours.background)


def _dot(colour, mark: str = "●") -> str:
    return f"<span style='color:{colour.name()}'>{mark}</span>"
