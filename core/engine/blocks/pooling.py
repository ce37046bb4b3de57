"""Max and average pooling over square windows of channels-last images ('valid' windows only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from core.engine.backend import xp
from core.engine.blocks.base import BlockKind, ParamSpec, register
from core.engine.blocks.conv import check_image, check_positive, image_windows


def spread_windows(dwindows, image_shape: tuple[int, int, int], stride: int):
    """The gradient of an (N, H', W', p, p, C) window view, summed back onto its (N, H, W, C) image:
    a reshape when the windows tile the image, else one strided add per offset in the window."""
    n, out_h, out_w, pool, _, channels = dwindows.shape
    height, width, _ = image_shape
    if stride == pool:
        tiled = dwindows.transpose(0, 1, 3, 2, 4, 5).reshape(n, out_h * pool, out_w * pool, channels)
        if out_h * pool == height and out_w * pool == width:
            return tiled
        dx = xp.zeros((n, height, width, channels), dtype=dwindows.dtype)
        dx[:, :out_h * pool, :out_w * pool] = tiled
        return dx
    dx = xp.zeros((n, height, width, channels), dtype=dwindows.dtype)
    rows, cols = (out_h - 1) * stride + 1, (out_w - 1) * stride + 1
    for a in range(pool):  # pool × pool offsets, never a loop over pixels
        for b in range(pool):
            dx[:, a:a + rows:stride, b:b + cols:stride] += dwindows[:, :, :, a, b]
    return dx


class Pool2DLayer:
    """What max and average pooling share: window geometry, shapes, no parameters."""

    decay: tuple[str, ...] = ()
    label = "Pool2D"
    stochastic = False

    def __init__(self, input_shape: tuple[int, ...], pool_size: int = 2, strides: int | None = None) -> None:
        self.in_shape = tuple(int(s) for s in input_shape)
        self.out_shape = self.output_shape(self.in_shape, pool_size, strides)
        self.pool_size = int(pool_size)
        self.strides = self.pool_size if strides is None else int(strides)
        self.n_in, self.n_out = int(np.prod(self.in_shape)), int(np.prod(self.out_shape))
        self.keep_preactivation = False

    @classmethod
    def output_shape(cls, input_shape: tuple[int, ...], pool_size: int = 2,
                     strides: int | None = None) -> tuple[int, int, int]:
        """(H', W', C) for one (H, W, C) sample, or a ValueError in plain words."""
        height, width, channels = check_image(cls.label, input_shape)
        pool = check_positive(cls.label, "pool size", pool_size)
        stride = pool if strides is None else check_positive(cls.label, "stride", strides)
        if pool > height or pool > width:
            raise ValueError(f"pool {pool} is larger than the {height}×{width} input")
        return ((height - pool) // stride + 1, (width - pool) // stride + 1, channels)

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        return {}

    def initial_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {}

    def _windows(self, x):
        x = x.reshape((x.shape[0], *self.in_shape))
        return image_windows(x, self.pool_size, self.strides, self.out_shape[0], self.out_shape[1])


class MaxPool2DLayer(Pool2DLayer):
    """Each window's largest value per channel; the gradient goes to that one (the first, on ties)."""

    label = "MaxPool2D"

    def forward(self, p: Mapping[str, Any], x, training: bool = False, rng: Any = None):
        # one element-wise pass per offset in the window (p·p of them, never a loop over pixels):
        # cheaper than argmax over a copied (N, H', W', p·p, C) stack of the windows
        windows = self._windows(x)
        pool = self.pool_size
        a = windows[:, :, :, 0, 0].copy()
        for k in range(1, pool * pool):
            xp.maximum(a, windows[:, :, :, k // pool, k % pool], out=a)
        winner = xp.full(a.shape, pool * pool - 1, dtype=xp.int8 if pool * pool < 128 else xp.int32)
        for k in range(pool * pool - 2, -1, -1):  # last to first: the first maximum wins ties
            xp.copyto(winner, k, where=windows[:, :, :, k // pool, k % pool] == a)
        return a, (x.shape, winner)

    def backward(self, p, cache, da, g, need_dx: bool):
        if not need_dx:
            return None
        x_shape, winner = cache
        pool, s = self.pool_size, self.strides
        da = da.reshape((da.shape[0], *self.out_shape))
        n, out_h, out_w, channels = da.shape
        height, width, _ = self.in_shape
        dx = xp.zeros((n, height, width, channels), dtype=da.dtype)
        rows, cols = (out_h - 1) * s + 1, (out_w - 1) * s + 1
        for k in range(pool * pool):  # the gradient to each window's winner, one offset at a time
            a, b = divmod(k, pool)
            dx[:, a:a + rows:s, b:b + cols:s] += (winner == k) * da
        return dx.reshape(x_shape)


class AvgPool2DLayer(Pool2DLayer):
    """Each window's mean per channel; the gradient is shared equally over the window."""

    label = "AvgPool2D"

    def forward(self, p: Mapping[str, Any], x, training: bool = False, rng: Any = None):
        return self._windows(x).mean(axis=(3, 4)), x.shape

    def backward(self, p, cache, da, g, need_dx: bool):
        if not need_dx:
            return None
        x_shape = cache
        pool = self.pool_size
        da = da.reshape((da.shape[0], *self.out_shape)) / (pool * pool)
        dwindows = xp.broadcast_to(da[:, :, :, None, None, :], (*da.shape[:3], pool, pool, da.shape[3]))
        return spread_windows(dwindows, self.in_shape, self.strides).reshape(x_shape)


class _PoolKind(BlockKind):
    category = "layers"
    layer: type[Pool2DLayer] = Pool2DLayer
    params = (
        ParamSpec("pool_size", "int", 2, low=1, high=32, description="the window's width and height"),
        ParamSpec("strides", "int", 0, low=0, high=32,
                  description="the step between windows (0: the pool size, so they do not overlap)"),
    )

    def output_shape(self, params, input_shapes):
        if len(input_shapes) != 1:
            return f"{self.label} takes one input"
        try:
            return self.layer.output_shape(tuple(input_shapes[0]), int(params["pool_size"]),
                                           int(params["strides"]) or None)
        except ValueError as exc:
            return str(exc)

    def build(self, params, input_shape):
        return self.layer(input_shape, int(params["pool_size"]), int(params["strides"]) or None)


@register
class MaxPool2DKind(_PoolKind):
    id = "max_pool2d"
    label = "MaxPool2D"
    description = "Keeps the strongest value of each small window: a smaller image, the same patterns."
    icon = "mdi6.arrow-collapse-all"
    layer = MaxPool2DLayer


@register
class AvgPool2DKind(_PoolKind):
    id = "avg_pool2d"
    label = "AvgPool2D"
    description = "Averages each small window: a smaller, smoother image."
    icon = "mdi6.blur"
    layer = AvgPool2DLayer
