"""The batched ensemble layers, one forward and backward at a time: each variant's output, input
gradient, parameter gradients and running statistics are the very bits its single layer gives on
its own slice (assert_array_equal, not a tolerance), for the layers that used to run variant by
variant (recurrent, BatchNorm, PReLU, RReLU), at shapes that take NumPy's other paths (one unit,
one feature, one time step)."""

from __future__ import annotations

import numpy as np
import pytest

from core.engine.activations import make_activation
from core.engine.blocks.batchnorm import BatchNormLayer
from core.engine.blocks.conv import Conv2DLayer
from core.engine.blocks.dense import ActivationGroup, LinearLayer, learned_names
from core.engine.blocks.recurrent import GRU, LSTM, SimpleRNN
from core.engine.ensemble.layers import ensemble_layer

K = 4


def buffers(layer, k: int, dtype, rng):
    """(K, size) parameter and gradient buffers with each op's (K, *shape) views, as
    EnsembleModel lays them out; every variant's parameters drawn apart."""
    shapes = layer.param_shapes()
    size = sum(int(np.prod(s)) for s in shapes.values())
    flat = rng.normal(0, 0.5, size=(k, size)).astype(dtype)
    grad = np.full_like(flat, np.nan)
    params, grads, offset = {}, {}, 0
    for name, shape in shapes.items():
        n = int(np.prod(shape))
        params[name] = flat[:, offset:offset + n].reshape(k, *shape)
        grads[name] = grad[:, offset:offset + n].reshape(k, *shape)
        offset += n
    if "running_var" in params:
        params["running_var"][...] = np.abs(params["running_var"]) + 0.5
    return flat, grad, params, grads


def check_exact(layer, x, dtype, training=True, seeds=None, ensemble=None):
    """The ensemble form of `layer` (or `ensemble`, one made before) against the single layer on
    each variant's slice; returns the ensemble layer."""
    rng = np.random.default_rng(5)
    x = x.astype(dtype)
    _, _, params, grads = buffers(layer, x.shape[0], dtype, rng)
    # the single layers' own buffers (BatchNorm moves its running statistics in place)
    _, _, single_params, single_grads = buffers(layer, x.shape[0], dtype, rng)
    for name, view in single_params.items():
        view[...] = params[name]
    ensemble = ensemble_layer(layer) if ensemble is None else ensemble
    assert ensemble.batched
    rngs = None if seeds is None else [np.random.default_rng(s) for s in seeds]
    a, cache = ensemble.forward(params, x, training, rngs)
    da = rng.normal(size=a.shape).astype(dtype)
    dx = ensemble.backward(params, cache, da, grads, True)
    for k in range(x.shape[0]):
        p = {name: view[k] for name, view in single_params.items()}
        g = {name: view[k] for name, view in single_grads.items()}
        one = None if seeds is None else np.random.default_rng(seeds[k])
        a_k, cache_k = layer.forward(p, x[k], training, one)
        np.testing.assert_array_equal(a[k], a_k)
        dx_k = layer.backward(p, cache_k, da[k], g, True)
        np.testing.assert_array_equal(dx[k], dx_k)
        for name in grads:
            np.testing.assert_array_equal(grads[name][k], single_grads[name][k], err_msg=name)
            np.testing.assert_array_equal(params[name][k], single_params[name][k], err_msg=name)
    return ensemble


