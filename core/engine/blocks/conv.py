"""The 2-D convolution layer (channels-last images), by im2col and one matrix product."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from core.engine import initializers
from core.engine.activations import Activation, make_activation
from core.engine.backend import sum_rows, xp
from core.engine.blocks.base import ACTIVATION_PARAMS, BlockKind, ParamSpec, register

PADDINGS = ("valid", "same")


def image_text(shape: tuple[int, ...]) -> str:
    """'16' or '8×8×3': a per-sample shape as a person reads it."""
    return "×".join(str(s) for s in shape) if shape else "nothing"


def check_image(layer: str, input_shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(height, width, channels), or a ValueError saying what the layer got instead."""
    if len(input_shape) != 3 or any(int(s) < 1 for s in input_shape):
        raise ValueError(f"{layer} expects an image (height×width×channels), but gets "
                         f"{image_text(tuple(input_shape))}; add Reshape")
    return int(input_shape[0]), int(input_shape[1]), int(input_shape[2])


def check_positive(layer: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{layer} {name} must be a whole number of at least 1, not {value!r}")
    return int(value)


def window_axis(size: int, window: int, stride: int, padding: str) -> tuple[int, int, int]:
    """(output length, zeros before, zeros after) along one image axis, as TensorFlow pads:
    'valid' keeps floor((size − window)/stride) + 1 whole windows; 'same' gives ceil(size/stride)
    outputs and pads the shortfall, the odd zero after."""
    if padding == "valid":
        return (size - window) // stride + 1, 0, 0
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + window - size, 0)
    return out, total // 2, total - total // 2


def image_windows(x, window: int, stride: int, out_h: int, out_w: int):
    """A (N, out_h, out_w, window, window, C) view of the windows of an (N, H, W, C) image, each
    `stride` apart: no copy until the caller reshapes it (x may be any strided view)."""
    sn, sh, sw, sc = x.strides
    shape = (x.shape[0], out_h, out_w, window, window, x.shape[3])
    strides = (sn, sh * stride, sw * stride, sh, sw, sc)
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)


