"""What the PyTorch and NumPy exports share: the walk over a compiled model, the source of its
input features, activations and forward pass, written once for both array libraries, and the only
ways design text enters generated source (safe_text for comments and docstrings, str_literal)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.compiler.compile import Build, compile_design
from core.design import registry
from core.design.atomic import write_atomic
from core.design.errors import DesignError, NeuralCanvasError, Problem
from core.engine.backend import to_numpy
from core.engine.model import Piece
from core.interchange.translation import CodeTranslation, translator

INPUT_KINDS = ("input", "data")
GELU_SCALE = math.sqrt(2.0 / math.pi)
NAME_LIMIT = 80  # characters of one design name shown in a comment or a docstring (then "…")
FEATURE_OPS = ("raw", "square", "product", "sin", "cos")  # what core.design.features parses a feature as


# ---------------------------------------------------------------------- design text in source
_ESCAPED = {"\\": "\\\\", '"': '\\"'}


def safe_text(text: Any, limit: int = NAME_LIMIT) -> str:
    """Design text (a name, a label, an id, a file name) fit for a comment or a docstring of
    generated source: one line of printable characters. A backslash, a double quote and every
    character that is not printable (each kind of line break: \\n, \\r, \\x0b, \\x0c, \\x1c-\\x1e,
    \\x85, \\u2028, \\u2029; NUL and other controls; bidirectional marks) are written as Python
    escapes, as ascii() writes them, so that the text can neither end the comment's line nor close
    the docstring. Text over `limit` characters is cut, with "…". This, or a repr() literal
    (`str_literal`), is the only way design text enters generated source."""
    text = str(text)
    if len(text) > limit:
        text = text[:limit] + "…"
    return "".join(_ESCAPED.get(c) or (c if c.isprintable() else ascii(c)[1:-1]) for c in text)


def str_literal(value: Any) -> str:
    """A str (or a tuple of them) as a Python literal: repr() of str values only, which escapes
    quotes, backslashes and every character that is not printable."""
    if isinstance(value, (tuple, list)):
        return repr(tuple(str(v) for v in value))
    return repr(str(value))


@dataclass(frozen=True)
class ActivationCode:
    """One activation as source: its extra arguments, a docstring and a body per library."""

    arguments: tuple[str, ...]
    doc: str
    numpy: str
    torch: str


_SIGMOID = "0.5 * {xp}.tanh(0.5 * z) + 0.5"
ACTIVATIONS: dict[str, ActivationCode] = {
    "identity": ActivationCode((), "z itself.", "return z", "return z"),
    "step": ActivationCode(
        (), "1 where z ≥ 0, else 0 (the perceptron's threshold; its derivative is 0).",
        "return (z >= 0).astype(z.dtype)",
        "# + 0·z: no slope, but the weights before it still get a (zero) gradient, as in the engine\n"
        "return (z >= 0).to(z.dtype) + 0 * z"),
    "sigmoid": ActivationCode((), "1 / (1 + e^−z), through tanh so that it never overflows.",
                              "return " + _SIGMOID.format(xp="np"), "return " + _SIGMOID.format(xp="torch")),
    "tanh": ActivationCode((), "tanh z.", "return np.tanh(z)", "return torch.tanh(z)"),
    "arctan": ActivationCode((), "arctan z.", "return np.arctan(z)", "return torch.arctan(z)"),
    "relu": ActivationCode((), "max(0, z).", "return np.maximum(z, 0)", "return torch.relu(z)"),
    "leaky_relu": ActivationCode(("slope",), "z where z > 0, else slope·z.",
                                 "return np.where(z > 0, z, slope * z)",
                                 "return torch.where(z > 0, z, slope * z)"),
    "rrelu": ActivationCode(
        ("lower", "upper"),
        "z where z > 0, else a·z: a drawn from U(lower, upper) while training, their mean otherwise.",
        "return np.where(z > 0, z, z * ((lower + upper) / 2))  # predicting: the mean slope",
        "if training:  # a fresh random slope per value (torch's generator, not the engine's)\n"
        "    slope = torch.empty_like(z).uniform_(lower, upper)\n"
        "else:\n"
        "    slope = (lower + upper) / 2\n"
        "return torch.where(z > 0, z, z * slope)"),
    "prelu": ActivationCode(("slope",), "z where z > 0, else slope·z, the slope learned per unit.",
                            "return np.where(z > 0, z, slope * z)",
                            "return torch.where(z > 0, z, slope * z)"),
    "elu": ActivationCode(("alpha",), "z where z > 0, else alpha·(e^z − 1).",
                          "return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))",
                          "return torch.where(z > 0, z, alpha * torch.expm1(torch.clamp(z, max=0)))"),
    "softplus": ActivationCode((), "ln(1 + e^z), computed stably.", "return np.logaddexp(0, z)",
                               "return torch.logaddexp(torch.zeros_like(z), z)"),
    "softmax": ActivationCode(
        (), "e^z_i / Σ_j e^z_j over the last axis (the largest z subtracted first).",
        "e = np.exp(z - z.max(axis=-1, keepdims=True))\nreturn e / e.sum(axis=-1, keepdims=True)",
        "return torch.softmax(z, dim=-1)"),
    "gelu": ActivationCode(
        (), "½z(1 + tanh(√(2/π)(z + 0.044715z³))), GELU's tanh form.",
        f"return 0.5 * z * (1 + np.tanh({GELU_SCALE!r} * (z + 0.044715 * z**3)))",
        f"return 0.5 * z * (1 + torch.tanh({GELU_SCALE!r} * (z + 0.044715 * z**3)))"),
    "silu": ActivationCode((), "z·σ(z).", "return z * (" + _SIGMOID.format(xp="np") + ")",
                           "return z * (" + _SIGMOID.format(xp="torch") + ")"),
}


@dataclass(frozen=True)
class Step:
    """One op of the model as the exported code sees it."""

    index: int
    translation: CodeTranslation  # how its block kind is written
    title: str  # a comment line naming the nodes, the shapes and the activation
    layer: Any  # the engine's layer, read for its settings
    inputs: list[Piece]
    merges: bool
    params: dict[str, np.ndarray]  # float64 host copies

    @property
    def name(self) -> str:
        return f"op{self.index}"

    @property
    def kind(self) -> str:
        """The translation's name ("linear" for neurons and Dense blocks alike)."""
        return self.translation.name


