"""The data panel's list of data sets: each built-in set drawn small with NumPy into a QImage, once
per set and light or dark look, and the column of buttons, thumbnail and full name, that picks one."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QButtonGroup, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from core.data.datasets import load_dataset
from core.design import registry
from core.design.errors import NeuralCanvasError
from gui.panels.plot_style import PlotColours

THUMB = 52  # a thumbnail's side, in pixels
LISTED = 26  # a thumbnail's side in the list, in pixels
WRAPPED = 18  # a name longer than this many characters is shown on two lines
SAMPLES = 240  # points drawn in a thumbnail of a generated set
_MARGIN = 4
_DOT = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]  # a 3 × 3 pixel dot
# a painting's thumbnail: a few dabs of each of three classes, as a person might paint them
_DABS = ((-3.0, 2.5, 0), (-1.0, 3.5, 0), (-4.0, 0.5, 0), (3.0, 2.0, 1), (4.0, -1.0, 1),
         (1.5, -3.5, 2), (-1.5, -3.0, 2), (0.5, 0.5, 1))


def to_qimage(rgb: np.ndarray) -> QImage:
    """An (h, w, 3) uint8 array as a QImage that owns its pixels."""
    rgba = np.ascontiguousarray(np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)]))
    h, w = rgba.shape[:2]
    return QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


def _blank(colours: PlotColours) -> np.ndarray:
    """The thumbnail's background, framed in the muted text colour."""
    img = np.empty((THUMB, THUMB, 3), np.uint8)
    img[:] = colours.background_rgb.astype(np.uint8)
    frame = np.array(colours.muted.getRgb()[:3], np.uint8)
    img[0, :] = img[-1, :] = img[:, 0] = img[:, -1] = frame
    return img


def _scatter(img: np.ndarray, X: np.ndarray, rgb: np.ndarray, dot=_DOT,
             bounds: tuple[float, float] | None = None) -> np.ndarray:
    """Points (same scale on both axes, y up) drawn as small dots in their colours, the plane
    fitted to the points or to `bounds` (low, high) on both axes."""
    lo, hi = (X.min(axis=0), X.max(axis=0)) if bounds is None else (np.full(2, bounds[0]),
                                                                      np.full(2, bounds[1]))
    span = float(max((hi - lo).max(), 1e-9))
    inner = THUMB - 2 * _MARGIN - 1
    centre = (lo + hi) / 2
    px = np.rint((X[:, 0] - centre[0]) / span * inner + THUMB / 2).astype(int)
    py = np.rint(THUMB / 2 - (X[:, 1] - centre[1]) / span * inner).astype(int)
    for dx, dy in dot:
        img[np.clip(py + dy, 1, THUMB - 2), np.clip(px + dx, 1, THUMB - 2)] = rgb
    return img


def _point_rgb(colours: PlotColours, y: np.ndarray, task: str) -> np.ndarray:
    if task == "regression":
        values = np.asarray(y, dtype=np.float64).reshape(len(y), -1)[:, 0]
        span = max(float(np.ptp(values)), 1e-9)
        shades = colours.value_colours((values - values.min()) / span)
        return np.array([c.getRgb()[:3] for c in shades], np.uint8)
    return colours.class_table(int(y.max()) + 1 if len(y) else 1)[y].astype(np.uint8)


