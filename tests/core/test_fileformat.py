"""Tests for the .ncanvas file: exact round trips, atomic saves, error paths, migrations."""

from __future__ import annotations

import copy
import dataclasses
import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from core.design.design import Connection, Design, Node, TrainingSettings, TrainingState
from core.design.errors import FileFormatError, Problem
from core.design.names import BIDI_CONTROLS
from core.files import fileformat, reading
from core.files.fileformat import (
    FORMAT_NAME,
    FORMAT_VERSION,
    design_from_dict,
    design_to_dict,
    dumps,
    load_design,
    loads,
    save_design,
)
from core.files.schema import TrainingModel
from core.training.trainer import EpochMetrics

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def hand_built() -> Design:
    """Inputs, neurons (one wire without a weight yet), a Dense block, state and a snapshot."""
    d = Design()
    d.insert_node(Node("i1", "input", {"feature": "x1"}, (0.0, -35.0), "x₁"))
    d.insert_node(Node("i2", "input", {"feature": "x2"}, (0.0, 35.0)))
    d.insert_node(Node("n1", "neuron", {"activation": "tanh", "activation_params": {},
                                        "bias": -0.1, "initializer": "auto"}, (160.0, 0.0)))
    kernel = np.array([[0.1, -2.5e-8, 3.0]], dtype=np.float32)
    bias = np.array([1 / 3, -0.0, 5e-324])
    d.insert_node(Node("d1", "dense", {"units": 3, "activation": "softmax", "activation_params": {},
                                       "initializer": "auto", "use_bias": True}, (320.5, 1e-3)),
                  {"kernel": kernel, "bias": bias})
    d.insert_connection(Connection("c1", "i1", "n1", 0.1 + 0.2))
    d.insert_connection(Connection("c2", "i2", "n1", None))
    d.insert_connection(Connection("c3", "n1", "d1", None))
    d.set_training(learning_rate=0.1, epochs=7, target_loss=0.05, optimizer_params={"beta": [0.9]})
    d.set_dataset(name="xor", params={"noise": 0.25, "n": 200}, seed=42)
    d.initial_weights = d.snapshot_weights()
    empty = {"test_loss": None, "train_accuracy": None, "test_accuracy": None, "train_r2": None,
             "test_r2": None, "learning_rate": 0.1}
    d.state = TrainingState(3, 120, [{"epoch": 1, "train_loss": 0.5, **empty, "test_accuracy": 0.75},
                                     {"epoch": 2, "train_loss": float("nan"), **empty}],
                            {"m": np.full(3, 1e-7, np.float32),  # Adam's, from before a change
                             "v": np.arange(3, dtype=np.float64),
                             "t": np.array([120], dtype=np.int64)})
    return d


def same_arrays(a, b) -> bool:
    return a.keys() == b.keys() and all(
        (a[k].dtype, a[k].shape, a[k].tobytes()) == (b[k].dtype, b[k].shape, b[k].tobytes())
        for k in a)


def assert_same(loaded: Design, original: Design) -> None:
    assert loaded == original
    assert loaded.state.epoch == original.state.epoch and loaded.state.step == original.state.step
    assert json.dumps(loaded.state.history) == json.dumps(original.state.history)  # NaN too
    assert same_arrays(loaded.state.optimizer_state, original.state.optimizer_state)
    a, b = loaded.initial_weights or {}, original.initial_weights or {}
    assert (loaded.initial_weights is None) == (original.initial_weights is None)
    assert {k: v for k, v in a.items() if k != "blocks"} == {
        k: v for k, v in b.items() if k != "blocks"}
    assert a.get("blocks", {}).keys() == b.get("blocks", {}).keys()
    assert all(same_arrays(a["blocks"][n], b["blocks"][n]) for n in a.get("blocks", {}))


def problems_of(excinfo) -> dict[str, str]:
    return {p.path: p.message for p in excinfo.value.problems}


def valid_dict() -> dict:
    return design_to_dict(hand_built())


def load_dict(data: dict, **kw) -> Design:
    return loads(json.dumps(data), "design.ncanvas", validate=False, **kw)


# ---- round trips ------------------------------------------------------------------------------


