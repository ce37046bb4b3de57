"""Optimizer updates against hand-written formulas (and PyTorch), regularization, clipping,
schedules, optimizer state, and the perceptron rule of a single step neuron."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.compiler.compile import compile_design
from core.design import registry
from core.design.design import Design
from core.engine import backend
from core.engine.optimizers import clip_by_norm, make_optimizer, regularize
from core.training.trainer import Trainer

# These check the maths on host arrays; test_gpu compares a CuPy run with a NumPy one.
pytestmark = pytest.mark.skipif(backend.is_gpu, reason="runs on the NumPy backend "
                                "(NCANVAS_BACKEND=numpy)")

W0 = np.array([0.5, -1.0, 2.0, 0.0, 0.3])
G1 = np.array([0.2, -0.4, 1.5, 0.01, -0.0])
G2 = np.array([-0.1, -0.3, 0.7, 0.5, 0.2])
LR = 0.1


def _expected_two_steps(name: str, p: dict) -> np.ndarray:
    """Two updates written out the way PyTorch documents them."""
    w, g1, g2, lr = W0.copy(), G1, G2, LR
    if name == "sgd":
        return w - lr * g1 - lr * g2
    if name == "momentum":
        mu = p["momentum"]
        v1 = g1
        v2 = mu * v1 + g2
        return w - lr * v1 - lr * v2
    if name == "nesterov":
        mu = p["momentum"]
        v1 = g1
        w = w - lr * (g1 + mu * v1)
        v2 = mu * v1 + g2
        return w - lr * (g2 + mu * v2)
    if name == "rmsprop":
        rho, eps = p["rho"], p["eps"]
        s1 = (1 - rho) * g1**2
        w = w - lr * g1 / (np.sqrt(s1) + eps)
        s2 = rho * s1 + (1 - rho) * g2**2
        return w - lr * g2 / (np.sqrt(s2) + eps)
    b1, b2, eps = p["beta1"], p["beta2"], p["eps"]
    m = v = np.zeros_like(w)
    for t, g in ((1, g1), (2, g2)):
        if name == "adamw":
            w = w * (1 - lr * p["weight_decay"])
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return w


CASES = [
    ("sgd", {}),
    ("momentum", {}),
    ("momentum", {"momentum": 0.5}),
    ("nesterov", {}),
    ("nesterov", {"momentum": 0.7}),
    ("rmsprop", {}),
    ("rmsprop", {"rho": 0.9, "eps": 1e-6}),
    ("adam", {}),
    ("adam", {"beta1": 0.8, "beta2": 0.95, "eps": 1e-4}),
    ("adamw", {}),
    ("adamw", {"weight_decay": 0.2, "beta1": 0.5}),
]


def test_every_optimizer_is_covered():
    assert {name for name, _ in CASES} == set(registry.optimizers)


@pytest.mark.parametrize(("name", "params"), CASES, ids=[f"{n}{p or ''}" for n, p in CASES])
def test_two_steps_match_the_formula(name, params):
    opt = make_optimizer(name, W0.size, np.float64, params)
    w = W0.copy()
    opt.step(w, G1.copy(), LR)
    opt.step(w, G2.copy(), LR)
    np.testing.assert_allclose(w, _expected_two_steps(name, opt.params), rtol=1e-14, atol=1e-15)


def test_optimizer_does_not_change_the_gradient():
    for name in registry.optimizers:
        opt = make_optimizer(name, W0.size, np.float64)
        g = G1.copy()
        opt.step(W0.copy(), g, LR)
        np.testing.assert_array_equal(g, G1)


def _torch_optimizer(torch, name, param, p):
    if name == "sgd":
        return torch.optim.SGD([param], lr=LR)
    if name in ("momentum", "nesterov"):
        return torch.optim.SGD([param], lr=LR, momentum=p["momentum"], nesterov=name == "nesterov")
    if name == "rmsprop":
        return torch.optim.RMSprop([param], lr=LR, alpha=p["rho"], eps=p["eps"])
    betas = (p["beta1"], p["beta2"])
    if name == "adam":
        return torch.optim.Adam([param], lr=LR, betas=betas, eps=p["eps"])
    return torch.optim.AdamW([param], lr=LR, betas=betas, eps=p["eps"], weight_decay=p["weight_decay"])


@pytest.mark.parametrize(("name", "params"), CASES, ids=[f"{n}{p or ''}" for n, p in CASES])
def test_five_steps_match_torch(name, params):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    opt = make_optimizer(name, 6, np.float64, params)
    w = rng.normal(size=6)
    param = torch.nn.Parameter(torch.tensor(w.copy(), dtype=torch.float64))
    reference = _torch_optimizer(torch, name, param, opt.params)
    for k in range(5):
        g = rng.normal(size=6)
        lr = LR * (0.9**k)  # a schedule may change the rate between steps
        for group in reference.param_groups:
            group["lr"] = lr
        param.grad = torch.tensor(g, dtype=torch.float64)
        reference.step()
        opt.step(w, g, lr)
        np.testing.assert_allclose(w, param.detach().numpy(), rtol=1e-6, atol=1e-12)


# ---------------------------------------------------------------------------- state
@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"])
def test_state_dict_round_trip_continues_identically(name):
    rng = np.random.default_rng(1)
    grads = [rng.normal(size=5) for _ in range(6)]
    first = make_optimizer(name, 5, np.float64)
    w = W0.copy()
    for g in grads[:3]:
        first.step(w, g, LR)
    state = first.state_dict()
    assert int(state["t"][0]) == first.t
    second = make_optimizer(name, 5, np.float64)
    second.load_state_dict(state)
    for array in state.values():  # a copy: changing it changes nothing
        array[...] = 0
    w_second = w.copy()
    for g in grads[3:]:
        first.step(w, g, LR)
        second.step(w_second, g, LR)
    np.testing.assert_array_equal(w, w_second)
    assert first.t == second.t


def test_fresh_optimizer_differs_from_a_restored_one():
    """The state really matters: without it, Adam's next step is not the same."""
    first = make_optimizer("adam", 5, np.float64)
    w = W0.copy()
    first.step(w, G1, LR)
    restored, fresh = make_optimizer("adam", 5, np.float64), make_optimizer("adam", 5, np.float64)
    restored.load_state_dict(first.state_dict())
    a, b = w.copy(), w.copy()
    restored.step(a, G2, LR)
    fresh.step(b, G2, LR)
    assert not np.allclose(a, b)


