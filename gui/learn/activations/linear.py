"""The Activation Explorer's "Linear only" page: a 2-4-4-1 network whose activations are all the
identity is one matrix and one bias (shown beside it, with their outputs side by side), so it
draws a straight line through XOR and fails, while the same network with tanh learns it."""

from __future__ import annotations

import threading

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.learn.linear_collapse import XOR_EPOCHS, XOR_LEARNING_RATE, XorRun, train_xor
from gui.learn.activations.network import NetworkDiagram
from gui.panels.boundary.colours import ColourTables, OutputColouring
from gui.panels.plot_style import FollowsPlotColours, PlotColours, style_plot

ACTIVATIONS = ("identity", "tanh")
SAMPLE_ROWS = 5  # data points whose two outputs the table sets side by side
LOGIT = OutputColouring("binary", num_classes=2, threshold=0.0, half_range=None, probabilities=False)
INTRO = ("With the identity as every activation, each layer computes x·W + b, and such maps "
         "composed are again one map x·W + b. The 2-4-4-1 network on the left computes exactly "
         "what one neuron with two weights and a bias computes (right): a straight line across "
         "the plane, which can never separate XOR's four quadrants.")


class _Relay(QObject):
    """Carries the worker thread's result to the page, on the page's thread."""

    done = Signal(object)


class BoundaryView(QWidget):
    """One network's output over the plane (as the Boundary panel colours it), its accuracy on top."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self.plots.ci.setContentsMargins(2, 2, 8, 2)
        self.plot = self.plots.addPlot()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMenuEnabled(False)
        self.plot.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.test_points = pg.ScatterPlotItem(size=6, pxMode=True)
        self.train_points = pg.ScatterPlotItem(size=6, pxMode=True)
        self.line = pg.PlotDataItem()  # a linear network's decision: where x·W + b = 0
        for z, item in enumerate((self.image, self.test_points, self.train_points, self.line)):
            item.setZValue(z)
            self.plot.addItem(item)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.plots, 1)
        self.run: XorRun | None = None

    def show_run(self, run: XorRun, title: str, colours: PlotColours) -> None:
        """The run's output over the plane, its points, and for a collapsed network its line."""
        self.run = run
        self.title.setText(title)
        self.plots.setBackground(colours.background)
        style_plot(self.plot, colours, "x1", "x2", grid=False)
        for axis in ("bottom", "left"):
            self.plot.getAxis(axis).setTicks([[(v, f"{v:g}") for v in (-5, 0, 5)]])
        tables = ColourTables.from_colours(colours)
        p = run.plane
        self.image.setImage(LOGIT.rgb(run.output_map, tables, discrete=False), autoLevels=False)
        sx, sy = (p.x_max - p.x_min) / (p.size - 1), (p.y_max - p.y_min) / (p.size - 1)
        self.image.setRect(QRectF(p.x_min - sx / 2, p.y_min - sy / 2, p.x_max - p.x_min + sx,
                                  p.y_max - p.y_min + sy))
        self.plot.setRange(xRange=(p.x_min, p.x_max), yRange=(p.y_min, p.y_max), padding=0)
        by_class = [colours.class_colour(k) for k in (0, 1)]
        outline = pg.mkPen(colours.background, width=1)
        train = run.train_idx
        self.train_points.setData(pos=run.X[train], pen=outline,
                                  brush=[pg.mkBrush(by_class[int(y)]) for y in run.labels[train]])
        test = run.test_idx
        self.test_points.setData(pos=run.X[test], brush=QBrush(Qt.BrushStyle.NoBrush),
                                 pen=[pg.mkPen(by_class[int(y)], width=1.4) for y in run.labels[test]])
        if run.collapse is None:
            self.line.clear()
            return
        xs, ys = decision_line(run.collapse.weight[:, 0], float(run.collapse.bias[0]), p)
        self.line.setData(xs, ys)
        self.line.setPen(pg.mkPen(colours.text, width=2, style=Qt.PenStyle.DashLine))