def test_hand_built_design_round_trips_exactly_through_a_file(tmp_path):
    original = hand_built()
    path = tmp_path / "net.ncanvas"
    save_design(original, path)
    loaded = load_design(path, validate=False)
    assert_same(loaded, original)
    assert loaded.connections["c2"].weight is None
    assert loaded.connections["c1"].weight == 0.1 + 0.2
    assert loaded.nodes["d1"].position == (320.5, 1e-3)
    assert isinstance(loaded.nodes["d1"].position, tuple)
    assert loaded.parameters["d1"]["bias"].dtype == np.float64
    assert loaded.training.epochs == 7 and type(loaded.training.epochs) is int
    assert loaded.training.target_accuracy is None
    assert loaded.training.optimizer_params == {"beta": [0.9]}
    assert list(loaded.nodes) == ["i1", "i2", "n1", "d1"]


def test_a_big_endian_array_is_written_little_endian_and_read_back_native():
    d = Design()
    d.insert_node(Node("d", "dense"), {"w": np.array([[1.5, -2.0]], dtype=">f8")})
    data = design_to_dict(d)
    assert data["weights"]["d"]["w"] == {"dtype": "float64", "shape": [1, 2],
                                         "data": "AAAAAAAA+D8AAAAAAAAAwA=="}
    w = load_dict(data).parameters["d"]["w"]
    assert w.dtype == np.float64 and w.dtype.isnative and w.tolist() == [[1.5, -2.0]]
    assert w.flags.writeable


def test_text_is_indented_json_with_a_format_name_and_stable():
    text = dumps(hand_built())
    data = json.loads(text)
    assert (data["format"], data["version"]) == (FORMAT_NAME, FORMAT_VERSION)
    assert list(data)[:4] == ["format", "version", "nodes", "connections"]
    assert list(data["nodes"][0]) == ["id", "kind", "label", "position", "params"]
    assert set(data["training"]) == {f.name for f in dataclasses.fields(TrainingSettings)}
    assert '\n    {"id": "c1", "source": "i1", "target": "n1", "weight": 0.30000000000000004}' in text
    assert "x₁" in text and text.endswith("}\n")
    assert dumps(loads(text, validate=False)) == text


def test_without_weights_or_state_the_file_holds_neither():
    data = design_to_dict(hand_built(), weights=False, state=False)
    assert "weights" not in data and "initial_weights" not in data and "state" not in data
    assert all(c["weight"] is None for c in data["connections"])
    assert data["nodes"][2]["params"]["bias"] is None
    loaded = load_dict(data)
    assert loaded.parameters == {} and loaded.initial_weights is None
    assert loaded.state == TrainingState()


def test_a_lone_surrogate_in_a_setting_is_escaped_and_comes_back():
    d = Design()
    d.insert_node(Node("a", "input", {"note": "bad \ud800 text"}, (0.0, 0.0)))
    text = dumps(d)
    text.encode("utf-8")
    assert loads(text, validate=False).nodes["a"].params["note"] == "bad \ud800 text"


def test_what_a_file_cannot_hold_is_refused_before_the_old_file_is_touched(tmp_path):
    d = hand_built()
    d.insert_node(Node("n9", "neuron", {"bias": float("nan"), "extra": object()}))
    d.parameters["d1"]["kernel"] = np.ones(3, dtype=np.int32)
    path = tmp_path / "net.ncanvas"
    path.write_text("old")
    with pytest.raises(FileFormatError) as excinfo:
        save_design(d, path)
    assert set(problems_of(excinfo)) == {
        "$.nodes[4].params.bias", "$.nodes[4].params.extra", "$.weights.d1.kernel"}
    assert str(path) in str(excinfo.value)
    assert path.read_text() == "old"


def test_nesting_deeper_than_a_file_may_hold_is_refused_both_ways():
    deep: list = []
    for _ in range(300):
        deep = [deep]
    d = Design()
    d.insert_node(Node("a", "input", {"deep": deep}))
    with pytest.raises(FileFormatError, match="nested too deeply"):
        dumps(d)
    text = '{"format": "neuralcanvas-design", "version": 1, "connections": [], "nodes": [' \
           '{"id": "a", "kind": "input", "params": {"deep": ' + "[" * 300 + "]" * 300 + "}}]}"
    with pytest.raises(FileFormatError, match=r"\$.nodes\[0\].params.deep\[0\].*….*\[0\]: nested") as e:
        loads(text)
    assert e.value.problems[0].path == "$.nodes[0].params.deep" + "[0]" * 197  # whole, where kept


