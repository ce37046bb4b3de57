"""A sweep's outcome: one row per variant of a grid (its values, how it ended, its last epoch's
metrics), in the order a person ranks them: by final test loss, diverged and NaN last."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from core.training.ensemble import VariantTrainer
from core.training.ensemble_group import VariantReport

METRICS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "train_r2", "test_r2")


@dataclass(frozen=True)
class SweepRow:
    """One variant after a sweep; the metrics are its last finished epoch's (None: none, or not
    a finite number)."""

    index: int  # in the grid's order (core.training.grid.expand)
    values: Mapping[str, Any]  # axis name → this variant's value
    changes: Mapping[str, Any]  # the variant dict trained
    state: str  # "finished", "diverged", or "training" (stopped before the end)
    reason: str
    epochs: int
    steps: int
    train_loss: float | None
    test_loss: float | None
    train_accuracy: float | None
    test_accuracy: float | None
    train_r2: float | None
    test_r2: float | None

    @property
    def loss(self) -> float | None:
        """What rows are ranked by: the test loss, or the training loss with no test rows."""
        return self.test_loss if self.test_loss is not None else self.train_loss

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sweep_rows(trainer: VariantTrainer, points: Sequence[Mapping[str, Any]],
               last: Mapping[int, VariantReport]) -> list[SweepRow]:
    """Every variant's row, ranked. `points` names each variant's values (grid_points); `last`
    holds each variant's last report from the run, which says how it finished when the run was
    shorter than the design's epochs."""
    rows = []
    for index, point in enumerate(points):
        result = trainer.result(index)
        state, reason = result.state, result.reason
        report = last.get(index)
        if state == "training" and report is not None and report.state != "training":
            state, reason = report.state, report.reason
        metrics = asdict(result.history[-1]) if result.history else {}
        values = {name: _finite(metrics.get(name)) for name in METRICS}
        rows.append(SweepRow(index, dict(point), result.changes, state, reason, result.epoch,
                             result.step, **values))
    return ranked(rows)


def ranked(rows: Sequence[SweepRow]) -> list[SweepRow]:
    """By final loss (test, else training), lowest first; no loss and diverged ones last."""
    def key(row: SweepRow) -> tuple:
        loss = row.loss
        return (row.state == "diverged", loss is None, loss if loss is not None else 0.0, row.index)

    return sorted(rows, key=key)


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


__all__ = ["METRICS", "SweepRow", "ranked", "sweep_rows"]
