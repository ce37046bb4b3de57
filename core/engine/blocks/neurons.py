"""The neuron kind: one weighted sum, a bias and an activation, wired one connection at a time."""

from __future__ import annotations

from core.engine.blocks.base import ACTIVATION_PARAMS, BlockKind, ParamSpec, register


@register
class NeuronKind(BlockKind):
    id = "neuron"
    label = "Neuron"
    category = "neurons"
    granularity = "neuron"
    description = "Adds up its weighted inputs and its bias, then applies its activation function."
    params = (
        ParamSpec("activation", "activation", "tanh", description="the function of the weighted sum"),
        *ACTIVATION_PARAMS,
        ParamSpec("bias", "float?", None, description="added to the weighted sum (empty: initial 0)"),
        ParamSpec("initializer", "initializer", "auto", description="how its incoming weights start"),
    )