def test_the_schema_knows_every_training_setting_and_its_default():
    defaults = TrainingSettings()
    assert list(TrainingModel.model_fields) == [f.name for f in dataclasses.fields(defaults)]
    assert TrainingSettings(**TrainingModel().model_dump()) == defaults


# ---- atomic save ------------------------------------------------------------------------------


@pytest.mark.parametrize("broken", ["replace", "fsync"])
def test_a_failed_save_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch, broken):
    path = tmp_path / "net.ncanvas"
    save_design(hand_built(), path, state=False)
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, broken, fail)
    with pytest.raises(FileFormatError) as excinfo:
        save_design(hand_built(), path)
    assert "No space left on device" in str(excinfo.value) and str(path) in str(excinfo.value)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["net.ncanvas"]


def test_save_replaces_the_old_file_and_keeps_its_permissions(tmp_path):
    path = tmp_path / "net.ncanvas"
    path.write_text("old")
    os.chmod(path, 0o640)
    save_design(hand_built(), path)
    assert json.loads(path.read_text())["format"] == FORMAT_NAME
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ["net.ncanvas"]


def test_saving_into_a_missing_folder_is_a_file_format_error(tmp_path):
    with pytest.raises(FileFormatError, match="cannot save"):
        save_design(hand_built(), tmp_path / "nowhere" / "net.ncanvas")


# ---- errors -----------------------------------------------------------------------------------


def test_unreadable_files_name_the_file(tmp_path):
    with pytest.raises(FileFormatError, match="holds a JSON object, not an array"):
        loads("[1, 2]")
    missing = tmp_path / "missing.ncanvas"
    with pytest.raises(FileFormatError, match="missing.ncanvas: .*cannot read the file"):
        load_design(missing)
    with pytest.raises(FileFormatError, match="cannot read the file"):
        load_design(tmp_path)
    binary = tmp_path / "binary.ncanvas"
    binary.write_bytes(b'{"format": "\xff"}')
    with pytest.raises(FileFormatError, match="binary.ncanvas: .*not UTF-8 text.*0xff"):
        load_design(binary)


def test_invalid_json_gives_its_line_and_column(tmp_path):
    path = tmp_path / "net.ncanvas"
    path.write_text('{\n  "format": "neuralcanvas-design",\n  "version" 1\n}')
    with pytest.raises(FileFormatError) as excinfo:
        load_design(path)
    assert "line 3, column 13" in str(excinfo.value) and str(path) in str(excinfo.value)


@pytest.mark.parametrize(("change", "path", "words"), [
    ({"format": "something-else"}, "$.format", "not a Neural Canvas design file"),
    ({"format": None}, "$.format", "not a Neural Canvas design file"),
    ({"version": 4}, "$.version", "written by a newer version of Neural Canvas (file version 4, "
                                  "this one reads up to 3)"),
    ({"version": 0}, "$.version", "there is no file version 0"),
    ({"version": "1"}, "$.version", "whole number"),
    ({"version": True}, "$.version", "whole number"),
])
def test_format_and_version_are_checked_first(change, path, words):
    with pytest.raises(FileFormatError) as excinfo:
        load_dict({**valid_dict(), **change})
    assert words in problems_of(excinfo)[path]


def test_every_schema_problem_is_reported_at_its_path():
    data = valid_dict()
    data["nodes"][0]["position"] = [0.0, "left"]
    del data["nodes"][1]["id"]
    data["nodes"][2]["colour"] = "red"
    data["connections"][1]["weight"] = "heavy"
    data["training"]["epochs"] = 1.0
    data["training"]["batch_size"] = True
    data["state"]["epoch"] = -1
    with pytest.raises(FileFormatError) as excinfo:
        load_dict(data)
    found = problems_of(excinfo)
    assert set(found) == {"$.nodes[0].position[1]", "$.nodes[1].id", "$.nodes[2].colour",
                          "$.connections[1].weight", "$.training.epochs",
                          "$.training.batch_size", "$.state.epoch"}
    assert "found a string" in found["$.nodes[0].position[1]"]
    assert "design.ncanvas: $.nodes[0].position[1]" in str(excinfo.value)


def test_a_whole_number_where_a_float_belongs_is_read_as_a_float():
    data = valid_dict()
    data["training"]["learning_rate"] = 1
    data["nodes"][0]["position"] = [3, 4]
    loaded = load_dict(data)
    assert type(loaded.training.learning_rate) is float
    assert loaded.nodes["i1"].position == (3.0, 4.0)


