"""The .ncanvas design file: JSON text, format version, migrations, atomic save, error paths."""

from __future__ import annotations

import copy
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

import numpy as np
from pydantic import ValidationError

from core.compiler.validation import design_problems
from core.design.atomic import write_atomic
from core.design.bulk import collector_paused
from core.design.design import Connection, DatasetChoice, Design, Node, TrainingSettings, TrainingState
from core.design.errors import FileFormatError, Problem, shown
from core.design.names import MAX_ID, MAX_LABEL, text_problem
from core.design.safe_files import DESIGN_FILE, UnreadableFile, read_file
from core.engine.optimizers import state_problems
from core.files.comparison import comparison_limit_problems, comparison_of, comparison_raw
from core.files.json_values import (
    Where,
    decode_array,
    encode_array,
    json_path,
    json_type,
    plain_json,
    render_json,
    schema_problems,
    value_problems,
)
from core.files.migrations import MIGRATIONS
from core.files.schema import STATE_DTYPES, DesignFileModel, dataset_params_problems

FORMAT_NAME = "neuralcanvas-design"
# 2: a block's input rows follow the order of its wires, the outputs the order of the nodes
# 3: a "comparison" section may keep the Compare view's variants with the design
FORMAT_VERSION = 3

_log = logging.getLogger(__name__)



# ===================================================================== writing
def design_to_dict(design: Design, weights: bool = True, state: bool = True,
                   comparison: bool = True) -> dict:
    """The file form of a design, as plain JSON data (lists, dicts, str, int, finite float, None).

    weights=False writes the design as `Design.clear_weights` would leave it: no block arrays,
    no initial weights, every connection weight and neuron bias null. Block weights of a node
    that is no longer in the design are not written. Raises FileFormatError, naming the path,
    for anything that a file cannot hold (NaN, a non-float array, an object in params).
    The design's comparison is written with its state (comparison=False: not at all, for a run
    that only trains the design).
    """
    problems: list[Problem] = []
    raw: dict[str, Any] = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "nodes": [_node_raw(n, weights) for n in design.nodes.values()],
        "connections": [
            {"id": c.id, "source": c.source, "target": c.target,
             "weight": c.weight if weights else None}
            for c in design.connections.values()
        ],
        "dataset": {"name": design.dataset.name, "params": design.dataset.params,
                    "seed": design.dataset.seed},
        "training": {f.name: getattr(design.training, f.name) for f in fields(TrainingSettings)},
    }
    out = plain_json(raw, (), problems)
    if weights:
        out["weights"] = _encode_blocks(
            {nid: p for nid, p in design.parameters.items() if nid in design.nodes},
            ("weights",), problems)
        if design.initial_weights is not None:
            out["initial_weights"] = _initial_weights_raw(design.initial_weights, problems)
    if state:
        s = design.state
        out["state"] = {
            "epoch": plain_json(s.epoch, ("state", "epoch"), problems),
            "step": plain_json(s.step, ("state", "step"), problems),
            "cursor": plain_json(s.cursor, ("state", "cursor"), problems),
            # A metric may be NaN (a run that diverged); json writes it as NaN and reads it back.
            "history": plain_json(s.history, ("state", "history"), problems, allow_nan=True),
            "optimizer": {
                str(k): encode_array(v, ("state", "optimizer", str(k)), problems, STATE_DTYPES)
                for k, v in s.optimizer_state.items()
            },
        }
        if comparison and design.comparison is not None:
            out["comparison"] = comparison_raw(design, design.comparison, weights, problems)
    if not problems:
        problems = _written_problems(out, design)
    if problems:
        raise FileFormatError(problems)
    return out


def _written_problems(out: dict[str, Any], design: Design) -> list[Problem]:
    """What loading would refuse in what is about to be written, so that a file this program
    writes always opens again: ids and kinds checked here (core.design.names), the rest by the schema."""
    problems = []
    for table, keys in (("nodes", ("id", "kind", "label")), ("connections", ("id",))):
        for i, item in enumerate(out[table]):
            for key in keys:
                value = item[key]
                if not isinstance(value, str) or (key != "label" and not value):
                    why = f"{key} must be text that is not empty (found {json_type(value)})"
                elif key == "label":
                    why = text_problem(value, "a label", MAX_LABEL)
                else:
                    why = text_problem(value, "an id or a name", MAX_ID)
                if why:
                    problems.append(Problem(why, path=json_path(table, i, key)))
    try:  # the lists checked above are the big ones; the rest is quick to check whole
        DesignFileModel.model_validate({**out, "nodes": [], "connections": []})
    except ValidationError as exc:
        problems += schema_problems(exc)
    if "state" in out:
        problems += _state_problems(design.state.optimizer_state)
    problems += comparison_limit_problems(out)
    return problems


