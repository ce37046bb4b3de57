"""The painted data set: its points round-trip through a file exactly, it trains, and bad points
are refused with the JSON path of each."""

from __future__ import annotations

import json

import numpy as np
import pytest

import core
from core.compiler.validation import design_problems
from core.data.datasets import dataset_problems, load_dataset
from core.data.painted import MAX_POINTS, painted_arrays, points_near, with_point, without_points
from core.design.design import Design
from core.design.errors import DataError, FileFormatError
from core.files.fileformat import dumps, loads


def painted_design(points: list, classes: int = 2) -> Design:
    """x1, x2 → one sigmoid neuron `out`, on painted points."""
    d = Design()
    d.set_dataset("painted", {"points": points, "classes": classes})
    d.set_training(loss="binary_cross_entropy", optimizer="adam", learning_rate=0.1,
                   batch_size=4, epochs=60, test_fraction=0.25, seed=0)
    d.add_node("input", {"feature": "x1"}, (0, -40), node_id="x1")
    d.add_node("input", {"feature": "x2"}, (0, 40), node_id="x2")
    d.add_node("neuron", {"activation": "sigmoid"}, (160, 0), node_id="out")
    d.add_connection("x1", "out", connection_id="x1-out")
    d.add_connection("x2", "out", connection_id="x2-out")
    return d


def separable_points() -> list:
    """Two clusters, left of x1 = 0 class 0 and right of it class 1, with odd coordinates."""
    rng = np.random.default_rng(5)
    left = rng.uniform([-5.0, -4.0], [-0.8, 4.0], (20, 2))
    right = rng.uniform([0.8, -4.0], [5.0, 4.0], (20, 2))
    points = [[float(x), float(y), 0] for x, y in left] + [[float(x), float(y), 1] for x, y in right]
    points[0][0] = 0.1 + 0.2  # a float whose repr is long: it must come back bit for bit
    points[0][0] = -points[0][0]
    return points


def test_painted_points_make_a_two_dimensional_classification_set_in_their_order():
    points = [[1.5, -2.0, 0], [0.25, 3.0, 1], [-4.0, 0.0, 2]]
    data = load_dataset("painted", {"points": points, "classes": 3})
    np.testing.assert_array_equal(data.X, [[1.5, -2.0], [0.25, 3.0], [-4.0, 0.0]])
    assert data.y.tolist() == [0, 1, 2] and data.y.dtype == np.int64
    assert data.feature_names == ("x1", "x2") and data.task == "classification"
    assert data.num_classes == 3 and data.class_names == ("0", "1", "2")


