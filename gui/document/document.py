"""The open design: its undo stack, file path, dirty state, live validation, autosave and
recovery; its events relayed as signals that outlive New and Open; the weights a run shows (view
state) and the one command that takes a run's result; its compiled form for the views."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from core.compiler.validation import check_design, design_problems
from core.data import painted
from core.data.datasets import refuse_unsafe_data
from core.design import registry
from core.design.design import Connection, Design, Node
from core.design.errors import DataFileRefused, FileFormatError, Problem
from core.files.fileformat import load_design, save_design
from gui.document import commands, recovery
from gui.document.autosave import AutosaveRecovery
from gui.document.building import BuildingEdits
from gui.document.clipboard import ClipboardEdits
from gui.document.compiled import CompiledDesign
from gui.document.trained import TrainedWeights

AUTOSAVE_MS = 30_000


class Document(AutosaveRecovery, ClipboardEdits, BuildingEdits, TrainedWeights, QObject):
    """The design a window shows. Only this class pushes undo commands or writes the design."""

    changed = Signal()  # the title may need redrawing: path or dirty state
    design_replaced = Signal()  # New or Open: `self.design` is another (views redraw it whole)
    # The open design's events (core.design.design.DesignEvents), relayed: the same signals
    # whichever design is open, so a view connects once; Qt lets go of a deleted receiver.
    node_added = Signal(object)  # Node
    node_removed = Signal(object)  # Node
    node_changed = Signal(object, object)  # old Node, new Node
    connection_added = Signal(object)  # Connection
    connection_removed = Signal(object)  # Connection
    connection_changed = Signal(object, object)  # old Connection, new Connection
    settings_changed = Signal(str)  # "dataset" | "training"
    weights_changed = Signal()  # many weights at once (a run's result, a reset, an undo)
    design_changed = Signal()  # after any of the eight above: for views that redraw on any edit
    validated = Signal(list)  # the design's current problems (errors and warnings)
    refused = Signal(str)  # an edit the model would not take, and why (for the status bar)
    autosave_failed = Signal(str)  # why unsaved work cannot be kept: said once, retried quietly
    live_weights_changed = Signal(object)  # weights a run shows (snapshot_weights form); None: the design's
    comparison_changed = Signal()  # the comparison kept with the design is another (an undo, a run)
    saving = Signal()  # the design is about to be saved: what a view holds for it goes in first

    def __init__(self, design: Design | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.design = design or default_design()
        self.path: str | None = None
        self.problems: list[Problem] = []
        self.structure = None  # validation's Structure of the design, when it has one
        self.shapes: dict[str, tuple[int, ...]] = {}  # node id → the shape it passes on
        self.live_weights: dict[str, Any] | None = None  # view state: what a run shows, not the design's
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self._validate_timer = QTimer(self, singleShot=True, interval=50)
        self._validate_timer.timeout.connect(self.validate_now)
        self.autosave_timer = QTimer(self, interval=AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        self._autosave_failing = False
        self._recovery_name = recovery.instance_name()
        self._recovery_lock: recovery.Lock | None = None
        self._watch(self.design)
        self.compiled = CompiledDesign(self)  # the design as a Build, for the views that read one
        self.validate_now()

    # ------------------------------------------------------------------ state
    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def title(self) -> str:
        name = Path(self.path).name if self.path else "Untitled"
        return name + (" •" if self.dirty else "")

    def push(self, command) -> None:
        self.undo_stack.push(command)

    def _clean_changed(self, _clean: bool) -> None:
        self.changed.emit()

    def _relays(self, design: Design) -> list[tuple[Any, Any]]:
        """(the design's event, the method that re-emits it here), made once per design."""
        e = design.events
        pairs = ((e.node_added, self.node_added), (e.node_removed, self.node_removed),
                 (e.node_changed, self.node_changed), (e.connection_added, self.connection_added),
                 (e.connection_removed, self.connection_removed),
                 (e.connection_changed, self.connection_changed),
                 (e.settings_changed, self.settings_changed), (e.weights_changed, self.weights_changed))
        return [(event, self._relay(signal)) for event, signal in pairs] + [
            (e.comparison_changed, self.comparison_changed.emit)]  # not an edit views redraw for

    def _relay(self, signal: Any) -> Any:
        def relay(*args: Any) -> None:
            self._validate_timer.start()
            signal.emit(*args)
            self.design_changed.emit()

        return relay

    def _watch(self, design: Design) -> None:
        self._relayed = self._relays(design)
        for event, relay in self._relayed:
            event.connect(relay)

    def _unwatch(self, _design: Design) -> None:
        for event, relay in self._relayed:
            event.disconnect(relay)
        self._relayed = []

    def validate_now(self) -> list[Problem]:
        self._validate_timer.stop()
        self._check(self.design)
        self.validated.emit(self.problems)
        return self.problems

    def _check(self, design: Design) -> None:
        """The problems, and the shape each node passes on (one sample's, as validation sees it)."""
        self.shapes = {}
        self.problems, self.structure = check_design(design, shapes=self.shapes)

    # ------------------------------------------------------------------ files
    def replace_design(self, design: Design, path: str | None) -> None:
        shapes: dict[str, tuple[int, ...]] = {}
        # checked (its data read) before anything changes: a failure leaves the open design as it
        # was, and the views, which rebind at once, find these problems ready to mark
        problems, structure = check_design(design, shapes=shapes)
        self._unwatch(self.design)
        self.show_live_weights(None)
        self.design = design
        self.path = path
        self.undo_stack.clear()
        self._watch(design)
        self._validate_timer.stop()
        self.problems, self.shapes, self.structure = problems, shapes, structure
        self.design_replaced.emit()
        self.changed.emit()
        self.validated.emit(self.problems)

    def new(self) -> None:
        self.replace_design(default_design(), None)

    def open(self, path: str) -> None:
        """Open a design; FileFormatError leaves the open design untouched.

        A malformed, too-new or inconsistent file is refused; a design that is merely unfinished
        (a neuron with no input yet, no output) opens, with its problems marked live, so that
        work in progress saved yesterday reopens today.
        """
        design = load_design(path, validate=False)
        try:  # a data file that is a FIFO, a device or too large is refused, not read
            refuse_unsafe_data(design.dataset.name, design.dataset.params)
        except DataFileRefused as exc:
            raise FileFormatError([Problem(str(exc), path="$.dataset.params.path")], path) from None
        self.replace_design(design, os.path.abspath(path))

    def save(self, path: str | None = None) -> None:
        path = path or self.path
        if path is None:
            raise ValueError("no file name yet: use Save As")
        self.saving.emit()
        save_design(self.design, path)
        self.path = os.path.abspath(path)
        self.undo_stack.setClean()
        self.changed.emit()
        self.discard_recovery()

    # ------------------------------------------------------------------ edits
    def add_node(self, kind: str, position: tuple[float, float], params: Mapping[str, Any] | None
                 = None, label: str = "") -> str:
        kind_spec = registry.blocks.get(kind)
        full = {**kind_spec.default_params(), **(params or {})}
        node = Node(self.design.new_id(kind[0]), kind, full,
                    (float(position[0]), float(position[1])), label)
        self.push(commands.AddNode(self.design, node, f"Add {kind_spec.label.lower()}"))
        return node.id

    def connection_problem(self, source: str, target: str) -> str:
        """Why the model would refuse this wire ("" when it would take it)."""
        design = self.design
        if source == target:
            return "a node cannot connect to itself"
        if source not in design.nodes or target not in design.nodes:
            return "both ends must be nodes"
        if design.nodes[target].kind in ("input", "data"):
            return "an input takes no incoming connection"
        if design.connection_between(source, target):
            return "these two nodes are already connected"
        trial = design.copy()
        conn = trial.add_connection(source, target)
        for problem in design_problems(trial):
            if problem.severity != "error":
                continue
            if "cycle" in problem.message and source in problem.node_ids:
                return "this connection would make a cycle: a feed-forward network cannot loop back"
            if conn.id in problem.connection_ids or (target in problem.node_ids and
                                                     source in problem.node_ids):
                return problem.message
        return ""

    def connect(self, source: str, target: str, weight: float | None = None) -> str | None:
        """Wire source → target; returns the connection id, or None when refused."""
        if self.connection_problem(source, target):
            return None
        conn = Connection(self.design.new_id("c"), source, target, weight)
        self.push(commands.AddConnection(self.design, conn))
        return conn.id

    def remove(self, node_ids: Iterable[str] = (), connection_ids: Iterable[str] = ()) -> None:
        node_ids, connection_ids = list(node_ids), list(connection_ids)
        if node_ids or connection_ids:
            self.push(commands.RemoveItems(self.design, node_ids, connection_ids))

    def move(self, moves: Mapping[str, tuple[tuple[float, float], tuple[float, float]]]) -> None:
        moves = {k: v for k, v in moves.items() if v[0] != v[1] and k in self.design.nodes}
        if moves:
            self.push(commands.MoveNodes(self.design, moves))

    def set_node_params(self, node_id: str, text: str = "Change", **changes: Any) -> None:
        node = self.design.nodes[node_id]
        if any(node.params.get(k) != v for k, v in changes.items()):
            self.push(commands.SetNodeParams(self.design, node_id, changes, text))

    def set_params_of_nodes(self, changes: Mapping[str, Mapping[str, Any]], text: str = "Change") -> int:
        """Change several nodes' parameters as one undo step: node id → its changes, each kept
        whole, as `set_node_params` keeps them, when one of them differs from the node's value.
        Nodes already so are left out; nothing to change pushes nothing. Returns how many changed."""
        todo = {}
        for node_id, node_changes in changes.items():
            node = self.design.nodes.get(node_id)
            if node is not None and any(node.params.get(k) != v for k, v in node_changes.items()):
                todo[node_id] = dict(node_changes)
        if todo:
            self.undo_stack.beginMacro(text)
            try:
                for node_id, node_changes in todo.items():
                    self.push(commands.SetNodeParams(self.design, node_id, node_changes, text))
            finally:
                self.undo_stack.endMacro()
        return len(todo)

    def rename(self, node_id: str, label: str) -> None:
        if self.design.nodes[node_id].label != label:
            self.push(commands.RenameNode(self.design, node_id, label))

    def set_weight(self, connection_id: str, weight: float | None) -> None:
        if self.design.connections[connection_id].weight != weight:
            self.push(commands.SetWeight(self.design, connection_id, weight))

    def set_dataset(self, name: str, params: Mapping[str, Any], seed: int | None = None) -> None:
        seed = self.design.dataset.seed if seed is None else seed
        choice = self.design.dataset
        if (name, dict(params), seed) != (choice.name, dict(choice.params), choice.seed):
            self.push(commands.SetDataset(self.design, name, params, seed))

    def set_training(self, **changes: Any) -> None:
        changes = {k: v for k, v in changes.items() if getattr(self.design.training, k) != v}
        if changes:
            self.push(commands.SetTraining(self.design, changes))

    def paint_point(self, x1: float, x2: float, label: int) -> None:
        """Add a point of class `label` to the painted data set (one undo step)."""
        self._paint(painted.with_point(self._painted_points(), x1, x2, label), "Paint a point")

    def erase_points(self, indices: Iterable[int]) -> None:
        """Erase painted points by their index: all those of one drag are one undo step."""
        old = self._painted_points()
        if len(kept := painted.without_points(old, indices)) < len(old):
            self._paint(kept, f"Erase {len(old) - len(kept)} painted point(s)")

    def _painted_points(self) -> list:
        if self.design.dataset.name != "painted":
            raise ValueError(f"the data set is {self.design.dataset.name!r}, not 'painted'")
        return list(self.design.dataset.params.get("points", []))

    def _paint(self, points: list, text: str) -> None:
        c = self.design.dataset
        self.push(commands.SetDataset(self.design, c.name, {**c.params, "points": points}, c.seed, text))


def default_design() -> Design:
    """What File → New shows: the playground's two inputs on the circle data set."""
    design = Design()
    design.set_dataset("circle")
    design.set_training(loss="binary_cross_entropy", optimizer="adam", learning_rate=0.03)
    return design


__all__ = ["Document", "FileFormatError", "default_design"]