@dataclass
class Plan:
    """A compiled design, ready to be written out."""

    design: Any
    build: Build
    steps: list[Step]
    features: list[tuple[str, str]]  # (source over X with {xp}, the feature as the design names it)
    loss_mode: str  # "fused" | "logits" | "plain" | "perceptron"

    @property
    def model(self):
        return self.build.model

    def slot_shape(self, slot: int) -> tuple[int, ...]:
        if slot == 0:
            return (self.model.n_features,)
        layer = self.steps[slot - 1].layer
        return tuple(getattr(layer, "out_shape", (layer.n_out,)))

    def weights(self) -> dict[str, np.ndarray]:
        """Every parameter by its exported name, "op3.kernel" (a PyTorch state dict's keys)."""
        return {f"{s.name}.{k}": v for s in self.steps for k, v in s.params.items()}

    def flat_names(self) -> list[tuple[str, int, tuple[int, ...]]]:
        """(exported name, offset, shape) of each parameter in the engine's flat buffer."""
        out, offset = [], 0
        for step in self.steps:
            for name, shape in step.layer.param_shapes().items():
                out.append((f"{step.name}.{name}", offset, tuple(shape)))
                offset += int(np.prod(shape))
        return out


def make_plan(design, target: str) -> Plan:
    """Compile the design (DesignError lists every problem) and check that each part has a
    translation; `target` ("PyTorch", "NumPy") names the export in the messages."""
    build = compile_design(design)
    problems, steps = [], []
    for index, op in enumerate(build.model.ops):
        kind = design.nodes[op.node_ids[0]].kind
        translation = translator(kind).code
        if translation is None:
            problems.append(Problem(f"cannot be exported to {target}: block kind "
                                    f"{kind!r} has no translation", op.node_ids))
            continue
        for group in getattr(op.layer, "groups", ()):
            problems += _activation_problem(group.activation.id, op.node_ids, target)
        if hasattr(op.layer, "activation"):
            problems += _activation_problem(op.layer.activation.id, op.node_ids, target)
        params = {k: to_numpy(v).astype(np.float64) for k, v in op.params.items()}
        steps.append(Step(index, translation, _title(design, index, op, translation), op.layer,
                          list(op.inputs), op.merges, params))
    if problems:
        raise DesignError(problems)
    mode = "perceptron" if build.rule == "perceptron" else build.model.loss_mode(build.loss)
    return Plan(design, build, steps, _features(design, build), mode)


def _activation_problem(name: str, node_ids, target: str) -> list[Problem]:
    if name in ACTIVATIONS:
        return []
    return [Problem(f"cannot be exported to {target}: the activation {name!r} has no translation",
                    tuple(node_ids))]