# ---------------------------------------------------------------------------- regularization
def _dense_design(activation="prelu") -> Design:
    d = Design()
    d.set_dataset("gaussian")
    d.set_training(loss="softmax_cross_entropy")
    data = d.add_node("data")
    hidden = d.add_node("dense", {"units": 3, "activation": activation})
    out = d.add_node("dense", {"units": 2, "activation": "softmax"})
    d.add_connection(data.id, hidden.id)
    d.add_connection(hidden.id, out.id)
    return d


def _offsets(model) -> dict[tuple[int, str], np.ndarray]:
    """Where each op's parameter sits in the flat buffer."""
    saved = model.flat.copy()
    model.load_flat(np.arange(model.size, dtype=np.float64))
    where = {(i, name): np.asarray(v).astype(int).ravel().copy()
             for i, op in enumerate(model.ops) for name, v in op.params.items()}
    model.load_flat(saved)
    return where


def test_decay_mask_covers_kernels_only():
    model = compile_design(_dense_design(), dtype="float64").model
    mask = np.asarray(model.decay_mask)
    for (_, name), index in _offsets(model).items():
        assert np.all(mask[index] == (1 if name == "kernel" else 0)), name


def test_l1_l2_touch_weights_and_not_biases():
    model = compile_design(_dense_design(), dtype="float64").model
    rng = np.random.default_rng(2)
    w = rng.normal(size=model.size)
    g = rng.normal(size=model.size)
    out = g.copy()
    regularize(w, out, model.decay_mask, l1=0.03, l2=0.2)
    for (_, name), index in _offsets(model).items():
        if name == "kernel":
            expected = g[index] + 0.2 * w[index] + 0.03 * np.sign(w[index])
            np.testing.assert_allclose(out[index], expected, rtol=1e-15)
        else:
            np.testing.assert_array_equal(out[index], g[index])