@pytest.mark.parametrize("points, words", [
    ([], "paint points of at least two classes (there are no points)"),
    ([[0, 0, 1], [1, 1, 1]], "paint points of at least two classes (there are points of class 1 only)"),
    ([[0, 0, 0], [1, 1, 2]], "point 1 ([1, 1, 2]) has class 2; with 2 classes"),
    ([[0, 0, 0], [1, 1, 1.0]], "point 1 ([1, 1, 1.0]) has class 1.0"),
    ([[0, 0, 0], [1, "a", 1]], "point 1 ([1, 'a', 1]) does not have two finite coordinates"),
    ([[0, 0, 0], [1, 1]], "point 1 ([1, 1]) is not [x1, x2, class]"),
    ([[0, 0, 0], [1, 1, 1]] * (MAX_POINTS // 2 + 1), f"at most {MAX_POINTS} can be painted"),
])
def test_a_painting_that_cannot_train_is_a_clear_problem(points, words):
    problems = dataset_problems("painted", {"points": points})
    assert any(words in p for p in problems), problems
    with pytest.raises(DataError, match="data set 'painted'"):
        load_dataset("painted", {"points": points})
    kinds = {p.path for p in design_problems(painted_design(points)) if "painted" in p.message}
    assert kinds == {"dataset"}


def test_many_bad_points_are_listed_a_few_at_a_time():
    problems = dataset_problems("painted", {"points": [[0, 0, 5]] * 30})
    assert len(problems) == 11 and problems[-1].endswith("20 more points are wrong in the same ways")


def test_painted_points_round_trip_through_a_file_exactly(tmp_path):
    design = painted_design(separable_points())
    path = tmp_path / "painted.ncanvas"
    core.save(design, str(path))
    again = core.load(str(path))
    assert again == design
    assert again.dataset.params["points"] == design.dataset.params["points"]
    assert again.dataset.params["points"][0][0] == -(0.1 + 0.2)
    assert dumps(again) == dumps(design)
    # each point on a line of its own, as a person reading the file would want it
    assert '\n        [-0.30000000000000004, ' in path.read_text(encoding="utf-8")


def test_an_unfinished_painting_still_opens_when_validation_is_left_to_the_editor():
    design = painted_design([[1.0, 2.0, 0]])
    again = loads(dumps(design), validate=False)
    assert again.dataset.params["points"] == [[1.0, 2.0, 0]]
    with pytest.raises(FileFormatError, match=r"\$\.dataset: .*at least two classes"):
        loads(dumps(design))


def test_training_on_a_painted_linearly_separable_set_reaches_full_train_accuracy():
    design = painted_design(separable_points())
    metrics = core.train(design)
    assert metrics.train_accuracy == 1.0
    assert metrics.test_accuracy == 1.0


def file_with_points(points, classes=2) -> str:
    data = json.loads(dumps(painted_design([[0.0, 0.0, 0], [1.0, 1.0, 1]])))
    data["dataset"]["params"] = {"points": points, "classes": classes}
    return json.dumps(data)


@pytest.mark.parametrize("points, path, words", [
    ([[0, 0, 0], [1, "a", 1]], "$.dataset.params.points[1][1]", "valid number (found a string)"),
    ([[0, 0, 0], [1, 1, 1.5]], "$.dataset.params.points[1][2]", "valid integer (found a number)"),
    ([[0, 0, 0], [1, 1, True]], "$.dataset.params.points[1][2]", "valid integer (found true)"),
    ([[0, 0, 0], [1, 1, -1]], "$.dataset.params.points[1][2]", "greater than or equal to 0"),
    ([[0, 0, 0], [1, 1, 3]], "$.dataset.params.points[1][2]", "class 3 is beyond the 2 classes"),
    ([[0, 0, 0], [1, 1]], "$.dataset.params.points[1]", "[x1, x2, class] (found 2 values)"),
    ([[0, 0, 0], 7], "$.dataset.params.points[1]", "[x1, x2, class] (found a number)"),
    ({"a": 1}, "$.dataset.params.points", "valid list (found an object)"),
    ([[0, 0, 0]] * (MAX_POINTS + 1), "$.dataset.params.points", f"at most {MAX_POINTS} items"),
])
def test_bad_points_in_a_file_are_refused_at_their_json_path(points, path, words):
    with pytest.raises(FileFormatError) as caught:
        loads(file_with_points(points), "bad.ncanvas", validate=False)
    messages = [str(p) for p in caught.value.problems]
    assert any(m.startswith(f"{path}: ") and words in m for m in messages), messages


def test_a_painted_set_with_a_bad_number_of_classes_or_an_unknown_param_is_refused():
    with pytest.raises(FileFormatError) as caught:
        loads(file_with_points([], classes=9), validate=False)
    assert [p.path for p in caught.value.problems] == ["$.dataset.params.classes"]
    data = json.loads(file_with_points([]))
    data["dataset"]["params"]["noise"] = 0.1
    with pytest.raises(FileFormatError, match=r"\$\.dataset\.params\.noise: Extra inputs"):
        loads(json.dumps(data), validate=False)


def test_points_are_added_erased_and_found_near_a_place_without_changing_the_old_list():
    points = with_point([], 1.23456, -2.0, 1)
    assert points == [[1.235, -2.0, 1]]
    more = with_point(points, 0.0, 0.0, 0)
    assert points == [[1.235, -2.0, 1]] and len(more) == 2
    X, y, ids = painted_arrays([*more, ["not", "a", "point"], [3.0, 3.0, 1]])
    assert X.tolist() == [[1.235, -2.0], [0.0, 0.0], [3.0, 3.0]] and y.tolist() == [1, 0, 1]
    assert ids.tolist() == [0, 1, 3]
    assert points_near(X, 0.1, 0.0, 0.2, 0.2).tolist() == [1]
    assert points_near(X, 1.0, -2.0, 0.5, 0.1).tolist() == [0]
    assert points_near(X, 5.0, 5.0, 1.0, 1.0).tolist() == []
    assert without_points(more, [0]) == [[0.0, 0.0, 0]]
    assert more == [[1.235, -2.0, 1], [0.0, 0.0, 0]]


def test_points_of_numpy_numbers_or_tuples_mean_the_same_as_plain_lists():
    plain = [[1.5, -2.0, 0], [0.25, 3, 1]]
    other = [(np.float32(1.5), np.int64(-2), np.int64(0)), [np.float64(0.25), 3.0, 1]]
    for a, b in zip(painted_arrays(plain), painted_arrays(other), strict=True):
        np.testing.assert_array_equal(a, b)
    assert dataset_problems("painted", {"points": plain}) == []
    assert dataset_problems("painted", {"points": other}) == []
    bools = [[True, 0.0, 0], [1.0, 2.0, 1]]
    assert "point 0 ([True, 0.0, 0]) does not have two finite coordinates" in \
        dataset_problems("painted", {"points": bools})[0]
    assert painted_arrays(bools)[2].tolist() == [1]
