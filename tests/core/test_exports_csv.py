"""CSV writers: a history reads back as the same numbers, a plot's columns line up, a grid names
its inputs and outputs, and missing values are left empty rather than invented."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest

from core.interchange.tables import cell, columns_csv, grid_csv, history_csv
from core.training.probes import Plane


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


HISTORY = [
    {"epoch": 1, "train_loss": 0.6931471805599453, "test_loss": 0.7, "train_accuracy": 0.5,
     "test_accuracy": 0.48, "train_r2": None, "test_r2": None, "learning_rate": 0.03},
    {"epoch": 2, "train_loss": 0.41234567890123, "test_loss": None, "train_accuracy": 0.8125,
     "test_accuracy": None, "train_r2": None, "test_r2": None, "learning_rate": 0.03},
]


def test_history_reads_back_as_the_same_numbers_one_row_per_epoch():
    rows = rows_of(history_csv(HISTORY))
    assert rows[0] == ["epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy",
                       "train_r2", "test_r2", "learning_rate"]
    assert len(rows) == 1 + len(HISTORY)
    for epoch, row in zip(HISTORY, rows[1:], strict=True):
        for key, text in zip(rows[0], row, strict=True):
            value = epoch[key]
            assert (text == "") if value is None else float(text) == value
    assert rows[1][0] == "1" and rows[2][0] == "2"  # epochs are whole numbers


def test_an_unknown_history_key_is_kept_after_the_known_ones():
    rows = rows_of(history_csv([{"train_loss": 1.5, "epoch": 1, "extra": "x"}]))
    assert rows == [["epoch", "train_loss", "extra"], ["1", "1.5", "x"]]


def test_an_empty_history_is_a_header_alone():
    rows = rows_of(history_csv([]))
    assert len(rows) == 1 and rows[0][:3] == ["epoch", "train_loss", "test_loss"]


def test_columns_line_up_and_nan_is_empty():
    data = columns_csv({"epoch": np.array([1.0, 2.0, 3.0]), "loss": np.array([0.5, np.nan, 0.25])})
    assert rows_of(data) == [["epoch", "loss"], ["1", "0.5"], ["2", ""], ["3", "0.25"]]
    with pytest.raises(ValueError, match="different lengths"):
        columns_csv({"a": [1, 2], "b": [1]})


def test_cells_round_trip_float32_values_exactly():
    value = np.float32(0.1)
    assert float(cell(value)) == float(value)
    assert cell(None) == "" and cell(math.nan) == "" and cell(3) == "3" and cell(2.0) == "2"
    assert cell(True) == "1" and cell("a,b") == "a,b"


def test_grid_has_the_planes_points_and_the_outputs_in_the_same_order():
    plane = Plane(-1.0, 1.0, -2.0, 2.0, size=3)
    points = plane.points()
    outputs = np.arange(9 * 2, dtype=np.float32).reshape(3, 3, 2)  # a (n, n, k) map
    rows = rows_of(grid_csv(points, outputs, ("a", "b"), ("no", "yes")))
    assert rows[0] == ["a", "b", "output_no", "output_yes"]
    assert len(rows) == 10
    assert [float(v) for v in rows[1]] == [-1.0, -2.0, 0.0, 1.0]
    assert [float(v) for v in rows[2]] == [0.0, -2.0, 2.0, 3.0]  # x1 fastest
    assert [float(v) for v in rows[-1]] == [1.0, 2.0, 16.0, 17.0]


def test_grid_with_one_output_calls_it_output():
    rows = rows_of(grid_csv(np.zeros((2, 2)), np.array([[0.25], [0.75]])))
    assert rows == [["x1", "x2", "output"], ["0", "0", "0.25"], ["0", "0", "0.75"]]


def test_text_in_a_cell_with_commas_and_quotes_is_quoted():
    data = columns_csv({"name": ['say "hi", then go']})
    assert rows_of(data) == [["name"], ['say "hi", then go']]
