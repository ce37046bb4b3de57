"""Max and average pooling blocks (core/engine/blocks/pooling.py) written out: MaxPool or
AveragePool between Transposes in ONNX; a function over the windows in code."""

from __future__ import annotations

from collections.abc import Callable

from core.engine.blocks.pooling import Pool2DLayer
from core.interchange.code import Step
from core.interchange.onnx.functions import attribute
from core.interchange.onnx.images import image_value, square_window
from core.interchange.onnx.layers import to_channels_first
from core.interchange.onnx.values import OnnxImportError, Value, channels_first, named, sized
from core.interchange.translation import CodeTranslation, OnnxTranslation, Translator, register, template


def _emit(op: str) -> Callable:
    def emit(g, layer, p, x, shape, key, doc):
        x = to_channels_first(g, layer, x, shape, key, doc)
        k, s = layer.pool_size, layer.strides
        y = g.node(op, [x], f"{key}/{op}", doc, kernel_shape=[k, k], strides=[s, s])
        return g.transpose(y, (0, 2, 3, 1), f"{key}/ToNHWC", doc), layer.out_shape
    return emit


def _lines(function: str) -> Callable:
    def lines(writer, step: Step, x: str, out: str) -> list[str]:
        layer = step.layer
        return [f"{out} = {function}({x}, {tuple(layer.in_shape)}, pool={layer.pool_size}, "
                f"stride={layer.strides})"]
    return lines


# ---------------------------------------------------------------------- ONNX import
def read_pool(reader, node, kind: str) -> None:
    value = image_value(reader, node)
    size = list(attribute(node, "kernel_shape", []))
    if len(size) != 2 or size[0] != size[1]:
        raise OnnxImportError(f"{named(node)}: only a square window can be read, not {sized(size)}")
    if attribute(node, "ceil_mode", 0) or (len(node.output) > 1 and node.output[1] in reader.consumers):
        raise OnnxImportError(f"{named(node)}: ceil mode and indices have no block")
    stride, padding = square_window(node, value, int(size[0]))
    if padding != "valid":
        raise OnnxImportError(f"{named(node)}: pooling blocks take whole windows only (no padding)")
    pool = int(size[0])
    try:
        shape = Pool2DLayer.output_shape(value.shape, pool, stride)
    except ValueError as exc:
        raise OnnxImportError(f"{named(node)}: {exc}") from None
    params = {"pool_size": pool, "strides": 0 if stride == pool else stride}
    block = reader.add_block(kind, params, [value.block])
    reader.values[node.output[0]] = Value(block, shape, channels_first(3))


def read_max_pool(reader, node) -> None:
    if attribute(node, "storage_order", 0):
        raise OnnxImportError(f"{named(node)}: column-major indices have no block")
    read_pool(reader, node, "max_pool2d")


def read_average_pool(reader, node) -> None:
    read_pool(reader, node, "avg_pool2d")


for _kind, _op, _read in (("max_pool2d", "MaxPool", read_max_pool),
                          ("avg_pool2d", "AveragePool", read_average_pool)):
    register(_kind, Translator(
        OnnxTranslation(_emit(_op), readers={_op: _read}),
        CodeTranslation(_kind, _lines(_kind), _lines(_kind),
                        torch_definition=template("torch", _kind),
                        numpy_definition=template("numpy", _kind))))
