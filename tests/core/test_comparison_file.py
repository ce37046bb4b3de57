"""A comparison kept with the design: saved and opened again equal (weights bit for bit, a
diverged NaN loss included), older files without one still open, what a file may hold is
bounded, and every hostile value in a comparison section is refused naming its JSON path."""

from __future__ import annotations

import base64
import copy
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import core
from core.compiler.compile import compile_design
from core.compiler.memory import parameter_count
from core.compiler.validation import check_design
from core.design.comparison import (
    MAX_VARIANTS,
    WEIGHTS_BUDGET,
    ComparedVariant,
    Comparison,
    changed_design,
    limit_problems,
    weights_base,
    within_budget,
)
from core.design.design import Design
from core.design.errors import FileFormatError, NeuralCanvasError
from core.files import comparison as comparison_file
from core.files.fileformat import FORMAT_VERSION, design_to_dict, dumps, loads
from core.training.compared import comparison_of_results, kept_outputs, kept_variant_design
from core.training.ensemble import VariantTrainer
from core.training.variants import variant_design
from tests.core.example_designs import EXAMPLES, gaussian_dense_design

EPOCHS = 2
VARIANTS = [{"seed": s, "nodes": {"hidden": {"units": u}}} for u in (8, 16) for s in (0, 1)]


def trained() -> tuple[Design, VariantTrainer]:
    """Four variants of a Dense design (8 or 16 hidden units × two seeds), two epochs, kept."""
    design = gaussian_dense_design()
    trainer = VariantTrainer(design, VARIANTS)
    for _ in trainer.run(EPOCHS):
        pass
    labels = [{"units": v["nodes"]["hidden"]["units"], "seed": v["seed"]} for v in VARIANTS]
    design.comparison = comparison_of_results(trainer.results(), EPOCHS, labels,
                                              base=weights_base(design))
    return design, trainer


DESIGN, TRAINER = trained()
DATA = design_to_dict(DESIGN)


def refused(data: dict, validate: bool = True) -> FileFormatError:
    with pytest.raises(FileFormatError) as excinfo:
        loads(json.dumps(data), validate=validate)
    return excinfo.value


def paths(error: FileFormatError) -> list[str]:
    return [p.path for p in error.problems]


def array(values, dtype="float32") -> dict:
    arr = np.asarray(values, dtype=dtype)
    return {"dtype": str(arr.dtype), "shape": list(arr.shape),
            "data": base64.b64encode(arr.astype(arr.dtype.newbyteorder("<")).tobytes()).decode()}


# ---- saved and opened again -------------------------------------------------------------------

def test_a_comparison_saves_and_opens_again_equal():
    text = dumps(DESIGN)
    data = json.loads(text)
    assert data["version"] == FORMAT_VERSION == 3
    assert [len(v["history"]) for v in data["comparison"]["variants"]] == [EPOCHS] * 4
    again = loads(text)
    assert again == DESIGN and again.comparison == DESIGN.comparison
    for mine, result in zip(again.comparison.variants, TRAINER.results(), strict=True):
        assert mine.weights.dtype == np.float32 and np.array_equal(mine.weights, result.weights)
        assert mine.history == tuple({"epoch": h.epoch, **{k: getattr(h, k) for k in (
            "train_loss", "test_loss", "train_accuracy", "test_accuracy", "train_r2", "test_r2",
            "learning_rate")}} for h in result.history)
        assert (mine.epoch, mine.step, mine.changes) == (result.epoch, result.step, result.changes)
    assert dumps(again) == text  # and writes the same file again


def test_the_kept_record_cannot_be_changed_under_the_design():
    weights = DESIGN.comparison.variants[0].weights
    with pytest.raises(ValueError):
        weights[0] = 1.0
    copied = DESIGN.copy()
    assert copied == DESIGN and copied.comparison is DESIGN.comparison
    other = DESIGN.copy()
    other.comparison = Comparison(EPOCHS + 1, DESIGN.comparison.variants)
    assert other != DESIGN


def test_a_diverged_loss_is_kept_as_nan_and_compared_equal():
    variant = DESIGN.comparison.variants[0]
    nan = {**variant.history[0], "train_loss": math.nan, "test_loss": math.inf}
    design = DESIGN.copy()
    design.comparison = Comparison(EPOCHS, (ComparedVariant(
        variant.labels, variant.changes, "diverged", "the loss became NaN", variant.epoch,
        variant.step, (nan,), None),))
    again = loads(dumps(design))
    assert again == design
    assert math.isnan(again.comparison.variants[0].history[0]["train_loss"])