def _digits(colours: PlotColours) -> np.ndarray:
    """Four handwritten digits, 2 × 2, in ink on the background."""
    data = load_dataset("digits")
    picks = [int(np.flatnonzero(data.y == k)[0]) for k in (0, 1, 2, 3)]
    cell = (THUMB - 2 * _MARGIN) // 2
    scale = cell // 8
    img = _blank(colours)
    ink, paper = np.array(colours.text.getRgb()[:3], float), colours.background_rgb
    for i, row in enumerate(picks):
        tile = np.kron(data.X[row].reshape(8, 8), np.ones((scale, scale)))[..., None]
        y0, x0 = _MARGIN + (i // 2) * cell, _MARGIN + (i % 2) * cell
        img[y0:y0 + 8 * scale, x0:x0 + 8 * scale] = np.rint(paper + (ink - paper) * tile)
    return img


def _lattice(colours: PlotColours, data) -> np.ndarray | None:
    """Data whose first two inputs take a few whole values (the cricket scores): one cell per
    pair of values, coloured from class 0's colour to class 1's by the share of class 1."""
    values = [np.unique(data.X[:, j]) for j in (0, 1)]
    if data.task != "classification" or max(len(v) for v in values) > 12:
        return None
    img = _blank(colours)
    cell = (THUMB - 2 * _MARGIN) // max(len(v) for v in values)
    low, high = colours.class_table(2)
    for i, a in enumerate(values[0]):
        for j, b in enumerate(values[1]):
            rows = (data.X[:, 0] == a) & (data.X[:, 1] == b)
            share = float(np.mean(data.y[rows] > 0)) if rows.any() else 0.5
            y0 = THUMB - _MARGIN - (j + 1) * cell
            x0 = _MARGIN + i * cell
            img[y0 + 1:y0 + cell, x0 + 1:x0 + cell] = np.rint(low + (high - low) * share)
    return img


def _table(colours: PlotColours) -> np.ndarray:
    """A table's grid: a header row and columns (data of any width, not drawn on a plane)."""
    img = _blank(colours)
    line = np.array(colours.muted.getRgb()[:3], np.uint8)
    head = colours.class_table(2)[1].astype(np.uint8)
    a, b = 12, THUMB - 12
    img[a:a + 8, a:b] = head
    for y in range(a, b + 1, 8):
        img[y, a:b] = line
    for x in range(a, b + 1, 12):
        img[a:b, x] = line
    return img


@lru_cache(maxsize=64)
def thumbnail(name: str, dark: bool) -> QImage:
    """The data set `name` drawn small, for the light or the dark look (cached)."""
    colours = PlotColours.from_palette()
    img = _blank(colours)
    if name == "painted":
        dabs = np.array(_DABS)
        X, y = dabs[:, :2], dabs[:, 2].astype(int)
        big = [(dx, dy) for dx in range(-2, 3) for dy in range(-2, 3) if dx * dx + dy * dy <= 5]
        return to_qimage(_scatter(img, X, _point_rgb(colours, y, "classification"), big, (-6, 6)))
    if name == "digits":
        return to_qimage(_digits(colours))
    try:
        spec = registry.datasets.get(name)
        params = {"n": SAMPLES} if any(p.name == "n" for p in spec.params) else {}
        data = load_dataset(name, params, seed=0)
    except (NeuralCanvasError, KeyError):
        return to_qimage(_table(colours))  # a CSV file not chosen yet, an unknown set
    if data.num_features != 2:
        lattice = _lattice(colours, data)
        return to_qimage(_table(colours) if lattice is None else lattice)
    return to_qimage(_scatter(img, data.X, _point_rgb(colours, data.y, data.task)))


def two_lines(text: str) -> str:
    """`text` broken at the space nearest its middle."""
    spaces = [i for i, c in enumerate(text) if c == " "]
    if not spaces:
        return text
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    return f"{text[:cut]}\n{text[cut + 1:]}"


class DatasetStrip(QWidget):
    """A list of the data sets, one checkable button each (its thumbnail, its whole name),
    `buttons[name]` (object name "dataset_" + name); `chosen(name)` when a person clicks one."""

    chosen = Signal(str)

    def __init__(self, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QToolButton] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        for name in names:
            spec = registry.datasets.get(name)
            button = QToolButton()
            button.setObjectName(f"dataset_{name}")
            button.setText(two_lines(spec.label) if len(spec.label) > WRAPPED else spec.label)
            button.setToolTip(f"<b>{spec.label}</b><br>{spec.description} ({spec.task})")
            button.setCheckable(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setIconSize(QSize(LISTED, LISTED))
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.clicked.connect(lambda _checked=False, name=name: self.chosen.emit(name))
            self.group.addButton(button)
            self.buttons[name] = button
            layout.addWidget(button)
        layout.addStretch(1)
        self.restyle()

    def set_current(self, name: str) -> None:
        """Highlight the design's data set (none when it has no thumbnail here)."""
        button = self.buttons.get(name)
        if button is not None:
            button.setChecked(True)
        elif self.group.checkedButton() is not None:
            self.group.setExclusive(False)
            self.group.checkedButton().setChecked(False)
            self.group.setExclusive(True)

    @property
    def current(self) -> str | None:
        checked = self.group.checkedButton()
        return None if checked is None else checked.objectName().removeprefix("dataset_")

    def restyle(self) -> None:
        """Icons and the highlight in the palette's colours (again when light ↔ dark changes)."""
        colours = PlotColours.from_palette()
        for name, button in self.buttons.items():
            button.setIcon(QIcon(QPixmap.fromImage(thumbnail(name, colours.dark))))
        accent = self.palette().color(self.palette().ColorRole.Highlight).name()
        self.setStyleSheet(
            "QToolButton { border: 2px solid transparent; border-radius: 6px; padding: 1px 4px 1px 1px;"
            " text-align: left; }"
            f"QToolButton:hover {{ border-color: {colours.muted.name()}; }}"
            f"QToolButton:checked {{ border-color: {accent}; }}")
