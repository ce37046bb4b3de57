"""Finite-difference checks, in float64, of every activation, loss, layer and compiled model gradient."""

from __future__ import annotations

import numpy as np
import pytest

from core.design import registry
from core.design.design import Design
from core.engine import backend
from core.engine.activations import make_activation
from core.engine.blocks.dense import ActivationGroup, DenseKind, LinearLayer
from core.engine.losses import make_loss
from tests.core.gradient_checks import TOL, H, model_check, numeric_gradient, rel_error

# These check the maths on host arrays; test_gpu compares a CuPy run with a NumPy one.
pytestmark = pytest.mark.skipif(backend.is_gpu, reason="runs on the NumPy backend "
                                "(NCANVAS_BACKEND=numpy)")

NON_DEFAULT = {"leaky_relu": {"slope": 0.2}, "rrelu": {"lower": 0.1, "upper": 0.4},
               "prelu": {"slope": -0.7}, "elu": {"alpha": 0.6}}






def away_from_zero(rng: np.random.Generator, shape, scale: float = 3.0) -> np.ndarray:
    z = rng.normal(0.0, scale, size=shape)
    return np.where(np.abs(z) < 1e-3, np.sign(z + 1e-12) * (1e-3 + np.abs(z)), z)


# ---------------------------------------------------------------------------- activations
def _cases():
    for name in registry.activations:
        yield pytest.param(name, {}, id=name)
        if name in NON_DEFAULT:
            yield pytest.param(name, NON_DEFAULT[name], id=f"{name}-params")


@pytest.mark.parametrize(("name", "params"), list(_cases()))
def test_activation_backward_matches_finite_differences(name, params):
    rng = np.random.default_rng(1)
    act = make_activation(name, params)
    z = away_from_zero(rng, (7, 5))
    da = rng.normal(size=z.shape)

    a, cache = act.forward(z)
    dz, _ = act.backward(da, cache)
    assert dz.shape == z.shape

    def objective():
        return (da * act.forward(z)[0]).sum()

    numeric = numeric_gradient(objective, z).reshape(z.shape)
    assert rel_error(dz, numeric) < TOL
    if name == "step":
        assert not dz.any()
    if act.elementwise:  # the derivative plots show agrees with the chain rule
        assert rel_error(act.derivative(z) * da, numeric) < TOL
    assert np.all(np.isfinite(a))


def test_every_activation_is_covered():
    covered = {c.values[0] for c in _cases()}
    assert covered == set(registry.activations)


def test_step_backward_is_zero_everywhere():
    act = make_activation("step")
    z = np.array([[-2.0, -1e-9, 0.0, 1e-9, 3.0]])
    a, cache = act.forward(z)
    np.testing.assert_array_equal(a, [[0, 0, 1, 1, 1]])
    dz, learned = act.backward(np.ones_like(z), cache)
    np.testing.assert_array_equal(dz, np.zeros_like(z))
    assert learned == {}


def test_rrelu_training_mode_uses_the_sampled_slopes():
    act = make_activation("rrelu")
    rng = np.random.default_rng(3)
    z = away_from_zero(rng, (6, 4))
    da = rng.normal(size=z.shape)
    a, cache = act.forward(z, training=True, rng=np.random.default_rng(42))
    slopes = a[z < 0] / z[z < 0]
    lower, upper = act.params["lower"], act.params["upper"]
    assert np.all((slopes >= lower) & (slopes <= upper))
    assert np.ptp(slopes) > 0  # really sampled, not the evaluation mean
    dz, _ = act.backward(da, cache)

    def objective():  # the same seed draws the same slopes for every perturbed z
        return (da * act.forward(z, training=True, rng=np.random.default_rng(42))[0]).sum()

    assert rel_error(dz, numeric_gradient(objective, z).reshape(z.shape)) < TOL
    # evaluation mode: the mean slope
    a_eval, _ = act.forward(z)
    np.testing.assert_allclose(a_eval[z < 0], z[z < 0] * (lower + upper) / 2, rtol=1e-15)


def test_prelu_gradient_wrt_learned_slope():
    act = make_activation("prelu")
    rng = np.random.default_rng(4)
    z = away_from_zero(rng, (9, 3))
    da = rng.normal(size=z.shape)
    slope = np.array([0.25, -0.4, 1.3])
    a, cache = act.forward(z, learned={"slope": slope})
    dz, learned = act.backward(da, cache, {"slope": slope})

    def objective():
        return (da * act.forward(z, learned={"slope": slope})[0]).sum()

    assert rel_error(learned["slope"], numeric_gradient(objective, slope)) < TOL
    assert rel_error(dz, numeric_gradient(objective, z).reshape(z.shape)) < TOL


