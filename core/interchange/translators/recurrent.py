"""SimpleRNN, LSTM and GRU blocks (core/engine/blocks/recurrent.py) written out: ONNX's RNN, LSTM
and GRU over time-major sequences (one direction); the cells written out in code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from core.engine.backend import to_numpy
from core.interchange.code import Step
from core.interchange.translation import CodeTranslation, OnnxTranslation, Translator, register, template

# ONNX's LSTM gates are i, o, f, c; the engine's (Keras's) i, f, c, o: ONNX block k is engine block
LSTM_ORDER = (0, 3, 1, 2)


def _gates(a: np.ndarray, units: int, order) -> np.ndarray:
    return np.concatenate([a[..., k * units:(k + 1) * units] for k in order], axis=-1)


def onnx_arrays(kind: str, layer, p) -> dict[str, np.ndarray]:
    """W, R, B as ONNX's RNN, LSTM and GRU take them (one direction)."""
    u = layer.units
    kernel, rk, bias = (to_numpy(p[n]) for n in ("kernel", "recurrent_kernel", "bias"))
    if kind == "lstm":
        kernel, rk, bias = (_gates(a, u, LSTM_ORDER) for a in (kernel, rk, bias))
    recurrent_bias = np.zeros_like(bias)
    if kind == "gru":  # the candidate's recurrent bias sits inside the reset gate
        recurrent_bias[2 * u:] = to_numpy(p["recurrent_bias"])
    return {"W": kernel.T[None], "R": rk.T[None],
            "B": np.concatenate([bias, recurrent_bias])[None]}


def _emit(kind: str, op: str) -> Callable:
    def emit(g, layer, p, x, shape, key, doc):
        t, f, u = layer.time_steps, layer.n_features, layer.units
        x = g.reshape(x, shape, (t, f), key, doc)
        x = g.transpose(x, (1, 0, 2), f"{key}/TimeMajor", doc)
        arrays = onnx_arrays(kind, layer, p)
        inputs = [x] + [g.param(key, n, arrays[n]) for n in ("W", "R", "B")]
        attrs: dict[str, Any] = {"hidden_size": u}
        if op == "GRU":
            attrs["linear_before_reset"] = 1
        outputs = g.node(op, inputs, f"{key}/{op}", doc, outputs=2, **attrs)
        if layer.return_sequences:  # Y (T, 1, N, U) → (N, T, U)
            y = g.node("Squeeze", [outputs[0], g.ints(f"{key}.axis", [1])], f"{key}/Squeeze", doc)
            return g.transpose(y, (1, 0, 2), f"{key}/BatchMajor", doc), layer.out_shape
        return g.node("Squeeze", [outputs[1], g.ints(f"{key}.axis", [0])], f"{key}/Squeeze", doc), \
            layer.out_shape  # Y_h (1, N, U) → (N, U)
    return emit


def _engine(kind: str) -> Callable:
    def engine(layer, arrays):
        u = layer.units
        width = layer.gates * u
        kernel, rk = arrays["W"][0].T, arrays["R"][0].T
        bias = arrays["B"][0, :width] + arrays["B"][0, width:]
        out = {}
        if kind == "gru":
            bias = np.concatenate([bias[:2 * u], arrays["B"][0, 2 * u:width]])
            out["recurrent_bias"] = arrays["B"][0, width + 2 * u:]
        if kind == "lstm":
            back = np.argsort(LSTM_ORDER)
            kernel, rk, bias = (_gates(a, u, back) for a in (kernel, rk, bias))
        out.update(kernel=kernel, recurrent_kernel=rk, bias=bias)
        return out
    return engine


def _numpy_lines(kind: str) -> Callable:
    def lines(writer, step: Step, x: str, out: str) -> list[str]:
        weights = [writer.param(step, n) for n in ("kernel", "recurrent_kernel", "bias")]
        if kind == "gru":
            weights.append(writer.param(step, "recurrent_bias"))
        return [f"{out} = {kind}({x}, {', '.join(weights)}, "
                f"return_sequences={step.layer.return_sequences})"]
    return lines


def _torch_module(name: str) -> Callable:
    def module(step: Step) -> str:
        layer = step.layer
        return (f"{name}({int(layer.n_features)}, {int(layer.units)}, "
                f"return_sequences={bool(layer.return_sequences)})")
    return module


for _kind, _op, _name, _uses in (("simple_rnn", "RNN", "SimpleRNN", ()),
                                 ("lstm", "LSTM", "LSTM", ("sigmoid",)),
                                 ("gru", "GRU", "GRU", ("sigmoid",))):
    register(_kind, Translator(
        OnnxTranslation(_emit(_kind, _op), _engine(_kind)),
        CodeTranslation(_kind, _numpy_lines(_kind), torch_module=_torch_module(_name),
                        torch_definition=template("torch", _kind),
                        numpy_definition=template("numpy", _kind), activations=_uses)))
