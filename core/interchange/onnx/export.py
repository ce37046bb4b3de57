"""ONNX export: a design, with its current weights, as an ONNX model that computes what
`Model.forward` does from the data set's raw rows (features included), in float32.

The graph takes "input" (N, raw features) and gives "output" (N, outputs), activated. Node and
initializer names start with the design node's id (neuron layers: "layer1", …), each node's
doc_string says which design node it comes from, and the metadata keeps the design without its
weights ("neuralcanvas.design"), so that the importer (`onnx.importer`) can restore positions,
labels, the data set and the training settings.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import numpy as np

from core.compiler.compile import compile_design
from core.design import registry
from core.design.atomic import write_atomic
from core.design.errors import DesignError, NeuralCanvasError, Problem
from core.engine.backend import to_numpy
from core.files.fileformat import design_to_dict
from core.interchange.onnx.layers import GraphBuilder, Untranslatable, translation

DESIGN_KEY = "neuralcanvas.design"
PARAMS_KEY = "neuralcanvas.parameters"  # op key → {parameter: initializer name}
GRAPH_KEY = "neuralcanvas.graph"  # a digest of the nodes, to tell whether the graph was changed
VERSION_KEY = "neuralcanvas.version"
METADATA_VERSION = "1"
MIN_OPSET = 13


def onnx_modules() -> tuple[Any, Any, Any]:
    """(onnx, onnx.helper, onnx.numpy_helper), or a NeuralCanvasError saying how to get them."""
    try:
        import onnx  # onnx is an optional extra
        from onnx import helper, numpy_helper
    except ImportError as exc:
        raise NeuralCanvasError("ONNX needs the 'onnx' package: pip install 'neuralcanvas[export]'"
                                ) from exc
    return onnx, helper, numpy_helper


def export_onnx(design, path: str | os.PathLike, opset: int = 17) -> None:
    """Write the design as an ONNX file, all at once or not at all (an existing file is untouched
    when anything fails). Raises DesignError naming the node that cannot be exported, or
    NeuralCanvasError naming the file when it cannot be written."""
    data = to_onnx(design, opset).SerializeToString()
    name = os.fspath(path)
    try:
        write_atomic(name, data)
    except OSError as exc:
        raise NeuralCanvasError(f"{name}: cannot write the ONNX file: {exc.strerror or exc}") from exc


def to_onnx(design, opset: int = 17):
    """The design as an onnx.ModelProto (see the module docstring)."""
    onnx, helper, numpy_helper = onnx_modules()
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise NeuralCanvasError(f"the ONNX opset must be a whole number from {MIN_OPSET} to {newest}, "
                                f"not {opset!r}")
    build = compile_design(design)  # DesignError with every problem when the design is not valid
    g = GraphBuilder(helper, numpy_helper)
    features = _features(g, design, build)
    slots: list[tuple[str, tuple[int, ...]]] = [(features, (build.model.n_features,))]
    keys = op_keys(design, build)
    for op, key in zip(build.model.ops, keys, strict=True):
        doc = describe(design, op.node_ids)
        try:
            emit = translation(design.nodes[op.node_ids[0]].kind).emit
            slots.append(_emit_op(g, op, key, doc, slots, emit))
        except Untranslatable as exc:
            ids = op.node_ids if exc.columns is None else tuple(op.node_ids[c] for c in exc.columns)
            who = ", ".join(_who(design.nodes[n]) for n in ids)
            what = "neuron" if design.nodes[ids[0]].kind == "neuron" else _kind_label(
                design.nodes[ids[0]].kind)
            plural = "s" if len(ids) > 1 else ""
            raise DesignError(Problem(f"{what}{plural} {who} cannot be exported to ONNX: {exc}",
                                      tuple(ids))) from None
    last, shape = slots[-1]
    g.node("Identity", [last], "output", "the network's output", result="output")
    width = build.model.output_width
    if tuple(shape) != (width,):
        raise NeuralCanvasError(f"the output has shape {shape}, not ({width},)")
    graph = helper.make_graph(
        g.nodes, "neural_canvas",
        [helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, ["N", build.data.num_features])],
        [helper.make_tensor_value_info("output", onnx.TensorProto.FLOAT, ["N", width])],
        g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="Neural Canvas",
                              doc_string=f"Neural Canvas design on the {design.dataset.name!r} data set")
    # the oldest IR version that holds this opset: runtimes accept a model no newer than theirs
    model.ir_version = helper.find_min_ir_version_for(list(model.opset_import))
    presentation = design_to_dict(design, weights=False, state=False)
    helper.set_model_props(model, {
        VERSION_KEY: METADATA_VERSION,
        DESIGN_KEY: json.dumps(presentation, ensure_ascii=False, sort_keys=True),
        PARAMS_KEY: json.dumps(g.params, sort_keys=True),
        GRAPH_KEY: graph_digest(model.graph),
    })
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:  # a translation's bug, not the person's
        raise NeuralCanvasError(f"the exported ONNX model does not pass onnx.checker: {exc}") from exc
    return model


def _emit_op(g: GraphBuilder, op, key: str, doc: str, slots: list, emit) -> tuple[str, tuple]:
    params = {name: to_numpy(value) for name, value in op.params.items()}
    pieces = [_piece(g, slots, piece, f"{key}.in{k}", doc) for k, piece in enumerate(op.inputs)]
    if op.merges:
        return emit(g, op.layer, params, [p[0] for p in pieces], [p[1] for p in pieces], key, doc)
    if len(pieces) == 1:
        x, shape = pieces[0]
    else:  # the pieces side by side, each flattened, as Model._gather joins them
        flat = [g.reshape(x, s, (int(np.prod(s)),), f"{key}.flat{k}", doc)
                for k, (x, s) in enumerate(pieces)]
        x = g.node("Concat", flat, f"{key}/Join", doc, axis=1)
        shape = (sum(int(np.prod(s)) for _, s in pieces),)
    return emit(g, op.layer, params, x, shape, key, doc)


def _piece(g: GraphBuilder, slots: list, piece, name: str, doc: str) -> tuple[str, tuple]:
    tensor, shape = slots[piece.slot]
    if piece.columns is None:
        return tensor, shape
    if len(shape) != 1:
        raise Untranslatable(f"it takes some columns of a {len(shape)}-D value")
    if isinstance(piece.columns, slice):
        start, stop = piece.columns.start or 0, piece.columns.stop
        if (start, stop) == (0, shape[0]):
            return tensor, shape
        inputs = [tensor, g.ints(f"{name}.start", [start]), g.ints(f"{name}.stop", [stop]),
                  g.ints(f"{name}.axis", [1])]
        return g.node("Slice", inputs, f"{name}/Slice", doc), (stop - start,)
    columns = to_numpy(piece.columns).astype(np.int64)
    picked = g.node("Gather", [tensor, g.ints(f"{name}.columns", columns)], f"{name}/Gather", doc,
                    axis=1)
    return picked, (len(columns),)


def _features(g: GraphBuilder, design, build) -> str:
    """The model's input matrix (slot 0) from the raw rows, as Build.feature_rows forms it."""
    width = build.data.num_features
    if all(f is None for f in build.features) and len(build.features) == 1:
        return "input"
    if all(f is not None and f.op == "raw" for f in build.features) and \
            [f.columns[0] for f in build.features] == list(range(width)):
        return "input"  # x1, x2, … in the data set's order: the rows themselves
    names = [n.id for n in design.nodes.values() if n.kind in ("input", "data")]
    parts = []
    for node_id, feature in zip(names, build.features, strict=True):
        doc = describe(design, (node_id,))
        if feature is None:
            parts.append("input")
            continue
        columns = [_column(g, c, f"{node_id}.x{c}", doc) for c in feature.columns]
        a = columns[0]
        if feature.op == "raw":
            parts.append(g.node("Identity", [a], node_id, doc))
        elif feature.op == "square":
            parts.append(g.node("Mul", [a, a], node_id, doc))
        elif feature.op == "product":
            parts.append(g.node("Mul", [a, columns[1]], node_id, doc))
        elif feature.op in ("sin", "cos"):
            parts.append(g.node(feature.op.capitalize(), [a], node_id, doc))
        else:
            raise DesignError(Problem(f"{_who(design.nodes[node_id])}: the feature {feature.op!r} "
                                      "has no ONNX translation", (node_id,)))
    return g.node("Concat", parts, "features", "the input features", axis=1)


