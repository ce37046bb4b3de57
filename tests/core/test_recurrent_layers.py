"""The recurrent layers in float64: BPTT against finite differences, the textbook equations, PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

from core.engine import backend
from core.engine.blocks.recurrent import GRU, LSTM, SimpleRNN

pytestmark = pytest.mark.skipif(backend.is_gpu, reason="runs on the NumPy backend "
                                "(NCANVAS_BACKEND=numpy)")

H = 1e-6
TOL = 1e-6
N, T, F, U = 3, 5, 2, 4
KINDS = [SimpleRNN, LSTM, GRU]


def rel_error(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(1e-8, np.linalg.norm(a) + np.linalg.norm(b)))


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def random_params(layer, seed: int = 0) -> dict[str, np.ndarray]:
    """The layer's own initial values plus noise, so no bias is zero and every path matters."""
    rng = np.random.default_rng(seed)
    p = layer.initial_params(rng)
    return {k: v + rng.normal(0.0, 0.3, size=v.shape) for k, v in p.items()}


def gradients(layer, p, x, da, need_dx=True):
    _, cache = layer.forward(p, x, training=True)
    g = {k: np.full(s, 7.0) for k, s in layer.param_shapes().items()}  # must be overwritten
    dx = layer.backward(p, cache, da, g, need_dx)
    return dx, g


def numeric(f, arr: np.ndarray) -> np.ndarray:
    flat = arr.reshape(-1)
    out = np.zeros(flat.size)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + H
        up = f()
        flat[i] = old - H
        down = f()
        flat[i] = old
        out[i] = (up - down) / (2 * H)
    return out.reshape(arr.shape)


# ---------------------------------------------------------------------------- shapes and values
@pytest.mark.parametrize("cls", KINDS)
def test_shapes_and_parameters(cls):
    seq = cls((T, F), U, return_sequences=True)
    last = cls((T, F), U)
    assert seq.output_shape((T, F), U, True) == (T, U) and seq.n_out == T * U
    assert last.output_shape((T, F), U) == (U,) and last.n_out == U
    gates = {SimpleRNN: 1, LSTM: 4, GRU: 3}[cls]
    shapes = seq.param_shapes()
    assert shapes["kernel"] == (F, gates * U)
    assert shapes["recurrent_kernel"] == (U, gates * U)
    assert shapes["bias"] == (gates * U,)
    assert set(shapes) == ({"kernel", "recurrent_kernel", "bias"} | ({"recurrent_bias"} if cls is GRU
                                                                      else set()))
    assert seq.decay == ("kernel", "recurrent_kernel") and seq.stochastic is False
    p = random_params(seq)
    x = np.random.default_rng(1).normal(size=(N, T, F))
    a_seq = seq.forward(p, x)[0]
    a_last = last.forward(p, x)[0]
    assert a_seq.shape == (N, T, U) and a_last.shape == (N, U)
    np.testing.assert_allclose(a_last, a_seq[:, -1], rtol=0, atol=1e-14)
    # a model slot holds flat rows: (N, T·F) reads as (N, T, F), its gradient comes back flat
    flat = x.reshape(N, T * F)
    np.testing.assert_array_equal(seq.forward(p, flat)[0], a_seq)
    dx, _ = gradients(seq, p, flat, np.ones_like(a_seq))
    assert dx.shape == flat.shape


@pytest.mark.parametrize("cls", KINDS)
@pytest.mark.parametrize("shape", [(8,), (4, 4, 3), (), (0, 3)])
def test_a_non_sequence_input_is_refused_in_plain_words(cls, shape):
    with pytest.raises(ValueError, match=rf"{cls.label} expects a sequence \(time steps × features\)"):
        cls.output_shape(shape, U)
    with pytest.raises(ValueError, match="expects a sequence"):
        cls(shape, U)
    with pytest.raises(ValueError, match="at least one unit"):
        cls.output_shape((T, F), 0)


@pytest.mark.parametrize("cls", KINDS)
def test_initial_values(cls):
    layer = cls((T, 3), 6)
    p = layer.initial_params(np.random.default_rng(5))
    again = layer.initial_params(np.random.default_rng(5))
    assert {k: v.shape for k, v in p.items()} == layer.param_shapes()
    for k in p:
        np.testing.assert_array_equal(p[k], again[k])  # seeded
        assert p[k].dtype == np.float64
    limit = np.sqrt(6.0 / (3 + layer.gates * 6))  # Glorot uniform, fan out = all gates
    assert np.abs(p["kernel"]).max() <= limit and np.abs(p["kernel"]).max() > limit / 2
    for gate in range(layer.gates):  # each gate's recurrent block is orthogonal
        block = p["recurrent_kernel"][:, gate * 6:(gate + 1) * 6]
        np.testing.assert_allclose(block.T @ block, np.eye(6), atol=1e-12)
    expected_bias = np.zeros(layer.gates * 6)
    if cls is LSTM:
        expected_bias[6:12] = 1.0  # the forget gate starts open
    np.testing.assert_array_equal(p["bias"], expected_bias)
    if cls is GRU:
        np.testing.assert_array_equal(p["recurrent_bias"], np.zeros(6))
    assert all(v.dtype == np.float32 for v in layer.initial_params(np.random.default_rng(5),
                                                                   np.float32).values())


