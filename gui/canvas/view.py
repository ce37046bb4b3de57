"""The canvas view: dot-grid background, zoom, pan, Delete, and drops from the palette or the file manager."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QMouseEvent, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QFrame, QGraphicsView, QWidget

from gui.canvas import style
from gui.canvas.items import NodeItem
from gui.canvas.palette import KIND_MIME
from gui.canvas.scene import CanvasScene

FILE_SUFFIXES = (".ncanvas", ".onnx")  # a design, or an ONNX model to import
MIN_ZOOM, MAX_ZOOM = 0.1, 4.0
READABLE_PX = 8.0  # the least size on screen at which a node's text reads
SMALLEST_TEXT_PX = 10.0  # a node's smallest text in scene pixels (a neuron's bias and name)
FIT_LEAST_ZOOM = READABLE_PX / SMALLEST_TEXT_PX  # Fit to View zooms out no further
BIG_NODES, BIG_WIRES = 150, 400  # from this size on, zooming scales the last frame (see paintEvent)
ZOOM_SETTLE_MS = 150  # the wheel has rested this long: draw sharp again
WORLD = 1_000_000.0  # the view may pan anywhere; the scene's items are somewhere inside


class CanvasView(QGraphicsView):
    """Shows a CanvasScene; the wheel zooms around the cursor, middle drag or space+drag pans."""

    file_dropped = Signal(str)  # a .ncanvas (or .onnx) file was dropped: the window opens it
    zoom_changed = Signal(float)  # the new scale (1.0: 100 %)
    menu_requested = Signal(QPoint)  # a right click, at this global point: the window shows its menu

    def __init__(self, scene: CanvasScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.canvas = scene
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
        # The dots and the wires at rest (drawn by the scene) are cached: panning, dragging and
        # hovering repaint only what moves.
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSceneRect(QRectF(-WORLD / 2, -WORLD / 2, WORLD, WORLD))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pan_from: QPoint | None = None
        self._space_held = False
        # A big design zooms smoothly: while the wheel turns, the last sharp frame is scaled;
        # once it rests, everything is drawn sharp again (see _zoom_gesture).
        self._snapshot: tuple[QPixmap, QRectF] | None = None
        self._settle = QTimer(self, singleShot=True, interval=ZOOM_SETTLE_MS)
        self._settle.timeout.connect(self.end_zoom_gesture)
        self.centerOn(0, 0)
        scene.document.design_replaced.connect(self._after_replace)

    @property
    def document(self):
        return self.canvas.document

    # ----------------------------------------------------------------- zoom
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float, anchor: QGraphicsView.ViewportAnchor | None = None) -> None:
        """Scale to `factor` (clamped), keeping the anchor (the view's centre, by default) in place."""
        factor = min(max(factor, MIN_ZOOM), MAX_ZOOM)
        if math.isclose(factor, self.zoom()):
            return
        previous = self.transformationAnchor()
        if anchor is not None:
            self.setTransformationAnchor(anchor)
        ratio = factor / self.zoom()
        self.scale(ratio, ratio)
        self.setTransformationAnchor(previous)
        self.zoom_changed.emit(self.zoom())

    @Slot()
    def zoom_in(self) -> None:
        self.set_zoom(self.zoom() * 1.25, QGraphicsView.ViewportAnchor.AnchorViewCenter)

    @Slot()
    def zoom_out(self) -> None:
        self.set_zoom(self.zoom() / 1.25, QGraphicsView.ViewportAnchor.AnchorViewCenter)

    @Slot()
    def fit_to_view(self) -> None:
        """Show every node, at most at 125 % and never so small that their text cannot be read
        (FIT_LEAST_ZOOM): a design larger than that is shown centred where it fits and from its
        start (left, top: its inputs) where it does not, the rest a scroll away."""
        items = self.canvas.node_items()
        if not items:
            self.centerOn(0, 0)
            return
        rect = QRectF()
        for item in items:
            rect = rect.united(item.sceneBoundingRect())
        rect.adjust(-40, -40, 40, 40)
        view = self.viewport().rect()
        factor = min(view.width() / rect.width(), view.height() / rect.height(), 1.25)
        self.set_zoom(max(factor, FIT_LEAST_ZOOM), QGraphicsView.ViewportAnchor.AnchorViewCenter)
        width, height = view.width() / self.zoom(), view.height() / self.zoom()
        self.centerOn(rect.center().x() if rect.width() <= width else rect.left() + width / 2,
                      rect.center().y() if rect.height() <= height else rect.top() + height / 2)

    def zoom_at(self, factor: float, view_pos: QPointF) -> None:
        """Scale to `factor` keeping the scene point under this viewport point where it is."""
        self._zoom_gesture()
        before = self.mapToScene(view_pos.toPoint())
        self.set_zoom(factor, QGraphicsView.ViewportAnchor.AnchorViewCenter)
        shift = before - self.mapToScene(view_pos.toPoint())
        self.centerOn(self.mapToScene(self.viewport().rect().center()) + shift)

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_at(self.zoom() * 1.15 ** steps, event.position())
        event.accept()

    def is_big(self) -> bool:
        """Too many things to draw afresh at every step of a zoom."""
        return (len(self.canvas.node_items()) >= BIG_NODES
                or len(self.canvas.connection_items()) >= BIG_WIRES)

    def _zoom_gesture(self) -> None:
        """A wheel step on a big design: keep the frame on screen now, to scale it until the wheel
        rests (ZOOM_SETTLE_MS without a step)."""
        if not self.is_big():
            return
        if self._snapshot is None:
            shown = self.mapToScene(self.viewport().rect()).boundingRect()
            self._snapshot = (self.viewport().grab(), shown)
        self._settle.start()

    @property
    def showing_snapshot(self) -> bool:
        """Whether a zoom is drawn from the scaled last frame (until the wheel rests)."""
        return self._snapshot is not None

    def end_zoom_gesture(self) -> None:
        """The wheel rests: draw the scene sharp again."""
        self._snapshot = None
        self.viewport().update()

    def paintEvent(self, event) -> None:
        if self._snapshot is None:
            super().paintEvent(event)
            return
        pixmap, shown = self._snapshot
        painter = QPainter(self.viewport())
        painter.fillRect(self.viewport().rect(), style.theme().background)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(self.viewportTransform().mapRect(shown), pixmap, QRectF(pixmap.rect()))
        painter.end()

    # ----------------------------------------------------------------- pan
    def _panning_press(self, event) -> bool:
        return event.button() == Qt.MouseButton.MiddleButton or (
            event.button() == Qt.MouseButton.LeftButton and self._space_held)

    def mousePressEvent(self, event) -> None:
        if self._panning_press(event):
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        self._forward(super().mousePressEvent, event)

    @staticmethod
    def _forward(handler, event) -> None:
        """Pass a mouse event on, Shift acting as Qt's Ctrl: shift-click and shift-drag add to the
        selection, as in most editors."""
        mods = event.modifiers()
        if not mods & Qt.KeyboardModifier.ShiftModifier:
            handler(event)
            return
        mods = (mods | Qt.KeyboardModifier.ControlModifier) & ~Qt.KeyboardModifier.ShiftModifier
        copy = QMouseEvent(event.type(), event.position(), event.scenePosition(),
                           event.globalPosition(), event.button(), event.buttons(), mods,
                           event.pointingDevice())
        handler(copy)
        event.setAccepted(copy.isAccepted())

    def mouseMoveEvent(self, event) -> None:
        if self._pan_from is not None:
            now = event.position().toPoint()
            delta = now - self._pan_from
            self._pan_from = now
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            event.accept()
            return
        self._forward(super().mouseMoveEvent, event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None and event.button() in (Qt.MouseButton.MiddleButton,
                                                              Qt.MouseButton.LeftButton):
            self._pan_from = None
            self._update_cursor()
            event.accept()
            return
        self._forward(super().mouseReleaseEvent, event)

    def _update_cursor(self) -> None:
        if self._space_held:
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.viewport().unsetCursor()

    # ----------------------------------------------------------------- keys
    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key == Qt.Key.Key_Space and not event.isAutoRepeat() and not self.canvas.wiring.active:
            self._space_held = True
            self._update_cursor()
            event.accept()
            return
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selection()
            event.accept()
            return
        if key == Qt.Key.Key_Escape and self.canvas.wiring.active:
            self.canvas.wiring.cancel()
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = False
            self._update_cursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event) -> None:
        self._space_held = False
        self._update_cursor()
        super().focusOutEvent(event)

    def contextMenuEvent(self, event) -> None:
        """A right click on a node not yet selected selects it alone, then the menu opens; elsewhere
        the selection stays, so a rubber-band selection can be acted on."""
        item = self.itemAt(event.pos())
        while item is not None and not isinstance(item, NodeItem):
            item = item.parentItem()
        if item is not None and not item.isSelected():
            self.canvas.select_ids([item.node_id])
        self.menu_requested.emit(event.globalPos())
        event.accept()

    @Slot()
    def delete_selection(self) -> None:
        """Remove the selected nodes (with their wires) and wires: one undo command."""
        self.document.remove(self.canvas.selected_node_ids(), self.canvas.selected_connection_ids())

    # ----------------------------------------------------------------- adding nodes
    def snapped(self, point: QPointF) -> tuple[float, float]:
        if not self.canvas.snap:
            return point.x(), point.y()
        g = style.GRID
        return round(point.x() / g) * g, round(point.y() / g) * g

    def add_at(self, view_pos: QPoint | QPointF, kind: str, params: Mapping[str, Any] | None = None,
               label: str = "") -> str:
        """Add a node centred on this viewport point (snapped); returns its id."""
        scene_pos = self.mapToScene(QPointF(view_pos).toPoint())
        return self.document.add_node(kind, self.snapped(scene_pos), dict(params or {}), label)

    def centre_scene_pos(self) -> tuple[float, float]:
        """The scene point in the middle of what is visible, snapped to the grid when snapping."""
        return self.snapped(QPointF(self.mapToScene(self.viewport().rect().center())))

    def add_at_centre(self, kind: str, params: Mapping[str, Any] | None = None, label: str = "") -> str:
        """Add a node in the middle of what is visible, stepping down past any node already there."""
        x, y = self.centre_scene_pos()
        for _ in range(50):
            if not any(isinstance(i, NodeItem) for i in self.canvas.items(QPointF(x, y))):
                break
            y += 6 * style.GRID
        return self.document.add_node(kind, (x, y), dict(params or {}), label)

    # ----------------------------------------------------------------- drops
    @staticmethod
    def kind_payload(mime: QMimeData) -> dict[str, Any] | None:
        """The palette entry a drag carries ({"kind", "params", "label"}), or None."""
        if not mime.hasFormat(KIND_MIME):
            return None
        try:
            payload = json.loads(bytes(mime.data(KIND_MIME).data()).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("kind"), str):
            return None
        if not isinstance(payload.get("params", {}), dict):
            return None
        return payload

    @staticmethod
    def design_file(mime: QMimeData) -> str | None:
        for url in mime.urls() if mime.hasUrls() else []:
            if url.isLocalFile() and url.toLocalFile().lower().endswith(FILE_SUFFIXES):
                return url.toLocalFile()
        return None

    def _acceptable(self, mime: QMimeData) -> bool:
        return self.kind_payload(mime) is not None or self.design_file(mime) is not None

    def dragEnterEvent(self, event) -> None:
        if self._acceptable(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if self._acceptable(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:
        event.accept()

    def dropEvent(self, event) -> None:
        if self.drop_mime(event.mimeData(), event.position()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def drop_mime(self, mime: QMimeData, view_pos: QPointF) -> bool:
        """Handle a drop at a viewport point: add the palette's node, or pass a design file on."""
        payload = self.kind_payload(mime)
        if payload is not None:
            try:
                self.add_at(view_pos, payload["kind"], payload.get("params") or {},
                            str(payload.get("label", "")))
            except KeyError as exc:  # a kind the registry does not know
                self.canvas.status_message.emit(str(exc).strip("'\""))
                return False
            self.setFocus()
            return True
        path = self.design_file(mime)
        if path is not None:
            self.file_dropped.emit(path)
            return True
        return False

    # ----------------------------------------------------------------- painting and theme
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        t = style.theme()
        painter.fillRect(rect, t.background)
        spacing = style.DOT_SPACING
        while spacing * self.zoom() < 12:  # keep dots at least 12 px apart on screen
            spacing *= 2
        left = math.floor(rect.left() / spacing) * spacing
        top = math.floor(rect.top() / spacing) * spacing
        xs = [left + i * spacing for i in range(int((rect.right() - left) / spacing) + 1)]
        ys = [top + j * spacing for j in range(int((rect.bottom() - top) / spacing) + 1)]
        pen = QPen(t.dots, 2.0)
        pen.setCosmetic(True)  # two screen pixels at any zoom
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawPoints([QPointF(x, y) for y in ys for x in xs])
        super().drawBackground(painter, rect)  # the scene's wires at rest

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.canvas.refresh_theme()
            self.resetCachedContent()  # the dots and the wires at rest, in the new colours
        super().changeEvent(event)

    def _after_replace(self) -> None:
        self.resetTransform()
        self.fit_to_view()
