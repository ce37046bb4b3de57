"""The input kinds: one feature per node, or the data set's whole feature vector."""

from __future__ import annotations

from core.engine.blocks.base import BlockKind, ParamSpec, register


@register
class InputKind(BlockKind):
    id = "input"
    label = "Input"
    category = "inputs"
    granularity = "neuron"
    description = "One input feature, such as x1, x1², x1·x2 or sin x1, fed to the neurons it wires to."
    params = (ParamSpec("feature", "str", "x1", description="x1, x1^2, x1*x2, sin(x1) or a column"),)


@register
class DataKind(BlockKind):
    id = "data"
    label = "Data"
    category = "inputs"
    granularity = "layer"
    description = "The data set's whole feature vector (all columns, or every pixel) as one input."
    params = ()  # its shape is the data set's: validation and the compiler give it
