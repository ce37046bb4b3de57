"""Layers with a leading variant axis: x (K, N, …), parameters (K, *shape). Every block kind
batches over the variants: the linear layer (neurons, Dense) and Conv2D (core.engine.ensemble.images)
by stacked matrix products, their activations by core.engine.ensemble.activations (PReLU's slopes
and RReLU's draws per variant); SimpleRNN, LSTM and GRU by a stacked product per time step
(core.engine.ensemble.recurrent); BatchNorm with each variant's statistics
(core.engine.ensemble.normalization); Dropout with each variant's masks; layers without parameters
that work sample by sample (Flatten, Reshape, pooling, Add, Concatenate) on the K·N samples at once.
A layer none of these takes runs variant by variant (`PerVariant`, exact for every kind, without the
speed).

An ensemble layer's interface: `forward(p, x, training, rngs)` → (a, cache), where rngs holds one
generator per variant (or None); `forward_linear(p, x)`; `backward(p, cache, da, g, need_dx)`;
`backward_linear(p, cache, dz, g, need_dx)` from the cache of forward_linear; `preactivation(cache)`
when the single layer has one; `layer`, the single layer it batches."""

from __future__ import annotations

from typing import Any

from core.engine.backend import xp
from core.engine.blocks.batchnorm import BatchNormLayer
from core.engine.blocks.dense import LinearLayer
from core.engine.blocks.dropout import DropoutLayer
from core.engine.blocks.merge import MergeLayer
from core.engine.blocks.pooling import Pool2DLayer
from core.engine.blocks.shape_ops import ShapeLayer
from core.engine.ensemble import activations
from core.engine.ensemble.images import EnsembleConv2D
from core.engine.ensemble.normalization import EnsembleBatchNorm
from core.engine.ensemble.recurrent import ensemble_recurrent
from core.engine.ensemble.reduce import sum_samples


def variant(arrays: dict[str, Any], k: int) -> dict[str, Any]:
    """One variant's views of a layer's (K, …) parameter or gradient arrays."""
    return {name: a[k] for name, a in arrays.items()}


class PerVariant:
    """Any single layer, run once per variant on its own slices: exact for every kind."""

    batched = False

    def __init__(self, layer) -> None:
        self.layer = layer
        self.has_preactivation = hasattr(layer, "preactivation")

    def _inputs(self, x, k: int):
        return [part[k] for part in x] if isinstance(x, list) else x[k]

    @staticmethod
    def _stack(parts: list):
        if isinstance(parts[0], list):  # a merge layer's gradients: one per input
            return [xp.stack(column) for column in zip(*parts, strict=True)]
        return xp.stack(parts)

    def forward(self, p, x, training: bool = False, rngs: Any = None):
        outs, caches = [], []
        for k in range(len(x[0]) if isinstance(x, list) else x.shape[0]):
            rng = None if rngs is None else rngs[k]
            a, c = self.layer.forward(variant(p, k), self._inputs(x, k), training, rng)
            outs.append(a)
            caches.append(c)
        return self._stack(outs), caches

    def forward_linear(self, p, x):
        outs, caches = [], []
        for k in range(x.shape[0]):
            z, c = self.layer.forward_linear(variant(p, k), x[k])
            outs.append(z)
            caches.append(c)
        return xp.stack(outs), caches

    def backward(self, p, cache, da, g, need_dx: bool):
        parts = [self.layer.backward(variant(p, k), c, da[k], variant(g, k), need_dx)
                 for k, c in enumerate(cache)]
        return self._stack(parts) if need_dx else None

    def backward_linear(self, p, cache, dz, g, need_dx: bool):
        parts = [self.layer.backward_linear(variant(p, k), c[0], dz[k], variant(g, k), need_dx)
                 for k, c in enumerate(cache)]
        return self._stack(parts) if need_dx else None

    def preactivation(self, cache):
        return xp.stack([self.layer.preactivation(c) for c in cache])


class MergedBatch:
    """A layer without parameters that works sample by sample: the K·N samples as one batch."""

    batched = True

    def __init__(self, layer) -> None:
        self.layer = layer
        self.has_preactivation = False

    def forward(self, p, x, training: bool = False, rngs: Any = None):
        if isinstance(x, list):
            k = x[0].shape[0]
            merged = [part.reshape(-1, *part.shape[2:]) for part in x]
        else:
            k = x.shape[0]
            merged = x.reshape(-1, *x.shape[2:])
        a, c = self.layer.forward(p, merged, training, None)
        return a.reshape(k, -1, *a.shape[1:]), (k, c)

    forward_linear = forward

    def backward(self, p, cache, da, g, need_dx: bool):
        if not need_dx:
            return None
        k, c = cache
        dx = self.layer.backward(p, c, da.reshape(-1, *da.shape[2:]), g, need_dx)
        if isinstance(dx, list):
            return [part.reshape(k, -1, *part.shape[1:]) for part in dx]
        return dx.reshape(k, -1, *dx.shape[1:])

    backward_linear = backward