def _state_problems(optimizer_state: Mapping[str, Any]) -> list[Problem]:
    return [Problem(why, path=json_path("state", "optimizer", *([name] if name else [])))
            for name, why in state_problems(optimizer_state)]


def _node_raw(node: Node, weights: bool) -> dict[str, Any]:
    params = node.params
    if not weights and node.kind == "neuron":
        params = {**params, "bias": None}
    return {"id": node.id, "kind": node.kind, "label": node.label,
            "position": list(node.position), "params": params}


def _encode_blocks(blocks: Mapping[str, Any], where: Where, problems: list[Problem]) -> dict:
    if not isinstance(blocks, Mapping):
        problems.append(Problem("block weights must be a mapping", path=json_path(*where)))
        return {}
    out = {}
    for nid, arrays in blocks.items():
        here = (*where, str(nid))
        if not isinstance(arrays, Mapping):
            problems.append(Problem("must map parameter names to arrays", path=json_path(*here)))
            continue
        out[str(nid)] = {str(k): encode_array(v, (*here, str(k)), problems)
                         for k, v in arrays.items()}
    return out


def _initial_weights_raw(snapshot: Mapping[str, Any], problems: list[Problem]) -> dict:
    out: dict[str, Any] = {}
    for key, value in snapshot.items():
        where = ("initial_weights", key)
        if key == "blocks":
            out[key] = _encode_blocks(value, where, problems)
        elif key in ("connections", "neurons"):
            out[key] = plain_json(value, where, problems)
        else:
            problems.append(Problem("not a part of a weight snapshot", path=json_path(*where)))
    return out


def dumps(design: Design, weights: bool = True, state: bool = True) -> str:
    """The design as .ncanvas text: indented JSON, keys in a fixed order, a final newline."""
    data = design_to_dict(design, weights=weights, state=state)
    text = render_json(data)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in some string: escape everything instead
        text = render_json(data, 0, ascii_only=True)
    return text + "\n"


def save_design(design: Design, path: str | os.PathLike, weights: bool = True,
                state: bool = True) -> None:
    """Write the design atomically: a temporary file beside `path`, synced, then renamed over it.

    On any failure the old file is untouched and the temporary file is gone; an operating
    system error (no permission, disk full) becomes a FileFormatError naming the file.
    """
    name = os.fspath(path)
    try:
        data = dumps(design, weights=weights, state=state).encode("utf-8")
    except FileFormatError as exc:
        raise FileFormatError(exc.problems, name) from exc
    try:
        write_atomic(name, data)
    except OSError as exc:
        raise FileFormatError([_os_problem("cannot save", exc)], name) from exc


def _os_problem(what: str, exc: OSError) -> Problem:
    return Problem(f"{what}: {exc.strerror or exc}", path="$")


# ===================================================================== reading
def load_design(path: str | os.PathLike, *, validate: bool = True) -> Design:
    """Read a design file; every way it can be wrong raises FileFormatError naming the file."""
    name = os.fspath(path)
    try:  # only a regular file, at most DESIGN_FILE.limit (1 GiB): never a FIFO or a device
        raw = read_file(name, DESIGN_FILE)
    except UnreadableFile as exc:
        reason = exc.reason if exc.refused else f"cannot read the file: {exc.reason}"
        raise FileFormatError([Problem(reason, path="$")], name) from None
    except MemoryError as exc:
        raise FileFormatError([Problem("the file is too big to read into memory", path="$")],
                              name) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problem = Problem(f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                          f"{exc.start})", path="$")
        raise FileFormatError([problem], name) from exc
    return loads(text, filename=name, validate=validate)


def loads(text: str, filename: str = "", *, validate: bool = True) -> Design:
    """The design in .ncanvas text; raises FileFormatError."""
    with collector_paused():  # a big file becomes millions of objects, none of them garbage
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            problem = Problem(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                              path="$")
            raise FileFormatError([problem], filename) from exc
        except (ValueError, TypeError, RecursionError, MemoryError) as exc:
            raise FileFormatError([Problem(f"not valid JSON: {exc or 'too big'}", path="$")],
                                  filename) from exc
        return design_from_dict(data, filename=filename, validate=validate)


