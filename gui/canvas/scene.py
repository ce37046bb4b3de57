"""The canvas scene: one item per node and connection of the document's design, kept in step by its events."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsScene, QToolTip
from shiboken6 import isValid

from core.design.design import Connection, Design, Node
from core.design.errors import Problem
from gui.canvas import neuron_maps, style
from gui.canvas.interactions import MoveTracker, WiringTool
from gui.canvas.items import ConnectionItem, NodeItem, PortItem, make_node_item
from gui.canvas.wirelayer import WireLayer
from gui.document.document import Document


class CanvasScene(QGraphicsScene):
    """Items for the document's design. It never edits the design itself: gestures call Document."""

    status_message = Signal(str)  # a reason to show in the status bar (a refused wire, …)
    neuron_hovered = Signal(object)  # a neuron's id when the pointer enters it, None when it leaves

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # No BSP index: wires move with every drag and whole designs come and go; a linear scan in
        # C++ over a few thousand bounding rects is faster than keeping the tree up to date.
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.document = document
        self.snap = True  # drags snap node positions to the 10 px grid
        self.training_live = False  # training runs: wires drawn the fast way (set_training_live)
        self.weight_scale = 1.0  # the largest |weight| of the design's wires (1 while none is set)
        self._largest = 0.0  # the largest |weight|, 0 while none is set
        self._nodes: dict[str, NodeItem] = {}
        self._wires: dict[str, ConnectionItem] = {}
        self._marked: set[str] = set()  # ids whose items show a problem
        self.hovered_neuron: str | None = None  # the neuron under the pointer
        self.design: Design | None = None
        self._dragged_wires: set[ConnectionItem] = set()  # wires of the nodes being dragged
        self._live: set[ConnectionItem] = set()  # wires that paint themselves (see wires.py)
        self._background_batch: QRectF | None = None  # changed background while batching
        self.wire_layer = WireLayer(self, self._wires)  # the wires of big designs, as a picture
        self.wiring = WiringTool(self)
        self.moves = MoveTracker(self)
        self._rescale_timer = QTimer(self, singleShot=True, interval=0)
        self._rescale_timer.timeout.connect(self.refresh_weights)
        for signal, slot in ((document.node_added, self._on_node_added),
                             (document.node_removed, self._on_node_removed),
                             (document.node_changed, self._on_node_changed),
                             (document.connection_added, self._on_connection_added),
                             (document.connection_removed, self._on_connection_removed),
                             (document.connection_changed, self._on_connection_changed),
                             (document.weights_changed, self._on_weights_changed),
                             (document.design_replaced, self.rebind)):
            signal.connect(slot)
        document.validated.connect(self.show_problems)
        document.live_weights_changed.connect(self.show_weights)
        self.selectionChanged.connect(self._sync_live)
        self.rebind()

    # ----------------------------------------------------------------- queries
    def node_item(self, node_id: str) -> NodeItem | None:
        return self._nodes.get(node_id)

    def connection_item(self, connection_id: str) -> ConnectionItem | None:
        return self._wires.get(connection_id)

    def node_items(self) -> list[NodeItem]:
        return list(self._nodes.values())

    def connection_items(self) -> list[ConnectionItem]:
        return list(self._wires.values())

    def selected_node_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_connection_ids(self) -> list[str]:
        return [i.connection_id for i in self.selectedItems() if isinstance(i, ConnectionItem)]

    def select_ids(self, ids: Iterable[str]) -> None:
        """Select exactly the nodes and connections with these ids."""
        self.clearSelection()
        for key in ids:
            item = self._nodes.get(key) or self._wires.get(key)
            if item is not None:
                item.setSelected(True)

    # ----------------------------------------------------------------- binding to the design
    def rebind(self) -> None:
        """Drop every item and build them again for `document.design` (New, Open, first use)."""
        self._unbind()
        self.design = design = self.document.design
        self._set_scale()
        with self.batched_background():
            for node in design.nodes.values():
                self._add_node(node)
            for conn in design.connections.values():
                self._add_wire(conn)
            self.show_problems(self.document.problems)

    def _unbind(self) -> None:
        self.wiring.cancel()
        self.moves.cancel()
        self._live.clear()
        self._dragged_wires.clear()
        self._nodes.clear()
        self._wires.clear()
        self._marked.clear()
        self.neuron_hover(None)
        self.clear()
        self.wire_layer.reset()
        self.wiring.forget()
        self.invalidate(QRectF(), QGraphicsScene.SceneLayer.BackgroundLayer)

    # ----------------------------------------------------------------- design events
    def _add_node(self, node: Node) -> NodeItem:
        item = make_node_item(node)
        self.addItem(item)
        self._nodes[node.id] = item
        return item

    def _add_wire(self, conn: Connection) -> ConnectionItem | None:
        source, target = self._nodes.get(conn.source), self._nodes.get(conn.target)
        if source is None or target is None:
            return None
        layer_level = style.granularity(target.record.kind) != "neuron"
        item = ConnectionItem(conn, source, target, layer_level, self.weight_scale, live=False)
        self.addItem(item)
        self.wire_background_changed(item.boundingRect())
        self._wires[conn.id] = item
        source.wires.append(item)
        if target is not source:
            target.wires.append(item)
        return item

    def _on_node_added(self, node: Node) -> None:
        self._add_node(node)

    def _on_node_removed(self, node: Node) -> None:
        item = self._nodes.pop(node.id, None)
        if item is None:
            return
        for wire in list(item.wires):
            self._remove_wire(wire.connection_id)
        self._marked.discard(node.id)
        if node.id == self.hovered_neuron:
            self.neuron_hover(None)
        if self.moves.active:
            self.moves.cancel()
        if self.wiring.active and node.id in (self.wiring.source.node_id,
                                              getattr(self.wiring.target, "node_id", None)):
            self.wiring.cancel()
        self.removeItem(item)

    def _on_node_changed(self, old: Node, new: Node) -> None:
        item = self._nodes.get(new.id)
        if item is not None:
            item.update_from(new)

    def _on_connection_added(self, conn: Connection) -> None:
        self._add_wire(conn)
        if conn.weight is not None and abs(conn.weight) > self._largest:
            self._rescale_timer.start()

    def _remove_wire(self, connection_id: str) -> ConnectionItem | None:
        item = self._wires.pop(connection_id, None)
        if item is None:
            return None
        for end in (item.source_item, item.target_item):
            if item in end.wires:
                end.wires.remove(item)
        self._marked.discard(connection_id)
        self._live.discard(item)
        self._dragged_wires.discard(item)
        if not item.live:
            self.wire_background_changed(item.boundingRect())
        self.removeItem(item)
        return item

    def _on_connection_removed(self, conn: Connection) -> None:
        self._remove_wire(conn.id)
        if conn.weight is not None and abs(conn.weight) >= self._largest:
            self._rescale_timer.start()  # the largest weight may have gone: rescale once, later

    def _on_connection_changed(self, old: Connection, new: Connection) -> None:
        item = self._wires.get(new.id)
        if item is None:
            return
        item.update_from(new, self.weight_scale)
        was_largest = old.weight is not None and abs(old.weight) >= self._largest
        if (new.weight is not None and abs(new.weight) > self._largest) or was_largest:
            self._rescale_timer.start()

    def _on_weights_changed(self) -> None:
        design = self.design
        assert design is not None
        for node_id, node in design.nodes.items():
            item = self._nodes.get(node_id)
            if item is not None and item.record is not node:
                item.update_from(node)
        self.refresh_weights()

    def show_weights(self, weights: dict[str, Any] | None) -> None:
        """Draw these weights (Design.snapshot_weights() form: a run's, shown live) on the
        design's items, against their own largest |weight|; the design is not touched.
        None: the design's own weights again."""
        design = self.design
        if weights is None or design is None:
            if design is not None:
                self._on_weights_changed()
            return
        wires = weights.get("connections", {})
        largest = max((abs(w) for w in wires.values() if w is not None and w == w), default=0.0)
        self._largest, self.weight_scale = largest, (largest if largest > 1e-12 else 1.0)
        with self.batched_background():
            for cid, item in self._wires.items():
                conn = design.connections.get(cid)
                if conn is not None:
                    weight = wires.get(cid, conn.weight)
                    item.update_from(conn if weight == conn.weight else replace(conn, weight=weight),
                                     self.weight_scale)
        for nid, values in weights.get("neurons", {}).items():
            item, node = self._nodes.get(nid), design.nodes.get(nid)
            if item is not None and node is not None:
                item.update_from(replace(node, params={**node.params, **values}))

    def refresh_weights(self) -> None:
        """Recompute the largest |weight| and restyle every wire against it (once per bulk change)."""
        self._rescale_timer.stop()
        if self.design is None:
            return
        self._set_scale()
        connections = self.design.connections
        with self.batched_background():
            for connection_id, item in self._wires.items():
                conn = connections.get(connection_id)
                if conn is not None:
                    item.update_from(conn, self.weight_scale)

    def _set_scale(self) -> None:
        weights = [abs(c.weight) for c in self.design.connections.values() if c.weight is not None]
        self._largest = max((w for w in weights if w == w), default=0.0)  # NaN never the largest
        self.weight_scale = self._largest if self._largest > 1e-12 else 1.0

    def refresh_theme(self) -> None:
        """Repaint everything after a palette change (light ↔ dark)."""
        style.refresh_theme()
        self.wire_layer.reset()
        for item in self._nodes.values():
            item.update()
        self.refresh_weights()
        self.update()

    # ----------------------------------------------------------------- training
    def show_neuron_maps(self, maps: dict[str, np.ndarray] | None) -> None:
        """Neurons draw their maps (id → (n, n) output over the plane); None: the glyphs again."""
        neuron_maps.show(self._nodes.values(), maps)

    def neuron_hover(self, node_id: str | None) -> None:
        """The pointer entered a neuron (its id) or left it (None)."""
        if node_id != self.hovered_neuron:
            self.hovered_neuron = node_id
            self.neuron_hovered.emit(node_id)

    # ----------------------------------------------------------------- problems
    def show_problems(self, problems: list[Problem]) -> None:
        """Mark the items that validation found something wrong with (badge, red wire, tooltip),
        and write on each block the shape it passes on."""
        shapes, design = self.document.shapes, self.document.design
        incoming = design.incoming_by_node()
        for node_id, item in self._nodes.items():
            if hasattr(item, "set_shape"):
                item.set_shape(shapes.get(node_id),
                               [shapes.get(c.source) for c in incoming.get(node_id, ())])
        by_id: dict[str, list[str]] = {}
        severity: dict[str, str] = {}
        for problem in problems:
            for key in (*problem.node_ids, *problem.connection_ids):
                by_id.setdefault(key, [])
                if problem.message not in by_id[key]:
                    by_id[key].append(problem.message)
                if severity.get(key) != "error":
                    severity[key] = problem.severity
        with self.batched_background():
            for key in self._marked - by_id.keys():
                self._mark(key, [], "error")
            for key, messages in by_id.items():
                self._mark(key, messages, severity[key])
        self._marked = {k for k in by_id if k in self._nodes or k in self._wires}

    def _mark(self, key: str, messages: list[str], severity: str) -> None:
        node = self._nodes.get(key)
        if node is not None:
            node.set_problems(messages, severity)
            return
        wire = self._wires.get(key)
        if wire is not None and (wire.problems or messages):
            wire.set_problems(messages, severity, self.weight_scale)

    # ----------------------------------------------------------------- wires at rest, drawn in bulk
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        """Wires at rest, below every item: the view caches this layer, so a drag or a hover
        repaints only what moves."""
        super().drawBackground(painter, rect)
        zoom = style.detail(painter)
        if self.wire_layer.paint(painter, rect, zoom):
            return
        painter.setBrush(Qt.BrushStyle.NoBrush)
        fast = self.training_live
        for item in self._wires.values():
            if not item.live and item.boundingRect().intersects(rect):
                item.draw(painter, zoom, fast=fast)

    def set_training_live(self, running: bool) -> None:
        """While training runs the wires restyle ten times a second: draw them the fast way
        (solid, no antialiasing) until it stops, then sharp again."""
        if running != self.training_live:
            self.training_live = running
            self.wire_layer.reset()
            self.invalidate(QRectF(), QGraphicsScene.SceneLayer.BackgroundLayer)

    def wire_background_changed(self, rect: QRectF) -> None:
        """A wire at rest changed inside rect: the views redraw that part of their background."""
        self.wire_layer.invalidate(rect)
        if self._background_batch is not None:
            self._background_batch = self._background_batch.united(rect)
        else:
            self.invalidate(rect, QGraphicsScene.SceneLayer.BackgroundLayer)

    @contextmanager
    def batched_background(self) -> Iterator[None]:
        """Collect the background changes of many wires into one invalidation."""
        if self._background_batch is not None:  # nested: the outer one flushes
            yield
            return
        self._background_batch = QRectF()
        try:
            yield
        finally:
            rect, self._background_batch = self._background_batch, None
            if not rect.isEmpty():
                self.invalidate(rect, QGraphicsScene.SceneLayer.BackgroundLayer)

    def set_dragged_wires(self, wires: Iterable[ConnectionItem]) -> None:
        """The wires that follow a drag paint themselves until it ends."""
        self._dragged_wires = set(wires)
        self._sync_live()

    def _sync_live(self) -> None:
        if not isValid(self):
            return
        live = set(self._dragged_wires)
        live.update(i for i in self.selectedItems() if isinstance(i, ConnectionItem))
        with self.batched_background():
            for item in self._live - live:
                item.set_live(False)
            for item in live - self._live:
                item.set_live(True)
        self._live = live

    # ----------------------------------------------------------------- pointer
    def helpEvent(self, event) -> None:  # noqa: N802 - Qt's override
        """Tooltips, asked of the item under the pointer only when it rests there (a wire writes
        its text then: five thousand wires need not keep one each)."""
        for item in self.items(event.scenePos()):
            text = item.toolTip()
            if text:
                QToolTip.showText(event.screenPos(), text, event.widget())
                event.accept()
                return
        QToolTip.hideText()
        event.ignore()

    def _output_port_at(self, scene_pos) -> PortItem | None:
        for item in self.items(scene_pos):
            if isinstance(item, PortItem):
                return item if item.side == "out" else None
            if isinstance(item, NodeItem):
                return None
        return None

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.wiring.take_back()  # a refused wire's reason does not outlive the next gesture
            port = self._output_port_at(event.scenePos())
            if port is not None:
                self.wiring.start(port)
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and isinstance(self.mouseGrabberItem(), NodeItem):
            self.moves.begin()

    def mouseMoveEvent(self, event) -> None:
        if self.wiring.active:
            self.wiring.move(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)
        if self.moves.active:
            self.moves.follow()

    def mouseReleaseEvent(self, event) -> None:
        if self.wiring.active and event.button() == Qt.MouseButton.LeftButton:
            self.wiring.finish(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and self.moves.active:
            self.moves.finish()
