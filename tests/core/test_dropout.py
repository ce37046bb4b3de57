"""The Dropout block: identity when predicting, inverted dropout while training, its gradient,
learning the digits through it, and training runs that repeat and resume bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from core.compiler.compile import compile_design
from core.compiler.validation import check_design
from core.design import registry
from core.design.design import Design
from core.engine import backend
from core.engine.backend import to_device, to_numpy
from core.engine.blocks.dropout import DropoutLayer
from core.training.trainer import Trainer


def digits_design(rate: float = 0.3, epochs: int = 30, seed: int = 0) -> Design:
    """Data(digits) → Dense 64 relu → Dropout → Dense 10 softmax, as the digits MLP example trains."""
    d = Design()
    d.set_dataset("digits")
    d.set_training(loss="softmax_cross_entropy", optimizer="adam", learning_rate=0.003,
                   batch_size=32, epochs=epochs, seed=seed, test_fraction=0.25)
    d.add_node("data", node_id="data")
    d.add_node("dense", {"units": 64, "activation": "relu"}, node_id="hidden")
    d.add_node("dropout", {"rate": rate}, node_id="drop")
    d.add_node("dense", {"units": 10, "activation": "softmax"}, node_id="out")
    d.add_connection("data", "hidden", connection_id="data-hidden")
    d.add_connection("hidden", "drop", connection_id="hidden-drop")
    d.add_connection("drop", "out", connection_id="drop-out")
    return d


def weights(trainer: Trainer) -> bytes:
    return to_numpy(trainer.model.flat).tobytes()


def host(array) -> np.ndarray:
    return to_numpy(array)


# ---------------------------------------------------------------------------- the layer alone
@pytest.mark.parametrize("shape", [(6,), (8, 8, 1)])
def test_predicting_passes_the_input_through_unchanged(shape):
    layer = DropoutLayer(shape, 0.5)
    x = to_device(np.random.default_rng(0).normal(size=(5, *shape)), np.float32)
    out, cache = layer.forward({}, x, training=False, rng=np.random.default_rng(1))
    assert out.shape == x.shape
    assert np.array_equal(host(out), host(x))
    da = to_device(np.ones(x.shape), np.float32)
    assert np.array_equal(host(layer.backward({}, cache, da, {}, True)), host(da))


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
@pytest.mark.parametrize("shape", [(50,), (8, 8, 3)])
def test_training_keeps_about_one_minus_rate_and_scales_what_it_keeps(rate, shape):
    layer = DropoutLayer(shape, rate)
    x = to_device(np.random.default_rng(0).uniform(1.0, 2.0, size=(400, *shape)), np.float32)
    out, _ = layer.forward({}, x, training=True, rng=np.random.default_rng(2))
    out, x = host(out), host(x)
    assert out.shape == x.shape and out.dtype == np.float32
    kept = out != 0
    assert kept.mean() == pytest.approx(1 - rate, abs=0.01)
    np.testing.assert_allclose(out[kept], x[kept] / (1 - rate), rtol=1e-6)
    # inverted dropout keeps the mean as it was, so inference needs no rescaling
    assert out.mean() == pytest.approx(x.mean(), rel=0.05)


def test_the_same_rng_draws_the_same_mask_and_another_draws_a_different_one():
    layer = DropoutLayer((30,), 0.5)
    x = to_device(np.ones((10, 30)), np.float64)
    a = host(layer.forward({}, x, True, np.random.default_rng(7))[0])
    b = host(layer.forward({}, x, True, np.random.default_rng(7))[0])
    c = host(layer.forward({}, x, True, np.random.default_rng(8))[0])
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_rate_zero_changes_nothing_even_while_training():
    layer = DropoutLayer((4,), 0.0)
    x = to_device(np.arange(8.0).reshape(2, 4), np.float64)
    assert np.array_equal(host(layer.forward({}, x, True, np.random.default_rng(0))[0]), host(x))


@pytest.mark.skipif(backend.is_gpu, reason="finite differences on host arrays")
@pytest.mark.parametrize("shape", [(7,), (4, 4, 2)])
def test_the_gradient_is_the_same_mask_times_the_scale(shape):
    rate = 0.4
    layer = DropoutLayer(shape, rate)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(5, *shape))
    da = rng.normal(size=x.shape)

    out, cache = layer.forward({}, x, True, np.random.default_rng(11))
    dx = layer.backward({}, cache, da, {}, True)
    assert layer.backward({}, cache, da, {}, False) is None
    kept = out != 0
    np.testing.assert_array_equal(dx, np.where(kept, da / (1 - rate), 0.0))

    def objective():  # the same mask each time: the rng is drawn afresh from one seed
        return float((da * layer.forward({}, x, True, np.random.default_rng(11))[0]).sum())

    h = 1e-6
    numeric = np.zeros(x.size)
    flat = x.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        up = objective()
        flat[i] = old - h
        down = objective()
        flat[i] = old
        numeric[i] = (up - down) / (2 * h)
    np.testing.assert_allclose(dx.reshape(-1), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.skipif(backend.is_gpu, reason="finite differences on host arrays")
def test_a_compiled_model_through_dropout_has_the_finite_difference_gradient():
    d = digits_design(rate=0.5)
    build = compile_design(d, dtype="float64")
    model = build.model
    assert model.stochastic
    take = np.random.default_rng(0).choice(build.data.num_samples, size=16, replace=False)
    x = build.feature_rows(build.data.X[take])
    t = build.encode_targets(build.data.y[take])
    model.rng = np.random.default_rng(5)
    model.loss_and_gradients(x, t, build.loss, build.rule)
    analytic = model.grad.copy()

    def objective():
        model.rng = np.random.default_rng(5)  # the same mask as the analytic pass
        slots, caches = model.forward_all(x, training=True, activate_output=False)
        z = slots[model.output_op.out_slot]
        return float(build.loss.value_logits(z, t))

    picked = np.sort(np.random.default_rng(1).choice(model.size, size=60, replace=False))
    numeric = np.zeros(len(picked))
    for k, i in enumerate(picked):
        old = model.flat[i]
        model.flat[i] = old + 1e-6
        up = objective()
        model.flat[i] = old - 1e-6
        down = objective()
        model.flat[i] = old
        numeric[k] = (up - down) / 2e-6
    a = analytic[picked]
    assert np.linalg.norm(a - numeric) / max(1e-8, np.linalg.norm(a) + np.linalg.norm(numeric)) < 1e-6
    assert np.any(a != 0)


# ---------------------------------------------------------------------------- the block kind
def test_the_kind_is_registered_with_its_palette_text_and_rate():
    kind = registry.blocks.get("dropout")
    assert (kind.label, kind.category, kind.icon) == ("Dropout", "layers", "mdi6.dots-grid")
    assert kind.description
    assert kind.default_params() == {"rate": 0.5}
    assert kind.param_problems({"rate": 0.3}) == []
    assert any("above the maximum" in p for p in kind.param_problems({"rate": 1.0}))
    assert any("below the minimum" in p for p in kind.param_problems({"rate": -0.1}))
    assert kind.output_shape({"rate": 0.5}, [(8, 8, 1)]) == (8, 8, 1)
    assert kind.output_shape({"rate": 0.5}, [(64,), (3,)]) == "Dropout takes one input"
    layer = kind.build({"rate": 0.25}, (8, 8, 1))
    assert (layer.n_in, layer.n_out, layer.in_shape, layer.out_shape) == (64, 64, (8, 8, 1), (8, 8, 1))
    assert layer.initial_params(np.random.default_rng(0)) == {} and layer.param_shapes() == {}
    assert layer.stochastic and layer.decay == () and not layer.keep_preactivation


def test_dropout_on_an_image_keeps_its_shape_in_a_design():
    d = Design()
    d.set_dataset("digits")
    d.set_training(loss="softmax_cross_entropy", optimizer="adam", learning_rate=0.003,
                   batch_size=32, epochs=10)
    ids = [d.add_node("data").id, d.add_node("reshape", {"shape": "8,8,1"}).id,
           d.add_node("dropout", {"rate": 0.2}).id, d.add_node("flatten").id,
           d.add_node("dense", {"units": 10, "activation": "softmax"}).id]
    for source, target in zip(ids, ids[1:], strict=False):
        d.add_connection(source, target)
    problems, structure = check_design(d)
    assert [p for p in problems if p.severity == "error"] == []
    assert structure.shapes[ids[2]] == (8, 8, 1)
    assert Trainer(d).train().test_accuracy > 0.85


# ---------------------------------------------------------------------------- training
def test_the_digits_learn_through_dropout_and_predictions_are_not_random():
    d = digits_design(rate=0.3, epochs=30)
    trainer = Trainer(d)
    assert trainer.model.stochastic
    metrics = trainer.train()
    assert metrics.test_accuracy >= 0.93
    first = host(trainer.model.forward(trainer.X_test))
    again = host(trainer.model.forward(trainer.X_test))
    assert np.array_equal(first, again)  # evaluation and prediction use every unit
    assert trainer.evaluate().test_accuracy == metrics.test_accuracy


def test_the_same_seed_trains_to_bit_identical_weights_and_another_seed_does_not():
    a, b = Trainer(digits_design(epochs=3)), Trainer(digits_design(epochs=3))
    a.train()
    b.train()
    assert weights(a) == weights(b)
    assert a.history == b.history
    other = Trainer(digits_design(epochs=3, seed=1))
    other.train()
    assert weights(other) != weights(a)


def test_dropout_changes_what_is_learned():
    with_dropout = Trainer(digits_design(rate=0.5, epochs=1))
    without = Trainer(digits_design(rate=0.0, epochs=1))
    assert weights(with_dropout) == weights(without)  # the same initial weights
    with_dropout.train()
    without.train()
    assert weights(with_dropout) != weights(without)


def test_pause_mid_epoch_then_resume_is_bit_identical():
    reference = Trainer(digits_design(epochs=3))
    reference.train()

    trainer = Trainer(digits_design(epochs=3))
    for progress in trainer.run():
        if progress.kind != "paused" and progress.step == 60:
            trainer.pause()
    assert trainer.step_count == 60 and trainer.epoch == 1
    rest = list(trainer.run())
    assert rest[0].step == 61 and rest[-1].kind == "finished"
    assert weights(trainer) == weights(reference)
    assert trainer.history == reference.history


def test_a_design_written_back_mid_epoch_continues_bit_identically():
    in_one_go = Trainer(digits_design(epochs=3))
    in_one_go.train()

    d = digits_design(epochs=3)
    first = Trainer(d)
    for progress in first.run():
        if progress.kind != "paused" and progress.step == 55:
            first.pause()
    first.write_back()
    assert d.state.step == 55 and d.state.cursor > 0
    later = Trainer(d.copy())
    assert later.step_count == 55
    later.train()
    assert weights(later) == weights(in_one_go)
    assert later.history == in_one_go.history


def test_a_design_may_end_in_dropout_and_still_train_and_score():
    design = Design()
    design.set_dataset("plane", {"n": 120})
    design.set_training(loss="mse", epochs=8, learning_rate=0.05, optimizer="adam")
    data = design.add_node("data", {}).id
    dense = design.add_node("dense", {**registry.blocks.get("dense").default_params(), "units": 1,
                                      "activation": "identity"}).id
    drop = design.add_node("dropout", {"rate": 0.1}).id
    design.add_connection(data, dense)
    design.add_connection(dense, drop)
    metrics = Trainer(design).train()
    assert metrics.test_r2 is not None and metrics.test_r2 > 0.8
