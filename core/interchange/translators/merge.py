"""Add and Concatenate blocks (core/engine/blocks/merge.py) written out: Add nodes or a Concat on
the last axis, each input reshaped to the shape the block takes it in."""

from __future__ import annotations

import numpy as np

from core.interchange.code import Step
from core.interchange.onnx.functions import attribute
from core.interchange.onnx.values import OnnxImportError, Value, named
from core.interchange.translation import CodeTranslation, OnnxTranslation, Translator, register


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


# ---------------------------------------------------------------------- ONNX import
def read_add(reader, node) -> None:
    names = [n in reader.values for n in node.input]
    if all(names):
        read_merge(reader, node, "add")
        return
    runtime = 0 if names[0] else 1
    value = reader.value_of(node, runtime)
    constant = reader.constant(node, 1 - runtime, "other input")
    block = reader.blocks[value.block]
    if not (value.open and reader.single_use(node.input[runtime])) or "use_bias" not in block.params:
        raise OnnxImportError(f"{named(node)}: adding a constant has a block only as the bias "
                              "of a Dense or Conv2D layer, before its activation")
    bias = reader.per_unit(node, value, constant, "bias")
    if block.params["use_bias"]:
        bias = block.arrays["bias"] + bias
    block.params["use_bias"] = True
    block.arrays["bias"] = bias.astype(np.float32)
    reader.pass_on(node, value, keep_open=True, source=runtime)


def read_sum(reader, node) -> None:
    read_merge(reader, node, "add")


def read_concat(reader, node) -> None:
    read_merge(reader, node, "concatenate")


def read_merge(reader, node, kind: str) -> None:
    values = [reader.value_of(node, k) for k in range(len(node.input))]
    first = values[0]
    if any(v.order is not None or v.perm != first.perm for v in values):
        raise OnnxImportError(f"{named(node)}: its inputs are laid out differently")
    if len({v.block for v in values}) < len(values):
        raise OnnxImportError(f"{named(node)}: takes one block's output twice")
    if kind == "add":
        if any(v.shape != first.shape for v in values):
            raise OnnxImportError(f"{named(node)}: adds values of different shapes")
        shape = first.shape
    else:
        axis = attribute(node, "axis") % (len(first.perm) + 1)
        if axis == 0 or first.perm[axis - 1] != len(first.shape) - 1:
            raise OnnxImportError(f"{named(node)}: joins along another axis than the last "
                                  "(channels-last) one")
        if any(v.shape[:-1] != first.shape[:-1] for v in values):
            raise OnnxImportError(f"{named(node)}: joins values whose other axes differ")
        shape = (*first.shape[:-1], sum(v.shape[-1] for v in values))
    block = reader.add_block(kind, {}, [v.block for v in values])
    reader.values[node.output[0]] = Value(block, shape, first.perm)


register("add", Translator(OnnxTranslation(emit_add, readers={"Add": read_add, "Sum": read_sum}),
                          CodeTranslation("add", add_lines, add_lines)))
register("concatenate", Translator(OnnxTranslation(emit_concatenate, readers={"Concat": read_concat}),
                                   CodeTranslation("concatenate", concatenate_lines, concatenate_lines)))