def test_softmax_full_jacobian():
    act = make_activation("softmax")
    rng = np.random.default_rng(5)
    z = rng.normal(0, 2, size=(3, 4))
    z[2] += np.array([40.0, -40.0, 0.0, 10.0])  # large logits stay stable
    a, cache = act.forward(z)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-14)
    for row in range(z.shape[0]):
        numeric_jacobian = np.zeros((4, 4))  # [i, j] = d a_i / d z_j
        for j in range(4):
            zp, zm = z.copy(), z.copy()
            zp[row, j] += H
            zm[row, j] -= H
            numeric_jacobian[:, j] = (act.forward(zp)[0][row] - act.forward(zm)[0][row]) / (2 * H)
        analytic_jacobian = np.zeros((4, 4))
        for i in range(4):  # backward of a unit vector e_i is row i of the Jacobian
            da = np.zeros_like(z)
            da[row, i] = 1.0
            analytic_jacobian[i] = act.backward(da, cache)[0][row]
        assert rel_error(analytic_jacobian, numeric_jacobian) < TOL
        da = rng.normal(size=z.shape)
        assert rel_error(act.backward(da, cache)[0][row], da[row] @ numeric_jacobian) < TOL


@pytest.mark.parametrize("name", list(registry.activations))
def test_activation_keeps_float32(name):
    act = make_activation(name)
    z = np.random.default_rng(14).normal(size=(4, 3)).astype(np.float32)
    learned = {"slope": np.full(3, 0.2, dtype=np.float32)} if act.learnable else None
    a, cache = act.forward(z, training=True, rng=np.random.default_rng(0), learned=learned)
    dz, dlearned = act.backward(np.ones_like(z), cache, learned)
    assert a.dtype == dz.dtype == act.derivative(z).dtype == np.float32
    assert all(v.dtype == np.float32 for v in dlearned.values())


# ---------------------------------------------------------------------------- losses
def _plain_outputs(name, rng, t):
    out = rng.normal(0, 1.5, size=t.shape)
    diff = out - t
    if name == "mae":  # away from the kink at out = t
        out = np.where(np.abs(diff) < 1e-3, t + 0.5, out)
    if name == "huber":  # away from |out − t| = δ
        out = np.where(np.abs(np.abs(diff) - 1.0) < 1e-3, t + 0.3, out)
    if name == "hinge":  # away from t·out = 1
        out = np.where(np.abs(1 - t * out) < 1e-3, out + 0.1, out)
    return out


PLAIN = [n for n in registry.losses if make_loss(n).fused_activation is None]
FROM_LOGITS = [n for n in registry.losses if make_loss(n).fused_activation is not None]


def test_every_loss_is_covered():
    assert set(PLAIN) | set(FROM_LOGITS) == set(registry.losses)
    assert {"mse", "mae", "huber", "hinge"} <= set(PLAIN)
    assert {"binary_cross_entropy", "softmax_cross_entropy"} <= set(FROM_LOGITS)


@pytest.mark.parametrize("name", PLAIN)
@pytest.mark.parametrize(("task", "width"), [("classification", 1), ("classification", 3),
                                             ("regression", 2)])
def test_plain_loss_gradient(name, task, width):
    loss = make_loss(name)
    rng = np.random.default_rng(6)
    n = 11
    if task == "classification":
        y = rng.integers(0, max(2, width), size=n)
        t = loss.encode_targets(y, task, width, max(2, width))
    else:
        t = loss.encode_targets(rng.normal(size=(n, width)), task, width, 0)
    assert t.shape == (n, width)
    out = _plain_outputs(name, rng, t)
    value, grad = loss.value_and_grad(out, t)
    assert grad.shape == out.shape
    numeric = numeric_gradient(lambda: loss.value_and_grad(out, t)[0], out).reshape(out.shape)
    assert rel_error(grad, numeric) < TOL
    assert float(value) == pytest.approx(float(loss.value(out, t)), rel=1e-15)


