"""The shape of a .ncanvas file: pydantic models, plain JSON values, arrays, paths."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StringConstraints, ValidationError

from core.data.painted import MAX_CLASSES, MAX_POINTS
from core.design.comparison import MAX_VARIANTS, VARIANT_STATES
from core.design.errors import Problem
from core.design.names import MAX_ID, MAX_LABEL, ONE_LINE
from core.files.json_values import Where, json_path, json_type, schema_problems

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
BIGGEST = 2**63 - 1  # a whole number in a file fits in 64 bits
Whole = Annotated[int, Field(ge=-BIGGEST - 1, le=BIGGEST)]
Count = Annotated[int, Field(ge=0, le=BIGGEST)]


Id = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID, pattern=ONE_LINE)]
Name = Id  # a kind's, a setting's or a data set's name: the same rule as an id
Label = Annotated[str, StringConstraints(max_length=MAX_LABEL, pattern=ONE_LINE)]


class _Strict(BaseModel):
    """A part of the file: no unknown keys, no quiet type conversion (an int is a float, though)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


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
