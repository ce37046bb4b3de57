"""Add and Concatenate blocks (core/engine/blocks/merge.py) written out: Add nodes or a Concat on
the last axis, each input reshaped to the shape the block takes it in."""

from __future__ import annotations

from core.interchange.code import Step
from core.interchange.translators import CodeTranslation, OnnxTranslation, Translator, register


def _parts(g, layer, xs, shapes, key, doc) -> list[str]:
    return [g.reshape(x, s, t, f"{key}.in{k}", doc)
            for k, (x, s, t) in enumerate(zip(xs, shapes, layer.in_shapes, strict=True))]


def emit_add(g, layer, p, xs, shapes, key, doc):
    parts = _parts(g, layer, xs, shapes, key, doc)
    y = parts[0]
    for k, part in enumerate(parts[1:], start=1):
        y = g.node("Add", [y, part], f"{key}/Add{k}", doc)
    if len(parts) == 1:
        y = g.node("Identity", [y], f"{key}/Identity", doc)
    return y, layer.out_shape


def emit_concatenate(g, layer, p, xs, shapes, key, doc):
    return g.node("Concat", _parts(g, layer, xs, shapes, key, doc), f"{key}/Concat", doc,
                  axis=-1), layer.out_shape


def _shaped(writer, step: Step, xs: list[str]) -> list[str]:
    return [writer.shaped(v, piece, shape)
            for v, piece, shape in zip(xs, step.inputs, step.layer.in_shapes, strict=True)]


def add_lines(writer, step: Step, xs: list[str], out: str) -> list[str]:
    return [f"{out} = " + " + ".join(_shaped(writer, step, xs))]


def concatenate_lines(writer, step: Step, xs: list[str], out: str) -> list[str]:
    return [f"{out} = {writer.cat(_shaped(writer, step, xs), -1)}"]


register("add", Translator(OnnxTranslation(emit_add), CodeTranslation("add", add_lines, add_lines)))
register("concatenate", Translator(OnnxTranslation(emit_concatenate),
                                   CodeTranslation("concatenate", concatenate_lines, concatenate_lines)))
