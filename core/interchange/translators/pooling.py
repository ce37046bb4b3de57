"""Max and average pooling blocks (core/engine/blocks/pooling.py) written out: MaxPool or
AveragePool between Transposes in ONNX; a function over the windows in code."""

from __future__ import annotations

from collections.abc import Callable

from core.interchange.code import Step
from core.interchange.onnx.layers import to_channels_first
from core.interchange.translators import CodeTranslation, OnnxTranslation, Translator, register, template


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


for _kind, _op in (("max_pool2d", "MaxPool"), ("avg_pool2d", "AveragePool")):
    register(_kind, Translator(
        OnnxTranslation(_emit(_op)),
        CodeTranslation(_kind, _lines(_kind), _lines(_kind),
                        torch_definition=template("torch", _kind),
                        numpy_definition=template("numpy", _kind))))
