"""The boundary panel: the network's output (or one neuron's map) over the input plane, with the
training points filled and the test points hollow on top, as TensorFlow Playground draws it; a
past moment of the timeline as well as the present; saved as a picture, or the grid's inputs and
the output there as a table."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QPainter
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.interchange.tables import grid_csv
from gui.panels.boundary.colours import ColourTables, OutputColouring, neuron_rgb
from gui.panels.plot_style import FollowsPlotColours, PlotColours, style_plot
from gui.widgets import exports

NOT_PLANAR = "The boundary is drawn for two-dimensional inputs; see the confusion matrix."
NOT_YET = "The decision boundary appears here once training starts (Play, Step or one sample)."
POINT_SIZE = 7
RING_SIZE = 17


class BoundaryPanel(FollowsPlotColours, QWidget):
    """A heatmap of the output over the plane, the data on top, the sample just presented ringed.

    The image and the three scatter items are made once: a snapshot sets the image again
    (colours through tables made once); the points are set again only when the data changes.
    """

    def __init__(self, controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.colours = PlotColours.from_palette()
        self.tables = ColourTables.from_colours(self.colours)
        self.colouring: OutputColouring | None = None
        self.neuron: str | None = None  # the node whose map the heatmap shows (None: the output)
        self.last = None  # the snapshot drawn last (core.training.probes.Snapshot)
        self._trainer = None  # the trainer whose data the points show
        self._plane = None
        self._rect: QRectF | None = None  # the plane's extent, where the image goes
        self._rect_set: QRectF | None = None
        self._sample: int | None = None
        self.past_epoch: int | None = None  # the timeline's moment drawn (None: the present)

        self.caption = QLabel()
        self.caption.setObjectName("boundary_caption")
        self.key = QLabel()  # what the colours mean: the classes, or the value's range
        self.key.setObjectName("boundary_key")
        self.key.setTextFormat(Qt.TextFormat.RichText)
        self.key.setWordWrap(True)  # many classes: on more lines, none cut
        self.discretize = QCheckBox("discretize output")
        self.discretize.setObjectName("discretize")
        self.discretize.setToolTip("Show only the decision: each point of the plane in the colour "
                                   "of the class the network picks (bands for a value)")
        header = QHBoxLayout()  # what is drawn and its colours' meaning; the check box below
        header.setContentsMargins(8, 4, 8, 0)
        header.setSpacing(12)
        header.addWidget(self.caption, 0, Qt.AlignmentFlag.AlignTop)
        header.addWidget(self.key, 1)
        options = QHBoxLayout()
        options.setContentsMargins(8, 0, 8, 0)
        options.addWidget(self.discretize)
        options.addStretch(1)

        self.plots = pg.GraphicsLayoutWidget()
        self.export_button, self.save_png_action, self.save_csv_action = \
            exports.panel_export_menu(self, self.plots, self.save_png, self.save_csv)
        header.addWidget(self.export_button)
        self.plots.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self.plots.ci.setContentsMargins(2, 2, 8, 2)
        self.plot = self.plots.addPlot()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMenuEnabled(False)
        self.plot.setAspectLocked(False)  # both axes span the data's plane, whatever the panel's shape
        self.image = pg.ImageItem(axisOrder="row-major")
        self.test_points = pg.ScatterPlotItem(size=POINT_SIZE, pxMode=True, symbol="o")
        self.train_points = pg.ScatterPlotItem(size=POINT_SIZE, pxMode=True, symbol="o")
        self.sample_ring = pg.ScatterPlotItem(size=RING_SIZE, pxMode=True, symbol="o")
        for z, item in enumerate((self.image, self.test_points, self.train_points, self.sample_ring)):
            item.setZValue(z)
            self.plot.addItem(item)

        plot_page = QWidget()
        page = QVBoxLayout(plot_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.setSpacing(2)
        page.addLayout(header)
        page.addLayout(options)
        page.addWidget(self.plots, 1)
        self.note = QLabel(NOT_YET)
        self.note.setObjectName("boundary_note")
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setWordWrap(True)
        self.note.setMargin(24)
        self.stack = QStackedWidget()
        self.stack.addWidget(plot_page)
        self.stack.addWidget(self.note)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        self.apply_colours()
        self.clear()
        self.discretize.toggled.connect(self._draw_image)
        controller.snapshot.connect(self.show_snapshot)
        controller.moment.connect(self.show_moment)
        controller.document.design_replaced.connect(self.clear)

    # ------------------------------------------------------------------ public
    def show_neuron(self, node_id: str | None) -> None:
        """Show one neuron's map over the plane instead of the output (None: the output again)."""
        if node_id != self.neuron:
            self.neuron = node_id
            self._draw_image()

    def show_moment(self, snap) -> None:
        """Draw a past moment of the timeline (a Snapshot recomputed from its weights), or the
        present again (None)."""
        past = snap is not None
        snap = snap if past else self.controller.last
        self.past_epoch = snap.epoch if past else None
        if snap is not None:
            self.show_snapshot(snap, past=past)

    def show_snapshot(self, snap, past: bool = False) -> None:
        """Draw a core.training.probes.Snapshot: the heatmap always, the points only for new data."""
        trainer = self.controller.trainer
        if trainer is None:  # a late frame from a run whose design is gone
            return
        if not past:
            self.past_epoch = None
        self.last = snap
        if snap.neuron_maps or snap.plane != self._plane:  # frames between carry no maps
            self._maps = snap.neuron_maps
        if snap.plane is None or snap.output_map is None:
            self._show_note(NOT_PLANAR)
            return
        if trainer is not self._trainer or snap.plane != self._plane:
            self._take_data(trainer, snap.plane)
        self.stack.setCurrentIndex(0)
        self._set_exportable(True)
        self._draw_image()
        self._ring(snap.sample)

    def clear(self) -> None:
        """Nothing to draw: a new design, not trained yet."""
        self.last, self._trainer, self._plane, self.colouring = None, None, None, None
        self._rect = self._rect_set = None
        self.image.clear()
        for item in (self.train_points, self.test_points, self.sample_ring):
            item.clear()
        self._sample = None
        self._show_note(NOT_YET)

    # ------------------------------------------------------------------ saving
    def grid_table(self) -> bytes:
        """The plane's grid as CSV: each point's two inputs and the network's output there."""
        snap, trainer = self.last, self._trainer
        outputs = np.asarray(snap.output_map)
        data = trainer.build.data if trainer is not None else None
        names = tuple(data.class_names) if data is not None and data.class_names else None
        return grid_csv(snap.plane.points(), outputs, self._axis_names(), names)

    def save_png(self) -> str:
        """The plane, its points and the key as a PNG picture, at twice the screen's size."""
        return exports.export(
            self, "Save the boundary as PNG",
            exports.suggested_name(self.controller.document, "boundary", ".png"),
            exports.PNG_FILTER,
            lambda: exports.png_bytes(exports.panel_image([self.caption, self.key], self.plots,
                                                          self.colours.background)),
            "the boundary picture")

    def save_csv(self) -> str:
        return exports.export(
            self, "Save the boundary data as CSV",
            exports.suggested_name(self.controller.document, "boundary", ".csv"),
            exports.CSV_FILTER, self.grid_table, "the boundary data")

    def _set_exportable(self, on: bool) -> None:
        for action in (self.save_png_action, self.save_csv_action):
            action.setEnabled(on)

    # ------------------------------------------------------------------ drawing
    def _show_note(self, text: str) -> None:
        self.note.setText(text)
        self.stack.setCurrentWidget(self.note)
        self._set_exportable(False)

    def _take_data(self, trainer, plane) -> None:
        """A new trainer or plane: the points, the image's place and the colouring, once."""
        self._trainer, self._plane = trainer, plane
        build = trainer.build
        self.colouring = OutputColouring.of(build)
        step_x = (plane.x_max - plane.x_min) / max(plane.size - 1, 1)
        step_y = (plane.y_max - plane.y_min) / max(plane.size - 1, 1)
        # grid values sit at pixel centres: the image reaches half a step beyond the extremes
        self._rect = QRectF(plane.x_min - step_x / 2, plane.y_min - step_y / 2,
                            plane.x_max - plane.x_min + step_x, plane.y_max - plane.y_min + step_y)
        self.plot.setRange(xRange=(plane.x_min, plane.x_max), yRange=(plane.y_min, plane.y_max),
                           padding=0)
        names = tuple(build.data.feature_names[:2]) or ("x1", "x2")
        style_plot(self.plot, self.colours, names[0], names[1], grid=False)
        self._set_points()
        self._set_key()
        self.sample_ring.clear()
        self._sample = None

    def _set_points(self) -> None:
        trainer, c = self._trainer, self.colours
        if trainer is None:
            return
        data = trainer.build.data
        by_value = self.colouring is not None and self.colouring.kind == "value"
        outline = pg.mkPen(c.muted if by_value else c.background, width=1)
        for item, rows, filled in ((self.train_points, trainer.train_idx, True),
                                   (self.test_points, trainer.test_idx, False)):
            rows = np.asarray(rows, dtype=np.intp)
            colours = self._point_colours(data, rows)
            if filled:
                brushes = [pg.mkBrush(colour) for colour in colours]
                item.setData(pos=data.X[rows, :2], brush=brushes, pen=outline)
            else:
                pens = [pg.mkPen(colour, width=1.6) for colour in colours]
                item.setData(pos=data.X[rows, :2], brush=QBrush(Qt.BrushStyle.NoBrush), pen=pens)

    def _point_colours(self, data, rows: np.ndarray) -> list:
        if self.colouring is not None and self.colouring.kind == "value":
            y = np.asarray(data.y, dtype=np.float64).reshape(len(data.y), -1)[rows, 0]
            return self.colours.value_colours(self.colouring.fractions(y))
        by_class = [self.colours.class_colour(k) for k in range(max(data.num_classes, 2))]
        return [by_class[int(label)] for label in np.asarray(data.y)[rows]]

    def _set_key(self) -> None:
        """The colours' meaning beside the caption, as coloured text."""
        trainer, colouring, c = self._trainer, self.colouring, self.colours
        if trainer is None or colouring is None:
            self.key.setText("")
            return
        data = trainer.build.data
        if colouring.kind == "value":
            lo, hi = colouring.value_range
            low, high = (self.colours.value_colours(np.array([0.0, 1.0])))
            self.key.setText(f"<span style='color:{low.name()}'>■</span> {lo:.3g} … "
                             f"<span style='color:{high.name()}'>■</span> {hi:.3g}")
            return
        names = data.class_names or tuple(str(k) for k in range(data.num_classes))
        self.key.setText("&nbsp;&nbsp;".join(
            f"<span style='color:{c.class_colour(k).name()}'>●</span>&nbsp;{html.escape(str(name))}"
            for k, name in enumerate(names[:max(colouring.num_classes, 2)])))

    def _draw_image(self, *_args) -> None:
        """The heatmap from the last snapshot: the output, or the chosen neuron's map."""
        snap, colouring = self.last, self.colouring
        if snap is None or snap.output_map is None or colouring is None:
            return
        discrete = self.discretize.isChecked()
        maps = getattr(self, "_maps", None) or snap.neuron_maps
        values = maps.get(self.neuron) if self.neuron is not None else None
        if values is not None:
            rgb = neuron_rgb(values, self.tables, discrete)
            node = self.controller.document.design.nodes.get(self.neuron)
            name = (node.label if node is not None and node.label else self.neuron)
            when = "" if self.past_epoch is None else f" at epoch {self.past_epoch:,}"
            self.caption.setText(f"neuron {name}{when}   {values.min():.2g} … {values.max():.2g}")
            self.key.hide()
        else:
            rgb = colouring.rgb(snap.output_map, self.tables, discrete)
            self.caption.setText("output" if self.past_epoch is None
                                 else f"output at epoch {self.past_epoch:,}")
            self.key.show()
        shape = self.image.image.shape if self.image.image is not None else None
        self.image.setImage(rgb, autoLevels=False)
        if self._rect is not None and (self._rect_set is not self._rect or shape != rgb.shape):
            self.image.setRect(self._rect)  # scales by the image's size: set after the image
            self._rect_set = self._rect

    def _ring(self, sample: int | None) -> None:
        if sample == self._sample:
            return
        self._sample = sample
        trainer = self._trainer
        if sample is None or trainer is None or not 0 <= sample < len(trainer.train_idx):
            self.sample_ring.clear()
            return
        row = int(trainer.train_idx[sample])
        self.sample_ring.setData(pos=trainer.build.data.X[row:row + 1, :2])

    def apply_colours(self) -> None:
        """Everything coloured from the palette (at the start and when light ↔ dark changes)."""
        c = self.colours
        self.tables = ColourTables.from_colours(c)
        self.plots.setBackground(c.background)
        style_plot(self.plot, c, *self._axis_names(), grid=False)
        self.sample_ring.setPen(pg.mkPen(c.ring, width=2.5))
        self.sample_ring.setBrush(QBrush(Qt.BrushStyle.NoBrush))
        muted = c.muted.name()
        self.note.setStyleSheet(f"color: {muted};")
        self.caption.setStyleSheet(f"color: {muted};")
        self._set_points()
        self._set_key()
        self._draw_image()

    def _axis_names(self) -> tuple[str, str]:
        if self._trainer is not None and len(self._trainer.build.data.feature_names) >= 2:
            return tuple(self._trainer.build.data.feature_names[:2])
        return ("x1", "x2")

    def colours_changed(self) -> None:
        self.apply_colours()
