"""What every ONNX translation uses: the GraphBuilder that names nodes and initializers, the
activations as nodes, and the lookup of a block kind's translation (each kind's own nodes and
parameter layout live with its translator, core/interchange/translators/).

Images are channels-last (N, H, W, C) in the engine and channels-first in ONNX's Conv, pooling and
BatchNormalization, so those are wrapped in a pair of Transposes. Everything is float32.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from core.design.errors import shown
from core.engine.backend import to_numpy
from core.interchange.translation import OnnxTranslation, translator

FLOAT = 1  # onnx.TensorProto.FLOAT
GELU_C = math.sqrt(2.0 / math.pi)


class Untranslatable(Exception):
    """Something with no ONNX translation; `columns`: the layer's units concerned (None: all), so
    that the exporter names the neurons."""

    def __init__(self, message: str, columns: Any = None) -> None:
        super().__init__(message)
        self.columns = columns


class GraphBuilder:
    """ONNX nodes and float32 initializers under unique names, in the order they are made."""

    def __init__(self, helper: Any, numpy_helper: Any) -> None:
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes: list = []
        self.initializers: list = []
        self.params: dict[str, dict[str, str]] = {}  # op key → {parameter: initializer name}
        self._used: set[str] = {"input", "output"}

    def unique(self, name: str) -> str:
        candidate, k = name, 1
        while candidate in self._used:
            k += 1
            candidate = f"{name}_{k}"
        self._used.add(candidate)
        return candidate

    def const(self, name: str, value: Any, dtype: Any = np.float32) -> str:
        unique = self.unique(name)
        array = np.array(value, dtype=dtype, order="C")  # a 0-d array stays a scalar
        self.initializers.append(self.numpy_helper.from_array(array, unique))
        return unique

    def ints(self, name: str, values: Any) -> str:
        return self.const(name, np.asarray(values, dtype=np.int64).reshape(-1), np.int64)

    def param(self, key: str, name: str, value: Any) -> str:
        """A parameter of op `key`, recorded so that an import finds it again."""
        unique = self.const(f"{key}.{name}", to_numpy(value))
        self.params.setdefault(key, {})[name] = unique
        return unique

    def node(self, op: str, inputs: list[str], name: str, doc: str = "", outputs: int = 1,
             result: str = "", **attrs: Any) -> Any:
        """A node named `name` (made unique); its first output is named so too, or `result`."""
        node_name = self.unique(name)
        names = [result or node_name] + [self.unique(f"{name}:{k}") for k in range(1, outputs)]
        node = self.helper.make_node(op, inputs, names, name=node_name, **attrs)
        if doc:
            node.doc_string = doc
        self.nodes.append(node)
        return names[0] if outputs == 1 else names

    def reshape(self, x: str, shape: tuple[int, ...], to: tuple[int, ...], key: str, doc: str) -> str:
        """x as (N, *to), unchanged when it is so already."""
        if tuple(shape) == tuple(to):
            return x
        return self.node("Reshape", [x, self.ints(f"{key}.shape", (0, *to))], f"{key}/Reshape", doc)

    def transpose(self, x: str, perm: tuple[int, ...], name: str, doc: str) -> str:
        return self.node("Transpose", [x], name, doc, perm=list(perm))


# ============================================================================ activations
def emit_activation(g: GraphBuilder, activation: Any, z: str, key: str, doc: str,
                    learned: Mapping[str, str] | None = None) -> str:
    """The nodes of an activation applied to z (its last axis: the units); `learned` names the
    initializers of learned parameters (PReLU's slope)."""
    a, p = activation.id, activation.params
    name = f"{key}/{a}"
    simple = {"sigmoid": "Sigmoid", "tanh": "Tanh", "arctan": "Atan", "relu": "Relu",
              "softplus": "Softplus"}
    if a == "identity":
        return z
    if a in simple:
        return g.node(simple[a], [z], name, doc)
    if a == "step":
        at_least = g.node("GreaterOrEqual", [z, g.const(f"{key}.zero", 0.0)], f"{name}/GreaterOrEqual",
                          doc)
        return g.node("Cast", [at_least], f"{name}/Cast", doc, to=FLOAT)
    if a == "leaky_relu":
        return g.node("LeakyRelu", [z], name, doc, alpha=float(p["slope"]))
    if a == "rrelu":  # predicting, a randomized ReLU uses the mean of its slope range
        return g.node("LeakyRelu", [z], name, doc, alpha=float((p["lower"] + p["upper"]) / 2))
    if a == "prelu":
        slope = learned["slope"] if learned else g.const(f"{key}.slope", p["slope"])
        return g.node("PRelu", [z, slope], name, doc)
    if a == "elu":
        return g.node("Elu", [z], name, doc, alpha=float(p["alpha"]))
    if a == "softmax":
        return g.node("Softmax", [z], name, doc, axis=-1)
    if a == "silu":
        s = g.node("Sigmoid", [z], f"{name}/Sigmoid", doc)
        return g.node("Mul", [z, s], f"{name}/Mul", doc)
    if a == "gelu":  # ½z(1 + tanh(√(2/π)(z + 0.044715z³))): ONNX's Gelu needs opset 20
        cube = g.node("Mul", [g.node("Mul", [z, z], f"{name}/Square", doc), z], f"{name}/Cube", doc)
        inner = g.node("Add", [z, g.node("Mul", [cube, g.const(f"{key}.gelu_a", 0.044715)],
                                         f"{name}/ScaleCube", doc)], f"{name}/Inner", doc)
        t = g.node("Tanh", [g.node("Mul", [inner, g.const(f"{key}.gelu_c", GELU_C)],
                                   f"{name}/ScaleInner", doc)], f"{name}/Tanh", doc)
        one_plus = g.node("Add", [t, g.const(f"{key}.one", 1.0)], f"{name}/OnePlus", doc)
        half = g.node("Mul", [z, g.const(f"{key}.half", 0.5)], f"{name}/Half", doc)
        return g.node("Mul", [half, one_plus], f"{name}/Mul", doc)
    raise Untranslatable(f"activation {shown(a)} has no ONNX translation")


def learned_params(g: GraphBuilder, key: str, names: tuple[str, ...], p: Mapping[str, Any]) -> dict:
    """The initializers of a layer's learned activation parameters (PReLU's slope), by the
    activation's own names."""
    return {name.rsplit("_", 1)[0]: g.param(key, name, p[name]) for name in names}


def to_channels_first(g, layer, x, shape, key, doc):
    """An image block's input (N, H, W, C) as ONNX's image operators take it (N, C, H, W)."""
    x = g.reshape(x, shape, layer.in_shape, key, doc)
    return g.transpose(x, (0, 3, 1, 2), f"{key}/ToNCHW", doc)


def translation(kind: str) -> OnnxTranslation:
    """The ONNX translation of block kind `kind`; Untranslatable when it has none."""
    found = translator(kind).onnx
    if found is None:
        raise Untranslatable(f"its block kind {kind!r} has no ONNX translation")
    return found
