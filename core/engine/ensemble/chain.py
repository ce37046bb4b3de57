"""A step of an ensemble model whose ops come one after another (`is_chain`): no slots to gather
inputs from or scatter gradients into, and each hidden linear layer of one fixed activation (the
neurons and Dense blocks of a small net) taken inline — its views, activation and flags looked up
once when the model binds its buffers, not on every call. The same NumPy calls on the same arrays
as EnsembleLinear's, so the same numbers; on the playground net's 16 variants a forward and
backward pass took ~80 µs against ~89 µs through the layers' methods."""

from __future__ import annotations

from typing import Any

from core.engine.backend import xp
from core.engine.ensemble.layers import EnsembleLinear
from core.engine.ensemble.reduce import sum_samples


def is_chain(ops, output_op) -> bool:
    """Whether each op takes the whole of the value before it (the first, the inputs) and the last
    is the output: gathering an op's inputs and scattering its gradient back are then the arrays
    as they are."""
    previous = 0
    for op in ops:
        if op.merges or len(op.inputs) != 1:
            return False
        piece = op.inputs[0]
        if piece.columns is not None or piece.slot != previous:
            return False
        previous = op.out_slot
    return bool(ops) and ops[-1] is output_op


def inline_steps(model) -> list[tuple | None]:
    """Per op, for a hidden linear layer of one activation without learned or random parts:
    (kernel, bias as (K, 1, units) or None, the kernel transposed, the kernel's and the bias's
    gradients, the wire mask or None, the activation, whether dx is needed); None for any other
    op (the output layer among them: it goes through its layer, as the loss asks)."""
    steps: list[tuple | None] = []
    last = len(model.ops) - 1
    for i, (op, layer) in enumerate(zip(model.ops, model.layers, strict=True)):
        single = getattr(layer.layer, "single", None)
        if (i == last or not isinstance(layer, EnsembleLinear) or single is None or single.learned
                or single.activation.stochastic or layer.layer.keep_preactivation):
            steps.append(None)
            continue
        p, g, mask = model.params[i], model.grads[i], layer.layer.mask
        steps.append((p["kernel"], p["bias"][:, None, :] if "bias" in p else None,
                      p["kernel"].transpose(0, 2, 1), g["kernel"], g.get("bias"),
                      None if mask is None else xp.asarray(mask, dtype=model.dtype),
                      single.activation, op.need_dx))
    return steps


def forward(model, x, training: bool, activate_output: bool, rngs: Any):
    """(the output, every op's cache): EnsembleModel.forward_all for a chain."""
    caches = []
    last = len(model.layers) - 1
    for i, step in enumerate(model.inline):
        if step is not None:
            kernel, bias, activation = step[0], step[1], step[6]
            z = xp.matmul(x, kernel)
            if bias is not None:
                z += bias
            a, cache = activation.forward_inplace(z, training, None)
            caches.append((x, cache))
            x = a
        elif i == last and not activate_output:
            x, cache = model.layers[i].forward_linear(model.params[i], x)
            caches.append(cache)
        else:
            x, cache = model.layers[i].forward(model.params[i], x, training, rngs)
            caches.append(cache)
    return x, caches


def backward(model, caches: list, d_output, from_preactivation: bool = False) -> None:
    """EnsembleModel.backward for a chain: each op's dx is the gradient of the op before it (the
    first op's, of the inputs, is not made)."""
    d = d_output
    for i in range(len(model.ops) - 1, -1, -1):
        step = model.inline[i]
        if step is not None:
            _, _, kernel_t, kernel_grad, bias_grad, mask, activation, need_dx = step
            x, cache = caches[i]
            dz = activation.backward(d, cache)[0]
            xp.matmul(x.transpose(0, 2, 1), dz, out=kernel_grad)
            if mask is not None:
                kernel_grad *= mask
            if bias_grad is not None:
                sum_samples(dz, out=bias_grad)
            d = xp.matmul(dz, kernel_t) if need_dx else None
            continue
        layer, p, g, need_dx = model.layers[i], model.params[i], model.grads[i], model.ops[i].need_dx
        if from_preactivation:
            d = layer.backward_linear(p, caches[i], d, g, need_dx)
            from_preactivation = False
        else:
            d = layer.backward(p, caches[i], d, g, need_dx)
