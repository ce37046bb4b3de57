"""Compare runs: train many variants of one design at once, each group of one structure as one
batched computation on the ensemble model; a generator of progress, as the Trainer is.

    for progress in train_variants(design, [{"learning_rate": 0.01, "seed": s} for s in range(4)]):
        for report in progress.reports:
            print(report.index, report.epoch, report.metrics.train_loss, report.state)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.design.design import Design
from core.training.ensemble_group import EnsembleProgress, VariantGroup, VariantReport
from core.training.trainer import EpochMetrics
from core.training.variants import group_by_structure, variant_design


@dataclass(frozen=True)
class VariantResult:
    """One variant after training: its changes, how it ended, its history and weights."""

    index: int
    changes: Mapping[str, Any]
    state: str  # "training" (paused or stopped), "finished" or "diverged"
    reason: str
    epoch: int
    step: int
    history: tuple[EpochMetrics, ...]
    weights: np.ndarray  # the variant's flat parameter buffer, as its single model lays it out


class VariantTrainer:
    """The variants of a design, grouped by structure; `run` trains them all, a group an epoch at
    a time in turn, and yields each group's reports."""

    def __init__(self, design: Design, variants: Sequence[Mapping[str, Any]],
                 dtype: Any = None) -> None:
        if not variants:
            raise ValueError("there are no variants to train")
        self.variants = [dict(v) for v in variants]
        designs = [variant_design(design, v) for v in self.variants]
        self.groups = [VariantGroup([designs[i] for i in members], members, g, dtype)
                       for g, members in enumerate(group_by_structure(designs))]
        self._where = {index: (g, position) for g, group in enumerate(self.groups)
                       for position, index in enumerate(group.indices)}

    def pause(self) -> None:
        for group in self.groups:
            group.pause()

    def stop(self) -> None:
        for group in self.groups:
            group.stop()

    def run(self, epochs: int | None = None) -> Iterator[EnsembleProgress]:
        """Every group to `epochs` epochs in all (each group's setting by default)."""
        runs = [group.run(epochs) for group in self.groups]
        while runs:
            for run in list(runs):
                progress = next(run, None)
                if progress is None:
                    runs.remove(run)
                    continue
                yield progress
                if progress.kind != "epoch":
                    runs.remove(run)

    def result(self, index: int) -> VariantResult:
        g, position = self._where[index]
        group = self.groups[g]
        outcome = group.outcomes.get(position)
        state, reason = (outcome.state, outcome.reason) if outcome else ("training", "")
        if outcome is None and group.epoch >= group.designs[position].training.epochs:
            state, reason = "finished", f"reached {group.epoch} epochs"
        history = tuple(EpochMetrics(**h) for h in group.histories[position])
        epoch = outcome.epoch if outcome else group.epoch
        step = outcome.step if outcome else group.step_count
        return VariantResult(index, self.variants[index], state, reason, epoch, step, history,
                             group.weights(position))

    def results(self) -> list[VariantResult]:
        return [self.result(i) for i in range(len(self.variants))]

    def variant_design(self, index: int) -> Design:
        """The variant's own design (a copy of the one given, with its changes) holding its
        trained weights, history and optimizer state: what picking it into the design takes."""
        g, position = self._where[index]
        return self.groups[g].write_back(position)


def train_variants(design: Design, variants: Sequence[Mapping[str, Any]], epochs: int | None = None,
                   dtype: Any = None) -> Iterator[EnsembleProgress]:
    """Train the variants of a design side by side, yielding each group's progress per epoch.

    A variant is a dict of changes: training settings by name ("learning_rate", "seed", "l2",
    "optimizer", "batch_size", …) and, under "nodes", parameter changes by node id ({"nodes":
    {"h1": {"units": 16}}}). Variants that differ only in per-variant settings (seed, learning
    rate, L1/L2, clipping, optimizer settings, schedule, stop conditions) train as one batched
    computation; other differences make groups of their own. Each variant equals the variant's
    design trained alone by a Trainer. A variant that diverges stops alone (its report says
    "diverged" and why); the others go on."""
    yield from VariantTrainer(design, variants, dtype).run(epochs)


__all__ = ["EnsembleProgress", "VariantReport", "VariantResult", "VariantTrainer", "train_variants"]
