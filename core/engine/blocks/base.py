"""What every block kind declares: palette text, parameters with checks, shapes and its layer."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.design import registry
from core.design.errors import shown


@dataclass(frozen=True)
class ParamSpec:
    """One hyperparameter of a block: its type, default and allowed range."""

    name: str
    kind: str  # "int" | "float" | "bool" | "str" | "activation" | "initializer" | "dict" | "float?"
    default: Any
    low: float | None = None
    high: float | None = None
    description: str = ""
    choices: tuple = ()  # the values allowed, when it is one of a few (the inspector shows a list)


class BlockKind:
    """A kind of node: neuron-level ("input", "neuron") or layer-level ("dense", …)."""

    id = ""
    label = ""
    category = "layers"  # palette group: "inputs" | "neurons" | "layers"
    description = ""  # one plain-words sentence, the palette's tooltip
    granularity = "layer"  # "neuron": one scalar each, compiled into masked layers
    icon = ""
    params: tuple[ParamSpec, ...] = ()
    # what the Inside view (core/training/inside.py) shows of a block of this kind: "cnn" (its
    # filters and feature maps), "rnn" (its state at each time step), "" nothing of its own
    inside_view = ""

    def default_params(self) -> dict[str, Any]:
        return {p.name: copy.deepcopy(p.default) for p in self.params}

    def param_problems(self, params: Mapping[str, Any]) -> list[str]:
        specs = {p.name: p for p in self.params}
        problems = [f"{self.label} has no parameter {shown(k)}" for k in params if k not in specs]
        for spec in self.params:
            if spec.name not in params:
                problems.append(f"{self.label} is missing its parameter {spec.name!r}")
                continue
            problem = _check(spec, params[spec.name])
            if problem:
                problems.append(f"{self.label} parameter {spec.name!r}: {problem}")
        act, act_params = params.get("activation"), params.get("activation_params", {})
        if isinstance(act, str) and act in registry.activations and isinstance(act_params, Mapping):
            problems += registry.activations.get(act).param_problems(act_params)
        return problems

    # ----- layer-level kinds override these
    def output_shape(self, params: Mapping[str, Any], input_shapes: list[tuple[int, ...]]):
        """The shape one sample leaves with (no batch axis), or a str saying what is wrong."""
        raise NotImplementedError

    def build(self, params: Mapping[str, Any], input_shape: tuple[int, ...]):
        """The executable layer for these params and this input shape."""
        raise NotImplementedError


def _check(spec: ParamSpec, value: Any) -> str:
    if spec.choices and value not in spec.choices:
        return f"{shown(value)} is not one of {', '.join(repr(c) for c in spec.choices)}"
    if spec.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{shown(value)} is not a whole number"
    elif spec.kind in ("float", "float?"):
        if value is None and spec.kind == "float?":
            return ""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return f"{shown(value)} is not a finite number"
    elif spec.kind == "bool":
        return "" if isinstance(value, bool) else f"{shown(value)} is not true or false"
    elif spec.kind == "str":
        return "" if isinstance(value, str) else f"{shown(value)} is not text"
    elif spec.kind == "dict":
        return "" if isinstance(value, Mapping) else f"{shown(value)} is not a set of named values"
    elif spec.kind == "activation":
        if not isinstance(value, str) or value not in registry.activations:
            return f"unknown activation {shown(value)}"
        return ""
    elif spec.kind == "initializer":
        if not isinstance(value, str) or (value != "auto" and value not in registry.initializers):
            return f"unknown initializer {shown(value)}"
        return ""
    if spec.low is not None and value < spec.low:
        return f"{shown(value)} is below the minimum {spec.low}"
    if spec.high is not None and value > spec.high:
        return f"{shown(value)} is above the maximum {spec.high}"
    return ""


def register(cls: type[BlockKind]) -> type[BlockKind]:
    registry.blocks.register(cls.id)(cls())
    return cls


ACTIVATION_PARAMS = (
    ParamSpec("activation_params", "dict", {}, description="the activation's own settings"),
)
