"""The .ncanvas design file: JSON text, format version, migrations, atomic save, error paths."""

from __future__ import annotations

import copy
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from pydantic import ValidationError

from core.design.atomic import write_atomic
from core.design.bulk import collector_paused
from core.design.design import DatasetChoice, Design, Node, TrainingSettings
from core.design.errors import FileFormatError, Problem, shown
from core.design.names import MAX_ID, MAX_LABEL, text_problem
from core.design.safe_files import DESIGN_FILE, UnreadableFile, read_file
from core.files.comparison import comparison_limit_problems, comparison_of, comparison_raw
from core.files.json_values import (
    Where,
    encode_array,
    json_path,
    json_type,
    plain_json,
    render_json,
    schema_problems,
    value_problems,
)
from core.files.migrations import MIGRATIONS
from core.files.reading import build_design, reference_problems, state_file_problems, validation_problems
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
        problems += state_file_problems(design.state.optimizer_state)
    problems += comparison_limit_problems(out)
    return problems


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
    problems = reference_problems(model) + dataset_params_problems(model.dataset)
    design = build_design(model, problems)
    if problems:
        raise FileFormatError(problems, filename)
    _resolve_data_path(design, filename)
    if model.comparison is not None:  # checked against the design: its variants' weights fit
        design.comparison = comparison_of(design, model.comparison, problems)
        if problems:
            raise FileFormatError(problems, filename)
    if validate:
        problems = validation_problems(design, model)
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


__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "design_from_dict", "design_to_dict", "dumps",
           "load_design", "loads", "save_design"]