def design_from_dict(data: Any, filename: str = "", *, validate: bool = True) -> Design:
    """The design in parsed file data, upgraded from older versions; raises FileFormatError.

    With validate=True the design's own errors block loading
    too, each at the path of the node or connection concerned; warnings do not.
    """
    data = _upgraded(data, filename)
    problems = comparison_limit_problems(data)  # before anything the size of it is made
    if problems:
        raise FileFormatError(problems, filename)
    problems = _value_problems(data)
    if problems:
        raise FileFormatError(problems, filename)
    try:
        model = DesignFileModel.model_validate(data)
    except ValidationError as exc:
        raise FileFormatError(schema_problems(exc), filename) from None
    problems = _reference_problems(model) + dataset_params_problems(model.dataset)
    design = _build(model, problems)
    if problems:
        raise FileFormatError(problems, filename)
    _resolve_data_path(design, filename)
    if model.comparison is not None:  # checked against the design: its variants' weights fit
        design.comparison = comparison_of(design, model.comparison, problems)
        if problems:
            raise FileFormatError(problems, filename)
    if validate:
        problems = _validation_problems(design, model)
        if problems:
            raise FileFormatError(problems, filename)
    return design


def _value_problems(data: dict) -> list[Problem]:
    """NaN and infinities where a file may not hold them: anywhere but in a history of training,
    the design's own or a compared variant's, where a metric may be NaN (a run that diverged)."""
    histories: list[tuple[Any, Where]] = []
    data = dict(data)
    state = data.get("state")
    if isinstance(state, dict) and "history" in state:
        histories.append((state["history"], ("state", "history")))
        data["state"] = {**state, "history": []}
    section = data.get("comparison")
    if isinstance(section, dict) and isinstance(section.get("variants"), list):
        variants = list(section["variants"])
        for i, v in enumerate(variants):
            if isinstance(v, dict) and "history" in v:
                histories.append((v["history"], ("comparison", "variants", i, "history")))
                variants[i] = {**v, "history": []}
        data["comparison"] = {**section, "variants": variants}
    problems = value_problems(data)
    for history, where in histories:
        problems += value_problems(history, where, allow_nan=True)
    return problems


def _resolve_data_path(design: Design, filename: str) -> None:
    """A data file named relative to the design is found beside it, wherever the app runs."""
    path = design.dataset.params.get("path")
    if filename and isinstance(path, str) and path and not os.path.isabs(path):
        folder = os.path.dirname(os.path.abspath(filename))
        design.dataset = DatasetChoice(design.dataset.name,
                                       {**design.dataset.params, "path": os.path.join(folder, path)},
                                       design.dataset.seed)


def _upgraded(data: Any, filename: str) -> dict:
    """The data at FORMAT_VERSION (a copy when upgraded), after checking the format name and version."""
    def fail(message: str, path: str = "$") -> FileFormatError:
        return FileFormatError([Problem(message, path=path)], filename)

    if not isinstance(data, dict):
        raise fail(f"a design file holds a JSON object, not {json_type(data)}")
    fmt = data.get("format")
    if fmt != FORMAT_NAME:
        found = "it has no format name" if fmt is None else f"its format is {shown(fmt)}"
        raise fail(f"not a Neural Canvas design file ({found}; expected {FORMAT_NAME!r})",
                   "$.format")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise fail(f"the version must be a whole number, not {json_type(version)}", "$.version")
    if version > FORMAT_VERSION:
        raise fail(f"written by a newer version of Neural Canvas (file version {version}, "
                   f"this one reads up to {FORMAT_VERSION})", "$.version")
    if version < 1:
        raise fail(f"there is no file version {version} (versions start at 1)", "$.version")
    if version == FORMAT_VERSION:
        return data  # read only from here on: no copy needed (a big design loads faster)
    try:
        data = copy.deepcopy(data)  # the migrations below may change it in place
    except Exception as exc:  # noqa: BLE001  (not plain JSON data)
        raise fail(f"not plain JSON data ({exc})") from exc
    for step in range(version, FORMAT_VERSION):
        migrate = MIGRATIONS.get(step)
        if migrate is None:
            raise fail(f"no upgrade is known from file version {step} to {step + 1}", "$.version")
        try:
            data = migrate(data)
        except Exception as exc:  # noqa: BLE001  (an old file the migration did not expect)
            _log.debug("migration from file version %d failed", step, exc_info=True)
            raise fail(f"cannot upgrade from file version {step}: {exc}") from exc
        if not isinstance(data, dict):
            raise fail(f"upgrading from file version {step} gave {json_type(data)}")
        data = {**data, "version": step + 1}
    return data


