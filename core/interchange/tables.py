"""Numbers out as CSV text: a training history, a plot's columns, a grid of the network's output."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

# the columns of a training history (core.training.trainer.EpochMetrics), in this order; other keys follow
HISTORY_COLUMNS = ("epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy",
                   "train_r2", "test_r2", "learning_rate")


def cell(value: Any) -> str:
    """One value as CSV text: integers as integers, floats so that they read back exactly,
    empty for a missing value (None or NaN)."""
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isnan(number):
            return ""
        if number.is_integer() and abs(number) < 2**53:
            return str(int(number))
        return repr(number)
    return str(value)


def table_csv(header: Sequence[str], rows: Sequence[Sequence[Any]] | np.ndarray) -> bytes:
    """A header row and the data rows as UTF-8 CSV (lines end with a newline)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"a row of {len(row)} values under a header of {len(header)}")
        writer.writerow([cell(v) for v in row])
    return out.getvalue().encode("utf-8")


def columns_csv(columns: Mapping[str, Sequence[Any] | np.ndarray]) -> bytes:
    """Named columns of equal length, side by side (NaN and None written empty)."""
    names = list(columns)
    lengths = {len(columns[name]) for name in names}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths: {sorted(lengths)}")
    count = lengths.pop() if lengths else 0
    return table_csv(names, [[columns[name][i] for name in names] for i in range(count)])


def history_columns(history: Sequence[Mapping[str, Any]]) -> list[str]:
    """The history's keys: the known ones in their usual order, then any other in first-seen order."""
    seen: dict[str, None] = {}
    for epoch in history:
        for key in epoch:
            seen.setdefault(key, None)
    return [k for k in HISTORY_COLUMNS if k in seen] + [k for k in seen if k not in HISTORY_COLUMNS]


def history_csv(history: Sequence[Mapping[str, Any]]) -> bytes:
    """One row per epoch of a training history (design.state.history), with a header; a value
    an epoch does not have (no test set, no accuracy in a regression) is left empty."""
    header = history_columns(history) or list(HISTORY_COLUMNS)
    return table_csv(header, [[epoch.get(key) for key in header] for epoch in history])


def grid_csv(points: np.ndarray, outputs: np.ndarray, input_names: Sequence[str] = ("x1", "x2"),
             output_names: Sequence[str] | None = None) -> bytes:
    """A grid over the input plane: each point's two inputs and the network's outputs there.

    `points` is (m, 2); `outputs` is (m, k) or anything that reshapes to it (the plane's
    (n, n, k) map, rows in the points' order); the outputs are named `output` when there is one,
    `output_<name>` (or `output_<index>`) when there are several."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    values = np.asarray(outputs, dtype=np.float64).reshape(len(points), -1)
    k = values.shape[1]
    if output_names is None or len(output_names) != k:
        output_names = [str(j) for j in range(k)]
    names = ["output"] if k == 1 else [f"output_{name}" for name in output_names]
    header = [*(str(n) for n in input_names[:2]), *names]
    if len(header) != 2 + k:
        raise ValueError("two input names are needed")
    return table_csv(header, np.hstack([points, values]).tolist())
