"""Pictures and numbers out of the window: the canvas as SVG or PNG, a panel's plot as PNG, and
any bytes written whole (write then rename) to a file the person names — or a message, and no
file at all, when that cannot be done."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QAction, QColor, QImage, QPainter, QRegion
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QFileDialog,
    QGraphicsItem,
    QGraphicsView,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QToolButton,
    QWidget,
)

from core.design.atomic import write_atomic
from core.design.errors import NeuralCanvasError, shown_path
from gui.widgets.theme import icon

CANVAS_MARGIN = 24  # scene pixels around the design in a picture of the canvas
PNG_SCALE = 2  # pixels per scene (or screen) pixel in a PNG
MAX_PIXELS = 40_000_000  # a bigger picture is drawn at a smaller scale (160 MB of pixels at most)
SVG_FILTER = "SVG pictures (*.svg)"
PNG_FILTER = "PNG pictures (*.png)"
CSV_FILTER = "CSV tables (*.csv)"
_SUFFIX = {SVG_FILTER: ".svg", PNG_FILTER: ".png", CSV_FILTER: ".csv"}


# ---------------------------------------------------------------------- asking and writing
def save_path(parent: QWidget, title: str, suggested: str, file_filter: str) -> str:
    """A file name from the save dialog ('' when cancelled), with the filter's suffix added when
    the name has none."""
    path = QFileDialog.getSaveFileName(parent, title, suggested, file_filter)[0]
    suffix = _SUFFIX.get(file_filter, "")
    if path and suffix and not path.lower().endswith(suffix):
        path += suffix
    return path


def suggested_name(document, what: str, suffix: str) -> str:
    """`<design>-<what><suffix>` beside the design's file (in the current folder when unsaved)."""
    path = getattr(document, "path", None)
    stem = os.path.splitext(os.path.basename(path))[0] if path else "untitled"
    name = f"{stem}-{what}{suffix}"
    return os.path.join(os.path.dirname(path), name) if path else name


def write_file(parent: QWidget, path: str, data: bytes, what: str) -> bool:
    """Write `data` to `path` all at once; on failure say why and leave no file behind."""
    try:
        write_atomic(path, data)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        QMessageBox.critical(parent, f"Cannot save {what}",
                             f"{what[:1].upper()}{what[1:]} could not be written to "
                             f"{shown_path(path)}: {reason}.")
        return False
    window = parent.window() if parent is not None else None
    if isinstance(window, QMainWindow):
        window.statusBar().showMessage(f"Saved {what} to {shown_path(path)}", 5000)
    return True


def export(parent: QWidget, title: str, suggested: str, file_filter: str,
           make: Callable[[], bytes], what: str) -> str:
    """Ask for a file name, make the bytes and write them; the path written, or '' (cancelled
    or failed)."""
    path = save_path(parent, title, suggested, file_filter)
    if not path:
        return ""
    try:
        data = make()
    except (NeuralCanvasError, ValueError, MemoryError) as exc:
        reason = "there is not enough memory for it" if isinstance(exc, MemoryError) else str(exc)
        QMessageBox.critical(parent, f"Cannot save {what}",
                             f"{what[:1].upper()}{what[1:]} could not be made: {reason}.")
        return ""
    return path if write_file(parent, path, data, what) else ""


def png_bytes(image: QImage) -> bytes:
    """An image encoded as PNG, in memory."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("the picture could not be encoded as PNG")
    buffer.close()
    return bytes(data)


# ---------------------------------------------------------------------- the canvas
def canvas_rect(scene) -> QRectF:
    """The whole design with a margin (a small square around the origin when it is empty)."""
    rect = scene.itemsBoundingRect()
    if rect.isEmpty():
        rect = QRectF(-50, -50, 100, 100)
    return rect.adjusted(-CANVAS_MARGIN, -CANVAS_MARGIN, CANVAS_MARGIN, CANVAS_MARGIN)


@contextmanager
def _as_printed(scene) -> Iterator[None]:
    """The scene as a picture of the design: every item painted afresh (not from the pictures
    the items and the wire layer keep for the screen: an SVG gets shapes and text), and no
    selection outline. The selection comes back as it was, without a signal: nobody sees it go."""
    selected = scene.selectedItems()
    cached = [(item, item.cacheMode()) for item in scene.items()
              if item.cacheMode() != QGraphicsItem.CacheMode.NoCache]
    was_blocked = scene.blockSignals(True)
    layer = scene.wire_layer
    scene.wire_layer = _DirectWires()
    try:
        for item in selected:
            item.setSelected(False)
        for item, _mode in cached:
            item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        yield
    finally:
        scene.wire_layer = layer
        for item, mode in cached:
            item.setCacheMode(mode)
        for item in selected:
            item.setSelected(True)
        scene.blockSignals(was_blocked)


class _DirectWires:
    """Stands in for the scene's WireLayer while it is printed: the scene draws each wire."""

    @staticmethod
    def paint(*_args) -> bool:
        return False