def test_files_without_a_comparison_still_open():
    plain = gaussian_dense_design()
    data = design_to_dict(plain)
    assert "comparison" not in data
    assert loads(json.dumps({**data, "version": 2})).comparison is None  # written by version 2
    for path in sorted(EXAMPLES.glob("*.ncanvas")):  # version 1 files
        assert core.load(str(path)).comparison is None


def test_weights_over_the_budget_are_left_out_and_limits_are_said():
    comparison = DESIGN.comparison
    assert within_budget(comparison) is comparison
    light = within_budget(comparison, budget=comparison.weights_bytes - 1)
    assert not light.pickable and [v.history for v in light.variants] == [
        v.history for v in comparison.variants]
    too_many = Comparison(1, (comparison.variants[0],) * (MAX_VARIANTS + 1))
    assert limit_problems(too_many) == [f"{MAX_VARIANTS + 1} variants are more than the "
                                        f"{MAX_VARIANTS} a design keeps"]
    with pytest.raises(ValueError, match="variants are more than"):
        comparison_of_results(TRAINER.results() * 251, EPOCHS, base="")


def test_a_design_edited_since_saves_its_comparison_without_the_weights_that_no_longer_fit():
    design = DESIGN.copy()
    design.add_node("dense", {"units": 4, "activation": "relu"}, node_id="extra")
    design.add_connection("data", "extra", connection_id="data-extra")
    design.add_connection("extra", "out", connection_id="extra-out")  # out's rows: 4 more
    again = loads(dumps(design))
    assert [v.weights for v in again.comparison.variants] == [None] * 4
    assert [v.history for v in again.comparison.variants] == [
        v.history for v in DESIGN.comparison.variants]
    with pytest.raises(ValueError, match="train it again"):
        kept_variant_design(again, again.comparison, 0)


@pytest.mark.parametrize("edit", ["activation", "dataset"])
def test_an_edit_that_keeps_the_number_of_weights_still_leaves_them_out(edit):
    """Another activation, or another data set of as many inputs: the weights would fit by
    count, but they were trained for another network, so they are neither written, drawn nor
    picked; the curves stay."""
    design = DESIGN.copy()
    if edit == "activation":
        design.set_node_params("hidden", activation="tanh")
    else:
        design.set_dataset(seed=design.dataset.seed + 1)  # other points, as many inputs
    assert not design.comparison.weights_fit(design) and DESIGN.comparison.weights_fit(DESIGN)
    with pytest.raises(ValueError, match="edited since the comparison"):
        kept_variant_design(design, design.comparison, 0)
    assert kept_outputs(design, design.comparison)[2] == {}
    again = loads(dumps(design))
    assert [v.weights for v in again.comparison.variants] == [None] * 4
    assert [v.history for v in again.comparison.variants] == [
        v.history for v in DESIGN.comparison.variants]


def test_weights_kept_for_another_design_in_a_file_are_left_out_on_opening():
    data = copy.deepcopy(DATA)
    data["comparison"]["base"] = "0" * 64  # a hand-edited file: its weights are for no design here
    again = loads(json.dumps(data))
    assert again.comparison is not None and not again.comparison.pickable
    assert [len(v.history) for v in again.comparison.variants] == [EPOCHS] * 4


# ---- what picking and the boundaries take ------------------------------------------------------

def test_a_kept_variant_becomes_the_design_it_trained_as():
    again = loads(dumps(DESIGN))
    for index in range(4):
        picked = kept_variant_design(again, again.comparison, index)
        trained_alone = TRAINER.variant_design(index)
        assert picked.snapshot_weights()["blocks"].keys() == trained_alone.snapshot_weights()[
            "blocks"].keys()
        for node, arrays in trained_alone.parameters.items():
            for name, value in arrays.items():
                assert np.array_equal(picked.parameters[node][name], value), (index, node, name)
        assert picked.training == trained_alone.training
        assert picked.nodes["hidden"].params["units"] == VARIANTS[index]["nodes"]["hidden"]["units"]
        assert picked.state.epoch == EPOCHS and picked.state.history == trained_alone.state.history


def test_the_kept_outputs_are_each_variants_own():
    build, plane, maps = kept_outputs(DESIGN, DESIGN.comparison)
    assert plane is not None and sorted(maps) == [0, 1, 2, 3]
    points = plane.points()
    for index in range(4):
        alone = compile_design(TRAINER.variant_design(index))
        expected = np.asarray(alone.model.forward(alone.feature_rows(points)))
        assert np.allclose(maps[index].reshape(len(points), -1), expected, atol=1e-6)


def test_the_number_of_weights_is_the_compiled_models_without_compiling():
    for path in sorted(EXAMPLES.glob("*.ncanvas")):
        design = core.load(str(path))
        _, structure = check_design(design)
        assert parameter_count(design, structure) == compile_design(design).model.size, path.name
    for changes in VARIANTS:
        variant = variant_design(DESIGN, changes)
        _, structure = check_design(variant)
        assert parameter_count(variant, structure) == compile_design(variant).model.size


