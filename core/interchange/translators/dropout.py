"""Dropout blocks (core/engine/blocks/dropout.py) written out: ONNX's Dropout, which passes its
input through when predicting; F.dropout in PyTorch; nothing in NumPy (it only predicts)."""

from __future__ import annotations

from core.interchange.code import Step
from core.interchange.translators import CodeTranslation, OnnxTranslation, Translator, register


def emit(g, layer, p, x, shape, key, doc):
    # inference: ONNX's Dropout passes its input through (no training_mode input)
    ratio = g.const(f"{key}.ratio", layer.rate)
    return g.node("Dropout", [x, ratio], f"{key}/Dropout", doc), shape


def numpy_lines(writer, step: Step, x: str, out: str) -> list[str]:
    return [f"{out} = {x}  # Dropout only acts while training"]


def torch_lines(writer, step: Step, x: str, out: str) -> list[str]:
    return [f"{out} = F.dropout({x}, p={float(step.layer.rate)!r}, training=self.training)"]


register("dropout", Translator(
    OnnxTranslation(emit),
    CodeTranslation("dropout", numpy_lines, torch_lines, note=lambda layer: f"rate {layer.rate}")))