# ---------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("return_sequences", [True, False], ids=["sequences", "last"])
@pytest.mark.parametrize("cls", KINDS)
def test_backprop_through_time_matches_finite_differences(cls, return_sequences):
    layer = cls((T, F), U, return_sequences=return_sequences)
    rng = np.random.default_rng(2)
    p = random_params(layer, seed=3)
    x = rng.normal(size=(N, T, F))
    da = rng.normal(size=(N, *layer.out_shape))
    dx, g = gradients(layer, p, x, da)

    def objective():
        return float((da * layer.forward(p, x)[0]).sum())

    assert rel_error(dx, numeric(objective, x)) < TOL
    for name in layer.param_shapes():
        assert rel_error(g[name], numeric(objective, p[name])) < TOL, name
    dx_none, g_again = gradients(layer, p, x, da, need_dx=False)
    assert dx_none is None
    for name in g:
        np.testing.assert_array_equal(g_again[name], g[name])


# ---------------------------------------------------------------------------- textbook references
def split(p, names, u):
    """Per-gate matrices from the fused ones: {gate: (W, U, b)}."""
    return {name: (p["kernel"][:, k * u:(k + 1) * u], p["recurrent_kernel"][:, k * u:(k + 1) * u],
                   p["bias"][k * u:(k + 1) * u]) for k, name in enumerate(names)}


def reference_lstm(p, x, u):
    w = split(p, "ifco", u)
    h = np.zeros((x.shape[0], u))
    c = np.zeros_like(h)
    out = []
    for t in range(x.shape[1]):
        xt = x[:, t]
        i = sig(xt @ w["i"][0] + h @ w["i"][1] + w["i"][2])
        f = sig(xt @ w["f"][0] + h @ w["f"][1] + w["f"][2])
        c_new = np.tanh(xt @ w["c"][0] + h @ w["c"][1] + w["c"][2])
        o = sig(xt @ w["o"][0] + h @ w["o"][1] + w["o"][2])
        c = f * c + i * c_new
        h = o * np.tanh(c)
        out.append(h)
    return np.stack(out, axis=1)


def reference_gru(p, x, u):
    w = split(p, "zrh", u)
    h = np.zeros((x.shape[0], u))
    out = []
    for t in range(x.shape[1]):
        xt = x[:, t]
        z = sig(xt @ w["z"][0] + h @ w["z"][1] + w["z"][2])
        r = sig(xt @ w["r"][0] + h @ w["r"][1] + w["r"][2])
        cand = np.tanh(xt @ w["h"][0] + w["h"][2] + r * (h @ w["h"][1] + p["recurrent_bias"]))
        h = z * h + (1 - z) * cand
        out.append(h)
    return np.stack(out, axis=1)


def reference_rnn(p, x, u):
    h = np.zeros((x.shape[0], u))
    out = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ p["kernel"] + h @ p["recurrent_kernel"] + p["bias"])
        out.append(h)
    return np.stack(out, axis=1)


@pytest.mark.parametrize(("cls", "reference"), [(LSTM, reference_lstm), (GRU, reference_gru),
                                                (SimpleRNN, reference_rnn)])
def test_steps_match_the_textbook_equations(cls, reference):
    layer = cls((7, 3), 5, return_sequences=True)
    p = random_params(layer, seed=11)
    x = np.random.default_rng(12).normal(size=(4, 7, 3))
    expected = reference(p, x, 5)
    np.testing.assert_allclose(layer.forward(p, x)[0], expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cls((7, 3), 5).forward(p, x)[0], expected[:, -1], rtol=1e-12,
                               atol=1e-12)


# ---------------------------------------------------------------------------- PyTorch
def _torch_case(cls, seed):
    torch = pytest.importorskip("torch")
    layer = cls((6, 3), 5, return_sequences=True)
    p = random_params(layer, seed=seed)
    rng = np.random.default_rng(seed + 1)
    x = rng.normal(size=(4, 6, 3))
    da = rng.normal(size=(4, 6, 5))
    return torch, layer, p, x, da