@pytest.mark.parametrize("name", list(registry.losses))
def test_loss_keeps_float32(name):
    loss = make_loss(name)
    out = np.random.default_rng(15).normal(size=(6, 1)).astype(np.float32)
    t = loss.encode_targets(np.array([0, 1, 1, 0, 1, 0]), "classification", 1, 2).astype(np.float32)
    value, grad = (loss.value_and_grad if name in PLAIN else loss.value_and_grad_logits)(out, t)
    assert np.asarray(value).dtype == grad.dtype == np.float32


def test_plain_loss_values_by_hand():
    out = np.array([[0.5], [-2.0]])
    t = np.array([[1.0], [1.0]])
    assert make_loss("mse").value(out, t) == pytest.approx((0.25 + 9) / 2 / 2)
    assert make_loss("mae").value(out, t) == pytest.approx((0.5 + 3) / 2)
    assert make_loss("huber").value(out, t) == pytest.approx((0.125 + 2.5) / 2)
    assert make_loss("hinge").value(out, t) == pytest.approx((0.5 + 3) / 2)
    hinge_t = make_loss("hinge").encode_targets(np.array([0, 1]), "classification", 1, 2)
    np.testing.assert_array_equal(hinge_t, [[-1.0], [1.0]])


@pytest.mark.parametrize("name", FROM_LOGITS)
def test_loss_from_logits_gradient_and_stability(name):
    loss = make_loss(name)
    rng = np.random.default_rng(7)
    width = 1 if name == "binary_cross_entropy" else 4
    y = rng.integers(0, max(2, width), size=8)
    t = loss.encode_targets(y, "classification", width, max(2, width))
    z = rng.normal(0, 2, size=(8, width))
    z[0] = 50.0  # huge logits, both signs
    z[1] = -50.0
    if width > 1:
        z[2] = [50.0, -50.0, 0.0, 20.0]
    value, grad = loss.value_and_grad_logits(z, t)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    numeric = numeric_gradient(lambda: loss.value_and_grad_logits(z, t)[0], z).reshape(z.shape)
    assert rel_error(grad, numeric) < TOL
    # the value, computed here the slow way with log-sum-exp
    if width == 1:
        per = [np.logaddexp(0, zi) - zi * ti for zi, ti in zip(z[:, 0], t[:, 0], strict=True)]
    else:
        per = [np.logaddexp.reduce(zi) - zi[int(yi)] for zi, yi in zip(z, y, strict=True)]
    assert float(value) == pytest.approx(float(np.mean(per)), rel=1e-12)


def test_cross_entropy_at_huge_logits_by_hand():
    bce, sce = make_loss("binary_cross_entropy"), make_loss("softmax_cross_entropy")
    value, grad = bce.value_and_grad_logits(np.array([[-50.0], [50.0]]), np.array([[1.0], [1.0]]))
    assert float(value) == pytest.approx(50.0 / 2, rel=1e-12)
    np.testing.assert_allclose(grad, [[-0.5], [0.0]], atol=1e-20)
    value, grad = sce.value_and_grad_logits(np.array([[50.0, -50.0, 0.0]]), np.array([[0.0, 1.0, 0.0]]))
    assert float(value) == pytest.approx(100.0, rel=1e-12)
    np.testing.assert_allclose(grad, [[1.0, -1.0, 0.0]], atol=1e-20)


# ---------------------------------------------------------------------------- layers
def _check_layer(layer, p, x, training=False, rng_seed=None):
    """Compare every gradient of sum(da · layer(x)) with finite differences; return the grads."""
    rng = np.random.default_rng(8)

    def run():
        run_rng = None if rng_seed is None else np.random.default_rng(rng_seed)
        return layer.forward(p, x, training, run_rng)

    a, cache = run()
    da = rng.normal(size=a.shape)
    g = {name: np.full_like(v, np.nan) for name, v in p.items()}  # backward must fill all
    dx = layer.backward(p, cache, da, g, need_dx=True)

    def objective():
        return (da * run()[0]).sum()

    for name, value in p.items():
        assert np.all(np.isfinite(g[name])), name
        numeric = numeric_gradient(objective, value).reshape(value.shape)
        if layer.mask is not None and name == "kernel":
            numeric = numeric * layer.mask
        assert rel_error(g[name], numeric) < TOL, name
    assert rel_error(dx, numeric_gradient(objective, x).reshape(x.shape)) < TOL
    return g


@pytest.mark.parametrize("activation", ["identity", "tanh", "sigmoid", "relu", "prelu", "gelu",
                                        "softmax", "elu"])