# ---- hostile comparisons ------------------------------------------------------------------------

def changed(change) -> dict:
    data = copy.deepcopy(DATA)
    change(data["comparison"])
    return data


def _set(where: list, value):
    def change(section):
        parent = section
        for key in where[:-1]:
            parent = parent[key]
        parent[where[-1]] = value
    return change


HOSTILE = [
    (_set(["epochs"], 0), "$.comparison.epochs", "greater than or equal to 1"),
    (_set(["epochs"], "3"), "$.comparison.epochs", "valid integer"),
    (_set(["variants"], []), "$.comparison.variants", "at least 1"),
    (_set(["variants", 0, "state"], "bogus"), "$.comparison.variants[0].state", "'diverged'"),
    (_set(["variants", 0, "epoch"], -1), "$.comparison.variants[0].epoch", "greater than"),
    (_set(["variants", 0, "epoch"], 1), "$.comparison.variants[0].history[1].epoch", "beyond"),
    (_set(["variants", 1, "history", 1, "epoch"], 1), "$.comparison.variants[1].history[1].epoch",
     "comes after epoch 1"),
    (_set(["variants", 0, "history", 0, "learning_rate"], math.nan),
     "$.comparison.variants[0].history[0].learning_rate", "finite"),
    (_set(["variants", 0, "history", 0, "test_accuracy"], 1.5),
     "$.comparison.variants[0].history[0].test_accuracy", "less than or equal to 1"),
    (_set(["variants", 0, "history", 0, "bogus"], 1), "$.comparison.variants[0].history[0].bogus",
     "Extra inputs"),
    (_set(["variants", 2, "changes", "learning_rate"], math.nan),
     "$.comparison.variants[2].changes.learning_rate", "not a finite number"),
    (_set(["variants", 2, "changes", "learning_rate"], "fast"),
     "$.comparison.variants[2].changes.learning_rate", "valid number"),
    (_set(["variants", 2, "changes", "colour"], "red"), "$.comparison.variants[2].changes.colour",
     "cannot change 'colour'"),
    (_set(["variants", 2, "changes", "nodes"], ["hidden"]),
     "$.comparison.variants[2].changes.nodes", "maps node ids"),
    (_set(["variants", 2, "labels", "units"], [8]), "$.comparison.variants[2].labels.units",
     "not an array"),
    (_set(["variants", 2, "reason"], "x" * 2001), "$.comparison.variants[2].reason", "at most 2000"),
    (_set(["variants", 3, "weights"], array(np.zeros(5))), "$.comparison.variants[3].weights.shape",
     "5 weights, but the variant's model has"),
    (_set(["variants", 3, "weights"], array(np.zeros((2, 2)))),
     "$.comparison.variants[3].weights.shape", "at most 1 item"),
    (_set(["variants", 3, "weights", "dtype"], "int32"), "$.comparison.variants[3].weights.dtype",
     "'float32' or 'float64'"),
    (_set(["variants", 3, "weights", "data"], "not base64!"),
     "$.comparison.variants[3].weights.data", "not valid base64"),
    (_set(["variants", 3, "changes", "nodes"], {"nowhere": {"units": 3}}),
     "$.comparison.variants[3].weights", "which the design does not have"),
    (_set(["variants", 3, "changes", "nodes"], {"hidden": {"units": -3}}),
     "$.comparison.variants[3].weights", "the variant's design has errors"),
    (_set(["variants", 0, "weights", "shape"], [WEIGHTS_BUDGET]), "$.comparison",
     f"more than the {WEIGHTS_BUDGET // 2**20} MiB a file may hold"),
    (_set(["variants", 0, "weights", "shape"], [10 ** 400]), "$.comparison",
     f"more than the {WEIGHTS_BUDGET // 2**20} MiB a file may hold"),  # no float overflow
    (_set(["variants", 0, "weights", "shape"], [3] * 300_000),  # never multiplied out
     "$.comparison.variants[0].weights.shape", "at most 1 item"),
    (_set(["variants"], [{}] * (MAX_VARIANTS + 1)), "$.comparison.variants",
     f"{MAX_VARIANTS + 1} variants are more than the {MAX_VARIANTS} a file may hold"),
    (_set(["bogus"], 1), "$.comparison.bogus", "Extra inputs"),
]


@pytest.mark.parametrize(("change", "path", "words"), HOSTILE)
def test_each_hostile_value_is_refused_at_its_path(change, path, words):
    for validate in (True, False):  # as the command line opens a file, and as the window does
        error = refused(changed(change), validate)
        assert path in paths(error), (paths(error), str(error))
        assert words in str(error)


