"""SimpleRNN, LSTM and GRU on the ensemble axis: every variant's time steps at once, one stacked
product per step with each variant's recurrent kernel.

Each class is its single layer (core.engine.blocks.recurrent) with one more axis: a step's state
is (K, N, units) where the single layer's is (N, units). The states are kept time-major,
(T + 1, K, N, units), each step's block contiguous for its product; the projections x·W + b and
their gradients variant-major, (K, T, N, G·units), so that each variant's (T·N, G·units) rows are
the one matrix its single run multiplies (no copy between the two).

The arithmetic is the single layer's, in its order: the same products per variant (np.matmul over
a leading axis makes the 2-D call's product for each slice), the same element-wise steps, and sums
over each variant's rows in the order its single run sums them (core.engine.ensemble.reduce), so
each variant's states and gradients are its single run's bits.

A training step's big arrays (the projections, the gates, the cell states, their gradients: 5 MB
each for 16 variants of the sine LSTM example) are the layer's own, kept from one step to the next:
fresh arrays that size come from the system each time (glibc maps and unmaps them), and its page
faults cost the 16-variant sine LSTM 9 ms of a 23 ms step. The arrays a step leaves for others (its
output, every evaluation's) are fresh."""

from __future__ import annotations

from typing import Any

from core.engine.activations import sigmoid
from core.engine.backend import xp
from core.engine.blocks.recurrent import GRU, LSTM, RecurrentLayer, SimpleRNN
from core.engine.ensemble.reduce import sum_samples


def _rows(a):
    """(K, width) per-variant values as (K, 1, width), to broadcast over each variant's rows."""
    return a[:, None, :]


class EnsembleRecurrent:
    """RecurrentLayer.forward and .backward over a leading variant axis."""

    batched = True
    has_preactivation = True

    def __init__(self, layer: RecurrentLayer) -> None:
        self.layer = layer
        self.units = layer.units
        self._kept: dict[str, Any] = {}
        self._reuse = False  # whether this forward's arrays may be the layer's own (training)

    def _empty(self, name: str, shape: tuple[int, ...], dtype, reuse: bool = True):
        """An uninitialised array: where `reuse`, the layer's own of this name (one per name, made
        again when the shape changes: an epoch's last, smaller batch), else a fresh one."""
        if not reuse:
            return xp.empty(shape, dtype=dtype)
        array = self._kept.get(name)
        if array is None or array.shape != shape or array.dtype != dtype:
            array = self._kept[name] = xp.empty(shape, dtype=dtype)
        return array

    # ------------------------------------------------------------------ forward
    def forward(self, p, x, training: bool = False, rngs: Any = None):
        layer = self.layer
        k, n = x.shape[:2]
        f = layer.n_features
        seq = x.reshape(k, n, -1, f)
        t_steps = seq.shape[2]
        x_tm = xp.ascontiguousarray(seq.transpose(0, 2, 1, 3))  # (K, T, N, F)
        self._reuse = training
        width = layer.gates * self.units
        xz = self._empty("xz", (k, t_steps * n, width), x.dtype, training)
        xp.matmul(x_tm.reshape(k, t_steps * n, f), p["kernel"], out=xz)
        xz = xz.reshape(k, t_steps, n, width)
        xz += p["bias"][:, None, None, :]  # (K, T, N, G·units): step t is xz[:, t]
        hs, state = self._scan(p, xz)
        if layer.return_sequences:
            out = xp.ascontiguousarray(hs[1:].transpose(1, 2, 0, 3))  # (K, N, T, units)
        else:
            out = hs[-1]
        return out, (x.shape, x_tm, hs, state, out)

    def forward_linear(self, p, x):
        return self.forward(p, x)

    @staticmethod
    def preactivation(cache):
        return cache[4]

    def _scan(self, p, xz):
        raise NotImplementedError

    # ------------------------------------------------------------------ backward
    def backward(self, p, cache, da, g, need_dx: bool):
        x_shape, x_tm, hs, state, _ = cache
        k, t_steps, n, f = x_tm.shape
        if self.layer.return_sequences:
            da_tm = da.reshape(k, n, t_steps, -1).transpose(2, 0, 1, 3)
            incoming = [da_tm[t] for t in range(t_steps)]
        else:
            incoming = [None] * (t_steps - 1) + [da]
        dxz, dhz = self._backprop(p, hs, state, incoming, g)  # (K, T, N, G·units) each
        width = dxz.shape[3]
        dxz2 = dxz.reshape(k, t_steps * n, width)
        xp.matmul(x_tm.reshape(k, t_steps * n, f).transpose(0, 2, 1), dxz2, out=g["kernel"])
        sum_samples(dxz2, out=g["bias"])
        # one product per time step and variant, then each variant's sum over the steps
        per_step = self._empty("per_step", (k, t_steps, self.units, width), dhz.dtype)
        xp.matmul(hs[:-1].transpose(1, 0, 3, 2), dhz, out=per_step)  # (K, T, units, G·units)
        total = sum_samples(per_step.reshape(k, t_steps, -1))
        g["recurrent_kernel"][...] = total.reshape(k, self.units, width)
        if not need_dx:
            return None
        dx = xp.matmul(dxz2, p["kernel"].transpose(0, 2, 1)).reshape(k, t_steps, n, f)
        return xp.ascontiguousarray(dx.transpose(0, 2, 1, 3)).reshape(x_shape)

    def _backprop(self, p, hs, state, incoming, g):
        raise NotImplementedError