def test_references_are_checked():
    data = valid_dict()
    data["nodes"][1]["id"] = "i1"
    data["connections"][1]["id"] = "c1"
    data["connections"][0]["target"] = "ghost"
    data["weights"]["zz top"] = {}
    with pytest.raises(FileFormatError) as excinfo:
        load_dict(data)
    found = problems_of(excinfo)
    assert "already used by $.nodes[0]" in found["$.nodes[1].id"]
    assert "already used by $.connections[0]" in found["$.connections[1].id"]
    assert "no node 'ghost'" in found["$.connections[0].target"]
    assert '$.weights["zz top"]' in found


@pytest.mark.parametrize(("where", "value", "path", "words"), [
    ("data", "not base64!", "$.weights.d1.kernel.data", "not valid base64"),
    ("data", "AAAA", "$.weights.d1.kernel.data", "holds 3 bytes, but shape [1, 3] of float32 "
                                                 "needs 12"),
    ("dtype", "int32", "$.weights.d1.kernel.dtype", "Input should be"),
    ("shape", [1, -3], "$.weights.d1.kernel.shape[1]", "greater than or equal to 0"),
    ("data", "AADAfwAAAAAAAAAA", "$.weights.d1.kernel.data", "NaN or infinity"),
])
def test_bad_arrays_are_problems_at_their_path(where, value, path, words):
    data = valid_dict()
    data["weights"]["d1"]["kernel"][where] = value
    with pytest.raises(FileFormatError) as excinfo:
        load_dict(data)
    assert words in problems_of(excinfo)[path]


def test_non_finite_numbers_are_refused_except_in_the_history():
    text = dumps(hand_built()).replace('"weight": 0.30000000000000004', '"weight": Infinity')
    with pytest.raises(FileFormatError) as excinfo:
        loads(text, validate=False)
    assert "not a finite number" in problems_of(excinfo)["$.connections[0].weight"]


# ---- validation and migrations ----------------------------------------------------------------


def fake_validation(monkeypatch, result):
    def design_problems(design):
        if isinstance(result, Exception):
            raise result
        return result

    monkeypatch.setattr(reading, "design_problems", design_problems)


def test_design_errors_block_loading_at_their_node_or_connection(monkeypatch):
    fake_validation(monkeypatch, [
        Problem("no incoming connection", ("n1",)),
        Problem("connects the same two nodes twice", ("i1", "n1"), ("c2",)),
        Problem("learning rate must be positive", path="training.learning_rate"),
        Problem("this input is not connected", ("i2",), severity="warning"),
    ])
    with pytest.raises(FileFormatError) as excinfo:
        loads(dumps(hand_built()))
    found = problems_of(excinfo)
    assert found == {"$.nodes[2]": "no incoming connection",
                     "$.connections[1]": "connects the same two nodes twice",
                     "$.training.learning_rate": "learning rate must be positive"}


def test_warnings_or_validate_false_do_not_block(monkeypatch):
    fake_validation(monkeypatch, [Problem("odd", ("i1",), severity="warning")])
    assert loads(dumps(hand_built())) == hand_built()
    fake_validation(monkeypatch, [Problem("bad", ("i1",))])
    assert loads(dumps(hand_built()), validate=False) == hand_built()


def test_a_checker_that_crashes_is_still_a_file_format_error(monkeypatch):
    fake_validation(monkeypatch, KeyError("units"))
    with pytest.raises(FileFormatError, match="could not be checked"):
        loads(dumps(hand_built()))


def test_real_validation_reports_a_wire_into_an_input():
    data = valid_dict()
    data["connections"].append({"id": "c9", "source": "n1", "target": "i2", "weight": 1.0})
    with pytest.raises(FileFormatError) as excinfo:
        design_from_dict(data)
    assert "$.connections[3]" in problems_of(excinfo)


