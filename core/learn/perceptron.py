"""The perceptron by hand: the cricket decision term by term, the threshold as a bias, and
Rosenblatt's learning rule presented one instance at a time, with the convergence theorem's bound."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.data.datasets import CRICKET_THRESHOLD, CRICKET_WEIGHTS

INPUTS = ("weather", "music", "company", "money")
CLASSES = ("stay", "go")  # target 0 and 1
SCORE_MAX = 4
# Twelve evenings, scored 0 to 4 and labelled by the cricket rule (weights 4, 2, 2, 1, threshold
# 25): six go, six stay, none split by one input alone. The widest line between them has weights
# close to 4, 2, 2, 1; from random weights the rule finds one in some 150 to 250 presentations.
CRICKET_TABLE = (
    (4, 0, 1, 0), (2, 1, 0, 3), (4, 4, 3, 3), (3, 2, 0, 0), (2, 4, 3, 4), (4, 2, 4, 4),
    (1, 3, 1, 4), (4, 4, 0, 2), (0, 4, 0, 4), (3, 2, 4, 2), (2, 4, 4, 4), (1, 3, 3, 0),
)
NOT_SEPARABLE_CAP = 10_000  # presentations "run until it separates" tries when no line is known


# ---------------------------------------------------------------------- the decision
def terms(scores: Sequence[float], weights: Sequence[float]) -> np.ndarray:
    """Each input's contribution: score × weight."""
    return np.asarray(scores, dtype=np.float64) * np.asarray(weights, dtype=np.float64)


def weighted_sum(scores: Sequence[float], weights: Sequence[float]) -> float:
    return float(terms(scores, weights).sum())


def decide(scores: Sequence[float], weights: Sequence[float], threshold: float) -> bool:
    """Go when the weighted sum reaches the threshold (as the cricket data set labels it)."""
    return weighted_sum(scores, weights) >= threshold


def number(value: float) -> str:
    """A number as a person writes it: 3, 2.5, −1.2 (a true minus sign, no trailing zeros)."""
    value = round(float(value), 6)
    text = f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return text.replace("-", "−")


def _relation(value: float, reference: float) -> str:
    return ">" if value > reference else "=" if value == reference else "<"


def _sum_text(scores: Sequence[float], weights: Sequence[float]) -> str:
    return " + ".join(f"{number(s)}·{number(w)}" for s, w in zip(scores, weights, strict=True))


def threshold_equation(scores: Sequence[float], weights: Sequence[float], threshold: float) -> str:
    """"3·4 + 2·2 + 4·2 + 2·1 = 26 > 25 → go": the sum written out against the threshold."""
    total = weighted_sum(scores, weights)
    verdict = CLASSES[decide(scores, weights, threshold)]
    return (f"{_sum_text(scores, weights)} = {number(total)} "
            f"{_relation(total, threshold)} {number(threshold)} → {verdict}")


def bias_equation(scores: Sequence[float], weights: Sequence[float], bias: float) -> str:
    """"3·4 + 2·2 + 4·2 + 2·1 − 25 = 1 > 0 → go": the threshold moved across as a bias."""
    net = weighted_sum(scores, weights) + bias
    sign = "−" if bias < 0 else "+"
    verdict = CLASSES[net >= 0]
    return (f"{_sum_text(scores, weights)} {sign} {number(abs(bias))} = {number(net)} "
            f"{_relation(net, 0.0)} 0 → {verdict}")


# ---------------------------------------------------------------------- learning
@dataclass(frozen=True)
class Perceptron:
    """Weights and a bias; the output is 1 (go) where w·x + b ≥ 0, else 0 (stay)."""

    weights: tuple[float, ...]
    bias: float

    def net(self, X: np.ndarray) -> np.ndarray:
        """w·x + b, to 9 decimals: weights in tenths times whole scores meet 0 exactly."""
        return np.round(np.asarray(X, dtype=np.float64) @ np.asarray(self.weights) + self.bias, 9)

    def outputs(self, X: np.ndarray) -> np.ndarray:
        """The decision for each row of X (or for one instance): 1 or 0."""
        return (self.net(X) >= 0).astype(np.int64)

    @property
    def augmented(self) -> np.ndarray:
        return np.array((*self.weights, self.bias), dtype=np.float64)


