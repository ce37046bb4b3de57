"""The BatchNorm block: normalise each feature (or image channel) over the batch, then scale and shift."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from core.engine.backend import xp
from core.engine.blocks.base import BlockKind, ParamSpec, register
from core.engine.blocks.conv import image_text


class BatchNormLayer:
    """y = γ·(x − mean)/√(var + ε) + β over every axis but the last, as PyTorch's BatchNorm1d/2d.

    The last axis holds the features: a flat (N, F) batch is normalised per feature, an image
    (N, H, W, C) per channel (over N·H·W values), a sequence (N, T, F) per feature (over N·T).

    While training it uses the batch's mean and biased variance and moves the running statistics
    toward the batch's, in place (they are views into the model's parameter buffer, so they are
    saved with the design): running = (1 − momentum)·running + momentum·batch statistic, with the
    unbiased batch variance for running_var, as PyTorch does. When predicting it uses the running
    statistics. Their gradients are always written as zeros, and the model lists them as
    `statistics`, values the trainer puts back after each optimizer step (AdamW's decoupled decay
    would otherwise shrink them).

    A batch with one value per feature (one flat sample, as presenting a single sample does) has
    variance 0: every value becomes β, ε keeps the division finite and the gradient to x is 0. The
    running mean still moves toward that value; the running variance is left as it was, since one
    value has no spread to average in (PyTorch refuses such a batch; we train on it instead)."""

    decay: tuple[str, ...] = ()  # no L1/L2 on γ, β or the statistics
    statistics = ("running_mean", "running_var")  # kept up to date here, never by an optimizer
    stochastic = False

    def __init__(self, input_shape: tuple[int, ...], momentum: float = 0.1, epsilon: float = 1e-5) -> None:
        self.in_shape = self.out_shape = self.output_shape(input_shape)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"BatchNorm momentum must be between 0 and 1, not {momentum}")
        if not epsilon > 0.0:
            raise ValueError(f"BatchNorm epsilon must be above 0, not {epsilon}")
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.features = self.in_shape[-1]
        self.n_in = self.n_out = int(np.prod(self.in_shape))
        self.keep_preactivation = False

    @staticmethod
    def output_shape(input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The input's shape (BatchNorm keeps it), or a ValueError in plain words."""
        shape = tuple(input_shape)
        if not shape or any(isinstance(s, bool) or int(s) < 1 for s in shape):
            raise ValueError(f"BatchNorm needs an input with a size, but gets {image_text(shape)}")
        return tuple(int(s) for s in shape)

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        f = (self.features,)
        return {"gamma": f, "beta": f, "running_mean": f, "running_var": f}

    def initial_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """γ = 1, β = 0, running mean 0 and running variance 1 (host float64), as PyTorch starts."""
        f = self.features
        return {"gamma": np.ones(f), "beta": np.zeros(f), "running_mean": np.zeros(f),
                "running_var": np.ones(f)}

    # ------------------------------------------------------------------ forward
    def forward(self, p: Mapping[str, Any], x, training: bool = False, rng: Any = None):
        """y shaped (N, *in_shape), whether x comes shaped or flat (N, prod(in_shape))."""
        rows = x.reshape(-1, self.features)  # one row per position: the stats are per column
        if not training:
            inv_std = 1.0 / xp.sqrt(p["running_var"] + self.epsilon)
            scale = p["gamma"] * inv_std
            y = rows * scale + (p["beta"] - p["running_mean"] * scale)
            return self._shaped(x, y), ("predict", x.shape, rows, inv_std, y)
        count = rows.shape[0]
        mean = rows.mean(axis=0)
        centred = rows - mean
        var = (centred * centred).mean(axis=0)
        inv_std = 1.0 / xp.sqrt(var + self.epsilon)
        xhat = centred
        xhat *= inv_std  # centred is not needed again: normalise it in place
        y = xhat * p["gamma"] + p["beta"]
        self._update_running(p, mean, var, count)
        return self._shaped(x, y), ("train", x.shape, xhat, inv_std, y)

    def _update_running(self, p, mean, var, count: int) -> None:
        m = self.momentum
        running_mean, running_var = p["running_mean"], p["running_var"]
        running_mean *= 1.0 - m
        running_mean += m * mean.astype(running_mean.dtype, copy=False)
        if count > 1:  # one value has no spread: keep the running variance (see the class note)
            unbiased = var * (count / (count - 1))
            running_var *= 1.0 - m
            running_var += m * unbiased.astype(running_var.dtype, copy=False)

    def _shaped(self, x, y):
        return y.reshape((x.shape[0], *self.out_shape))

    def preactivation(self, cache):
        """The output itself (BatchNorm has no activation), shaped (N, *out_shape)."""
        return cache[4].reshape((cache[1][0], *self.out_shape))

    # ------------------------------------------------------------------ backward
    def backward(self, p, cache, da, g, need_dx: bool):
        """dγ, dβ into g (and zeros for the running statistics); dx shaped like the incoming x."""
        mode, x_shape, saved, inv_std, _ = cache
        dy = da.reshape(-1, self.features)
        if mode == "train":
            xhat = saved
        else:  # predicting: the running statistics are constants
            xhat = (saved - p["running_mean"]) * inv_std
        dgamma = (dy * xhat).sum(axis=0)
        dbeta = dy.sum(axis=0)
        g["gamma"][...] = dgamma
        g["beta"][...] = dbeta
        g["running_mean"][...] = 0
        g["running_var"][...] = 0
        if not need_dx:
            return None
        if mode != "train":
            return (dy * (p["gamma"] * inv_std)).reshape(x_shape)
        # the batch's mean and variance depend on x too:
        # dx = γ/(σ·m) · (m·dy − Σdy − x̂·Σ(dy·x̂)), sums over the m rows of each feature
        count = dy.shape[0]
        dx = dy * count
        dx -= dbeta
        dx -= xhat * dgamma
        dx *= p["gamma"] * (inv_std / count)
        return dx.reshape(x_shape)


@register
class BatchNormKind(BlockKind):
    id = "batchnorm"
    label = "BatchNorm"
    category = "layers"
    description = ("Rescales each feature (or image channel) to mean 0 and spread 1 over the batch, "
                   "then learns its own scale and shift; steadies and speeds up training.")
    icon = "mdi6.chart-bell-curve"
    params = (
        ParamSpec("momentum", "float", 0.1, low=0.0, high=1.0,
                  description="how far the running mean and variance move toward each batch's "
                              "(PyTorch's meaning); predicting uses the running ones"),
        ParamSpec("epsilon", "float", 1e-5, low=1e-12,
                  description="a small number added to the variance so it never divides by 0"),
    )

    def output_shape(self, params, input_shapes):
        if len(input_shapes) != 1:
            return "BatchNorm takes one input"
        try:
            return BatchNormLayer.output_shape(tuple(input_shapes[0]))
        except ValueError as exc:
            return str(exc)

    def build(self, params, input_shape):
        return BatchNormLayer(input_shape, float(params["momentum"]), float(params["epsilon"]))
