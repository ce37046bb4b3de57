"""Small pictures of arrays for the Inside view: an array as an image through a colour table (ink on
the page, or orange–page–blue for signed values), and a grid of tiles that sizes them to fit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from gui.panels.plot_style import PlotColours
from gui.panels.samples import mix, scaled_font


def ink_table(palette: QPalette) -> list[int]:
    """256 colours from the page (0) to the ink (255), as the digit pictures are drawn."""
    base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
    return [mix(base, text, v / 255).rgb() for v in range(256)]


def signed_lut(colours: PlotColours) -> np.ndarray:
    """(256, 3) uint8: orange for the most negative, the page at zero, blue for the most positive
    (as the canvas draws negative and positive weights), at full strength at the ends."""
    t = np.linspace(-1.0, 1.0, 256)[:, None]
    page = colours.background_rgb
    ends = np.where(t < 0, colours.classes[0], colours.classes[1])
    return (page + (ends - page) * np.abs(t)).round().astype(np.uint8)


def signed_table(colours: PlotColours) -> list[int]:
    """signed_lut as a colour table for indexed images."""
    return [QColor(int(r), int(g), int(b)).rgb() for r, g, b in signed_lut(colours)]


def levels(values: np.ndarray, table: list[int], low: float, high: float) -> np.ndarray:
    """uint8 indices into a colour table for `values` scaled so low → 0 and high → 255."""
    with np.errstate(all="ignore"):  # inf is clipped to an end; NaN (no number) drawn as low
        scaled = np.clip((np.asarray(values, dtype=np.float64) - low) / max(high - low, 1e-12), 0, 1)
    scaled = np.nan_to_num(scaled, nan=0.0)
    return (scaled * (len(table) - 1)).round().astype(np.uint8)


def array_image(values: np.ndarray, table: list[int], low: float, high: float) -> QImage:
    """A 2-D array as an indexed image, one pixel per value (row 0 at the top)."""
    grid = np.ascontiguousarray(levels(np.atleast_2d(values), table, low, high))
    h, w = grid.shape
    image = QImage(grid.data, w, h, w, QImage.Format.Format_Indexed8).copy()
    image.setColorTable(table)
    return image


def picture(row: np.ndarray, shape: tuple[int, ...] | None) -> np.ndarray:
    """A sample's values as a 2-D picture: its image (channels averaged), or the values laid out
    in a near-square, padded with zeros, when the data has no image shape."""
    row = np.asarray(row, dtype=np.float64).ravel()
    if shape and int(np.prod(shape)) == row.size:
        grid = row.reshape(shape)
        return grid.mean(axis=2) if grid.ndim == 3 else grid.reshape(shape[0], -1)
    side = int(np.ceil(np.sqrt(row.size)))
    return np.pad(row, (0, side * side - row.size)).reshape(side, side)


def signed_range(values: np.ndarray) -> tuple[float, float]:
    """A range around zero that holds every value (zero falls on the page colour)."""
    top = float(np.abs(values).max()) if np.size(values) else 1.0
    top = top if top > 0 else 1.0
    return -top, top


def signed_key(colours: PlotColours, negative: str, positive: str) -> str:
    """'■ negative ■ positive' (rich text) in the signed table's two ends."""
    low, high = colours.class_colour(0).name(), colours.class_colour(1).name()
    return (f"<span style='color:{low}'>■</span>&nbsp;{negative} "
            f"<span style='color:{high}'>■</span>&nbsp;{positive}")


