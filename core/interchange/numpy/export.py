"""Export a design as one NumPy-only Python file: its current weights and predict(x)."""

from __future__ import annotations

from core.interchange.code import (
    ForwardWriter,
    Plan,
    Step,
    activation_functions,
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
    kinds = {s.kind for s in plan.steps}
    activations = used_activations(plan) | ({"sigmoid"} if kinds & {"lstm", "gru"} else set())
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
    out += activation_functions(activations, "numpy")
    for kind in ("conv2d", "max_pool2d", "avg_pool2d", "batchnorm", "simple_rnn", "lstm", "gru"):
        if kind in kinds:
            out += ["", "", *HELPERS[kind].strip("\n").splitlines()]
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

    def layer_lines(self, step: Step, x: str, out: str) -> list[str]:
        layer, p = step.layer, lambda name: self.param(step, name)
        bias = p("bias") if "bias" in step.params else None
        if step.kind == "linear":
            return [f"{out} = {x} @ {p('kernel')}" + (f" + {bias}" if bias else "")]
        if step.kind == "conv2d":
            pads = (layer.pad_top, layer.pad_bottom, layer.pad_left, layer.pad_right)
            return [f"{out} = conv2d({x}, {p('kernel')}, {bias}, {tuple(layer.in_shape)}, "
                    f"stride={layer.strides}, padding={pads})"]
        if step.kind == "dropout":
            return [f"{out} = {x}  # Dropout only acts while training"]
        if step.kind == "batchnorm":
            return [f"{out} = batch_norm({x}, {p('gamma')}, {p('beta')}, {p('running_mean')}, "
                    f"{p('running_var')}, epsilon={layer.epsilon!r})"]
        weights = [p("kernel"), p("recurrent_kernel"), p("bias")]
        if step.kind == "gru":
            weights.append(p("recurrent_bias"))
        return [f"{out} = {step.kind}({x}, {', '.join(weights)}, "
                f"return_sequences={layer.return_sequences})"]


HELPERS = {
    "conv2d": '''
def conv2d(x, kernel, bias, in_shape, stride, padding):
    """Slide a (k, k, C, filters) kernel over channels-last images (N, H, W, C), `stride` apart,
    after zeros around the edge, padding = (top, bottom, left, right) (TensorFlow's 'same' puts
    the odd one after); gives the sums (N, H', W', filters)."""
    k = kernel.shape[0]
    x = x.reshape(x.shape[0], *in_shape)
    top, bottom, left, right = padding
    x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(1, 2))[:, ::stride, ::stride]
    n, out_h, out_w = windows.shape[:3]
    # each window as one row in the kernel's (k, k, C) order, then one matrix product
    rows = windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * out_h * out_w, -1)
    z = rows @ kernel.reshape(-1, kernel.shape[3])
    if bias is not None:
        z += bias
    return z.reshape(n, out_h, out_w, -1)
''',
    "max_pool2d": '''
def max_pool2d(x, in_shape, pool, stride):
    """The largest value of each pool×pool window, per channel ('valid' windows only)."""
    x = x.reshape(x.shape[0], *in_shape)
    windows = np.lib.stride_tricks.sliding_window_view(x, (pool, pool), axis=(1, 2))
    return windows[:, ::stride, ::stride].max(axis=(4, 5))
''',
    "avg_pool2d": '''
def avg_pool2d(x, in_shape, pool, stride):
    """The mean of each pool×pool window, per channel ('valid' windows only)."""
    x = x.reshape(x.shape[0], *in_shape)
    windows = np.lib.stride_tricks.sliding_window_view(x, (pool, pool), axis=(1, 2))
    return windows[:, ::stride, ::stride].mean(axis=(4, 5))
''',
    "batchnorm": '''
def batch_norm(x, gamma, beta, running_mean, running_var, epsilon):
    """γ·(x − mean)/√(var + ε) + β per feature (the last axis), with the running statistics."""
    rows = x.reshape(-1, gamma.shape[0])
    scale = gamma * (1.0 / np.sqrt(running_var + epsilon))
    return (rows * scale + (beta - running_mean * scale)).reshape(x.shape)
''',
    "simple_rnn": '''
def simple_rnn(x, kernel, recurrent_kernel, bias, return_sequences):
    """h = tanh(x_t·W + h·U + b) over the time steps of x (N, T, F); the first h is 0."""
    seq = x.reshape(x.shape[0], -1, kernel.shape[0])
    xz = seq @ kernel + bias
    h = np.zeros((x.shape[0], recurrent_kernel.shape[0]))
    states = []
    for t in range(seq.shape[1]):
        h = np.tanh(h @ recurrent_kernel + xz[:, t])
        states.append(h)
    return np.stack(states, axis=1) if return_sequences else h
''',
    "lstm": '''
def lstm(x, kernel, recurrent_kernel, bias, return_sequences):
    """Long short-term memory over x (N, T, F); each weight's columns hold the gates i, f, g, o
    (Keras's order, also torch.nn.LSTM's); the first h and c are 0."""
    seq = x.reshape(x.shape[0], -1, kernel.shape[0])
    u = recurrent_kernel.shape[0]
    xz = seq @ kernel + bias
    h = np.zeros((x.shape[0], u))
    c = np.zeros((x.shape[0], u))
    states = []
    for t in range(seq.shape[1]):
        a = h @ recurrent_kernel + xz[:, t]
        i, f = sigmoid(a[:, :u]), sigmoid(a[:, u:2 * u])
        g, o = np.tanh(a[:, 2 * u:3 * u]), sigmoid(a[:, 3 * u:])
        c = f * c + i * g
        h = o * np.tanh(c)
        states.append(h)
    return np.stack(states, axis=1) if return_sequences else h
''',
    "gru": '''
def gru(x, kernel, recurrent_kernel, bias, recurrent_bias, return_sequences):
    """Gated recurrent unit over x (N, T, F), "reset after" (Keras's default, torch.nn.GRU's
    formulation); the columns hold the gates z (update), r (reset), h~ (candidate), Keras's order."""
    seq = x.reshape(x.shape[0], -1, kernel.shape[0])
    u = recurrent_kernel.shape[0]
    xz = seq @ kernel + bias
    h = np.zeros((x.shape[0], u))
    states = []
    for t in range(seq.shape[1]):
        hz = h @ recurrent_kernel
        z = sigmoid(hz[:, :u] + xz[:, t, :u])
        r = sigmoid(hz[:, u:2 * u] + xz[:, t, u:2 * u])
        candidate = np.tanh(xz[:, t, 2 * u:] + r * (hz[:, 2 * u:] + recurrent_bias))
        h = candidate + z * (h - candidate)
        states.append(h)
    return np.stack(states, axis=1) if return_sequences else h
''',
}

__all__ = ["export_numpy", "numpy_source"]