def _title(design, index: int, op, translation: CodeTranslation) -> str:
    layer = op.layer
    nodes = [design.nodes[n] for n in op.node_ids]
    if nodes[0].kind == "neuron":
        names = ", ".join(safe_text(n.label or n.id) for n in nodes)
        what = f"neuron{'s' if len(nodes) > 1 else ''} {names}"
    else:
        label = registry.blocks.get(nodes[0].kind).label
        what = f"{label} {safe_text(nodes[0].label or nodes[0].id)}"
    single = (layer.time_steps, layer.n_features) if hasattr(layer, "time_steps") else (layer.n_in,)
    shapes = [getattr(layer, "in_shapes", None) or [getattr(layer, "in_shape", single)],
              getattr(layer, "out_shape", (layer.n_out,))]
    ins = " + ".join(_shape_text(s) for s in shapes[0])
    text = f"op {index}: {what}, {ins} → {_shape_text(shapes[1])}"
    groups = getattr(layer, "groups", None)
    if groups:
        text += "; " + ", ".join(g.activation.id for g in groups)
    elif hasattr(layer, "activation"):
        text += f"; {layer.activation.id}"
    elif translation.note is not None:
        text += f"; {translation.note(layer)}"
    return text


def _shape_text(shape) -> str:
    return "×".join(str(int(s)) for s in shape)


def _features(design, build: Build) -> list[tuple[str, str]]:
    """The source of each input column block over the raw rows X, as Build.feature_rows computes it,
    and the feature's name made safe for a comment."""
    names = [safe_text(n.params["feature"]) if n.kind == "input" else "every data column"
             for n in design.nodes.values() if n.kind in INPUT_KINDS]
    out = []
    for feature, name in zip(build.features, names, strict=True):
        if feature is None:
            out.append(("X", name))
            continue
        if feature.op not in FEATURE_OPS:
            raise ValueError(f"unknown feature operation {feature.op!r}")
        a = f"X[:, {int(feature.columns[0])}:{int(feature.columns[0]) + 1}]"
        if feature.op == "raw":
            source = a
        elif feature.op == "square":
            source = f"{a} * {a}"
        elif feature.op == "product":
            b = int(feature.columns[1])
            source = f"{a} * X[:, {b}:{b + 1}]"
        else:
            source = f"{{xp}}.{feature.op}({a})"
        out.append((source, name))
    return out


# ---------------------------------------------------------------------- source writing
def columns_text(columns) -> str:
    """The indexing that takes a piece's columns: '', '[:, 2:5]' or '[:, [0, 3]]'."""
    if columns is None:
        return ""
    if isinstance(columns, slice):
        return f"[:, {columns.start}:{columns.stop}]"
    listed = [int(c) for c in to_numpy(columns)]
    if listed == list(range(listed[0], listed[0] + len(listed))):  # a run: the same columns
        return f"[:, {listed[0]}:{listed[0] + len(listed)}]"
    return f"[:, {listed}]"


def activation_functions(names, library: str) -> list[str]:
    """Module-level definitions of the activations used, in a fixed order."""
    lines: list[str] = []
    for name, code in ACTIVATIONS.items():
        if name not in names or name == "identity":
            continue
        arguments = ["z", *code.arguments] + (["training=False"] if name == "rrelu" and
                                               library == "torch" else [])
        body = code.torch if library == "torch" else code.numpy
        lines += ["", "", f"def {name}({', '.join(arguments)}):", f'    """{code.doc}"""']
        lines += ["    " + line for line in body.splitlines()]
    return lines


def used_activations(plan: Plan) -> set[str]:
    """The activations the file's code calls: the layers' own, and those their definitions call."""
    names = set()
    for step in plan.steps:
        names.update(step.translation.activations)
        names.update(g.activation.id for g in getattr(step.layer, "groups", ()))
        if hasattr(step.layer, "activation"):
            names.add(step.layer.activation.id)
    return names


