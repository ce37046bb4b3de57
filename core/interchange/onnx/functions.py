"""Reading ONNX subgraphs as numbers: constant folding (shape arithmetic with a symbolic batch size)
and recognising an element-wise chain of operators as one of the engine's activations."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from core.design import registry
from core.engine.backend import to_numpy, xp

BATCH = -(2**40) - 12345  # the batch size inside folded shape arithmetic (Shape of a runtime value)
GRID = np.concatenate([np.linspace(-8.0, 8.0, 321), [-1e-3, 1e-3, 0.0, -20.0, 20.0]])


def attribute(node: Any, name: str, default: Any = None) -> Any:
    from onnx import helper  # onnx is an optional extra

    for attr in node.attribute:
        if attr.name == name:
            return helper.get_attribute_value(attr)
    return default


def numpy_type(onnx_type: int) -> Any:
    from onnx import helper  # onnx is an optional extra

    return helper.tensor_dtype_to_np_dtype(onnx_type)


# ============================================================================ constant folding
def _slice(node, inputs, opset):
    data = inputs[0]
    if opset < 10:
        starts, ends = attribute(node, "starts"), attribute(node, "ends")
        axes = attribute(node, "axes", list(range(len(starts))))
        steps = [1] * len(starts)
    else:
        starts, ends = inputs[1].tolist(), inputs[2].tolist()
        axes = inputs[3].tolist() if len(inputs) > 3 and inputs[3] is not None else list(range(len(starts)))
        steps = inputs[4].tolist() if len(inputs) > 4 and inputs[4] is not None else [1] * len(starts)
    index = [slice(None)] * data.ndim
    for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
        index[axis] = slice(int(start), int(end), int(step))
    return data[tuple(index)]


def _axes(node, inputs, opset):
    if opset >= 13:
        return inputs[1].tolist() if len(inputs) > 1 and inputs[1] is not None else None
    return attribute(node, "axes")


def _unsqueeze(node, inputs, opset):
    out = inputs[0]
    rank = out.ndim + len(_axes(node, inputs, opset))
    for axis in sorted(a % rank for a in _axes(node, inputs, opset)):
        out = np.expand_dims(out, axis)
    return out


def _squeeze(node, inputs, opset):
    axes = _axes(node, inputs, opset)
    return np.squeeze(inputs[0], axis=None if axes is None else tuple(axes))


def _reshape(node, inputs, opset):
    shape = [d if d != 0 or attribute(node, "allowzero", 0) else inputs[0].shape[i]
             for i, d in enumerate(inputs[1].tolist())]
    return inputs[0].reshape(shape)


def _mod(node, inputs, opset):
    return np.fmod(inputs[0], inputs[1]) if attribute(node, "fmod", 0) else np.mod(inputs[0], inputs[1])


def _div(node, inputs, opset):
    a, b = inputs
    if a.dtype.kind in "iu" and b.dtype.kind in "iu":
        return np.trunc(a / b).astype(a.dtype)
    return a / b


FOLDERS: dict[str, Callable] = {
    "Identity": lambda node, x, opset: x[0],
    "Cast": lambda node, x, opset: x[0].astype(numpy_type(attribute(node, "to"))),
    "Concat": lambda node, x, opset: np.concatenate(x, axis=attribute(node, "axis")),
    "Gather": lambda node, x, opset: np.take(x[0], x[1], axis=attribute(node, "axis", 0)),
    "Slice": _slice,
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
    "Reshape": _reshape,
    "Add": lambda node, x, opset: x[0] + x[1],
    "Sub": lambda node, x, opset: x[0] - x[1],
    "Mul": lambda node, x, opset: x[0] * x[1],
    "Div": _div,
    "Mod": _mod,
    "Neg": lambda node, x, opset: -x[0],
    "Transpose": lambda node, x, opset: np.transpose(x[0], attribute(node, "perm")),
}


def fold(node: Any, inputs: list[np.ndarray], opset: int) -> np.ndarray | None:
    """A node of constants evaluated, or None when it is not one this reader folds."""
    if node.op_type == "Constant":
        from onnx import numpy_helper  # onnx is an optional extra

        value = attribute(node, "value")
        if value is not None:
            return numpy_helper.to_array(value)
        for name, dtype in (("value_float", np.float32), ("value_floats", np.float32),
                            ("value_int", np.int64), ("value_ints", np.int64)):
            found = attribute(node, name)
            if found is not None:
                return np.asarray(found, dtype=dtype)
        return None
    folder = FOLDERS.get(node.op_type)
    return None if folder is None else np.asarray(folder(node, inputs, opset))


# ============================================================================ activations
def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _gelu(node, x):
    approximate = attribute(node, "approximate", b"none")
    z = x[0]
    if (approximate.decode() if isinstance(approximate, bytes) else approximate) == "tanh":
        return 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)))
    return 0.5 * z * (1 + _erf(z / math.sqrt(2)))


def _with_alpha(default: float, f: Callable) -> Callable:
    return lambda node, x: f(x[0], attribute(node, "alpha", default))


ELEMENTWISE: dict[str, Callable] = {
    "Identity": lambda node, x: x[0],
    "Relu": lambda node, x: np.maximum(x[0], 0),
    "Sigmoid": lambda node, x: 1 / (1 + np.exp(-x[0])),
    "Tanh": lambda node, x: np.tanh(x[0]),
    "Atan": lambda node, x: np.arctan(x[0]),
    "Softplus": lambda node, x: np.logaddexp(0, x[0]),
    "Exp": lambda node, x: np.exp(x[0]),
    "Log": lambda node, x: np.log(x[0]),
    "Abs": lambda node, x: np.abs(x[0]),
    "Neg": lambda node, x: -x[0],
    "Sqrt": lambda node, x: np.sqrt(x[0]),
    "Reciprocal": lambda node, x: 1 / x[0],
    "Erf": lambda node, x: _erf(x[0]),
    "Sin": lambda node, x: np.sin(x[0]),
    "Cos": lambda node, x: np.cos(x[0]),
    "Add": lambda node, x: x[0] + x[1],
    "Sub": lambda node, x: x[0] - x[1],
    "Mul": lambda node, x: x[0] * x[1],
    "Div": lambda node, x: x[0] / x[1],
    "Pow": lambda node, x: np.power(x[0], x[1]),
    "Max": lambda node, x: np.maximum.reduce(x),
    "Min": lambda node, x: np.minimum.reduce(x),
    "Greater": lambda node, x: x[0] > x[1],
    "GreaterOrEqual": lambda node, x: x[0] >= x[1],
    "Less": lambda node, x: x[0] < x[1],
    "LessOrEqual": lambda node, x: x[0] <= x[1],
    "Where": lambda node, x: np.where(x[0], x[1], x[2]),
    "Cast": lambda node, x: x[0].astype(np.float64 if numpy_type(attribute(node, "to")).kind == "f"
                                        else numpy_type(attribute(node, "to"))),
    "LeakyRelu": _with_alpha(0.01, lambda z, a: np.where(z >= 0, z, a * z)),
    "Elu": _with_alpha(1.0, lambda z, a: np.where(z > 0, z, a * np.expm1(np.minimum(z, 0)))),
    "Gelu": _gelu,
    "HardSigmoid": lambda node, x: np.clip(attribute(node, "alpha", 0.2) * x[0]
                                           + attribute(node, "beta", 0.5), 0, 1),
}


def evaluate_chain(nodes: list, start: str, constants: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every tensor of an element-wise chain of nodes, over GRID fed in as `start`."""
    values: dict[str, np.ndarray] = {start: GRID.copy()}
    with np.errstate(all="ignore"):
        for node in nodes:
            inputs = [values[n] if n in values else np.asarray(constants[n], dtype=np.float64).reshape(())
                      for n in node.input]
            values[node.output[0]] = np.asarray(ELEMENTWISE[node.op_type](node, inputs), dtype=np.float64)
    return values


def activation_of(values: np.ndarray) -> str | None:
    """The id of the parameter-free element-wise activation that gives these values over GRID."""
    if not np.all(np.isfinite(values)):
        return None
    for act_id, cls in registry.activations.items():
        if not cls.elementwise or cls.learnable or cls.stochastic or cls.defaults:
            continue
        expected = to_numpy(cls().f(xp.asarray(GRID)))
        if np.all(np.abs(values - expected) <= 1e-5 * (1 + np.abs(expected))):
            return act_id
    return None