def _one_update(design, index=3):
    trainer = Trainer(design, dtype="float64")
    before = trainer.model.parameters_numpy()
    trainer.present_one(index)
    return trainer, before, trainer.model.parameters_numpy()


def test_l2_in_a_training_step_shrinks_weights_and_leaves_biases():
    plain = _dense_design()
    plain.set_training(optimizer="sgd", learning_rate=0.1, l2=0.0)
    decayed = _dense_design()
    decayed.set_training(optimizer="sgd", learning_rate=0.1, l2=0.5)
    trainer, start, after_plain = _one_update(plain)
    _, start2, after_decayed = _one_update(decayed)
    np.testing.assert_array_equal(start, start2)
    mask = np.asarray(trainer.model.decay_mask)
    np.testing.assert_allclose(after_decayed - after_plain, -0.1 * 0.5 * start * mask, atol=1e-15)
    assert np.all(after_decayed[mask == 0] == after_plain[mask == 0])


@pytest.mark.parametrize("optimizer", ["momentum", "adam", "adamw", "rmsprop"])
def test_absent_wires_stay_zero_under_every_update(optimizer):
    d = Design()
    d.set_dataset("gaussian")
    d.set_training(loss="mse", optimizer=optimizer, l1=0.01, l2=0.01, batch_size=16, epochs=2)
    x1 = d.add_node("input", {"feature": "x1"}).id
    x2 = d.add_node("input", {"feature": "x2"}).id
    a = d.add_node("neuron", {"activation": "tanh"}).id
    b = d.add_node("neuron", {"activation": "relu"}).id
    out = d.add_node("neuron", {"activation": "tanh"}).id
    for s, t in ((x1, a), (x2, b), (a, out), (b, out), (x2, out)):  # x2 ↛ a, x1 ↛ b
        d.add_connection(s, t)
    trainer = Trainer(d, dtype="float64")
    layer = trainer.model.ops[0]
    absent = ~layer.layer.mask
    assert absent.any()
    trainer.train()
    assert np.all(np.asarray(layer.params["kernel"])[absent] == 0)
    assert np.any(np.asarray(layer.params["kernel"])[~absent] != 0)


# ---------------------------------------------------------------------------- clipping, schedules
def test_clip_by_norm():
    g = np.array([3.0, 4.0, 0.0])
    clip_by_norm(g, 1.0)
    np.testing.assert_allclose(g, [0.6, 0.8, 0.0], rtol=1e-15)
    small = np.array([0.3, -0.4])
    clip_by_norm(small, 1.0)
    np.testing.assert_array_equal(small, [0.3, -0.4])
    off = np.array([30.0, 40.0])
    clip_by_norm(off, 0.0)  # 0: no clipping
    np.testing.assert_array_equal(off, [30.0, 40.0])
    big = np.random.default_rng(3).normal(size=50) * 10
    direction = big / np.linalg.norm(big)
    clip_by_norm(big, 2.5)
    assert np.linalg.norm(big) == pytest.approx(2.5, rel=1e-14)
    np.testing.assert_allclose(big / 2.5, direction, rtol=1e-13)


