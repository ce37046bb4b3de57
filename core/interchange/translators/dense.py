"""Neurons and Dense blocks (core/engine/blocks/dense.py's LinearLayer) written out: a Gemm and the
activations of its column groups in ONNX; z = x·W + b, then the activations, in code."""

from __future__ import annotations

import numpy as np

from core.engine.backend import to_numpy
from core.interchange.code import Step, module_arguments
from core.interchange.lines import wrap_list
from core.interchange.onnx.functions import attribute
from core.interchange.onnx.layers import Untranslatable, emit_activation, learned_params
from core.interchange.onnx.values import OnnxImportError, Value, named, sized
from core.interchange.translation import CodeTranslation, OnnxTranslation, Translator, register, template


def emit(g, layer, p, x, shape, key, doc):
    x = g.reshape(x, shape, (layer.n_in,), key, doc)
    inputs = [x, g.param(key, "kernel", p["kernel"])]
    if layer.use_bias:
        inputs.append(g.param(key, "bias", p["bias"]))
    z = g.node("Gemm", inputs, f"{key}/Gemm", doc)
    if len(layer.groups) == 1 and layer.groups[0].columns is None:
        group = layer.groups[0]
        return emit_activation(g, group.activation, z, key, doc,
                               learned_params(g, key, group.learned, p)), (layer.n_out,)
    parts, order = [], []
    for k, group in enumerate(layer.groups):  # columns of each activation, then back in order
        columns = to_numpy(group.columns).astype(np.int64)
        zk = g.node("Gather", [z, g.ints(f"{key}.group{k}", columns)], f"{key}/Gather{k}", doc, axis=1)
        try:
            parts.append(emit_activation(g, group.activation, zk, f"{key}/group{k}", doc,
                                         learned_params(g, key, group.learned, p)))
        except Untranslatable as exc:
            raise Untranslatable(str(exc), columns.tolist()) from None
        order.extend(columns.tolist())
    joined = g.node("Concat", parts, f"{key}/Concat", doc, axis=1)
    back = g.ints(f"{key}.order", np.argsort(np.asarray(order)))
    return g.node("Gather", [joined, back], f"{key}/Order", doc, axis=1), (layer.n_out,)


def engine(layer, arrays):
    """ONNX's Gemm takes the kernel (inputs, units) as the engine holds it."""
    return dict(arrays)


def numpy_lines(writer, step: Step, x: str, out: str) -> list[str]:
    bias = f" + {writer.param(step, 'bias')}" if "bias" in step.params else ""
    return [f"{out} = {x} @ {writer.param(step, 'kernel')}{bias}"]


def torch_module(step: Step) -> str:
    layer = step.layer
    extra = module_arguments(step)
    if layer.mask is not None:
        extra += f", mask={wrap_list(str(layer.mask.astype(int).tolist()), ' ' * 12)}"
    return f"Linear({int(layer.n_in)}, {int(layer.n_out)}{extra})"


# ---------------------------------------------------------------------- ONNX import
def read_dense(reader, node, value: Value, kernel: np.ndarray, bias: np.ndarray | None) -> None:
    if value.perm != (0,) or len(value.shape) != 1:
        raise OnnxImportError(f"{named(node)}: a Dense layer takes a flat vector per sample, not "
                              f"values shaped {sized(value.tensor_shape)}")
    if kernel.ndim != 2 or kernel.shape[0] != value.shape[0]:
        raise OnnxImportError(f"{named(node)}: weights shaped {sized(kernel.shape)} do not fit "
                              f"{value.shape[0]} inputs")
    if value.order is not None:  # rows in the engine's order of the flattened values
        ordered = np.empty_like(kernel)
        ordered[value.order] = kernel
        kernel = ordered
    units = int(kernel.shape[1])
    arrays = {"kernel": kernel.astype(np.float32)}
    if bias is not None:
        arrays["bias"] = np.broadcast_to(bias, (units,)).astype(np.float32)
    params = {"units": units, "activation": "identity", "activation_params": {},
              "use_bias": bias is not None}
    block = reader.add_block("dense", params, [value.block], arrays)
    reader.values[node.output[0]] = Value(block, (units,), (0,), open=True)


def read_gemm(reader, node) -> None:
    if attribute(node, "transA", 0):
        raise OnnxImportError(f"{named(node)}: a Gemm with transA cannot be read")
    kernel = reader.constant(node, 1, "weight matrix").astype(np.float64)
    if attribute(node, "transB", 0):
        kernel = kernel.T
    kernel = kernel * attribute(node, "alpha", 1.0)
    bias = None
    if len(node.input) > 2 and node.input[2]:
        bias = reader.constant(node, 2, "bias").astype(np.float64) * attribute(node, "beta", 1.0)
        if bias.size not in (1, kernel.shape[1]):
            raise OnnxImportError(f"{named(node)}: a bias shaped {sized(bias.shape)} is not one per unit")
        bias = bias.reshape(-1)
    read_dense(reader, node, reader.value_of(node), kernel, bias)


def read_matmul(reader, node) -> None:
    read_dense(reader, node, reader.value_of(node), reader.constant(node, 1, "weight matrix"), None)


LINEAR = Translator(
    OnnxTranslation(emit, engine, {"Gemm": read_gemm, "MatMul": read_matmul}),
    CodeTranslation("linear", numpy_lines, torch_module=torch_module,
                    torch_definition=template("torch", "linear"), groups=lambda layer: layer.groups))
register("neuron", LINEAR)
register("dense", LINEAR)
