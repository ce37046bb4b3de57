"""Points a person paints on the plane: the form they take, the rules they keep, their arrays.

The "painted" data set's params are ``{"points": [[x1, x2, class], …], "classes": k}``: each
point is two finite numbers and a whole-number class in 0..k-1, in the order painted (erasing
keeps the others' order), at most MAX_POINTS of them, and k from 2 to MAX_CLASSES. Points are
kept as plain lists so that a design file holds them exactly as painted. A set with points of
fewer than two classes is a problem to show ("paint points of at least two classes"), not an
error in the file: unfinished paintings save and reopen.
"""

from __future__ import annotations

import math

import numpy as np

from core.design.errors import shown as quoted

MAX_POINTS = 5000
MAX_CLASSES = 8
_SHOWN = 10  # problems listed one by one before the rest are counted
_SEQUENCES = (list, tuple)
_NUMBERS = (int, float)


def _is_number(value: object) -> bool:
    return (isinstance(value, int | float | np.integer | np.floating)
            and not isinstance(value, bool | np.bool_) and math.isfinite(value))


def _is_class(value: object) -> bool:
    """A whole number as a file holds one: 1, not 1.0 or true."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _is_point(point: object) -> bool:
    return (isinstance(point, list | tuple) and len(point) == 3 and _is_number(point[0])
            and _is_number(point[1]) and _is_class(point[2]) and point[2] >= 0)


def _plain_table(points: list) -> tuple[np.ndarray, np.ndarray] | None:
    """(X, y) at NumPy speed when every point is [int or float, int or float, int], all finite
    and no class below 0 (the usual case); None when some point needs looking at one by one."""
    if not all(type(p) in _SEQUENCES and len(p) == 3 and type(p[0]) in _NUMBERS
               and type(p[1]) in _NUMBERS and type(p[2]) is int for p in points):
        return None
    table = np.array(points, dtype=np.float64).reshape(-1, 3)
    if not np.isfinite(table).all() or (table[:, 2] < 0).any():
        return None
    return table[:, :2].copy(), table[:, 2].astype(np.int64)


def point_problems(points: list, classes: int) -> list[str]:
    """Every problem with painted points (the first few one by one), as messages to show."""
    plain = _plain_table(points) if len(points) <= MAX_POINTS else None
    if plain is not None and (not len(plain[1]) or plain[1].max() < classes):
        problems, seen = [], set(np.unique(plain[1]).tolist())
    else:
        problems, seen = _one_by_one(points, classes)
    if not problems and len(seen) < 2:
        found = "no points" if not points else f"points of class {seen.pop()} only"
        problems.append(f"paint points of at least two classes (there are {found})")
    return [f"data set 'painted': {p}" for p in problems]


def _one_by_one(points: list, classes: int) -> tuple[list[str], set[int]]:
    """(problems, classes seen) when some point is out of the ordinary."""
    problems: list[str] = []
    bad = 0
    seen: set[int] = set()
    if len(points) > MAX_POINTS:
        problems.append(f"{len(points)} points; at most {MAX_POINTS} can be painted")
    for i, point in enumerate(points):
        message = ""
        if not isinstance(point, list | tuple) or len(point) != 3:
            message = f"point {i} ({quoted(point)}) is not [x1, x2, class]"
        elif not (_is_number(point[0]) and _is_number(point[1])):
            message = f"point {i} ({quoted(list(point))}) does not have two finite coordinates"
        elif not _is_class(point[2]) or not 0 <= point[2] < classes:
            message = (f"point {i} ({quoted(list(point))}) has class {quoted(point[2])}; with {classes} "
                       f"classes a class is a whole number from 0 to {classes - 1}")
        else:
            seen.add(int(point[2]))
        if message:
            bad += 1
            if bad <= _SHOWN:
                problems.append(message)
    if bad > _SHOWN:
        problems.append(f"{bad - _SHOWN} more points are wrong in the same ways")
    return problems, seen


def painted_arrays(points: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, y, ids): coordinates (n, 2) float64, classes (n,) int64 and each row's index in
    `points`. Lenient, for drawing a painting not finished: what is not a point is left out."""
    plain = _plain_table(points)
    if plain is not None:
        return plain[0], plain[1], np.arange(len(points), dtype=np.int64)
    ids = np.array([i for i, p in enumerate(points) if _is_point(p)], dtype=np.int64)
    X = np.array([[float(points[i][0]), float(points[i][1])] for i in ids],
                 dtype=np.float64).reshape(-1, 2)
    y = np.array([int(points[i][2]) for i in ids], dtype=np.int64)
    return X, y, ids


def with_point(points: list, x1: float, x2: float, label: int) -> list:
    """A new list: the points with one more, its coordinates rounded to a thousandth."""
    return [*points, [round(float(x1), 3), round(float(x2), 3), int(label)]]


def without_points(points: list, indices) -> list:
    """A new list: the points but those at `indices`, the rest in their order."""
    gone = {int(i) for i in indices}
    return [p for i, p in enumerate(points) if i not in gone]


def points_near(X: np.ndarray, x1: float, x2: float, radius_x1: float, radius_x2: float
                ) -> np.ndarray:
    """The rows of X (n, 2) inside the ellipse of these radii around (x1, x2), as row indices."""
    if not len(X) or radius_x1 <= 0 or radius_x2 <= 0:
        return np.zeros(0, dtype=np.intp)
    d = ((X[:, 0] - x1) / radius_x1) ** 2 + ((X[:, 1] - x2) / radius_x2) ** 2
    return np.flatnonzero(d <= 1.0)


def check_painted(params: dict) -> list[str]:
    """The data set registry's extra check of the painted set's resolved params."""
    return point_problems(params["points"], params["classes"])

