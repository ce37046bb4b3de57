"""The sequence data sets: shapes, names, determinism, what the targets mean, and that they are learnable."""

from __future__ import annotations

import numpy as np
import pytest

import core
from core.data.datasets import dataset_problems, load_dataset
from core.design import registry
from core.design.design import Design


def test_sine_rows_are_windows_and_the_target_is_the_next_value():
    data = load_dataset("sine", {"n": 50, "window": 12, "noise": 0.0, "period": 16.0}, seed=3)
    assert data.X.shape == (50, 12) and data.y.shape == (50, 1)
    assert data.task == "regression" and data.feature_names == tuple(f"t{k}" for k in range(1, 13))
    # without noise each row continues one sine of period 16: x[t+1] = 2cos(2π/16)·x[t] − x[t−1]
    series = np.column_stack([data.X, data.y])
    step = 2.0 * np.cos(2.0 * np.pi / 16.0)
    np.testing.assert_allclose(series[:, 2:], step * series[:, 1:-1] - series[:, :-2], atol=1e-12)
    assert np.abs(series).max() <= 1.0


def test_sine_noise_has_the_stated_spread():
    clean = load_dataset("sine", {"n": 2000, "noise": 0.0}, seed=1)
    noisy = load_dataset("sine", {"n": 2000, "noise": 0.1}, seed=1)
    assert np.std(noisy.y - clean.y) == pytest.approx(0.1, rel=0.1)


@pytest.mark.parametrize("name", ["sine", "sequences"])
def test_same_seed_same_arrays_other_seed_other_arrays(name):
    a, b, c = (load_dataset(name, {"n": 40}, seed=s) for s in (7, 7, 8))
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)


def test_sequences_label_says_which_half_holds_the_bump():
    data = load_dataset("sequences", {"n": 400, "window": 16, "noise": 0.0}, seed=2)
    assert data.X.shape == (400, 16) and data.y.shape == (400,)
    assert data.class_names == ("first half", "second half") and data.num_classes == 2
    assert np.bincount(data.y).tolist() == [200, 200]
    peak_in_second_half = data.X.argmax(axis=1) >= 8
    assert np.mean(peak_in_second_half == (data.y == 1)) >= 0.95  # ties at the middle aside


def test_both_are_registered_with_a_description_and_checked_params():
    for name in ("sine", "sequences"):
        spec = registry.datasets.get(name)
        assert spec.description.endswith(".") and "window" in {p.name for p in spec.params}
    assert dataset_problems("sine", {"window": 2}) == [
        "data set 'sine': parameter 'window' = 2 is out of range [4, 200]"]
    assert dataset_problems("sequences", {"period": 5}) != []


def test_a_small_gru_learns_the_sequences_task():
    design = Design()
    chain = [design.add_node("data"), design.add_node("reshape", {"shape": "16,1"}),
             design.add_node("gru", {"units": 16}),
             design.add_node("dense", {"units": 2, "activation": "softmax"})]
    for source, target in zip(chain, chain[1:], strict=False):
        design.add_connection(source.id, target.id)
    design.set_dataset("sequences", {"n": 600, "window": 16, "noise": 0.1})
    design.set_training(loss="softmax_cross_entropy", optimizer="adam", learning_rate=0.01,
                        batch_size=32, epochs=8, test_fraction=0.25)
    result = core.train(design)
    assert result.test_accuracy >= 0.9, result


def test_a_regression_with_no_test_set_trains():
    from pathlib import Path

    from core.files.fileformat import load_design
    from core.training.trainer import Trainer

    design = load_design(Path(__file__).resolve().parents[2] / "resources/examples/sine_gru.ncanvas")
    design.set_training(test_fraction=0.0, epochs=1)
    metrics = Trainer(design).train()
    assert metrics.test_loss is None and metrics.train_loss > 0
