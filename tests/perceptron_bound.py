"""How long "run until it separates" may go on, by the convergence theorem: the reference the
perceptron's tests (core's and the walkthrough's) hold the training and the walkthrough's text to."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.learn.perceptron import (
    NOT_SEPARABLE_CAP,
    Perceptron,
    correction_bound,
    margin,
    widest_separator,
)


@dataclass(frozen=True)
class Bound:
    """How long "run until it separates" may go on, and why."""

    presentations: int
    corrections: float | None  # the theorem's bound, when a separator is known
    gamma: float | None


def presentation_bound(X: np.ndarray, t: np.ndarray, start: Perceptron, eta: float,
                       cap: int = NOT_SEPARABLE_CAP) -> Bound:
    """Presented in turn, each correction is followed by fewer than n presentations that change
    nothing before the next correction or the end: at most n·(corrections + 1) presentations.
    With no separator found, `cap` presentations."""
    separator = widest_separator(X, t)
    gamma = margin(X, t, separator) if separator is not None else 0.0
    if gamma <= 0:
        return Bound(cap, None, None)
    corrections = correction_bound(X, t, start, eta, gamma)
    return Bound(len(X) * (math.floor(corrections) + 1), corrections, gamma)
