"""The open design compiled once per structural change, for the views that read a Build."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from core.compiler.compile import Build, compile_design
from core.design.errors import NeuralCanvasError

WEIGHT_PARAMS = ("bias", "activation_params")  # a node's values that may be weights


class CompiledDesign(QObject):
    """The document's design as a Build, compiled again only after a change of structure (a
    node or wire added or removed, a node's kind or settings, the data set or the training
    settings); weights alone never compile it again.

    For views on the GUI thread (the Inside panel): the model's weights are whatever a view
    loaded last, so a view loads the weights it shows (Build.read_weights of
    Document.shown_design()) before it reads. Training compiles its own copy (its random streams
    are its run's), and so do the training process and the loss landscape (a worker thread sets
    that model's weights while it computes)."""

    def __init__(self, document) -> None:
        super().__init__(document)
        self.document = document
        self.compiles = 0  # how many times the design was compiled (what tests count)
        self._build: Build | None = None
        self._error: NeuralCanvasError | None = None
        self._stale = True
        for signal in (document.node_added, document.node_removed, document.connection_added,
                       document.connection_removed, document.settings_changed,
                       document.design_replaced):
            signal.connect(self.forget)
        document.node_changed.connect(self._node_changed)

    def build(self) -> Build:
        """The design compiled (once per structure); NeuralCanvasError when it cannot compile."""
        if self._stale:
            self._stale = False
            self._build, self._error = None, None
            self.compiles += 1
            try:
                self._build = compile_design(self.document.design.copy())
            except NeuralCanvasError as exc:
                self._error = exc
        if self._error is not None:
            raise self._error
        return self._build

    def forget(self, *_args: Any) -> None:
        """The structure changed: compile again when a view next asks."""
        self._stale = True
        self._build = self._error = None

    def _node_changed(self, old, new) -> None:
        """A bias, or a PReLU's learned slope, is a weight (read_weights takes it); anything
        else about a node (its kind, activation, a leaky ReLU's slope, a size) is structure."""
        def shape(node):
            return node.kind, {k: v for k, v in node.params.items() if k not in WEIGHT_PARAMS}

        slopes = old.params.get("activation_params") != new.params.get("activation_params")
        if shape(old) != shape(new) or (slopes and old.params.get("activation") != "prelu"):
            self.forget()