class ForwardWriter:
    """Writes the forward pass line by line; subclasses say how one library writes a layer."""

    xp = "np"
    indent = "    "

    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    # ----- what each library answers
    def param(self, step: Step, name: str) -> str:
        raise NotImplementedError

    def cat(self, parts: list[str], axis: int) -> str:
        raise NotImplementedError

    def training(self) -> str | None:
        """The expression that says whether the network is training (None: never)."""
        return None

    def layer_lines(self, step: Step, x, out: str) -> list[str]:
        """The lines that give `out` (or the weighted sums, for the layers with an activation):
        the step's translation for this library."""
        raise NotImplementedError

    # ----- shared
    def lines(self) -> list[str]:
        plan = self.plan
        names = ", ".join(name for _, name in plan.features)
        parts = [source.format(xp=self.xp) for source, _ in plan.features]
        value = parts[0] if len(parts) == 1 else self.cat(parts, 1)
        out = [f"# the input features: {names}", f"s0 = {value}"]
        last = len(plan.steps) - 1
        for step in plan.steps:
            out += ["", f"# {step.title}"]
            x = self.gather(step)
            if not step.merges and not x.isidentifier():
                out.append(f"x{step.index + 1} = {x}")
                x = f"x{step.index + 1}"
            out += self.step_lines(step, x, f"s{step.index + 1}", step.index == last)
        out.append(f"return s{last + 1}")
        return out

    def gather(self, step: Step):
        """An op's input, as Model._gather makes it (a list of sources for a merge layer)."""
        parts = [f"s{p.slot}{columns_text(p.columns)}" for p in step.inputs]
        if step.merges:
            return parts
        if len(parts) == 1:
            return parts[0]
        flat = [part if len(self.plan.slot_shape(p.slot)) == 1 else f"{part}.reshape({part}.shape[0], -1)"
                for part, p in zip(parts, step.inputs, strict=True)]
        return self.cat(flat, 1)

    def step_lines(self, step: Step, x, out: str, last: bool) -> list[str]:
        """The lines of one step: its translation's, then the activation of its groups."""
        groups = step.translation.groups(step.layer) if step.translation.groups else []
        if not groups or (len(groups) == 1 and groups[0].activation.id == "identity"):
            return self.layer_lines(step, x, out)
        z = f"z{step.index + 1}"
        lines = self.layer_lines(step, x, z)
        if last:
            lines += self.logits_lines(z)
        if len(groups) == 1:
            return lines + [f"{out} = {self.call(step, groups[0], z)}"]
        lines.append(f"{out} = {self.xp}.empty_like({z})")
        for group in groups:
            cols = columns_text(group.columns)
            lines.append(f"{out}{cols} = {self.call(step, group, z + cols)}")
        return lines

    def shaped(self, value: str, piece: Piece, shape: tuple[int, ...]) -> str:
        """A merge input as (N, *shape): reshaped only where the slot holds another shape."""
        held = self.plan.slot_shape(piece.slot)
        if tuple(shape) == held or (len(shape) == 1 and len(held) == 1):
            return value
        return f"{value}.reshape({value.split('[')[0]}.shape[0], {', '.join(map(str, shape))})"

    def logits_lines(self, z: str) -> list[str]:
        """What the last layer does before its activation (PyTorch: hand the loss its logits)."""
        return []

    def call(self, step: Step, group, z: str) -> str:
        activation = group.activation
        if activation.id == "identity":
            return z
        args = [z]
        for name in ACTIVATIONS[activation.id].arguments:
            learned = [n for n in group.learned if n.rsplit("_", 1)[0] == name]
            args.append(self.param(step, learned[0]) if learned else
                        f"{name}={float(activation.params[name])!r}")
        if activation.id == "rrelu" and self.training():
            args.append(f"training={self.training()}")
        return f"{activation.id}({', '.join(args)})"


def module_arguments(step: Step) -> str:
    """A PyTorch module's keyword arguments for what a layer with a kernel may have: no bias, and
    learned activation parameters (name → width)."""
    layer = step.layer
    learned = {str(n): int(step.params[n].size) for n in getattr(layer, "learned", ())}
    for group in getattr(layer, "groups", ()):
        learned.update({str(n): int(step.params[n].size) for n in group.learned})
    return ("" if "bias" in step.params else ", bias=False") + (
        f", learned={learned!r}" if learned else "")


def definitions(plan: Plan, library: str) -> list[str]:
    """The module-level source that the steps' lines call (classes, functions), each once, in the
    order the network first uses them."""
    texts: dict[str, None] = {}
    for step in plan.steps:
        text = getattr(step.translation, f"{library}_definition")
        if text:
            texts.setdefault(text, None)
    return list(texts)


def describe_output(plan: Plan) -> str:
    """A plain sentence about what the network gives, for the files' docstrings."""
    width = plan.model.output_width
    activation = plan.model.output_activation
    if plan.build.task == "classification":
        names = names_text(plan.build.data.class_names) or f"{plan.build.data.num_classes} classes"
        what = "class probabilities" if activation in ("softmax", "sigmoid") else "class scores"
        return f"{width} value(s) per row ({activation} output): {what} for {names}"
    targets = names_text(plan.build.data.target_names) or "the target"
    return f"{width} value(s) per row ({activation} output): the predicted {targets}"


def names_text(names, most: int | None = None) -> str:
    """Design names for a docstring or a comment, each made safe, joined with commas (after `most`
    of them, "…")."""
    names = list(names)
    shown = ", ".join(safe_text(n) for n in names[:most])
    return shown + (", …" if most is not None and len(names) > most else "")


def write_source(path, source: str) -> None:
    """The whole file at once (never a partial one); a system error in words."""
    try:
        write_atomic(path, source.encode("utf-8"))
    except OSError as exc:
        raise NeuralCanvasError(f"cannot write {os.fspath(path)}: {exc.strerror or exc}") from exc
