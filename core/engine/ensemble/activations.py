"""Activations on the ensemble axis, z (K, N, units): PReLU with each variant's learned slopes and
RReLU with slopes drawn from each variant's own generator, as its single run draws them; every
other activation of fixed settings as it is (element-wise, or row-wise for softmax, on any leading
axes). The arithmetic is the single activation's, element by element, and a learned parameter's
gradient sums each variant's samples in the order its single run sums its rows."""

from __future__ import annotations

from typing import Any

from core.engine.activations import Activation, Prelu, RandomizedRelu
from core.engine.backend import xp
from core.engine.ensemble.reduce import sum_samples


def batched(activation: Activation) -> bool:
    """Whether `forward` and `backward` here take this activation over the variants at once."""
    if isinstance(activation, (Prelu, RandomizedRelu)):
        return True
    return not activation.learnable and not activation.stochastic


def _per_variant(learned: dict[str, Any] | None):
    """Learned (K, units) parameters as (K, 1, units), to broadcast over each variant's samples."""
    if not learned:
        return None
    return {name: value[:, None, :] for name, value in learned.items()}


def forward(activation: Activation, z, training: bool, rngs: Any, learned: Any = None):
    """(a, cache) of the activation over (K, N, units) sums; `learned`: {name: (K, units)}."""
    if isinstance(activation, RandomizedRelu) and training and rngs is not None:
        # RandomizedRelu.forward with each variant's slopes from its own stream, drawn for its
        # (N, units) as its single run draws them
        slope = xp.stack([activation._slopes(z[k], True, rng) for k, rng in enumerate(rngs)])
        scale = xp.where(z > 0, 1.0, slope).astype(z.dtype)
        return z * scale, scale
    return activation.forward(z, training, None, _per_variant(learned))


def forward_inplace(activation: Activation, z, training: bool, rngs: Any):
    """`forward` that may overwrite z (an activation without learned parameters)."""
    if activation.stochastic:
        return forward(activation, z, training, rngs)
    return activation.forward_inplace(z, training, None)


def backward(activation: Activation, da, cache, learned: Any = None):
    """(dL/dz, {name: (K, units) gradient of each learned parameter})."""
    if isinstance(activation, Prelu) and learned:
        # Prelu.backward, its slope's gradient summed over each variant's own samples
        z, slope = cache
        negative = z <= 0
        dz = xp.where(negative, slope * da, da)
        return dz, {"slope": sum_samples(da * z * negative)}
    return activation.backward(da, cache)