class LinearPage(FollowsPlotColours, QWidget):
    """The identity network beside its one matrix, their outputs compared, and both networks
    trained on XOR (in a worker thread: about 0.3 s for the two) with their boundaries."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colours = PlotColours.from_palette()
        self.runs: dict[str, XorRun] = {}
        self.trained = False
        self._thread: threading.Thread | None = None
        self._relay = _Relay(self)
        self._relay.done.connect(self._finished)

        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.network = NetworkDiagram()
        self.network.setObjectName("identity_network")
        self.single = NetworkDiagram()
        self.single.setObjectName("single_layer")
        equals = QLabel("=")
        big = equals.font()
        big.setPointSizeF(big.pointSizeF() * 2.2)
        equals.setFont(big)
        self.product = QLabel()
        self.product.setObjectName("matrix_product")
        self.product.setWordWrap(True)
        self.outputs = QTableWidget(SAMPLE_ROWS, 5)
        self.outputs.setObjectName("outputs_compared")
        self.outputs.setHorizontalHeaderLabels(["x1", "x2", "network", "x·W + b", "difference"])
        self.outputs.verticalHeader().hide()
        self.outputs.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.outputs.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.outputs.setMinimumWidth(340)
        self.difference = QLabel()
        self.difference.setObjectName("largest_difference")
        self.difference.setWordWrap(True)
        right = QVBoxLayout()
        right.addWidget(self.product)
        right.addWidget(self.outputs)
        right.addWidget(self.difference)
        right.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.network, 5)
        top.addWidget(equals)
        top.addWidget(self.single, 3)
        top.addLayout(right, 5)

        self.train_button = QPushButton("Train both")
        self.train_button.setObjectName("train_both")
        self.train_button.setToolTip(f"Train the identity network and the tanh network on XOR, "
                                     f"{XOR_EPOCHS} epochs each")
        self.seed = QSpinBox()
        self.seed.setObjectName("seed")
        self.seed.setRange(0, 9999)
        self.seed.setPrefix("seed ")
        self.seed.setToolTip("The seed that draws both networks' first weights")
        self.status = QLabel()
        self.status.setObjectName("linear_status")
        self.status.setWordWrap(True)
        self.status.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        controls = QVBoxLayout()
        controls.addWidget(self.train_button)
        controls.addWidget(self.seed)
        controls.addWidget(self.status, 1)
        side = QWidget()
        side.setLayout(controls)
        side.setFixedWidth(210)

        self.boundaries = {name: BoundaryView() for name in ACTIVATIONS}
        bottom = QHBoxLayout()
        for view in self.boundaries.values():
            bottom.addWidget(view, 1)
        bottom.addWidget(side)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(top, 4)
        layout.addLayout(bottom, 6)

        self.train_button.clicked.connect(self.train)
        self.seed.valueChanged.connect(lambda _seed: self._show_untrained())
        self._show_untrained()

    # ------------------------------------------------------------------ public
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def train(self) -> None:
        """Train both networks from the seed's weights, away from the window's thread."""
        if self.running:
            return
        seed = self.seed.value()
        self.train_button.setEnabled(False)
        self.seed.setEnabled(False)
        self.status.setText("Training both networks…")
        self._thread = threading.Thread(target=self._work, args=(seed,), daemon=True,
                                        name="xor-linear-only")
        self._thread.start()

    def wait(self) -> None:
        """Until training in the background is over (the dialog closing)."""
        if self._thread is not None:
            self._thread.join()

    # ------------------------------------------------------------------ work
    def _work(self, seed: int) -> None:
        runs = {name: train_xor(name, seed) for name in ACTIVATIONS}
        try:
            self._relay.done.emit(runs)
        except RuntimeError:  # the page was closed meanwhile
            pass

    def _finished(self, runs: dict[str, XorRun]) -> None:
        self.trained = True
        self._thread = None
        self.train_button.setEnabled(True)
        self.seed.setEnabled(True)
        seconds = sum(run.seconds for run in runs.values())
        n = len(runs["identity"].train_idx)
        self.status.setText(f"Both trained for {XOR_EPOCHS} epochs on the same {n} training "
                            f"points (Adam, learning rate {XOR_LEARNING_RATE}), in {seconds:.2f} s "
                            f"in the background. Filled points trained, hollow ones test.\n\n"
                            f"Try other seeds: the identity network never gets far past a "
                            f"straight line's best.")
        self._show(runs)

    def _show_untrained(self) -> None:
        self.trained = False
        self._show({name: train_xor(name, self.seed.value(), epochs=0) for name in ACTIVATIONS})
        self.status.setText("Untrained: the weights the seed draws.\n\nTrain both to see which "
                            "one learns XOR.")

    def _show(self, runs: dict[str, XorRun]) -> None:
        self.runs = runs
        linear = runs["identity"]
        collapse = linear.collapse
        state = "trained" if self.trained else "untrained"
        sizes = "-".join(str(w) for w in [collapse.kernels[0].shape[0],
                                          *(k.shape[1] for k in collapse.kernels)])
        self.network.set_layers(collapse.kernels, collapse.biases, ("x1", "x2"),
                                f"{sizes}, identity everywhere: {collapse.parameter_count} "
                                f"weights and biases ({state})")
        self.single.set_layers([collapse.weight], [collapse.bias], ("x1", "x2"),
                               "one layer: 2 weights and a bias", numbers=True)
        self.product.setText(product_text(collapse))
        single = collapse.outputs(linear.X)[:, 0]
        network = linear.outputs[:, 0]
        for row in range(SAMPLE_ROWS):
            values = (f"{linear.X[row, 0]:.3f}", f"{linear.X[row, 1]:.3f}", f"{network[row]:.6f}",
                      f"{single[row]:.6f}", f"{network[row] - single[row]:.1e}")
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.outputs.setItem(row, col, item)
        self.outputs.resizeRowsToContents()
        rows = sum(self.outputs.rowHeight(r) for r in range(SAMPLE_ROWS))
        self.outputs.setFixedHeight(rows + self.outputs.horizontalHeader().height() + 4)
        largest = float(np.abs(network - single).max())
        self.difference.setText(f"Largest difference over all {len(network)} points: "
                                f"{largest:.1e}, the rounding of float64 arithmetic.")
        for name, run in runs.items():
            label = "identity: one straight line (dashed)" if name == "identity" else name
            self.boundaries[name].show_run(
                run, f"<b>{label}</b><br>test accuracy <b>{run.test_accuracy:.1%}</b>, "
                f"train {run.train_accuracy:.1%}", self.colours)

    # ------------------------------------------------------------------ look
    def colours_changed(self) -> None:
        if self.runs:
            self._show(self.runs)


def decision_line(w: np.ndarray, b: float, plane) -> tuple[list[float], list[float]]:
    """Two ends of the line w₁x₁ + w₂x₂ + b = 0 across the plane (empty when w is zero)."""
    if abs(w[1]) >= abs(w[0]) and w[1] != 0:
        xs = [plane.x_min, plane.x_max]
        return xs, [-(w[0] * x + b) / w[1] for x in xs]
    if w[0] != 0:
        ys = [plane.y_min, plane.y_max]
        return [-(w[1] * y + b) / w[0] for y in ys], ys
    return [], []


def product_text(collapse) -> str:
    """W = W₁·W₂·W₃ = (…)ᵀ and b = b₁·W₂·W₃ + b₂·W₃ + b₃ = …, with the shapes."""
    count = len(collapse.kernels)
    names = "·".join(f"W{_sub(i + 1)}" for i in range(count))
    shapes = " · ".join(f"({k.shape[0]}×{k.shape[1]})" for k in collapse.kernels)
    w = ", ".join(f"{v:+.4f}" for v in collapse.weight[:, 0])
    carried = " + ".join(f"b{_sub(i + 1)}" + "".join(f"·W{_sub(j + 1)}" for j in range(i + 1, count))
                         for i in range(count))
    rows, cols = collapse.weight.shape
    return (f"W = {names} = ({w})ᵀ\n      {shapes} = ({rows}×{cols})\n"
            f"b = {carried} = {collapse.bias[0]:+.4f}")


def _sub(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
