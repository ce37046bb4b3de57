"""A design file someone sent: every field is checked (state, history, ids, labels), anything
else is refused naming its JSON path, and messages quote long names cut to a readable length."""

from __future__ import annotations

import base64
import copy
import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import core
from core.compiler.validation import check_design
from core.design.design import Design, Node
from core.design.errors import SHOWN_CHARACTERS, DesignError, FileFormatError
from core.design.names import MAX_ID, MAX_LABEL
from core.engine.optimizers import make_optimizer
from core.files.fileformat import design_to_dict, dumps, loads, save_design
from core.training.trainer import EpochMetrics, Trainer
from main import main

ROOT = Path(__file__).resolve().parents[2]
XOR = ROOT / "resources" / "examples" / "xor.ncanvas"
LINE_BREAKS = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
OTHER_REFUSED = ["\x00", "\x07", "\x1b", "\x7f", "\x9b", "\u202e", "\u2066"]


def trained() -> dict:
    """The XOR example after two epochs: history, Adam's state (m, v, t), weights."""
    design = core.load(str(XOR))
    core.train(design, epochs=2)
    return design_to_dict(design)


TRAINED = trained()


def refused(data: dict) -> FileFormatError:
    with pytest.raises(FileFormatError) as excinfo:
        loads(json.dumps(data))
    return excinfo.value


def paths(error: FileFormatError) -> list[str]:
    return [p.path for p in error.problems]


def array(values, dtype) -> dict:
    arr = np.asarray(values, dtype=dtype)
    return {"dtype": str(arr.dtype), "shape": list(arr.shape),
            "data": base64.b64encode(arr.astype(arr.dtype.newbyteorder("<")).tobytes()).decode()}


# ---- the two tracebacks of the issue ----------------------------------------------------------

def with_empty_step_count() -> dict:
    data = copy.deepcopy(TRAINED)
    data["state"]["optimizer"]["t"] = array(np.zeros(0), np.int64)
    return data


def with_unknown_history_key() -> dict:
    data = copy.deepcopy(TRAINED)
    data["state"]["history"][-1]["bogus"] = 1
    return data


def test_a_step_count_of_no_values_is_refused_at_its_path():
    error = refused(with_empty_step_count())
    assert paths(error) == ["$.state.optimizer.t"]
    assert "one whole number" in str(error) and "shape [0]" in str(error)


def test_a_history_entry_with_an_unknown_key_is_refused_at_its_path():
    error = refused(with_unknown_history_key())
    assert paths(error) == ["$.state.history[1].bogus"]


@pytest.mark.parametrize("make, where", [(with_empty_step_count, "$.state.optimizer.t"),
                                         (with_unknown_history_key, "$.state.history[1].bogus")])
