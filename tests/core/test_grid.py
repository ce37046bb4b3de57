"""The grid of a sweep: each --vary syntax parsed into an axis, every mistake refused in words
naming the spec, and the axes expanded into variant dicts in a stable order; random spec text is
either an axis or that refusal, quickly."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.files.fileformat import load_design
from core.training.grid import (
    MAX_VARIANTS,
    Axis,
    GridError,
    expand,
    grid_points,
    grid_size,
    parse_grid,
    parse_vary,
    sweep_design,
)
from core.training.variants import variant_design, variant_problems
from tests.core.example_designs import gaussian_dense_design

ROOT = Path(__file__).resolve().parents[2]
XOR = load_design(ROOT / "resources" / "examples" / "xor.ncanvas")


def values(spec, design=XOR):
    return parse_vary(spec, design).values


# ---------------------------------------------------------------------------- each syntax
def test_a_list_of_numbers_keeps_its_order_and_types():
    assert values("learning_rate=0.001,0.01,0.1") == (0.001, 0.01, 0.1)
    assert values("l2 = 0, 1e-3") == (0.0, 0.001)
    assert values("batch_size=32,8") == (32, 8)
    assert all(isinstance(v, int) for v in values("seed=3,1,2"))


def test_names_for_optimizer_and_activation():
    assert values("optimizer=sgd,adam,momentum") == ("sgd", "adam", "momentum")
    axis = parse_vary("n3.activation=relu,tanh", XOR)
    assert (axis.setting, axis.nodes, axis.values) == ("activation", ("n3",), ("relu", "tanh"))
    assert axis.name == "n3.activation"


def test_another_optimizer_takes_its_defaults_the_designs_own_keeps_its_settings():
    """A momentum design's `momentum` is no setting of Adam: the Adam variant trains with
    Adam's defaults, the momentum variant with the design's 0.5."""
    from core.training.ensemble import VariantTrainer

    design = XOR.copy()
    design.set_training(optimizer="momentum", optimizer_params={"momentum": 0.5})
    variants = expand([parse_vary("optimizer=adam,momentum", design)])
    assert variants == [{"optimizer": "adam", "optimizer_params": {}},
                        {"optimizer": "momentum", "optimizer_params": {"momentum": 0.5}}]
    trainer = VariantTrainer(design, variants)
    for _progress in trainer.run(1):
        pass
    assert [result.epoch for result in trainer.results()] == [1, 1]


def test_free_text_parameters_take_their_text():
    assert values("i1.feature=x1,x1^2, sin(x1)") == ("x1", "x1^2", "sin(x1)")


def test_a_whole_number_range_includes_both_ends():
    assert values("seed=1..5") == (1, 2, 3, 4, 5)
    assert values("seed=7..7") == (7,)


def test_a_log_range_is_evenly_spaced_in_log_with_both_ends_exact():
    rates = values("learning_rate=1e-4..1e-1:log4")
    assert rates == (0.0001, 0.001, 0.01, 0.1)
    steps = [math.log10(b) - math.log10(a) for a, b in zip(rates, rates[1:], strict=False)]
    assert steps == pytest.approx([1.0, 1.0, 1.0])
    assert values("learning_rate=0.003..0.3:log3") == (0.003, 0.03, 0.3)


def test_a_linear_range_and_whole_number_ranges_by_count():
    assert values("l2=0..0.01:3") == (0.0, 0.005, 0.01)
    design = gaussian_dense_design()
    assert values("hidden.units=8..64:log4", design) == (8, 16, 32, 64)
    assert values("batch_size=10..40:4") == (10, 20, 30, 40)


def test_several_nodes_take_one_value_together_and_a_label_names_a_node():
    axis = parse_vary("n3+n4.activation=tanh,sigmoid", XOR)
    assert axis.change("tanh") == {"nodes": {"n3": {"activation": "tanh"}, "n4": {"activation": "tanh"}}}
    labelled = XOR.copy()
    labelled.rename_node("n5", "third")
    assert parse_vary("third.activation=elu", labelled).nodes == ("n5",)


def test_each_axis_makes_variants_the_engine_accepts():
    design = gaussian_dense_design()
    axes = parse_grid(["learning_rate=0.01,0.1", "optimizer=sgd,adam", "hidden.units=4,8",
                       "hidden.activation=relu,tanh", "l1=0,1e-4", "clip_norm=0,1",
                       "batch_size=5,10", "seed=0..1"], design)
    variants = expand(axes)
    assert len(variants) == 2 ** 8
    for variant in variants:
        assert variant_problems(design, variant) == []
        built = variant_design(design, variant)
        assert built.nodes["hidden"].params["units"] == variant["nodes"]["hidden"]["units"]
        assert built.training.learning_rate == variant["learning_rate"]


# ---------------------------------------------------------------------------- refusals
@pytest.mark.parametrize(("spec", "words"), [
    ("lr=0.1", "unknown setting 'lr'"),
    ("epochs=1,2", "--epochs"),
    ("learning_rate", "write KEY=VALUES"),
    ("=0.1", "write KEY=VALUES"),
    ("learning_rate=", "names no values"),
    ("learning_rate=0.1,,0.2", "empty value"),
    ("nowhere.activation=relu", "has no node 'nowhere'"),
    ("n3.units=4", "has no parameter 'units'"),
    ("n3.bias=0.5", "has no parameter 'bias'"),
    ("n3.activation_params=1", "named settings"),
    ("learning_rate=fast", "'fast' is not a number"),
    ("learning_rate=nan", "'nan' is not a number"),
    ("learning_rate=1e999", "not a finite number"),
    ("seed=1.5", "'1.5' is not a whole number"),
    ("seed=5..1", "the range 5..1 is empty"),
    ("learning_rate=0.1..0.01:3", "is empty"),
    ("learning_rate=0.1..0.5", "A..B counts whole numbers"),
    ("learning_rate=0..1:log3", "a log range needs numbers above 0"),
    ("learning_rate=1e-3..1:log1", "at least 2 values"),
    ("learning_rate=1e-3..1:lg3", "how many values"),
    ("seed=0..1:5", "without repeats"),
    ("seed=1..2000", "2000 values, more than the 1000"),
    ("learning_rate=1e-4..1:log5000", "more than the 1000"),
    ("seed=2,2", "repeats 2"),
    ("learning_rate=0,0.1", "learning_rate must be above 0"),
    ("l2=-0.1", "l2 must be at least 0"),
    ("batch_size=0,10", "batch_size must be at least 1"),
    ("optimizer=sgd,turbo", "unknown optimizer 'turbo'"),
    ("optimizer=1..3", "a range needs numbers"),
    ("n3.activation=relu,swish2", "unknown activation 'swish2'"),
    ("n3+n3.activation=relu", "names a node twice"),
])
def test_a_bad_spec_is_refused_naming_it_and_what_is_wrong(spec, words):
    with pytest.raises(GridError) as refused:
        parse_vary(spec, XOR)
    message = str(refused.value)
    assert message.startswith(f"cannot vary {spec!r}")
    assert words in message
    assert "\n" not in message


def test_a_nodes_own_checks_refuse_its_values():
    with pytest.raises(GridError, match=r"'hidden.units=0,4'.*'units'.*below the minimum"):
        parse_vary("hidden.units=0,4", gaussian_dense_design())


def test_two_axes_on_one_thing_and_a_grid_above_the_limit_are_refused():
    with pytest.raises(GridError, match=r"'seed=4': 'seed=1\.\.3' already varies 'seed'"):
        parse_grid(["seed=1..3", "seed=4"], XOR)
    with pytest.raises(GridError, match="already varies the 'activation' of node 'n4'"):
        parse_grid(["n4.activation=relu,tanh", "n3+n4.activation=elu"], XOR)
    with pytest.raises(GridError, match=r"the grid 100 × 11 holds 1100 variants, more than the 1000"):
        parse_grid(["seed=0..99", "learning_rate=1e-5..1:log11"], XOR)
    assert len(parse_grid(["seed=0..99", "learning_rate=1e-5..1e-1:log10"], XOR)) == 2


# ---------------------------------------------------------------------------- expansion
def test_expansion_is_the_cartesian_product_first_axis_slowest():
    axes = parse_grid(["learning_rate=0.01,0.1", "seed=1..3", "n3+n4.activation=relu,tanh"], XOR)
    variants = expand(axes)
    assert len(variants) == grid_size(axes) == 12
    assert variants[0] == {"learning_rate": 0.01, "seed": 1,
                           "nodes": {"n3": {"activation": "relu"}, "n4": {"activation": "relu"}}}
    assert variants[1]["nodes"]["n3"] == {"activation": "tanh"} and variants[1]["seed"] == 1
    assert [v["seed"] for v in variants[:6]] == [1, 1, 2, 2, 3, 3]
    assert [v["learning_rate"] for v in variants] == [0.01] * 6 + [0.1] * 6
    assert len({repr(v) for v in variants}) == 12  # every combination once
    points = grid_points(axes)
    assert points[7] == {"learning_rate": 0.1, "seed": 1, "n3+n4.activation": "tanh"}
    assert expand(axes) == variants  # stable


def test_two_axes_on_other_parameters_of_one_node_merge_into_its_changes():
    design = gaussian_dense_design()
    variants = expand(parse_grid(["hidden.units=4,8", "hidden.activation=tanh"], design))
    assert variants == [{"nodes": {"hidden": {"units": 4, "activation": "tanh"}}},
                        {"nodes": {"hidden": {"units": 8, "activation": "tanh"}}}]


def test_no_axes_is_one_variant_the_design_itself():
    assert expand([]) == [{}] and grid_points([]) == [{}]


def test_varying_the_seed_starts_from_fresh_weights_else_from_the_designs():
    trained = XOR.copy()
    trained.set_training(epochs=1)
    from core.training.trainer import Trainer

    trainer = Trainer(trained)
    trainer.train()
    trainer.write_back()
    assert trained.state.epoch == 1
    fresh = sweep_design(trained, parse_grid(["seed=1,2"], trained))
    assert fresh.state.epoch == 0 and all(c.weight is None for c in fresh.connections.values())
    kept = sweep_design(trained, parse_grid(["learning_rate=0.1,0.2"], trained))
    assert kept.state.epoch == 1 and kept.snapshot_weights() == trained.snapshot_weights()
    assert trained.state.epoch == 1  # the design given is left as it was


# ---------------------------------------------------------------------------- random text
KEYS = ["learning_rate", "seed", "batch_size", "optimizer", "l2", "l1", "clip_norm", "epochs",
        "n3.activation", "n3+n4.activation", "n3.initializer", "i1.feature", "n9.activation", ""]
VALUE_TEXT = st.text(alphabet="0123456789.,:-+eElogrelutanhsgdam nNiIf_", max_size=40)


@settings(max_examples=400, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=60),
                 st.builds(lambda k, v: f"{k}={v}", st.sampled_from(KEYS), VALUE_TEXT)))
def test_any_spec_text_is_an_axis_or_a_clear_refusal(spec):
    try:
        axis = parse_vary(spec, XOR)
    except GridError as refused:
        message = str(refused)
        assert message.startswith("cannot vary ") and "\n" not in message
        return
    assert isinstance(axis, Axis)
    assert 1 <= len(axis.values) <= MAX_VARIANTS
    assert len(set(axis.values)) == len(axis.values)
    for value in axis.values:
        assert not isinstance(value, float) or math.isfinite(value)
    for variant in expand([axis]):
        assert variant_problems(XOR, variant) == []


ACTIVATIONS = ["relu", "tanh", "elu", "gelu", "sigmoid", "identity", "silu", "softplus", "arctan",
               "step", "leaky_relu", "prelu"]


@settings(max_examples=60, deadline=2000)
@given(st.lists(st.integers(1, 12), min_size=1, max_size=4))
def test_the_grid_holds_the_product_of_its_axes_sizes_up_to_the_limit(sizes):
    makers = [lambda n: f"seed=0..{n - 1}", lambda n: f"batch_size=1..{n}",
              lambda n: "n3.activation=" + ",".join(ACTIVATIONS[:n]),
              lambda n: "n4+n5.activation=" + ",".join(ACTIVATIONS[:n])]
    specs = [make(n) for make, n in zip(makers, sizes, strict=False)]
    if math.prod(sizes) > MAX_VARIANTS:
        with pytest.raises(GridError, match="more than the 1000 allowed"):
            parse_grid(specs, XOR)
        return
    variants = expand(parse_grid(specs, XOR))
    assert len(variants) == math.prod(sizes)
    assert len({repr(v) for v in variants}) == len(variants)