def cricket_perceptron() -> Perceptron:
    """The project's cricket rule as a perceptron: b = −threshold."""
    return Perceptron(tuple(float(w) for w in CRICKET_WEIGHTS), -float(CRICKET_THRESHOLD))


def cricket_table() -> tuple[np.ndarray, np.ndarray]:
    """The default labelled table: scores (n, 4) and targets (n,), labelled by the cricket rule."""
    X = np.array(CRICKET_TABLE, dtype=np.float64)
    return X, cricket_perceptron().outputs(X)


def random_perceptron(n_inputs: int, seed: int, scale: float = 1.0) -> Perceptron:
    """Weights and bias drawn uniformly from [−scale, scale], rounded to tenths (easy to follow)."""
    values = np.random.default_rng(seed).uniform(-scale, scale, n_inputs + 1).round(1) + 0.0
    return Perceptron(tuple(float(v) for v in values[:-1]), float(values[-1]))


@dataclass(frozen=True)
class Presentation:
    """One instance presented and the rule applied: w ← w + η·(t − y)·x, b ← b + η·(t − y)."""

    index: int  # the row presented
    x: tuple[float, ...]
    target: int
    output: int  # y, the decision before the update
    eta: float
    before: Perceptron
    after: Perceptron

    @property
    def error(self) -> int:
        """t − y: +1 (should have said go), −1 (should have said stay) or 0 (right: no change)."""
        return self.target - self.output


def present(perceptron: Perceptron, x: Sequence[float], target: int, eta: float = 1.0,
            index: int = 0) -> Presentation:
    """Apply the perceptron learning rule to one instance."""
    x = np.asarray(x, dtype=np.float64)
    output = int(perceptron.outputs(x))
    error = int(target) - output
    after = Perceptron(tuple(float(v) for v in np.asarray(perceptron.weights) + eta * error * x),
                       float(perceptron.bias + eta * error))
    return Presentation(index, tuple(float(v) for v in x), int(target), output, float(eta),
                        perceptron, after)


def separates(perceptron: Perceptron, X: np.ndarray, t: np.ndarray) -> bool:
    """Every row of the table classified right."""
    return bool(np.array_equal(perceptron.outputs(X), np.asarray(t)))


@dataclass(frozen=True)
class TrainingRun:
    """Where "run until it separates" stopped."""

    final: Perceptron
    presentations: int  # instances presented in this run
    corrections: int  # of them, those that changed the weights
    separated: bool
    next_index: int  # the row the next presentation takes
    last: Presentation | None  # the last instance presented


def train_until_separated(perceptron: Perceptron, X: np.ndarray, t: np.ndarray, eta: float = 1.0,
                          start: int = 0, max_presentations: int = NOT_SEPARABLE_CAP) -> TrainingRun:
    """Present the rows in turn (from row `start`, round and round) until every row is right or
    `max_presentations` have been made."""
    X, t = np.asarray(X, dtype=np.float64), np.asarray(t, dtype=np.int64)
    n = len(X)
    index, presentations, corrections, last = start % max(n, 1), 0, 0, None
    current = perceptron
    while n and not separates(current, X, t) and presentations < max_presentations:
        last = present(current, X[index], int(t[index]), eta, index)
        current = last.after
        presentations += 1
        corrections += last.error != 0
        index = (index + 1) % n
    return TrainingRun(current, presentations, corrections, separates(current, X, t), index, last)