class EnsembleSimpleRNN(EnsembleRecurrent):
    def _scan(self, p, xz):
        rk = p["recurrent_kernel"]
        k, t_steps, n, _ = xz.shape
        hs = xp.zeros((t_steps + 1, k, n, self.units), dtype=xz.dtype)
        for t in range(t_steps):
            a = xp.matmul(hs[t], rk)
            a += xz[:, t]
            xp.tanh(a, out=hs[t + 1])
        return hs, None

    def _backprop(self, p, hs, state, incoming, g):
        rk_t = p["recurrent_kernel"].transpose(0, 2, 1)
        t_steps, k, n, u = hs[1:].shape
        dz = self._empty("dz", (k, t_steps, n, u), hs.dtype)
        dh = xp.zeros_like(hs[0])
        for t in range(t_steps - 1, -1, -1):
            if incoming[t] is not None:
                dh = dh + incoming[t]
            h = hs[t + 1]
            xp.multiply(dh, 1 - h * h, out=dz[:, t])
            dh = xp.matmul(dz[:, t], rk_t)
        return dz, dz


class EnsembleLSTM(EnsembleRecurrent):
    def _scan(self, p, xz):
        rk, u = p["recurrent_kernel"], self.units
        k, t_steps, n, width = xz.shape
        hs = xp.zeros((t_steps + 1, k, n, u), dtype=xz.dtype)
        cs = self._empty("cs", hs.shape, xz.dtype, self._reuse)
        cs[0] = 0
        acts = self._empty("acts", (t_steps, k, n, width), xz.dtype, self._reuse)  # i, f, g, o
        tanh_c = self._empty("tanh_c", hs[1:].shape, xz.dtype, self._reuse)
        # LSTM._scan's one tanh pass for the four gates: tanh(z·scale)·scale + shift
        scale = xp.full(4 * u, 0.5, dtype=xz.dtype)
        scale[2 * u:3 * u] = 1
        shift = scale.copy()
        shift[2 * u:3 * u] = 0
        ig = xp.empty_like(hs[0])
        rk = rk * scale
        xz *= scale
        for t in range(t_steps):
            a = acts[t]
            xp.matmul(hs[t], rk, out=a)
            a += xz[:, t]
            xp.tanh(a, out=a)
            a *= scale
            a += shift
            c = cs[t + 1]
            xp.multiply(a[..., u:2 * u], cs[t], out=c)
            xp.multiply(a[..., :u], a[..., 2 * u:3 * u], out=ig)
            c += ig
            xp.tanh(c, out=tanh_c[t])
            xp.multiply(a[..., 3 * u:], tanh_c[t], out=hs[t + 1])
        return hs, (cs, acts, tanh_c)

    def _backprop(self, p, hs, state, incoming, g):
        cs, acts, tanh_c = state
        rk_t, u = p["recurrent_kernel"].transpose(0, 2, 1), self.units
        t_steps, k, n, _ = acts.shape
        dz = self._empty("dz", (k, t_steps, n, 4 * u), acts.dtype)
        dz4 = dz.reshape(k, t_steps, n, 4, u)  # a view: each gate's block of one step
        dh = xp.zeros_like(hs[0])
        dc = xp.zeros_like(hs[0])
        scratch = xp.empty_like(dh)
        local = xp.empty((k, n, 3, u), dtype=acts.dtype)
        # LSTM._backprop's local derivatives, each step's in the loop: the single layer takes
        # them for every step before it (fewer calls on its small arrays), which here would be
        # (T, K, N, ·) arrays far bigger than a cache; element by element, so the same bits
        # (measured: the 16-variant sine LSTM's backprop 7.9 → 6.0 ms)
        for t in range(t_steps - 1, -1, -1):
            if incoming[t] is not None:
                dh = dh + incoming[t]
            a, tc = acts[t], tanh_c[t]
            i, f, gg, o = a[..., :u], a[..., u:2 * u], a[..., 2 * u:3 * u], a[..., 3 * u:]
            xp.multiply(dh, o * (1 - tc * tc), out=scratch)
            dc += scratch
            xp.multiply(gg * i, 1 - i, out=local[..., 0, :])
            xp.multiply(cs[t] * f, 1 - f, out=local[..., 1, :])
            xp.multiply(i, 1 - gg * gg, out=local[..., 2, :])
            xp.multiply(dc[..., None, :], local, out=dz4[:, t, :, :3])
            xp.multiply(dh, tc * o * (1 - o), out=dz4[:, t, :, 3])
            dc *= f
            dh = xp.matmul(dz[:, t], rk_t)
        return dz, dz


