"""Layers that only rearrange a sample's values: Flatten and Reshape (no parameters, no copies)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from core.engine.blocks.base import BlockKind, ParamSpec, register
from core.engine.blocks.conv import image_text


class ShapeLayer:
    """A view of each sample under another shape; the gradient takes the input's shape back."""

    decay: tuple[str, ...] = ()
    stochastic = False

    def __init__(self, input_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> None:
        self.in_shape = tuple(int(s) for s in input_shape)
        self.out_shape = out_shape
        self.n_in = self.n_out = int(np.prod(self.in_shape))
        self.keep_preactivation = False

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        return {}

    def initial_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {}

    def forward(self, p: Mapping[str, Any], x, training: bool = False, rng: Any = None):
        return x.reshape((x.shape[0], *self.out_shape)), x.shape

    def backward(self, p, cache, da, g, need_dx: bool):
        return da.reshape(cache) if need_dx else None


class FlattenLayer(ShapeLayer):
    """(N, …) → (N, product of the rest), in row-major (channels-last) order."""

    def __init__(self, input_shape: tuple[int, ...]) -> None:
        super().__init__(input_shape, self.output_shape(input_shape))

    @staticmethod
    def output_shape(input_shape: tuple[int, ...]) -> tuple[int]:
        if not input_shape or any(int(s) < 1 for s in input_shape):
            raise ValueError(f"Flatten needs an input with a size, but gets {image_text(tuple(input_shape))}")
        return (int(np.prod(input_shape)),)


class ReshapeLayer(ShapeLayer):
    """(N, …) → (N, *target); one target entry may be −1, the size that makes the counts agree."""

    def __init__(self, input_shape: tuple[int, ...], target_shape: tuple[int, ...]) -> None:
        super().__init__(input_shape, self.output_shape(input_shape, target_shape))

    @staticmethod
    def output_shape(input_shape: tuple[int, ...], target_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The target with any −1 filled in, or a ValueError in plain words."""
        target = tuple(target_shape)
        if not target or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in target):
            raise ValueError(f"Reshape needs a target shape of whole numbers, not {target_shape!r}")
        if any(s == 0 or s < -1 for s in target) or target.count(-1) > 1:
            raise ValueError(f"Reshape target {target_shape!r}: sizes must be at least 1, "
                             "with at most one −1 for 'the rest'")
        size = int(np.prod(input_shape)) if input_shape else 0
        known = int(np.prod([s for s in target if s != -1]))
        text = image_text(tuple(input_shape))
        if -1 in target:
            if size % known:
                raise ValueError(f"Reshape cannot fit the {size} values of {text} into "
                                 f"{image_text(target).replace('-1', '?')}")
            return tuple(int(size // known) if s == -1 else int(s) for s in target)
        if known != size:
            raise ValueError(f"Reshape to {image_text(target)} needs {known} values, "
                             f"but the input {text} has {size}")
        return tuple(int(s) for s in target)


def parse_shape(text: Any) -> tuple[int, ...]:
    """'8, 8, 1' or '8×8×1' → (8, 8, 1); ValueError with a plain message otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("Reshape needs a target shape such as 8,8,1")
    parts = [p for p in text.replace("×", ",").replace("x", ",").replace(" ", ",").split(",") if p]
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"Reshape needs whole numbers such as 8,8,1, not {text!r}") from None


@register
class FlattenKind(BlockKind):
    id = "flatten"
    label = "Flatten"
    category = "layers"
    description = "Lays an image (or any block of numbers) out as one long vector, for Dense."
    icon = "mdi6.format-align-justify"
    params = ()

    def output_shape(self, params, input_shapes):
        if len(input_shapes) != 1:
            return "Flatten takes one input"
        try:
            return FlattenLayer.output_shape(tuple(input_shapes[0]))
        except ValueError as exc:
            return str(exc)

    def build(self, params, input_shape):
        return FlattenLayer(input_shape)


@register
class ReshapeKind(BlockKind):
    id = "reshape"
    label = "Reshape"
    category = "layers"
    description = "Arranges the same numbers in a new shape, such as 64 pixels into an 8×8×1 image."
    icon = "mdi6.resize"
    params = (ParamSpec("shape", "str", "8,8,1", description="the new shape, e.g. 8,8,1 (one -1 "
                                                             "may stand for what is left)"),)

    def output_shape(self, params, input_shapes):
        if len(input_shapes) != 1:
            return "Reshape takes one input"
        try:
            return ReshapeLayer.output_shape(tuple(input_shapes[0]), parse_shape(params["shape"]))
        except ValueError as exc:
            return str(exc)

    def build(self, params, input_shape):
        return ReshapeLayer(input_shape, parse_shape(params["shape"]))
