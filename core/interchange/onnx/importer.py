"""ONNX import: an ONNX file of a feed-forward network as a design with its weights.

A file that Neural Canvas exported carries its design (without weights) in its metadata: when its
graph is still the one exported, that design comes back as it was (neurons, positions, labels, data
set, training settings) with the file's weights. Any other graph is read block by block
(core/interchange/onnx/graph.py), laid out left to right, with a data set chosen only when its input and
output widths fit an obvious one. Nothing is returned half-read: an unsupported operator raises
OnnxImportError naming the operator and its node.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np

from core.compiler.compile import compile_design
from core.compiler.validation import check_design, errors_only
from core.design.design import Design, layered_positions
from core.design.errors import NeuralCanvasError, cut, problems_text, shown, shown_path
from core.design.safe_files import ONNX_MODEL, UnreadableFile, read_file
from core.files.fileformat import design_from_dict
from core.interchange.onnx.export import (
    DESIGN_KEY,
    GRAPH_KEY,
    PARAMS_KEY,
    graph_digest,
    onnx_modules,
    op_keys,
)
from core.interchange.onnx.external import load_external_data
from core.interchange.onnx.graph import Block, GraphReader, OnnxImportError
from core.interchange.onnx.layers import translation

__all__ = ["ImportedDesign", "OnnxImportError", "import_onnx", "read_onnx"]

SPACING = 200.0  # between the columns of a laid-out import
MAX_METADATA_DEPTH = 64  # levels of JSON in the metadata; a carried design has about six


@dataclass
class ImportedDesign:
    """The design read from a file, and what a person should know about it."""

    design: Design
    notes: list[str] = field(default_factory=list)
    restored: bool = False  # True: the design the file carries, as Neural Canvas exported it


def import_onnx(path: str | os.PathLike) -> Design:
    """The design in an ONNX file (see read_onnx, which also says what was chosen and why)."""
    return read_onnx(path).design


def read_onnx(path: str | os.PathLike) -> ImportedDesign:
    """Read an ONNX file as a design; OnnxImportError (a NeuralCanvasError) names the file and,
    for a graph with no translation, the operator and node."""
    name = os.fspath(path)
    where = shown_path(name)
    onnx, _, _ = onnx_modules()
    try:  # only a regular file, at most ONNX_MODEL.limit (1 GiB): never a FIFO or a device
        data = read_file(name, ONNX_MODEL)
    except UnreadableFile as exc:
        raise OnnxImportError(str(exc) if exc.refused else f"{where}: cannot read the file: "
                              f"{exc.reason}") from None
    try:
        model = onnx.load_model_from_string(data)  # external data: read below, as safely
    except Exception as exc:  # noqa: BLE001  (protobuf's DecodeError and friends)
        raise OnnxImportError(f"{where}: not an ONNX model ({cut(str(exc))})") from None
    load_external_data(model, name, ONNX_MODEL.limit, len(data))
    try:
        return design_from_model(model)
    except NeuralCanvasError as exc:  # the graph's own problem, named; the file named first
        raise OnnxImportError(f"{where}: {exc}") from None
    except (ValueError, IndexError, KeyError, TypeError, AttributeError, RecursionError,
            ArithmeticError) as exc:  # a graph too odd to read
        raise OnnxImportError(f"{where}: cannot read this graph ({type(exc).__name__}: "
                              f"{cut(str(exc))})") from None


def design_from_model(model) -> ImportedDesign:
    """The design an onnx.ModelProto describes (see the module docstring)."""
    notes: list[str] = []
    props = {p.key: p.value for p in model.metadata_props}
    if DESIGN_KEY in props and props.get(GRAPH_KEY) != graph_digest(model.graph):
        notes.append("The file carries a Neural Canvas design, but its graph was changed after the "
                     "export; the network is read from the graph instead, without its layout.")
    elif DESIGN_KEY in props:
        data, stored = _carried(props)  # metadata that is not what an export writes: refused
        try:
            return ImportedDesign(_restored(model, data, stored), notes, restored=True)
        except (NeuralCanvasError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            notes.append(f"The file carries a Neural Canvas design, but it cannot be restored ({exc});"
                         " the network is read from the graph instead, without its layout.")
    reader = GraphReader(model)
    blocks, out = reader.read()
    design = _design(blocks)
    activation = blocks[out.block].params.get("activation", "identity")
    notes += _choose_dataset(design, reader.input_width, out.shape[0], activation)
    return ImportedDesign(design, notes)


# ============================================================================ our own files
def _carried(props: dict[str, str]) -> tuple[dict, dict[str, dict[str, str]]]:
    """The design (parsed JSON) and the parameter map that an export keeps in the metadata;
    OnnxImportError names the entry and what is wrong when they are not what an export writes
    (not JSON, nested too deeply, an array where an object belongs, …)."""
    data = _metadata_json(props, DESIGN_KEY)
    if not isinstance(data, dict):
        raise OnnxImportError(f"its metadata {DESIGN_KEY!r} must hold a design (a JSON object), "
                              f"not {_json_kind(data)}")
    stored = _metadata_json(props, PARAMS_KEY) if PARAMS_KEY in props else {}
    if not isinstance(stored, dict):
        raise OnnxImportError(f"its metadata {PARAMS_KEY!r} must be a JSON object (layer → its "
                              f"parameters), not {_json_kind(stored)}")
    for key, names in stored.items():
        where = f"its metadata {PARAMS_KEY!r} at {shown(key)}"
        if not isinstance(names, dict):
            raise OnnxImportError(f"{where} must be a JSON object (parameter → initializer name), "
                                  f"not {_json_kind(names)}")
        for name in names.values():
            if not isinstance(name, str):
                raise OnnxImportError(f"{where} must name initializers (strings), not hold "
                                      f"{_json_kind(name)}")
    return data, stored


def _metadata_json(props: dict[str, str], key: str):
    """One metadata entry as JSON, at most MAX_METADATA_DEPTH levels deep."""
    deep = OnnxImportError(f"its metadata {key!r} is nested too deeply (more than {MAX_METADATA_DEPTH} "
                           "levels; a design has a few)")
    try:
        value = json.loads(props[key])
    except RecursionError:
        raise deep from None
    except ValueError as exc:
        raise OnnxImportError(f"its metadata {key!r} is not valid JSON ({exc})") from None
    if _too_deep(value):
        raise deep
    return value


def _too_deep(value) -> bool:
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth >= MAX_METADATA_DEPTH:
                return True
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return False


def _json_kind(value) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "true or false",
            type(None): "null"}.get(type(value), "a number")


def _restored(model, data: dict, stored: dict[str, dict[str, str]]) -> Design:
    """The design the metadata keeps, with the weights of the graph's initializers."""
    from onnx import numpy_helper  # onnx is an optional extra

    design = design_from_dict(data)
    build = compile_design(design)
    arrays = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    for index, (op, key) in enumerate(zip(build.model.ops, op_keys(design, build), strict=True)):
        engine = translation(design.nodes[op.node_ids[0]].kind).engine
        names = stored.get(key, {})
        absent = [init for init in names.values() if init not in arrays]
        if absent:
            raise ValueError(f"the graph has no initializer {shown(absent[0])}, which holds a "
                             f"weight of {shown(key)}")
        found = {pname: arrays[init].astype(np.float64) for pname, init in names.items()}
        values = engine(op.layer, found)
        for pname, shape in op.layer.param_shapes().items():
            if pname not in values or values[pname].shape != tuple(shape):
                raise ValueError(f"the weights of {shown(key)} ({pname}) do not fit its layer")
            build.model.set_param(index, pname, values[pname])
    _check_widths(model, build)
    build.write_back(design)
    return design