class EnsembleGRU(EnsembleRecurrent):
    def _scan(self, p, xz):
        rk, rb, u = p["recurrent_kernel"], _rows(p["recurrent_bias"]), self.units
        k, t_steps, n, width = xz.shape
        hs = xp.zeros((t_steps + 1, k, n, u), dtype=xz.dtype)
        acts = self._empty("acts", (t_steps, k, n, width), xz.dtype, self._reuse)  # z, r, h̃
        # h₋·U_h + recurrent_bias, which the reset gate scales
        rec = self._empty("rec", hs[1:].shape, xz.dtype, self._reuse)
        for t in range(t_steps):
            hz = xp.matmul(hs[t], rk)
            a, x_t = acts[t], xz[:, t]
            a[..., :2 * u] = sigmoid(hz[..., :2 * u] + x_t[..., :2 * u])
            xp.add(hz[..., 2 * u:], rb, out=rec[t])
            a[..., 2 * u:] = xp.tanh(x_t[..., 2 * u:] + a[..., u:2 * u] * rec[t])
            z, cand = a[..., :u], a[..., 2 * u:]
            xp.add(cand, z * (hs[t] - cand), out=hs[t + 1])
        return hs, (acts, rec)

    def _backprop(self, p, hs, state, incoming, g):
        acts, rec = state
        rk_t, u = p["recurrent_kernel"].transpose(0, 2, 1), self.units
        t_steps, k, n, width = acts.shape
        dxz = self._empty("dxz", (k, t_steps, n, width), acts.dtype)
        dhz = self._empty("dhz", (k, t_steps, n, width), acts.dtype)
        dh = xp.zeros_like(hs[0])
        for t in range(len(incoming) - 1, -1, -1):
            if incoming[t] is not None:
                dh = dh + incoming[t]
            a = acts[t]
            z, r, cand = a[..., :u], a[..., u:2 * u], a[..., 2 * u:]
            dx, dr = dxz[:, t], dhz[:, t]
            dx[..., 2 * u:] = dh * (1 - z) * (1 - cand * cand)
            dx[..., :u] = dh * (hs[t] - cand) * z * (1 - z)
            dx[..., u:2 * u] = dx[..., 2 * u:] * rec[t] * r * (1 - r)
            dr[..., :2 * u] = dx[..., :2 * u]
            xp.multiply(dx[..., 2 * u:], r, out=dr[..., 2 * u:])
            dh = dh * z + xp.matmul(dr, rk_t)
        # GRU's sum over every step and sample, each variant's (T·N, units) in its order
        g["recurrent_bias"][...] = sum_samples(dhz[..., 2 * u:].reshape(k, t_steps * n, u))
        return dxz, dhz


ENSEMBLE_RECURRENT = {SimpleRNN: EnsembleSimpleRNN, LSTM: EnsembleLSTM, GRU: EnsembleGRU}


def ensemble_recurrent(layer) -> EnsembleRecurrent | None:
    """The batched form of a recurrent layer of exactly one of the three kinds, else None."""
    cls = ENSEMBLE_RECURRENT.get(type(layer))
    return None if cls is None else cls(layer)
