"""Plain JSON values of a file: paths to them ($.nodes[2].position), the problems of a value
(a type, NaN, nesting too deep) and of a pydantic error at its path, rendering, and arrays as
base64 text."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import ValidationError

from core.design.errors import Problem, shown
from core.design.names import MAX_ID, MAX_LABEL, escaped, text_problem

_TEXT_ERRORS = ("string_too_long", "string_pattern_mismatch", "string_unicode")
_MAX_DEPTH = 200  # how deeply values may nest in a file, counted from its root
_LINE = 100  # an array or object of plain values is written on one line when it fits
Where = tuple[str | int, ...]
WEIGHT_DTYPES = ("float32", "float64")


# --------------------------------------------------------------------- JSON paths
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def json_path(*parts: str | int) -> str:
    """`$.nodes[2].position` from ("nodes", 2, "position"); odd keys are quoted: `$["a b"]`."""
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _NAME.fullmatch(part):
            text += f".{part}"
        else:  # quoted as JSON, a line break or control escaped (json leaves \u2028 as it is)
            text += f"[{escaped(json.dumps(part, ensure_ascii=False))}]"
    return text


def json_type(value: Any) -> str:
    """What a parsed JSON value is, in JSON's own words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def schema_problems(error: ValidationError, prefix: Where = ()) -> list[Problem]:
    """One problem per pydantic error, at the JSON path of the bad value."""
    problems = []
    for item in error.errors():
        message = item["msg"]
        loc = tuple(p for p in item["loc"] if isinstance(p, int | str) and p != "[key]")
        if item["type"] in _TEXT_ERRORS and isinstance(item.get("input"), str):
            label = bool(loc) and loc[-1] == "label"
            message = text_problem(item["input"], "a label" if label else "an id or a name",
                                   MAX_LABEL if label else MAX_ID) or message
        elif item["type"] not in ("missing", "extra_forbidden") and "input" in item:
            message += f" (found {json_type(item['input'])})"
        problems.append(Problem(message, path=json_path(*prefix, *loc)))
    return problems


def value_problems(value: Any, prefix: Where = (), allow_nan: bool = False) -> list[Problem]:
    """A problem for every NaN or infinity in parsed JSON, and for nesting a file cannot hold.

    Depth first, in the order of the data; a path is made only for each object and list (a big
    file holds hundreds of thousands of numbers)."""
    problems: list[Problem] = []

    def bad(item: Any) -> bool:
        return isinstance(item, float) and not (allow_nan or math.isfinite(item))

    def entries(item: Any):
        return iter(item.items()) if isinstance(item, dict) else enumerate(item)

    if bad(value):
        problems.append(Problem(f"{value} is not a finite number", path=json_path(*prefix)))
    if not isinstance(value, dict | list):
        return problems
    if len(prefix) > _MAX_DEPTH:
        return [Problem("nested too deeply", path=json_path(*prefix))]
    stack = [(entries(value), prefix)]
    while stack:
        children, where = stack[-1]
        for key, item in children:
            if isinstance(item, dict | list):
                here = (*where, key)
                if len(here) > _MAX_DEPTH:
                    problems.append(Problem("nested too deeply", path=json_path(*here)))
                else:
                    stack.append((entries(item), here))
                    break
            elif bad(item):
                problems.append(Problem(f"{item} is not a finite number", path=json_path(*where, key)))
        else:
            stack.pop()
    return problems


# --------------------------------------------------------------------- writing
def plain_json(value: Any, where: Where, problems: list[Problem], allow_nan: bool = False) -> Any:
    """`value` as plain JSON data; a problem at its path for anything a file cannot hold."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not (allow_nan or math.isfinite(value)):
            problems.append(Problem(f"{value} is not a finite number", path=json_path(*where)))
        return float(value)
    if len(where) > _MAX_DEPTH:
        problems.append(Problem("nested too deeply", path=json_path(*where)))
        return None
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(Problem(f"the key {shown(key)} is not a string",
                                        path=json_path(*where)))
                continue
            out[key] = plain_json(item, (*where, key), problems, allow_nan)
        return out
    if isinstance(value, list | tuple):
        return [plain_json(item, (*where, i), problems, allow_nan)
                for i, item in enumerate(value)]
    problems.append(Problem(f"a {type(value).__name__} cannot be written to a design file",
                            path=json_path(*where)))
    return None


def render_json(value: Any, level: int = 0, ascii_only: bool = False) -> str:
    """JSON with two-space indents; an array or object of plain values on one line if it fits."""
    if not isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=ascii_only)
    if isinstance(value, dict):
        start, end = "{}"
        pairs = [(json.dumps(k, ensure_ascii=ascii_only) + ": ", v) for k, v in value.items()]
    else:
        start, end = "[]"
        pairs = [("", v) for v in value]
    if all(not isinstance(v, dict | list) or not v for _, v in pairs):
        flat = start + ", ".join(h + render_json(v, 0, ascii_only) for h, v in pairs) + end
        if 2 * (level + 1) + len(flat) <= _LINE:
            return flat
    inner = "  " * (level + 1)
    body = ",\n".join(inner + h + render_json(v, level + 1, ascii_only) for h, v in pairs)
    return f"{start}\n{body}\n{'  ' * level}{end}"


# --------------------------------------------------------------------- arrays
def encode_array(value: Any, where: Where, problems: list[Problem],
                 dtypes: tuple[str, ...] = WEIGHT_DTYPES) -> dict | None:
    """The file form of an array of one of `dtypes`; a problem (and None) for anything else."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # noqa: BLE001  (a cupy array, a ragged list, …)
        problems.append(Problem(f"not an array ({exc})", path=json_path(*where)))
        return None
    name = {"f": "float", "i": "int"}.get(arr.dtype.kind, "?") + str(arr.dtype.itemsize * 8)
    if name not in dtypes:
        problems.append(Problem(f"arrays of {arr.dtype} cannot be saved here (only "
                                f"{', '.join(dtypes)})", path=json_path(*where)))
        return None
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        problems.append(Problem("the array holds NaN or infinity", path=json_path(*where)))
        return None
    little = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
    return {
        "dtype": name,
        "shape": list(arr.shape),
        "data": base64.b64encode(little.tobytes()).decode("ascii"),
    }


def decode_array(model: Any, where: Where,
                 problems: list[Problem]) -> np.ndarray | None:
    """The array a file holds (a core.files.schema.ArrayModel), bit-exact; a problem (and None)
    where it cannot be."""
    path = json_path(*where)
    dtype = np.dtype(model.dtype).newbyteorder("<")
    try:
        raw = base64.b64decode(model.data, validate=True)
    except (binascii.Error, ValueError) as exc:
        problems.append(Problem(f"the data is not valid base64 ({exc})", path=path + ".data"))
        return None
    expected = math.prod(model.shape) * dtype.itemsize
    if len(raw) != expected:
        problems.append(Problem(
            f"the data holds {len(raw)} bytes, but shape {model.shape} of {model.dtype} "
            f"needs {expected}", path=path + ".data"))
        return None
    try:
        arr = np.frombuffer(raw, dtype=dtype).reshape(model.shape).astype(model.dtype)
    except Exception as exc:  # noqa: BLE001  (too many dimensions, a dimension too large)
        problems.append(Problem(f"the shape cannot be used ({exc})", path=path + ".shape"))
        return None
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        problems.append(Problem("the array holds NaN or infinity", path=path + ".data"))
        return None
    return arr
