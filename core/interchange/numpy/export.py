"""Export a design as one NumPy-only Python file: its current weights and predict(x)."""

from __future__ import annotations

from core.interchange.code import (
    ForwardWriter,
    Plan,
    Step,
    activation_functions,
    definitions,
    describe_output,
    make_plan,
    names_text,
    safe_text,
    str_literal,
    used_activations,
    write_source,
)
from core.interchange.lines import array_literal, docstring_lines, wrap_code

LITERAL_LIMIT = 256  # arrays up to this many values are written as numbers, larger ones as hex


def export_numpy(design, path) -> None:
    """Write `path`: a Python file that needs only NumPy, with the design's current weights and
    `predict(x)` (raw data rows → what the network gives). DesignError names each node that is
    wrong or has no translation; nothing is written then, and an existing file stays as it was."""
    write_source(path, numpy_source(design))


def numpy_source(design) -> str:
    plan = make_plan(design, "NumPy")
    writer = NumpyWriter(plan)
    body = writer.lines()
    names = names_text(plan.build.data.feature_names, 8)
    out = [
        f'"""A network built in Neural Canvas on the \'{safe_text(plan.build.data.name)}\' data set, '
        "with its weights, as plain NumPy.",
        "",
        *docstring_lines(f"predict(x) takes raw data rows (one row per sample; the columns {names}) "
                         f"and gives {describe_output(plan)}."),
        "It computes what Neural Canvas computes when predicting: Dropout does nothing and BatchNorm",
        "uses its running statistics. NumPy is the only import; images are channels-last (N, H, W, C).",
        '"""',
        "",
        "import numpy as np",
        "",
        "",
        "def predict(x):",
        '    """The network\'s output for raw data rows x (a 2-D array; one row is taken as one '
        'sample)."""',
        "    X = np.atleast_2d(np.asarray(x, dtype=np.float64))",
        *(wrapped for line in body for wrapped in (wrap_code("    " + line) if line else [""])),
    ]
    if plan.build.task == "classification":
        out += _classify(plan)
    out += activation_functions(used_activations(plan), "numpy")
    for text in definitions(plan, "numpy"):
        out += ["", "", *text.strip("\n").splitlines()]
    out += _weights(plan)
    return "\n".join(out) + "\n"


def _classify(plan: Plan) -> list[str]:
    return [
        "", "",
        f"CLASS_NAMES = {str_literal(tuple(plan.build.data.class_names))}",
        f"THRESHOLD = {float(plan.build.threshold())!r}  # a single output above it means class 1",
        "", "",
        "def classify(x):",
        '    """The predicted class of each row (an index into CLASS_NAMES)."""',
        "    out = predict(x)",
        "    if out.shape[1] == 1:",
        "        return (out[:, 0] > THRESHOLD).astype(np.int64)",
        "    return out.argmax(axis=1)",
    ]


def _weights(plan: Plan) -> list[str]:
    lines = ["", "", "# " + "-" * 98,
             '# The weights, by layer: "op2.kernel" is op 2\'s kernel (the names of a PyTorch state dict).',
             "# Small arrays are written as numbers; larger ones as the hex of their float64 bytes.",
             "", "",
             "def _array(hex_text, shape):",
             '    """float64 values from the hex of their little-endian bytes."""',
             '    return np.frombuffer(bytes.fromhex(hex_text), dtype="<f8").reshape(shape).copy()',
             "", "",
             "W = {}"]
    for name, values in plan.weights().items():
        if values.size <= LITERAL_LIMIT:
            start = f'W["{name}"] = np.array('
            lines.append(f"{start}{array_literal(values, ' ' * 4, first=len(start))})")
            continue
        text = values.astype("<f8").tobytes().hex()
        chunks = [text[i:i + 96] for i in range(0, len(text), 96)]
        lines.append(f'W["{name}"] = _array(')
        lines += [f'    "{chunk}"' for chunk in chunks]
        lines.append(f"    , {tuple(int(s) for s in values.shape)})")
    return lines


class NumpyWriter(ForwardWriter):
    xp = "np"

    def param(self, step: Step, name: str) -> str:
        return f'W["{step.name}.{name}"]'

    def cat(self, parts: list[str], axis: int) -> str:
        return f"np.concatenate([{', '.join(parts)}], axis={axis})"

    def layer_lines(self, step: Step, x, out: str) -> list[str]:
        return step.translation.numpy(self, step, x, out)


__all__ = ["export_numpy", "numpy_source"]
