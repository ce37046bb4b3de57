"""Recurrent layers (SimpleRNN, LSTM, GRU): one fused matmul per time step, backprop through time.

Interface (the same as LinearLayer's): `param_shapes()`, `forward(p, x, training, rng) -> (a, cache)`,
`backward(p, cache, da, g, need_dx)` filling the gradient arrays in `g` in place, `decay`,
`stochastic = False`, `keep_preactivation`, plus `initial_params(rng, dtype=None)` for the compiler.

Input is batch-first (N, T, F); a flat (N, T·F) row (what a model slot holds) is read as (N, T, F) and
its gradient comes back flat. With `return_sequences` the output is every step's state (N, T, units),
else the last step's (N, units). The first state (and the LSTM's first cell) is zero.

Parameters, with G gates of `units` columns each, side by side in the order below:
  kernel (F, G·units), recurrent_kernel (units, G·units), bias (G·units); the GRU also has
  recurrent_bias (units,), the candidate's bias inside the reset gate. Weight decay: both kernels.

  SimpleRNN (G = 1):  h = tanh(x·W + h₋·U + b)
  LSTM (G = 4), gate order input i, forget f, cell candidate g, output o (Keras's order, which is
  also PyTorch's i, f, g, o):
      i = σ(·), f = σ(·), g = tanh(·), o = σ(·)   each of x·W + h₋·U + b, its own columns
      c = f ⊙ c₋ + i ⊙ g,   h = o ⊙ tanh(c)
  GRU (G = 3), gate order update z, reset r, candidate h̃ (Keras's order), "reset after" — Keras's
  default reset_after=True, the same formulation as PyTorch's nn.GRU:
      z = σ(x·W_z + h₋·U_z + b_z),   r = σ(x·W_r + h₋·U_r + b_r)
      h̃ = tanh(x·W_h + b_h + r ⊙ (h₋·U_h + recurrent_bias)),   h = z ⊙ h₋ + (1 − z) ⊙ h̃
  (PyTorch's r, z, n order maps to our columns [r | z | h̃] = [U:2U | 0:U | 2U:3U]; its b_hh for r
  and z folds into `bias`; Keras's two bias rows fold the same way, their candidate recurrent part
  being `recurrent_bias`.)

Initial values (`initial_params`): Glorot uniform kernel (fan in F, fan out G·units, as Keras),
an orthogonal recurrent kernel (each gate's units×units block a random orthogonal matrix), zero biases
except the LSTM's forget-gate bias, 1.0 (Jozefowicz et al. 2015; Keras's unit_forget_bias).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from core.engine import initializers
from core.engine.activations import sigmoid
from core.engine.backend import sum_rows, xp
from core.engine.blocks.base import BlockKind, ParamSpec, register


def orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    """A random n×n orthogonal matrix (QR of a Gaussian one, signs fixed so it is Haar-distributed)."""
    q, r = np.linalg.qr(rng.normal(size=(n, n)))
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)


class RecurrentLayer:
    """What the three share: shapes, initial values, the input projection, BPTT's weight gradients."""

    label = ""
    gates = 1
    decay = ("kernel", "recurrent_kernel")
    stochastic = False
    output_activation = "identity"  # the loss sees the states as they are (its own logits)

    def __init__(self, input_shape: tuple[int, ...], units: int, return_sequences: bool = False) -> None:
        self.out_shape = self.output_shape(input_shape, units, return_sequences)
        self.time_steps, self.n_features = int(input_shape[0]), int(input_shape[1])
        self.units = int(units)
        self.return_sequences = bool(return_sequences)
        self.n_in = self.time_steps * self.n_features
        self.n_out = int(np.prod(self.out_shape))
        self.keep_preactivation = False

    @classmethod
    def output_shape(cls, input_shape: tuple[int, ...], units: int,
                     return_sequences: bool = False) -> tuple[int, ...]:
        """The shape one sample leaves with; ValueError in plain words for a non-sequence input."""
        shape = tuple(input_shape)
        if len(shape) != 2 or min(shape, default=0) < 1:
            got = "×".join(str(s) for s in shape) if shape else "nothing"
            raise ValueError(f"{cls.label} expects a sequence (time steps × features), but gets {got}")
        if isinstance(units, bool) or int(units) != units or units < 1:
            raise ValueError(f"{cls.label} needs at least one unit, not {units!r}")
        return (shape[0], int(units)) if return_sequences else (int(units),)

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        width = self.gates * self.units
        return {"kernel": (self.n_features, width), "recurrent_kernel": (self.units, width),
                "bias": (width,)}

    def initial_params(self, rng: np.random.Generator, dtype: Any = None) -> dict[str, np.ndarray]:
        """Host arrays (float64 unless `dtype`): Glorot kernel, orthogonal recurrent kernel, biases."""
        f, u, width = self.n_features, self.units, self.gates * self.units
        out = {
            "kernel": initializers.glorot_uniform(rng, (f, width), f, width),
            "recurrent_kernel": np.concatenate([orthogonal(rng, u) for _ in range(self.gates)], axis=1),
            "bias": np.zeros(width),
        }
        self._initial_extra(out)
        return {k: np.asarray(v, dtype=np.float64 if dtype is None else dtype) for k, v in out.items()}

    def _initial_extra(self, out: dict[str, np.ndarray]) -> None:
        """Biases that do not start at zero, and parameters beyond the three."""

    # ------------------------------------------------------------------ forward
    def forward(self, p: Mapping[str, Any], x, training: bool = False, rng: Any = None):
        n = x.shape[0]
        seq = x.reshape(n, -1, self.n_features)
        t_steps = seq.shape[1]
        x_tm = xp.ascontiguousarray(seq.transpose(1, 0, 2))  # (T, N, F): each step contiguous
        xz = (x_tm.reshape(t_steps * n, self.n_features) @ p["kernel"]).reshape(t_steps, n, -1)
        xz += p["bias"]
        hs, state = self._scan(p, xz)
        out = xp.ascontiguousarray(hs[1:].transpose(1, 0, 2)) if self.return_sequences else hs[-1]
        return out, (x.shape, x_tm, hs, state, out)

    def forward_linear(self, p: Mapping[str, Any], x):
        """The output as it is (a recurrent layer has no separate weighted sums for the loss)."""
        return self.forward(p, x)

    @staticmethod
    def preactivation(cache):
        return cache[4]

    @staticmethod
    def hidden_states(cache):
        """Every time step's state (N, T, units) from a forward's cache, also when the layer
        passes on only the last one (for views; read-only)."""
        return cache[2][1:].transpose(1, 0, 2)

    def _scan(self, p, xz):
        """States hs (T+1, N, units), hs[0] = 0, and what backprop needs, from x·W + b per step."""
        raise NotImplementedError

    # ------------------------------------------------------------------ backward
    def backward(self, p, cache, da, g, need_dx: bool):
        x_shape, x_tm, hs, state, _ = cache
        t_steps, n, f = x_tm.shape
        if self.return_sequences:
            da_tm = da.transpose(1, 0, 2)
            incoming = [da_tm[t] for t in range(t_steps)]
        else:
            incoming = [None] * (t_steps - 1) + [da]
        dxz, dhz = self._backprop(p, hs, state, incoming, g)  # dL/d(x·W + b), dL/d(h₋·U), (T, N, G·u)
        width = dxz.shape[2]
        dxz2 = dxz.reshape(t_steps * n, width)
        xp.matmul(x_tm.reshape(t_steps * n, f).T, dxz2, out=g["kernel"])
        sum_rows(dxz2, out=g["bias"])
        # one product per time step, then their sum: each small enough that OpenBLAS keeps it on one
        # thread, where one (units × T·N)·(T·N × G·units) product spreads over threads and, on a busy
        # machine, waits on them
        per_step = xp.matmul(hs[:-1].transpose(0, 2, 1), dhz)
        g["recurrent_kernel"][...] = sum_rows(per_step.reshape(t_steps, -1)).reshape(self.units, width)
        if not need_dx:
            return None
        dx = (dxz2 @ p["kernel"].T).reshape(t_steps, n, f).transpose(1, 0, 2)
        return xp.ascontiguousarray(dx).reshape(x_shape)

    def _backprop(self, p, hs, state, incoming, g):
        raise NotImplementedError


