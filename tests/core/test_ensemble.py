"""The ensemble axis: variants of a design trained as one batched computation each equal the same
design trained alone (weights and loss history, 1e-6 in float32, 1e-12 in float64), for neuron
layers and Dense blocks, every optimizer, per-variant learning rate, seed, L1/L2 and clipping; a
diverged variant stops alone; structures are grouped; pause, resume and writing a variant back."""

from __future__ import annotations

import numpy as np
import pytest

from core.engine.backend import to_numpy
from core.training.ensemble import VariantTrainer, train_variants
from core.training.trainer import Trainer
from core.training.variants import group_by_structure, variant_design
from tests.core.ensemble_checks import alone, assert_same_run, together
from tests.core.example_designs import gaussian_dense_design, plane_design, xor_design

SETTINGS = [{"learning_rate": 0.01, "seed": 0},
            {"learning_rate": 0.05, "seed": 1, "l2": 1e-3},
            {"learning_rate": 0.1, "seed": 2, "l1": 1e-4},
            {"learning_rate": 0.02, "seed": 3, "l2": 1e-2, "clip_norm": 0.5}]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"])
@pytest.mark.parametrize("make", [xor_design, gaussian_dense_design, plane_design])
def test_each_variant_equals_its_design_trained_alone(make, optimizer, dtype):
    design = make(epochs=4)
    design.set_training(optimizer=optimizer, dtype=dtype)
    trainer, reports = together(design, SETTINGS)
    assert len(trainer.groups) == 1  # one structure: one batched computation
    assert [r.kind for r in reports] == ["epoch"] * 4 + ["finished"]
    for i, variant in enumerate(SETTINGS):
        single, error = alone(design, variant)
        assert error is None
        result = trainer.result(i)
        assert result.state == "finished" and result.epoch == 4
        assert_same_run(result, single, dtype)


def test_variants_differ_from_each_other():
    design = gaussian_dense_design(epochs=2)
    trainer, _ = together(design, SETTINGS)
    weights = [r.weights for r in trainer.results()]
    assert all(not np.array_equal(weights[0], w) for w in weights[1:])


def test_optimizer_settings_and_schedules_vary_per_variant():
    design = xor_design(epochs=5, optimizer="momentum")
    variants = [{"optimizer_params": {"momentum": 0.5}, "schedule": "step",
                 "schedule_params": {"step_size": 2, "gamma": 0.5}},
                {"optimizer_params": {"momentum": 0.95}, "seed": 4, "schedule": "cosine"},
                {"learning_rate": 0.3}]
    trainer, _ = together(design, variants)
    assert len(trainer.groups) == 1
    for i, variant in enumerate(variants):
        assert_same_run(trainer.result(i), alone(design, variant)[0], "float32")


# ---------------------------------------------------------------------------- divergence
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_diverged_variant_stops_alone_and_the_others_go_on():
    design = plane_design(epochs=6)
    variants = [{"learning_rate": 0.01}, {"learning_rate": 1e6}, {"learning_rate": 0.02, "seed": 5},
                {"learning_rate": 1e38, "seed": 2}]
    trainer, reports = together(design, variants)
    for i in (1, 3):
        single, error = alone(design, variants[i])
        result = trainer.result(i)
        assert error is not None
        assert result.state == "diverged"
        assert result.reason == str(error)  # the same words, epoch and step
        assert np.array_equal(result.weights, to_numpy(single.model.flat))  # from before the step
        assert np.isfinite(result.weights).all()
    for i in (0, 2):
        result = trainer.result(i)
        assert result.state == "finished" and len(result.history) == 6
        assert_same_run(result, alone(design, variants[i])[0], "float32")
    epochs = [r for r in reports if r.kind == "epoch"]
    assert {rep.index for rep in epochs[-1].reports} == {0, 2}  # the diverged ones left


# ---------------------------------------------------------------------------- groups
def test_variants_of_other_structures_train_in_groups_of_their_own():
    design = gaussian_dense_design(epochs=3)
    variants = [{"seed": 1}, {"nodes": {"hidden": {"units": 8}}, "seed": 2}, {"learning_rate": 0.01},
                {"nodes": {"hidden": {"activation": "tanh"}}}, {"nodes": {"hidden": {"units": 8}}},
                {"batch_size": 25}]
    designs = [variant_design(design, v) for v in variants]
    assert group_by_structure(designs) == [[0, 2], [1, 4], [3], [5]]
    trainer, reports = together(design, variants)
    assert sorted(r.group for r in reports if r.kind == "finished") == [0, 1, 2, 3]
    for i, variant in enumerate(variants):
        assert_same_run(trainer.result(i), alone(design, variant)[0], "float32")


