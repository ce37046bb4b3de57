"""The BatchNorm block: PyTorch's numbers in training and predicting, its gradient alone and in a
compiled model, running statistics that no optimizer moves, learning, saving and its messages."""

from __future__ import annotations

import numpy as np
import pytest

from core.compiler.compile import compile_design
from core.compiler.validation import check_design
from core.design import registry
from core.design.design import Design
from core.engine import backend
from core.engine.backend import to_device, to_numpy
from core.engine.blocks.batchnorm import BatchNormLayer
from core.files.fileformat import load_design, save_design
from core.training.trainer import Trainer
from tests.core.gradient_checks import numeric_gradient, rel_error

TOL = 1e-6
host_only = pytest.mark.skipif(backend.is_gpu, reason="finite differences on host arrays")


def host(array) -> np.ndarray:
    return to_numpy(array)


def random_params(layer: BatchNormLayer, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """γ and β away from 1 and 0, running statistics away from 0 and 1 (host float64)."""
    f = layer.features
    return {"gamma": rng.uniform(0.5, 2.0, f) * rng.choice([-1, 1], f), "beta": rng.normal(size=f),
            "running_mean": rng.normal(size=f), "running_var": rng.uniform(0.5, 3.0, f)}


def mlp_design(epochs: int = 12, optimizer: str = "adam", seed: int = 0, **training) -> Design:
    """Data(digits) → Dense 32 relu → BatchNorm → Dense 10 softmax."""
    d = Design()
    d.set_dataset("digits")
    d.set_training(loss="softmax_cross_entropy", optimizer=optimizer, learning_rate=0.003,
                   batch_size=32, epochs=epochs, seed=seed, test_fraction=0.25, **training)
    d.add_node("data", node_id="data")
    d.add_node("dense", {"units": 32, "activation": "relu"}, node_id="hidden")
    d.add_node("batchnorm", {"momentum": 0.1, "epsilon": 1e-5}, node_id="bn")
    d.add_node("dense", {"units": 10, "activation": "softmax"}, node_id="out")
    d.add_connection("data", "hidden")
    d.add_connection("hidden", "bn")
    d.add_connection("bn", "out")
    return d


def cnn_design(epochs: int = 3) -> Design:
    """Data(digits) → Reshape 8×8×1 → Conv2D 3 tanh → BatchNorm → Flatten → Dense 10 softmax."""
    d = Design()
    d.set_dataset("digits")
    d.set_training(loss="softmax_cross_entropy", optimizer="adam", learning_rate=0.003,
                   batch_size=32, epochs=epochs, test_fraction=0.25)
    chain = [("data", {}), ("reshape", {"shape": "8,8,1"}),
             ("conv2d", {"filters": 3, "kernel_size": 3, "activation": "tanh"}),
             ("batchnorm", {}), ("flatten", {}), ("dense", {"units": 10, "activation": "softmax"})]
    ids = []
    for kind, params in chain:
        ids.append(d.add_node(kind, {**registry.blocks.get(kind).default_params(), **params},
                              node_id=kind).id)
    for source, target in zip(ids, ids[1:], strict=False):
        d.add_connection(source, target)
    return d


# ---------------------------------------------------------------------------- the layer alone
@host_only
@pytest.mark.parametrize("shape", [(5,), (4, 3, 2), (6, 4)], ids=["flat", "image", "sequence"])
@pytest.mark.parametrize("training", [True, False], ids=["training", "predicting"])
def test_gradients_of_x_gamma_and_beta_match_finite_differences(shape, training):
    rng = np.random.default_rng(3)
    layer = BatchNormLayer(shape)
    p = random_params(layer, rng)
    x = rng.normal(1.0, 2.0, size=(4, *shape))
    weights = rng.normal(size=x.shape)

    def loss():  # training moves the running statistics, which its output does not read
        return float((layer.forward(p, x, training)[0] * weights).sum())

    _, cache = layer.forward(p, x, training)
    g = {name: np.full(v.shape, np.nan) for name, v in p.items()}
    dx = layer.backward(p, cache, weights.copy(), g, True)
    assert dx.shape == x.shape
    for name, array in [("x", x), ("gamma", p["gamma"]), ("beta", p["beta"])]:
        analytic = dx if name == "x" else g[name]
        err = rel_error(analytic.reshape(-1), numeric_gradient(loss, array))
        assert err < TOL, f"{name}: relative error {err:.2e}"
    assert not g["running_mean"].any() and not g["running_var"].any()
    assert layer.backward(p, cache, weights, g, False) is None


def test_a_flat_batch_of_an_image_comes_back_shaped_and_its_gradient_flat():
    layer = BatchNormLayer((3, 3, 2))
    p = layer.initial_params(np.random.default_rng(0))
    x = np.random.default_rng(1).normal(size=(5, 18))
    y, cache = layer.forward(p, x, training=True)
    assert y.shape == (5, 3, 3, 2)
    shaped, _ = layer.forward(p, x.reshape(5, 3, 3, 2), training=True)
    np.testing.assert_array_equal(y, shaped)
    g = {name: np.zeros(v.shape) for name, v in p.items()}
    assert layer.backward(p, cache, np.ones(y.shape), g, True).shape == (5, 18)


def test_training_gives_each_channel_mean_zero_and_variance_one():
    layer = BatchNormLayer((4, 4, 3))
    p = layer.initial_params(np.random.default_rng(0))
    x = np.random.default_rng(1).normal(5.0, [1.0, 10.0, 0.1], size=(6, 4, 4, 3))
    y, _ = layer.forward(p, x, training=True)
    np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), 0.0, atol=1e-12)
    v = x.var(axis=(0, 1, 2))
    np.testing.assert_allclose(y.var(axis=(0, 1, 2)), v / (v + 1e-5), rtol=1e-12)  # ε: a hair under 1