class SimpleRNN(RecurrentLayer):
    """h = tanh(x·W + h₋·U + b)."""

    label = "SimpleRNN"
    gates = 1

    def _scan(self, p, xz):
        rk = p["recurrent_kernel"]
        hs = xp.zeros((xz.shape[0] + 1, xz.shape[1], self.units), dtype=xz.dtype)
        for t in range(xz.shape[0]):
            a = hs[t] @ rk
            a += xz[t]
            xp.tanh(a, out=hs[t + 1])
        return hs, None

    def _backprop(self, p, hs, state, incoming, g):
        rk_t = p["recurrent_kernel"].T
        dz = xp.empty_like(hs[1:])
        dh = xp.zeros_like(hs[0])
        for t in range(len(incoming) - 1, -1, -1):
            if incoming[t] is not None:
                dh = dh + incoming[t]
            h = hs[t + 1]
            xp.multiply(dh, 1 - h * h, out=dz[t])
            dh = dz[t] @ rk_t
        return dz, dz


class LSTM(RecurrentLayer):
    """Long short-term memory; gates i, f, g, o side by side (see the module docstring)."""

    label = "LSTM"
    gates = 4

    def _initial_extra(self, out):
        out["bias"][self.units:2 * self.units] = 1.0  # forget gate starts open

    def _scan(self, p, xz):
        rk, u = p["recurrent_kernel"], self.units
        t_steps, n, _ = xz.shape
        hs = xp.zeros((t_steps + 1, n, u), dtype=xz.dtype)
        cs = xp.zeros_like(hs)
        acts = xp.empty_like(xz)  # i, f, g, o after their functions
        tanh_c = xp.empty_like(hs[1:])
        # σ(z) = ½·tanh(½z) + ½ and the candidate's tanh(z), all four gates in one tanh pass:
        # tanh(z·scale)·scale + shift, scale ½ (1 for g), shift ½ (0 for g)
        scale = xp.full(4 * u, 0.5, dtype=xz.dtype)
        scale[2 * u:3 * u] = 1
        shift = scale.copy()
        shift[2 * u:3 * u] = 0
        ig = xp.empty_like(hs[0])
        rk = rk * scale  # the inner scale folded into the weights once, not applied every step
        xz *= scale  # xz is this forward's own array
        for t in range(t_steps):
            a = acts[t]
            xp.matmul(hs[t], rk, out=a)
            a += xz[t]
            xp.tanh(a, out=a)
            a *= scale
            a += shift
            c = cs[t + 1]
            xp.multiply(a[:, u:2 * u], cs[t], out=c)
            xp.multiply(a[:, :u], a[:, 2 * u:3 * u], out=ig)
            c += ig
            xp.tanh(c, out=tanh_c[t])
            xp.multiply(a[:, 3 * u:], tanh_c[t], out=hs[t + 1])
        return hs, (cs, acts, tanh_c)

    def _backprop(self, p, hs, state, incoming, g):
        cs, acts, tanh_c = state
        rk_t, u = p["recurrent_kernel"].T, self.units
        t_steps, n, _ = acts.shape
        i, f, gg, o = acts[..., :u], acts[..., u:2 * u], acts[..., 2 * u:3 * u], acts[..., 3 * u:]
        # every step's local derivatives at once, before the loop (T, N, ·): the loop is left with
        # dc += dh·o·(1 − tanh²c); dz_ifg = dc·local; dz_o = dh·tanh c·o(1 − o); dc ·= f
        through_c = o * (1 - tanh_c * tanh_c)
        local = xp.empty((t_steps, n, 3, u), dtype=acts.dtype)
        xp.multiply(gg * i, 1 - i, out=local[:, :, 0])
        xp.multiply(cs[:-1] * f, 1 - f, out=local[:, :, 1])
        xp.multiply(i, 1 - gg * gg, out=local[:, :, 2])
        out_gate = tanh_c * o * (1 - o)
        f = xp.ascontiguousarray(f)
        dz = xp.empty_like(acts)
        dz4 = dz.reshape(t_steps, n, 4, u)  # a view: each gate's block of one step
        dh = xp.zeros_like(hs[0])
        dc = xp.zeros_like(hs[0])
        scratch = xp.empty_like(dh)
        for t in range(t_steps - 1, -1, -1):
            if incoming[t] is not None:
                dh = dh + incoming[t]
            xp.multiply(dh, through_c[t], out=scratch)
            dc += scratch
            xp.multiply(dc[:, None, :], local[t], out=dz4[t, :, :3])
            xp.multiply(dh, out_gate[t], out=dz4[t, :, 3])
            dc *= f[t]
            dh = dz[t] @ rk_t
        return dz, dz