def test_a_variant_that_names_an_unknown_setting_or_node_is_refused():
    design = xor_design()
    with pytest.raises(ValueError, match="cannot change 'speed'"):
        VariantTrainer(design, [{"speed": 3}])
    with pytest.raises(ValueError, match="node 'nowhere'"):
        VariantTrainer(design, [{"nodes": {"nowhere": {"units": 3}}}])


# ---------------------------------------------------------------------------- stop, pause, back
def test_a_stop_condition_ends_a_variant_alone_as_it_ends_its_single_run():
    design = xor_design(epochs=40)
    variants = [{"target_accuracy": 0.9}, {"target_loss": 0.3, "seed": 1}, {"seed": 2}]
    trainer, _ = together(design, variants)
    for i, variant in enumerate(variants):
        single = Trainer(variant_design(design, variant))
        last = list(single.run())[-1]
        result = trainer.result(i)
        assert result.reason == last.reason
        assert_same_run(result, single, "float32")
    assert len(trainer.result(0).history) < 40 and len(trainer.result(2).history) == 40


def test_early_stopping_keeps_each_variants_best_weights():
    design = gaussian_dense_design(epochs=30)
    variants = [{"early_stopping_patience": 2, "learning_rate": 0.3},
                {"early_stopping_patience": 3, "learning_rate": 0.2, "seed": 3}]
    trainer, _ = together(design, variants)
    for i, variant in enumerate(variants):
        single = Trainer(variant_design(design, variant))
        last = list(single.run())[-1]
        assert trainer.result(i).reason == last.reason
        assert_same_run(trainer.result(i), single, "float32")


def test_pausing_and_running_again_trains_as_one_run():
    design = xor_design(epochs=6)
    whole, _ = together(design, SETTINGS)
    paused = VariantTrainer(design, SETTINGS)
    run = paused.run()
    next(run)
    paused.pause()
    kinds = [p.kind for p in run]
    assert kinds[-1] == "paused"
    list(paused.run())
    for a, b in zip(whole.results(), paused.results(), strict=True):
        assert np.array_equal(a.weights, b.weights)
        assert a.history == b.history


def test_a_picked_variant_becomes_a_design_as_trained_alone():
    design = xor_design(epochs=3)
    trainer, _ = together(design, SETTINGS)
    picked = trainer.variant_design(2)
    single = Trainer(variant_design(design, SETTINGS[2]))
    single.train()
    single.write_back()
    assert picked == single.design
    assert picked.state.epoch == single.design.state.epoch == 3
    assert picked.state.history == single.design.state.history
    # going on from the picked design trains as the single run goes on
    going_on = Trainer(picked)
    going_on.train(5)
    single.train(5)
    np.testing.assert_array_equal(to_numpy(going_on.model.flat), to_numpy(single.model.flat))
    assert going_on.history == single.history


def test_train_variants_yields_every_variants_epochs():
    design = plane_design(epochs=3)
    progress = list(train_variants(design, [{"seed": s} for s in range(3)], epochs=2))
    epochs = [p for p in progress if p.kind == "epoch"]
    assert [p.epoch for p in epochs] == [1, 2]
    assert all(len(p.reports) == 3 and len(p.losses) == 3 for p in epochs)
    assert progress[-1].kind == "finished" and progress[-1].epoch == 2


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"])
def test_settings_as_columns_or_as_full_arrays_give_the_same_numbers(monkeypatch, optimizer):
    """A small model's per-variant settings are spread over whole rows (cheaper to multiply); a big
    model's stay (K, 1) columns: the same values, so the same updates."""
    from core.engine.ensemble import optimizers

    design = gaussian_dense_design(epochs=2)
    design.set_training(optimizer=optimizer)
    spread, _ = together(design, SETTINGS)
    size = spread.groups[0].model.size
    assert _setting_widths(spread) == {size}
    monkeypatch.setattr(optimizers, "SPREAD_LIMIT", 0)
    columns, _ = together(design, SETTINGS)
    assert _setting_widths(columns) == {1}
    for i in range(len(SETTINGS)):
        assert np.array_equal(spread.result(i).weights, columns.result(i).weights)


def _setting_widths(trainer) -> set[int]:
    """The widths of the optimizer's per-variant settings as it keeps them (1: columns)."""
    optimizer = trainer.groups[0].optimizer
    kept = [*optimizer._columns.values(), optimizer._rate[1]]
    return {a.shape[1] for a in kept if a is not None}
