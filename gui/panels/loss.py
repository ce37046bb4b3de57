"""The loss panel: train and test loss over the epochs, and beside it accuracy or R², live; a
marker at the timeline's moment shown; the plots saved as a picture, their numbers as a table."""

from __future__ import annotations

import html
import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from core.interchange.tables import columns_csv
from gui.panels.design_data import design_data
from gui.panels.plot_style import FollowsPlotColours, PlotColours, style_plot
from gui.widgets import exports
from gui.widgets.elided import ElidedLabel

TITLE_POINTS = 9
AXIS_WIDTH = 46  # pixels: the loss's left axis, "0.0020" and its name
TITLE_MARGIN = 60  # pixels of a plot's width its axis and margins take
REDRAW_SECONDS = 0.2  # while training runs, the curves are redrawn at most this often
FEW_EPOCHS = 30  # up to this many epochs each one is marked with a dot (a lone epoch is visible)
METRICS = {  # the metric plot: (history key stem, axis label, how a value is written)
    "classification": ("accuracy", "accuracy", lambda v: f"{v:.0%}"),
    "regression": ("r2", "R²", lambda v: f"{v:.3f}"),
}


COLUMNS = ("epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "train_r2", "test_r2")


class EpochColumns:
    """Every epoch's metrics as columns of floats (NaN where an epoch has none); the longer
    history of the same run only appends its new epochs."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.values: dict[str, list[float]] = {key: [] for key in COLUMNS}
        self.count = 0
        self.last: dict[str, Any] | None = None

    def shows(self, history: tuple[dict[str, Any], ...]) -> bool:
        return len(history) == self.count and (not history or history[-1] == self.last)

    def take(self, history: tuple[dict[str, Any], ...]) -> None:
        n = self.count
        if n and (len(history) < n or history[n - 1] != self.last):  # another run: start again
            self.reset()
            n = 0
        for epoch in history[n:]:
            for key, column in self.values.items():
                value = epoch.get(key)
                column.append(np.nan if value is None else float(value))
        self.count, self.last = len(history), (history[-1] if history else None)

    def __getitem__(self, key: str) -> np.ndarray:
        return np.asarray(self.values[key], dtype=np.float64)


def _last_finite(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return float(finite[-1]) if len(finite) else None


class LossPanel(FollowsPlotColours, QWidget):
    """Loss curves (train, test) and the task's metric (accuracy or R²) over the epochs.

    The curves are made once; each snapshot whose history grew sets their data again.
    """

    def __init__(self, controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._pending = None
        self._drawn_at = 0.0
        self._later = QTimer(self, singleShot=True)
        self._later.timeout.connect(self._draw_pending)
        self.controller = controller
        self.colours = PlotColours.from_palette()
        self.metric_task = "classification"  # which METRICS entry the second plot shows
        self.columns = EpochColumns()  # the history now drawn
        self._few = False  # epochs are marked with dots

        self.key = QLabel()  # the legend: which line is which
        self.key.setObjectName("loss_key")
        self.key.setTextFormat(Qt.TextFormat.RichText)
        self.summary = ElidedLabel()  # the epoch drawn last (each plot's title gives its last
        self.summary.setObjectName("loss_summary")  # values), on a line of its own: whole in a
        # dock as narrow as the plots allow ("…" only below that)
        self.log_scale = QCheckBox("log scale")
        self.log_scale.setObjectName("log_scale")
        self.log_scale.setToolTip("Draw the loss on a logarithmic axis: small late gains stay visible")
        header = QHBoxLayout()
        header.setContentsMargins(8, 4, 8, 0)
        header.setSpacing(16)
        header.addWidget(self.key)
        header.addStretch(1)
        header.addWidget(self.log_scale)

        self.plots = pg.GraphicsLayoutWidget()
        self.export_button, self.save_png_action, self.save_csv_action = \
            exports.panel_export_menu(self, self.plots, self.save_png, self.save_csv)
        header.addWidget(self.export_button)
        self.plots.ci.setContentsMargins(2, 2, 6, 2)
        self.plots.ci.setSpacing(4)
        self.plot = self.plots.addPlot(row=0, col=0)
        self.metric_plot = self.plots.addPlot(row=0, col=1)
        self.metric_plot.setXLink(self.plot)
        for plot in (self.plot, self.metric_plot):
            plot.setMouseEnabled(x=False, y=False)
            plot.setMenuEnabled(False)
            plot.getViewBox().setDefaultPadding(0.03)
            plot.getAxis("left").setWidth(AXIS_WIDTH)  # fixed: the panel's minimum width is known
        self.metric_plot.enableAutoRange(y=False)
        self.train_curve = self.plot.plot(name="train")
        self.test_curve = self.plot.plot(name="test")
        self.metric_train_curve = self.metric_plot.plot(name="train")
        self.metric_test_curve = self.metric_plot.plot(name="test")
        self.markers = []  # a vertical line in each plot at the past moment shown
        for plot in (self.plot, self.metric_plot):
            marker = pg.InfiniteLine(angle=90, movable=False)
            marker.setZValue(10)
            marker.hide()
            plot.addItem(marker, ignoreBounds=True)
            self.markers.append(marker)
        self.marked_epoch: int | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header)
        summary = QHBoxLayout()
        summary.setContentsMargins(8, 0, 8, 0)
        summary.addWidget(self.summary)
        layout.addLayout(summary)
        layout.addWidget(self.plots, 1)

        self.apply_colours()
        self.clear()
        self.log_scale.toggled.connect(self.set_log_scale)
        controller.snapshot.connect(self.show_snapshot)
        controller.moment.connect(self.show_moment)
        controller.document.design_replaced.connect(self.clear)

    # ------------------------------------------------------------------ updates
    def show_snapshot(self, snap) -> None:
        """Draw the snapshot's history (nothing to do while an epoch is under way). While
        training runs, at most REDRAW_SECONDS apart: two plots with moving axes cost more to paint
        than anything else in a frame, and the curve barely moves in a thirtieth of a second."""
        self._pending = snap
        now = time.perf_counter()
        if self.controller.running and now - self._drawn_at < REDRAW_SECONDS:
            if not self._later.isActive():
                self._later.start(int((REDRAW_SECONDS - (now - self._drawn_at)) * 1000) + 1)
            return
        self._later.stop()
        self._drawn_at = now
        self._draw_snapshot(snap)

    def show_moment(self, snap) -> None:
        """Mark the epoch of a past moment in both plots, its figures in the summary (None: the
        present again, unmarked)."""
        self.marked_epoch = None if snap is None else snap.epoch
        for marker in self.markers:
            marker.setVisible(snap is not None)
        if snap is None:
            self.plot.enableAutoRange(x=True)
            self._set_summary()
            self._retitle()
            return
        for marker in self.markers:
            marker.setPos(snap.epoch)
        epochs = self.columns["epoch"]
        if len(epochs) and snap.epoch < epochs[0]:  # epoch 0, before the first point: in view
            self.plot.setXRange(snap.epoch, float(epochs[-1]), padding=0.03)
        self.summary.setText(f"viewing epoch {snap.epoch:,}")
        self._retitle()

    def _set_summary(self) -> None:
        if self.marked_epoch is None:
            self.summary.setText(f"epoch {int(self.columns['epoch'][-1])}" if self.columns.count
                                 else "not trained yet")

    def _draw_pending(self) -> None:
        if self._pending is not None:
            self._drawn_at = time.perf_counter()
            self._draw_snapshot(self._pending)

    def _draw_snapshot(self, snap) -> None:
        history = snap.history
        if self.columns.shows(history):
            return
        if not history:
            self.clear()
            return
        self.columns.take(history)
        self._draw()

    def _draw(self) -> None:
        """The curves, titles and ranges from the columns."""
        columns = self.columns
        last = columns.last
        task = ("regression" if last.get("train_r2") is not None
                and last.get("train_accuracy") is None else "classification")
        self._set_metric(task)
        stem = METRICS[task][0]
        epochs, train, test = columns["epoch"], columns["train_loss"], columns["test_loss"]
        metric_train, metric_test = columns[f"train_{stem}"], columns[f"test_{stem}"]
        self._mark_epochs(columns.count <= FEW_EPOCHS)
        self.train_curve.setData(epochs, train)
        self.test_curve.setData(epochs, test)
        self.metric_train_curve.setData(epochs, metric_train)
        self.metric_test_curve.setData(epochs, metric_test)
        if task == "regression":  # R² can start far below zero: show down to −1 at most
            low = np.nanmin(np.concatenate([metric_train, metric_test, [0.0]]))
            self.metric_plot.setYRange(max(low, -1.0), 1.0, padding=0.04)
        self._set_summary()
        self._retitle()
        self._set_exportable(True)

    def clear(self) -> None:
        """No history: empty curves on empty axes, the metric of the open design's task (a new
        design, or training reset): nothing of a design drawn before stays."""
        self.columns.reset()
        for curve in self.curves:
            curve.setData([], [])
        self.marked_epoch = None
        for marker in self.markers:
            marker.hide()
        data = design_data(self.controller.document.design)
        self._set_metric("regression" if data is not None and data.task == "regression"
                         else "classification")
        self.plot.setRange(xRange=(0.0, 1.0), yRange=(0.0, 1.0), padding=0.0)  # the x axis is
        self.plot.enableAutoRange()  # shared: the last epochs drawn go from both plots
        self.metric_plot.setYRange(0.0, 1.0, padding=0.04)
        self._set_summary()
        self._set_titles()
        self._set_exportable(False)

    def set_log_scale(self, on: bool) -> None:
        if self.log_scale.isChecked() != on:
            self.log_scale.setChecked(on)  # comes back here through toggled
            return
        self.plot.setLogMode(x=False, y=on)
        self.plot.setLabel("left", "loss (log)" if on else "loss")
        self.plot.enableAutoRange()

    @property
    def curves(self) -> tuple[pg.PlotDataItem, ...]:
        return (self.train_curve, self.test_curve, self.metric_train_curve, self.metric_test_curve)

    # ------------------------------------------------------------------ saving
    def data_columns(self) -> dict[str, np.ndarray]:
        """What the plots show: each epoch's train and test loss and the task's metric."""
        stem = METRICS[self.metric_task][0]
        keys = ("epoch", "train_loss", "test_loss", f"train_{stem}", f"test_{stem}")
        return {key: self.columns[key] for key in keys}

    def save_png(self) -> str:
        """The two plots and their key as a PNG picture, at twice the screen's size."""
        return exports.export(
            self, "Save the loss plot as PNG",
            exports.suggested_name(self.controller.document, "loss", ".png"), exports.PNG_FILTER,
            lambda: exports.png_bytes(exports.panel_image([self.key], self.plots,
                                                          self.colours.background)),
            "the loss plot")

    def save_csv(self) -> str:
        """The plotted numbers as a table: one row per epoch."""
        return exports.export(
            self, "Save the loss data as CSV",
            exports.suggested_name(self.controller.document, "loss", ".csv"), exports.CSV_FILTER,
            lambda: columns_csv(self.data_columns()), "the loss data")

    def _set_exportable(self, on: bool) -> None:
        for action in (self.save_png_action, self.save_csv_action):
            action.setEnabled(on)

    # ------------------------------------------------------------------ internals
    def _retitle(self) -> None:
        """The titles' figures: the last epoch's, or the marked epoch's while one is marked."""
        columns = self.columns
        if not columns.count:
            self._set_titles()
            return
        stem, _label, written = METRICS[self.metric_task]
        kept = slice(None) if self.marked_epoch is None else columns["epoch"] <= self.marked_epoch
        self._set_titles((columns["train_loss"][kept], columns["test_loss"][kept]),
                         (columns[f"train_{stem}"][kept], columns[f"test_{stem}"][kept]), written)

    def _set_titles(self, losses=None, metrics=None, written=None) -> None:
        """Each plot's title: its name and the last epoch's train · test values, in their colours;
        the values alone where the plot is too narrow for both (its axis names it)."""
        c = self.colours
        self._titles = (losses, metrics, written)
        font = QFont()
        font.setPointSizeF(TITLE_POINTS)
        metrics_of_font = QFontMetrics(font)
        room = self.plots.width() / 2 - TITLE_MARGIN  # each plot's share, less its axis
        for plot, name, values, write in (
                (self.plot, "loss", losses, lambda v: f"{v:.3g}"),
                (self.metric_plot, METRICS[self.metric_task][1], metrics, written)):
            pairs = [] if values is None else [
                (write(v), colour)
                for v, colour in ((_last_finite(values[0]), c.train), (_last_finite(values[1]), c.test))
                if v is not None]
            plain = " · ".join(text for text, _colour in pairs)
            named = metrics_of_font.horizontalAdvance(f"{name}  {plain}") <= room or not pairs
            shown = " · ".join(f"<span style='color:{colour.name()}'>{html.escape(text)}</span>"
                               for text, colour in pairs)
            text = (html.escape(name) + ("&nbsp;&nbsp;" + shown if shown else "")) if named else shown
            plot.setTitle(text, color=c.muted.name(), size=f"{TITLE_POINTS:g}pt")
        need = self.plots.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize).width()
        self.plots.setMinimumWidth(int(np.ceil(need)) + 2)  # the dock makes room: no plot cut off

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if getattr(self, "_titles", None) is not None:
            self._set_titles(*self._titles)  # the names come and go with the room

    def _set_metric(self, task: str) -> None:
        if task == self.metric_task:
            return
        self.metric_task = task
        self.metric_plot.setLabel("left", METRICS[task][1])
        if task == "classification":
            self.metric_plot.setYRange(0.0, 1.0, padding=0.04)

    def _mark_epochs(self, few: bool) -> None:
        """Dots on each epoch while there are few (switched only when the count crosses)."""
        if few == self._few:
            return
        self._few = few
        for curve, colour, _style in self._curve_colours():
            if few:
                curve.setSymbol("o")
                curve.setSymbolSize(5)
                curve.setSymbolPen(pg.mkPen(colour))
                curve.setSymbolBrush(pg.mkBrush(colour))
            else:
                curve.setSymbol(None)

    def _curve_colours(self):
        """(curve, colour, line style): train solid, test dashed (told apart without colour)."""
        c, solid, dashed = self.colours, Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine
        return ((self.train_curve, c.train, solid), (self.test_curve, c.test, dashed),
                (self.metric_train_curve, c.train, solid), (self.metric_test_curve, c.test, dashed))

    def apply_colours(self) -> None:
        """Everything coloured from the palette (at the start and when light ↔ dark changes)."""
        c = self.colours
        self.plots.setBackground(c.background)
        loss_label = "loss (log)" if self.log_scale.isChecked() else "loss"
        style_plot(self.plot, c, "epoch", loss_label, grid=False)
        style_plot(self.metric_plot, c, "epoch", METRICS[self.metric_task][1], grid=False)
        if self.metric_task == "classification":
            self.metric_plot.setYRange(0.0, 1.0, padding=0.04)
        self.key.setText(f"<span style='color:{c.train.name()}'>━━ train</span>&nbsp;&nbsp; "
                         f"<span style='color:{c.test.name()}'>╍╍ test</span>")
        for curve, colour, style in self._curve_colours():
            curve.setPen(pg.mkPen(colour, width=2, style=style))
        for marker in self.markers:
            marker.setPen(pg.mkPen(c.ring, width=1.5, style=Qt.PenStyle.DashLine))
        few, self._few = self._few, not self._few
        self._mark_epochs(few)  # the dots in the new colours
        if self.columns.count:
            self._draw()  # the titles' numbers in the new colours
        else:
            self._set_titles()

    def colours_changed(self) -> None:
        self.apply_colours()