class GRU(RecurrentLayer):
    """Gated recurrent unit, reset after (Keras's default, PyTorch's nn.GRU); gates z, r, h̃."""

    label = "GRU"
    gates = 3

    def param_shapes(self):
        return {**super().param_shapes(), "recurrent_bias": (self.units,)}

    def _initial_extra(self, out):
        out["recurrent_bias"] = np.zeros(self.units)

    def _scan(self, p, xz):
        rk, rb, u = p["recurrent_kernel"], p["recurrent_bias"], self.units
        t_steps, n, _ = xz.shape
        hs = xp.zeros((t_steps + 1, n, u), dtype=xz.dtype)
        acts = xp.empty_like(xz)  # z, r, h̃
        rec = xp.empty_like(hs[1:])  # h₋·U_h + recurrent_bias, which the reset gate scales
        for t in range(t_steps):
            hz = hs[t] @ rk
            a, x_t = acts[t], xz[t]
            a[:, :2 * u] = sigmoid(hz[:, :2 * u] + x_t[:, :2 * u])
            xp.add(hz[:, 2 * u:], rb, out=rec[t])
            a[:, 2 * u:] = xp.tanh(x_t[:, 2 * u:] + a[:, u:2 * u] * rec[t])
            z, cand = a[:, :u], a[:, 2 * u:]
            xp.add(cand, z * (hs[t] - cand), out=hs[t + 1])
        return hs, (acts, rec)

    def _backprop(self, p, hs, state, incoming, g):
        acts, rec = state
        rk_t, u = p["recurrent_kernel"].T, self.units
        dxz = xp.empty_like(acts)
        dhz = xp.empty_like(acts)
        dh = xp.zeros_like(hs[0])
        for t in range(len(incoming) - 1, -1, -1):
            if incoming[t] is not None:
                dh = dh + incoming[t]
            a = acts[t]
            z, r, cand = a[:, :u], a[:, u:2 * u], a[:, 2 * u:]
            dx, dr = dxz[t], dhz[t]
            dx[:, 2 * u:] = dh * (1 - z) * (1 - cand * cand)
            dx[:, :u] = dh * (hs[t] - cand) * z * (1 - z)
            dx[:, u:2 * u] = dx[:, 2 * u:] * rec[t] * r * (1 - r)
            dr[:, :2 * u] = dx[:, :2 * u]
            xp.multiply(dx[:, 2 * u:], r, out=dr[:, 2 * u:])
            dh = dh * z + dr @ rk_t
        g["recurrent_bias"][...] = dhz[:, :, 2 * u:].sum(axis=(0, 1))
        return dxz, dhz