def _paint_scene(scene, painter: QPainter, target: QRectF, source: QRectF,
                 background: QColor) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    painter.fillRect(target, background)
    with _as_printed(scene):
        scene.render(painter, target, source, Qt.AspectRatioMode.IgnoreAspectRatio)


def canvas_svg(scene, background: QColor, title: str = "Neural Canvas design") -> bytes:
    """The whole design as an SVG picture, one scene pixel to one SVG unit."""
    source = canvas_rect(scene)
    width, height = math.ceil(source.width()), math.ceil(source.height())
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(QSize(width, height))
    generator.setViewBox(QRect(0, 0, width, height))
    generator.setResolution(96)  # one SVG unit to one CSS pixel
    generator.setTitle(title)
    generator.setDescription("Drawn by Neural Canvas")
    painter = QPainter(generator)
    try:
        _paint_scene(scene, painter, QRectF(0, 0, width, height), source, background)
    finally:
        painter.end()
    buffer.close()
    return bytes(data)


def canvas_image(scene, background: QColor, scale: float = PNG_SCALE) -> QImage:
    """The whole design as an image at `scale` pixels per scene pixel (less for a design so big
    that the picture would pass MAX_PIXELS)."""
    source = canvas_rect(scene)
    area = source.width() * source.height()
    scale = min(scale, math.sqrt(MAX_PIXELS / area)) if area > 0 else scale
    width, height = max(1, round(source.width() * scale)), max(1, round(source.height() * scale))
    image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(background)
    painter = QPainter(image)
    try:
        _paint_scene(scene, painter, QRectF(0, 0, width, height), source, background)
    finally:
        painter.end()
    return image


# ---------------------------------------------------------------------- a panel's plot
def _copy_of(label: QLabel) -> QLabel:
    """A label with the same text and look at its natural size (the one on screen may be cut
    short by a narrow dock)."""
    copy = QLabel()
    copy.setTextFormat(label.textFormat())
    copy.setText(label.text())
    copy.setFont(label.font())
    copy.setPalette(label.palette())
    copy.setStyleSheet(label.styleSheet())
    copy.adjustSize()
    return copy


def panel_image(labels: Sequence[QLabel], body: QWidget, background: QColor,
                scale: float = PNG_SCALE) -> QImage:
    """A plot as a picture: a row of its labels (the legend, the caption) over the plot itself,
    on the plot's background, at `scale` pixels per screen pixel."""
    margin, spacing = 8, 16
    shown = [_copy_of(label) for label in labels if label.isVisibleTo(label.window())
             and label.text()]
    row_height = max((label.height() for label in shown), default=0)
    row_width = sum(label.width() for label in shown) + spacing * max(len(shown) - 1, 0)
    top = margin + row_height + (6 if shown else 0)
    size = body.size()
    width = max(size.width(), row_width + 2 * margin)
    height = top + size.height()
    image = QImage(round(width * scale), round(height * scale), QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(scale)
    image.fill(background)
    painter = QPainter(image)
    try:
        x = margin
        for label in shown:
            label.render(painter, QPoint(x, margin + (row_height - label.height()) // 2),
                         QRegion(), QWidget.RenderFlag.DrawChildren)  # no window behind it
            x += label.width() + spacing
        if isinstance(body, QGraphicsView):  # the scene drawn afresh at the picture's scale
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)  # as on screen
            body.render(painter, QRectF(0, top, size.width(), size.height()),
                        body.viewport().rect())
        else:
            QWidget.render(body, painter, QPoint(0, top))
    finally:
        painter.end()
    for label in shown:
        label.deleteLater()
    image.setDevicePixelRatio(1.0)  # the file's pixels are its size
    return image


# ---------------------------------------------------------------------- a panel's menu
def panel_export_menu(owner: QWidget, plots: QWidget, save_png: Callable[[], object],
                      save_csv: Callable[[], object]) -> tuple[QToolButton, QAction, QAction]:
    """"Save as PNG…" and "Save data as CSV…" for a plot panel: in a small menu button for its
    header, and as the plot's right-click menu. Returns (button, png action, csv action)."""
    png = _icon_action(owner, "Save as PNG…", "mdi6.image-outline", save_png)
    csv_ = _icon_action(owner, "Save data as CSV…", "mdi6.table-arrow-right", save_csv)
    for action in (png, csv_):
        plots.addAction(action)
    plots.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
    menu = QMenu(owner)
    menu.addActions([png, csv_])
    opener = _icon_action(owner, "Save", "mdi6.tray-arrow-down", lambda: None)
    opener.setToolTip("Save this plot as a picture, or its numbers as a table")
    opener.setMenu(menu)
    button = QToolButton()
    button.setObjectName("export_button")
    button.setAutoRaise(True)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    button.setDefaultAction(opener)
    return button, png, csv_


def _icon_action(owner: QWidget, text: str, icon_name: str, slot: Callable[[], object]) -> QAction:
    action = QAction(icon(icon_name), text, owner)
    action.setProperty("icon_name", icon_name)  # the window recolours it when the look changes
    action.triggered.connect(lambda _checked=False: slot())
    return action
