"""Pointer gestures on the canvas: drawing a new wire from an output port, and dragging nodes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from PySide6.QtCore import QPointF, QRectF, Qt, SignalInstance
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from gui.canvas import style
from gui.canvas.items import ConnectionItem, NodeItem, PortItem, wire_path
from gui.canvas.style import theme, with_alpha
from gui.document.document import Document


class GestureScene(Protocol):
    """The canvas scene as the gestures use it (scene.CanvasScene is the one): the document they
    edit, the items under the pointer, whether drags snap to the grid, the wires that follow a
    drag, and a line for the status bar."""

    document: Document
    snap: bool
    status_message: SignalInstance

    def items(self, *where) -> list[QGraphicsItem]: ...

    def selectedItems(self) -> list[QGraphicsItem]: ...

    def addItem(self, item: QGraphicsItem) -> None: ...

    def removeItem(self, item: QGraphicsItem) -> None: ...

    def set_dragged_wires(self, wires: Iterable[ConnectionItem]) -> None: ...


class WiringTool:
    """Press on an output port, drag, release on another node's input port: one new connection.

    While dragging, a temporary curve follows the pointer; over a node the model is asked whether it
    would take the wire, and a refusal turns the curve red and says why through `status_message`.
    A reason said is taken back (an empty message) as soon as it no longer holds: the pointer left
    that node, the wire was made, the drag ended or another gesture began. The drag's own node
    counts only at its input port: the drag starts over it, which is no attempt at a loop."""

    SNAP_RADIUS = 12.0

    def __init__(self, scene: GestureScene) -> None:
        self.scene = scene
        self.source: NodeItem | None = None
        self.wire: QGraphicsPathItem | None = None
        self.target: NodeItem | None = None
        self._verdicts: dict[str, str] = {}  # target id → reason ("" accepted), for this drag
        self._said = False  # a reason of ours is in the status bar

    @property
    def active(self) -> bool:
        return self.source is not None

    def start(self, port: PortItem) -> None:
        self.cancel()
        self.source = port.node_item
        self._verdicts = {}
        self.wire = QGraphicsPathItem()
        self.wire.setZValue(5)
        self.wire.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.scene.addItem(self.wire)
        self._draw(self.source.output_anchor(), ok=True)

    def move(self, scene_pos: QPointF) -> None:
        if self.source is None:
            return
        target = self._target_at(scene_pos)
        if target is not self.target:
            self._set_target(target)
        if target is None:
            self._draw(scene_pos, ok=True, pending=True)
            return
        reason = self.verdict(target)
        end = target.input_anchor() if not reason and target.input_port is not None else scene_pos
        self._draw(end, ok=not reason)

    def finish(self, scene_pos: QPointF) -> str | None:
        """Connect to the node under the pointer if the model accepts; returns the new id."""
        if self.source is None:
            return None
        target = self._target_at(scene_pos)
        source_id = self.source.node_id
        self.cancel()
        if target is None:
            return None
        reason = self.scene.document.connection_problem(source_id, target.node_id)
        if reason:
            self._say(reason)
            return None
        return self.scene.document.connect(source_id, target.node_id)

    def cancel(self) -> None:
        self._set_target(None)
        self.take_back()
        if self.wire is not None:
            if self.wire.scene() is not None:
                self.scene.removeItem(self.wire)
            self.wire = None
        self.source = None

    def forget(self) -> None:
        """The scene was cleared under us: drop references without touching deleted items."""
        self.source = self.wire = self.target = None

    def take_back(self) -> None:
        """Clear the status bar's line if it still says a reason of ours."""
        if self._said:
            self._said = False
            self.scene.status_message.emit("")

    # ----------------------------------------------------------------- helpers
    def verdict(self, target: NodeItem) -> str:
        """Why the model would refuse source → target ("" when it accepts); asked once per drag."""
        assert self.source is not None
        if target.node_id not in self._verdicts:
            self._verdicts[target.node_id] = self.scene.document.connection_problem(
                self.source.node_id, target.node_id)
        return self._verdicts[target.node_id]

    def _set_target(self, target: NodeItem | None) -> None:
        if self.target is not None and self.target.input_port is not None:
            try:
                self.target.input_port.set_highlighted(False)
            except RuntimeError:  # removed meanwhile
                pass
        self.target = target
        if target is None:
            self.take_back()
            return
        reason = self.verdict(target)
        if reason:
            self._say(reason)
            return
        self.take_back()
        if target.input_port is not None:
            target.input_port.set_highlighted(True)

    def _say(self, reason: str) -> None:
        self._said = True
        self.scene.status_message.emit(reason)

    def _target_at(self, scene_pos: QPointF) -> NodeItem | None:
        """The node whose input port is nearest the pointer (within reach), else the node under it."""
        r = self.SNAP_RADIUS
        best, best_distance = None, r * r
        for item in self.scene.items(QRectF(scene_pos.x() - r, scene_pos.y() - r, 2 * r, 2 * r)):
            if isinstance(item, PortItem) and item.side == "in":
                d = item.scenePos() - scene_pos
                distance = d.x() * d.x() + d.y() * d.y()
                if distance <= best_distance:
                    best, best_distance = item.node_item, distance
        if best is not None:
            return best
        for item in self.scene.items(scene_pos):
            while item is not None and not isinstance(item, NodeItem):
                item = item.parentItem()
            if item is not None:
                return item if item is not self.source else None
        return None

    def _draw(self, end: QPointF, ok: bool, pending: bool = False) -> None:
        assert self.source is not None and self.wire is not None
        t = theme()
        colour = t.accent if ok else t.error
        pen = QPen(with_alpha(colour, 170) if pending else colour, 2.0,
                   Qt.PenStyle.DashLine if pending else Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        self.wire.setPen(pen)
        self.wire.setPath(wire_path(self.source.output_anchor(), end))


class MoveTracker:
    """One drag of the selected nodes becomes one `document.move` call, on release.

    Qt moves the selected items; after each step the tracker snaps them to the grid (when the scene
    snaps) and bends their wires, which paint themselves from the first step until the release."""

    def __init__(self, scene: GestureScene) -> None:
        self.scene = scene
        self._start: dict[str, QPointF] = {}
        self._nodes: list[NodeItem] = []
        self._snap = True
        self._moved = False

    @property
    def active(self) -> bool:
        return bool(self._start)

    def begin(self) -> None:
        self._nodes = [item for item in self.scene.selectedItems() if isinstance(item, NodeItem)]
        self._start = {item.node_id: item.pos() for item in self._nodes}
        self._snap = self.scene.snap
        self._moved = False

    def follow(self) -> None:
        """After Qt moved the dragged items: snap them to the grid and bend their wires."""
        if not self._moved:
            self._moved = True
            self.scene.set_dragged_wires(wire for item in self._nodes for wire in item.wires)
        g = style.GRID
        for item in self._nodes:
            if self._snap:
                x, y = round(item.x() / g) * g, round(item.y() / g) * g
                if (x, y) != (item.x(), item.y()):
                    item.setPos(x, y)
            item.update_wires()

    def finish(self) -> None:
        start, nodes = self._start, self._nodes
        self.cancel()
        design = self.scene.document.design
        moves = {}
        for item in nodes:
            old = start[item.node_id]
            if item.node_id not in design.nodes or item.pos() == old:
                continue
            moves[item.node_id] = (design.nodes[item.node_id].position, (item.x(), item.y()))
        if moves:
            self.scene.document.move(moves)

    def cancel(self) -> None:
        if self._moved:
            self.scene.set_dragged_wires(())
        self._start, self._nodes, self._moved = {}, [], False
