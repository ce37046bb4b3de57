"""BatchNorm on the ensemble axis: each variant normalised by its own batch's statistics, with its
own γ, β and running statistics (rows of the (K, F) parameter views), all variants at once.

Every step is BatchNormLayer's, in the same order, over (K, M, F) rows instead of (M, F): the
means and sums run over each variant's M rows in the order a single run sums them (NumPy adds the
rows of each column one after another, F > 1, or pairwise along a contiguous column, F = 1, on
either axis), the rest is element by element with the variant's (K, 1, F) values broadcast."""

from __future__ import annotations

from typing import Any

from core.engine.backend import xp
from core.engine.blocks.batchnorm import BatchNormLayer


def _rows(a):
    """(K, F) per-variant values as (K, 1, F), to broadcast over each variant's rows."""
    return a[:, None, :]


class EnsembleBatchNorm:
    batched = True
    has_preactivation = True

    def __init__(self, layer: BatchNormLayer) -> None:
        self.layer = layer

    def forward(self, p, x, training: bool = False, rngs: Any = None):
        layer = self.layer
        k = x.shape[0]
        rows = x.reshape(k, -1, layer.features)
        gamma, beta = _rows(p["gamma"]), _rows(p["beta"])
        if not training:
            inv_std = 1.0 / xp.sqrt(_rows(p["running_var"]) + layer.epsilon)
            scale = gamma * inv_std
            y = rows * scale + (beta - _rows(p["running_mean"]) * scale)
            return self._shaped(x, y), ("predict", x.shape, rows, inv_std, y)
        count = rows.shape[1]
        mean = rows.mean(axis=1)
        centred = rows - mean[:, None, :]
        var = (centred * centred).mean(axis=1)
        inv_std = 1.0 / xp.sqrt(var + layer.epsilon)
        xhat = centred
        xhat *= inv_std[:, None, :]
        y = xhat * gamma + beta
        layer._update_running(p, mean, var, count)  # element by element: (K, F) as (F,)
        return self._shaped(x, y), ("train", x.shape, xhat, inv_std[:, None, :], y)

    def _shaped(self, x, y):
        return y.reshape((x.shape[0], x.shape[1], *self.layer.out_shape))

    def preactivation(self, cache):
        shape = cache[1]
        return cache[4].reshape((shape[0], shape[1], *self.layer.out_shape))

    def backward(self, p, cache, da, g, need_dx: bool):
        mode, x_shape, saved, inv_std, _ = cache
        layer = self.layer
        dy = da.reshape(x_shape[0], -1, layer.features)
        if mode == "train":
            xhat = saved
        else:
            xhat = (saved - _rows(p["running_mean"])) * inv_std
        dgamma = (dy * xhat).sum(axis=1)
        dbeta = dy.sum(axis=1)
        g["gamma"][...] = dgamma
        g["beta"][...] = dbeta
        g["running_mean"][...] = 0
        g["running_var"][...] = 0
        if not need_dx:
            return None
        gamma = _rows(p["gamma"])
        if mode != "train":
            return (dy * (gamma * inv_std)).reshape(x_shape)
        count = dy.shape[1]
        dx = dy * count
        dx -= _rows(dbeta)
        dx -= xhat * _rows(dgamma)
        dx *= gamma * (inv_std / count)
        return dx.reshape(x_shape)