def test_weights_of_the_other_precision_are_refused():
    weights = DATA["comparison"]["variants"][0]["weights"]
    values = np.frombuffer(base64.b64decode(weights["data"]), "<f4").astype(np.float64)
    error = refused(changed(_set(["variants", 0, "weights"], array(values, "float64"))))
    assert paths(error) == ["$.comparison.variants[0].weights.dtype"]
    assert "weights of float64, but the variant trains in float32" in str(error)


def test_too_much_history_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setattr(comparison_file, "MAX_HISTORY", 7)
    error = refused(DATA)
    assert paths(error) == ["$.comparison.variants"]
    assert "8 epochs of history in all are more than the 7 a file may hold" in str(error)


def test_a_changed_node_the_design_no_longer_has_is_a_record_while_it_keeps_no_weights():
    data = changed(_set(["variants", 3, "changes", "nodes"], {"gone": {"units": 3}}))
    data["comparison"]["variants"][3]["weights"] = None
    design = loads(json.dumps(data))
    assert design.comparison.variants[3].weights is None
    with pytest.raises(ValueError):
        kept_variant_design(design, design.comparison, 3)


# ---- properties ---------------------------------------------------------------------------------

LEAVES = (st.none() | st.booleans() | st.integers() | st.integers(-(2**70), 2**70) | st.floats()
          | st.sampled_from([0, -1, 1, 2, 1e308, 2**63, 0.5, "float64", "int32", "", "a" * 300,
                             "\n", "AAAA", "training", "nodes", "hidden", "units"])
          | st.text(max_size=6))
VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=5) | st.sampled_from(["units", "hidden", "seed", "nodes", "dtype"]), inner,
    max_size=3), max_leaves=8)


def _paths(value, here=()):
    children = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, item in children:
        yield (*here, key)
        yield from _paths(item, (*here, key))


SECTION_PATHS = [p for p in _paths(DATA["comparison"]) if p[-1] != "data"] + [
    ("variants", 0, "weights", "data")]


@st.composite
def hostile_sections(draw) -> dict:
    section = copy.deepcopy(DATA["comparison"])
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(SECTION_PATHS))
        parent = section
        try:
            for key in where[:-1]:
                parent = parent[key]
            how = draw(st.sampled_from(["like", "replace", "insert", "delete", "copy"]))
            old = parent[where[-1]]
            if how == "like" and isinstance(old, int | float) and not isinstance(old, bool):
                parent[where[-1]] = draw(st.integers(-(2**70), 2**70) | st.floats()
                                         | st.sampled_from([0, -1, 1, 3, 2**63, 0.5]))
            elif how in ("like", "replace"):
                parent[where[-1]] = draw(VALUES)
            elif how == "insert" and isinstance(parent, dict):
                parent[draw(st.text(max_size=6))] = draw(VALUES)
            elif how == "insert":
                parent.insert(draw(st.integers(0, len(parent))), draw(VALUES))
            elif how == "copy":  # another variant's value: weights of the other size, a history
                other = draw(st.integers(0, 3))
                source = section["variants"][other]
                for key in where[2:-1]:
                    source = source[key]
                parent[where[-1]] = copy.deepcopy(source[where[-1]])
            else:
                del parent[where[-1]]
        except (KeyError, IndexError, TypeError):
            pass  # an earlier change removed what this one would have changed
    return section


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_sections(), st.booleans())
def test_a_hostile_comparison_loads_fitting_or_is_refused_naming_a_path(section, validate):
    text = json.dumps({**DATA, "comparison": section})
    try:
        design = loads(text, validate=validate)
    except FileFormatError as exc:
        assert exc.problems and all(p.path.startswith("$") for p in exc.problems)
        assert all(p.path.startswith("$.comparison") for p in exc.problems), exc.problems
        return
    comparison = design.comparison
    assert comparison is not None and not limit_problems(comparison)
    assert comparison.weights_bytes <= WEIGHTS_BUDGET
    for index, variant in enumerate(comparison.variants):
        epochs = [h["epoch"] for h in variant.history]
        assert epochs == sorted(set(epochs)) and all(1 <= e <= variant.epoch for e in epochs)
        if variant.weights is not None:  # kept weights are the variant's own model's
            nodes = changed_design(design, {"nodes": variant.changes.get("nodes", {})})
            assert compile_design(nodes).model.size == variant.weights.size
            try:  # its settings may still be ones a design refuses (a seed of -1): said, as the
                kept_variant_design(design, comparison, index)  # window says it
            except (NeuralCanvasError, ValueError) as exc:
                assert str(exc)
    assert loads(dumps(design), validate=False) == design  # and it saves and opens again
