"""The Dropout block: while training, zero a random share of values and scale the rest up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from core.engine.backend import to_device
from core.engine.blocks.base import BlockKind, ParamSpec, register


class DropoutLayer:
    """Inverted dropout: keep each value with probability 1 − rate and divide it by 1 − rate.

    Active only when training with the model's rng (drawn from (seed, step), so resuming is
    exact); at inference it passes its input through untouched."""

    decay: tuple[str, ...] = ()
    stochastic = True

    def __init__(self, input_shape: tuple[int, ...], rate: float) -> None:
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout rate must be at least 0 and below 1, not {rate}")
        self.rate = float(rate)
        self.in_shape = self.out_shape = tuple(int(s) for s in input_shape)
        self.n_in = self.n_out = int(np.prod(self.in_shape))
        self.keep_preactivation = False

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        return {}

    def initial_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {}

    def mask(self, shape: tuple[int, ...], dtype: Any, rng: np.random.Generator):
        """Kept positions hold 1/(1 − rate), dropped ones 0 (drawn on the host, then moved)."""
        keep = rng.random(shape, dtype=np.float32) >= self.rate
        return to_device(keep.astype(dtype) * dtype.type(1.0 / (1.0 - self.rate)))

    def forward(self, p: Mapping[str, Any], x, training: bool = False, rng: Any = None):
        if not training or rng is None or self.rate == 0.0:
            return x, None
        mask = self.mask(x.shape, np.dtype(x.dtype), rng)
        return x * mask, mask

    def backward(self, p, cache, da, g, need_dx: bool):
        if not need_dx:
            return None
        return da if cache is None else da * cache


@register
class DropoutKind(BlockKind):
    id = "dropout"
    label = "Dropout"
    category = "layers"
    description = ("While training, switches off a random share of the values passing through "
                   "so the network cannot lean on any one; does nothing when predicting.")
    icon = "mdi6.dots-grid"
    params = (ParamSpec("rate", "float", 0.5, low=0.0, high=0.95,
                        description="the share of values switched off at each training step"),)

    def output_shape(self, params, input_shapes):
        if len(input_shapes) != 1:
            return "Dropout takes one input"
        return tuple(int(s) for s in input_shapes[0])

    def build(self, params, input_shape):
        return DropoutLayer(input_shape, float(params["rate"]))