class EnsembleDropout:
    """Dropout with each variant's mask drawn from its own generator, as its single run draws it."""

    batched = True
    has_preactivation = False

    def __init__(self, layer: DropoutLayer) -> None:
        self.layer = layer

    def forward(self, p, x, training: bool = False, rngs: Any = None):
        layer = self.layer
        if not training or rngs is None or layer.rate == 0.0:
            return x, None
        mask = xp.stack([layer.mask(x.shape[1:], x.dtype, rng) for rng in rngs])
        return x * mask, mask

    def backward(self, p, cache, da, g, need_dx: bool):
        if not need_dx:
            return None
        return da if cache is None else da * cache


class EnsembleLinear:
    """z = x·W + b per variant by one stacked product, then each group's activation (PReLU with
    each variant's slopes, RReLU with each variant's draws: core.engine.ensemble.activations)."""

    batched = True
    has_preactivation = True

    def __init__(self, layer: LinearLayer) -> None:
        self.layer = layer
        self._mask = None

    @staticmethod
    def supports(layer: LinearLayer) -> bool:
        return all(activations.batched(g.activation) for g in layer.groups)

    def _sums(self, p, x):
        z = xp.matmul(x, p["kernel"])
        if self.layer.use_bias:
            z += p["bias"][:, None, :]
        return z

    def forward_linear(self, p, x):
        z = self._sums(p, x)
        return z, (x, z, None)

    def forward(self, p, x, training: bool = False, rngs: Any = None):
        layer = self.layer
        z = self._sums(p, x)
        single = layer.single
        if single is not None:
            if not (layer.keep_preactivation or single.learned):  # z is not needed again
                a, c = activations.forward_inplace(single.activation, z, training, rngs)
                return a, (x, None, c)
            a, c = activations.forward(single.activation, z, training, rngs,
                                       LinearLayer._learned(single, p))
            return a, (x, z, c)
        a = xp.empty_like(z)
        caches = []
        for group in layer.groups:
            a[:, :, group.columns], c = activations.forward(
                group.activation, z[:, :, group.columns], training, rngs,
                LinearLayer._learned(group, p))
            caches.append(c)
        return a, (x, z, caches)

    def backward(self, p, cache, da, g, need_dx: bool):
        x, z, c = cache
        layer = self.layer
        if layer.single is not None:
            single = layer.single
            dz, dlearned = activations.backward(single.activation, da, c,
                                                LinearLayer._learned(single, p))
            LinearLayer._store_learned(single, dlearned, g)
        else:
            dz = xp.empty_like(z)
            for group, gc in zip(layer.groups, c, strict=True):
                dz[:, :, group.columns], dlearned = activations.backward(
                    group.activation, da[:, :, group.columns], gc, LinearLayer._learned(group, p))
                LinearLayer._store_learned(group, dlearned, g)
        return self._backward_sums(p, x, dz, g, need_dx)

    def backward_linear(self, p, cache, dz, g, need_dx: bool):
        return self._backward_sums(p, cache[0], dz, g, need_dx)

    def _backward_sums(self, p, x, dz, g, need_dx: bool):
        layer = self.layer
        xp.matmul(x.transpose(0, 2, 1), dz, out=g["kernel"])
        if layer.mask is not None:
            if self._mask is None:
                self._mask = xp.asarray(layer.mask, dtype=dz.dtype)
            g["kernel"] *= self._mask
        if layer.use_bias:
            sum_samples(dz, out=g["bias"])
        return xp.matmul(dz, p["kernel"].transpose(0, 2, 1)) if need_dx else None

    @staticmethod
    def preactivation(cache):
        if cache[1] is None:
            raise ValueError("this layer did not keep its weighted sums (keep_preactivation)")
        return cache[1]


def ensemble_layer(layer):
    """The batched form of a single layer, or PerVariant where none batches it."""
    if isinstance(layer, LinearLayer) and EnsembleLinear.supports(layer):
        return EnsembleLinear(layer)
    if isinstance(layer, (ShapeLayer, Pool2DLayer, MergeLayer)):
        return MergedBatch(layer)
    if isinstance(layer, DropoutLayer):
        return EnsembleDropout(layer)
    if EnsembleConv2D.supports(layer):
        return EnsembleConv2D(layer)
    if isinstance(layer, BatchNormLayer):
        return EnsembleBatchNorm(layer)
    recurrent = ensemble_recurrent(layer)
    if recurrent is not None:
        return recurrent
    return PerVariant(layer)
