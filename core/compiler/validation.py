"""Validation of a design: every problem at once, each naming its nodes, connections or setting."""

from __future__ import annotations

import json
import math
import os
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from core.compiler.memory import memory_problems
from core.compiler.precision import weight_problems
from core.data.datasets import dataset_problems, load_dataset, train_test_split
from core.design import registry
from core.design.bulk import collector_paused
from core.design.errors import DataError, Problem, shown
from core.design.features import parse_feature
from core.design.graph_order import topological_order
from core.engine.optimizers import schedule_problems

SCALAR = (1,)
CLASSIFICATION_LOSSES = {"softmax_cross_entropy", "binary_cross_entropy", "hinge"}
_CACHE: OrderedDict[tuple, Any] = OrderedDict()


def load_cached_dataset(name: str, params: Mapping[str, Any], seed: int, dtype: str = "float32"):
    """The data set of a choice, cached by its parameters (and a CSV file's modification time);
    numbers read from a file are held in `dtype` (float32 or float64)."""
    stamp = None
    path = params.get("path") if isinstance(params, Mapping) else None
    if isinstance(path, str):
        try:
            stamp = os.stat(path).st_mtime_ns
        except (OSError, ValueError):  # ValueError: a NUL in the name (reading it says so)
            stamp = "missing"
    key = (name, json.dumps(params, sort_keys=True, default=str), seed, stamp, dtype)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    data = load_dataset(name, params, seed, dtype)
    _CACHE[key] = data
    while len(_CACHE) > 8:
        _CACHE.popitem(last=False)
    return data


@dataclass(frozen=True)
class Structure:
    """What validation learns about the graph: order, shapes and the output."""

    order: list[str]
    shapes: dict[str, tuple[int, ...]]
    sources: dict[str, list[str]]  # each node's sources, in the order its wires were connected
    outputs: list[str]
    output_width: int
    output_activation: str
    # node id → its wires, in the order they were connected
    incoming: dict[str, list] = dataclass_field(default_factory=dict)


def design_problems(design) -> list[Problem]:
    """Every problem with the design itself (errors and warnings). Whether training fits this
    machine's memory is checked when it compiles, not here: a file stays readable (and exportable)
    on a smaller machine than the one it was made for."""
    return validate_design(design, memory=False)


def validate_design(design, data=None, memory: bool = True) -> list[Problem]:
    """Every problem with the design, errors and warnings, without raising."""
    with collector_paused():  # a big design makes many small objects, none of them garbage
        return check_design(design, data, memory=memory)[0]


def check_design(design, data=None, shapes: dict | None = None, memory: bool = True
                 ) -> tuple[list[Problem], Structure | None]:
    """Every problem, and the structure when there is no error; `shapes`, when given, is filled
    with each shape that could be inferred, errors elsewhere or not (the canvas writes them).
    With `memory`, a design that needs more memory to train than this machine has is an error."""
    problems: list[Problem] = []
    problems += _node_problems(design)
    problems += _connection_problems(design)
    problems += _settings_problems(design)
    problems += weight_problems(design)
    if data is None:
        data, data_problems = _load_data(design)
        problems += data_problems
    order, cycle_problems = topological_order(design)
    problems += cycle_problems
    structure = None
    if order is not None:
        structure, structure_problems = _structure(design, order, data, shapes)
        problems += structure_problems
    if memory and structure is not None and data is not None and not errors_only(problems):
        problems += memory_problems(design, structure, data)
    return problems, structure


