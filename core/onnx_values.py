"""What reading an ONNX graph produces and passes around: blocks of the design being made, runtime
values (a block's output as the graph holds it), and the error that names an operator's node."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.errors import NeuralCanvasError


class OnnxImportError(NeuralCanvasError):
    """What stops an ONNX graph from becoming a design (it names the operator and node)."""


@dataclass
class Block:
    """A node of the design being read: its kind, params, inputs (block indices) and weights."""

    kind: str
    params: dict[str, Any]
    sources: list[int] = field(default_factory=list)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    label: str = ""


@dataclass(frozen=True)
class Value:
    """A runtime tensor: block `block`'s output (engine shape `shape`), its axes as `perm` orders
    them (tensor axis i is engine axis perm[i], batch not counted); `order`: a flat tensor's
    columns as indexes into the engine's flat values; `open`: the weighted sums of a Dense or
    Conv2D whose activation is still to come."""

    block: int
    shape: tuple[int, ...]
    perm: tuple[int, ...]
    order: Any = None
    open: bool = False

    @property
    def tensor_shape(self) -> tuple[int, ...]:
        return tuple(self.shape[p] for p in self.perm)


def channels_first(rank: int) -> tuple[int, ...]:
    return (rank - 1, *range(rank - 1)) if rank > 1 else (0,)


def named(node) -> str:
    return f"{node.op_type} (node {node.name!r})" if node.name else f"{node.op_type} (unnamed node " \
        f"giving {node.output[0]!r})"
