"""Flatten and Reshape blocks (core/engine/blocks/shape_ops.py) written out: ONNX's Flatten or
Reshape; a reshape that keeps the batch axis in code."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from core.interchange.code import Step
from core.interchange.onnx.functions import BATCH, attribute
from core.interchange.onnx.values import OnnxImportError, Value, channels_first, named, sized
from core.interchange.translation import CodeTranslation, OnnxTranslation, Translator, register


def emit_flatten(g, layer, p, x, shape, key, doc):
    return g.node("Flatten", [x], f"{key}/Flatten", doc, axis=1), layer.out_shape


def emit_reshape(g, layer, p, x, shape, key, doc):
    shape_in = g.ints(f"{key}.shape", (0, *layer.out_shape))
    return g.node("Reshape", [x, shape_in], f"{key}/Reshape", doc), layer.out_shape


def lines(writer, step: Step, x: str, out: str) -> list[str]:
    return [f"{out} = {x}.reshape({x}.shape[0], {', '.join(map(str, step.layer.out_shape))})"]


# ---------------------------------------------------------------------- ONNX import
# the operators that take a channels-first image: a one-channel image reshaped for them
CHANNELS_FIRST_OPS = {"Conv", "MaxPool", "AveragePool", "BatchNormalization"}


def read_flatten(reader, node) -> None:
    value = reader.value_of(node)
    rank = len(value.perm) + 1
    if attribute(node, "axis", 1) % rank != 1:
        raise OnnxImportError(f"{named(node)}: only a Flatten that keeps the batch axis can be read")
    reader.values[node.output[0]] = flattened(reader, value)


def flattened(reader, value: Value) -> Value:
    if value.order is not None:
        return replace(value, open=False)
    size = int(np.prod(value.shape))
    order = np.arange(size).reshape(value.shape).transpose(value.perm).reshape(-1)
    block = value.block
    if len(value.shape) > 1:
        block = reader.add_block("flatten", {}, [value.block])
    keep = None if np.array_equal(order, np.arange(size)) else order
    return Value(block, (size,), (0,), keep)


def read_reshape(reader, node) -> None:
    value = reader.value_of(node)
    target = [int(t) for t in reader.constant(node, 1, "shape").reshape(-1)]
    zero = attribute(node, "allowzero", 0)
    tensor = (None, *value.tensor_shape)
    target = [tensor[i] if t == 0 and not zero and i < len(tensor) and i else t
              for i, t in enumerate(target)]
    batch = (BATCH, 0, -1, reader.batch) if reader.batch else (BATCH, 0, -1)
    if not target or target[0] not in batch or (target[0] == -1 and -1 in target[1:]):
        raise OnnxImportError(f"{named(node)}: only a reshape that keeps the batch can be read")
    size = int(np.prod(value.shape))
    rest = target[1:]
    if any(t < -1 or t == 0 for t in rest) or rest.count(-1) > 1:
        raise OnnxImportError(f"{named(node)}: cannot read the target shape {sized(target)}")
    if -1 in rest:
        known = int(np.prod([t for t in rest if t != -1]))
        rest = [size // known if t == -1 else t for t in rest]
    if int(np.prod(rest)) != size:
        raise OnnxImportError(f"{named(node)}: {size} values cannot take the shape {sized(rest)}")
    rest = tuple(rest)
    if rest == value.tensor_shape:
        reader.pass_on(node, value, keep_open=True)
        return
    if len(rest) == 1:
        reader.values[node.output[0]] = flattened(reader, value)
        return
    if value.order is not None or value.perm != tuple(range(len(value.shape))):
        raise OnnxImportError(f"{named(node)}: a reshape of transposed values has no block")
    users = {u.op_type for u in reader.consumers.get(node.output[0], [])}
    if len(rest) == 3 and rest[0] == 1 and users & CHANNELS_FIRST_OPS:
        # a one-channel channels-first image holds its values in channels-last order too
        shape, perm = (rest[1], rest[2], 1), channels_first(3)
    else:
        shape, perm = rest, tuple(range(len(rest)))
    block = reader.add_block("reshape", {"shape": ",".join(map(str, shape))}, [value.block])
    reader.values[node.output[0]] = Value(block, shape, perm)


RESHAPE = CodeTranslation("reshape", lines, lines)
register("flatten", Translator(OnnxTranslation(emit_flatten, readers={"Flatten": read_flatten}), RESHAPE))
register("reshape", Translator(OnnxTranslation(emit_reshape, readers={"Reshape": read_reshape}), RESHAPE))