def test_one_sample_trains_to_beta_keeps_the_running_variance_and_stays_finite():
    layer = BatchNormLayer((4,), momentum=0.5)
    p = random_params(layer, np.random.default_rng(0))
    before_var = p["running_var"].copy()
    before_mean = p["running_mean"].copy()
    x = np.array([[1.0, -2.0, 3.0, 40.0]])
    y, cache = layer.forward(p, x, training=True)
    np.testing.assert_array_equal(y, p["beta"][None, :])
    np.testing.assert_array_equal(p["running_var"], before_var)  # one value has no spread
    np.testing.assert_allclose(p["running_mean"], 0.5 * before_mean + 0.5 * x[0])
    g = {name: np.zeros(v.shape) for name, v in p.items()}
    dx = layer.backward(p, cache, np.ones_like(x), g, True)
    assert np.isfinite(dx).all() and not dx.any()
    # an image sample has H·W values per channel: its variance is real and is averaged in
    image = BatchNormLayer((2, 2, 1))
    q = image.initial_params(np.random.default_rng(0))
    image.forward(q, np.arange(4.0).reshape(1, 2, 2, 1), training=True)
    np.testing.assert_allclose(q["running_var"], 0.9 + 0.1 * np.var(np.arange(4.0), ddof=1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_dtype_goes_through(dtype):
    layer = BatchNormLayer((3,))
    p = {k: to_device(v, dtype) for k, v in layer.initial_params(np.random.default_rng(0)).items()}
    x = to_device(np.random.default_rng(1).normal(size=(8, 3)), dtype)
    for training in (True, False):
        y, cache = layer.forward(p, x, training)
        g = {k: to_device(np.zeros(v.shape), dtype) for k, v in p.items()}
        dx = layer.backward(p, cache, y, g, True)
        assert y.dtype == dtype and dx.dtype == dtype and p["running_var"].dtype == dtype


# ---------------------------------------------------------------------------- PyTorch's numbers
def torch_case(shape):
    """The torch module for a per-sample shape, and how our channels-last batch maps onto it."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    features = shape[-1]
    if len(shape) == 3:
        module = torch.nn.BatchNorm2d(features, momentum=0.2, eps=1e-3, dtype=torch.float64)
        to_torch, back = (0, 3, 1, 2), (0, 2, 3, 1)  # NHWC ↔ NCHW
    elif len(shape) == 2:
        module = torch.nn.BatchNorm1d(features, momentum=0.2, eps=1e-3, dtype=torch.float64)
        to_torch = back = (0, 2, 1)  # (N, T, F) ↔ (N, F, T)
    else:
        module = torch.nn.BatchNorm1d(features, momentum=0.2, eps=1e-3, dtype=torch.float64)
        to_torch = back = (0, 1)
    return torch, module, to_torch, back


@pytest.mark.parametrize("shape", [(6,), (5, 4, 3), (7, 4)], ids=["flat", "image", "sequence"])
def test_training_and_predicting_equal_torch_batchnorm(shape):
    torch, module, to_torch, back = torch_case(shape)
    rng = np.random.default_rng(0)
    layer = BatchNormLayer(shape, momentum=0.2, epsilon=1e-3)
    p = layer.initial_params(rng)
    p["gamma"], p["beta"] = rng.normal(size=shape[-1]), rng.normal(size=shape[-1])
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(p["gamma"]))
        module.bias.copy_(torch.from_numpy(p["beta"]))

    def theirs(x):
        return module(torch.from_numpy(x).permute(*to_torch)).permute(*back)

    module.train()
    for step in range(4):
        x = rng.normal(step, 1.0 + step, size=(3 + step, *shape))
        ours, cache = layer.forward(p, x, training=True)
        expected = theirs(x.copy())
        np.testing.assert_allclose(ours, expected.detach().numpy(), rtol=0, atol=1e-12)
        # and the gradient PyTorch's autograd finds
        source = torch.from_numpy(x.copy()).requires_grad_(True)
        module.weight.grad = module.bias.grad = None
        upstream = rng.normal(size=x.shape)
        with torch.no_grad():
            stats = (module.running_mean.clone(), module.running_var.clone())
        out = module(source.permute(*to_torch)).permute(*back)
        (out * torch.from_numpy(upstream)).sum().backward()
        with torch.no_grad():  # undo the extra pass's move of the running statistics
            module.running_mean.copy_(stats[0])
            module.running_var.copy_(stats[1])
        g = {name: np.zeros(v.shape) for name, v in p.items()}
        dx = layer.backward(p, cache, upstream, g, True)
        np.testing.assert_allclose(dx, source.grad.numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(g["gamma"], module.weight.grad.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g["beta"], module.bias.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(p["running_mean"], module.running_mean.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(p["running_var"], module.running_var.numpy(), rtol=0, atol=1e-12)

    module.eval()
    x = rng.normal(size=(5, *shape))
    ours, _ = layer.forward(p, x, training=False)
    np.testing.assert_allclose(ours, theirs(x).detach().numpy(), rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------- in a compiled model
def flat_offset(model, view) -> int:
    return (view.ctypes.data - model.flat.ctypes.data) // model.flat.itemsize


@host_only
@pytest.mark.parametrize("make", [mlp_design, cnn_design], ids=["flat", "image"])
def test_a_compiled_model_through_batchnorm_has_the_finite_difference_gradient(make):
    build = compile_design(make(), dtype="float64")
    model = build.model
    bn = next(op for op in model.ops if isinstance(op.layer, BatchNormLayer))
    upstream = model.ops[model.ops.index(bn) - 1]
    take = np.random.default_rng(0).choice(build.data.num_samples, size=12, replace=False)
    x = build.feature_rows(build.data.X[take])
    t = build.encode_targets(build.data.y[take])
    rng = np.random.default_rng(1)
    model.set_param(model.ops.index(bn), "gamma", rng.uniform(0.5, 1.5, bn.layer.features))
    model.set_param(model.ops.index(bn), "beta", rng.normal(0.0, 0.3, bn.layer.features))
    model.grad[...] = np.nan
    model.loss_and_gradients(x, t, build.loss, build.rule)
    analytic = model.grad.copy()

    def objective():
        slots, _ = model.forward_all(x, training=True, activate_output=False)
        return float(build.loss.value_logits(slots[model.output_op.out_slot], t))

    def coords(op, name):
        start = flat_offset(model, op.params[name])
        return list(range(start, start + op.params[name].size))

    # every γ, β and running statistic, and weights before BatchNorm: its dx feeds their gradient
    picked = [i for name in bn.params for i in coords(bn, name)]
    before = coords(upstream, "kernel")
    picked += list(np.random.default_rng(2).choice(before, size=min(40, len(before)), replace=False))
    numeric = numeric_gradient(objective, model.flat, picked)
    assert rel_error(analytic[picked], numeric) < TOL
    for name in ("gamma", "beta"):
        assert np.any(bn.grads[name] != 0)
    assert not bn.grads["running_mean"].any() and not bn.grads["running_var"].any()
    assert not np.isnan(analytic).any()


def record_inputs(layer: BatchNormLayer) -> list[np.ndarray]:
    """Keep a copy of every batch the layer normalises while training."""
    seen: list[np.ndarray] = []
    forward = layer.forward

    def recording(p, x, training=False, rng=None):
        if training:
            seen.append(host(x).reshape(-1, layer.features).astype(np.float64))
        return forward(p, x, training, rng)

    layer.forward = recording
    return seen


OPTIMIZERS = [(name, {}) for name in registry.optimizers]
OPTIMIZERS.append(("adamw", {"weight_decay": 0.1}))  # its decay must leave the statistics alone


@pytest.mark.parametrize(("optimizer", "settings"), OPTIMIZERS, ids=[o for o, _ in OPTIMIZERS])
def test_no_optimizer_moves_the_running_statistics(optimizer, settings):
    d = mlp_design(epochs=1, optimizer=optimizer, optimizer_params=settings, l1=1e-3, l2=1e-3,
                   clip_norm=1.0, dtype="float64")
    trainer = Trainer(d)
    bn = next(op for op in trainer.model.ops if isinstance(op.layer, BatchNormLayer))
    seen = record_inputs(bn.layer)
    gamma_before = host(bn.params["gamma"]).copy()
    trainer.fit_steps(6)
    assert len(seen) == 6
    mean, var = np.zeros(bn.layer.features), np.ones(bn.layer.features)
    for batch in seen:  # the momentum average, by hand
        mean = 0.9 * mean + 0.1 * batch.mean(axis=0)
        var = 0.9 * var + 0.1 * batch.var(axis=0, ddof=1)
    np.testing.assert_allclose(host(bn.params["running_mean"]), mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(host(bn.params["running_var"]), var, rtol=1e-12, atol=1e-12)
    assert not np.array_equal(host(bn.params["gamma"]), gamma_before)  # the optimizer does work
    assert not host(bn.grads["running_mean"]).any() and not host(bn.grads["running_var"]).any()


# ---------------------------------------------------------------------------- learning and saving
def test_the_digits_learn_through_batchnorm_and_reopen_with_the_same_predictions(tmp_path):
    d = mlp_design(epochs=12)
    trainer = Trainer(d)
    metrics = trainer.train()
    assert metrics.test_accuracy >= 0.93
    trainer.write_back()
    stats = d.parameters["bn"]
    assert not np.allclose(stats["running_mean"], 0.0) and not np.allclose(stats["running_var"], 1.0)
    path = tmp_path / "bn.ncanvas"
    save_design(d, path)
    again = load_design(path)
    for name in ("gamma", "beta", "running_mean", "running_var"):
        assert again.parameters["bn"][name].shape == (32,)
        np.testing.assert_array_equal(again.parameters["bn"][name], stats[name])

    reopened = Trainer(again)
    bn = reopened.model.ops[reopened.build.block_ops["bn"]]
    np.testing.assert_array_equal(host(bn.params["running_var"]), stats["running_var"])
    first = host(trainer.model.forward(trainer.X_test))
    after = host(reopened.model.forward(reopened.X_test))
    np.testing.assert_array_equal(after, first)
    assert reopened.evaluate().test_accuracy == metrics.test_accuracy
    # predicting reads the running statistics, not the batch's: one sample alone gets the same
    one = host(reopened.model.forward(reopened.X_test[:1]))
    np.testing.assert_allclose(one, after[:1], rtol=1e-5, atol=1e-6)


def test_a_cnn_with_batchnorm_learns_the_digits():
    metrics = Trainer(cnn_design(epochs=6)).train()
    assert metrics.test_accuracy >= 0.93


def test_batchnorm_can_be_the_output_of_a_regression():
    d = Design()
    d.set_dataset("plane", {"n": 100}, seed=0)
    d.set_training(loss="mse", optimizer="adam", learning_rate=0.05, batch_size=10, epochs=15)
    d.add_node("data", node_id="data")
    d.add_node("dense", {"units": 1, "activation": "identity"}, node_id="fit")
    d.add_node("batchnorm", {"momentum": 0.1, "epsilon": 1e-5}, node_id="bn")
    d.add_connection("data", "fit")
    d.add_connection("fit", "bn")
    trainer = Trainer(d)
    first = trainer.evaluate().train_loss
    metrics = trainer.train()
    assert np.isfinite(metrics.train_loss) and metrics.train_loss < first


def test_one_sample_at_a_time_trains_without_a_nan():
    trainer = Trainer(mlp_design(epochs=1))
    for index in range(5):
        trainer.present_one(index)
    assert np.isfinite(host(trainer.model.flat)).all()


# ---------------------------------------------------------------------------- the block kind
def test_the_kind_is_registered_with_its_palette_text_and_settings():
    kind = registry.blocks.get("batchnorm")
    assert (kind.label, kind.category, kind.icon) == ("BatchNorm", "layers", "mdi6.chart-bell-curve")
    assert kind.description
    assert kind.default_params() == {"momentum": 0.1, "epsilon": 1e-5}
    assert kind.param_problems({"momentum": 0.0, "epsilon": 1e-3}) == []
    assert any("above the maximum" in p for p in kind.param_problems({"momentum": 1.5, "epsilon": 1e-5}))
    assert any("below the minimum" in p for p in kind.param_problems({"momentum": -0.1, "epsilon": 1e-5}))
    assert any("below the minimum" in p for p in kind.param_problems({"momentum": 0.1, "epsilon": 0.0}))
    assert any("not a finite number" in p for p in kind.param_problems({"momentum": "fast", "epsilon": 1e-5}))
    assert any("missing its parameter 'epsilon'" in p for p in kind.param_problems({"momentum": 0.1}))
    layer = kind.build(kind.default_params(), (8, 8, 16))
    assert (layer.n_in, layer.n_out, layer.in_shape, layer.out_shape) == (1024, 1024, (8, 8, 16), (8, 8, 16))
    assert layer.param_shapes() == {name: (16,) for name in ("gamma", "beta", "running_mean", "running_var")}
    initial = layer.initial_params(np.random.default_rng(0))
    assert all(v.dtype == np.float64 for v in initial.values())
    assert (initial["gamma"] == 1).all() and (initial["running_var"] == 1).all()
    assert not initial["beta"].any() and not initial["running_mean"].any()
    assert layer.decay == () and not layer.stochastic


def test_its_shapes_and_messages():
    kind = registry.blocks.get("batchnorm")
    params = kind.default_params()
    assert kind.output_shape(params, [(10,)]) == (10,)
    assert kind.output_shape(params, [(8, 8, 3)]) == (8, 8, 3)
    assert kind.output_shape(params, []) == "BatchNorm takes one input"
    assert kind.output_shape(params, [(4,), (8, 8, 1)]) == "BatchNorm takes one input"
    assert "needs an input with a size" in kind.output_shape(params, [(0,)])
    with pytest.raises(ValueError, match="momentum"):
        BatchNormLayer((3,), momentum=2.0)
    with pytest.raises(ValueError, match="epsilon"):
        BatchNormLayer((3,), epsilon=0.0)


def test_a_design_names_a_batchnorm_with_no_input_and_passes_an_image_through():
    d = Design()
    d.set_dataset("digits")
    d.set_training(loss="softmax_cross_entropy")
    lonely = d.add_node("batchnorm", registry.blocks.get("batchnorm").default_params()).id
    problems = [p for p in check_design(d)[0] if p.severity == "error"]
    assert any("batchnorm has no incoming connection" in p.message and p.node_ids == (lonely,)
               for p in problems), problems

    problems, structure = check_design(cnn_design())
    assert [p for p in problems if p.severity == "error"] == []
    assert structure.shapes["batchnorm"] == (8, 8, 3)


def test_flat_neurons_wired_into_batchnorm_are_one_vector():
    d = Design()
    d.set_dataset("xor", {"n": 40}, seed=0)
    d.set_training(loss="binary_cross_entropy")
    for name in ("x1", "x2"):
        d.add_node("input", {"feature": name}, node_id=name)
    d.add_node("batchnorm", registry.blocks.get("batchnorm").default_params(), node_id="bn")
    d.add_node("dense", {"units": 1, "activation": "sigmoid"}, node_id="out")
    d.add_connection("x1", "bn")
    d.add_connection("x2", "bn")
    d.add_connection("bn", "out")
    problems, structure = check_design(d)
    assert [p for p in problems if p.severity == "error"] == []
    assert structure.shapes["bn"] == (2,)
    Trainer(d).fit_steps(3)
