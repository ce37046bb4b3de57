"""The Inside view's picture pages: a Conv2D block's filters above their feature maps beside the
test sample, and an autoencoder's test inputs beside their reconstructions with its code as a
scatter coloured by class."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from core.training.inside import AutoencoderView, ConvView
from gui.panels.inside.tiles import (
    Picture,
    Tile,
    TileGrid,
    array_image,
    hint_label,
    picture,
    signed_key,
    signed_range,
    signed_table,
)
from gui.panels.plot_style import PlotColours, style_plot

CODE_POINT_SIZE = 6


def verdict(output: np.ndarray, target, class_names: tuple[str, ...], task: str) -> str:
    """'true 3 · says 3 (97%)' for a class, 'target 0.31 · says 0.29' for values."""
    if task == "classification":
        def name(k: int) -> str:
            return class_names[k] if 0 <= k < len(class_names) else str(k)
        if output.size == 1:  # one sigmoid output: the probability of class 1
            guess, p = int(output[0] > 0.5), float(output[0] if output[0] > 0.5 else 1 - output[0])
        else:
            guess, p = int(np.argmax(output)), float(np.max(output))
        return f"true {name(int(target))} · says {name(guess)} ({p:.0%})"
    target = np.asarray(target).ravel()
    if target.size == 1 and output.size == 1:
        return f"target {float(target[0]):.3g} · says {float(output[0]):.3g}"
    return f"{output.size} outputs"


class ConvPage(QWidget):
    """The test sample at the left; for each filter a tile: its weights above its feature map."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view: ConvView | None = None
        self.sample = Picture(84)
        self.sample.setObjectName("inside_sample")
        self.key = hint_label()
        self.key.setObjectName("inside_conv_key")
        self.grid = TileGrid(stacked=True, smallest=14, largest=60)
        self.grid.setObjectName("inside_filters")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.sample, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.grid, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 6)
        layout.setSpacing(4)
        layout.addWidget(self.key)
        layout.addLayout(row, 1)
        self.map_range = (0.0, 1.0)
        self.filter_range = (-1.0, 1.0)

    def show_view(self, view: ConvView, data, activation: str, colours: PlotColours,
                  ink: list[int], task: str) -> None:
        self.view = view
        signed = signed_table(colours)
        self.filter_range = signed_range(view.filters)
        if view.maps.size and view.maps.min() >= 0:  # ReLU and friends: ink on the page
            self.map_range, map_table = (0.0, float(view.maps.max()) or 1.0), ink
        else:
            self.map_range, map_table = signed_range(view.maps), signed
        tiles = []
        k = view.kernel.shape[0]
        for n, (weights, fmap) in enumerate(zip(view.filters, view.maps, strict=True)):
            tiles.append(Tile((array_image(weights, signed, *self.filter_range),
                               array_image(fmap, map_table, *self.map_range)), str(n + 1),
                              f"filter {n + 1}: weights {weights.min():.2g} … {weights.max():.2g}; "
                              f"its map {fmap.min():.2g} … {fmap.max():.2g}"))
        self.grid.set_tiles(tiles)
        low, high = (float(data.X.min()), float(data.X.max())) if data.X.size else (0.0, 1.0)
        self.sample.set_picture(array_image(picture(view.image, view.image.shape), ink, low, high),
                                f"test sample {view.sample}\n"
                                + verdict(view.output, view.target, data.class_names, task))
        channels = view.kernel.shape[2]
        which = ("" if channels == 1 else
                 f", the mean over its {channels} input channels" if view.channel is None else
                 f", input channel {view.channel + 1} of {channels}")
        maps = "" if map_table is ink else f"{signed_key(colours, '−', '+')}, "
        self.key.setText(
            f"Top: each filter's {k}×{k} weights{which} ({signed_key(colours, '−', '+')}, "
            f"±{self.filter_range[1]:.2g}). Below: what it finds in this sample, its "
            f"{html.escape(activation)} output ({maps}up to {self.map_range[1]:.2g}).")


# two more colours after PlotColours' eight (light, dark), so the ten digits each have their own
EXTRA_CLASS_COLOURS = (((170, 170, 30), (205, 205, 80)), ((120, 120, 120), (170, 170, 170)))


