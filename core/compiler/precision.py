"""Whether data fits the model's number type: the first value that does not (a CSV cell of 1e39
is infinite in float32) is named by its column and row, with what to do about it."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from core.design.errors import DataError, Problem


def fits_dtype(values: np.ndarray, dtype: Any, names: list[str], what: str,
               rows: np.ndarray | None = None) -> np.ndarray:
    """`values` (host rows × columns) in `dtype`, or a DataError naming the column and the row
    of the first value that does not fit (too large for float32 becomes infinite)."""
    dtype = np.dtype(dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        converted = np.asarray(values).astype(dtype, copy=False)
    finite = np.isfinite(converted)
    if finite.all():
        return converted
    row, column = (int(i) for i in np.argwhere(~finite)[0])
    value = float(np.asarray(values)[row, column])
    name = names[column] if column < len(names) else f"{what} {column + 1}"
    row = int(rows[row]) if rows is not None else row
    where = f"{what} {name!r}, data row {row + 1}"
    if math.isnan(value):
        raise DataError(f"{where}: the value is not a number (NaN); remove or fill it in")
    largest = float(np.finfo(dtype).max)
    advice = ("train in float64 (Training settings, Precision) or rescale the column"
              if dtype != np.float64 else "rescale the column")
    raise DataError(f"{where}: the value {value:g} is too large for {dtype.name} (whose largest "
                    f"is {largest:.3g}); {advice}")


def column_names(design, data) -> list[str]:
    """The name of each of the model's input columns, in the compiler's order (an Input node's
    feature, each column of a Data node)."""
    names: list[str] = []
    for node in design.nodes.values():
        if node.kind == "input":
            names.append(str(node.params.get("feature", node.id)))
        elif node.kind == "data":
            names.extend(data.feature_names)
    return names


def weight_problems(design) -> list[Problem]:
    """Each weight, bias, block array and optimizer slot of the design that its number type cannot
    hold (1e300 is infinite in float32): named, with what to do. (Activation settings have ranges
    of their own, far inside float32.)"""
    dtype = np.dtype(design.training.dtype if design.training.dtype in ("float32", "float64")
                     else "float32")
    largest = float(np.finfo(dtype).max)
    advice = ("train in float64 (Training settings, Precision) or use a smaller value"
              if dtype == np.float32 else "use a smaller value")

    def too_large(value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and \
            math.isfinite(value) and abs(value) > largest

    def message(what: str, value: float) -> str:
        return f"{what} {value:g} is too large for {dtype.name} (whose largest is {largest:.3g}); {advice}"

    problems = [Problem(message("weight", c.weight), (), (c.id,))
                for c in design.connections.values() if too_large(c.weight)]
    for node in design.nodes.values():
        params = node.params
        if too_large(params.get("bias")):
            problems.append(Problem(message("bias", params["bias"]), (node.id,)))
    arrays = [((node_id,), f"{name} of the block", values)
              for node_id, named in design.parameters.items() for name, values in named.items()]
    arrays += [((), f"optimizer state {slot!r}", values)
               for slot, values in design.state.optimizer_state.items()]
    for ids, what, values in arrays:
        values = np.asarray(values)
        if dtype == np.float32 and values.dtype == np.float64 and values.size:
            peak = float(np.max(np.abs(values[np.isfinite(values)]), initial=0.0))
            if peak > largest:
                problem = message(f"a value in the {what}", peak)
                problems.append(Problem(problem, ids, path="" if ids else "state.optimizer"))
    return problems
