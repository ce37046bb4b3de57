"""The losses over (K, N, outputs): one loss per variant, the gradients as each single run gets
them. The common ones are batched; any other is taken variant by variant."""

from __future__ import annotations

from core.engine.activations import sigmoid
from core.engine.backend import is_gpu, xp


def _per_variant(method, out, t):
    values, grads = [], []
    for k in range(out.shape[0]):
        value, grad = method(out[k], t[k])
        values.append(value)
        grads.append(grad)
    return xp.stack([xp.asarray(v) for v in values]), xp.stack(grads)


def row_max(z):
    """The largest of each (K, N, C) row's C values, kept as (K, N, 1): for a few classes one
    maximum per column (a reduction along a short last axis costs more than C − 1 of them)."""
    classes = z.shape[2]
    if classes > 8:
        return z.max(axis=2, keepdims=True)
    if classes == 1:
        return z.copy()
    top = xp.maximum(z[:, :, :1], z[:, :, 1:2])
    for c in range(2, classes):
        xp.maximum(top, z[:, :, c:c + 1], out=top)
    return top


def row_sum(e):
    """Each (K, N, C) row's sum, kept as (K, N, 1), in the order a single run's sum along the
    classes takes: for fewer than eight classes one after another from the first (NumPy's
    pairwise sum adds short rows in order), else by that same sum."""
    classes = e.shape[2]
    if classes >= 8 or is_gpu:
        return e.sum(axis=2, keepdims=True)
    total = e[:, :, :1].copy()
    for c in range(1, classes):
        total += e[:, :, c:c + 1]
    return total


def value_and_grad(loss, out, t):
    """(K losses, dL/dout) for the activated outputs."""
    if loss.id == "mse":
        diff = out - t
        n = out.shape[1]
        return 0.5 * (diff * diff).sum(axis=(1, 2)) / n, diff / n
    return _per_variant(loss.value_and_grad, out, t)


def value_and_grad_logits(loss, z, t):
    """(K losses, dL/dz) from the logits (or the pre-activation of the fused activation)."""
    n = z.shape[1]
    if loss.id == "softmax_cross_entropy":  # the single loss's steps, in place where it can
        shifted = z - row_max(z)
        e = xp.exp(shifted)
        total = row_sum(e)
        log_p = shifted
        log_p -= xp.log(total)
        log_p *= t
        value = -log_p.sum(axis=(1, 2)) / n
        e /= total
        e -= t
        e /= n
        return value, e
    if loss.id == "binary_cross_entropy":
        per = xp.maximum(z, 0) - z * t + xp.log1p(xp.exp(-xp.abs(z)))
        p = sigmoid(z)
        return per.sum(axis=(1, 2)) / n, (p - t) / n
    return _per_variant(loss.value_and_grad_logits, z, t)


def values(loss, out, t):
    """Only the K losses of activated outputs (the perceptron rule's report)."""
    return xp.stack([xp.asarray(loss.value(out[k], t[k])) for k in range(out.shape[0])])
