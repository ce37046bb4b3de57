"""Built-in data sets (the playground's 2-D sets, digits, cricket) and CSV import, by string id."""

from __future__ import annotations

import gzip
import itertools
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files

import numpy as np

from core.data.csv_import import TASKS, read_table
from core.data.csv_source import refuse_unsafe_file
from core.data.painted import check_painted, painted_arrays
from core.design import registry
from core.design.errors import DataError
from core.design.errors import shown as quoted

XY = ("x1", "x2")
DIGITS_FILE = "digits.csv.gz"  # package data beside this module


@dataclass(frozen=True, eq=False)
class Dataset:
    """Samples X with targets y and the names that go with them; arrays are host NumPy."""

    name: str
    X: np.ndarray  # (n, d) float64; float32 from a CSV file (or the dtype it was read in)
    y: np.ndarray  # classification: (n,) int64 in 0..k-1; regression: (n, m) like X
    feature_names: tuple[str, ...]
    task: str  # "classification" or "regression"
    num_classes: int  # 0 for regression
    class_names: tuple[str, ...] = ()
    target_names: tuple[str, ...] = ()
    image_shape: tuple[int, ...] | None = None  # (H, W, C) when each row is an image
    # the class of each sample when the targets are not classes (data as its own target): for
    # colouring, never for training; class_names name them
    labels: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task {self.task!r} is not one of {TASKS}")
        if self.X.ndim != 2 or len(self.y) != len(self.X):
            raise ValueError(f"X {self.X.shape} and y {self.y.shape} do not match")
        if len(self.feature_names) != self.X.shape[1]:
            raise ValueError(f"{len(self.feature_names)} feature names for {self.X.shape[1]}")
        if self.y.ndim != (1 if self.task == "classification" else 2):
            raise ValueError(f"y of shape {self.y.shape} does not suit {self.task}")

    @property
    def num_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def num_features(self) -> int:
        return int(self.X.shape[1])


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a data set generator: its type, default and allowed values."""

    name: str
    default: object
    kind: str  # "int" | "float" | "str" | "bool" | "list"
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    description: str = ""


TARGET = ParamSpec("target", "labels", "str", choices=("labels", "inputs"),
                   description="what the network learns to give: the labels, or the inputs "
                               "themselves (an autoencoder)")


@dataclass(frozen=True)
class DatasetSpec:
    """A registered data set: how to describe it, its parameters, and how to make it."""

    id: str
    label: str
    description: str
    task: str
    params: tuple[ParamSpec, ...]
    make: Callable[[dict, np.random.Generator], Dataset]
    # extra checks on the full parameter dict that no single ParamSpec can express
    check: Callable[[dict], list[str]] | None = None
    # make(params, rng, dtype) reads numbers from a file into arrays of that dtype
    reads_numbers: bool = False


_SPECS: dict[str, DatasetSpec] = {}

_KIND_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "str": "text",
    "bool": "true or false",
    "list": "a list",
}


def _num(bound: float | None) -> str:
    return "…" if bound is None else f"{bound:g}"


def _coerce(kind: str, value: object) -> tuple[bool, object]:
    """(whether value has the kind, the value in that kind's Python type)."""
    if isinstance(value, bool | np.bool_):
        return kind == "bool", bool(value)
    if kind == "int":
        if isinstance(value, int | np.integer):
            return True, int(value)
        if isinstance(value, float | np.floating) and float(value).is_integer():
            return True, int(value)
        return False, value
    if kind == "float":
        ok = isinstance(value, int | float | np.integer | np.floating)
        return (ok and math.isfinite(value)), (float(value) if ok else value)
    if kind == "str":
        return isinstance(value, str), value
    if kind == "list":
        ok = isinstance(value, list | tuple)
        return ok, (list(value) if ok else value)
    return False, value


def _checked(name: str, params: Mapping | None) -> tuple[dict, list[str]]:
    """Defaults filled in and values coerced, with every problem found."""
    registry.load_all()  # data sets registered outside this module (core/data/sequences.py)
    spec = _SPECS.get(name)
    if spec is None:
        known = ", ".join(sorted(_SPECS))
        return {}, [f"unknown data set {quoted(name)} (known: {known})"]
    given = dict(params or {})
    by_name = {p.name: p for p in spec.params}
    problems = []
    for key in given:
        if key not in by_name:
            known = ", ".join(by_name) or "none"
            problems.append(f"data set {name!r}: unknown parameter {quoted(key)} (known: {known})")
    resolved = {}
    for p in spec.params:
        ok, value = _coerce(p.kind, given.get(p.name, p.default))
        shown = value.item() if isinstance(value, np.generic) else value
        where = f"data set {name!r}: parameter {p.name!r} = {quoted(shown)}"
        if not ok:
            problems.append(f"{where} is not {_KIND_WORDS.get(p.kind, p.kind)}")
        elif p.choices and value not in p.choices:
            allowed = ", ".join(repr(c) for c in p.choices)
            problems.append(f"{where} is not one of {allowed}")
        elif p.kind in ("int", "float") and (
            (p.low is not None and value < p.low) or (p.high is not None and value > p.high)
        ):
            problems.append(f"{where} is out of range [{_num(p.low)}, {_num(p.high)}]")
        resolved[p.name] = value
    if not problems and spec.check is not None:
        problems.extend(spec.check(resolved))
    return resolved, problems


def dataset_problems(name: str, params: Mapping | None) -> list[str]:
    """Every problem with this choice of data set and parameters, without generating data."""
    return _checked(name, params)[1]


def resolve_params(name: str, params: Mapping | None) -> dict:
    """The full parameter dict with defaults filled in; DataError listing every problem."""
    resolved, problems = _checked(name, params)
    if problems:
        raise DataError("; ".join(problems))
    return resolved


def load_dataset(name: str, params: Mapping | None = None, seed: int = 0,
                 dtype: str = "float32") -> Dataset:
    """Validate, then generate or read the data set; the same seed gives identical arrays.
    A data set read from a file holds its numbers in `dtype` (float32 or float64)."""
    resolved = resolve_params(name, params)
    spec, rng = _SPECS[name], np.random.default_rng(seed)
    data = spec.make(resolved, rng, dtype) if spec.reads_numbers else spec.make(resolved, rng)
    return as_own_target(data) if resolved.get("target") == "inputs" else data


def refuse_unsafe_data(name: str, params: Mapping | None) -> None:
    """DataFileRefused when the data set would read a file that is never read (a FIFO, a
    device, a file too large); nothing is read. A missing file passes: validation says so."""
    spec = _SPECS.get(name)
    path = (params or {}).get("path")
    if spec is not None and spec.reads_numbers and isinstance(path, str) and path.strip():
        refuse_unsafe_file(path)


def as_own_target(data: Dataset) -> Dataset:
    """The data set with its inputs as the targets (what an autoencoder learns to give back): a
    regression with one target per feature; the classes, if any, are kept to colour by."""
    classes = data.task == "classification"
    return Dataset(data.name, data.X, data.X.copy(), data.feature_names, "regression", 0,
                   data.class_names if classes else (), target_names=data.feature_names,
                   image_shape=data.image_shape, labels=data.y.copy() if classes else data.labels)


def train_test_split(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train rows, test rows) of a seeded permutation of range(n); test gets round(n * fraction).

    With a fraction above 0 and n > 1 each side keeps at least one row.
    """
    if n < 0:
        raise DataError(f"cannot split {n} samples")
    if not 0.0 <= test_fraction < 1.0:
        raise DataError(f"test fraction {test_fraction} is out of range [0, 1)")
    n_test = round(n * test_fraction)
    if test_fraction > 0 and n > 1:
        n_test = min(max(n_test, 1), n - 1)
    order = np.random.default_rng(seed).permutation(n).astype(np.int64)
    return order[n_test:], order[:n_test]


def read_csv(
    path: str | os.PathLike,
    label: str,
    features: Sequence[str] | None = None,
    task: str = "classification",
    dtype: str = "float32",
) -> Dataset:
    """A data set from a CSV file with a header row, its numbers in `dtype`; DataError names
    the file, line and column of every problem."""
    table = read_table(path, label, features, task, dtype)
    return Dataset(
        name=os.path.basename(os.fspath(path)),
        X=table.X,
        y=table.y,
        feature_names=table.feature_names,
        task=task,
        num_classes=len(table.class_names),
        class_names=table.class_names,
        target_names=table.target_names,
    )


# ---- generators: the 2-D ones follow the TensorFlow Playground's dataset.ts ----------------


def _counts(n: int, k: int) -> np.ndarray:
    """n split into k near-equal class sizes."""
    return np.array([n // k + (1 if j < n % k else 0) for j in range(k)])


def _classes(name: str, X: np.ndarray, labels: np.ndarray, names, rng) -> Dataset:
    order = rng.permutation(len(X))
    y = labels[order].astype(np.int64)
    return Dataset(name, X[order], y, XY, "classification", len(names), tuple(names))


def _regression(name: str, X: np.ndarray, target: np.ndarray) -> Dataset:
    return Dataset(name, X, target.reshape(-1, 1), XY, "regression", 0, target_names=("y",))


def _numbered(k: int) -> tuple[str, ...]:
    return tuple(str(j) for j in range(k))


def _make_circle(p: dict, rng: np.random.Generator) -> Dataset:
    """One class inside a ring, the other around it."""
    n, noise, radius = p["n"], p["noise"], 5.0
    n_out, n_in = _counts(n, 2)
    r = np.concatenate([rng.uniform(radius * 0.7, radius, n_out), rng.uniform(0, radius / 2, n_in)])
    angle = rng.uniform(0, 2 * np.pi, n)
    X = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    jittered = X + rng.uniform(-radius, radius, (n, 2)) * noise  # noise moves only the label
    labels = np.hypot(jittered[:, 0], jittered[:, 1]) < radius / 2
    return _classes("circle", X, labels, ("outside", "inside"), rng)


def _make_xor(p: dict, rng: np.random.Generator) -> Dataset:
    """Points in same-sign quadrants against points in opposite-sign ones."""
    n, noise = p["n"], p["noise"]
    X = rng.uniform(-5, 5, (n, 2))
    X += np.where(X > 0, 0.3, -0.3)  # padding away from the axes
    jittered = X + rng.uniform(-5, 5, (n, 2)) * noise
    labels = jittered[:, 0] * jittered[:, 1] >= 0
    return _classes("xor", X, labels, ("opposite signs", "same sign"), rng)


def _make_gaussian(p: dict, rng: np.random.Generator) -> Dataset:
    """Round clusters of points, one per class."""
    n, noise, k = p["n"], p["noise"], p["classes"]
    std = math.sqrt(0.5 + 3.5 * noise / 0.5)  # the playground's variance runs 0.5 .. 4
    radius = 2 * math.sqrt(2) if k == 2 else 4.0  # two classes: blobs at (-2, -2) and (2, 2)
    angles = 1.25 * np.pi + 2 * np.pi * np.arange(k) / k
    labels = np.repeat(np.arange(k), _counts(n, k))
    centres = radius * np.column_stack([np.cos(angles), np.sin(angles)])
    X = centres[labels] + rng.normal(0.0, std, (n, 2))
    return _classes("gaussian", X, labels, _numbered(k), rng)


def _make_spiral(p: dict, rng: np.random.Generator) -> Dataset:
    """Spiral arms wound round each other, one per class."""
    n, noise, k = p["n"], p["noise"], p["classes"]
    counts = _counts(n, k)
    labels = np.repeat(np.arange(k), counts)
    along = np.concatenate([np.arange(c) / c for c in counts])  # 0 .. 1 along each arm
    r = along * 5
    t = 1.75 * along * 2 * np.pi + 2 * np.pi * labels / k
    X = np.column_stack([r * np.sin(t), r * np.cos(t)]) + rng.uniform(-1, 1, (n, 2)) * noise
    return _classes("spiral", X, labels, _numbered(k), rng)


def _make_moons(p: dict, rng: np.random.Generator) -> Dataset:
    """Two half circles that hook into each other."""
    n, noise, scale = p["n"], p["noise"], 4.0
    labels = np.repeat(np.arange(2), _counts(n, 2))
    t = rng.uniform(0, np.pi, n)
    upper = np.column_stack([np.cos(t), np.sin(t)])
    lower = np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)])
    X = np.where(labels[:, None] == 0, upper, lower)
    X = (X - [0.5, 0.25]) * scale  # x in [-6, 6], y in [-3, 3]
    X += rng.normal(0.0, noise * scale, (n, 2))
    return _classes("moons", X, labels, _numbered(2), rng)


def _make_plane(p: dict, rng: np.random.Generator) -> Dataset:
    """A value that rises steadily from one corner to the other."""
    n, noise = p["n"], p["noise"]
    X = rng.uniform(-6, 6, (n, 2))
    jittered = X + rng.uniform(-6, 6, (n, 2)) * noise
    target = np.clip(jittered.sum(axis=1) / 10, -1.0, 1.0)  # playground scale, kept in [-1, 1]
    return _regression("plane", X, target)


def _make_painted(p: dict, rng: np.random.Generator) -> Dataset:
    """Your own points on the plane: click to add one of the chosen class, drag to erase."""
    X, y, _ = painted_arrays(p["points"])
    k = p["classes"]
    return Dataset("painted", X, y, XY, "classification", k, _numbered(k))


_GAUSSIANS = np.array(
    [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]]
)


def _make_multi_gaussian(p: dict, rng: np.random.Generator) -> Dataset:
    """A value with six bumps, alternately up and down."""
    n, noise = p["n"], p["noise"]
    X = rng.uniform(-6, 6, (n, 2))
    jittered = X + rng.uniform(-6, 6, (n, 2)) * noise
    dist = np.hypot(
        jittered[:, None, 0] - _GAUSSIANS[:, 0], jittered[:, None, 1] - _GAUSSIANS[:, 1]
    )
    values = _GAUSSIANS[:, 2] * np.clip(1 - dist / 2, 0.0, 1.0)  # (n, 6)
    strongest = np.argmax(np.abs(values), axis=1)  # the bump largest in absolute value
    target = values[np.arange(n), strongest] + 0.0
    return _regression("multi_gaussian", X, target)


def _digits_table() -> np.ndarray:
    """The 8×8 digits shipped with this package (digits.csv.gz, from scikit-learn; see
    digits.LICENSE): 1797 rows of 64 pixel counts and the digit."""
    with (files(__package__) / DIGITS_FILE).open("rb") as raw, gzip.open(raw, "rt") as text:
        return np.loadtxt(text, delimiter=",", dtype=np.float64)


def _make_digits(p: dict, rng: np.random.Generator) -> Dataset:
    """1797 handwritten digits, 8 by 8 pixels, to tell apart 0 to 9."""
    table = _digits_table()
    X = table[:, :64] / 16.0
    names = tuple(f"p{i}" for i in range(64))
    y = table[:, 64].astype(np.int64)
    return Dataset("digits", X, y, names, "classification", 10, _numbered(10), (), (8, 8, 1))


CRICKET_WEIGHTS = (4, 2, 2, 1)
CRICKET_THRESHOLD = 25


def _make_cricket(p: dict, rng: np.random.Generator) -> Dataset:
    """Whether to go to the cricket, from four scores of 0 to 4."""
    X = np.array(list(itertools.product(range(5), repeat=4)), dtype=np.float64)
    y = (X @ np.array(CRICKET_WEIGHTS, dtype=np.float64) >= CRICKET_THRESHOLD).astype(np.int64)
    names = ("weather", "music", "company", "money")
    return Dataset("cricket", X, y, names, "classification", 2, ("stay", "go"))


def _make_csv(p: dict, rng: np.random.Generator, dtype: str = "float32") -> Dataset:
    """Your own table of numbers, read from a comma-separated file."""
    features = [f.strip() for f in p["features"].split(",") if f.strip()] or None
    return read_csv(p["path"], p["label"], features, p["task"], dtype)


def _check_csv(p: dict) -> list[str]:
    return [
        f"data set 'csv': parameter {key!r} is empty; {what}"
        for key, what in (("path", "choose a file"), ("label", "name the label column"))
        if not p[key].strip()
    ]


# ---- registration ----------------------------------------------------------------------------

N = ParamSpec("n", 500, "int", 10, 5000, description="number of samples")
NOISE = ParamSpec("noise", 0.0, "float", 0.0, 0.5, description="how much the samples are blurred")
CLASSES = ParamSpec("classes", 2, "int", 2, 8, description="number of classes")
POINTS = ParamSpec("points", (), "list", description="[x1, x2, class] of each painted point")


def register_dataset(
    id: str, label: str, task: str, params: tuple, make: Callable, check: Callable | None = None,
    reads_numbers: bool = False,
) -> None:
    """Add a data set under `id`; the make function's docstring is its one-sentence description.
    Each takes the parameter "target" too: its labels, or its own inputs (for an autoencoder)."""
    params = (*params, TARGET)
    spec = DatasetSpec(id, label, " ".join(make.__doc__.split()), task, params, make, check,
                       reads_numbers)
    _SPECS[id] = spec
    registry.datasets.register(id)(spec)


CSV_PARAMS = (
    ParamSpec("path", "", "str", description="the CSV file"),
    ParamSpec("label", "", "str", description="the column to predict"),
    ParamSpec("features", "", "str", description="input columns, comma-separated; empty: all"),
    ParamSpec("task", "classification", "str", choices=TASKS, description="class or number"),
)

register_dataset("circle", "Circle", "classification", (N, NOISE), _make_circle)
register_dataset("xor", "Exclusive or", "classification", (N, NOISE), _make_xor)
register_dataset("gaussian", "Gaussian", "classification", (N, NOISE, CLASSES), _make_gaussian)
register_dataset("spiral", "Spiral", "classification", (N, NOISE, CLASSES), _make_spiral)
register_dataset("moons", "Moons", "classification", (N, NOISE), _make_moons)
register_dataset("plane", "Plane", "regression", (N, NOISE), _make_plane)
register_dataset("multi_gaussian", "Multiple Gaussians", "regression", (N, NOISE), _make_multi_gaussian)
register_dataset("painted", "Painted", "classification", (POINTS, CLASSES), _make_painted, check_painted)
register_dataset("digits", "Digits", "classification", (), _make_digits)
register_dataset("cricket", "Cricket", "classification", (), _make_cricket)
register_dataset("csv", "CSV file", "classification", CSV_PARAMS, _make_csv, _check_csv, reads_numbers=True)