def hint_label(text: str = "") -> QLabel:
    """A wrapping rich-text line that explains what is drawn (it never widens the panel)."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


@dataclass(frozen=True)
class Tile:
    """One cell of a TileGrid: pictures side by side (or stacked), a caption under them."""

    images: tuple[QImage, ...]
    caption: str = ""
    tooltip: str = ""


class TileGrid(QWidget):
    """Tiles in rows, each picture drawn at the largest side (between `smallest` and `largest`
    pixels) at which all of them fit the widget; pixels stay square and sharp."""

    INNER = 3  # between the pictures of one tile

    def __init__(self, stacked: bool = False, smallest: int = 18, largest: int = 64, gap: int = 6,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tiles: list[Tile] = []
        self.gap = gap  # between tiles
        self.stacked = stacked  # a tile's pictures one above the other, else side by side
        self.smallest, self.largest = smallest, largest
        self.side = largest
        self.columns = 1
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_tiles(self, tiles: list[Tile]) -> None:
        self.tiles = list(tiles)
        self._fit()
        self.update()

    # ------------------------------------------------------------------ geometry
    def _caption_height(self) -> int:
        return self.fontMetrics().height() if any(t.caption for t in self.tiles) else 0

    def _cell(self, side: int) -> tuple[int, int]:
        """A tile's width and height for pictures `side` pixels across."""
        count = max((len(t.images) for t in self.tiles), default=1)
        along = count * side + (count - 1) * self.INNER
        width, height = (side, along) if self.stacked else (along, side)
        return width, height + self._caption_height()

    def _layout(self, side: int, width: int) -> tuple[int, int]:
        """(columns, the height all rows take) at this picture side and widget width."""
        cell_w, cell_h = self._cell(side)
        columns = max(1, min((width + self.gap) // (cell_w + self.gap), len(self.tiles) or 1))
        rows = -(-len(self.tiles) // columns)
        return columns, max(rows * (cell_h + self.gap) - self.gap, 0)

    def _fit(self) -> None:
        width, height = max(self.width(), 1), max(self.height(), 1)
        side = self.smallest
        for candidate in range(self.largest, self.smallest - 1, -1):
            if self._layout(candidate, width)[1] <= height:
                side = candidate
                break
        self.side = side
        self.columns = self._layout(side, width)[0]
        self.setMinimumHeight(self._layout(self.smallest, width)[1])
        self.updateGeometry()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's override
        return QSize(8 * (self._cell(self.largest)[0] + self.gap), self._layout(self.largest, 320)[1])

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's override
        return QSize(self._cell(self.smallest)[0], self.minimumHeight())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's override
        self._fit()
        super().resizeEvent(event)

    def tile_rect(self, n: int) -> QRectF:
        cell_w, cell_h = self._cell(self.side)
        used = self.columns * (cell_w + self.gap) - self.gap
        left = max((self.width() - used) / 2, 0)
        return QRectF(left + (n % self.columns) * (cell_w + self.gap),
                      (n // self.columns) * (cell_h + self.gap), cell_w, cell_h)

    def tile_at(self, pos) -> int | None:
        for n in range(len(self.tiles)):
            if self.tile_rect(n).contains(pos):
                return n
        return None

    # ------------------------------------------------------------------ painting
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's override
        palette = self.palette()
        base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
        frame = QPen(mix(base, text, 0.25), 1.0)
        p = QPainter(self)
        p.setFont(scaled_font(self.font(), 0.8))
        caption_h = self._caption_height()
        side = self.side
        for n, tile in enumerate(self.tiles):
            cell = self.tile_rect(n)
            for k, image in enumerate(tile.images):
                offset = k * (side + self.INNER)
                x, y = (cell.left(), cell.top() + offset) if self.stacked else (cell.left() + offset,
                                                                                 cell.top())
                target = QRectF(x, y, side, side)
                p.drawImage(target, image)  # nearest neighbour: the values stay square
                p.setPen(frame)
                p.drawRect(target.adjusted(-0.5, -0.5, 0.5, 0.5))
            if tile.caption:
                p.setPen(mix(text, base, 0.3))
                p.drawText(QRectF(cell.left() - self.gap / 2, cell.bottom() - caption_h,
                                  cell.width() + self.gap, caption_h),
                           Qt.AlignmentFlag.AlignCenter, tile.caption)
        p.end()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt's override
        n = self.tile_at(event.position())
        self.setToolTip(self.tiles[n].tooltip if n is not None else "")
        super().mouseMoveEvent(event)


class Picture(QWidget):
    """One picture with a caption under it, as large as `side` pixels."""

    def __init__(self, side: int = 88, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.caption = ""
        self.side = side
        self.setFixedWidth(side + 8)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)

    def set_picture(self, image: QImage, caption: str) -> None:
        self.image, self.caption = image, caption
        self.setToolTip(caption)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's override
        return QSize(self.side + 8, self.side + 3 * self.fontMetrics().height())

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's override
        if self.image is None:
            return
        palette = self.palette()
        base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
        p = QPainter(self)
        target = QRectF(4, 4, self.side, self.side * self.image.height() / max(self.image.width(), 1))
        p.drawImage(target, self.image)
        p.setPen(QPen(mix(base, text, 0.25), 1.0))
        p.drawRect(target.adjusted(-0.5, -0.5, 0.5, 0.5))
        p.setPen(text)
        p.setFont(scaled_font(self.font(), 0.85))
        p.drawText(QRectF(0, target.bottom() + 4, self.width(), self.height() - target.bottom() - 4),
                   Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                   self.caption)
        p.end()
