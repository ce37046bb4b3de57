"""How much arithmetic a training step takes: multiply-adds per sample of a compiled model, from
its layers' weights and how often each weight is used (once for a dense layer, at every position
for a convolution, at every time step for a recurrent layer). An estimate to choose by (the
backend, threads for variants), not a count to report: layers without weights count their
outputs once."""

from __future__ import annotations

import math
from typing import Any

# a training step: the forward pass, then two products of the same size backwards
STEP_FACTOR = 3


def layer_multiply_adds(layer: Any) -> int:
    """Multiply-adds of one sample's forward pass through `layer`."""
    shapes = layer.param_shapes() if hasattr(layer, "param_shapes") else {}
    weights = sum(math.prod(shape) for name, shape in shapes.items()
                  if name in ("kernel", "recurrent_kernel"))
    if not weights:
        return int(getattr(layer, "n_out", 0) or 0)
    uses = 1
    if hasattr(layer, "time_steps"):  # recurrent: every weight at every step
        uses = int(layer.time_steps)
    elif hasattr(layer, "kernel_size") and hasattr(layer, "out_shape"):  # conv: at every position
        uses = int(layer.out_shape[0] * layer.out_shape[1])
    return weights * uses


def multiply_adds_per_sample(model: Any) -> int:
    """The forward pass's multiply-adds for one sample of a compiled Model."""
    return sum(layer_multiply_adds(op.layer) for op in model.ops)


def step_work(model: Any, batch_size: int) -> int:
    """Floating-point operations of one training step (forward and backward) on one batch."""
    return 2 * STEP_FACTOR * multiply_adds_per_sample(model) * max(1, int(batch_size))


def variants_step_work(model: Any, batch_sizes: list[int]) -> int:
    """Floating-point operations of one ensemble step: one step of each variant of a model."""
    return sum(step_work(model, size) for size in batch_sizes)
