"""BatchNorm blocks (core/engine/blocks/batchnorm.py) written out: BatchNormalization on the
features moved to axis 1 in ONNX; the running statistics in NumPy, torch's batch_norm in PyTorch."""

from __future__ import annotations

import numpy as np

from core.interchange.code import Step
from core.interchange.onnx.functions import attribute
from core.interchange.onnx.values import OnnxImportError, Value, channels_first, named, sized
from core.interchange.translation import CodeTranslation, OnnxTranslation, Translator, register, template


def emit(g, layer, p, x, shape, key, doc):
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


def engine(layer, arrays):
    """ONNX's four vectors are the engine's, under the same names."""
    return dict(arrays)


def numpy_lines(writer, step: Step, x: str, out: str) -> list[str]:
    def p(name: str) -> str:
        return writer.param(step, name)
    return [f"{out} = batch_norm({x}, {p('gamma')}, {p('beta')}, {p('running_mean')}, "
            f"{p('running_var')}, epsilon={step.layer.epsilon!r})"]


def torch_module(step: Step) -> str:
    layer = step.layer
    return (f"BatchNorm({int(layer.features)}, momentum={float(layer.momentum)!r}, "
            f"epsilon={float(layer.epsilon)!r})")


# ---------------------------------------------------------------------- ONNX import
def read_batch_normalization(reader, node) -> None:
    value = reader.value_of(node)
    if value.order is not None or value.perm != channels_first(len(value.shape)):
        raise OnnxImportError(f"{named(node)}: normalises another axis than the features (the "
                              f"last axis of the engine's values shaped {sized(value.shape)})")
    if attribute(node, "training_mode", 0) or len(node.output) > 1:
        raise OnnxImportError(f"{named(node)}: batch normalization in training mode cannot be read")
    names = ("gamma", "beta", "running_mean", "running_var")
    arrays = {n: reader.constant(node, k + 1, n.replace("_", " ")).reshape(-1).astype(np.float32)
              for k, n in enumerate(names)}
    if any(a.shape != (value.shape[-1],) for a in arrays.values()):
        raise OnnxImportError(f"{named(node)}: its statistics are not one per feature")
    momentum = 1.0 - float(attribute(node, "momentum", 0.9))
    params = {"momentum": min(max(momentum, 0.0), 1.0),
              "epsilon": float(attribute(node, "epsilon", 1e-5))}
    block = reader.add_block("batchnorm", params, [value.block], arrays)
    reader.values[node.output[0]] = Value(block, value.shape, value.perm)


register("batchnorm", Translator(
    OnnxTranslation(emit, engine, {"BatchNormalization": read_batch_normalization}),
    CodeTranslation("batchnorm", numpy_lines, torch_module=torch_module,
                    torch_definition=template("torch", "batchnorm"),
                    numpy_definition=template("numpy", "batchnorm"))))
