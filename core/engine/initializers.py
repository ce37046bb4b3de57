"""Seeded weight initializers, registered by string id."""

from __future__ import annotations

import math

import numpy as np

from core.design import registry

RELU_FAMILY = {"relu", "leaky_relu", "rrelu", "prelu", "elu", "gelu", "silu", "softplus"}


def _register(name: str):
    return registry.initializers.register(name)


@_register("glorot_uniform")
def glorot_uniform(rng: np.random.Generator, shape, fan_in: int, fan_out: int) -> np.ndarray:
    limit = math.sqrt(6.0 / max(1, fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape)


@_register("glorot_normal")
def glorot_normal(rng: np.random.Generator, shape, fan_in: int, fan_out: int) -> np.ndarray:
    return rng.normal(0.0, math.sqrt(2.0 / max(1, fan_in + fan_out)), size=shape)


@_register("he_uniform")
def he_uniform(rng: np.random.Generator, shape, fan_in: int, fan_out: int) -> np.ndarray:
    limit = math.sqrt(6.0 / max(1, fan_in))
    return rng.uniform(-limit, limit, size=shape)


@_register("he_normal")
def he_normal(rng: np.random.Generator, shape, fan_in: int, fan_out: int) -> np.ndarray:
    return rng.normal(0.0, math.sqrt(2.0 / max(1, fan_in)), size=shape)


@_register("uniform")
def uniform(rng: np.random.Generator, shape, fan_in: int, fan_out: int) -> np.ndarray:
    """The TensorFlow Playground's choice: uniform in [−0.5, 0.5]."""
    return rng.uniform(-0.5, 0.5, size=shape)


@_register("zeros")
def zeros(rng: np.random.Generator, shape, fan_in: int, fan_out: int) -> np.ndarray:
    return np.zeros(shape)


def resolve(name: str, activation: str) -> str:
    """'auto' picks He for the ReLU family and Glorot for the rest."""
    if name != "auto":
        return name
    return "he_uniform" if activation in RELU_FAMILY else "glorot_uniform"


def draw(name: str, activation: str, rng: np.random.Generator, shape, fan_in: int, fan_out: int):
    return registry.initializers.get(resolve(name, activation))(rng, shape, fan_in, fan_out)
