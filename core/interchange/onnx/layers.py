"""ONNX translations of the engine's layers and activations: the nodes each becomes, and its
parameters in ONNX's layout and back (shared by
onnx/export.py and onnx/importer.py).

Images are channels-last (N, H, W, C) in the engine and channels-first in ONNX's Conv, pooling and
BatchNormalization, so those are wrapped in a pair of Transposes. Everything is float32.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from core.design.errors import shown
from core.engine.backend import to_numpy
from core.engine.blocks.batchnorm import BatchNormLayer
from core.engine.blocks.conv import Conv2DLayer
from core.engine.blocks.dense import DenseLayer, LinearLayer
from core.engine.blocks.dropout import DropoutLayer
from core.engine.blocks.merge import AddLayer, ConcatenateLayer
from core.engine.blocks.pooling import AvgPool2DLayer, MaxPool2DLayer
from core.engine.blocks.recurrent import GRU, LSTM, SimpleRNN
from core.engine.blocks.shape_ops import FlattenLayer, ReshapeLayer

FLOAT = 1  # onnx.TensorProto.FLOAT
GELU_C = math.sqrt(2.0 / math.pi)
# ONNX's LSTM gates are i, o, f, c; the engine's (Keras's) i, f, c, o: ONNX block k is engine block
LSTM_ORDER = (0, 3, 1, 2)


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


def _learned(g: GraphBuilder, key: str, names: tuple[str, ...], p: Mapping[str, Any]) -> dict:
    return {name.rsplit("_", 1)[0]: g.param(key, name, p[name]) for name in names}


# ============================================================================ layers
# emit(g, layer, params, x, shape, key, doc) -> (tensor, per-sample shape)
# engine(layer, arrays by ONNX parameter name) -> the layer's parameters (the inverse)

def _emit_linear(g, layer, p, x, shape, key, doc):
    x = g.reshape(x, shape, (layer.n_in,), key, doc)
    inputs = [x, g.param(key, "kernel", p["kernel"])]
    if layer.use_bias:
        inputs.append(g.param(key, "bias", p["bias"]))
    z = g.node("Gemm", inputs, f"{key}/Gemm", doc)
    if len(layer.groups) == 1 and layer.groups[0].columns is None:
        group = layer.groups[0]
        return emit_activation(g, group.activation, z, key, doc,
                               _learned(g, key, group.learned, p)), (layer.n_out,)
    parts, order = [], []
    for k, group in enumerate(layer.groups):  # columns of each activation, then back in order
        columns = to_numpy(group.columns).astype(np.int64)
        zk = g.node("Gather", [z, g.ints(f"{key}.group{k}", columns)], f"{key}/Gather{k}", doc, axis=1)
        try:
            parts.append(emit_activation(g, group.activation, zk, f"{key}/group{k}", doc,
                                         _learned(g, key, group.learned, p)))
        except Untranslatable as exc:
            raise Untranslatable(str(exc), columns.tolist()) from None
        order.extend(columns.tolist())
    joined = g.node("Concat", parts, f"{key}/Concat", doc, axis=1)
    back = g.ints(f"{key}.order", np.argsort(np.asarray(order)))
    return g.node("Gather", [joined, back], f"{key}/Order", doc, axis=1), (layer.n_out,)


def _engine_linear(layer, arrays):
    return dict(arrays)


def _to_channels_first(g, layer, x, shape, key, doc):
    x = g.reshape(x, shape, layer.in_shape, key, doc)
    return g.transpose(x, (0, 3, 1, 2), f"{key}/ToNCHW", doc)


def _emit_conv(g, layer, p, x, shape, key, doc):
    x = _to_channels_first(g, layer, x, shape, key, doc)
    inputs = [x, g.param(key, "W", to_numpy(p["kernel"]).transpose(3, 2, 0, 1))]
    if layer.use_bias:
        inputs.append(g.param(key, "bias", p["bias"]))
    k, s = layer.kernel_size, layer.strides
    z = g.node("Conv", inputs, f"{key}/Conv", doc, kernel_shape=[k, k], strides=[s, s],
               pads=[layer.pad_top, layer.pad_left, layer.pad_bottom, layer.pad_right])
    z = g.transpose(z, (0, 2, 3, 1), f"{key}/ToNHWC", doc)
    learned = _learned(g, key, layer.learned, p)
    return emit_activation(g, layer.activation, z, key, doc, learned), layer.out_shape


def _engine_conv(layer, arrays):
    out = {k: v for k, v in arrays.items() if k != "W"}
    out["kernel"] = arrays["W"].transpose(2, 3, 1, 0)
    return out


def _emit_pool(op: str) -> Callable:
    def emit(g, layer, p, x, shape, key, doc):
        x = _to_channels_first(g, layer, x, shape, key, doc)
        k, s = layer.pool_size, layer.strides
        y = g.node(op, [x], f"{key}/{op}", doc, kernel_shape=[k, k], strides=[s, s])
        return g.transpose(y, (0, 2, 3, 1), f"{key}/ToNHWC", doc), layer.out_shape
    return emit


def _no_params(layer, arrays):
    return {}


def _emit_flatten(g, layer, p, x, shape, key, doc):
    return g.node("Flatten", [x], f"{key}/Flatten", doc, axis=1), layer.out_shape


def _emit_reshape(g, layer, p, x, shape, key, doc):
    shape_in = g.ints(f"{key}.shape", (0, *layer.out_shape))
    return g.node("Reshape", [x, shape_in], f"{key}/Reshape", doc), layer.out_shape


def _emit_dropout(g, layer, p, x, shape, key, doc):
    # inference: ONNX's Dropout passes its input through (no training_mode input)
    ratio = g.const(f"{key}.ratio", layer.rate)
    return g.node("Dropout", [x, ratio], f"{key}/Dropout", doc), shape


def _emit_batchnorm(g, layer, p, x, shape, key, doc):
    x = g.reshape(x, shape, layer.in_shape, key, doc)
    rank = len(layer.in_shape) + 1
    if rank > 2:  # the features (last axis) to axis 1, as ONNX normalises
        x = g.transpose(x, (0, rank - 1, *range(1, rank - 1)), f"{key}/ToChannelsFirst", doc)
    inputs = [x] + [g.param(key, n, p[n]) for n in ("gamma", "beta", "running_mean", "running_var")]
    y = g.node("BatchNormalization", inputs, f"{key}/BatchNormalization", doc,
               epsilon=layer.epsilon, momentum=1.0 - layer.momentum)
    if rank > 2:
        y = g.transpose(y, (0, *range(2, rank), 1), f"{key}/ToChannelsLast", doc)
    return y, layer.out_shape


def _recurrent_arrays(layer, p) -> dict[str, np.ndarray]:
    """W, R, B as ONNX's RNN, LSTM and GRU take them (one direction)."""
    u = layer.units
    kernel, rk, bias = (to_numpy(p[n]) for n in ("kernel", "recurrent_kernel", "bias"))
    if isinstance(layer, LSTM):
        def order(a):
            return np.concatenate([a[..., k * u:(k + 1) * u] for k in LSTM_ORDER], axis=-1)
        kernel, rk, bias = order(kernel), order(rk), order(bias)
    recurrent_bias = np.zeros_like(bias)
    if isinstance(layer, GRU):  # the candidate's recurrent bias sits inside the reset gate
        recurrent_bias[2 * u:] = to_numpy(p["recurrent_bias"])
    return {"W": kernel.T[None], "R": rk.T[None],
            "B": np.concatenate([bias, recurrent_bias])[None]}