def test_dense_layer_gradients(activation):
    kind = registry.blocks.get("dense")
    assert isinstance(kind, DenseKind)
    params = {**kind.default_params(), "units": 4, "activation": activation}
    if activation == "prelu":
        params["activation_params"] = {"slope": 0.3}
    layer = kind.build(params, (5,))
    rng = np.random.default_rng(9)
    p = {k: np.asarray(v, dtype=np.float64) for k, v in layer.initial_params(rng).items()}
    p["bias"] = rng.normal(0, 0.5, size=p["bias"].shape)
    if activation == "prelu":
        assert set(p) == {"kernel", "bias", "slope_act"}
        p["slope_act"] = np.array([0.3, -0.2, 0.8, 0.05])
    x = rng.normal(size=(6, 5))
    g = _check_layer(layer, p, x)
    if activation == "prelu":
        assert np.any(g["slope_act"] != 0)


def test_dense_layer_without_bias():
    kind = registry.blocks.get("dense")
    layer = kind.build({**kind.default_params(), "units": 3, "activation": "silu", "use_bias": False}, (4,))
    rng = np.random.default_rng(13)
    p = {k: np.asarray(v, dtype=np.float64) for k, v in layer.initial_params(rng).items()}
    assert set(p) == set(layer.param_shapes()) == {"kernel"}
    _check_layer(layer, p, rng.normal(size=(5, 4)))


def test_masked_layer_gives_absent_wires_zero_gradient():
    rng = np.random.default_rng(10)
    mask = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 1]], dtype=bool)
    layer = LinearLayer(4, 3, [ActivationGroup(None, make_activation("tanh"))], mask=mask)
    p = {"kernel": rng.normal(size=(4, 3)) * mask, "bias": rng.normal(size=3)}
    g = _check_layer(layer, p, rng.normal(size=(5, 4)))
    assert np.all(g["kernel"][~mask] == 0)
    assert np.all(g["kernel"][mask] != 0)


def test_mixed_activation_layer_with_learned_slopes():
    rng = np.random.default_rng(11)
    mask = rng.random((3, 5)) < 0.7
    mask[0] = True
    groups = [ActivationGroup(np.array([0, 3]), make_activation("tanh")),
              ActivationGroup(np.array([1]), make_activation("relu")),
              ActivationGroup(np.array([2, 4]), make_activation("prelu"), ("slope_g2",))]
    layer = LinearLayer(3, 5, groups, mask=mask)
    assert layer.param_shapes()["slope_g2"] == (2,)
    p = {"kernel": rng.normal(size=(3, 5)) * mask, "bias": rng.normal(size=5),
         "slope_g2": np.array([0.1, -0.6])}
    g = _check_layer(layer, p, rng.normal(size=(8, 3)))
    assert np.all(g["kernel"][~mask] == 0)
    assert np.any(g["slope_g2"] != 0)


def test_rrelu_layer_in_training_mode():
    layer = LinearLayer(3, 4, [ActivationGroup(None, make_activation("rrelu"))])
    rng = np.random.default_rng(12)
    p = {"kernel": rng.normal(size=(3, 4)), "bias": rng.normal(size=4)}
    _check_layer(layer, p, rng.normal(size=(7, 3)), training=True, rng_seed=5)






def _neuron_design(dataset, hidden, output, loss, outputs=1, dataset_params=None):
    """Inputs x1, x2; hidden neurons of the given activations at depth 1; a skip wire x1 → output."""
    d = Design()
    d.set_dataset(dataset, dataset_params)
    d.set_training(loss=loss)
    x1 = d.add_node("input", {"feature": "x1"})
    x2 = d.add_node("input", {"feature": "x2"})
    hid = [d.add_node("neuron", {"activation": a}) for a in hidden]
    outs = [d.add_node("neuron", {"activation": output}) for _ in range(outputs)]
    for h in hid:
        d.add_connection(x1.id, h.id)
        d.add_connection(x2.id, h.id)
        for o in outs:
            d.add_connection(h.id, o.id)
    for o in outs:
        d.add_connection(x1.id, o.id)  # the skip connection
    return d


def test_neuron_network_with_skip_and_mixed_activations_plain_mse():
    d = _neuron_design("plane", ["tanh", "relu", "prelu", "tanh", "sigmoid"], "tanh", "mse")
    build = model_check(d)
    hidden = build.model.ops[0].layer
    assert build.model.loss_mode(build.loss) == "plain"
    assert {g.activation.id for g in hidden.groups} == {"tanh", "relu", "prelu", "sigmoid"}
    assert len(build.model.ops) == 2 and build.model.ops[1].inputs[0].slot == 0  # the skip