def _reference_problems(model: DesignFileModel) -> list[Problem]:
    """Ids used twice, wires to nodes that do not exist, weights of nodes that do not exist."""
    problems = []
    nodes: dict[str, int] = {}
    for i, node in enumerate(model.nodes):
        if node.id in nodes:
            problems.append(Problem(f"the node id {shown(node.id)} is already used by "
                                    f"{json_path('nodes', nodes[node.id])}",
                                    path=json_path("nodes", i, "id")))
        nodes.setdefault(node.id, i)
    connections: dict[str, int] = {}
    for i, conn in enumerate(model.connections):
        if conn.id in connections:
            problems.append(Problem(f"the connection id {shown(conn.id)} is already used by "
                                    f"{json_path('connections', connections[conn.id])}",
                                    path=json_path("connections", i, "id")))
        elif conn.id in nodes:
            problems.append(Problem(f"the id {shown(conn.id)} is already used by the node at "
                                    f"{json_path('nodes', nodes[conn.id])}",
                                    path=json_path("connections", i, "id")))
        connections.setdefault(conn.id, i)
        for end in ("source", "target"):
            if getattr(conn, end) not in nodes:
                problems.append(Problem(f"there is no node {shown(getattr(conn, end))}",
                                        path=json_path("connections", i, end)))
    for nid in model.weights:
        if nid not in nodes:
            problems.append(Problem(f"weights for node {shown(nid)}, which is not in the design",
                                    path=json_path("weights", nid)))
    return problems


def _build(model: DesignFileModel, problems: list[Problem]) -> Design:
    """The design the checked model describes; array problems are added to `problems`."""
    design = Design()
    for n in model.nodes:
        if n.id not in design.nodes:
            design.insert_node(Node(n.id, n.kind, n.params, (n.position[0], n.position[1]),
                                    n.label))
    for c in model.connections:
        if c.id not in design.connections:
            design.insert_connection(Connection(c.id, c.source, c.target, c.weight))
    design.dataset = DatasetChoice(model.dataset.name, model.dataset.params, model.dataset.seed)
    design.training = TrainingSettings(**model.training.model_dump())
    design.parameters = _decode_blocks(model.weights, ("weights",), problems)
    optimizer = {k: decode_array(a, ("state", "optimizer", k), problems)
                 for k, a in model.state.optimizer.items()}
    if all(a is not None for a in optimizer.values()):
        problems += _state_problems(optimizer)
    design.state = TrainingState(model.state.epoch, model.state.step,
                                 [h.model_dump() for h in model.state.history], optimizer,
                                 model.state.cursor)
    if model.initial_weights is not None:
        iw = model.initial_weights
        snapshot: dict[str, Any] = {}
        if iw.connections is not None:
            snapshot["connections"] = dict(iw.connections)
        if iw.neurons is not None:
            snapshot["neurons"] = {k: v.model_dump(exclude_unset=True)
                                   for k, v in iw.neurons.items()}
        if iw.blocks is not None:
            snapshot["blocks"] = _decode_blocks(iw.blocks, ("initial_weights", "blocks"), problems)
        design.initial_weights = snapshot
    return design


def _decode_blocks(blocks: Mapping[str, Mapping[str, Any]], where: Where,
                   problems: list[Problem]) -> dict[str, dict[str, np.ndarray]]:
    return {nid: {name: decode_array(a, (*where, nid, name), problems)
                  for name, a in arrays.items()}
            for nid, arrays in blocks.items()}


def _validation_problems(design: Design, model: DesignFileModel) -> list[Problem]:
    """The design's own errors (core.compiler.validation), at the paths of the nodes and wires involved."""
    try:
        found = design_problems(design)
    except Exception as exc:  # noqa: BLE001  (a file that trips the checker is still the file's)
        found = exc
    if isinstance(found, Exception):
        _log.debug("validating a loaded design failed", exc_info=found)
        return [Problem(f"the design could not be checked: {found}", path="$")]
    node_index = {n.id: i for i, n in enumerate(model.nodes)}
    conn_index = {c.id: i for i, c in enumerate(model.connections)}
    problems = []
    for p in found:
        if getattr(p, "severity", "error") != "error":
            continue
        # A wire's problem names its end nodes too: the wire is the more precise place.
        path = next((json_path("connections", conn_index[c])
                     for c in p.connection_ids if c in conn_index), None)
        path = path or next((json_path("nodes", node_index[n])
                             for n in p.node_ids if n in node_index), None)
        path = path or (p.path if p.path.startswith("$") else f"$.{p.path}" if p.path else "$")
        problems.append(Problem(p.message, node_ids=tuple(p.node_ids),
                                connection_ids=tuple(p.connection_ids), path=path))
    return problems
