"""The shape of a .ncanvas file: pydantic models, plain JSON values, arrays, paths."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StringConstraints, ValidationError

from core.data.painted import MAX_CLASSES, MAX_POINTS
from core.design.comparison import MAX_VARIANTS, VARIANT_STATES
from core.design.errors import Problem, shown
from core.design.names import MAX_ID, MAX_LABEL, ONE_LINE, escaped, text_problem

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
BIGGEST = 2**63 - 1  # a whole number in a file fits in 64 bits
Whole = Annotated[int, Field(ge=-BIGGEST - 1, le=BIGGEST)]
Count = Annotated[int, Field(ge=0, le=BIGGEST)]


Id = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID, pattern=ONE_LINE)]
Name = Id  # a kind's, a setting's or a data set's name: the same rule as an id
Label = Annotated[str, StringConstraints(max_length=MAX_LABEL, pattern=ONE_LINE)]
_TEXT_ERRORS = ("string_too_long", "string_pattern_mismatch", "string_unicode")
_MAX_DEPTH = 200  # how deeply values may nest in a file, counted from its root
_LINE = 100  # an array or object of plain values is written on one line when it fits
Where = tuple[str | int, ...]


class _Strict(BaseModel):
    """A part of the file: no unknown keys, no quiet type conversion (an int is a float, though)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


WEIGHT_DTYPES = ("float32", "float64")
STATE_DTYPES = ("float32", "float64", "int32", "int64")  # an optimizer keeps its step count


class ArrayModel(_Strict):
    """A weight array: dtype, shape and base64 of its little-endian bytes."""

    dtype: Literal["float32", "float64"]
    shape: list[Count]
    data: str


class NodeModel(_Strict):
    id: Id
    kind: Name
    label: Label = ""
    position: Annotated[list[FiniteFloat], Field(min_length=2, max_length=2)] = [0.0, 0.0]
    params: dict[str, Any] = {}


class ConnectionModel(_Strict):
    id: Id
    source: Id
    target: Id
    weight: FiniteFloat | None = None


class DatasetModel(_Strict):
    name: Name = "circle"
    params: dict[str, Any] = {}
    seed: Count = 0


PointCoordinate = Annotated[float, Strict(), Field(allow_inf_nan=False)]
PointClass = Annotated[int, Strict(), Field(ge=0, lt=MAX_CLASSES)]


class PaintedParamsModel(BaseModel):
    """The painted data set's params (core.data.painted): each point an array [x1, x2, class]."""

    model_config = ConfigDict(extra="forbid", frozen=True)  # lax only to read arrays as tuples

    points: Annotated[list[tuple[PointCoordinate, PointCoordinate, PointClass]], Strict(),
                      Field(max_length=MAX_POINTS)] = []
    classes: Annotated[int, Strict(), Field(ge=2, le=MAX_CLASSES)] = 2


DATASET_PARAMS: dict[str, type[BaseModel]] = {"painted": PaintedParamsModel}
_POINT_SHAPE = ("tuple_type", "too_long", "too_short")


def _point_problem(item: Any, problem: Problem, where: Where) -> Problem:
    """A painted point that is not three values is said so, at the point's own path."""
    loc = item["loc"]
    if loc[:1] != ("points",) or len(loc) < 2 or not (
            item["type"] == "missing" or (len(loc) == 2 and item["type"] in _POINT_SHAPE)):
        return problem
    found = "fewer values" if item["type"] == "missing" else json_type(item.get("input"))
    if isinstance(item.get("input"), list):
        found = f"{len(item['input'])} values"
    return Problem(f"a point is an array of three values [x1, x2, class] (found {found})",
                   path=json_path(*where, *loc[:2]))


def dataset_params_problems(dataset: DatasetModel) -> list[Problem]:
    """Problems with the params of a data set whose params have a schema, at their JSON paths.

    A painted point of a class beyond the set's number of classes is named here too.
    """
    schema = DATASET_PARAMS.get(dataset.name)
    if schema is None:
        return []
    where = ("dataset", "params")
    try:
        params = schema.model_validate(dataset.params)
    except ValidationError as exc:
        return [_point_problem(item, problem, where)
                for item, problem in zip(exc.errors(), schema_problems(exc, where), strict=True)]
    if not isinstance(params, PaintedParamsModel):
        return []
    return [Problem(f"class {p[2]} is beyond the {params.classes} classes (0 to "
                    f"{params.classes - 1}) of this data set",
                    path=json_path(*where, "points", i, 2))
            for i, p in enumerate(params.points) if p[2] >= params.classes]