def errors_only(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


# ---------------------------------------------------------------------------- parts
def _node_problems(design) -> list[Problem]:
    problems = []
    for node in design.nodes.values():
        if node.kind not in registry.blocks:
            problems.append(Problem(f"unknown kind of node {shown(node.kind)}", (node.id,)))
            continue
        for message in registry.blocks.get(node.kind).param_problems(node.params):
            problems.append(Problem(message, (node.id,)))
    return problems


def _connection_problems(design) -> list[Problem]:
    problems = []
    seen: dict[tuple[str, str], str] = {}
    for conn in design.connections.values():
        ids = (conn.id,)
        missing = [end for end in (conn.source, conn.target) if end not in design.nodes]
        if missing:
            problems.append(Problem(f"connects a node that does not exist ({shown(missing[0])})", (), ids))
            continue
        if conn.source == conn.target:
            problems.append(Problem("connects a node to itself", (conn.source,), ids))
        target = design.nodes[conn.target]
        if target.kind in ("input", "data"):
            problems.append(Problem("an input takes no incoming connection", (target.id,), ids))
        if (conn.source, conn.target) in seen:
            problems.append(Problem("connects the same two nodes twice",
                                    (conn.source, conn.target), (seen[conn.source, conn.target], conn.id)))
        seen[conn.source, conn.target] = conn.id
        if conn.weight is not None and not math.isfinite(conn.weight):
            problems.append(Problem(f"weight {conn.weight} is not a finite number", (), ids))
    return problems


def _settings_problems(design) -> list[Problem]:
    t = design.training
    problems: list[Problem] = []

    def bad(field: str, message: str) -> None:
        problems.append(Problem(message, path=f"training.{field}"))

    def number(value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

    if t.loss not in registry.losses:
        bad("loss", f"unknown loss {shown(t.loss)} (known: {', '.join(registry.losses)})")
    if t.optimizer not in registry.optimizers:
        bad("optimizer", f"unknown optimizer {shown(t.optimizer)} (known: {', '.join(registry.optimizers)})")
    else:
        for message in registry.optimizers.get(t.optimizer).param_problems(t.optimizer_params):
            bad("optimizer_params", message)

    for message in schedule_problems(t.schedule, t.schedule_params):
        bad("schedule", message)
    if not number(t.learning_rate) or t.learning_rate <= 0:
        bad("learning_rate", f"learning rate {t.learning_rate!r} must be a number above 0")
    if not isinstance(t.batch_size, int) or isinstance(t.batch_size, bool) or t.batch_size < 1:
        bad("batch_size", f"batch size {t.batch_size!r} must be a whole number ≥ 1")
    if not isinstance(t.epochs, int) or isinstance(t.epochs, bool) or t.epochs < 0:
        bad("epochs", f"epochs {t.epochs!r} must be a whole number ≥ 0")
    for field in ("l1", "l2", "clip_norm"):
        value = getattr(t, field)
        if not number(value) or value < 0:
            bad(field, f"{field} {value!r} must be a number ≥ 0")
    if not number(t.test_fraction) or not 0 <= t.test_fraction <= 0.9:
        bad("test_fraction", f"test fraction {t.test_fraction!r} must be between 0 and 0.9")
    if not isinstance(t.seed, int) or isinstance(t.seed, bool) or t.seed < 0:
        bad("seed", f"seed {t.seed!r} must be a whole number ≥ 0")
    if t.target_loss is not None and (not number(t.target_loss) or t.target_loss < 0):
        bad("target_loss", f"target loss {t.target_loss!r} must be a number ≥ 0")
    if t.target_accuracy is not None and (not number(t.target_accuracy)
                                          or not 0 < t.target_accuracy <= 1):
        bad("target_accuracy", f"target accuracy {t.target_accuracy!r} must be in (0, 1]")
    if (not isinstance(t.early_stopping_patience, int) or isinstance(t.early_stopping_patience, bool)
            or t.early_stopping_patience < 0):
        bad("early_stopping_patience", "early-stopping patience must be a whole number ≥ 0")
    if t.early_stopping_patience and isinstance(t.test_fraction, (int, float)) and t.test_fraction == 0:
        problems.append(Problem("early stopping watches the test loss, but there is no test set "
                                "(test fraction 0): it will not stop early",
                                path="training.early_stopping_patience", severity="warning"))
    if t.dtype not in ("float32", "float64"):
        bad("dtype", f"dtype {shown(t.dtype)} must be float32 or float64")
    return problems


def _load_data(design):
    choice = design.dataset
    messages = dataset_problems(choice.name, choice.params)
    if not isinstance(choice.seed, int) or isinstance(choice.seed, bool) or choice.seed < 0:
        messages.append(f"the data set's seed {choice.seed!r} must be a whole number ≥ 0")
    if messages:
        return None, [Problem(m, path="dataset") for m in messages]
    try:
        data = load_cached_dataset(choice.name, dict(choice.params), choice.seed,
                                   _data_dtype(design))
    except DataError as exc:
        return None, [Problem(str(exc), path="dataset")]
    fraction = design.training.test_fraction
    if isinstance(fraction, (int, float)) and 0 <= fraction <= 0.9:
        train, _ = train_test_split(data.num_samples, fraction, 0)
        if len(train) == 0:
            return data, [Problem(f"the data set has {data.num_samples} sample(s): with test "
                                  f"fraction {fraction} none is left to train on", path="dataset")]
    return data, []


def _data_dtype(design) -> str:
    """The dtype a design's file data is read in: its training dtype where that is float64."""
    return "float64" if getattr(design.training, "dtype", None) == "float64" else "float32"


def _structure(design, order: list[str], data, shapes: dict | None = None
               ) -> tuple[Structure | None, list[Problem]]:
    problems: list[Problem] = []
    nodes = design.nodes
    sources: dict[str, list[str]] = {n: [] for n in nodes}
    incoming: dict[str, list] = {n: [] for n in nodes}
    has_out = {n: False for n in nodes}
    for c in design.connections.values():
        if c.source in nodes and c.target in nodes:
            sources[c.target].append(c.source)
            incoming[c.target].append(c)
            has_out[c.source] = True
    shapes = {} if shapes is None else shapes
    inputs = [n for n in order if nodes[n].kind in ("input", "data")]
    if not inputs:
        problems.append(Problem("the design has no input: add an Input or a Data node"))
    for node_id in order:
        node = nodes[node_id]
        if node.kind not in registry.blocks:
            continue
        kind = registry.blocks.get(node.kind)
        if node.kind == "input":
            shapes[node_id] = SCALAR
            if data is not None and isinstance(node.params.get("feature"), str):
                try:
                    parse_feature(node.params["feature"], data.feature_names)
                except ValueError as exc:
                    problems.append(Problem(str(exc), (node_id,)))
            if not has_out[node_id]:
                problems.append(Problem("this input is not connected to anything", (node_id,),
                                        severity="warning"))
            continue
        if node.kind == "data":
            shapes[node_id] = (data.num_features,) if data is not None else (0,)
            continue
        if not sources[node_id]:
            problems.append(Problem(f"this {kind.label.lower()} has no incoming connection", (node_id,)))
            continue
        in_shapes = [shapes[s] for s in sources[node_id] if s in shapes]
        if kind.granularity == "neuron":
            # by kind, before any shape is known: a Dense block not wired itself yet is refused too
            vectors = [s for s in sources[node_id] if shapes.get(s, SCALAR) != SCALAR or (
                nodes[s].kind not in ("input", "neuron") and nodes[s].kind in registry.blocks)]
            if vectors:
                problems.append(Problem("a neuron takes single numbers: wire it from inputs or "
                                        "neurons, or use a Dense block", (node_id, *vectors)))
                continue
            if len(in_shapes) < len(sources[node_id]):
                continue  # an upstream problem was already reported
            shapes[node_id] = SCALAR
            if has_out[node_id]:
                problems += _hidden_row_wise(node)
            continue
        if len(in_shapes) < len(sources[node_id]):
            continue  # an upstream problem was already reported
        merges = getattr(kind, "merges", False)
        if merges and len(in_shapes) == 1:
            problems.append(Problem(f"{kind.label} has one input and passes it on unchanged: "
                                    "connect another", (node_id,), severity="warning"))
        if len(in_shapes) > 1 and not merges:
            if all(len(s) == 1 for s in in_shapes):
                in_shapes = [(sum(s[0] for s in in_shapes),)]
        result = kind.output_shape(node.params, in_shapes) if not _bad_params(kind, node) else None
        if isinstance(result, str):  # a shape that does not fit: marked on the wires too
            problems.append(Problem(result, (node_id,), tuple(c.id for c in incoming[node_id])))
        elif result is not None:
            shapes[node_id] = tuple(result)
    outputs, width, activation, output_problems = _outputs(design, has_out, shapes)
    problems += output_problems
    if data is not None and outputs and width:
        problems += _output_fits_data(design, outputs, width, activation, data)
    problems += _initializer_warnings(design, has_out)
    if any(p.severity == "error" for p in problems):
        return None, problems
    return Structure(order, shapes, sources, outputs, width, activation, incoming), problems


def _hidden_row_wise(node) -> list[Problem]:
    """A hidden neuron with softmax (an activation of several sums at once) is refused: what it
    would be normalised with is not something the design shows. Output neurons with softmax are
    normalised together, all of them (they share one activation)."""
    name = node.params.get("activation")
    if not isinstance(name, str) or name not in registry.activations:
        return []
    activation = registry.activations.get(name)
    if activation.elementwise:
        return []
    return [Problem(f"{activation.label} on a hidden neuron is refused (which neurons it would "
                    f"normalise together is not something the design shows): use a Dense block "
                    f"with {activation.label}, or {activation.label} on the output neurons only, "
                    "which are normalised together", (node.id,))]


def _bad_params(kind, node) -> bool:
    return bool(kind.param_problems(node.params))


def _outputs(design, has_out, shapes):
    nodes = design.nodes
    # in design order, not the graph's: a wire elsewhere never swaps two output columns
    sinks = [n for n in nodes if not has_out[n] and nodes[n].kind not in ("input", "data")]
    if not sinks:
        return [], 0, "", [Problem("the design has no output: nothing is left unconnected at the end")]
    neuron_sinks = [n for n in sinks if nodes[n].kind == "neuron"]
    block_sinks = [n for n in sinks if nodes[n].kind != "neuron"]
    if block_sinks and (neuron_sinks or len(block_sinks) > 1):
        return [], 0, "", [Problem("a network has one output: a column of output neurons or one "
                                   "block; these all end without going anywhere", tuple(sinks))]
    if neuron_sinks:
        if any(_bad_params(registry.blocks.get("neuron"), nodes[n]) for n in neuron_sinks):
            return neuron_sinks, 0, "", []  # an activation that is no name: said as the node's problem
        activations = {nodes[n].params.get("activation") for n in neuron_sinks}
        if len(activations) > 1:
            return neuron_sinks, 0, "", [Problem("the output neurons must share one activation",
                                                 tuple(neuron_sinks))]
        return neuron_sinks, len(neuron_sinks), activations.pop(), []
    sink = block_sinks[0]
    shape = shapes.get(sink)
    if shape is None:
        return [sink], 0, "", []
    if len(shape) != 1:
        return [sink], 0, "", [Problem(f"the output must be a flat vector, not {shape}; add Flatten",
                                       (sink,))]
    return [sink], shape[0], nodes[sink].params.get("activation", "identity"), []


def _output_fits_data(design, outputs, width, activation, data) -> list[Problem]:
    problems = []
    ids = tuple(outputs)
    loss = design.training.loss
    if data.task == "classification":
        k = data.num_classes
        if not (width == k or (width == 1 and k == 2)):
            need = "1 or 2 outputs" if k == 2 else f"{k} outputs, one per class"
            problems.append(Problem(f"the data set has {k} classes, so the network needs {need}, "
                                    f"not {width}", ids))
        if loss == "softmax_cross_entropy" and width == 1:
            problems.append(Problem("softmax cross-entropy needs one output per class; "
                                    "use binary cross-entropy for a single output", ids))
        if loss == "binary_cross_entropy" and width != 1:
            problems.append(Problem("binary cross-entropy needs a single output; use softmax "
                                    "cross-entropy for one output per class", ids))
    else:
        m = data.y.shape[1]
        if width != m:
            problems.append(Problem(f"the data set has {m} target value(s), so the network needs "
                                    f"{m} output(s), not {width}", ids))
        if loss in CLASSIFICATION_LOSSES:
            problems.append(Problem(f"the loss {loss!r} is for classification, but "
                                    f"{data.name!r} is a regression data set", path="training.loss"))
    if loss in registry.losses:
        fused = registry.losses.get(loss).fused_activation
        if activation == "step" and (fused is not None or loss == "hinge"):
            problems.append(Problem("a step output learns by the perceptron rule: use mean squared "
                                    "error as its loss", ids))
        elif loss == "hinge" and activation not in ("identity", "tanh"):
            problems.append(Problem(f"the hinge loss wants outputs around ±1: use an identity or tanh "
                                    f"output, not {activation}", ids))
        elif activation == "softmax" and width == 1:
            problems.append(Problem("a softmax over a single output is always 1: use sigmoid, or one "
                                    "output per class", ids))
        elif fused is not None and activation not in (fused, "identity", "step"):
            problems.append(Problem(f"{registry.losses.get(loss).label} expects a {fused} (or "
                                    f"identity) output, not {activation}", ids))
    return problems


def _initializer_warnings(design, has_out) -> list[Problem]:
    problems = []
    for node in design.nodes.values():
        if node.params.get("initializer") == "zeros" and has_out.get(node.id):
            problems.append(Problem("zero initial weights in a hidden layer: its units stay "
                                    "identical and never learn different features", (node.id,),
                                    severity="warning"))
    return problems