def test_the_command_line_says_which_field_and_exits_2(tmp_path, capsys, make, where):
    path = tmp_path / "sent.ncanvas"
    path.write_text(json.dumps(make()), encoding="utf-8")
    assert main(["train", str(path), "--epochs", "3", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert where in err and "sent.ncanvas" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("change, where, words", [
    (lambda h: h.update(epoch=-1), "epoch", "greater than or equal to 0"),
    (lambda h: h.update(epoch=1.5), "epoch", "integer"),
    (lambda h: h.update(train_loss="low"), "train_loss", "a string"),
    (lambda h: h.update(test_accuracy=1.5), "test_accuracy", "less than or equal to 1"),
    (lambda h: h.update(learning_rate=float("inf")), "learning_rate", "finite"),
    (lambda h: h.pop("train_loss"), "train_loss", "required"),
])
def test_each_history_field_is_checked(change, where, words):
    data = copy.deepcopy(TRAINED)
    change(data["state"]["history"][0])
    text = json.dumps(data)  # NaN and Infinity as Python's json writes them, as the app does
    with pytest.raises(FileFormatError) as excinfo:
        loads(text)
    assert paths(excinfo.value) == [f"$.state.history[0].{where}"]
    assert words in str(excinfo.value)


def test_a_diverged_loss_and_missing_optional_metrics_still_load():
    data = copy.deepcopy(TRAINED)
    data["state"]["history"][0]["train_loss"] = float("nan")
    data["state"]["history"][1] = {"epoch": 2, "train_loss": float("inf")}
    design = loads(json.dumps(data))
    metrics = [EpochMetrics(**h) for h in design.state.history]  # every entry is whole
    assert np.isnan(metrics[0].train_loss) and metrics[1].test_loss is None


@pytest.mark.parametrize("change, where, words", [
    (lambda s: s.update(momentum=s.pop("m")), '$.state.optimizer.momentum', "no optimizer keeps"),
    (lambda s: s.pop("t"), "$.state.optimizer", "'t' is missing"),
    (lambda s: s.pop("v"), "$.state.optimizer", "not one optimizer's"),
    (lambda s: s.update(t=array([-3], np.int64)), "$.state.optimizer.t", "≥ 0"),
    (lambda s: s.update(t=array([2.0], np.float64)), "$.state.optimizer.t", "whole number"),
    (lambda s: s.update(v=array(np.zeros(3), np.float32)), "$.state.optimizer", "differ in length"),
    (lambda s: s.update(m=array(np.zeros((17, 1)), np.float32)), "$.state.optimizer.m", "flat"),
])
def test_the_optimizer_state_is_one_optimizers_with_slots_of_one_length(change, where, words):
    data = copy.deepcopy(TRAINED)
    change(data["state"]["optimizer"])
    error = refused(data)
    assert where in paths(error) and words in str(error)


def test_a_state_that_no_longer_fits_the_model_starts_the_optimizer_afresh():
    design = loads(json.dumps(TRAINED))
    design.set_training(optimizer="rmsprop")  # another optimizer's state: Adam's m and v
    assert Trainer(design).optimizer.t == 0
    design.set_training(optimizer="adamw")  # the same slots, the same size: it goes on
    assert Trainer(design).optimizer.t == int(design.state.optimizer_state["t"][0]) > 0
    design.remove_node("n3")  # fewer parameters than the state has
    assert Trainer(design).optimizer.t == 0


def test_load_state_dict_never_indexes_a_malformed_step_count():
    opt = make_optimizer("adam", 4, np.float32)
    assert not opt.load_state_dict({"m": np.zeros(4), "v": np.zeros(4), "t": np.zeros(0, np.int64)})
    assert opt.t == 0
    assert opt.load_state_dict({"m": np.ones(4), "v": np.ones(4), "t": np.array([7])})
    assert opt.t == 7 and float(opt.state["m"][0]) == 1.0


def test_weights_and_snapshots_are_checked_too():
    data = copy.deepcopy(TRAINED)
    data["initial_weights"] = {"neurons": {"n3": {"bias": "zero"}}, "connections": {"c\n": 1.0}}
    error = refused(data)
    assert set(paths(error)) == {"$.initial_weights.neurons.n3.bias",
                                 '$.initial_weights.connections["c\\n"]'}


# ---- ids and labels ---------------------------------------------------------------------------

@pytest.mark.parametrize("char", LINE_BREAKS + OTHER_REFUSED)
@pytest.mark.parametrize("where", ["node id", "connection id", "label"])
def test_ids_and_labels_are_one_line_of_printable_text(char, where):
    data = copy.deepcopy(TRAINED)
    text = f"a{char}b"
    if where == "node id":
        old = data["nodes"][0]["id"]
        data["nodes"][0]["id"] = text
        for conn in data["connections"]:
            conn["source"] = text if conn["source"] == old else conn["source"]
        path = "$.nodes[0].id"
    elif where == "connection id":
        data["connections"][0]["id"] = text
        path = "$.connections[0].id"
    else:
        data["nodes"][0]["label"] = text
        path = "$.nodes[0].label"
    error = refused(data)
    assert path in paths(error)
    assert f"U+{ord(char[0]):04X}" in str(error) and "character 2" in str(error)


def test_ids_and_labels_have_a_bounded_length():
    data = copy.deepcopy(TRAINED)
    data["nodes"][2]["label"] = "L" * MAX_LABEL  # at the limit: fine
    data["connections"][0]["id"] = "c" * MAX_ID
    loads(json.dumps(data))
    data["nodes"][2]["label"] = "L" * (MAX_LABEL + 1)
    data["connections"][0]["id"] = "c" * (MAX_ID + 1)
    error = refused(data)
    assert paths(error) == ["$.nodes[2].label", "$.connections[0].id"]
    assert f"at most {MAX_ID} characters long (this one has {MAX_ID + 1})" in str(error)


def test_plain_unicode_names_are_fine():
    data = copy.deepcopy(TRAINED)
    data["nodes"][2]["label"] = "x₁ → σ(z) 日本語 café 👍🏽\u00a0end"
    assert loads(json.dumps(data)).nodes[data["nodes"][2]["id"]].label == data["nodes"][2]["label"]


def test_a_label_set_by_an_edit_is_made_one_line_and_the_file_opens_again(tmp_path):
    design = loads(json.dumps(TRAINED))
    design.rename_node("n3", "first\nsecond\u2028third\x85" + "x" * 500)
    label = design.nodes["n3"].label
    assert label.startswith("first second third ") and len(label) == MAX_LABEL
    save_design(design, tmp_path / "a.ncanvas")
    assert core.load(str(tmp_path / "a.ncanvas")).nodes["n3"].label == label


def test_saving_refuses_what_loading_would_refuse(tmp_path):
    design = loads(json.dumps(TRAINED))
    design.add_node("input", {"feature": "x1"}, node_id="bad\nid")
    design.set_dataset(name="xor\r")
    with pytest.raises(FileFormatError) as excinfo:
        save_design(design, tmp_path / "a.ncanvas")
    assert set(paths(excinfo.value)) == {f"$.nodes[{len(design.nodes) - 1}].id", "$.dataset.name"}
    assert not (tmp_path / "a.ncanvas").exists()


# ---- long names in messages -------------------------------------------------------------------

def test_a_long_id_is_cut_in_messages_and_kept_whole_in_the_problem():
    long_id = "n" * 5000
    design = Design()
    design.add_node("input", {"feature": "x1"}, node_id="i")
    design.add_node("neuron", {"activation": "no such activation"}, node_id=long_id)
    design.add_connection("i", long_id)
    with pytest.raises(DesignError) as excinfo:
        core.build(design)
    error = excinfo.value
    assert any(long_id in p.node_ids for p in error.problems)  # the window can still select it
    assert max(len(str(p)) for p in error.problems) < 200 and len(str(error)) < 1000
    assert "n" * (SHOWN_CHARACTERS - 1) + "…" in str(error)


LONG = "x" * 5000


@pytest.mark.parametrize("spoil", [
    lambda d: d.set_training(loss=LONG),
    lambda d: d.set_training(optimizer=LONG),
    lambda d: d.set_training(dtype=LONG),
    lambda d: d.set_training(optimizer="adam", optimizer_params={LONG: 1.0}),
    lambda d: d.set_training(optimizer="adam", optimizer_params={"beta1": LONG}),
    lambda d: d.set_training(schedule=LONG),
    lambda d: d.set_node_params("n3", activation=LONG),
    lambda d: d.set_node_params("n3", **{LONG: 1}),
    lambda d: d.set_node_params("n3", initializer=[LONG]),
    lambda d: d.insert_node(Node("k", LONG)),
    lambda d: d.set_dataset(name=LONG),
], ids=["loss", "optimizer", "dtype", "setting", "setting value", "schedule", "activation",
        "parameter", "initializer", "kind", "data set"])
def test_long_text_anywhere_in_a_design_gives_short_messages(spoil):
    design = loads(json.dumps(TRAINED))
    spoil(design)
    with pytest.raises(DesignError) as excinfo:
        core.build(design)
    assert excinfo.value.problems and all(len(str(p)) < 300 for p in excinfo.value.problems)


def test_a_long_id_in_a_file_gives_a_short_message():
    data = copy.deepcopy(TRAINED)
    data["connections"][0]["source"] = "s" * 5000  # no such node, and too long an id
    data["weights"] = {"w" * 5000: {}}
    error = refused(data)
    assert max(len(line) for line in str(error).splitlines()) < 600
    assert len(error.problems) >= 2


def test_a_message_is_one_line_whatever_the_names_and_file_names_hold():
    data = copy.deepcopy(TRAINED)
    data["weights"] = {"w\u2028x\x85y\nz": {}}  # a node that is not there, oddly named
    with pytest.raises(FileFormatError) as excinfo:
        loads(json.dumps(data), filename="sent\u2029by\rmail.ncanvas")
    text = str(excinfo.value)
    assert text.splitlines() == [text]
    assert text.startswith("sent\\u2029by\\u000dmail.ncanvas: $.weights[")
    assert excinfo.value.problems[0].path == '$.weights["w\\u2028x\\u0085y\\nz"]'
    design = Design()
    design.add_node("neuron", node_id="two\nlines")
    with pytest.raises(DesignError) as excinfo:
        core.build(design)
    assert all(str(p).splitlines() == [str(p)] for p in excinfo.value.problems)


def test_many_problems_are_counted_not_all_listed():
    data = copy.deepcopy(TRAINED)
    data["connections"] = [{"id": f"c{i}", "source": "nowhere", "target": "n3"} for i in range(500)]
    error = refused(data)
    assert len(error.problems) == 500 and "and 480 more problems" in str(error)
    assert len(str(error)) < 3000


# ---- hostile files: a property ----------------------------------------------------------------

JSON_LEAVES = (st.none() | st.booleans() | st.integers() | st.integers(-(2**70), 2**70)
               | st.floats() | st.sampled_from([1e308, -1e308, 2**63, 2**64, 10**30])
               | st.text(max_size=6) | st.sampled_from(LINE_BREAKS + OTHER_REFUSED + ["", "a" * 300]))
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=5), inner, max_size=3), max_leaves=8)
BASE_TEXT = json.dumps(TRAINED, indent=1)