class _RecurrentKind(BlockKind):
    category = "layers"
    inside_view = "rnn"  # layer: a RecurrentLayer (hidden_states)
    layer: type[RecurrentLayer] = RecurrentLayer
    params = (
        ParamSpec("units", "int", 32, low=1, high=4096, description="the size of its memory"),
        ParamSpec("return_sequences", "bool", False,
                  description="pass on every time step's output (for another recurrent block), "
                              "not only the last"),
    )

    def output_shape(self, params, input_shapes):
        if len(input_shapes) != 1:
            return f"{self.label} takes one input"
        try:
            return self.layer.output_shape(tuple(input_shapes[0]), int(params["units"]),
                                           bool(params["return_sequences"]))
        except ValueError as exc:
            return str(exc)

    def build(self, params, input_shape):
        return self.layer(tuple(input_shape), int(params["units"]), bool(params["return_sequences"]))


@register
class SimpleRNNKind(_RecurrentKind):
    id = "simple_rnn"
    label = "SimpleRNN"
    description = "Reads a sequence one step at a time, keeping a memory it updates with tanh."
    icon = "mdi6.repeat"
    layer = SimpleRNN


@register
class LSTMKind(_RecurrentKind):
    id = "lstm"
    label = "LSTM"
    description = ("A recurrent block with gates that choose what to remember, forget and say: "
                   "it keeps information over long sequences.")
    icon = "mdi6.memory"
    layer = LSTM


@register
class GRUKind(_RecurrentKind):
    id = "gru"
    label = "GRU"
    description = "A lighter gated recurrent block: an update and a reset gate instead of three."
    icon = "mdi6.sync"
    layer = GRU