def _check_widths(model, build) -> None:
    def width(value) -> int | None:
        dims = value.type.tensor_type.shape.dim
        return dims[-1].dim_value if len(dims) == 2 and dims[-1].HasField("dim_value") else None

    inputs = [i for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    if len(inputs) != 1 or width(inputs[0]) != build.data.num_features:
        raise ValueError("its input does not fit the design's data set")
    if len(model.graph.output) != 1 or width(model.graph.output[0]) != build.model.output_width:
        raise ValueError("its output does not fit the design")


# ============================================================================ other graphs
def _design(blocks: list[Block]) -> Design:
    design = Design()
    ids = []
    for block in blocks:
        ids.append(design.add_node(block.kind, block.params, label=block.label).id)
    for index, block in enumerate(blocks):
        for source in block.sources:
            design.add_connection(ids[source], ids[index])
        if block.arrays:
            design.parameters[ids[index]] = {k: np.array(v, dtype=np.float32)
                                             for k, v in block.arrays.items()}
    depth: dict[int, int] = {}
    for index, block in enumerate(blocks):  # blocks come after their sources
        depth[index] = 1 + max((depth[s] for s in block.sources), default=-1)
    columns: dict[int, list[str]] = {}
    for index, d in depth.items():
        columns.setdefault(d, []).append(ids[index])
    for node_id, position in layered_positions([columns[d] for d in sorted(columns)], SPACING).items():
        design.move_node(node_id, position)
    return design


def _choose_dataset(design: Design, width_in: int, width_out: int, activation: str) -> list[str]:
    """Pick the data set (and a loss) that fit the network's input and output, if one obviously
    does; otherwise leave the data set as it is and say so."""
    choices = {(64, 10): ("digits", "softmax_cross_entropy"), (64, 64): ("digits_itself", "mse"),
               (4, 1): ("cricket", "binary_cross_entropy"), (4, 2): ("cricket", "softmax_cross_entropy"),
               (2, 2): ("circle", "softmax_cross_entropy")}
    choice = choices.get((width_in, width_out))
    if (width_in, width_out) == (2, 1):  # a regression plane, or a boundary between two classes
        choice = ("plane", "mse") if activation == "identity" else ("circle", "binary_cross_entropy")
    if choice is None:
        return [f"No data set obviously fits a network of {width_in} inputs and {width_out} outputs: "
                f"the data set is left as {design.dataset.name!r}; choose one before training."]
    name, loss = choice
    if loss == "softmax_cross_entropy" and activation not in ("softmax", "identity"):
        loss = "mse"
    if loss == "binary_cross_entropy" and activation not in ("sigmoid", "identity"):
        loss = "mse"  # a step output learns by the perceptron rule, from the squared error
    design.set_dataset(name, {})
    design.set_training(loss=loss)
    problems, _ = check_design(design)
    errors = errors_only(problems)
    if errors:
        raise OnnxImportError("the graph reads as a design that does not work: "
                              + problems_text(errors))
    compile_design(design)
    return [f"The data set is {name!r}, which fits {width_in} inputs and {width_out} outputs; "
            f"the loss is {loss!r}."]
