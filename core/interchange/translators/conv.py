"""Conv2D blocks (core/engine/blocks/conv.py) written out: Conv between Transposes (ONNX is
channels-first) and the activation; the kernel slid over channels-last images in code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core.engine.backend import to_numpy
from core.engine.blocks.conv import Conv2DLayer
from core.interchange.code import Step, module_arguments
from core.interchange.onnx.functions import attribute
from core.interchange.onnx.images import image_value, square_window
from core.interchange.onnx.layers import emit_activation, learned_params, to_channels_first
from core.interchange.onnx.values import OnnxImportError, Value, channels_first, named, sized
from core.interchange.translation import CodeTranslation, OnnxTranslation, Translator, register, template


def emit(g, layer, p, x, shape, key, doc):
    x = to_channels_first(g, layer, x, shape, key, doc)
    inputs = [x, g.param(key, "W", to_numpy(p["kernel"]).transpose(3, 2, 0, 1))]
    if layer.use_bias:
        inputs.append(g.param(key, "bias", p["bias"]))
    k, s = layer.kernel_size, layer.strides
    z = g.node("Conv", inputs, f"{key}/Conv", doc, kernel_shape=[k, k], strides=[s, s],
               pads=[layer.pad_top, layer.pad_left, layer.pad_bottom, layer.pad_right])
    z = g.transpose(z, (0, 2, 3, 1), f"{key}/ToNHWC", doc)
    learned = learned_params(g, key, layer.learned, p)
    return emit_activation(g, layer.activation, z, key, doc, learned), layer.out_shape


def engine(layer, arrays):
    """ONNX's W is (filters, C, k, k); the engine's kernel (k, k, C, filters)."""
    out = {k: v for k, v in arrays.items() if k != "W"}
    out["kernel"] = arrays["W"].transpose(2, 3, 1, 0)
    return out


@dataclass(frozen=True)
class WholeGroup:
    """A convolution's one activation, seen as an ActivationGroup over every column."""

    activation: Any
    learned: tuple[str, ...]
    columns: Any = None


def _padding(layer) -> tuple[int, int, int, int]:
    return (layer.pad_top, layer.pad_bottom, layer.pad_left, layer.pad_right)


def numpy_lines(writer, step: Step, x: str, out: str) -> list[str]:
    layer = step.layer
    bias = writer.param(step, "bias") if "bias" in step.params else None
    return [f"{out} = conv2d({x}, {writer.param(step, 'kernel')}, {bias}, {tuple(layer.in_shape)}, "
            f"stride={layer.strides}, padding={_padding(layer)})"]


def torch_module(step: Step) -> str:
    layer = step.layer
    return (f"Conv2D({tuple(layer.in_shape)}, filters={layer.filters}, kernel_size={layer.kernel_size}, "
            f"stride={layer.strides}, padding={_padding(layer)}{module_arguments(step)})")


# ---------------------------------------------------------------------- ONNX import
def read_conv(reader, node) -> None:
    value = image_value(reader, node)
    weight = reader.constant(node, 1, "weights")
    if attribute(node, "group", 1) != 1:
        raise OnnxImportError(f"{named(node)}: a grouped convolution has no block")
    if weight.ndim != 4 or weight.shape[2] != weight.shape[3] or weight.shape[1] != value.shape[2]:
        raise OnnxImportError(f"{named(node)}: weights shaped {sized(weight.shape)} are not square "
                              f"filters over {value.shape[2]} channel(s)")
    filters, k = int(weight.shape[0]), int(weight.shape[2])
    stride, padding = square_window(node, value, k)
    arrays = {"kernel": weight.transpose(2, 3, 1, 0).astype(np.float32)}
    bias = len(node.input) > 2 and bool(node.input[2])
    if bias:
        arrays["bias"] = reader.constant(node, 2, "bias").reshape(-1).astype(np.float32)
    try:
        shape = Conv2DLayer.output_shape(value.shape, filters, k, stride, padding)
    except ValueError as exc:
        raise OnnxImportError(f"{named(node)}: {exc}") from None
    params = {"filters": filters, "kernel_size": k, "strides": stride, "padding": padding,
              "activation": "identity", "activation_params": {}, "use_bias": bias}
    block = reader.add_block("conv2d", params, [value.block], arrays)
    reader.values[node.output[0]] = Value(block, shape, channels_first(3), open=True)


register("conv2d", Translator(
    OnnxTranslation(emit, engine, {"Conv": read_conv}),
    CodeTranslation("conv2d", numpy_lines, torch_module=torch_module,
                    torch_definition=template("torch", "conv2d"),
                    numpy_definition=template("numpy", "conv2d"),
                    groups=lambda layer: [WholeGroup(layer.activation, layer.learned)])))
