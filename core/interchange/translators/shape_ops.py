"""Flatten and Reshape blocks (core/engine/blocks/shape_ops.py) written out: ONNX's Flatten or
Reshape; a reshape that keeps the batch axis in code."""

from __future__ import annotations

from core.interchange.code import Step
from core.interchange.translators import CodeTranslation, OnnxTranslation, Translator, register


def emit_flatten(g, layer, p, x, shape, key, doc):
    return g.node("Flatten", [x], f"{key}/Flatten", doc, axis=1), layer.out_shape


def emit_reshape(g, layer, p, x, shape, key, doc):
    shape_in = g.ints(f"{key}.shape", (0, *layer.out_shape))
    return g.node("Reshape", [x, shape_in], f"{key}/Reshape", doc), layer.out_shape


def lines(writer, step: Step, x: str, out: str) -> list[str]:
    return [f"{out} = {x}.reshape({x}.shape[0], {', '.join(map(str, step.layer.out_shape))})"]


RESHAPE = CodeTranslation("reshape", lines, lines)
register("flatten", Translator(OnnxTranslation(emit_flatten), RESHAPE))
register("reshape", Translator(OnnxTranslation(emit_reshape), RESHAPE))