def test_neuron_network_sigmoid_binary_cross_entropy_fused():
    d = _neuron_design("gaussian", ["tanh", "relu", "prelu"], "sigmoid", "binary_cross_entropy")
    build = model_check(d)
    assert build.model.loss_mode(build.loss) == "fused"


def test_neuron_network_softmax_cross_entropy_fused_with_two_hidden_depths():
    d = _neuron_design("gaussian", ["tanh", "prelu", "elu"], "softmax", "softmax_cross_entropy",
                       outputs=3, dataset_params={"classes": 3})
    hidden = [n for n in d.nodes.values() if n.kind == "neuron"][:3]
    deep = d.add_node("neuron", {"activation": "silu"})
    for h in hidden:
        d.add_connection(h.id, deep.id)
    for o in [n for n in d.nodes.values() if n.params.get("activation") == "softmax"]:
        d.add_connection(deep.id, o.id)
    build = model_check(d)
    assert build.model.loss_mode(build.loss) == "fused"
    assert len(build.model.ops) == 3


def test_identity_output_with_cross_entropy_works_from_logits():
    d = _neuron_design("gaussian", ["tanh", "gelu"], "identity", "softmax_cross_entropy", outputs=2)
    build = model_check(d)
    assert build.model.loss_mode(build.loss) == "logits"


def test_neurons_feeding_a_dense_block_with_a_skip_from_an_input():
    d = Design()
    d.set_dataset("gaussian")
    d.set_training(loss="softmax_cross_entropy")
    x1, x2, x3 = (d.add_node("input", {"feature": f}).id for f in ("x1", "x2", "x1*x2"))
    a = d.add_node("neuron", {"activation": "tanh"}).id
    b = d.add_node("neuron", {"activation": "prelu"}).id
    dense = d.add_node("dense", {"units": 2, "activation": "softmax"}).id
    for source, target in ((x1, a), (x2, a), (x2, b), (x3, b), (a, dense), (b, dense), (x1, dense)):
        d.add_connection(source, target)
    build = model_check(d)
    assert build.model.ops[0].layer.mask is not None  # x3 ↛ a, x1 ↛ b


def test_dense_block_with_three_inputs_and_a_data_node_beside_an_input():
    d = Design()
    d.set_dataset("plane")
    d.set_training(loss="mse")
    data = d.add_node("data").id
    product = d.add_node("input", {"feature": "x1*x2"}).id
    a = d.add_node("dense", {"units": 3, "activation": "relu"}).id
    b = d.add_node("dense", {"units": 2, "activation": "gelu"}).id
    c = d.add_node("dense", {"units": 1, "activation": "identity"}).id
    for source, target in ((data, a), (product, a), (data, b), (a, c), (b, c), (product, c)):
        d.add_connection(source, target)
    build = model_check(d)
    assert len(build.model.ops[-1].inputs) == 3


def _layer_design(dataset, units, hidden, output, loss, dataset_params=None):
    d = Design()
    d.set_dataset(dataset, dataset_params)
    d.set_training(loss=loss)
    data = d.add_node("data")
    first = d.add_node("dense", {"units": units, "activation": hidden})
    last = d.add_node("dense", {"units": 10 if dataset == "digits" else 2, "activation": output})
    d.add_connection(data.id, first.id)
    d.add_connection(first.id, last.id)
    return d


def test_layer_network_on_digits_softmax_cross_entropy():
    d = _layer_design("digits", 12, "tanh", "softmax", "softmax_cross_entropy")
    build = model_check(d, rows=32, coords=40)
    assert build.model.size == 64 * 12 + 12 + 12 * 10 + 10
    assert build.model.loss_mode(build.loss) == "fused"


def test_layer_network_on_gaussian_with_prelu_and_mse():
    d = _layer_design("gaussian", 5, "prelu", "tanh", "mse")
    build = model_check(d)
    assert "slope_act" in build.model.ops[0].params
    assert build.model.loss_mode(build.loss) == "plain"


def test_layer_network_with_softmax_output_and_mse_goes_through_the_jacobian():
    d = _layer_design("gaussian", 4, "relu", "softmax", "mse")
    build = model_check(d)
    assert build.model.loss_mode(build.loss) == "plain"
