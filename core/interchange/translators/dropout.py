"""Dropout blocks (core/engine/blocks/dropout.py) written out: ONNX's Dropout, which passes its
input through when predicting; F.dropout in PyTorch; nothing in NumPy (it only predicts)."""

from __future__ import annotations

from dataclasses import replace

from core.interchange.code import Step
from core.interchange.onnx.functions import attribute
from core.interchange.onnx.values import OnnxImportError, named
from core.interchange.translation import CodeTranslation, OnnxTranslation, Translator, register


def emit(g, layer, p, x, shape, key, doc):
    # inference: ONNX's Dropout passes its input through (no training_mode input)
    ratio = g.const(f"{key}.ratio", layer.rate)
    return g.node("Dropout", [x, ratio], f"{key}/Dropout", doc), shape


def numpy_lines(writer, step: Step, x: str, out: str) -> list[str]:
    return [f"{out} = {x}  # Dropout only acts while training"]


def torch_lines(writer, step: Step, x: str, out: str) -> list[str]:
    return [f"{out} = F.dropout({x}, p={float(step.layer.rate)!r}, training=self.training)"]


# ---------------------------------------------------------------------- ONNX import
def read_dropout(reader, node) -> None:
    if len(node.output) > 1 and node.output[1] in reader.consumers:
        raise OnnxImportError(f"{named(node)}: its mask is used, which a design cannot give")
    rate = attribute(node, "ratio", 0.5)
    if len(node.input) > 1 and node.input[1]:
        rate = float(reader.constant(node, 1, "ratio"))
    if len(node.input) > 2 and node.input[2] and bool(reader.constant(node, 2, "training mode")):
        raise OnnxImportError(f"{named(node)}: dropout in training mode cannot be read")
    if not 0 <= rate <= 0.95:
        raise OnnxImportError(f"{named(node)}: a dropout rate of {rate} is outside [0, 0.95]")
    value = reader.value_of(node)
    block = reader.add_block("dropout", {"rate": float(rate)}, [value.block])
    reader.values[node.output[0]] = replace(value, block=block, open=False)


register("dropout", Translator(
    OnnxTranslation(emit, readers={"Dropout": read_dropout}),
    CodeTranslation("dropout", numpy_lines, torch_lines, note=lambda layer: f"rate {layer.rate}")))
