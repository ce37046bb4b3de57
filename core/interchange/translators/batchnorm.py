"""BatchNorm blocks (core/engine/blocks/batchnorm.py) written out: BatchNormalization on the
features moved to axis 1 in ONNX; the running statistics in NumPy, torch's batch_norm in PyTorch."""

from __future__ import annotations

from core.interchange.code import Step
from core.interchange.translators import CodeTranslation, OnnxTranslation, Translator, register, template


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


register("batchnorm", Translator(
    OnnxTranslation(emit, engine),
    CodeTranslation("batchnorm", numpy_lines, torch_module=torch_module,
                    torch_definition=template("torch", "batchnorm"),
                    numpy_definition=template("numpy", "batchnorm"))))