def _column(g: GraphBuilder, column: int, name: str, doc: str) -> str:
    inputs = ["input", g.ints(f"{name}.start", [column]), g.ints(f"{name}.stop", [column + 1]),
              g.ints(f"{name}.axis", [1])]
    return g.node("Slice", inputs, f"{name}/Slice", doc)


def op_keys(design, build) -> list[str]:
    """A name for each op: the block's node id, or "layer1", "layer2", … for neuron layers."""
    keys, layer = [], 0
    for op in build.model.ops:
        if design.nodes[op.node_ids[0]].kind == "neuron":
            layer += 1
            key = f"layer{layer}"
            while key in design.nodes:
                key += "_"
            keys.append(key)
        else:
            keys.append(op.node_ids[0])
    return keys


def describe(design, node_ids) -> str:
    nodes = [design.nodes[n] for n in node_ids]
    if nodes[0].kind == "neuron":
        return "neurons " + ", ".join(_who(n) for n in nodes)
    return f"{_kind_label(nodes[0].kind)} {_who(nodes[0])}"


def _who(node) -> str:
    return f"'{node.label}' ({node.id})" if node.label else f"'{node.id}'"


def _kind_label(kind: str) -> str:
    return registry.blocks.get(kind).label if kind in registry.blocks else kind


def graph_digest(graph) -> str:
    """A digest of the graph's nodes (operators, wiring, attributes; not the weights)."""
    digest = hashlib.sha256()
    for node in graph.node:
        digest.update(node.SerializeToString(deterministic=True))
    for value in (*graph.input, *graph.output):
        digest.update(value.name.encode("utf-8"))
    return digest.hexdigest()