DTYPES = ["float32", "float64"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", [SimpleRNN, LSTM, GRU])
@pytest.mark.parametrize(("steps", "features", "units", "sequences", "n"),
                         [(5, 3, 4, False, 7), (6, 2, 3, True, 10), (1, 1, 1, False, 3),
                          (4, 1, 1, True, 1), (10, 1, 1, False, 13), (12, 8, 16, False, 32)])
def test_recurrent_layers_batched_bit_for_bit(kind, steps, features, units, sequences, n, dtype):
    layer = kind((steps, features), units, sequences)
    x = np.random.default_rng(1).normal(size=(K, n, steps * features))
    check_exact(layer, x, dtype)


@pytest.mark.parametrize("kind", [SimpleRNN, LSTM, GRU])
def test_recurrent_steps_one_after_another_each_bit_for_bit(kind):
    """A training step's arrays are the layer's own from one step to the next (new ones when the
    batch's size changes); each step still equals the single layer's."""
    layer = kind((6, 2), 5, False)
    rng = np.random.default_rng(4)
    ensemble = None
    for n in (8, 8, 3, 8):  # an epoch's last, smaller batch between two full ones
        ensemble = check_exact(layer, rng.normal(size=(K, n, 12)), "float32", ensemble=ensemble)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("kind", [SimpleRNN, LSTM, GRU])
def test_an_output_handed_on_is_not_overwritten_by_the_next_step(kind, training):
    layer = kind((5, 1), 4, False)
    ensemble = ensemble_layer(layer)
    _, _, p, g = buffers(layer, K, "float64", np.random.default_rng(0))
    rng = np.random.default_rng(1)
    predicted, _ = ensemble.forward(p, rng.normal(size=(K, 7, 5)), training, None)
    kept = predicted.copy()
    for training in (True, True, False):
        a, cache = ensemble.forward(p, rng.normal(size=(K, 7, 5)), training, None)
        ensemble.backward(p, cache, np.ones_like(a), g, True)
    np.testing.assert_array_equal(predicted, kept)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize(("shape", "n"), [((6,), 9), ((1,), 12), ((1,), 300), ((3, 3, 2), 5), ((4, 1), 1),
                                          ((40,), 128)])
def test_batchnorm_batched_bit_for_bit(shape, n, training, dtype):
    layer = BatchNormLayer(shape, momentum=0.3, epsilon=1e-3)
    x = np.random.default_rng(2).normal(1.0, 2.0, size=(K, n, *shape))
    check_exact(layer, x, dtype, training)


def neuron_layer(activations: list[tuple[str, dict]], n_in: int = 3) -> LinearLayer:
    """A neuron-level layer: one column per activation, grouped as the compiler groups them."""
    groups = []
    for g, (name, params) in enumerate(activations):
        activation = make_activation(name, params)
        groups.append(ActivationGroup(np.array([g]), activation, learned_names(activation, f"g{g}")))
    return LinearLayer(n_in, len(activations), groups)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("make", [
    lambda: neuron_layer([("prelu", {"slope": 0.1}), ("rrelu", {}), ("tanh", {}),
                          ("prelu", {"slope": -0.3}), ("rrelu", {"lower": 0.1, "upper": 0.5})]),
    lambda: LinearLayer(5, 6, [ActivationGroup(None, make_activation("prelu", {}), ("slope_act",))]),
    lambda: LinearLayer(5, 6, [ActivationGroup(None, make_activation("rrelu", {}), ())]),
    lambda: Conv2DLayer((5, 5, 2), 3, 3, 1, "same", make_activation("prelu", {})),
    lambda: Conv2DLayer((6, 6, 1), 2, 2, 2, "valid", make_activation("rrelu", {})),
], ids=["neurons", "dense-prelu", "dense-rrelu", "conv-prelu", "conv-rrelu"])
def test_learned_and_random_slopes_batched_bit_for_bit(make, training, dtype):
    layer = make()
    x = np.random.default_rng(3).normal(size=(K, 11, layer.n_in))
    check_exact(layer, x, dtype, training, seeds=[3, 1, 4, 1])


def test_rrelu_slopes_come_from_each_variants_own_stream():
    layer = LinearLayer(4, 8, [ActivationGroup(None, make_activation("rrelu", {}), ())])
    ensemble = ensemble_layer(layer)
    p = {"kernel": np.ones((2, 4, 8)), "bias": np.zeros((2, 8))}
    x = -np.ones((2, 5, 4))  # every sum negative: the output is its slope times the sum
    a, _ = ensemble.forward(p, x, True, [np.random.default_rng(1), np.random.default_rng(2)])
    assert not np.array_equal(a[0], a[1])
    b, _ = ensemble.forward(p, x, True, [np.random.default_rng(2), np.random.default_rng(2)])
    np.testing.assert_array_equal(b[0], b[1])
    np.testing.assert_array_equal(b[1], a[1])