def class_colours(colours: PlotColours, count: int) -> list[QColor]:
    """One colour per class: the plots' class colours, then two more, then cycled."""
    table = [colours.class_colour(k) for k in range(len(colours.classes))]
    table += [QColor(*pair[1 if colours.dark else 0]) for pair in EXTRA_CLASS_COLOURS]
    return [table[k % len(table)] for k in range(max(count, 1))]


class AutoencoderPage(QWidget):
    """Pairs (test input | its reconstruction) at the left; the code of many test samples, a
    point each, coloured by class, at the right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view: AutoencoderView | None = None
        self.pairs_caption = hint_label()
        self.pairs = TileGrid(stacked=False, smallest=12, largest=48, gap=12)  # apart: pairs
        self.pairs.setObjectName("inside_pairs")
        left = QVBoxLayout()
        left.setSpacing(4)
        left.addWidget(self.pairs_caption)
        left.addWidget(self.pairs, 1)
        self.legend = hint_label()
        self.legend.setObjectName("inside_legend")
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.ci.setContentsMargins(2, 2, 6, 2)
        self.plot = self.plots.addPlot()
        self.plot.setMenuEnabled(False)
        self.scatter = pg.ScatterPlotItem(size=CODE_POINT_SIZE, pxMode=True, symbol="o")
        self.plot.addItem(self.scatter)
        right = QVBoxLayout()
        right.setSpacing(2)
        right.addWidget(self.legend)
        right.addWidget(self.plots, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 4, 4)
        layout.addLayout(left, 1)
        layout.addLayout(right, 1)
        self.axis_names = ("", "")
        self.brush_colours: list = []  # each point's colour, in the order of view.points

    def show_view(self, view: AutoencoderView, colours: PlotColours,
                  ink: list[int], background) -> None:
        self.view = view
        low = float(min(view.inputs.min(), 0.0)) if view.inputs.size else 0.0
        high = float(view.inputs.max()) if view.inputs.size else 1.0
        self.pairs.set_tiles([
            Tile((array_image(picture(x, view.image_shape), ink, low, high),
                  array_image(picture(y, view.image_shape), ink, low, high)), "",
                 f"test sample {n}: the input (left) and the network's drawing of it (right); "
                 f"mean squared difference {np.mean((x - y) ** 2):.3g}")
            for n, (x, y) in enumerate(zip(view.inputs, view.outputs, strict=True))])
        error = float(np.mean((view.inputs - view.outputs) ** 2)) if view.inputs.size else 0.0
        self.pairs_caption.setText(f"Test samples, each beside the network's drawing of it · "
                                   f"mean squared error {error:.3g}")
        self._scatter(view, colours, background)
        if view.projected:
            self.axis_names = (f"principal component 1 of the {view.width}-unit code",
                               "principal component 2")
        elif view.width == 1:
            self.axis_names = ("the code's one unit", "class")
        else:
            self.axis_names = ("code unit 1", "code unit 2")
        style_plot(self.plot, colours, *self.axis_names)
        self.plot.autoRange(padding=0.05)

    def _scatter(self, view: AutoencoderView, colours: PlotColours, background) -> None:
        if view.labels is not None:
            count = int(view.labels.max()) + 1 if len(view.labels) else 0
            names = view.class_names or tuple(str(k) for k in range(count))
            table = class_colours(colours, max(count, len(names)))
            self.brush_colours = [table[int(k)] for k in view.labels]
            self.legend.setText(
                f"The code of {len(view.points)} test samples, by class: " + "&nbsp; ".join(
                    f"<span style='color:{table[k].name()}'>●</span>&nbsp;{html.escape(str(name))}"
                    for k, name in enumerate(names)))
        else:
            self.brush_colours = [colours.class_colour(1)] * len(view.points)
            self.legend.setText(f"The code of {len(view.points)} test samples")
        placed = np.isfinite(view.points).all(axis=1)  # a code that overflowed has no place
        if not placed.all():
            self.brush_colours = [c for c, kept in zip(self.brush_colours, placed, strict=True) if kept]
        self.scatter.setData(pos=view.points[placed],
                             brush=[pg.mkBrush(c) for c in self.brush_colours],
                             pen=pg.mkPen(background, width=0.6))
