"""What the Activation Explorer says and draws of each activation: its curve and slope from the
engine's own forward and backward, and its table row (formula, range, derivative) with plain-words
notes on when to use it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.design import registry
from core.engine.activations import make_activation
from core.engine.backend import to_device, to_numpy

# The derivative of each activation in the table's words (formula and range come from the
# activation's own class; a new activation without an entry here fails tests/core).
DERIVATIVES: dict[str, str] = {
    "identity": "f′(z) = 1",
    "step": "f′(z) = 0 (undefined at 0)",
    "sigmoid": "f′(z) = f(z)·(1 − f(z)), at most ¼",
    "tanh": "f′(z) = 1 − tanh² z, at most 1",
    "arctan": "f′(z) = 1 / (1 + z²)",
    "relu": "f′(z) = 1 if z > 0 else 0",
    "leaky_relu": "f′(z) = 1 if z > 0 else a",
    "rrelu": "f′(z) = 1 if z > 0 else a (the slope drawn, or the mean)",
    "prelu": "f′(z) = 1 if z > 0 else a;  ∂f/∂a = z if z ≤ 0 else 0",
    "elu": "f′(z) = 1 if z > 0 else f(z) + α",
    "softplus": "f′(z) = σ(z), the sigmoid",
    "softmax": "∂f_i/∂z_j = f_i·(δ_ij − f_j); diagonal f_i·(1 − f_i)",
    "gelu": "f′(z) = ½(1 + t) + ½z(1 − t²)·√(2/π)(1 + 3·0.044715z²), t the tanh above",
    "silu": "f′(z) = σ(z)·(1 + z·(1 − σ(z)))",
}

# When to use each one, in plain words.
USES: dict[str, str] = {
    "identity": "Output of a regression, or the logits a cross-entropy loss works from. In hidden "
                "layers it adds nothing: layers of identity neurons collapse into one linear map "
                "(see the Linear only tab).",
    "step": "The perceptron's threshold: yes or no. Its slope is zero everywhere, so gradient "
            "descent gets no signal through it; a single step neuron learns by the perceptron "
            "rule instead.",
    "sigmoid": "The output of a yes/no classifier, read as a probability. Avoid it in hidden "
               "layers: for large |z| the curve is flat (it saturates), its slope is never more "
               "than ¼, and multiplied through many layers the gradient vanishes.",
    "tanh": "Hidden layers of small networks, and inside recurrent cells: zero-centred, slope "
            "1 at the origin. Like the sigmoid it saturates for large |z|, so deep stacks of it "
            "learn slowly (vanishing gradients).",
    "arctan": "A gentler tanh: it flattens out more slowly, so it saturates less, though its "
              "range is wider (±π/2) and it is rarely used in practice.",
    "relu": "The default for hidden layers: cheap, and its slope is 1 for every positive input, "
            "so gradients pass through deep networks. A neuron whose input stays negative outputs "
            "0 with slope 0 and stops learning (a dead ReLU).",
    "leaky_relu": "Use it when ReLU neurons die: the small slope a for negative inputs keeps a "
                  "gradient flowing, so a neuron that went negative can come back.",
    "rrelu": "A leaky ReLU whose negative slope is drawn at random between lower and upper at "
             "each training step (the dots), and fixed at their mean when evaluating: a little "
             "noise that regularizes.",
    "prelu": "A leaky ReLU that learns its negative slope, one per neuron, with the weights: the "
             "slider sets where it starts.",
    "elu": "Like ReLU for positive inputs, but smooth below zero down to −α, which pushes the "
           "mean activation toward zero; it costs an exponential.",
    "softplus": "A smooth ReLU, always positive: for outputs that must be positive (a rate, a "
                "standard deviation). Its slope is the sigmoid.",
    "softmax": "The output layer of a classifier with several classes: the outputs are "
               "probabilities that sum to 1, and with cross-entropy its gradient is simply "
               "p − t. It acts on a whole vector, so the plot shows a slice: the first output "
               "for the two logits (z, 0), which is the sigmoid of z.",
    "gelu": "A smooth ReLU with a small dip below zero, the default in transformers (BERT, GPT). "
            "This is its tanh approximation.",
    "silu": "z times its sigmoid (swish): smooth, with a small dip below zero; works well in "
            "deep networks (EfficientNet, many modern CNNs).",
}

SOFTMAX_SLICE = "the first of its two outputs for the logits (z, 0)"


@dataclass(frozen=True)
class ActivationNote:
    """One row of the table: the activation's name, formula, range, derivative and when to use it."""

    id: str
    label: str
    formula: str
    output_range: str
    derivative: str
    use: str


def note_for(activation_id: str) -> ActivationNote:
    """The note for a registered activation; KeyError when core/learn/activation_notes.py lacks one."""
    cls = registry.activations.get(activation_id)
    if activation_id not in DERIVATIVES or activation_id not in USES:
        raise KeyError(f"activation {activation_id!r} has no notes: add its derivative and when to "
                       f"use it to core/learn/activation_notes.py")
    return ActivationNote(activation_id, cls.label or activation_id, cls.formula,
                          cls.output_range, DERIVATIVES[activation_id], USES[activation_id])


def activation_ids() -> list[str]:
    """Every registered activation, in the registry's order."""
    return list(registry.activations)


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter of an activation, as a slider sets it."""

    name: str
    default: float
    low: float  # the slider's range: the engine's limits, narrowed to what a plot shows well
    high: float


def parameters(activation_id: str) -> list[ParameterSpec]:
    """The activation's parameters (from its own defaults and limits)."""
    cls = registry.activations.get(activation_id)
    specs = []
    for name, default in cls.defaults.items():
        low, high = cls.limits.get(name, (-np.inf, np.inf))
        specs.append(ParameterSpec(name, float(default), max(float(low), -1.0),
                                   min(float(high), max(1.0, 3.0 * abs(float(default))))))
    return specs


@dataclass(frozen=True)
class Curve:
    """An activation over a range of z: its value and its slope, as the engine computes them."""

    z: np.ndarray
    value: np.ndarray
    slope: np.ndarray
    training_value: np.ndarray | None = None  # a stochastic activation's output in training
    slice: str = ""  # how a vector function (softmax) is shown on one axis


def curve(activation_id: str, z: np.ndarray, params: Mapping[str, Any] | None = None,
          seed: int = 0) -> Curve:
    """f(z) and f′(z) from the activation's forward and backward (the chain rule with dL/da = 1);
    softmax on the two logits (z, 0): its first output and ∂f₁/∂z."""
    activation = make_activation(activation_id, params)
    z = np.asarray(z, dtype=np.float64)
    if not activation.elementwise:  # softmax: a vector function, shown on the slice (z, 0)
        logits = to_device(np.column_stack([z, np.zeros_like(z)]), np.float64)
        a, cache = activation.forward(logits)
        upstream = to_device(np.column_stack([np.ones_like(z), np.zeros_like(z)]), np.float64)
        dz = activation.backward(upstream, cache)[0]
        return Curve(z, to_numpy(a)[:, 0], to_numpy(dz)[:, 0], slice=SOFTMAX_SLICE)
    x = to_device(z, np.float64)
    a, cache = activation.forward(x)
    dz = activation.backward(to_device(np.ones_like(z), np.float64), cache)[0]
    drawn = None
    if activation.stochastic:
        rng = np.random.default_rng(seed)
        drawn = to_numpy(activation.forward(x, training=True, rng=rng)[0])
    return Curve(z, to_numpy(a).copy(), to_numpy(dz).copy(), drawn)
