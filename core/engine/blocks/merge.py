"""The merge blocks, Add and Concatenate: two or more inputs into one, so that a design can be a graph
(a skip connection, two branches) and not only a chain.

A merge layer takes its inputs separately, as a list in the order of its incoming connections (the
model gathers them so: `merges = True`), and gives back one gradient per input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from core.engine.backend import xp
from core.engine.blocks.base import BlockKind, register
from core.engine.blocks.conv import image_text


class MergeLayer:
    """What Add and Concatenate share: no parameters, a list of inputs, a list of gradients."""

    decay: tuple[str, ...] = ()
    stochastic = False
    merges = True

    def __init__(self, input_shapes: list[tuple[int, ...]], out_shape: tuple[int, ...]) -> None:
        self.in_shapes = [tuple(int(s) for s in shape) for shape in input_shapes]
        self.in_shape = self.in_shapes[0]
        self.out_shape = tuple(int(s) for s in out_shape)
        self.n_in = sum(int(np.prod(s)) for s in self.in_shapes)
        self.n_out = int(np.prod(self.out_shape))
        self.keep_preactivation = False

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        return {}

    def initial_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {}

    def _shaped(self, xs: list) -> list:
        """Each input as (N, *its shape) (a neuron's column or a flat slot arrives as (N, width))."""
        return [x.reshape((x.shape[0], *shape)) for x, shape in zip(xs, self.in_shapes, strict=True)]


class AddLayer(MergeLayer):
    """y = x₁ + x₂ + …, value by value; each input's gradient is the output's."""

    def forward(self, p: Mapping[str, Any], xs: list, training: bool = False, rng: Any = None):
        shaped = self._shaped(xs)
        y = shaped[0] + shaped[1] if len(shaped) > 1 else shaped[0].copy()
        for x in shaped[2:]:
            y += x
        return y, [x.shape for x in xs]

    def backward(self, p, cache, da, g, need_dx: bool):
        if not need_dx:
            return None
        # the first input may take the output's gradient itself (nothing reads it again); the others
        # get copies, so that a slot adding more gradient in place never changes another's
        return [(da if i == 0 else da.copy()).reshape(shape) for i, shape in enumerate(cache)]


class ConcatenateLayer(MergeLayer):
    """The inputs side by side along their last axis (features, or an image's channels)."""

    def forward(self, p: Mapping[str, Any], xs: list, training: bool = False, rng: Any = None):
        return xp.concatenate(self._shaped(xs), axis=-1), [x.shape for x in xs]

    def backward(self, p, cache, da, g, need_dx: bool):
        if not need_dx:
            return None
        widths = np.cumsum([shape[-1] for shape in self.in_shapes])[:-1]
        parts = xp.split(da.reshape((da.shape[0], *self.out_shape)), [int(w) for w in widths], axis=-1)
        return [part.reshape(shape) for part, shape in zip(parts, cache, strict=True)]


def _listed(shapes: list[tuple[int, ...]]) -> str:
    texts = [image_text(tuple(s)) for s in shapes]
    return ", ".join(texts[:-1]) + " and " + texts[-1]


def add_shape(input_shapes: list[tuple[int, ...]]) -> tuple[int, ...] | str:
    shapes = [tuple(int(v) for v in s) for s in input_shapes]
    if not shapes:
        return "Add needs inputs"
    if any(s != shapes[0] for s in shapes):
        return (f"Add needs inputs of one shape, but gets {_listed(shapes)}; "
                "reshape one or use Concatenate")
    return shapes[0]


def concatenate_shape(input_shapes: list[tuple[int, ...]]) -> tuple[int, ...] | str:
    shapes = [tuple(int(v) for v in s) for s in input_shapes]
    if not shapes:
        return "Concatenate needs inputs"
    if any(len(s) != len(shapes[0]) or s[:-1] != shapes[0][:-1] for s in shapes):
        return (f"Concatenate joins inputs along their last axis, so the others must agree, but it "
                f"gets {_listed(shapes)}")
    return (*shapes[0][:-1], sum(s[-1] for s in shapes))


class _MergeKind(BlockKind):
    category = "layers"
    merges = True  # validation and the compiler hand it its inputs one by one
    params = ()
    shape_of: Any = None
    layer: Any = None

    def output_shape(self, params, input_shapes):
        return type(self).shape_of(list(input_shapes))

    def build(self, params, input_shapes):
        shapes = [tuple(s) for s in input_shapes]
        out = type(self).shape_of(shapes)
        if isinstance(out, str):
            raise ValueError(out)
        return type(self).layer(shapes, out)


@register
class AddKind(_MergeKind):
    id = "add"
    label = "Add"
    description = ("Adds its inputs value by value (all of one shape): a skip connection, where a "
                   "block's input is added back to its output.")
    icon = "mdi6.plus-circle-outline"
    shape_of = staticmethod(add_shape)
    layer = AddLayer


@register
class ConcatenateKind(_MergeKind):
    id = "concatenate"
    label = "Concatenate"
    description = ("Sets its inputs side by side along the last axis (features, or an image's "
                   "channels), in the order they were connected: two branches become one.")
    icon = "mdi6.table-column-plus-after"
    shape_of = staticmethod(concatenate_shape)
    layer = ConcatenateLayer
