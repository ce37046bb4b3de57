"""The Dense block, and the linear layer (weighted sums, bias, activations) it shares with neurons."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.engine import initializers
from core.engine.activations import Activation, make_activation
from core.engine.backend import sum_rows, xp
from core.engine.blocks.base import ACTIVATION_PARAMS, BlockKind, ParamSpec, register


@dataclass(frozen=True)
class ActivationGroup:
    """Columns of a layer that share one activation (all of them, for a Dense block)."""

    columns: Any  # None for every column, else an index array
    activation: Activation
    learned: tuple[str, ...] = ()  # names of this group's learned parameters in the layer


class LinearLayer:
    """z = x·W + b, then each group's activation; an optional mask keeps absent wires at zero."""

    decay = ("kernel",)

    def __init__(self, n_in: int, n_out: int, groups: list[ActivationGroup], use_bias: bool = True,
                 mask: np.ndarray | None = None) -> None:
        self.n_in, self.n_out = n_in, n_out
        self.groups = groups
        self.use_bias = use_bias
        self.mask = None if mask is None or mask.all() else mask
        self._mask_device = None
        self.single = groups[0] if len(groups) == 1 and groups[0].columns is None else None
        self.output_activation = groups[0].activation.id if len(groups) == 1 else "mixed"
        # The output layer keeps its weighted sums for the loss; others may activate in place.
        self.keep_preactivation = False
        self.stochastic = any(g.activation.stochastic for g in groups)

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        shapes: dict[str, tuple[int, ...]] = {"kernel": (self.n_in, self.n_out)}
        if self.use_bias:
            shapes["bias"] = (self.n_out,)
        for group in self.groups:
            width = self.n_out if group.columns is None else len(group.columns)
            for name in group.learned:
                shapes[name] = (width,)
        return shapes

    def forward_linear(self, p: Mapping[str, Any], x):
        """Only the weighted sums (training with a loss that works from the logits)."""
        z = x @ p["kernel"]
        if self.use_bias:
            z += p["bias"]
        return z, (x, z, None)

    def forward(self, p: Mapping[str, Any], x, training: bool = False, rng: Any = None):
        z = x @ p["kernel"]
        if self.use_bias:
            z += p["bias"]
        single = self.single
        if single is not None:
            if not (self.keep_preactivation or single.learned):  # z is not needed again
                a, c = single.activation.forward_inplace(z, training, rng)
                return a, (x, None, c)
            a, c = single.activation.forward(z, training, rng, self._learned(single, p))
            return a, (x, z, c)
        a = xp.empty_like(z)
        caches = []
        for group in self.groups:
            a[:, group.columns], c = group.activation.forward(
                z[:, group.columns], training, rng, self._learned(group, p))
            caches.append(c)
        return a, (x, z, caches)

    def backward(self, p, cache, da, g, need_dx: bool):
        x, z, c = cache
        if self.single is not None:
            dz, dlearned = self.single.activation.backward(da, c, self._learned(self.single, p))
            self._store_learned(self.single, dlearned, g)
        else:
            dz = xp.empty_like(z)
            for group, gc in zip(self.groups, c, strict=True):
                dz[:, group.columns], dlearned = group.activation.backward(
                    da[:, group.columns], gc, self._learned(group, p))
                self._store_learned(group, dlearned, g)
        return self.backward_linear(p, x, dz, g, need_dx)

    def backward_linear(self, p, x, dz, g, need_dx: bool):
        """The chain rule through the weighted sum, from dL/dz."""
        xp.matmul(x.T, dz, out=g["kernel"])
        if self.mask is not None:
            if self._mask_device is None:
                self._mask_device = xp.asarray(self.mask, dtype=dz.dtype)
            g["kernel"] *= self._mask_device
        if self.use_bias:
            sum_rows(dz, out=g["bias"])
        return dz @ p["kernel"].T if need_dx else None

    @staticmethod
    def preactivation(cache):
        if cache[1] is None:
            raise ValueError("this layer did not keep its weighted sums (keep_preactivation)")
        return cache[1]

    @staticmethod
    def _learned(group: ActivationGroup, p):
        if not group.learned:
            return None
        return {name.rsplit("_", 1)[0]: p[name] for name in group.learned}

    @staticmethod
    def _store_learned(group: ActivationGroup, dlearned, g) -> None:
        for name in group.learned:
            g[name][...] = dlearned[name.rsplit("_", 1)[0]]


def learned_names(activation: Activation, suffix: str) -> tuple[str, ...]:
    return tuple(f"{name}_{suffix}" for name in activation.learnable)


@register
class DenseKind(BlockKind):
    id = "dense"
    label = "Dense"
    category = "layers"
    description = "A fully connected layer: every unit sums every input, adds a bias, then activates."
    params = (
        ParamSpec("units", "int", 8, low=1, high=100_000, description="how many neurons"),
        ParamSpec("activation", "activation", "relu", description="the function of each weighted sum"),
        *ACTIVATION_PARAMS,
        ParamSpec("initializer", "initializer", "auto", description="how the weights start"),
        ParamSpec("use_bias", "bool", True, description="add a learned bias to each unit"),
    )

    def output_shape(self, params, input_shapes):
        if len(input_shapes) != 1 or len(input_shapes[0]) != 1:
            shape = "×".join(str(s) for s in input_shapes[0]) if input_shapes else "nothing"
            return f"Dense expects a flat vector, but gets {shape}; add Flatten"
        return (int(params["units"]),)

    def build(self, params, input_shape):
        activation = make_activation(params["activation"], params.get("activation_params"))
        group = ActivationGroup(None, activation, learned_names(activation, "act"))
        return DenseLayer(input_shape[0], int(params["units"]), [group], bool(params["use_bias"]),
                          initializer=initializers.resolve(params["initializer"], activation.id))


class DenseLayer(LinearLayer):
    """A LinearLayer that draws its own initial weights."""

    def __init__(self, *args: Any, initializer: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initializer = initializer

    def initial_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        shapes = self.param_shapes()
        out = {"kernel": initializers.draw(self.initializer, "", rng, shapes["kernel"],
                                           self.n_in, self.n_out)}
        if self.use_bias:
            out["bias"] = np.zeros(self.n_out)
        for group in self.groups:
            for name in group.learned:
                base = name.rsplit("_", 1)[0]
                out[name] = np.full(shapes[name], group.activation.params[base])
        return out