# ---------------------------------------------------------------------- the convergence theorem
def _signed_rows(X: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Each row with a 1 appended for the bias, negated for class 0: a separator u has
    u·z > 0 for every row z."""
    X = np.asarray(X, dtype=np.float64)
    signs = np.where(np.asarray(t) == 1, 1.0, -1.0)
    return np.column_stack([X, np.ones(len(X))]) * signs[:, None]


def margin(X: np.ndarray, t: np.ndarray, separator: Perceptron) -> float:
    """The geometric margin γ of (w, b) on the table, with the bias as a weight on an input of 1:
    min over rows of (t ? 1 : −1)·(w·x + b) / ‖(w, b)‖; not positive when it does not separate."""
    u = separator.augmented
    norm = float(np.linalg.norm(u))
    return float((_signed_rows(X, t) @ u).min() / norm) if norm else 0.0


def widest_separator(X: np.ndarray, t: np.ndarray, iterations: int = 5000) -> Perceptron | None:
    """A separator with close to the widest margin (Gilbert's algorithm: the point nearest the
    origin in the hull of the signed rows points that way), or None when none is found, as for
    a table no line (plane) can split."""
    Z = _signed_rows(X, t)
    if not len(Z):
        return None
    v = Z[np.argmin((Z * Z).sum(axis=1))].copy()
    best, best_margin = None, 0.0
    for _ in range(iterations):
        dots = Z @ v
        norm = float(np.linalg.norm(v))
        if norm < 1e-12:
            break
        if dots.min() / norm > best_margin:
            best_margin, best = dots.min() / norm, v.copy()
        z = Z[np.argmin(dots)]
        d = z - v
        dd = float(d @ d)
        if dd < 1e-18:
            break
        step = min(max(-float(v @ d) / dd, 0.0), 1.0)
        if step == 0.0:
            break
        v = v + step * d
    if best is None:
        return None
    return Perceptron(tuple(float(w) for w in best[:-1]), float(best[-1]))


def correction_bound(X: np.ndarray, t: np.ndarray, start: Perceptron, eta: float,
                     gamma: float) -> float:
    """The convergence theorem: starting from `start`, the rule makes at most
    (R² + 2γ‖w₀‖/η) / γ² corrections (R²/γ² from zero weights), where R is the longest row (with
    its 1 for the bias) and γ the margin of any separator."""
    R2 = float((_signed_rows(X, t) ** 2).sum(axis=1).max())
    w0 = float(np.linalg.norm(start.augmented))
    return (R2 + 2.0 * gamma * w0 / eta) / gamma**2


# ---------------------------------------------------------------------- a slice for the plot
def slice_line(perceptron: Perceptron, axes: tuple[int, int],
               held: Sequence[float]) -> tuple[float, float, float]:
    """The decision line in the plane of two inputs, the others held at `held` (one value per
    input; those of the two axes are ignored): (a, b, c) with a·x + b·y + c = 0."""
    w = np.asarray(perceptron.weights, dtype=np.float64)
    others = [k for k in range(len(w)) if k not in axes]
    c = perceptron.bias + float(sum(w[k] * held[k] for k in others))
    return float(w[axes[0]]), float(w[axes[1]]), float(c)


Box = tuple[float, float, float, float]  # x_min, x_max, y_min, y_max


def _corners(box: Box) -> list[tuple[float, float]]:
    x0, x1, y0, y1 = box
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def half_plane(line: tuple[float, float, float], box: Box) -> list[tuple[float, float]]:
    """The part of the box where a·x + b·y + c ≥ 0 (the go side), as a polygon (maybe empty)."""
    a, b, c = line
    corners = _corners(box)
    side = [a * x + b * y + c for x, y in corners]
    polygon = []
    for i, (p, fp) in enumerate(zip(corners, side, strict=True)):
        q, fq = corners[(i + 1) % 4], side[(i + 1) % 4]
        if fp >= 0:
            polygon.append(p)
        if (fp >= 0) != (fq >= 0) and fp != fq:
            s = fp / (fp - fq)
            polygon.append((p[0] + s * (q[0] - p[0]), p[1] + s * (q[1] - p[1])))
    return polygon


def line_segment(line: tuple[float, float, float],
                 box: Box) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Where the line a·x + b·y + c = 0 crosses the box: its two ends, or None if it misses."""
    a, b, c = line
    points = []
    corners = _corners(box)
    for i, p in enumerate(corners):
        q = corners[(i + 1) % 4]
        fp, fq = a * p[0] + b * p[1] + c, a * q[0] + b * q[1] + c
        if fp == fq:
            continue  # an edge along the line, or one it does not cross
        s = fp / (fp - fq)
        if 0.0 <= s <= 1.0:
            points.append((p[0] + s * (q[0] - p[0]), p[1] + s * (q[1] - p[1])))
    if len(points) < 2:
        return None
    points.sort()
    if math.dist(points[0], points[-1]) < 1e-12:
        return None
    return points[0], points[-1]
