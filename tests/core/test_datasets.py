"""Tests for the built-in data sets, parameter checking, splitting and CSV import."""

from __future__ import annotations

import hashlib
from importlib.resources import files

import numpy as np
import pytest

from core.data.datasets import (
    Dataset,
    DatasetSpec,
    dataset_problems,
    load_dataset,
    read_csv,
    resolve_params,
    train_test_split,
)
from core.design import registry
from core.design.errors import DataError

PLAYGROUND = ["circle", "xor", "gaussian", "spiral", "moons", "plane", "multi_gaussian"]
BUILT_IN = [*PLAYGROUND, "digits", "cricket"]
RANDOM = PLAYGROUND


# ---- built-in sets ---------------------------------------------------------------------------


def test_every_id_is_registered_with_a_spec():
    assert set(registry.datasets) >= {*BUILT_IN, "csv"}
    for name in [*BUILT_IN, "csv"]:
        spec = registry.datasets.get(name)
        assert isinstance(spec, DatasetSpec)
        assert spec.id == name and spec.label and spec.description.endswith(".")
        assert spec.task in ("classification", "regression")


@pytest.mark.parametrize("name", BUILT_IN)
def test_loads_with_defaults_with_consistent_shapes(name):
    data = load_dataset(name)
    assert isinstance(data, Dataset)
    n, d = data.X.shape
    assert data.X.dtype == np.float64 and np.isfinite(data.X).all()
    assert data.num_samples == n and data.num_features == d == len(data.feature_names)
    if data.task == "classification":
        assert data.y.shape == (n,) and data.y.dtype == np.int64
        assert data.y.min() == 0 and data.y.max() == data.num_classes - 1
        assert len(data.class_names) == data.num_classes
    else:
        assert data.task == "regression" and data.num_classes == 0
        assert data.y.shape == (n, 1) and data.y.dtype == np.float64
        assert data.target_names == ("y",)


@pytest.mark.parametrize("name", PLAYGROUND)
def test_playground_sets_are_2d_in_range(name):
    data = load_dataset(name, {"n": 300, "noise": 0.1})
    assert data.X.shape == (300, 2)
    assert data.feature_names == ("x1", "x2")
    assert np.abs(data.X).max() <= 8.0
    if data.task == "regression":
        assert np.abs(data.y).max() <= 1.0


@pytest.mark.parametrize("name", RANDOM)
def test_same_seed_same_arrays_other_seed_differs(name):
    a = load_dataset(name, {"noise": 0.1}, seed=3)
    b = load_dataset(name, {"noise": 0.1}, seed=3)
    c = load_dataset(name, {"noise": 0.1}, seed=4)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)


def test_circle_without_noise_is_inside_versus_outside():
    data = load_dataset("circle", {"n": 400, "noise": 0.0})
    radius = np.hypot(data.X[:, 0], data.X[:, 1])
    inside = data.class_names.index("inside")
    np.testing.assert_array_equal(data.y == inside, radius < 2.5)
    assert np.bincount(data.y).tolist() == [200, 200]
    assert radius.max() <= 5.0


def test_xor_without_noise_follows_the_sign_rule_with_padding():
    data = load_dataset("xor", {"n": 400, "noise": 0.0})
    same_sign = data.X[:, 0] * data.X[:, 1] > 0
    np.testing.assert_array_equal(data.y == 1, same_sign)
    assert np.abs(data.X).min() >= 0.3
    assert 100 < data.y.sum() < 300


def test_noise_blurs_the_circle_labels():
    data = load_dataset("circle", {"n": 1000, "noise": 0.5})
    radius = np.hypot(data.X[:, 0], data.X[:, 1])
    assert (data.y != (radius < 2.5)).any()


def test_two_gaussians_sit_at_the_playground_centres():
    data = load_dataset("gaussian", {"n": 1000})
    means = sorted(tuple(np.round(data.X[data.y == k].mean(axis=0))) for k in (0, 1))
    assert means == [(-2.0, -2.0), (2.0, 2.0)]


@pytest.mark.parametrize("name", ["spiral", "gaussian"])
def test_three_classes_are_balanced(name):
    data = load_dataset(name, {"n": 300, "classes": 3, "noise": 0.1})
    assert data.num_classes == 3 and len(data.class_names) == 3
    assert np.bincount(data.y).tolist() == [100, 100, 100]


