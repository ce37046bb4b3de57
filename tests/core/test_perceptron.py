"""The perceptron walkthrough's engine: the cricket decision, threshold as bias, the learning rule
and its convergence (or not) on a table."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.datasets import CRICKET_THRESHOLD, CRICKET_WEIGHTS, load_dataset
from core.learn.perceptron import (
    Perceptron,
    bias_equation,
    correction_bound,
    cricket_perceptron,
    cricket_table,
    decide,
    half_plane,
    line_segment,
    margin,
    present,
    random_perceptron,
    separates,
    slice_line,
    terms,
    threshold_equation,
    train_until_separated,
    weighted_sum,
    widest_separator,
)
from tests.perceptron_bound import presentation_bound

XOR_LIKE = (np.array([[0, 0, 0, 0], [4, 4, 0, 0], [4, 0, 0, 0], [0, 4, 0, 0]], dtype=float),
            np.array([0, 0, 1, 1]))


def test_the_cricket_sum_term_by_term():
    scores, weights = (3, 2, 4, 2), (4, 2, 2, 1)
    assert terms(scores, weights).tolist() == [12, 4, 8, 2]
    assert weighted_sum(scores, weights) == 26
    assert decide(scores, weights, 25) and not decide(scores, weights, 27)
    assert decide(scores, weights, 26)  # reaching the threshold is enough, as the data set says
    assert threshold_equation(scores, weights, 25) == "3·4 + 2·2 + 4·2 + 2·1 = 26 > 25 → go"
    assert threshold_equation(scores, weights, 27) == "3·4 + 2·2 + 4·2 + 2·1 = 26 < 27 → stay"
    assert threshold_equation(scores, weights, 26).endswith("= 26 = 26 → go")


def test_the_threshold_is_a_bias_with_the_same_decision():
    scores, weights = (3, 2, 4, 2), (4, 2, 2, 1)
    assert bias_equation(scores, weights, -25) == "3·4 + 2·2 + 4·2 + 2·1 − 25 = 1 > 0 → go"
    assert bias_equation(scores, weights, -27) == "3·4 + 2·2 + 4·2 + 2·1 − 27 = −1 < 0 → stay"
    rng = np.random.default_rng(0)
    for _ in range(200):
        s, w, threshold = rng.integers(0, 5, 4), rng.integers(0, 5, 4), int(rng.integers(0, 65))
        p = Perceptron(tuple(float(v) for v in w), -float(threshold))
        assert bool(p.outputs(s)) == decide(s, w, threshold)
        assert bias_equation(s, w, -threshold).endswith(("go", "stay")[not decide(s, w, threshold)])


def test_the_cricket_perceptron_labels_the_cricket_data_set():
    data = load_dataset("cricket", {}, seed=0)
    p = cricket_perceptron()
    assert p.weights == tuple(float(w) for w in CRICKET_WEIGHTS) and p.bias == -CRICKET_THRESHOLD
    assert np.array_equal(p.outputs(data.X), data.y)
    X, t = cricket_table()
    assert 8 <= len(X) <= 16 and 0 < t.sum() < len(t)
    assert X.min() >= 0 and X.max() <= 4
    assert separates(p, X, t)


def test_one_presentation_applies_the_rule():
    p = Perceptron((0.5, -0.3, 0.2, 0.1), -0.4)
    x = (3, 2, 4, 2)  # net 1.5 − 0.6 + 0.8 + 0.2 − 0.4 = 1.5 ≥ 0: says go
    wrong = present(p, x, 0, eta=0.5, index=7)
    assert (wrong.index, wrong.output, wrong.target, wrong.error) == (7, 1, 0, -1)
    assert wrong.after.weights == pytest.approx((0.5 - 1.5, -0.3 - 1.0, 0.2 - 2.0, 0.1 - 1.0))
    assert wrong.after.bias == pytest.approx(-0.9)
    right = present(p, x, 1)
    assert right.error == 0 and right.after == p
    missed = present(Perceptron((0.0,) * 4, -1.0), x, 1)
    assert missed.error == 1 and missed.after == Perceptron((3.0, 2.0, 4.0, 2.0), 0.0)


def test_random_weights_are_seeded():
    a, b, c = random_perceptron(4, 3), random_perceptron(4, 3), random_perceptron(4, 4)
    assert a == b and a != c
    assert all(-1 <= v <= 1 for v in (*a.weights, a.bias))


@pytest.mark.parametrize("seed", range(8))
def test_a_separable_table_is_separated_within_the_theorems_bound(seed):
    X, t = cricket_table()
    start = random_perceptron(4, seed)
    separator = widest_separator(X, t)
    gamma = margin(X, t, separator)
    assert separates(separator, X, t) and gamma > 0
    assert gamma >= margin(X, t, Perceptron((4.0, 2.0, 2.0, 1.0), -25.0))  # wider than the rule's
    bound = presentation_bound(X, t, start, 1.0)
    run = train_until_separated(start, X, t, 1.0, max_presentations=bound.presentations)
    assert run.separated and separates(run.final, X, t)
    assert run.corrections <= correction_bound(X, t, start, 1.0, gamma) == bound.corrections
    assert run.presentations <= bound.presentations == len(X) * (int(bound.corrections) + 1)
    # going on presents nothing more: it has separated
    assert train_until_separated(run.final, X, t, start=run.next_index).presentations == 0


def test_the_bound_from_zero_weights_is_r_squared_over_gamma_squared():
    X, t = cricket_table()
    gamma = margin(X, t, widest_separator(X, t))
    R2 = max(float(x @ x) + 1 for x in X)
    assert correction_bound(X, t, Perceptron((0.0,) * 4, 0.0), 1.0, gamma) == pytest.approx(R2 / gamma**2)


def test_training_presents_the_rows_in_turn_and_stops_at_the_bound():
    X, t = cricket_table()
    start = random_perceptron(4, 1)
    run = train_until_separated(start, X, t, 1.0, start=5, max_presentations=3)
    p = start
    for k in (5, 6, 7):
        p = present(p, X[k], t[k], 1.0, k).after
    assert run.presentations == 3 and run.final == p and run.next_index == 8
    assert run.last.index == 7 and not run.separated


def test_an_xor_like_table_is_not_separated():
    X, t = XOR_LIKE
    assert widest_separator(X, t) is None
    bound = presentation_bound(X, t, random_perceptron(4, 0), 1.0, cap=2000)
    assert bound.presentations == 2000 and bound.corrections is None
    run = train_until_separated(random_perceptron(4, 0), X, t, 1.0, max_presentations=bound.presentations)
    assert not run.separated and run.presentations == 2000
    assert run.corrections > 0


def test_the_line_in_the_plane_of_two_inputs():
    p = Perceptron((4.0, 2.0, 2.0, 1.0), -25.0)
    held = (9.0, 2.5, 9.0, 2.0)  # the two axes' own entries are ignored
    line = slice_line(p, (0, 2), held)
    assert line == (4.0, 2.0, -25.0 + 2 * 2.5 + 1 * 2.0)
    box = (-0.5, 4.5, -0.5, 4.5)
    (x0, y0), (x1, y1) = line_segment(line, box)
    for x, y in ((x0, y0), (x1, y1)):
        full = np.array([x, 2.5, y, 2.0])
        assert float(full @ np.array(p.weights) + p.bias) == pytest.approx(0.0, abs=1e-9)
        assert -0.5 - 1e-9 <= x <= 4.5 + 1e-9 and -0.5 - 1e-9 <= y <= 4.5 + 1e-9
    go = half_plane(line, box)
    assert (4.5, 4.5) in go and (-0.5, -0.5) not in go
    assert all(4 * x + 2 * y - 18 >= -1e-9 for x, y in go)
    assert line_segment((0.0, 0.0, 1.0), box) is None and len(half_plane((0.0, 0.0, 1.0), box)) == 4
    assert half_plane((0.0, 0.0, -1.0), box) == []
    assert line_segment((1.0, 0.0, -10.0), box) is None  # x = 10 misses the box
