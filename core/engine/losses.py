"""Loss functions: value and gradient, the cross-entropies computed stably from logits."""

from __future__ import annotations

import numpy as np

from core.design import registry
from core.engine.activations import sigmoid
from core.engine.backend import xp


class Loss:
    """Mean over the batch of a per-sample loss; targets come encoded by `encode_targets`."""

    id = ""
    label = ""
    notes = ""
    # The output activation that this loss absorbs, working from the logits instead (or None).
    fused_activation: str | None = None
    # The two target values of a one-output classifier (class 0, class 1).
    binary_targets = (0.0, 1.0)

    def value_and_grad(self, out, t):
        """(loss, dL/dout) for the network's activated output."""
        raise NotImplementedError

    def value_and_grad_logits(self, z, t):
        """(loss, dL/dz) where z is the pre-activation of the fused activation (or the logits)."""
        raise NotImplementedError

    def value(self, out, t):
        return self.value_and_grad(out, t)[0]

    def value_logits(self, z, t):
        return self.value_and_grad_logits(z, t)[0]

    def encode_targets(self, y: np.ndarray, task: str, width: int, num_classes: int) -> np.ndarray:
        """Labels or values as the float matrix this loss compares the output with (host NumPy)."""
        if task == "regression":
            values = np.asarray(y, dtype=np.float64)
            return values.reshape(len(values), values.shape[1] if values.ndim == 2 else width)
        labels = np.asarray(y).astype(np.int64)
        if width == 1:
            lo, hi = self.binary_targets
            return np.where(labels[:, None] == 1, hi, lo).astype(np.float64)
        onehot = np.zeros((len(labels), width), dtype=np.float64)
        onehot[np.arange(len(labels)), labels] = 1.0
        if self.binary_targets[0] != 0.0:
            onehot = np.where(onehot == 1.0, self.binary_targets[1], self.binary_targets[0])
        return onehot

    def threshold(self, output_activation: str) -> float:
        """Where a one-output classifier's output divides class 0 from class 1."""
        lo, hi = self.binary_targets
        return (lo + hi) / 2


def _register(cls: type[Loss]) -> type[Loss]:
    registry.losses.register(cls.id)(cls)
    return cls


@_register
class MeanSquaredError(Loss):
    id, label = "mse", "Mean squared error"
    notes = "½ of the squared distance, averaged over samples: the classic regression loss."

    def value_and_grad(self, out, t):
        diff = out - t
        n = out.shape[0]
        return 0.5 * (diff * diff).sum() / n, diff / n


@_register
class MeanAbsoluteError(Loss):
    id, label = "mae", "Mean absolute error"
    notes = "Absolute distance, averaged over samples: robust to outliers."

    def value_and_grad(self, out, t):
        diff = out - t
        n = out.shape[0]
        return xp.abs(diff).sum() / n, xp.sign(diff) / n


@_register
class Huber(Loss):
    id, label = "huber", "Huber"
    notes = "Squared near the target, absolute far from it (δ = 1)."
    delta = 1.0

    def value_and_grad(self, out, t):
        diff = out - t
        n = out.shape[0]
        small = xp.abs(diff) <= self.delta
        per = xp.where(small, 0.5 * diff * diff, self.delta * (xp.abs(diff) - 0.5 * self.delta))
        grad = xp.where(small, diff, self.delta * xp.sign(diff))
        return per.sum() / n, grad / n


@_register
class BinaryCrossEntropy(Loss):
    id, label = "binary_cross_entropy", "Binary cross-entropy"
    notes = "For one sigmoid output per class: −[t log p + (1 − t) log(1 − p)], from the logits."
    fused_activation = "sigmoid"

    def value_and_grad_logits(self, z, t):
        n = z.shape[0]
        # log(1 + e^z) − t z, stable for any z
        per = xp.maximum(z, 0) - z * t + xp.log1p(xp.exp(-xp.abs(z)))
        p = sigmoid(z)
        return per.sum() / n, (p - t) / n

    def value_and_grad(self, out, t):
        raise ValueError("binary cross-entropy needs a sigmoid or identity output")

    def threshold(self, output_activation: str) -> float:
        return 0.5 if output_activation == "sigmoid" else 0.0


@_register
class SoftmaxCrossEntropy(Loss):
    id, label = "softmax_cross_entropy", "Softmax cross-entropy"
    notes = "For a softmax output over classes: −log of the true class's probability, from the logits."
    fused_activation = "softmax"

    def value_and_grad_logits(self, z, t):
        n = z.shape[0]
        shifted = z - z.max(axis=1, keepdims=True)
        e = xp.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        log_p = shifted - xp.log(total)
        return -(t * log_p).sum() / n, (e / total - t) / n

    def value_and_grad(self, out, t):
        raise ValueError("softmax cross-entropy needs a softmax or identity output")


@_register
class Hinge(Loss):
    id, label = "hinge", "Hinge"
    notes = "max(0, 1 − t·y) with targets ±1: the support vector machine's margin loss."
    binary_targets = (-1.0, 1.0)

    def value_and_grad(self, out, t):
        n = out.shape[0]
        margin = 1 - t * out
        active = margin > 0
        return xp.where(active, margin, 0).sum() / n, xp.where(active, -t, 0).astype(out.dtype) / n


def make_loss(name: str) -> Loss:
    return registry.losses.get(name)()