def test_migrations_run_in_order_from_the_file_version(monkeypatch):
    ran = []

    def one_to_two(data):
        ran.append(1)
        return {**data, "nodes": [{**n, "label": n["id"].upper()} for n in data["nodes"]]}

    def two_to_three(data):
        ran.append(2)
        return {**data, "connections": data["connections"][:1]}

    monkeypatch.setattr(fileformat, "FORMAT_VERSION", 3)
    monkeypatch.setitem(fileformat.MIGRATIONS, 1, one_to_two)
    monkeypatch.setitem(fileformat.MIGRATIONS, 2, two_to_three)
    original = {**valid_dict(), "version": 1}
    loaded = design_from_dict(original, validate=False)
    assert ran == [1, 2]
    assert loaded.nodes["d1"].label == "D1" and list(loaded.connections) == ["c1"]
    unchanged = {**valid_dict(), "version": 1}  # the caller's data is left as it was
    assert json.dumps(original) == json.dumps(unchanged)
    ran.clear()
    load_dict({**valid_dict(), "version": 2})
    assert ran == [2]


def test_a_failing_or_missing_migration_is_a_file_format_error(monkeypatch):
    monkeypatch.setattr(fileformat, "FORMAT_VERSION", 4)
    monkeypatch.setitem(fileformat.MIGRATIONS, 1, lambda data: data["no such key"])
    with pytest.raises(FileFormatError, match="cannot upgrade from file version 1"):
        load_dict({**valid_dict(), "version": 1})
    with pytest.raises(FileFormatError, match="no upgrade is known from file version 3 to 4"):
        load_dict({**valid_dict(), "version": 3})


# ---- properties -------------------------------------------------------------------------------

FINITE = st.floats(allow_nan=False, allow_infinity=False)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | FINITE | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=8)
ARRAYS = st.sampled_from([np.float32, np.float64]).flatmap(lambda dtype: hnp.arrays(
    dtype, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
    elements={"allow_nan": False, "allow_infinity": False}))
# What an id or a name may hold (core.design.names): any character but controls and line breaks.
PRINTABLE = st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"),
                          exclude_characters=BIDI_CONTROLS)
NAMES = st.text(PRINTABLE, min_size=1, max_size=5)
NAMED_ARRAYS = st.dictionaries(st.text(PRINTABLE, min_size=1, max_size=4), ARRAYS, max_size=2)
METRIC = st.none() | st.floats()  # a loss or R² may be NaN or infinite (a run that diverged)
FRACTION = st.none() | st.floats(0.0, 1.0)
HISTORY_ENTRIES = st.fixed_dictionaries({
    "epoch": st.integers(0, 10**9), "train_loss": st.floats(), "test_loss": METRIC,
    "train_accuracy": FRACTION, "test_accuracy": FRACTION, "train_r2": METRIC, "test_r2": METRIC,
    "learning_rate": st.floats(0.0, 10.0)}).map(lambda entry: {  # in EpochMetrics' own order
        f.name: entry[f.name] for f in dataclasses.fields(EpochMetrics)})


@st.composite
def optimizer_states(draw) -> dict:
    """Empty, or one optimizer's: its step count and its slots, all of one length."""
    if draw(st.booleans()):
        return {}
    slots = draw(st.sampled_from([(), ("velocity",), ("square_avg",), ("m", "v")]))
    size = draw(st.integers(0, 4))
    state = {name: draw(hnp.arrays(draw(st.sampled_from([np.float32, np.float64])), size,
                                   elements={"allow_nan": False, "allow_infinity": False}))
             for name in slots}
    return {**state, "t": np.array([draw(st.integers(0, 2**62))], dtype=np.int64)}


def node_params(kind: str):
    extra = st.dictionaries(st.sampled_from(["note", "tags"]), JSON_VALUES, max_size=1)
    base = {
        "input": st.fixed_dictionaries({"feature": st.text(max_size=4)}),
        "neuron": st.fixed_dictionaries({
            "activation": st.sampled_from(["tanh", "relu", "sigmoid"]),
            "activation_params": st.dictionaries(st.just("alpha"), FINITE, max_size=1),
            "bias": st.none() | FINITE, "initializer": st.just("auto")}),
        "dense": st.fixed_dictionaries({
            "units": st.integers(1, 64), "activation": st.just("relu"),
            "activation_params": st.just({}), "initializer": st.just("auto"),
            "use_bias": st.booleans()}),
    }[kind]
    return st.tuples(base, extra).map(lambda pair: {**pair[0], **pair[1]})