def test_schedules():
    constant = registry.schedules.get("constant")
    step = registry.schedules.get("step")
    cosine = registry.schedules.get("cosine")
    assert [constant(0.1, e, 100, {}) for e in (0, 50, 100)] == [0.1, 0.1, 0.1]
    assert [step(0.8, e, 100, {}) for e in (0, 9, 10, 19, 20, 35)] == [0.8, 0.8, 0.4, 0.4, 0.2, 0.1]
    assert [step(1.0, e, 100, {"step_size": 3, "gamma": 0.1}) for e in (0, 2, 3, 6)] == pytest.approx(
        [1.0, 1.0, 0.1, 0.01])
    assert cosine(0.1, 0, 100, {}) == pytest.approx(0.1)
    assert cosine(0.1, 50, 100, {}) == pytest.approx(0.05)
    assert cosine(0.1, 25, 100, {}) == pytest.approx(0.05 * (1 + math.cos(math.pi / 4)))
    assert cosine(0.1, 100, 100, {}) == pytest.approx(0.0, abs=1e-15)
    assert cosine(0.1, 130, 100, {}) == pytest.approx(0.0, abs=1e-15)
    assert cosine(0.1, 50, 100, {"min_lr": 0.02}) == pytest.approx(0.06)
    assert cosine(0.1, 100, 100, {"min_lr": 0.02}) == pytest.approx(0.02)


# ---------------------------------------------------------------------------- the perceptron
CRICKET = ("weather", "music", "company", "money")


def _perceptron(initializer: str, learning_rate: float, epochs: int = 50) -> Design:
    d = Design()
    d.set_dataset("cricket")
    ins = [d.add_node("input", {"feature": f}).id for f in CRICKET]
    neuron = d.add_node("neuron", {"activation": "step", "initializer": initializer}).id
    for i in ins:
        d.add_connection(i, neuron)
    d.set_training(loss="mse", optimizer="sgd", batch_size=1, learning_rate=learning_rate,
                   test_fraction=0.0, epochs=epochs, target_accuracy=1.0)
    return d


@pytest.mark.parametrize(("initializer", "learning_rate"), [("zeros", 1.0), ("auto", 0.1)])
def test_perceptron_learns_cricket_within_50_epochs(initializer, learning_rate):
    design = _perceptron(initializer, learning_rate)
    trainer = Trainer(design, dtype="float64")
    assert trainer.build.rule == "perceptron"
    if initializer == "zeros":
        assert not np.any(trainer.model.parameters_numpy())
    metrics = trainer.train()
    assert trainer.epoch <= 50
    assert metrics.train_accuracy == 1.0
    # every one of the 625 rows, classified the slow way from the learned weights
    data = trainer.build.data
    outputs = trainer.model.forward(trainer.build.feature_rows(data.X))[:, 0]
    np.testing.assert_array_equal(outputs == 1.0, data.y == 1)
    # once nothing is misclassified the rule makes no change at all
    before = trainer.model.parameters_numpy()
    trainer.train(trainer.epoch + 1)
    np.testing.assert_array_equal(trainer.model.parameters_numpy(), before)


def test_one_perceptron_update_is_lr_times_error_times_input():
    lr = 0.25
    trainer = Trainer(_perceptron("auto", lr), dtype="float64")
    model, build = trainer.model, trainer.build
    X = np.asarray(trainer.X_train)
    targets = np.asarray(trainer.T_train)[:, 0]
    nmap = build.neuron_maps[0]
    op = model.ops[nmap.op_index]
    feature_of = {c.id: CRICKET.index(trainer.design.nodes[c.source].params["feature"])
                  for c in trainer.design.connections.values()}
    for pick in (0, -1):
        outputs = np.asarray(model.forward(trainer.X_train))[:, 0]
        wrong = np.flatnonzero(outputs != targets)
        assert len(wrong) > 0
        index = int(wrong[pick])
        kernel, bias = np.asarray(op.params["kernel"]).copy(), np.asarray(op.params["bias"]).copy()
        x, t, y = X[index], targets[index], outputs[index]
        assert abs(t - y) == 1
        trainer.present_one(index)
        for cid, row, col in nmap.wires:  # lr is a power of two: every product is exact
            assert op.params["kernel"][row, col] == kernel[row, col] + lr * (t - y) * x[feature_of[cid]]
        assert op.params["bias"][0] == bias[0] + lr * (t - y)
    outputs = np.asarray(model.forward(trainer.X_train))[:, 0]
    right = np.flatnonzero(outputs == targets)[0]
    before = model.parameters_numpy()
    trainer.present_one(int(right))  # a correctly classified sample changes nothing
    np.testing.assert_array_equal(model.parameters_numpy(), before)