def test_class_sizes_add_up_when_n_does_not_divide():
    data = load_dataset("spiral", {"n": 301, "classes": 4})
    assert data.num_samples == 301
    assert sorted(np.bincount(data.y).tolist()) == [75, 75, 75, 76]


def test_moons_are_two_balanced_half_circles_in_playground_range():
    data = load_dataset("moons", {"n": 200, "noise": 0.0})
    assert np.bincount(data.y).tolist() == [100, 100]
    assert data.X[:, 0].min() >= -6.0 and data.X[:, 0].max() <= 6.0
    # the upper moon is above the lower one on average
    assert data.X[data.y == 0, 1].mean() > data.X[data.y == 1, 1].mean()


def test_plane_without_noise_is_the_scaled_sum():
    data = load_dataset("plane", {"n": 200})
    expected = np.clip(data.X.sum(axis=1) / 10, -1, 1)
    np.testing.assert_allclose(data.y[:, 0], expected)


def test_multi_gaussian_peaks_at_the_centres():
    data = load_dataset("multi_gaussian", {"n": 2000})
    near_up = np.hypot(data.X[:, 0] + 4, data.X[:, 1] - 2.5) < 0.3
    near_down = np.hypot(data.X[:, 0], data.X[:, 1] - 2.5) < 0.3
    assert (data.y[near_up, 0] > 0.8).all() and (data.y[near_down, 0] < -0.8).all()
    assert np.abs(data.y).max() <= 1.0


