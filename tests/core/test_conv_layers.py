"""Conv2D, pooling, Flatten and Reshape layers: shapes, slow loop references and float64 gradient checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.engine import backend
from core.engine.activations import make_activation
from core.engine.blocks.conv import Conv2DLayer
from core.engine.blocks.pooling import AvgPool2DLayer, MaxPool2DLayer
from core.engine.blocks.shape_ops import FlattenLayer, ReshapeLayer
from tests.core.gradient_checks import numeric_gradient, rel_error

pytestmark = pytest.mark.skipif(backend.is_gpu, reason="runs on the NumPy backend "
                                "(NCANVAS_BACKEND=numpy)")

TOL = 1e-6


# ---------------------------------------------------------------------------- slow references
def tf_padding(size: int, k: int, s: int, padding: str) -> tuple[int, int, int]:
    """(output, before, after) exactly as TensorFlow documents 'valid' and 'same'."""
    if padding == "valid":
        return (size - k + s) // s, 0, 0  # = ceil((size − k + 1) / s)
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


def slow_conv(x, kernel, bias, s: int, padding: str):
    n, h, w, c = x.shape
    k, _, _, f = kernel.shape
    oh, top, bottom = tf_padding(h, k, s, padding)
    ow, left, right = tf_padding(w, k, s, padding)
    padded = np.zeros((n, h + top + bottom, w + left + right, c))
    padded[:, top:top + h, left:left + w] = x
    out = np.zeros((n, oh, ow, f))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for o in range(f):
                    total = bias[o]
                    for a in range(k):
                        for d in range(k):
                            for ch in range(c):
                                total += padded[b, i * s + a, j * s + d, ch] * kernel[a, d, ch, o]
                    out[b, i, j, o] = total
    return out


def slow_pool(x, pool: int, s: int, reduce):
    n, h, w, c = x.shape
    oh, ow = (h - pool) // s + 1, (w - pool) // s + 1
    out = np.zeros((n, oh, ow, c))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    out[b, i, j, ch] = reduce(x[b, i * s:i * s + pool, j * s:j * s + pool, ch])
    return out


# ---------------------------------------------------------------------------- helpers
def params_for(layer, rng):
    return {name: rng.normal(0.0, 0.7, size=shape) for name, shape in layer.param_shapes().items()}


def check_gradients(layer, x, p, rng, n_coords: int = 60):
    """dL/dx and dL/dparams of L = Σ a·R against central differences, at up to n_coords points each."""
    a, _ = layer.forward(p, x)
    weights = rng.normal(size=a.shape)

    def loss():
        return float((layer.forward(p, x)[0] * weights).sum())

    _, cache = layer.forward(p, x)
    g = {name: np.full(value.shape, np.nan) for name, value in p.items()}
    dx = layer.backward(p, cache, weights.copy(), g, True)
    assert dx.shape == x.shape
    for name, array in [("x", x), *p.items()]:
        analytic = dx if name == "x" else g[name]
        assert not np.isnan(analytic).any(), f"{name} gradient not filled in"
        coords = rng.choice(array.size, size=min(n_coords, array.size), replace=False)
        numeric = numeric_gradient(loss, array, coords)
        err = rel_error(analytic.reshape(-1)[coords], numeric)
        assert err < TOL, f"{name}: relative error {err:.2e}"


CONV_CASES = [
    # (H, W, C, filters, k, stride, padding)
    (5, 5, 1, 2, 3, 1, "valid"),
    (5, 5, 1, 2, 3, 1, "same"),
    (7, 6, 3, 4, 3, 2, "valid"),
    (7, 6, 3, 4, 3, 2, "same"),
    (6, 7, 2, 3, 2, 2, "same"),  # even kernel: TensorFlow pads the odd zero after
    (5, 5, 2, 3, 4, 3, "same"),
    (4, 4, 2, 2, 1, 1, "valid"),
    (3, 3, 2, 2, 5, 1, "same"),  # kernel larger than the image is fine with 'same'
]


def conv_id(case):
    h, w, c, f, k, s, pad = case
    return f"{h}x{w}x{c}-f{f}-k{k}-s{s}-{pad}"


# ---------------------------------------------------------------------------- Conv2D
@pytest.mark.parametrize("case", CONV_CASES, ids=conv_id)
def test_conv_forward_matches_loops_and_tensorflow_shapes(case):
    h, w, c, f, k, s, pad = case
    rng = np.random.default_rng(1)
    layer = Conv2DLayer((h, w, c), f, k, s, pad)
    p = params_for(layer, rng)
    x = rng.normal(size=(3, h, w, c))
    a, _ = layer.forward(p, x)
    oh, ow = tf_padding(h, k, s, pad)[0], tf_padding(w, k, s, pad)[0]
    assert layer.out_shape == (oh, ow, f) == a.shape[1:]
    np.testing.assert_allclose(a, slow_conv(x, p["kernel"], p["bias"], s, pad), rtol=1e-12, atol=1e-12)
    if pad == "same":
        assert (oh, ow) == (math.ceil(h / s), math.ceil(w / s))


@pytest.mark.parametrize("case", CONV_CASES, ids=conv_id)
@pytest.mark.parametrize("activation", ["identity", "tanh", "relu"])
def test_conv_gradients(case, activation):
    h, w, c, f, k, s, pad = case
    rng = np.random.default_rng(2)
    layer = Conv2DLayer((h, w, c), f, k, s, pad, make_activation(activation))
    check_gradients(layer, rng.normal(size=(2, h, w, c)), params_for(layer, rng), rng)


def test_conv_learned_activation_has_one_slope_per_filter():
    rng = np.random.default_rng(3)
    layer = Conv2DLayer((5, 4, 2), 3, 3, 1, "same", make_activation("prelu"), use_bias=False)
    assert layer.param_shapes() == {"kernel": (3, 3, 2, 3), "slope_act": (3,)}
    check_gradients(layer, rng.normal(size=(2, 5, 4, 2)), params_for(layer, rng), rng)


def test_conv_softmax_runs_over_channels():
    rng = np.random.default_rng(4)
    layer = Conv2DLayer((4, 4, 2), 3, 3, 1, "same", make_activation("softmax"))
    p = params_for(layer, rng)
    x = rng.normal(size=(2, 4, 4, 2))
    np.testing.assert_allclose(layer.forward(p, x)[0].sum(axis=-1), 1.0)
    check_gradients(layer, x, p, rng)


def test_conv_preactivation_path_matches_full_backward():
    """forward_linear/backward_linear (the fused-loss path of Model) equal identity-activation maths."""
    rng = np.random.default_rng(5)
    layer = Conv2DLayer((6, 5, 2), 3, 3, 2, "same", make_activation("tanh"))
    layer.keep_preactivation = True
    p = params_for(layer, rng)
    x = rng.normal(size=(2, 6, 5, 2))
    z, cache = layer.forward_linear(p, x)
    a, full_cache = layer.forward(p, x)
    np.testing.assert_allclose(np.tanh(z), a)
    np.testing.assert_allclose(layer.preactivation(full_cache), z)
    dz = rng.normal(size=z.shape)
    g = {name: np.zeros(v.shape) for name, v in p.items()}
    dx = layer.backward_linear(p, x, dz, g, True)
    plain = Conv2DLayer((6, 5, 2), 3, 3, 2, "same")
    g2 = {name: np.zeros(v.shape) for name, v in p.items()}
    dx2 = plain.backward(p, plain.forward(p, x)[1], dz, g2, True)
    np.testing.assert_allclose(dx, dx2)
    for name in g:
        np.testing.assert_allclose(g[name], g2[name])


def test_conv_takes_flat_rows_and_gives_their_gradient_back_flat():
    rng = np.random.default_rng(6)
    layer = Conv2DLayer((4, 4, 2), 3, 3, 1, "valid", make_activation("tanh"))
    p = params_for(layer, rng)
    x = rng.normal(size=(2, 4, 4, 2))
    a, cache = layer.forward(p, x.reshape(2, -1))
    np.testing.assert_allclose(a, layer.forward(p, x)[0])
    g = {name: np.zeros(v.shape) for name, v in p.items()}
    assert layer.backward(p, cache, np.ones_like(a), g, True).shape == (2, 32)
    assert layer.backward(p, cache, np.ones_like(a), g, False) is None
    assert layer.n_in == 32 and layer.n_out == 2 * 2 * 3


def test_float32_stays_float32_through_every_layer():
    rng = np.random.default_rng(12)
    x = rng.normal(size=(2, 6, 6, 2)).astype(np.float32)
    for layer in [Conv2DLayer((6, 6, 2), 3, 3, 1, "same", make_activation("relu")),
                  Conv2DLayer((6, 6, 2), 3, 3, 2, "valid", make_activation("prelu")),
                  MaxPool2DLayer((6, 6, 2), 2), AvgPool2DLayer((6, 6, 2), 3, 1),
                  FlattenLayer((6, 6, 2)), ReshapeLayer((6, 6, 2), (36, 2))]:
        p = {k: v.astype(np.float32) for k, v in params_for(layer, rng).items()}
        g = {k: np.zeros(v.shape, np.float32) for k, v in p.items()}
        a, cache = layer.forward(p, x, training=True, rng=rng)
        dx = layer.backward(p, cache, np.ones_like(a), g, True)
        assert a.dtype == dx.dtype == np.float32, type(layer).__name__
        assert dx.shape == x.shape


def test_conv_initial_params_use_fan_in_of_the_window():
    layer = Conv2DLayer((8, 8, 4), 16, 3, 1, "same", make_activation("relu"))
    assert layer.initializer == "he_uniform" and layer.decay == ("kernel",)
    initial = layer.initial_params(np.random.default_rng(0))
    assert initial["kernel"].shape == (3, 3, 4, 16) and not initial["bias"].any()
    limit = math.sqrt(6.0 / (3 * 3 * 4))
    assert np.abs(initial["kernel"]).max() <= limit
    assert np.abs(initial["kernel"]).max() > 0.9 * limit


@pytest.mark.parametrize(("args", "message"), [
    (((3, 3, 1), 2, 5, 1, "valid"), "kernel 5 is larger than the 3×3 input"),
    (((16,), 2, 3, 1, "valid"), "Conv2D expects an image (height×width×channels), but gets 16"),
    (((8, 8, 1), 0, 3, 1, "valid"), "filters must be a whole number of at least 1"),
    (((8, 8, 1), 2, 3, 0, "valid"), "stride must be a whole number of at least 1"),
    (((8, 8, 1), 2, 3, 1, "full"), "padding must be 'valid' or 'same'"),
])
def test_conv_output_shape_explains_problems(args, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Conv2DLayer.output_shape(*args)


# ---------------------------------------------------------------------------- pooling
POOL_CASES = [
    # (H, W, C, pool, stride)
    (4, 4, 1, 2, None),
    (5, 7, 3, 2, None),  # odd sizes: the last row/column is dropped
    (6, 6, 2, 3, 1),  # overlapping windows
    (7, 5, 2, 3, 2),
    (7, 7, 2, 2, 3),  # gaps between windows
]


@pytest.mark.parametrize("case", POOL_CASES, ids=str)
@pytest.mark.parametrize(("layer_class", "reduce"), [(MaxPool2DLayer, np.max), (AvgPool2DLayer, np.mean)],
                         ids=["max", "avg"])
def test_pool_forward_matches_loops_and_gradients(case, layer_class, reduce):
    h, w, c, pool, stride = case
    rng = np.random.default_rng(8)
    layer = layer_class((h, w, c), pool, stride)
    x = rng.normal(size=(3, h, w, c))
    a, _ = layer.forward({}, x)
    expected = slow_pool(x, pool, stride or pool, reduce)
    assert a.shape[1:] == layer.out_shape == expected.shape[1:]
    np.testing.assert_allclose(a, expected, rtol=1e-12)
    assert layer.param_shapes() == {} and layer.initial_params(rng) == {}
    check_gradients(layer, x, {}, rng)


def test_max_pool_ties_send_the_gradient_to_the_first_maximum():
    layer = MaxPool2DLayer((2, 2, 1), 2)
    x = np.ones((1, 2, 2, 1))
    a, cache = layer.forward({}, x)
    dx = layer.backward({}, cache, np.full_like(a, 5.0), {}, True)
    np.testing.assert_array_equal(dx[0, :, :, 0], [[5.0, 0.0], [0.0, 0.0]])


def test_max_pool_overlapping_windows_add_their_gradients():
    layer = MaxPool2DLayer((3, 3, 1), 2, 1)
    x = np.zeros((1, 3, 3, 1))
    x[0, 1, 1, 0] = 9.0  # the centre wins all four windows
    a, cache = layer.forward({}, x)
    dx = layer.backward({}, cache, np.ones_like(a), {}, True)
    assert dx[0, 1, 1, 0] == 4.0 and dx.sum() == 4.0


@pytest.mark.parametrize("layer_class", [MaxPool2DLayer, AvgPool2DLayer])
def test_pool_output_shape_explains_problems(layer_class):
    assert layer_class.output_shape((5, 7, 3), 2) == (2, 3, 3)
    assert layer_class.output_shape((6, 6, 1), 3, 1) == (4, 4, 1)
    with pytest.raises(ValueError, match="pool 3 is larger than the 2×2 input"):
        layer_class.output_shape((2, 2, 1), 3)
    with pytest.raises(ValueError, match="expects an image"):
        layer_class.output_shape((10,), 2)


# ---------------------------------------------------------------------------- Flatten, Reshape
def test_flatten_is_channels_last_row_major_and_round_trips():
    rng = np.random.default_rng(9)
    layer = FlattenLayer((3, 2, 4))
    assert FlattenLayer.output_shape((3, 2, 4)) == (24,) == layer.out_shape
    x = rng.normal(size=(5, 3, 2, 4))
    a, cache = layer.forward({}, x)
    np.testing.assert_array_equal(a[:, 1], x[:, 0, 0, 1])
    np.testing.assert_array_equal(a[:, 4], x[:, 0, 1, 0])
    check_gradients(layer, x, {}, rng)
    with pytest.raises(ValueError, match="Flatten needs an input"):
        FlattenLayer.output_shape(())


def test_reshape_shapes_and_gradients():
    rng = np.random.default_rng(10)
    assert ReshapeLayer.output_shape((64,), (8, 8, 1)) == (8, 8, 1)
    assert ReshapeLayer.output_shape((4, 4, 2), (-1, 4)) == (8, 4)
    with pytest.raises(ValueError, match="needs 60 values, but the input 64 has 64"):
        ReshapeLayer.output_shape((64,), (6, 10))
    with pytest.raises(ValueError, match="cannot fit the 10 values"):
        ReshapeLayer.output_shape((10,), (-1, 3))
    with pytest.raises(ValueError, match="at most one −1"):
        ReshapeLayer.output_shape((12,), (-1, -1))
    layer = ReshapeLayer((12,), (2, 3, 2))
    x = rng.normal(size=(4, 12))
    a, _ = layer.forward({}, x)
    assert a.shape == (4, 2, 3, 2)
    check_gradients(layer, x, {}, rng)


def test_a_small_stack_trains_its_gradient_end_to_end():
    """Reshape → Conv2D → MaxPool → Conv2D → AvgPool → Flatten, chained by hand: one gradient check."""
    rng = np.random.default_rng(11)
    layers = [ReshapeLayer((49,), (7, 7, 1)),
              Conv2DLayer((7, 7, 1), 3, 3, 1, "same", make_activation("tanh")),
              MaxPool2DLayer((7, 7, 3), 2),
              Conv2DLayer((3, 3, 3), 4, 2, 1, "valid", make_activation("silu")),
              AvgPool2DLayer((2, 2, 4), 2),
              FlattenLayer((1, 1, 4))]
    params = [params_for(layer, rng) for layer in layers]
    x = rng.normal(size=(3, 49))
    weights = rng.normal(size=(3, 4))

    def run():
        value, caches = x, []
        for layer, p in zip(layers, params, strict=True):
            value, cache = layer.forward(p, value)
            caches.append(cache)
        return value, caches

    def loss():
        return float((run()[0] * weights).sum())

    _, caches = run()
    grads = [{name: np.zeros(v.shape) for name, v in p.items()} for p in params]
    d = weights
    for layer, p, cache, g in reversed(list(zip(layers, params, caches, grads, strict=True))):
        d = layer.backward(p, cache, d, g, True)
    for p, g in zip(params, grads, strict=True):
        for name in p:
            err = rel_error(g[name].reshape(-1), numeric_gradient(loss, p[name]))
            assert err < TOL, f"{name}: {err:.2e}"
    assert d.shape == x.shape and rel_error(d.reshape(-1), numeric_gradient(loss, x)) < TOL
