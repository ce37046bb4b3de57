"""A picture of the wires at rest, so that a design of thousands of wires pans and zooms smoothly.

Stroking an antialiased curve costs a fraction of a millisecond; five thousand of them cost more
than a second, far too slow to redraw on every frame. For a design with many wires the scene
therefore draws its wires at rest once into an image at the current zoom and afterwards only copies
that image: panning moves it, zooming scales it (briefly soft) until a sharp copy at the new zoom
has been drawn, a slice of wires per turn of the event loop so that the window never stops
answering. A change to a few wires (a weight typed, a node dropped) is redrawn into the image at
once. Small designs skip all this: their wires are drawn directly, always sharp.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPointF, QRectF, QTimer
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QGraphicsScene

if TYPE_CHECKING:
    from gui.canvas.wires import ConnectionItem

MIN_WIRES = 400  # from this many wires on, the scene draws them from a picture
MAX_PIXELS = 8_000_000  # the largest picture (32 MB)
SLICE_SECONDS = 0.02  # drawing work per turn of the event loop while a sharp copy is made
SETTLE_MS = 90  # wait this long after the last zoom step before drawing a sharp copy


class _Job:
    """A picture being drawn, a slice at a time."""

    def __init__(self, rect: QRectF, scale: float, dpr: float, wires: Iterable[ConnectionItem]):
        self.rect, self.scale, self.dpr = rect, scale, dpr
        width = max(1, round(rect.width() * scale * dpr))
        height = max(1, round(rect.height() * scale * dpr))
        self.image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
        self.image.fill(0)
        self.image.setDevicePixelRatio(dpr)
        self.wires: Iterator[ConnectionItem] = iter(list(wires))
        self.dirty = QRectF()  # wires that changed while this was drawn: redrawn when it is done


class WireLayer(QObject):
    """The picture of a scene's wires at rest (see the module's note)."""

    def __init__(self, scene: QGraphicsScene, wires: dict[str, ConnectionItem]) -> None:
        super().__init__(scene)
        self.scene = scene
        self.wires = wires  # the scene's own {connection id: item}
        self.image: QImage | None = None
        self.rect = QRectF()  # the scene area the picture shows
        self.scale = 0.0  # screen pixels per scene pixel the picture was drawn at (the zoom)
        self.dpr = 1.0
        self.dirty = QRectF()  # parts of the picture that are out of date
        self._bounds_cache: QRectF | None = None
        self._job: _Job | None = None
        self._wanted: tuple[QRectF, float, float] | None = None
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(self._begin)
        self._slices = QTimer(self, interval=0)
        self._slices.timeout.connect(self._work)

    # ------------------------------------------------------------------ state
    @property
    def active(self) -> bool:
        return len(self.wires) >= MIN_WIRES

    @property
    def busy(self) -> bool:
        """A sharp copy is waiting to start or being drawn."""
        return self._job is not None or self._settle.isActive()

    def reset(self) -> None:
        """Forget the picture (a new design)."""
        self.image, self.rect, self.dirty = None, QRectF(), QRectF()
        self._bounds_cache = None
        self._cancel()

    def invalidate(self, rect: QRectF) -> None:
        """Wires at rest changed inside rect: that part of the picture is redrawn before it shows."""
        self._bounds_cache = None
        if self.image is not None:
            self.dirty = self.dirty.united(rect)
        if self._job is not None:
            self._job.dirty = self._job.dirty.united(rect)

    def finish(self) -> None:
        """Draw the sharp copy now, in one go (benchmarks and tests)."""
        if self._settle.isActive():
            self._settle.stop()
            self._begin()
        while self._job is not None:
            self._work(budget=float("inf"))

    # ------------------------------------------------------------------ painting
    def paint(self, painter: QPainter, exposed: QRectF, zoom: float) -> bool:
        """Draw the wires at rest inside `exposed`; False when the scene should draw them itself."""
        if not self.active:
            if self.image is not None or self._job is not None:
                self.reset()
            return False
        dpr = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        if self.image is not None and not self.dirty.isEmpty():
            self._repair()
        target = self._target(exposed, zoom, dpr)
        if self.image is None or zoom != self.scale or dpr != self.dpr \
                or not self.rect.contains(exposed.intersected(self._bounds())):
            self._want(target, zoom, dpr)
        if self.image is None:
            return True  # the first picture is on its way: wires appear in a moment
        painter.save()
        painter.setClipRect(exposed)
        if zoom == self.scale and dpr == self.dpr:
            # One picture pixel per screen pixel: place it on whole pixels, never resampled.
            corner = painter.worldTransform().map(self.rect.topLeft())
            painter.resetTransform()
            painter.drawImage(QPointF(round(corner.x() * dpr) / dpr, round(corner.y() * dpr) / dpr),
                              self.image)
        else:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(self.rect, self.image)
        painter.restore()
        return True

    def _bounds(self) -> QRectF:
        """The area all the wires take (kept until a wire changes)."""
        if self._bounds_cache is None:
            rects = [item.boundingRect() for item in self.wires.values()]
            self._bounds_cache = QRectF(QPointF(min(r.left() for r in rects), min(r.top() for r in rects)),
                                        QPointF(max(r.right() for r in rects),
                                                max(r.bottom() for r in rects))) if rects else QRectF()
        return self._bounds_cache

    def _target(self, exposed: QRectF, zoom: float, dpr: float) -> QRectF:
        """What the views show and a margin around it (half a view each way, within MAX_PIXELS),
        where there are wires: only wires on screen cost drawing time."""
        shown = QRectF(exposed)
        for view in self.scene.views():
            shown = shown.united(view.mapToScene(view.viewport().rect()).boundingRect())
        around = shown.adjusted(-shown.width() / 2, -shown.height() / 2,
                                shown.width() / 2, shown.height() / 2)
        if around.width() * around.height() * (zoom * dpr) ** 2 > MAX_PIXELS:
            around = shown  # a huge window: the shown part alone
        return around.intersected(self._bounds().adjusted(-8, -8, 8, 8))

    def _want(self, rect: QRectF, zoom: float, dpr: float) -> None:
        wanted = (rect, zoom, dpr)
        if self._job is not None and (self._job.rect, self._job.scale, self._job.dpr) == wanted:
            return
        if self._wanted == wanted and self._settle.isActive():
            return
        self._cancel()
        self._wanted = wanted
        if self.image is None:
            self._begin()  # nothing to show yet: start at once
        else:
            self._settle.start()  # zooming: wait for the wheel to rest

    def _cancel(self) -> None:
        self._settle.stop()
        self._slices.stop()
        self._job = None
        self._wanted = None

    def _begin(self) -> None:
        if self._wanted is None:
            return
        rect, zoom, dpr = self._wanted
        self._wanted = None
        self._job = _Job(rect, zoom, dpr, (w for w in self.wires.values()
                                           if not w.live and w.boundingRect().intersects(rect)))
        self._slices.start()

    def _work(self, budget: float = SLICE_SECONDS) -> None:
        job = self._job
        if job is None:
            self._slices.stop()
            return
        painter = self._painter(job.image, job.rect, job.scale)
        deadline = time.perf_counter() + budget
        done = True
        for item in job.wires:
            if item.scene() is self.scene and not item.live:
                item.draw(painter, job.scale, solid=True)
            if time.perf_counter() > deadline:
                done = False
                break
        painter.end()
        if not done:
            return
        self._slices.stop()
        self._job = None
        self.image, self.rect, self.scale, self.dpr = job.image, job.rect, job.scale, job.dpr
        self.dirty = job.dirty
        self.scene.invalidate(job.rect, QGraphicsScene.SceneLayer.BackgroundLayer)

    def _repair(self) -> None:
        """Redraw the out-of-date parts of the picture."""
        assert self.image is not None
        dirty, self.dirty = self.dirty.intersected(self.rect), QRectF()
        if dirty.isEmpty():
            return
        painter = self._painter(self.image, self.rect, self.scale)
        painter.setClipRect(dirty)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
        painter.fillRect(dirty.adjusted(-1, -1, 1, 1), 0)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
        for item in self.wires.values():
            if not item.live and item.boundingRect().intersects(dirty):
                item.draw(painter, self.scale, solid=True)
        painter.end()

    @staticmethod
    def _painter(image: QImage, rect: QRectF, scale: float) -> QPainter:
        painter = QPainter(image)
        painter.scale(scale, scale)
        painter.translate(-rect.left(), -rect.top())
        return painter
