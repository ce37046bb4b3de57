"""Every activation function with its derivative, registered by string id."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from core.design import registry
from core.design.errors import shown
from core.engine.backend import to_device, xp

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def sigmoid(z):
    """The logistic function, through tanh: no overflow for any z."""
    return 0.5 * xp.tanh(0.5 * z) + 0.5


class Activation:
    """An element-wise (or, for softmax, row-wise) function; `backward` applies the chain rule."""

    id = ""
    label = ""
    formula = ""
    output_range = ""
    notes = ""
    defaults: Mapping[str, float] = {}
    limits: Mapping[str, tuple[float, float]] = {}
    learnable: tuple[str, ...] = ()  # parameters trained with the weights (PReLU's slope)
    stochastic = False  # random while training (it then draws from the model's rng)
    elementwise = True

    def __init__(self, **params: Any) -> None:
        unknown = set(params) - set(self.defaults)
        if unknown:
            raise ValueError(f"activation {self.id!r} has no parameter {shown(sorted(unknown)[0])}")
        self.params = {**self.defaults, **{k: float(v) for k, v in params.items()}}

    @classmethod
    def param_problems(cls, params: Mapping[str, Any]) -> list[str]:
        problems = []
        for key, value in params.items():
            if key not in cls.defaults:
                problems.append(f"activation {cls.id!r} has no parameter {shown(key)}")
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(f"activation parameter {key!r} must be a number, not {shown(value)}")
                continue
            low, high = cls.limits.get(key, (-math.inf, math.inf))
            if not (low <= value <= high) or math.isnan(value):
                problems.append(f"activation parameter {key!r} = {shown(value)} is out of range "
                                f"[{low}, {high}]")
        return problems

    # a: output; cache: what backward needs; learned: {name: array (units,)} for learnable ones
    def forward(self, z, training: bool = False, rng: Any = None, learned: Any = None):
        a = self.f(z)
        return a, (z, a)

    def backward(self, da, cache, learned: Any = None):
        z, a = cache
        return da * self.df(z, a), {}

    def forward_inplace(self, z, training: bool = False, rng: Any = None):
        """`forward` that may overwrite z (a layer calls it when z is not needed again)."""
        return self.forward(z, training, rng)

    def f(self, z):  # pragma: no cover - each subclass defines it
        raise NotImplementedError

    def df(self, z, a):  # pragma: no cover
        raise NotImplementedError

    def derivative(self, z):
        """The derivative at z, element-wise (for plots and tests)."""
        return self.df(z, self.f(z))


def _register(cls: type[Activation]) -> type[Activation]:
    registry.activations.register(cls.id)(cls)
    return cls


@_register
class Identity(Activation):
    id, label, formula, output_range = "identity", "Identity", "f(z) = z", "(−∞, ∞)"
    notes = "Passes the weighted sum through: for regression outputs, or logits for a loss."

    def forward(self, z, training=False, rng=None, learned=None):
        return z, None

    def backward(self, da, cache, learned=None):
        return da, {}

    def f(self, z):
        return z

    def df(self, z, a):
        return xp.ones_like(z)


@_register
class Step(Activation):
    id, label, formula, output_range = "step", "Binary step", "f(z) = 1 if z ≥ 0 else 0", "{0, 1}"
    notes = "The perceptron's threshold; its gradient is zero, so it learns by the perceptron rule."

    def f(self, z):
        return (z >= 0).astype(z.dtype)

    def df(self, z, a):
        return xp.zeros_like(z)


@_register
class Sigmoid(Activation):
    id, label, formula, output_range = "sigmoid", "Logistic (sigmoid)", "f(z) = 1 / (1 + e^−z)", "(0, 1)"
    notes = "Squashes to a probability; saturates at both ends, so deep stacks of it vanish gradients."

    def forward(self, z, training=False, rng=None, learned=None):
        a = sigmoid(z)
        return a, a

    def backward(self, da, cache, learned=None):
        return da * cache * (1 - cache), {}

    def f(self, z):
        return sigmoid(z)

    def df(self, z, a):
        return a * (1 - a)


@_register
class Tanh(Activation):
    id, label, formula, output_range = "tanh", "Tanh", "f(z) = tanh z", "(−1, 1)"
    notes = "Zero-centred squashing; a good default for small networks, but it saturates too."

    def forward(self, z, training=False, rng=None, learned=None):
        a = xp.tanh(z)
        return a, a

    def forward_inplace(self, z, training=False, rng=None):
        a = xp.tanh(z, out=z)
        return a, a

    def backward(self, da, cache, learned=None):
        return da * (1 - cache * cache), {}

    def f(self, z):
        return xp.tanh(z)

    def df(self, z, a):
        return 1 - a * a


@_register
class Arctan(Activation):
    id, label, formula, output_range = "arctan", "Arctan", "f(z) = arctan z", "(−π/2, π/2)"
    notes = "Like tanh but saturates more slowly."

    def f(self, z):
        return xp.arctan(z)

    def df(self, z, a):
        return 1 / (1 + z * z)


@_register
class Relu(Activation):
    id, label, formula, output_range = "relu", "ReLU", "f(z) = max(0, z)", "[0, ∞)"
    notes = "The default for hidden layers: cheap, and it does not saturate for positive inputs."

    def forward(self, z, training=False, rng=None, learned=None):
        a = xp.maximum(z, 0)
        return a, a

    def forward_inplace(self, z, training=False, rng=None):
        a = xp.maximum(z, 0, out=z)
        return a, a

    def backward(self, da, cache, learned=None):
        return da * (cache > 0), {}

    def f(self, z):
        return xp.maximum(z, 0)

    def df(self, z, a):
        return (z > 0).astype(z.dtype)


@_register
class LeakyRelu(Activation):
    id, label, formula, output_range = "leaky_relu", "Leaky ReLU", "f(z) = z if z > 0 else a·z", "(−∞, ∞)"
    notes = "Keeps a small slope for negative inputs, so neurons cannot die."
    defaults = {"slope": 0.01}
    limits = {"slope": (0.0, 1.0)}

    def f(self, z):
        return xp.where(z > 0, z, self.params["slope"] * z)

    def df(self, z, a):
        return xp.where(z > 0, 1.0, self.params["slope"]).astype(z.dtype)


@_register
class RandomizedRelu(Activation):
    id, label, output_range = "rrelu", "Randomized ReLU", "(−∞, ∞)"
    formula = "f(z) = z if z > 0 else a·z, a ~ U(lower, upper) in training, mean in evaluation"
    notes = "A leaky ReLU whose slope is random while training, a regularizer."
    defaults = {"lower": 1.0 / 8.0, "upper": 1.0 / 3.0}
    stochastic = True
    limits = {"lower": (0.0, 1.0), "upper": (0.0, 1.0)}

    def _slopes(self, z, training, rng):
        lower, upper = self.params["lower"], self.params["upper"]
        if not training or rng is None:
            return (lower + upper) / 2
        return to_device(rng.uniform(lower, upper, size=z.shape), dtype=z.dtype)

    def forward(self, z, training=False, rng=None, learned=None):
        slope = self._slopes(z, training, rng)
        scale = xp.where(z > 0, 1.0, slope).astype(z.dtype)
        return z * scale, scale

    def backward(self, da, cache, learned=None):
        return da * cache, {}

    def f(self, z):
        return self.forward(z)[0]

    def df(self, z, a):
        return self.forward(z)[1]


@_register
class Prelu(Activation):
    id, label, formula, output_range = "prelu", "PReLU", "f(z) = z if z > 0 else a·z, a learned", "(−∞, ∞)"
    notes = "A leaky ReLU whose negative slope is learned, one per neuron."
    defaults = {"slope": 0.25}
    limits = {"slope": (-10.0, 10.0)}
    learnable = ("slope",)

    def forward(self, z, training=False, rng=None, learned=None):
        slope = self.params["slope"] if learned is None else learned["slope"]
        return xp.where(z > 0, z, slope * z), (z, slope)

    def backward(self, da, cache, learned=None):
        z, slope = cache
        negative = z <= 0
        dz = xp.where(negative, slope * da, da)
        return dz, {"slope": (da * z * negative).sum(axis=0)}

    def f(self, z):
        return self.forward(z)[0]

    def df(self, z, a):
        return xp.where(z > 0, 1.0, self.params["slope"]).astype(z.dtype)


@_register
class Elu(Activation):
    id, label, output_range = "elu", "ELU", "(−α, ∞)"
    formula = "f(z) = z if z > 0 else α·(e^z − 1)"
    notes = "Smooth below zero and pushes mean activations toward zero."
    defaults = {"alpha": 1.0}
    limits = {"alpha": (0.0, 100.0)}

    def f(self, z):
        return xp.where(z > 0, z, self.params["alpha"] * xp.expm1(xp.minimum(z, 0)))

    def df(self, z, a):
        return xp.where(z > 0, 1.0, a + self.params["alpha"]).astype(z.dtype)


@_register
class Softplus(Activation):
    id, label, formula, output_range = "softplus", "Softplus", "f(z) = ln(1 + e^z)", "(0, ∞)"
    notes = "A smooth ReLU."

    def f(self, z):
        return xp.logaddexp(0, z)

    def df(self, z, a):
        return sigmoid(z)


@_register
class Gelu(Activation):
    id, label, output_range = "gelu", "GELU", "(≈−0.17, ∞)"
    formula = "f(z) = ½z(1 + tanh(√(2/π)(z + 0.044715z³)))  (the tanh form)"
    notes = "A smooth ReLU used in transformers; this is its common tanh approximation."

    def forward(self, z, training=False, rng=None, learned=None):
        t = xp.tanh(_SQRT_2_OVER_PI * (z + 0.044715 * z**3))
        return 0.5 * z * (1 + t), (z, t)

    def backward(self, da, cache, learned=None):
        z, t = cache
        inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * z * z)
        return da * (0.5 * (1 + t) + 0.5 * z * (1 - t * t) * inner), {}

    def f(self, z):
        return self.forward(z)[0]

    def df(self, z, a):
        return self.backward(xp.ones_like(z), self.forward(z)[1])[0]


@_register
class Silu(Activation):
    id, label, formula, output_range = "silu", "SiLU (swish)", "f(z) = z·σ(z)", "(≈−0.28, ∞)"
    notes = "z times its sigmoid: smooth, non-monotonic, works well in deep networks."

    def forward(self, z, training=False, rng=None, learned=None):
        s = sigmoid(z)
        return z * s, (z, s)

    def backward(self, da, cache, learned=None):
        z, s = cache
        return da * (s * (1 + z * (1 - s))), {}

    def f(self, z):
        return self.forward(z)[0]

    def df(self, z, a):
        return self.backward(xp.ones_like(z), self.forward(z)[1])[0]


@_register
class Softmax(Activation):
    id, label, formula, output_range = "softmax", "Softmax", "f(z)_i = e^z_i / Σ_j e^z_j", "(0, 1), sums to 1"
    notes = "Turns a layer's sums into class probabilities: use it on the output with cross-entropy."
    elementwise = False

    def forward(self, z, training=False, rng=None, learned=None):
        e = xp.exp(z - z.max(axis=-1, keepdims=True))
        a = e / e.sum(axis=-1, keepdims=True)
        return a, a

    def backward(self, da, cache, learned=None):
        a = cache
        return a * (da - (da * a).sum(axis=-1, keepdims=True)), {}

    def f(self, z):
        return self.forward(z)[0]

    def df(self, z, a):
        """The diagonal of the Jacobian, a(1 − a), as plots show it."""
        return a * (1 - a)


def make_activation(name: str, params: Mapping[str, Any] | None = None) -> Activation:
    return registry.activations.get(name)(**(params or {}))