def test_digits_are_the_8x8_images():
    data = load_dataset("digits")
    assert data.X.shape == (1797, 64)
    assert data.X.min() == 0.0 and data.X.max() == 1.0
    assert data.feature_names[0] == "p0" and data.feature_names[-1] == "p63"
    assert data.image_shape == (8, 8, 1)
    assert data.class_names == tuple("0123456789") and data.num_classes == 10
    # scikit-learn's copy: its class sizes, and the first image is a 0
    assert np.bincount(data.y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert data.y[0] == 0 and data.X[0, :8].tolist() == [
        0,
        0,
        5 / 16,
        13 / 16,
        9 / 16,
        1 / 16,
        0,
        0,
    ]


def test_digits_are_scikit_learns_table_unchanged_with_its_licence_beside_it():
    # the SHA-256 of sklearn.datasets.load_digits()'s data and target as one float64 table
    # (scikit-learn 1.9.1), taken before the package stopped depending on it
    data = load_dataset("digits")
    table = np.column_stack([data.X * 16.0, data.y.astype(np.float64)])  # /16 is exact both ways
    assert table.shape == (1797, 65)
    assert hashlib.sha256(np.ascontiguousarray(table).tobytes()).hexdigest() == (
        "30aa855cd90427ff3c4996b3f40109597c57049f8a038cc52db1efeac8ad2e26")
    licence = (files("core.data") / "digits.LICENSE").read_text(encoding="utf-8")
    assert "BSD 3-Clause License" in licence and "scikit-learn developers" in licence


def test_cricket_has_every_combination_and_the_perceptron_rule():
    data = load_dataset("cricket")
    assert data.X.shape == (625, 4)
    assert data.feature_names == ("weather", "music", "company", "money")
    assert data.class_names == ("stay", "go")
    assert len({tuple(row) for row in data.X}) == 625
    row = np.flatnonzero((data.X == [3, 2, 4, 2]).all(axis=1))[0]
    assert data.class_names[data.y[row]] == "go"
    row = np.flatnonzero((data.X == [3, 2, 4, 0]).all(axis=1))[0]  # 24: just short
    assert data.class_names[data.y[row]] == "stay"
    np.testing.assert_array_equal(data.y, data.X @ [4, 2, 2, 1] >= 25)


# ---- parameters ------------------------------------------------------------------------------


def test_good_params_have_no_problems_and_defaults_fill_in():
    assert dataset_problems("spiral", {"noise": 0.3, "classes": 5}) == []
    assert resolve_params("spiral", {"classes": 5}) == {"n": 500, "noise": 0.0, "classes": 5,
                                                        "target": "labels"}
    assert resolve_params("circle", None) == {"n": 500, "noise": 0.0, "target": "labels"}


def test_out_of_range_names_the_parameter():
    problems = dataset_problems("spiral", {"noise": 2.0})
    assert problems == ["data set 'spiral': parameter 'noise' = 2.0 is out of range [0, 0.5]"]
    assert "'n'" in dataset_problems("circle", {"n": 5})[0]
    assert "'classes'" in dataset_problems("gaussian", {"classes": 9})[0]


def test_every_problem_is_reported_at_once():
    problems = dataset_problems("gaussian", {"n": "many", "noise": -1, "colour": "red"})
    text = " | ".join(problems)
    assert len(problems) == 3
    for name in ("'n'", "'noise'", "'colour'"):
        assert name in text
    assert "unknown parameter 'colour'" in text and "whole number" in text


def test_unknown_data_set_and_wrong_choice():
    assert "unknown data set 'mnist'" in dataset_problems("mnist", None)[0]
    problems = dataset_problems("csv", {"path": "a.csv", "label": "y", "task": "clustering"})
    assert len(problems) == 1 and "'task'" in problems[0]


def test_csv_without_a_file_is_a_problem_not_a_crash():
    problems = dataset_problems("csv", {})
    assert any("'path'" in p for p in problems) and any("'label'" in p for p in problems)


def test_load_refuses_bad_params_with_every_problem():
    with pytest.raises(DataError) as caught:
        load_dataset("circle", {"n": 1, "noise": 0.9})
    assert "'n'" in str(caught.value) and "'noise'" in str(caught.value)


def test_whole_float_counts_are_accepted_but_fractions_are_not():
    assert resolve_params("circle", {"n": 200.0})["n"] == 200
    assert "'n'" in dataset_problems("circle", {"n": 200.5})[0]
    assert "'noise'" in dataset_problems("circle", {"noise": True})[0]


# ---- train/test split ------------------------------------------------------------------------


def test_split_sizes_disjoint_cover_and_seeded():
    train, test = train_test_split(100, 0.2, seed=1)
    assert len(test) == 20 and len(train) == 80
    assert train.dtype == np.int64 and test.dtype == np.int64
    assert not set(train) & set(test)
    assert sorted([*train, *test]) == list(range(100))
    again = train_test_split(100, 0.2, seed=1)
    np.testing.assert_array_equal(train, again[0])
    np.testing.assert_array_equal(test, again[1])
    assert not np.array_equal(test, train_test_split(100, 0.2, seed=2)[1])


def test_split_edges():
    train, test = train_test_split(10, 0.0, seed=0)
    assert len(train) == 10 and len(test) == 0
    train, test = train_test_split(10, 0.01, seed=0)
    assert len(test) == 1 and len(train) == 9
    with pytest.raises(DataError):
        train_test_split(10, 1.5, seed=0)


# ---- CSV import ------------------------------------------------------------------------------


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def csv_error(path, **kwargs) -> str:
    kwargs.setdefault("label", "kind")
    with pytest.raises(DataError) as caught:
        read_csv(path, **kwargs)
    return str(caught.value)


GOOD = "height,width,kind\n1.5,2,pear\n3,4,apple\n\n5,6e-1,fig\n0.5,1,apple\n"


def test_good_file_loads_with_sorted_string_labels(tmp_path):
    data = read_csv(write(tmp_path, GOOD), "kind")
    assert data.feature_names == ("height", "width")
    assert data.X.dtype == np.float32  # a CSV file's numbers are read as float32
    np.testing.assert_array_equal(data.X, np.float32([[1.5, 2], [3, 4], [5, 0.6], [0.5, 1]]))
    exact = read_csv(write(tmp_path, GOOD), "kind", dtype="float64")  # a float64 design's read
    np.testing.assert_array_equal(exact.X, [[1.5, 2], [3, 4], [5, 0.6], [0.5, 1]])
    assert data.class_names == ("apple", "fig", "pear")
    assert data.y.tolist() == [2, 0, 1, 0] and data.y.dtype == np.int64
    assert data.num_classes == 3 and data.task == "classification"


def test_numeric_labels_sort_numerically_and_features_pick_columns(tmp_path):
    path = write(tmp_path, "a,b,c\n1,2,10\n3,4,9\n5,6,10\n7,8,2\n")
    data = read_csv(path, "c", features=["b"])
    assert data.feature_names == ("b",) and data.X[:, 0].tolist() == [2, 4, 6, 8]
    assert data.class_names == ("2", "9", "10")
    assert data.y.tolist() == [2, 1, 2, 0]


def test_regression_file(tmp_path):
    path = write(tmp_path, "x,y\n1,0.5\n2,1.5\n")
    data = read_csv(path, "y", task="regression")
    assert data.y.shape == (2, 1) and data.y[:, 0].tolist() == [0.5, 1.5]
    assert data.num_classes == 0 and data.target_names == ("y",)


def test_csv_data_set_goes_through_read_csv(tmp_path):
    path = write(tmp_path, GOOD)
    data = load_dataset("csv", {"path": str(path), "label": "kind", "features": "width"})
    assert data.feature_names == ("width",) and data.num_samples == 4


def test_non_numeric_cell_names_line_and_column(tmp_path):
    path = write(tmp_path, "height,width,kind\n1,2,a\n1,2,b\n3,abc,a\n")
    assert "data.csv, line 4, column 'width': 'abc' is not a number" in csv_error(path)


def test_missing_value_names_line_and_column(tmp_path):
    path = write(tmp_path, "height,width,kind\n1,2,a\n,2,b\n")
    assert "data.csv, line 3, column 'height': missing value" in csv_error(path)
    path = write(tmp_path, "height,width,kind\n1,2,a\n1,2, \n")
    assert "line 3, column 'kind': missing value" in csv_error(path)


def test_non_finite_values_are_refused(tmp_path):
    path = write(tmp_path, "height,width,kind\n1,nan,a\n1,2,b\n")
    assert "line 2, column 'width': 'nan' is not a finite number" in csv_error(path)
    path = write(tmp_path, "x,y\n1,inf\n2,3\n")
    assert "line 2, column 'y'" in csv_error(path, label="y", task="regression")


def test_ragged_row_names_line(tmp_path):
    path = write(tmp_path, "height,width,kind\n1,2,a\n1,2\n")
    assert "data.csv, line 3: 2 cells, but the header has 3" in csv_error(path)


def test_every_bad_row_is_listed(tmp_path):
    path = write(tmp_path, "height,width,kind\nx,2,a\n1,y,b\n")
    message = csv_error(path)
    assert "line 2, column 'height'" in message and "line 3, column 'width'" in message


def test_unknown_column_lists_the_available_ones(tmp_path):
    path = write(tmp_path, GOOD)
    message = csv_error(path, features=["height", "depth"])
    assert "unknown column 'depth'" in message and "line 1" in message
    assert "'height', 'width', 'kind'" in message
    assert "no label column 'colour'" in csv_error(path, label="colour")


def test_empty_or_header_only_or_missing_file(tmp_path):
    assert "empty" in csv_error(write(tmp_path, ""))
    assert "no data rows" in csv_error(write(tmp_path, "height,width,kind\n"))
    missing = tmp_path / "nowhere.csv"
    assert "nowhere.csv" in csv_error(missing)


def test_regression_label_must_be_numeric_and_one_class_is_refused(tmp_path):
    path = write(tmp_path, "x,y\n1,big\n2,3\n")
    assert "line 2, column 'y': 'big' is not a number" in csv_error(
        path, label="y", task="regression"
    )
    path = write(tmp_path, "x,y\n1,a\n2,a\n")
    assert "at least two classes" in csv_error(path, label="y")


@pytest.mark.parametrize("name", ["spiral", "digits", "plane"])
def test_any_data_set_can_be_its_own_target(name):
    plain = load_dataset(name, {}, seed=3)
    itself = load_dataset(name, {"target": "inputs"}, seed=3)
    assert itself.task == "regression" and itself.num_classes == 0
    np.testing.assert_array_equal(itself.X, plain.X)
    np.testing.assert_array_equal(itself.y, plain.X)
    assert itself.target_names == plain.feature_names
    if plain.task == "classification":  # the classes stay, to colour a code scatter by
        np.testing.assert_array_equal(itself.labels, plain.y)
        assert itself.class_names == plain.class_names
    else:
        assert itself.labels is None


def test_a_target_that_is_neither_labels_nor_inputs_is_named():
    problems = dataset_problems("circle", {"target": "outputs"})
    assert problems and "'target' = 'outputs' is not one of 'labels', 'inputs'" in problems[0]