def _emit_recurrent(g, layer, p, x, shape, key, doc):
    t, f, u = layer.time_steps, layer.n_features, layer.units
    x = g.reshape(x, shape, (t, f), key, doc)
    x = g.transpose(x, (1, 0, 2), f"{key}/TimeMajor", doc)
    arrays = _recurrent_arrays(layer, p)
    inputs = [x] + [g.param(key, n, arrays[n]) for n in ("W", "R", "B")]
    op = {SimpleRNN: "RNN", LSTM: "LSTM", GRU: "GRU"}[type(layer)]
    attrs: dict[str, Any] = {"hidden_size": u}
    if op == "GRU":
        attrs["linear_before_reset"] = 1
    outputs = g.node(op, inputs, f"{key}/{op}", doc, outputs=2, **attrs)
    if layer.return_sequences:  # Y (T, 1, N, U) → (N, T, U)
        y = g.node("Squeeze", [outputs[0], g.ints(f"{key}.axis", [1])], f"{key}/Squeeze", doc)
        return g.transpose(y, (1, 0, 2), f"{key}/BatchMajor", doc), layer.out_shape
    return g.node("Squeeze", [outputs[1], g.ints(f"{key}.axis", [0])], f"{key}/Squeeze", doc), \
        layer.out_shape  # Y_h (1, N, U) → (N, U)