class TrainingModel(_Strict):
    """Every field of core.design.design.TrainingSettings, with its default."""

    loss: Name = "softmax_cross_entropy"
    optimizer: Name = "sgd"
    optimizer_params: dict[Name, Any] = {}
    learning_rate: FiniteFloat = 0.03
    schedule: Name = "constant"
    schedule_params: dict[Name, Any] = {}
    batch_size: Whole = 10
    epochs: Whole = 100
    l1: FiniteFloat = 0.0
    l2: FiniteFloat = 0.0
    clip_norm: FiniteFloat = 0.0
    test_fraction: FiniteFloat = 0.5
    seed: Whole = 0
    target_loss: FiniteFloat | None = None
    target_accuracy: FiniteFloat | None = None
    early_stopping_patience: Whole = 0
    dtype: Name = "float32"


class StateArrayModel(ArrayModel):
    """An array of optimizer state, which may also be a whole-number counter."""

    dtype: Literal["float32", "float64", "int32", "int64"]


class NeuronWeightsModel(_Strict):
    """A neuron's weights in a snapshot: its bias and its learned activation settings."""

    bias: FiniteFloat | None = None
    activation_params: dict[Name, FiniteFloat] = {}


class InitialWeightsModel(_Strict):
    """What Design.snapshot_weights() returns, with block arrays encoded."""

    connections: dict[Id, FiniteFloat | None] | None = None
    neurons: dict[Id, NeuronWeightsModel] | None = None
    blocks: dict[Id, dict[Name, ArrayModel]] | None = None


Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class HistoryEntryModel(_Strict):
    """One epoch of the training history: every field of core.training.trainer.EpochMetrics.

    A loss or R² may be NaN or infinite (a run that diverged); the rest are finite."""

    epoch: Count
    train_loss: float
    test_loss: float | None = None
    train_accuracy: Fraction | None = None
    test_accuracy: Fraction | None = None
    train_r2: float | None = None
    test_r2: float | None = None
    learning_rate: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] = 0.0


class StateModel(_Strict):
    epoch: Count = 0
    step: Count = 0
    cursor: Count = 0
    history: list[HistoryEntryModel] = []
    optimizer: dict[Name, StateArrayModel] = {}


class FlatWeightsModel(ArrayModel):
    """A variant's weights: one flat array."""

    shape: Annotated[list[Count], Field(min_length=1, max_length=1)]


MAX_AXES = 32  # labels of a compared variant: one per axis of the Compare dialog
MAX_REASON = 2000  # characters in why a variant stopped


def _scalar(value: Any) -> Any:
    if value is not None and not isinstance(value, str | int | float | bool):
        raise ValueError(f"a variant's value is text, a number, true, false or null, not "
                         f"{json_type(value)}")
    return value


def _reason(text: str) -> str:
    if len(text) > MAX_REASON:
        raise ValueError(f"why a variant stopped is at most {MAX_REASON} characters (this one "
                         f"has {len(text)})")
    return text


Scalar = Annotated[Any, AfterValidator(_scalar)]  # one type: a union would name each of its own


class ComparedVariantModel(_Strict):
    """One variant of a comparison (core.design.comparison.ComparedVariant)."""

    labels: Annotated[dict[Label, Scalar], Field(max_length=MAX_AXES)] = {}
    changes: dict[Name, Any] = {}
    state: Literal[VARIANT_STATES] = "waiting"  # type: ignore[valid-type]
    reason: Annotated[str, AfterValidator(_reason)] = ""
    epoch: Count = 0
    step: Count = 0
    history: list[HistoryEntryModel] = []
    weights: FlatWeightsModel | None = None


class ComparisonModel(_Strict):
    """A comparison kept with the design (core.design.comparison.Comparison)."""

    epochs: Annotated[int, Field(ge=1, le=BIGGEST)]
    base: Annotated[str, Field(pattern=r"^[0-9a-f]{0,64}$")] = ""  # Comparison.base
    variants: Annotated[list[ComparedVariantModel], Field(min_length=1, max_length=MAX_VARIANTS)]


class DesignFileModel(_Strict):
    """A whole design file."""

    format: str
    version: int
    nodes: list[NodeModel]
    connections: list[ConnectionModel]
    dataset: DatasetModel = DatasetModel()
    training: TrainingModel = TrainingModel()
    weights: dict[Id, dict[Name, ArrayModel]] = {}
    initial_weights: InitialWeightsModel | None = None
    state: StateModel = StateModel()
    comparison: ComparisonModel | None = None


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


def decode_array(model: ArrayModel, where: Where,
                 problems: list[Problem]) -> np.ndarray | None:
    """The array a file holds, bit-exact; a problem (and None) where it cannot be."""
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
