"""The Document's part that takes what training made: the weights a run shows while it trains
(view state), and the one undo command each for a run's result, a compared variant picked and a
comparison kept; the weights a never-trained design's seed draws, made visible."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

import numpy as np

from core.design.design import Design, TrainingState
from gui.document import commands


class TrainedWeights:
    """Mixed into gui.document.document.Document (its design, undo stack, push and the
    live_weights_changed signal)."""

    def show_live_weights(self, weights: Mapping[str, Any] | None) -> None:
        """Weights a run (or a step being shown) has now, for the views to draw: view state, the
        design keeps its own until `take_weights`. None: the views show the design's again."""
        if weights is None and self.live_weights is None:
            return
        self.live_weights = None if weights is None else dict(weights)
        self.live_weights_changed.emit(self.live_weights)

    def shown_design(self) -> Design:
        """The design as the views show it: while a run shows live weights, a copy holding them;
        otherwise the design itself (read it, never edit it: edits go through this class)."""
        if self.live_weights is None:
            return self.design
        shown = self.design.copy()
        shown.restore_weights(self.live_weights)
        return shown

    def training_values(self) -> tuple[dict[str, Any], TrainingState, Any, Any]:
        """The design's weights, training state, settings and initial weights (copies)."""
        d = self.design
        return (d.snapshot_weights(), copy.deepcopy(d.state), d.training,
                copy.deepcopy(d.initial_weights))

    def take_weights(self, weights: Mapping[str, Any], state: TrainingState, text: str, *,
                     initial: Any = ..., training: Any = None) -> bool:
        """Trained weights (a run's, a step's, a reset's) and the training state that goes with
        them into the design: one undo command, undone back to the design as it is now. `initial`:
        the weights training starts from (left as they are unless given); `training`: new
        settings (a new seed). The live weights shown end here. False when nothing changed."""
        design = self.design
        before = self.training_values()
        trial = design.copy()
        trial.restore_weights(weights)
        after = (trial.snapshot_weights(), copy.deepcopy(state),
                 design.training if training is None else training,
                 copy.deepcopy(design.initial_weights if initial is ... else initial))
        changed = not all(_same(a, b) for a, b in zip(before, after, strict=True))
        if changed:
            self.push(commands.SetWeightsAndState(design, before, after, text))
        self.show_live_weights(None)  # after: the views go from the taken weights to the same
        return changed

    def take_variant(self, variant: Design, text: str = "Use a compared variant") -> None:
        """A compared variant becomes the design (core.training.ensemble.VariantTrainer's
        variant_design: the design with some settings or node parameters changed, trained): its
        node parameters, training settings, weights, training state and initial weights, as one
        undo step that undo takes back exactly. ValueError for a design of other nodes or wires."""
        design = self.design
        if list(variant.nodes) != list(design.nodes) \
                or list(variant.connections) != list(design.connections):
            raise ValueError("the variant has other nodes or connections than the design")
        changes = {}
        for node_id, node in variant.nodes.items():
            old = design.nodes[node_id].params
            changed = {k: v for k, v in node.params.items() if k != "bias" and old.get(k) != v}
            if changed:
                changes[node_id] = changed
        self.undo_stack.beginMacro(text)
        try:
            for node_id, changed in changes.items():
                self.push(commands.SetNodeParams(design, node_id, changed, text))
            after = (variant.snapshot_weights(), copy.deepcopy(variant.state), variant.training,
                     copy.deepcopy(variant.initial_weights))
            self.push(commands.SetWeightsAndState(design, self.training_values(), after, text))
        finally:
            self.undo_stack.endMacro()
        self.show_live_weights(None)

    def take_comparison(self, comparison: Any, text: str = "Keep the comparison") -> bool:
        """A comparison's results (core.design.comparison.Comparison) kept with the design, as the
        results of the window's own run are: one undo command, so that the design is unsaved
        until it is saved with them. False when the design keeps these already."""
        if comparison == self.design.comparison:
            return False
        self.push(commands.SetComparison(self.design, comparison, text))
        return True

    def fill_drawn_weights(self, drawn: Mapping[str, Any], initial: Any) -> None:
        """The weights a never-trained design's seed draws, made visible: only unset weights
        (None) and missing block arrays are filled, so no value a person set changes and there
        is nothing to undo (a build draws exactly these from the seed); the initial weights are
        set when the design has none. Not an edit: the undo stack and dirty state stay."""
        design = self.design
        fill: dict[str, Any] = {"connections": {}, "neurons": {},
                                "blocks": dict(design.parameters)}
        for cid, w in drawn.get("connections", {}).items():
            if cid in design.connections and design.connections[cid].weight is None:
                fill["connections"][cid] = w
        for nid, values in drawn.get("neurons", {}).items():
            node = design.nodes.get(nid)
            if node is not None:
                unset = {k: v for k, v in values.items() if node.params.get(k) is None}
                params = node.params.get("activation_params")
                extra = values.get("activation_params")
                if isinstance(params, Mapping) and isinstance(extra, Mapping) \
                        and extra.keys() - params.keys():  # a learned slope not set yet
                    unset["activation_params"] = {**extra, **params}
                if unset:
                    fill["neurons"][nid] = unset
        for nid, arrays in drawn.get("blocks", {}).items():
            if nid in design.nodes and nid not in design.parameters:
                fill["blocks"][nid] = arrays
        if design.initial_weights is None and initial is not None:
            design.initial_weights = copy.deepcopy(initial)
        if fill["connections"] or fill["neurons"] or fill["blocks"].keys() != design.parameters.keys():
            design.restore_weights(fill)


def _same(a: Any, b: Any) -> bool:
    """Equal values, arrays compared element by element (weights snapshots hold block arrays)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, TrainingState) and isinstance(b, TrainingState):
        return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in fields(a))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    return a == b
