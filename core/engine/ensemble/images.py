"""Conv2D on the ensemble axis: im2col over the K·N images at once, then one small product per
image with its variant's kernel (a stacked, broadcast matmul), the same products a single run
takes, so that each variant's sums and gradients are its single run's; its activation by
core.engine.ensemble.activations (PReLU's slopes per variant, RReLU's draws per variant)."""

from __future__ import annotations

from typing import Any

from core.engine.backend import xp
from core.engine.blocks.conv import Conv2DLayer, image_windows
from core.engine.ensemble import activations
from core.engine.ensemble.reduce import sum_samples


class EnsembleConv2D:
    batched = True
    has_preactivation = True

    def __init__(self, layer: Conv2DLayer) -> None:
        self.layer = layer

    @staticmethod
    def supports(layer) -> bool:
        return isinstance(layer, Conv2DLayer) and activations.batched(layer.activation)

    def _columns(self, x):
        """The im2col matrix of every variant's images, (K·N·H'·W', k·k·C_in)."""
        return self.layer._columns(x.reshape(-1, *x.shape[2:]))

    def _sums(self, p, cols, k: int, n: int):
        layer = self.layer
        width, f = cols.shape[1], layer.filters
        positions = layer.out_shape[0] * layer.out_shape[1]
        z = xp.matmul(cols.reshape(k, n, positions, width), p["kernel"].reshape(k, 1, width, f))
        z = z.reshape(k, n * positions, f)
        if layer.use_bias:
            z += p["bias"][:, None, :]
        return z  # (K, N·H'·W', filters)

    def forward_linear(self, p, x):
        k, n = x.shape[:2]
        cols = self._columns(x)
        z = self._sums(p, cols, k, n)
        return z.reshape(k, n, *self.layer.out_shape), (x, z, None, cols)

    def forward(self, p, x, training: bool = False, rngs: Any = None):
        layer = self.layer
        k, n = x.shape[:2]
        cols = self._columns(x)
        z = self._sums(p, cols, k, n)
        if not (layer.keep_preactivation or layer.learned):  # z is not needed again
            a, c = activations.forward_inplace(layer.activation, z, training, rngs)
            return a.reshape(k, n, *layer.out_shape), (x, None, c, cols)
        a, c = activations.forward(layer.activation, z, training, rngs, layer._learned(p))
        return a.reshape(k, n, *layer.out_shape), (x, z, c, cols)

    def backward(self, p, cache, da, g, need_dx: bool):
        x, _, c, cols = cache
        layer = self.layer
        dz, dlearned = activations.backward(layer.activation,
                                            da.reshape(x.shape[0], -1, layer.filters), c,
                                            layer._learned(p))
        for name in layer.learned:
            g[name][...] = dlearned[name.rsplit("_", 1)[0]]
        return self._backward_sums(p, x, cols, dz, g, need_dx)

    def backward_linear(self, p, cache, dz, g, need_dx: bool):
        x, _, _, cols = cache
        return self._backward_sums(p, x, cols, dz.reshape(x.shape[0], -1, self.layer.filters), g,
                                   need_dx)

    def _backward_sums(self, p, x, cols, dz, g, need_dx: bool):
        layer = self.layer
        k, n = x.shape[:2]
        width, f = cols.shape[1], layer.filters
        kernel_grad = g["kernel"]
        if n * width * f <= 2**20:  # per image, then their sum, as Conv2DLayer decides
            per_image = xp.matmul(cols.reshape(k, n, -1, width).transpose(0, 1, 3, 2),
                                  dz.reshape(k, n, -1, f))
            kernel_grad[...] = sum_samples(per_image.reshape(k, n, width * f)).reshape(
                kernel_grad.shape)
        else:
            kernel_grad[...] = xp.matmul(cols.reshape(k, -1, width).transpose(0, 2, 1),
                                         dz).reshape(kernel_grad.shape)
        if layer.use_bias:
            sum_samples(dz, out=g["bias"])
        if not need_dx:
            return None
        return self._input_gradient(p, dz, k, n).reshape(x.shape)

    def _input_gradient(self, p, dz, k: int, n: int):
        """dL/dx of every image, as Conv2DLayer._input_gradient, each with its variant's kernel."""
        layer = self.layer
        size, s, f = layer.kernel_size, layer.strides, layer.filters
        height, width, channels = layer.in_shape
        out_h, out_w, _ = layer.out_shape
        padded_h = height + layer.pad_top + layer.pad_bottom
        padded_w = width + layer.pad_left + layer.pad_right
        kernel = p["kernel"]  # (K, k, k, C_in, filters)
        if s == 1:
            spread = xp.zeros((k * n, padded_h + size - 1, padded_w + size - 1, f), dtype=dz.dtype)
            spread[:, size - 1:size - 1 + out_h, size - 1:size - 1 + out_w] = dz.reshape(
                k * n, out_h, out_w, f)
            windows = image_windows(spread[:, layer.pad_top:, layer.pad_left:], size, 1, height,
                                    width)
            turned = kernel[:, ::-1, ::-1].transpose(0, 1, 2, 4, 3).reshape(
                k, 1, size * size * f, channels)
            return xp.matmul(windows.reshape(k, n, height * width, size * size * f), turned)
        dcols = xp.matmul(dz.reshape(k, n, out_h * out_w, f),
                          kernel.reshape(k, 1, size * size * channels, f).transpose(0, 1, 3, 2))
        dcols = dcols.reshape(k * n, out_h, out_w, size, size, channels)
        dpadded = xp.zeros((k * n, padded_h, padded_w, channels), dtype=dz.dtype)
        rows, cols = (out_h - 1) * s + 1, (out_w - 1) * s + 1
        for a in range(size):
            for b in range(size):
                dpadded[:, a:a + rows:s, b:b + cols:s] += dcols[:, :, :, a, b]
        return dpadded[:, layer.pad_top:layer.pad_top + height, layer.pad_left:layer.pad_left + width]

    def preactivation(self, cache):
        x, z = cache[0], cache[1]
        if z is None:
            raise ValueError("this layer did not keep its weighted sums (keep_preactivation)")
        return z.reshape(x.shape[0], x.shape[1], *self.layer.out_shape)
