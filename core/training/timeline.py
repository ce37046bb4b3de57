"""The training timeline: the weights at every epoch end, kept in bounded memory (thinned evenly,
always with the first and the latest), and what a view needs to show one of those moments.

A moment is the model's flat parameter vector (a copy) with its epoch, step and metrics; the
boundary, the neuron maps and the design's weights are recomputed from it on demand.

Thinning keeps the epochs on a grid: origin + k · stride, plus the latest. When more than the
limit are kept the stride doubles and every other grid point goes, so the kept epochs stay
evenly spaced (the last gap alone may be shorter), always start at the first one recorded and
end at the latest, and number between half the limit and the limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core.design.design import Design
from core.training import probes
from core.training.trainer import EpochMetrics, Trainer

CAP = 200  # moments kept at most
MAX_BYTES = 32 * 2**20  # …and at most this much memory for their weights (large models keep fewer)
FEWEST = 3  # a large model still keeps the first, the latest and one between


@dataclass(frozen=True, eq=False)
class Moment:
    """The weights at the end of an epoch (epoch 0: the random initial weights)."""

    epoch: int
    step: int
    flat: np.ndarray  # the model's parameter vector, a host copy
    metrics: dict[str, Any] | None = None  # the epoch's history entry (None for epoch 0)

    @property
    def nbytes(self) -> int:
        return int(self.flat.nbytes)


class Timeline:
    """Moments of one design's training, oldest first, thinned evenly past `cap`."""

    def __init__(self, cap: int = CAP, max_bytes: int = MAX_BYTES) -> None:
        self.cap, self.max_bytes = cap, max_bytes
        self.key: Any = None  # what the moments belong to (see design_key)
        self.clear()

    def clear(self, key: Any = None) -> None:
        self.moments: list[Moment] = []
        self.origin: int | None = None
        self.stride = 1
        self.limit = self.cap
        self.key = key

    # ------------------------------------------------------------------ recording
    def record(self, moment: Moment) -> None:
        """Add the latest moment; an epoch at or before the latest one replaces the later ones."""
        if self.moments and moment.epoch <= self.moments[-1].epoch:
            self.cut_after(moment.epoch - 1)
        if self.origin is None:
            self.origin = moment.epoch
            self.limit = max(FEWEST, min(self.cap, self.max_bytes // max(moment.nbytes, 1)))
        if self.moments and not self._on_grid(self.moments[-1].epoch):
            self.moments.pop()  # it was kept only for being the latest
        self.moments.append(moment)
        while len(self.moments) > self.limit:
            self.stride *= 2
            self._thin()

    def grid(self) -> tuple[int | None, int, int]:
        """(origin, stride, limit): what a timeline recording a continuation must follow."""
        return self.origin, self.stride, self.limit

    @classmethod
    def following(cls, grid: tuple[int | None, int, int]) -> Timeline:
        """An empty timeline on another's grid (the training process records a run on it)."""
        timeline = cls()
        timeline.origin, timeline.stride, timeline.limit = grid
        return timeline

    def adopt(self, moments: list[Moment], stride: int) -> None:
        """The moments of a continuation recorded on this timeline's grid (a run's)."""
        if moments and stride > self.stride:
            self.stride = stride
            self._thin()
        for moment in moments:
            self.record(moment)

    def cut_after(self, epoch: int) -> None:
        """Forget the moments after `epoch` (training goes on from there, or they were undone)."""
        self.moments = [m for m in self.moments if m.epoch <= epoch]
        if not self.moments:
            self.origin, self.stride = None, 1

    def keep_history(self, history: list[dict[str, Any]]) -> None:
        """Keep the moments of this training history: an epoch it no longer has, or had with
        other metrics (an undone run, another branch after a resume), is forgotten."""
        by_epoch = {h.get("epoch"): h for h in history}
        self.moments = [m for m in self.moments
                        if m.epoch == 0 or by_epoch.get(m.epoch, {}) == m.metrics]
        if not self.moments:
            self.origin, self.stride = None, 1

    def _on_grid(self, epoch: int) -> bool:
        return self.origin is not None and (epoch - self.origin) % self.stride == 0

    def _thin(self) -> None:
        if len(self.moments) > 1:
            last = self.moments[-1]
            self.moments = [m for m in self.moments[:-1] if self._on_grid(m.epoch)] + [last]

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self.moments)

    @property
    def epochs(self) -> list[int]:
        return [m.epoch for m in self.moments]

    @property
    def nbytes(self) -> int:
        return sum(m.nbytes for m in self.moments)

    def nearest(self, epoch: float, before_step: int | None = None) -> Moment | None:
        """The kept moment closest to `epoch` (the earlier one on a tie); with `before_step`,
        only moments from before that step (the present is not the past)."""
        candidates = [m for m in self.moments if before_step is None or m.step < before_step]
        if not candidates:
            return None
        return min(candidates, key=lambda m: (abs(m.epoch - epoch), m.epoch))


# ---------------------------------------------------------------------- moments ↔ a trainer
def moment_of(trainer: Trainer) -> Moment:
    """The trainer's weights now (call at an epoch's end, or before any step)."""
    metrics = dict(trainer.history[-1]) if trainer.history and trainer.epoch else None
    return Moment(trainer.epoch, trainer.step_count, trainer.model.parameters_numpy(), metrics)


def initial_moment(trainer: Trainer, weights: dict[str, Any]) -> Moment:
    """Epoch 0 from the design's initial weights (a design trained before it was opened)."""
    kept = trainer.model.parameters_numpy()
    scratch = _scratch(trainer.design)
    scratch.restore_weights(weights)
    try:
        trainer.build.read_weights(scratch)
        return Moment(0, 0, trainer.model.parameters_numpy())
    finally:
        trainer.model.load_flat(kept)


def _scratch(design) -> Design:
    """A design with the same nodes and wires to write weights into (records are immutable:
    sharing them is safe; no state, no listeners)."""
    scratch = Design()
    scratch.nodes, scratch.connections = dict(design.nodes), dict(design.connections)
    scratch.parameters = {n: dict(p) for n, p in design.parameters.items()}
    return scratch


def design_key(design) -> tuple:
    """What makes moments comparable: the structure (not positions or weights), the data set,
    the split, the seed and the precision. Moments of another key are no longer this design's."""
    nodes = tuple((nid, n.kind, {k: v for k, v in n.params.items()
                                 if k not in ("bias", "activation_params")})
                  for nid, n in design.nodes.items())
    wires = tuple((cid, c.source, c.target) for cid, c in design.connections.items())
    t = design.training
    return nodes, wires, design.dataset, t.test_fraction, t.seed, t.dtype


def weights_at(trainer: Trainer, moment: Moment) -> dict[str, Any]:
    """The moment's weights as Design.snapshot_weights() gives them (the trainer is unchanged)."""
    kept = trainer.model.parameters_numpy()
    scratch = _scratch(trainer.design)
    try:
        trainer.model.load_flat(moment.flat)
        trainer.build.write_back(scratch)
    finally:
        trainer.model.load_flat(kept)
    return scratch.snapshot_weights()


def moment_snapshot(trainer: Trainer, moment: Moment, plane: probes.Plane | None = None,
                    samples: np.ndarray | None = None) -> probes.Snapshot:
    """Everything a view draws for the moment, as a live snapshot carries it: its weights, the
    output and each neuron's map over the plane, or the confusion matrix and probabilities."""
    kept = trainer.model.parameters_numpy()
    try:
        trainer.model.load_flat(moment.flat)
        output_map, maps = probes.plane_maps(trainer, plane) if plane is not None else (None, {})
        counts = probs = None
        if trainer.build.task == "classification" and plane is None:
            counts = probes.confusion(trainer)
            if samples is not None and len(samples):
                probs = probes.probabilities(trainer, samples)
    finally:
        trainer.model.load_flat(kept)
    metrics = EpochMetrics(**moment.metrics) if moment.metrics else None
    history = tuple(h for h in trainer.history if h.get("epoch", 0) <= moment.epoch)
    return probes.Snapshot(moment.epoch, moment.step, None, metrics, history,
                           weights_at(trainer, moment), 0.0, plane, output_map, maps, counts,
                           samples, probs)


__all__ = ["CAP", "Moment", "Timeline", "design_key", "initial_moment", "moment_of",
           "moment_snapshot", "weights_at"]
