"""The trainer: determinism, pause and resume, single steps, the NaN guard, stop conditions,
callbacks, settings changed mid-run, writing weights back, and the scripting API."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import core
from core.compiler.compile import compile_design
from core.design.errors import TrainingError
from core.engine.backend import to_numpy
from core.training.trainer import EpochMetrics, Trainer, new_seed, reset_weights
from tests.core.example_designs import gaussian_dense_design, plane_design, xor_design

# xor_design: 200 samples, half for testing, batches of 10 → 10 steps an epoch


def weights(trainer: Trainer) -> bytes:
    return to_numpy(trainer.model.flat).tobytes()


def flat(trainer: Trainer) -> np.ndarray:
    return to_numpy(trainer.model.flat).copy()


def trained_bytes(design, epochs=None) -> bytes:
    trainer = Trainer(design)
    trainer.train(epochs)
    return weights(trainer)


# ---------------------------------------------------------------------------- determinism
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("make", [xor_design, gaussian_dense_design])
def test_the_same_seed_trains_to_bit_identical_weights(make, dtype):
    a, b = make(), make()
    a.set_training(dtype=dtype)
    b.set_training(dtype=dtype)
    ta, tb = Trainer(a), Trainer(b)
    assert ta.model.flat.dtype == np.dtype(dtype)
    ta.train(5)
    tb.train(5)
    assert weights(ta) == weights(tb)
    assert ta.history == tb.history


def test_reset_then_training_again_reproduces_the_run():
    d = xor_design(epochs=6)
    trainer = Trainer(d)
    start = d.copy()
    trainer.train()
    trainer.write_back()
    first = weights(trainer)
    assert d != start and d.state.epoch == 6

    reset_weights(d)
    assert d == start  # the weights training started from
    assert d.state.epoch == 0 and d.state.history == [] and d.state.optimizer_state == {}
    again = Trainer(d)
    again.train()
    assert weights(again) == first


def test_reset_of_a_design_never_trained_draws_from_the_seed_again():
    d = xor_design()
    d.set_weight("x1-h1", 0.5)
    reset_weights(d)
    assert all(c.weight is None for c in d.connections.values())
    assert weights(Trainer(d)) == weights(Trainer(xor_design()))


def test_a_new_seed_draws_different_initial_weights_and_keeps_nothing_trained():
    d = xor_design(epochs=3)
    first = weights(Trainer(d))
    core.train(d)
    seed = new_seed(d)
    assert seed == 1 and d.training.seed == 1
    assert all(c.weight is None for c in d.connections.values())
    assert d.initial_weights is None and d.state.epoch == 0
    second = Trainer(d)
    assert weights(second) != first
    assert weights(Trainer(xor_design(seed=1))) == weights(second)
    assert new_seed(d, 7) == 7 and weights(Trainer(d)) not in (first, weights(second))


def test_unset_weights_are_drawn_the_same_each_time_for_the_same_seed():
    d = xor_design()
    assert all(c.weight is None for c in d.connections.values())
    builds = [to_numpy(compile_design(d).model.flat).tobytes() for _ in range(3)]
    assert builds[0] == builds[1] == builds[2]
    assert weights(Trainer(d.copy())) == weights(Trainer(d.copy())) == builds[0]
    other = to_numpy(compile_design(d, seed=5).model.flat).tobytes()
    assert other != builds[0]


def test_building_a_trainer_writes_the_drawn_weights_into_the_design():
    d = xor_design()
    trainer = Trainer(d)
    assert all(isinstance(c.weight, float) for c in d.connections.values())
    assert d.initial_weights == d.snapshot_weights()
    assert to_numpy(compile_design(d).model.flat).tobytes() == weights(trainer)


# ---------------------------------------------------------------------------- pause, resume, stop
def test_pause_mid_epoch_then_resume_is_bit_identical_to_an_uninterrupted_run():
    reference = Trainer(xor_design(epochs=4))
    reference.train()

    trainer = Trainer(xor_design(epochs=4))
    reports = []
    for progress in trainer.run():
        reports.append(progress)
        if progress.kind != "paused" and progress.step == 17:
            trainer.pause()
    assert reports[-1].kind == "paused" and reports[-1].reason == "paused"
    assert reports[-1].step == 17 and reports[-1].epoch == 1
    assert [p.kind for p in reports].count("paused") == 1
    assert trainer.step_count == 17 and trainer.epoch == 1

    rest = list(trainer.run())
    assert rest[0].step == 18
    assert rest[-1].kind == "finished" and rest[-1].epoch == 4
    assert weights(trainer) == weights(reference)
    assert trainer.history == reference.history


def test_pausing_twice_and_at_an_epoch_boundary_changes_nothing():
    reference = Trainer(xor_design(epochs=3))
    reference.train()
    trainer = Trainer(xor_design(epochs=3))
    for pause_at in (10, 11, 25):
        for progress in trainer.run():
            if progress.kind != "paused" and progress.step == pause_at:
                trainer.pause()
        assert progress.kind == "paused"
    trainer.train()
    assert weights(trainer) == weights(reference)


def test_stop_ends_the_run_with_stopped():
    trainer = Trainer(xor_design(epochs=50))
    reports = []
    for progress in trainer.run():
        reports.append(progress)
        if progress.kind != "paused" and progress.step == 23:
            trainer.stop()
    assert reports[-1].kind == "stopped" and reports[-1].reason == "stopped"
    assert trainer.step_count == 23 and trainer.epoch == 2
    assert not trainer.finished


# ---------------------------------------------------------------------------- one step, one sample
def test_one_step_advances_exactly_one_mini_batch():
    trainer = Trainer(xor_design())
    before = flat(trainer)
    progress = trainer.step()
    assert progress.kind == "step" and progress.step == 1 == trainer.step_count
    assert trainer.epoch == 0 and np.isfinite(progress.loss)
    assert not np.array_equal(flat(trainer), before)
    for _ in range(8):
        assert trainer.step().kind == "step"
    last = trainer.step()
    assert last.kind == "epoch" and last.epoch == 1 and trainer.step_count == 10
    assert isinstance(last.metrics, EpochMetrics) and last.metrics.epoch == 1


def test_present_one_makes_one_update_from_that_sample_alone():
    d = xor_design(optimizer="sgd", learning_rate=0.5)
    trainer = Trainer(d)
    by_hand = Trainer(d.copy())
    value = by_hand.model.loss_and_gradients(by_hand.X_train[3:4], by_hand.T_train[3:4],
                                             by_hand.build.loss)
    expected = flat(by_hand) - np.asarray(0.5, dtype=np.float32) * to_numpy(by_hand.model.grad)
    progress = trainer.present_one(3)
    assert progress.kind == "sample" and progress.sample == 3
    assert progress.loss == float(value)
    assert trainer.step_count == 1 and trainer.epoch == 0
    assert np.array_equal(flat(trainer), expected)

    other = Trainer(d.copy())
    other.present_one(4)
    assert weights(other) != weights(trainer)


def test_present_one_without_an_index_picks_a_sample_reproducibly():
    a, b = Trainer(xor_design()), Trainer(xor_design())
    picked = [a.present_one().sample for _ in range(5)]
    assert picked == [b.present_one().sample for _ in range(5)]
    assert all(0 <= i < len(a.train_idx) for i in picked)
    assert weights(a) == weights(b)


# ---------------------------------------------------------------------------- the NaN guard
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("learning_rate", [1e6, 1e38])
def test_divergence_raises_naming_epoch_and_step_and_keeps_the_last_good_weights(learning_rate):
    trainer = Trainer(plane_design(learning_rate=learning_rate))
    good = [flat(trainer)]
    trainer.on_step.append(lambda epoch, step, loss: good.append(flat(trainer)))
    with pytest.raises(TrainingError) as caught:
        trainer.train()
    error = caught.value
    assert error.epoch == 1 and error.step == len(good)
    assert f"epoch {error.epoch}, step {error.step}" in str(error)
    assert "learning rate" in str(error)
    after = flat(trainer)
    assert np.isfinite(after).all()
    assert np.array_equal(after, good[-1])
    assert trainer.step_count == error.step - 1


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_the_scripting_api_writes_back_the_last_good_weights_after_divergence():
    d = plane_design(learning_rate=1e38)
    with pytest.raises(TrainingError):
        core.train(d)
    assert all(np.isfinite(c.weight) for c in d.connections.values())
    assert d.state.epoch == 0 and d.state.step == 0


# ---------------------------------------------------------------------------- stop conditions
def test_target_accuracy_stops_early_with_a_reason():
    d = xor_design(epochs=200)
    d.set_training(target_accuracy=0.9)
    trainer = Trainer(d)
    last = list(trainer.run())[-1]
    assert last.kind == "finished" and "accuracy" in last.reason and "90%" in last.reason
    assert trainer.epoch < 200
    assert last.metrics.test_accuracy >= 0.9
    assert trainer.history[-2]["test_accuracy"] < 0.9


def test_target_loss_stops_early_with_a_reason():
    d = plane_design(epochs=200, learning_rate=0.01)
    d.set_training(target_loss=0.02)
    trainer = Trainer(d)
    last = list(trainer.run())[-1]
    assert "loss" in last.reason and "0.02" in last.reason
    assert trainer.epoch < 200
    assert last.metrics.train_loss <= 0.02 < trainer.history[-2]["train_loss"]


def test_early_stopping_keeps_the_best_test_loss_weights():
    d = gaussian_dense_design(n=60, epochs=60)
    d.set_dataset(params={"n": 60, "classes": 3, "noise": 0.5})
    d.set_training(early_stopping_patience=3, learning_rate=0.5, optimizer="sgd")
    trainer = Trainer(d)
    last = list(trainer.run())[-1]
    assert "not improved for 3 epochs" in last.reason
    assert trainer.epoch < 60
    test_losses = [h["test_loss"] for h in trainer.history]
    best = min(test_losses)
    assert test_losses.index(best) == len(test_losses) - 4  # three epochs without improving
    assert trainer.evaluate().test_loss == best
    trainer.write_back()
    assert Trainer(d).evaluate().test_loss == best


# ---------------------------------------------------------------------------- callbacks, metrics
def test_callbacks_get_each_step_and_each_epoch():
    trainer = Trainer(xor_design(epochs=3))
    steps, epochs = [], []
    trainer.on_step.append(lambda epoch, step, loss: steps.append((epoch, step, loss)))
    trainer.on_epoch.append(epochs.append)
    reports = [p for p in trainer.run() if p.kind in ("step", "epoch")]
    assert [s[1] for s in steps] == list(range(1, 31))
    assert [s[0] for s in steps] == [0] * 10 + [1] * 10 + [2] * 10  # epochs completed so far
    assert [s[2] for s in steps] == [p.loss for p in reports]
    assert [m.epoch for m in epochs] == [1, 2, 3]
    assert all(isinstance(m, EpochMetrics) for m in epochs)
    assert [m for m in epochs] == [EpochMetrics(**h) for h in trainer.history]


def test_classification_metrics_have_accuracy_and_no_r2():
    trainer = Trainer(xor_design(epochs=15))
    metrics = trainer.train()
    assert metrics.train_r2 is None and metrics.test_r2 is None
    assert 0.85 <= metrics.test_accuracy <= 1 and 0.85 <= metrics.train_accuracy <= 1
    assert metrics.test_loss is not None and metrics.learning_rate == 0.1


def test_regression_metrics_have_r2_and_no_accuracy():
    metrics = Trainer(plane_design(epochs=20)).train()
    assert metrics.train_accuracy is None and metrics.test_accuracy is None
    assert 0.9 < metrics.test_r2 <= 1 and 0.9 < metrics.train_r2 <= 1


def test_the_dense_design_learns_three_gaussians():
    metrics = Trainer(gaussian_dense_design(epochs=10)).train()
    assert metrics.test_accuracy >= 0.9 and metrics.train_r2 is None


# ---------------------------------------------------------------------------- settings mid-run
def test_apply_settings_changes_learning_rate_optimizer_and_loss_and_training_goes_on():
    d = xor_design(epochs=6, optimizer="sgd")
    trainer = Trainer(d)
    trainer.train(2)
    new = replace(d.training, learning_rate=0.02, optimizer="adam", loss="mse")
    trainer.apply_settings(new)
    assert d.training == new
    assert trainer.optimizer.__class__.__name__ == "Adam"
    trainer.train()
    assert trainer.epoch == 6
    assert [h["learning_rate"] for h in trainer.history] == [0.1, 0.1] + [0.02] * 4
    mse = trainer.history[-1]["train_loss"]
    out, _ = trainer.outputs(trainer.X_train)
    by_hand = 0.5 * float(((to_numpy(out) - to_numpy(trainer.T_train)) ** 2).sum()) / len(out)
    assert mse == pytest.approx(by_hand, rel=1e-5)


def test_a_loss_change_mid_epoch_applies_to_the_rest_of_that_epoch():
    """Changing the loss (and so the targets: hinge wants ±1) mid-epoch gives what writing the
    weights back and starting again with the new loss gives."""
    d = xor_design(epochs=3, optimizer="sgd")
    d.set_node_params("out", activation="tanh")
    d.set_training(loss="mse")
    trainer = Trainer(d)
    for progress in trainer.run():
        if progress.kind != "paused" and progress.step == 14:
            trainer.pause()
    trainer.write_back()
    restarted_design = d.copy()
    restarted_design.training = replace(d.training, loss="hinge")
    restarted = Trainer(restarted_design)

    trainer.apply_settings(replace(d.training, loss="hinge"))
    trainer.train()
    restarted.train()
    assert restarted.step_count == trainer.step_count == 30
    assert weights(trainer) == weights(restarted)


# ---------------------------------------------------------------------------- back into the design
def test_write_back_puts_weights_and_state_into_the_design():
    d = gaussian_dense_design(epochs=3)
    d.set_node_params("out", activation="softmax")
    trainer = Trainer(d)
    assert set(d.parameters) == {"hidden", "out"}  # the drawn initial weights
    first_kernel = d.parameters["hidden"]["kernel"].copy()
    trainer.train()
    trainer.write_back()
    assert d.parameters["hidden"]["kernel"].shape == (2, 16)
    assert d.parameters["out"]["kernel"].shape == (16, 3) and d.parameters["out"]["bias"].shape == (3,)
    assert d.parameters["hidden"]["kernel"].dtype == np.float32
    assert not np.array_equal(d.parameters["hidden"]["kernel"], first_kernel)
    assert d.state.epoch == 3 and d.state.step == 3 * 8 and d.state.cursor == 0  # 75 samples, 10 a batch
    assert d.state.history == trainer.history and len(d.state.history) == 3
    assert set(d.state.optimizer_state) == {"m", "v", "t"} and int(d.state.optimizer_state["t"][0]) == 24


def test_write_back_changes_neuron_weights_and_biases():
    d = xor_design(epochs=2)
    trainer = Trainer(d)
    initial = d.copy()
    trainer.train()
    trainer.write_back()
    changed = [cid for cid, c in d.connections.items() if c.weight != initial.connections[cid].weight]
    assert len(changed) == len(d.connections)
    assert d.nodes["out"].params["bias"] != 0.0
    assert d.initial_weights == initial.snapshot_weights()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("make", [xor_design, gaussian_dense_design])
def test_continuing_from_a_written_back_design_equals_training_in_one_go(make, dtype):
    whole = make(epochs=6)
    whole.set_training(dtype=dtype)
    in_one_go = Trainer(whole)
    in_one_go.train()

    d = make(epochs=6)
    d.set_training(dtype=dtype)
    first = Trainer(d)
    first.train(2)
    first.write_back()
    later = Trainer(d.copy())
    assert later.epoch == 2 and later.step_count == first.step_count
    assert later.history == first.history
    later.train()
    assert later.epoch == 6
    assert weights(later) == weights(in_one_go)
    assert later.history == in_one_go.history


def test_continuing_from_a_design_written_back_mid_epoch_equals_training_in_one_go():
    in_one_go = Trainer(xor_design(epochs=4))
    in_one_go.train()

    d = xor_design(epochs=4)
    first = Trainer(d)
    for progress in first.run():
        if progress.kind != "paused" and progress.step == 16:
            first.pause()
    first.write_back()
    assert d.state.epoch == 1 and d.state.step == 16 and d.state.cursor == 60
    later = Trainer(d.copy())
    assert later.epoch == 1 and later.step_count == 16
    later.train()
    assert later.step_count == 40
    assert weights(later) == weights(in_one_go)
    assert later.history == in_one_go.history


def test_a_design_saved_mid_epoch_reopens_and_continues_bit_identically(tmp_path):
    from core.files.fileformat import load_design, save_design

    in_one_go = Trainer(xor_design(epochs=4))
    in_one_go.train()
    d = xor_design(epochs=4)
    first = Trainer(d)
    for progress in first.run():
        if progress.kind != "paused" and progress.step == 16:
            first.pause()
    first.write_back()
    save_design(d, tmp_path / "paused.ncanvas")
    reopened = load_design(tmp_path / "paused.ncanvas")
    assert reopened.state.cursor == 60
    later = Trainer(reopened)
    later.train()
    assert weights(later) == weights(in_one_go)
    assert later.history == in_one_go.history


def test_the_optimizer_state_is_what_makes_continuation_exact():
    in_one_go = Trainer(xor_design(epochs=4))
    in_one_go.train()
    d = xor_design(epochs=4)
    first = Trainer(d)
    first.train(2)
    first.write_back()
    d.state.optimizer_state = {}
    later = Trainer(d)
    later.train()
    assert weights(later) != weights(in_one_go)


# ---------------------------------------------------------------------------- scripting API
def test_build_train_predict():
    d = xor_design(epochs=15)
    trainer = core.build(d)
    assert isinstance(trainer, Trainer)
    metrics = core.train(d)
    assert metrics.test_accuracy >= 0.85 and metrics.epoch == 15
    assert d.state.epoch == 15 and len(d.state.history) == 15

    X = np.array([[3.0, 3.0], [-3.0, 3.0], [3.0, -3.0], [-3.0, -3.0]])
    out = core.predict(d, X)
    assert isinstance(out, np.ndarray) and out.shape == (4, 1)
    assert ((out > 0) & (out < 1)).all()
    assert list((out[:, 0] > 0.5).astype(int)) == [1, 0, 0, 1]  # same sign: class 1
    assert core.predict(d, [0.5, -0.5]).shape == (1, 1)


def test_predict_gives_class_probabilities_for_a_softmax_output():
    d = gaussian_dense_design(epochs=3)
    core.train(d)
    out = core.predict(d, np.zeros((5, 2)))
    assert out.shape == (5, 3)
    assert np.allclose(out.sum(axis=1), 1, atol=1e-5)


def test_train_continues_to_a_total_number_of_epochs():
    a, b = xor_design(epochs=5), xor_design(epochs=5)
    core.train(a, epochs=2)
    core.train(a)
    core.train(b)
    assert a.state.epoch == b.state.epoch == 5
    assert a == b


def test_a_pause_asked_for_before_the_run_starts_is_not_lost():
    trainer = Trainer(xor_design(epochs=3))
    trainer.pause()
    reports = list(trainer.run())
    assert [r.kind for r in reports] == ["paused"] and trainer.step_count == 0
    assert list(trainer.run())[-1].kind == "finished"


def test_core_train_reports_the_metrics_of_the_weights_it_keeps():
    import core

    d = gaussian_dense_design(n=60, epochs=60)
    d.set_dataset(params={"n": 60, "classes": 3, "noise": 0.5})
    d.set_training(early_stopping_patience=3, learning_rate=0.5, optimizer="sgd")
    metrics = core.train(d)
    best = min(h["test_loss"] for h in d.state.history)
    assert metrics.test_loss == best != d.state.history[-1]["test_loss"]


def test_a_schedule_spans_the_epochs_of_the_run_asked_for():
    d = xor_design(epochs=4)
    d.set_training(schedule="cosine", learning_rate=0.1)
    trainer = Trainer(d)
    trainer.train(8)
    rates = [h["learning_rate"] for h in trainer.history]
    assert len(rates) == 8 and all(r > 0 for r in rates)
    assert rates == sorted(rates, reverse=True)


def test_randomized_relu_training_resumes_exactly_after_save_and_reopen(tmp_path):
    from core.files.fileformat import load_design, save_design

    def design():
        d = xor_design(epochs=3)
        for nid in ("h1", "h2"):
            d.set_node_params(nid, activation="rrelu")
        return d

    in_one_go = Trainer(design())
    in_one_go.train()
    d = design()
    first = Trainer(d)
    for progress in first.run():
        if progress.kind != "paused" and progress.step == 13:
            first.pause()
    first.write_back()
    save_design(d, tmp_path / "r.ncanvas")
    later = Trainer(load_design(tmp_path / "r.ncanvas"))
    later.train()
    assert weights(later) == weights(in_one_go)


def test_apply_settings_refuses_what_needs_a_rebuild():
    trainer = Trainer(xor_design())
    with pytest.raises(ValueError, match="test_fraction"):
        trainer.apply_settings(replace(trainer.settings, test_fraction=0.2))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_rejected_step_leaves_the_optimizer_state_as_it_was():
    trainer = Trainer(plane_design(learning_rate=1e38))
    trainer.apply_settings(replace(trainer.settings, optimizer="momentum"))
    trainer.fit_steps(0)
    trainer.apply_settings(replace(trainer.settings, learning_rate=1e-3))
    trainer.fit_steps(3)  # some momentum built up at a sane rate
    trainer.apply_settings(replace(trainer.settings, learning_rate=1e38))
    before = trainer.optimizer.state_dict()
    trainer.on_step.append(lambda *a: before.update(trainer.optimizer.state_dict()))
    with pytest.raises(TrainingError):
        trainer.train()
    after = trainer.optimizer.state_dict()
    assert before and all(np.array_equal(before[k], after[k]) for k in before)
