"""Small multiples of the decision boundary: each variant's output over the input plane (as the
boundary panel colours it), the data's points on top, its name under it and a red frame when it
diverged; in the table's order, as many as fit (the first MAX_TILES)."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui.panels.boundary.colours import ColourTables, OutputColouring
from gui.panels.compare.table import VariantRecord
from gui.panels.plot_style import PlotColours

MAX_TILES = 24
GAP = 6
CAPTION = 16  # pixels under each tile for its name
DIVERGED = QColor(214, 39, 40)


class BoundaryTiles(QWidget):
    """The tiles; `set_data` once per comparison, `set_maps` as outputs come."""

    hovered = Signal(object)  # the variant index under the mouse, or None

    def __init__(self, colours: PlotColours) -> None:
        super().__init__()
        self.setObjectName("compare_tiles")
        self.setMouseTracking(True)
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.colours = colours
        self.tables = ColourTables.from_colours(colours)
        self.colouring: OutputColouring | None = None
        self.images: dict[int, QImage] = {}
        self.maps: dict[int, np.ndarray] = {}
        self.order: list[VariantRecord] = []
        self.highlighted: int | None = None
        self._points: tuple[np.ndarray, list[QColor]] | None = None
        self._dots: QImage | None = None  # the points at the tiles' size
        self._plane = None
        self._places: list[tuple[QRectF, int]] = []

    def set_data(self, build, plane) -> None:
        """The comparison's data: how outputs become colour, and the points over the plane."""
        self.images, self.maps, self._plane, self._dots = {}, {}, plane, None
        if build is None or plane is None:
            self.colouring, self._points = None, None
            self.update()
            return
        self.colouring = OutputColouring.of(build)
        data = build.data
        X = np.asarray(data.X, dtype=np.float64)[:, :2]
        fx = (X[:, 0] - plane.x_min) / (plane.x_max - plane.x_min)
        fy = 1.0 - (X[:, 1] - plane.y_min) / (plane.y_max - plane.y_min)
        labels = np.asarray(data.y)
        if self.colouring.kind == "value":
            values = labels.reshape(len(labels), -1)[:, 0]
            colours = self.colours.value_colours(self.colouring.fractions(values))
        else:
            by_class = [self.colours.class_colour(k) for k in range(max(data.num_classes, 2))]
            colours = [by_class[int(v)] for v in labels]
        self._points = (np.column_stack([fx, fy]), colours)
        self.update()

    def set_maps(self, maps: dict[int, np.ndarray]) -> None:
        if self.colouring is None:
            return
        self.maps.update(maps)
        for index, output in maps.items():
            self.images[index] = self._image(output)
        self.update()

    def set_order(self, records: list[VariantRecord]) -> None:
        self.order = records[:MAX_TILES]
        self.update()

    def highlight(self, index: int | None) -> None:
        if index != self.highlighted:
            self.highlighted = index
            self.update()

    def apply_colours(self, colours: PlotColours, build=None) -> None:
        self.colours = colours
        self.tables = ColourTables.from_colours(colours)
        maps = dict(self.maps)
        if build is not None:
            self.set_data(build, self._plane)
        self.set_maps(maps)

    def _image(self, output: np.ndarray) -> QImage:
        rgb = np.ascontiguousarray(self.colouring.rgb(output, self.tables, False)[::-1])
        height, width = rgb.shape[:2]
        return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()

    # ------------------------------------------------------------------ painting
    def _layout(self) -> tuple[int, float]:
        """Columns and the side of a tile that fit every tile shown in the widget."""
        n = max(len(self.order), 1)
        width, height = self.width() - GAP, self.height() - GAP
        best = (1, 0.0)
        for columns in range(1, n + 1):
            rows = math.ceil(n / columns)
            side = min(width / columns - GAP, height / rows - GAP - CAPTION)
            if side > best[1]:
                best = (columns, side)
        return best

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt's
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.colours.background)
        self._places = []
        if not self.order:
            return
        columns, side = self._layout()
        if side < 8:
            return
        font = self.font()
        font.setPointSizeF(max(font.pointSizeF() * 0.85, 7.0))
        painter.setFont(font)
        metrics = QFontMetrics(font)
        for k, record in enumerate(self.order):
            x = GAP + (k % columns) * (side + GAP)
            y = GAP + (k // columns) * (side + GAP + CAPTION)
            rect = QRectF(round(x), round(y), round(side), round(side))
            self._places.append((rect, record.index))
            image = self.images.get(record.index)
            if image is not None:
                painter.drawImage(rect, image)
                self._draw_points(painter, rect)
            else:
                painter.fillRect(rect, self.colours.muted.lighter(150))
            on = record.index == self.highlighted
            frame = DIVERGED if record.state == "diverged" else record.colour
            painter.setPen(QPen(frame, 3.0 if on or record.state == "diverged" else 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect)
            caption = f"{record.index + 1}. {record.name}"
            if record.state == "diverged":
                caption = f"{record.index + 1}. diverged"
            painter.setPen(DIVERGED if record.state == "diverged" else self.colours.text)
            text = metrics.elidedText(caption, Qt.TextElideMode.ElideRight, int(side))
            painter.drawText(QRectF(x, y + side + 1, side, CAPTION),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        painter.end()

    def _draw_points(self, painter: QPainter, rect: QRectF) -> None:
        """The data's points, drawn once per tile size into a picture every tile then takes."""
        if self._points is None:
            return
        side = max(1, round(rect.width()))
        if self._dots is None or self._dots.width() != side:
            self._dots = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
            self._dots.fill(Qt.GlobalColor.transparent)
            dots = QPainter(self._dots)
            dots.setRenderHint(QPainter.RenderHint.Antialiasing)
            dots.setPen(Qt.PenStyle.NoPen)
            where, colours = self._points
            radius = max(0.8, side / 90)
            for (fx, fy), colour in zip(where[::2], colours[::2], strict=True):  # half: a thumbnail
                dots.setBrush(colour)
                dots.drawEllipse(QPointF(fx * side, fy * side), radius, radius)
            dots.end()
        painter.drawImage(rect.topLeft(), self._dots)

    def tile_at(self, x: float, y: float) -> int | None:
        for rect, index in self._places:
            if rect.contains(x, y):
                return index
        return None

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt's
        index = self.tile_at(event.position().x(), event.position().y())
        # a caption cut short ("5. lr 0.01 · se…") is whole in the tile's tooltip
        names = {record.index: f"{record.index + 1}. {record.name}" for record in self.order}
        self.setToolTip(names.get(index, "") if index is not None else "")
        self.hovered.emit(index)

    def leaveEvent(self, _event) -> None:  # noqa: N802 - Qt's
        self.hovered.emit(None)