def all_paths(value, here=()):
    children = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, item in children:
        yield (*here, key)
        yield from all_paths(item, (*here, key))


PATHS = list(all_paths(TRAINED))


@st.composite
def hostile_texts(draw) -> str:
    data = copy.deepcopy(TRAINED)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        parent = data
        try:
            for key in path[:-1]:
                parent = parent[key]
            how = draw(st.sampled_from(["like", "like", "replace", "insert", "delete", "nest"]))
            old = parent[path[-1]]
            if how == "like" and isinstance(old, str):  # the same kind of value, a hostile one
                parent[path[-1]] = draw(st.text(max_size=6) | st.sampled_from(
                    [old + c for c in LINE_BREAKS + OTHER_REFUSED] + ["", old * 300]))
            elif how == "like" and isinstance(old, int | float) and not isinstance(old, bool):
                parent[path[-1]] = draw(st.integers(-(2**70), 2**70) | st.floats() | st.sampled_from(
                    [0, -1, 1e308, 2**63, 2**63 - 1, 10**30, 0.5]))
            elif how in ("like", "replace"):
                parent[path[-1]] = draw(JSON_VALUES)
            elif how == "insert" and isinstance(parent, dict):
                parent[draw(st.text(max_size=8))] = draw(JSON_VALUES)
            elif how == "insert":
                parent.insert(draw(st.integers(0, len(parent))), draw(JSON_VALUES))
            elif how == "delete":
                del parent[path[-1]]
            else:  # a value nested this deep, written into the text below
                parent[path[-1]] = f"<nested {draw(st.sampled_from([50, 199, 201, 5000]))}>"
        except (KeyError, IndexError, TypeError):
            pass  # an earlier change removed what this one would have changed
    text = re.sub(r'"<nested (\d+)>"', lambda m: "[" * int(m[1]) + "0" + "]" * int(m[1]),
                  json.dumps(data))
    if draw(st.sampled_from([False] * 9 + [True])):
        text = text[:draw(st.integers(0, len(text)))]  # a file cut short
    return text


def loads_or_refuses(text: str, validate: bool) -> Design | None:
    try:
        design = loads(text, validate=validate)
    except FileFormatError as exc:
        assert exc.problems and all(p.path.startswith("$") for p in exc.problems)
        return None
    if not validate:
        check_design(design)  # as the window marks its problems
    for entry in design.state.history:  # what the window and the trainer do with a loaded file
        EpochMetrics(**entry)
    optimizer = design.training.optimizer
    if optimizer in ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"):
        make_optimizer(optimizer, 17, np.float32).load_state_dict(design.state.optimizer_state)
    assert loads(dumps(design), validate=False) == design  # and it saves and opens again
    return design


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_texts())
def test_a_hostile_file_loads_or_is_refused_naming_a_path(text):
    loads_or_refuses(text, validate=False)  # as the window opens it
    loads_or_refuses(text, validate=True)  # as the command line and core.load open it
