"""Older design files keep their meaning: version 1 read a block's rows in the compiler's order and
took the outputs in the graph's order; version 2 reads both in the design's order.

The fixtures in tests/core/fixtures/ were written by the code of version 1 (commit ac607e4), with the
predictions it made for them and after one more epoch of training from the saved optimizer state.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

import core
from core.compiler.compile import compile_design
from core.design.errors import FileFormatError
from core.files.fileformat import FORMAT_VERSION, design_from_dict, dumps
from core.files.migrations import rows_in_connection_order

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture(name: str) -> tuple[Path, dict]:
    expected = json.loads((FIXTURES / f"{name}_v1_expected.json").read_text())
    return FIXTURES / f"{name}_v1.ncanvas", expected


@pytest.mark.parametrize("name", ["rows", "outputs"])
def test_a_version_1_file_predicts_as_it_did(name):
    path, expected = fixture(name)
    assert json.loads(path.read_text())["version"] == 1
    design = core.load(str(path))
    np.testing.assert_allclose(core.predict(design, expected["X"]), expected["predictions"],
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", ["rows", "outputs"])
def test_a_version_1_file_trains_on_as_it_did(name):
    """The optimizer's saved state still fits: one more epoch gives what version 1 gave."""
    path, expected = fixture(name)
    design = core.load(str(path))
    core.train(design, epochs=design.state.epoch + 1)
    np.testing.assert_allclose(core.predict(design, expected["X"]), expected["after_one_more_epoch"],
                               rtol=0, atol=1e-12)


def test_the_upgraded_file_is_saved_in_the_new_order_and_reopens_the_same(tmp_path):
    path, expected = fixture("rows")
    design = core.load(str(path))
    core.save(design, str(tmp_path / "again.ncanvas"))
    saved = json.loads((tmp_path / "again.ncanvas").read_text())
    assert saved["version"] == FORMAT_VERSION == 3
    into = [(c["source"], c["target"]) for c in saved["connections"] if c["target"] in ("d1", "bn")]
    # version 1 read d1's rows as inputs, neurons by depth (hA at 1, hC at 2); bn's hA before hB
    assert into == [("x2", "d1"), ("hA", "d1"), ("hC", "d1"), ("hA", "bn"), ("hB", "bn")]
    again = core.load(str(tmp_path / "again.ncanvas"))
    np.testing.assert_allclose(core.predict(again, expected["X"]), expected["predictions"],
                               rtol=0, atol=1e-12)


def test_the_output_neurons_come_in_the_order_version_1_gave_them():
    path, _ = fixture("outputs")
    design = core.load(str(path))
    assert compile_design(design).output_ids == ["o2", "o1"]
    assert [n for n in design.nodes if n.startswith("o")] == ["o2", "o1"]


def test_the_wires_of_a_merge_block_keep_their_order():
    path, _ = fixture("rows")
    data = json.loads(path.read_text())
    into_cat = [c for c in data["connections"] if c["target"] == "cat"]
    data["connections"] = [c for c in data["connections"] if c["target"] != "cat"] + into_cat[::-1]
    upgraded = rows_in_connection_order(copy.deepcopy(data))
    assert [c for c in upgraded["connections"] if c["target"] == "cat"] == into_cat[::-1]


def test_a_file_already_in_order_is_left_as_it_is():
    design = core.load(str(FIXTURES / "rows_v1.ncanvas"))
    data = json.loads(dumps(design))
    assert rows_in_connection_order(copy.deepcopy(data)) == data


@pytest.mark.parametrize(("change", "path"), [
    (lambda d: d.update(nodes={"x1": {}}), "$.nodes"),
    (lambda d: d["connections"].append({"id": "c9", "source": "nowhere", "target": "d1",
                                        "weight": None}), "$.connections[13].source"),
    (lambda d: d["nodes"][0].update(id=7), "$.nodes[0].id"),
])
def test_an_old_file_the_upgrade_does_not_understand_is_refused_at_its_path(change, path):
    data = json.loads((FIXTURES / "rows_v1.ncanvas").read_text())
    change(data)
    with pytest.raises(FileFormatError) as excinfo:
        design_from_dict(data)
    assert path in {p.path for p in excinfo.value.problems}
    assert "upgrade" not in str(excinfo.value)


def test_an_old_file_with_a_cycle_is_refused_for_its_cycle():
    data = json.loads((FIXTURES / "rows_v1.ncanvas").read_text())
    data["connections"].append({"id": "back", "source": "out", "target": "d1", "weight": None})
    with pytest.raises(FileFormatError, match="cycle"):
        design_from_dict(data)