@st.composite
def designs(draw) -> Design:
    ids = draw(st.lists(NAMES, unique=True, max_size=10))
    cut = draw(st.integers(0, len(ids)))
    node_ids, conn_ids = ids[:cut], ids[cut:] if cut else []  # wires need nodes
    d = Design()
    for nid in node_ids:
        kind = draw(st.sampled_from(["input", "neuron", "dense"]))
        blocks = draw(NAMED_ARRAYS) if kind == "dense" else None
        d.insert_node(Node(nid, kind, draw(node_params(kind)), (draw(FINITE), draw(FINITE)),
                           draw(st.text(max_size=4))), blocks)
    for cid in conn_ids:
        source, target = draw(st.sampled_from(node_ids)), draw(st.sampled_from(node_ids))
        d.insert_connection(Connection(cid, source, target, draw(st.none() | FINITE)))
    d.set_dataset(draw(NAMES),
                  draw(st.dictionaries(st.text(max_size=4), JSON_VALUES, max_size=2)),
                  draw(st.integers(0, 2**63 - 1)))
    d.set_training(learning_rate=draw(FINITE), epochs=draw(st.integers(0, 10**6)),
                   target_accuracy=draw(st.none() | FINITE), dtype=draw(st.sampled_from(
                       ["float32", "float64"])))
    if draw(st.booleans()):
        d.initial_weights = d.snapshot_weights()
    history = draw(st.lists(HISTORY_ENTRIES, max_size=3))
    d.state = TrainingState(draw(st.integers(0, 10**9)), draw(st.integers(0, 10**9)), history,
                            draw(optimizer_states()))
    return d


@FAST
@given(designs())
def test_random_designs_round_trip_equal(design):
    assert_same(loads(dumps(design), validate=False), design)


def corrupt_and_load(text: str) -> None:
    """Either the text loads (and saves and loads back the same) or it is a FileFormatError."""
    try:
        design = loads(text, validate=False)
    except FileFormatError as exc:
        assert exc.problems and all(p.path.startswith("$") for p in exc.problems)
        return
    assert loads(dumps(design), validate=False) == design


def value_paths(value, here=()):
    """The path of every value inside parsed JSON."""
    children = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, item in children:
        yield (*here, key)
        yield from value_paths(item, (*here, key))


def parent_of(data, path):
    for key in path[:-1]:
        data = data[key]
    return data


def json_kind(value) -> object:
    return "number" if type(value) in (int, float) else type(value)


BASE_TEXT = dumps(hand_built())
BASE_DATA = json.loads(BASE_TEXT)
PATHS = list(value_paths(BASE_DATA))


@FAST
@given(st.integers(0, len(BASE_TEXT)), st.integers(1, 40))
def test_deleting_characters_never_escapes_as_another_error(start, length):
    corrupt_and_load(BASE_TEXT[:start] + BASE_TEXT[start + length:])


@FAST
@given(st.sampled_from(PATHS), JSON_VALUES | st.floats())
def test_replacing_a_value_never_escapes_as_another_error(path, value):
    data = copy.deepcopy(BASE_DATA)
    if json_kind(parent_of(data, path)[path[-1]]) != json_kind(value):
        parent_of(data, path)[path[-1]] = value
        corrupt_and_load(json.dumps(data))


@FAST
@given(st.sampled_from([p for p in PATHS if isinstance(p[-1], str)]))
def test_dropping_a_key_never_escapes_as_another_error(path):
    data = copy.deepcopy(BASE_DATA)
    del parent_of(data, path)[path[-1]]
    corrupt_and_load(json.dumps(data))


def test_a_csv_named_relative_to_the_design_is_found_beside_it(tmp_path, monkeypatch):
    import core
    from core.design.design import Design

    folder = tmp_path / "project"
    folder.mkdir()
    rows = ["a,b,label"] + [f"{i % 7 - 3},{(i * 3) % 5 - 2},{'yes' if i % 2 else 'no'}"
                            for i in range(40)]
    (folder / "points.csv").write_text("\n".join(rows) + "\n")
    d = Design()
    a = d.add_node("input", {"feature": "a"})
    b = d.add_node("input", {"feature": "b"})
    out = d.add_node("neuron", {"activation": "sigmoid"})
    d.add_connection(a.id, out.id)
    d.add_connection(b.id, out.id)
    d.set_dataset("csv", {"path": "points.csv", "label": "label", "features": "a,b",
                          "task": "classification"})
    d.set_training(loss="binary_cross_entropy", epochs=1)
    (folder / "design.ncanvas").write_text(dumps(d, weights=False), encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # not the design's folder
    loaded = load_design(folder / "design.ncanvas")
    assert core.train(loaded).train_loss > 0