class Conv2DLayer:
    """z = the kernel slid over the image (N, H, W, C_in) → (N, H', W', filters), plus a bias,
    then the activation per position; parameters: kernel (k, k, C_in, filters), bias (filters,)."""

    decay = ("kernel",)

    def __init__(self, input_shape: tuple[int, ...], filters: int, kernel_size: int, strides: int = 1,
                 padding: str = "valid", activation: Activation | None = None, use_bias: bool = True,
                 initializer: str = "auto") -> None:
        self.in_shape = tuple(int(s) for s in input_shape)
        self.out_shape = self.output_shape(self.in_shape, filters, kernel_size, strides, padding)
        self.filters, self.kernel_size, self.strides = int(filters), int(kernel_size), int(strides)
        self.padding = padding
        self.activation = activation if activation is not None else make_activation("identity")
        self.learned = tuple(f"{name}_act" for name in self.activation.learnable)  # one per filter
        self.use_bias = use_bias
        self.initializer = initializers.resolve(initializer, self.activation.id)
        height, width, self.channels = self.in_shape
        _, self.pad_top, self.pad_bottom = window_axis(height, self.kernel_size, self.strides, padding)
        _, self.pad_left, self.pad_right = window_axis(width, self.kernel_size, self.strides, padding)
        self.n_in, self.n_out = int(np.prod(self.in_shape)), int(np.prod(self.out_shape))
        self.output_activation = self.activation.id
        self.keep_preactivation = False
        self.stochastic = self.activation.stochastic

    @staticmethod
    def output_shape(input_shape: tuple[int, ...], filters: int, kernel_size: int, strides: int = 1,
                     padding: str = "valid") -> tuple[int, int, int]:
        """(H', W', filters) for one (H, W, C) sample, or a ValueError in plain words."""
        height, width, _ = check_image("Conv2D", input_shape)
        check_positive("Conv2D", "filters", filters)
        k = check_positive("Conv2D", "kernel size", kernel_size)
        s = check_positive("Conv2D", "stride", strides)
        if padding not in PADDINGS:
            raise ValueError(f"Conv2D padding must be 'valid' or 'same', not {padding!r}")
        if padding == "valid" and (k > height or k > width):
            raise ValueError(f"kernel {k} is larger than the {height}×{width} input; "
                             "use a smaller kernel or 'same' padding")
        return (window_axis(height, k, s, padding)[0], window_axis(width, k, s, padding)[0], int(filters))

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        shapes: dict[str, tuple[int, ...]] = {
            "kernel": (self.kernel_size, self.kernel_size, self.channels, self.filters)}
        if self.use_bias:
            shapes["bias"] = (self.filters,)
        for name in self.learned:
            shapes[name] = (self.filters,)
        return shapes

    def initial_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Host float64 arrays, as DenseLayer draws them; fan-in k·k·C_in, fan-out k·k·filters."""
        area = self.kernel_size * self.kernel_size
        out = {"kernel": initializers.draw(self.initializer, "", rng, self.param_shapes()["kernel"],
                                           area * self.channels, area * self.filters)}
        if self.use_bias:
            out["bias"] = np.zeros(self.filters)
        for name in self.learned:
            out[name] = np.full(self.filters, self.activation.params[name.rsplit("_", 1)[0]])
        return out

    # ------------------------------------------------------------------ forward
    def _columns(self, x):
        """The im2col matrix (N·H'·W', k·k·C_in) of a batch shaped (N, H, W, C) or (N, H·W·C)."""
        x = x.reshape((x.shape[0], *self.in_shape))
        if self.pad_top or self.pad_bottom or self.pad_left or self.pad_right:
            height, width, channels = self.in_shape
            padded = xp.zeros((x.shape[0], height + self.pad_top + self.pad_bottom,
                               width + self.pad_left + self.pad_right, channels), dtype=x.dtype)
            padded[:, self.pad_top:self.pad_top + height, self.pad_left:self.pad_left + width] = x
            x = padded  # as xp.pad, without its Python overhead
        out_h, out_w, _ = self.out_shape
        windows = image_windows(x, self.kernel_size, self.strides, out_h, out_w)
        return windows.reshape(x.shape[0] * out_h * out_w, -1)

    def _sums(self, p: Mapping[str, Any], cols):
        # one product per sample (a stacked matmul): each is small enough that OpenBLAS keeps it on
        # one thread, where one (N·H'·W')×(k·k·C) product spreads over threads and, on a busy
        # machine, waits on them (measured 10–100× slower on a shared 2-core box)
        n = cols.shape[0] // (self.out_shape[0] * self.out_shape[1])
        z = xp.matmul(cols.reshape(n, -1, cols.shape[1]), p["kernel"].reshape(cols.shape[1], self.filters))
        z = z.reshape(-1, self.filters)
        if self.use_bias:
            z += p["bias"]
        return z  # (N·H'·W', filters): activations see one row per position

    def forward_linear(self, p: Mapping[str, Any], x):
        """Only the convolution sums (training with a loss that works from the logits)."""
        cols = self._columns(x)
        z = self._sums(p, cols)
        return z.reshape((x.shape[0], *self.out_shape)), (x, z, None, cols)

    def forward(self, p: Mapping[str, Any], x, training: bool = False, rng: Any = None):
        cols = self._columns(x)
        z = self._sums(p, cols)
        if not (self.keep_preactivation or self.learned):  # z is not needed again
            a, c = self.activation.forward_inplace(z, training, rng)
            return a.reshape((x.shape[0], *self.out_shape)), (x, None, c, cols)
        a, c = self.activation.forward(z, training, rng, self._learned(p))
        return a.reshape((x.shape[0], *self.out_shape)), (x, z, c, cols)

    # ------------------------------------------------------------------ backward
    def backward(self, p, cache, da, g, need_dx: bool):
        x, _, c, cols = cache
        dz, dlearned = self.activation.backward(da.reshape(-1, self.filters), c, self._learned(p))
        for name in self.learned:
            g[name][...] = dlearned[name.rsplit("_", 1)[0]]
        return self._backward_sums(p, x, cols, dz, g, need_dx)

    def backward_linear(self, p, x, dz, g, need_dx: bool):
        """The chain rule through the convolution, from dL/dz (N, H', W', filters)."""
        return self._backward_sums(p, x, self._columns(x), dz.reshape(-1, self.filters), g, need_dx)

    def _backward_sums(self, p, x, cols, dz, g, need_dx: bool):
        kernel_grad = g["kernel"]
        n = dz.shape[0] // (self.out_shape[0] * self.out_shape[1])
        width = cols.shape[1]
        if n * width * self.filters <= 2**20:
            # per-sample products, then their sum (see _sums: small products stay on one thread);
            # only while the (N, k·k·C, filters) stack of them stays small
            per_sample = xp.matmul(cols.reshape(n, -1, width).transpose(0, 2, 1),
                                   dz.reshape(n, -1, self.filters))
            total = sum_rows(per_sample.reshape(n, width * self.filters))
            kernel_grad[...] = total.reshape(kernel_grad.shape)
        else:
            kernel_grad[...] = (cols.T @ dz).reshape(kernel_grad.shape)
        if self.use_bias:
            sum_rows(dz, out=g["bias"])
        if not need_dx:
            return None
        return self._input_gradient(p, dz).reshape(x.shape)

    def _input_gradient(self, p, dz):
        """dL/dx (N·H·W, C_in) from dL/dz (N·H'·W', filters), by one matrix product each way."""
        k, s, f = self.kernel_size, self.strides, self.filters
        height, width, channels = self.in_shape
        out_h, out_w, _ = self.out_shape
        n = dz.shape[0] // (out_h * out_w)
        padded_h = height + self.pad_top + self.pad_bottom
        padded_w = width + self.pad_left + self.pad_right
        if s == 1:
            # a transposed convolution: dz padded by k − 1, slid over by the kernel turned half a
            # turn, only at the windows that land on the unpadded image (im2col + one product)
            spread = xp.zeros((n, padded_h + k - 1, padded_w + k - 1, f), dtype=dz.dtype)
            spread[:, k - 1:k - 1 + out_h, k - 1:k - 1 + out_w] = dz.reshape(n, out_h, out_w, f)
            windows = image_windows(spread[:, self.pad_top:, self.pad_left:], k, 1, height, width)
            turned = p["kernel"][::-1, ::-1].transpose(0, 1, 3, 2).reshape(k * k * f, channels)
            return xp.matmul(windows.reshape(n, height * width, k * k * f), turned).reshape(-1, channels)
        # strided: the columns' gradient, then one strided add per kernel offset (k·k of them);
        # measured 3× faster than a transposed convolution over a dz mostly spread with zeros
        dcols = xp.matmul(dz.reshape(n, out_h * out_w, f), p["kernel"].reshape(k * k * channels, f).T)
        dcols = dcols.reshape(n, out_h, out_w, k, k, channels)
        dpadded = xp.zeros((n, padded_h, padded_w, channels), dtype=dz.dtype)
        rows, cols = (out_h - 1) * s + 1, (out_w - 1) * s + 1
        for a in range(k):
            for b in range(k):
                dpadded[:, a:a + rows:s, b:b + cols:s] += dcols[:, :, :, a, b]
        return dpadded[:, self.pad_top:self.pad_top + height, self.pad_left:self.pad_left + width]

    # ------------------------------------------------------------------ helpers
    def preactivation(self, cache):
        """The convolution sums, shaped (N, H', W', filters) like the output."""
        if cache[1] is None:
            raise ValueError("this layer did not keep its weighted sums (keep_preactivation)")
        return cache[1].reshape((cache[0].shape[0], *self.out_shape))

    def _learned(self, p):
        if not self.learned:
            return None
        return {name.rsplit("_", 1)[0]: p[name] for name in self.learned}


@register
class Conv2DKind(BlockKind):
    id = "conv2d"
    label = "Conv2D"
    category = "layers"
    description = ("A convolution: small filters slide over the image, each finding one pattern "
                   "(an edge, a stroke) wherever it is.")
    icon = "mdi6.grid"
    inside_view = "cnn"  # layer: a Conv2DLayer
    params = (
        ParamSpec("filters", "int", 16, low=1, high=4096, description="how many patterns to learn"),
        ParamSpec("kernel_size", "int", 3, low=1, high=31, description="each filter's width and height"),
        ParamSpec("strides", "int", 1, low=1, high=16, description="the step between positions"),
        ParamSpec("padding", "str", "same", choices=("valid", "same"),
                  description="'same' keeps the size (zeros around the edge); 'valid' does not pad"),
        ParamSpec("activation", "activation", "relu", description="the function of each sum"),
        *ACTIVATION_PARAMS,
        ParamSpec("initializer", "initializer", "auto", description="how the weights start"),
        ParamSpec("use_bias", "bool", True, description="add a learned bias to each filter"),
    )

    def output_shape(self, params, input_shapes):
        if len(input_shapes) != 1:
            return "Conv2D takes one input"
        try:
            return Conv2DLayer.output_shape(tuple(input_shapes[0]), int(params["filters"]),
                                            int(params["kernel_size"]), int(params["strides"]),
                                            params["padding"])
        except ValueError as exc:
            return str(exc)

    def build(self, params, input_shape):
        activation = make_activation(params["activation"], params.get("activation_params"))
        return Conv2DLayer(input_shape, int(params["filters"]), int(params["kernel_size"]),
                           int(params["strides"]), params["padding"], activation,
                           bool(params["use_bias"]), params["initializer"])