def _engine_recurrent(layer, arrays):
    u = layer.units
    width = layer.gates * u
    kernel, rk = arrays["W"][0].T, arrays["R"][0].T
    bias = arrays["B"][0, :width] + arrays["B"][0, width:]
    out = {}
    if isinstance(layer, GRU):
        bias = np.concatenate([bias[:2 * u], arrays["B"][0, 2 * u:width]])
        out["recurrent_bias"] = arrays["B"][0, width + 2 * u:]
    if isinstance(layer, LSTM):
        back = np.argsort(LSTM_ORDER)

        def order(a):
            return np.concatenate([a[..., k * u:(k + 1) * u] for k in back], axis=-1)
        kernel, rk, bias = order(kernel), order(rk), order(bias)
    out.update(kernel=kernel, recurrent_kernel=rk, bias=bias)
    return out


def _emit_add(g, layer, p, xs, shapes, key, doc):
    parts = [g.reshape(x, s, t, f"{key}.in{k}", doc)
             for k, (x, s, t) in enumerate(zip(xs, shapes, layer.in_shapes, strict=True))]
    y = parts[0]
    for k, part in enumerate(parts[1:], start=1):
        y = g.node("Add", [y, part], f"{key}/Add{k}", doc)
    if len(parts) == 1:
        y = g.node("Identity", [y], f"{key}/Identity", doc)
    return y, layer.out_shape


def _emit_concatenate(g, layer, p, xs, shapes, key, doc):
    parts = [g.reshape(x, s, t, f"{key}.in{k}", doc)
             for k, (x, s, t) in enumerate(zip(xs, shapes, layer.in_shapes, strict=True))]
    return g.node("Concat", parts, f"{key}/Concat", doc, axis=-1), layer.out_shape


# Exact layer types: a new layer class (even a subclass) needs its own entry.
TRANSLATIONS: dict[type, tuple[Callable, Callable]] = {
    LinearLayer: (_emit_linear, _engine_linear),
    DenseLayer: (_emit_linear, _engine_linear),
    Conv2DLayer: (_emit_conv, _engine_conv),
    MaxPool2DLayer: (_emit_pool("MaxPool"), _no_params),
    AvgPool2DLayer: (_emit_pool("AveragePool"), _no_params),
    FlattenLayer: (_emit_flatten, _no_params),
    ReshapeLayer: (_emit_reshape, _no_params),
    DropoutLayer: (_emit_dropout, _no_params),
    BatchNormLayer: (_emit_batchnorm, _engine_linear),
    SimpleRNN: (_emit_recurrent, _engine_recurrent),
    LSTM: (_emit_recurrent, _engine_recurrent),
    GRU: (_emit_recurrent, _engine_recurrent),
    AddLayer: (_emit_add, _no_params),
    ConcatenateLayer: (_emit_concatenate, _no_params),
}


def translation(layer: Any) -> tuple[Callable, Callable]:
    try:
        return TRANSLATIONS[type(layer)]
    except KeyError:
        raise Untranslatable(f"its layer ({type(layer).__name__}) has no ONNX translation") from None