def _compare_with_torch(torch, module, layer, p, x, da, to_ours):
    """Outputs and every gradient of ours against autograd through `module` (same weights)."""
    xt = torch.tensor(x, requires_grad=True)
    out, _ = module(xt)
    (out * torch.tensor(da)).sum().backward()
    ours = layer.forward(p, x)[0]
    np.testing.assert_allclose(ours, out.detach().numpy(), rtol=1e-10, atol=1e-12)
    dx, g = gradients(layer, p, x, da)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    for name, expected in to_ours({n: t.grad.numpy() for n, t in module.named_parameters()}).items():
        np.testing.assert_allclose(g[name], expected, rtol=1e-9, atol=1e-12, err_msg=name)


def test_lstm_matches_torch():
    torch, layer, p, x, da = _torch_case(LSTM, 21)
    module = torch.nn.LSTM(3, 5, batch_first=True, dtype=torch.float64)
    with torch.no_grad():  # PyTorch's gate order i, f, g, o is ours; its weights are transposed
        module.weight_ih_l0.copy_(torch.tensor(p["kernel"].T))
        module.weight_hh_l0.copy_(torch.tensor(p["recurrent_kernel"].T))
        module.bias_ih_l0.copy_(torch.tensor(p["bias"]))
        module.bias_hh_l0.zero_()

    def to_ours(tg):
        return {"kernel": tg["weight_ih_l0"].T, "recurrent_kernel": tg["weight_hh_l0"].T,
                "bias": tg["bias_ih_l0"]}

    _compare_with_torch(torch, module, layer, p, x, da, to_ours)


def test_gru_matches_torch():
    torch, layer, p, x, da = _torch_case(GRU, 31)
    u = 5
    to_torch = np.r_[u:2 * u, 0:u, 2 * u:3 * u]  # PyTorch's r, z, n from our z, r, h̃
    module = torch.nn.GRU(3, u, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.tensor(p["kernel"][:, to_torch].T))
        module.weight_hh_l0.copy_(torch.tensor(p["recurrent_kernel"][:, to_torch].T))
        module.bias_ih_l0.copy_(torch.tensor(p["bias"][to_torch]))
        module.bias_hh_l0.copy_(torch.tensor(np.r_[np.zeros(2 * u), p["recurrent_bias"]]))
    from_torch = np.argsort(to_torch)

    def to_ours(tg):
        return {"kernel": tg["weight_ih_l0"].T[:, from_torch],
                "recurrent_kernel": tg["weight_hh_l0"].T[:, from_torch],
                "bias": tg["bias_ih_l0"][from_torch], "recurrent_bias": tg["bias_hh_l0"][2 * u:]}

    _compare_with_torch(torch, module, layer, p, x, da, to_ours)


# ---------------------------------------------------------------------------- learning
@pytest.mark.parametrize("cls", KINDS)
def test_learns_to_recall_the_first_step_at_the_last(cls):
    """A person's check: state carried over 8 steps, trained by its own BPTT and a linear readout."""
    rng = np.random.default_rng(0)
    steps, n, u = 8, 128, 8
    x = rng.uniform(-1, 1, size=(n, steps, 1))
    y = x[:, 0, 0]
    layer = cls((steps, 1), u)
    p = {**layer.initial_params(rng), "readout": rng.normal(0, 0.3, u)}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    g = {k: np.zeros(s) for k, s in layer.param_shapes().items()}
    losses = []
    for step in range(1, 301):  # Adam, lr 0.02
        h, cache = layer.forward(p, x, training=True)
        err = h @ p["readout"] - y
        losses.append(float((err ** 2).mean()))
        dout = 2 * err / n
        layer.backward(p, cache, np.outer(dout, p["readout"]), g, False)
        for k, grad in {**g, "readout": h.T @ dout}.items():
            m[k] = 0.9 * m[k] + 0.1 * grad
            v[k] = 0.999 * v[k] + 0.001 * grad ** 2
            p[k] -= 0.02 * (m[k] / (1 - 0.9 ** step)) / (np.sqrt(v[k] / (1 - 0.999 ** step)) + 1e-8)
    assert losses[-1] < 0.05 * np.var(y) < losses[0]


# ---------------------------------------------------------------------------- precision
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lstm_forward_and_backward_keep_the_dtype(dtype):
    """A float32 pass stays float32 through the gradients (benchmarks/layer_timings.py times it)."""
    layer = LSTM((20, 1), 32)
    p = layer.initial_params(np.random.default_rng(0), dtype)
    x = np.random.default_rng(1).normal(size=(32, 20, 1)).astype(dtype)
    g = {k: np.zeros(s, dtype=dtype) for k, s in layer.param_shapes().items()}
    out, cache = layer.forward(p, x, training=True)
    dx = layer.backward(p, cache, np.ones((32, 32), dtype=dtype), g, True)
    assert out.dtype == dtype and all(v.dtype == dtype for v in g.values())
    assert dx.dtype == dtype
