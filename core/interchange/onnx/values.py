"""What reading an ONNX graph produces and passes around: blocks of the design being made, runtime
values (a block's output as the graph holds it), and the error that names an operator's node."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.design.errors import NeuralCanvasError, cut, shown
from core.design.names import escaped


class OnnxImportError(NeuralCanvasError):
    """What stops an ONNX graph from becoming a design (it names the operator and node); its
    message is one line, whatever the file's names hold (each is cut where it is quoted)."""

    def __init__(self, message: str) -> None:
        super().__init__(escaped(message))


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
    """An operator and its node as a message names them: one line each, cut to 60 characters."""
    op = cut(escaped(node.op_type)) or "an operator with no type"
    if node.name:
        return f"{op} (node {shown(node.name)})"
    giving = f"giving {shown(node.output[0])}" if node.output else "giving nothing"
    return f"{op} (unnamed node {giving})"


def sized(value) -> str:
    """A shape, a list of numbers or another value read from the file, as a message shows it: at
    most 60 characters (a shape of a thousand axes is cut)."""
    return cut(escaped(str(value)))
