"""Reading a CSV file into feature and target arrays, naming the line and column of each problem."""

from __future__ import annotations

import csv
import math
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import DataError

TASKS = ("classification", "regression")
MAX_REPORTED = 20  # problems listed in one message; the rest are counted


@dataclass(frozen=True, eq=False)
class CsvTable:
    """The arrays and names read from one CSV file, before they become a Dataset."""

    X: np.ndarray  # (n, d) float64
    y: np.ndarray  # classification: (n,) int64; regression: (n, 1) float64
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]  # classification only, in class-index order
    target_names: tuple[str, ...]  # regression only


class _Problems:
    """Collects problems and raises them together as one DataError."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        self.messages.append(message)

    def raise_if_any(self) -> None:
        if not self.messages:
            return
        shown = self.messages[:MAX_REPORTED]
        extra = len(self.messages) - len(shown)
        text = "; ".join(shown)
        if extra:
            text += f"; … and {extra} more problem{'s' if extra > 1 else ''}"
        raise DataError(text)


def iter_rows(path: str | os.PathLike):
    """(line number, cells) of each non-blank row of the file, the header (line 1) first;
    DataError names the file (and the line) when it cannot be read."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            try:
                for row in reader:
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue  # a blank line
                    yield reader.line_num, row
            except csv.Error as exc:
                raise DataError(f"{path.name}, line {reader.line_num}: {exc}") from None
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, not a CSV file") from None
    except UnicodeDecodeError:
        raise DataError(f"{path.name}: is not UTF-8 text") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror})") from None


def _read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """Every non-blank row of the file with its line number (the header is line 1)."""
    return list(iter_rows(path))


PREVIEW_ROWS = 8  # rows of the file a preview shows
SAMPLED_ROWS = 2000  # rows looked at to guess whether the label is a class or a number
FEW_CLASSES = 10  # a label of at most this many whole numbers is taken for a class


@dataclass(frozen=True)
class Preview:
    """What a person sees of a file before choosing its columns."""

    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (line number, cells) of the first rows
    count: int  # data rows in the file
    sampled: tuple[tuple[str, ...], ...]  # the first SAMPLED_ROWS rows, to guess the task from


def read_preview(path: str | os.PathLike) -> Preview:
    """The header and first rows of a CSV file; DataError when it cannot be read at all."""
    header: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[str, ...]]] = []
    sampled: list[tuple[str, ...]] = []
    count = 0
    for line, row in iter_rows(path):
        cells = tuple(cell.strip() for cell in row)
        if header is None:
            header = cells
            continue
        count += 1
        if len(rows) < PREVIEW_ROWS:
            rows.append((line, cells))
        if len(sampled) < SAMPLED_ROWS:
            sampled.append(cells)
    if header is None:
        raise DataError(f"{Path(path).name}: the file is empty; it needs a header row and data rows")
    return Preview(header, tuple(rows), count, tuple(sampled))


def guess_task(preview: Preview, label: str) -> str:
    """Classification for words or a few whole numbers in the label column, regression else."""
    if label not in preview.header:
        return "classification"
    column = preview.header.index(label)
    values = [row[column] for row in preview.sampled if column < len(row) and row[column]]
    try:
        numbers = [float(v) for v in values]
    except ValueError:
        return "classification"
    whole = all(n.is_integer() for n in numbers)
    return "classification" if whole and len(set(numbers)) <= FEW_CLASSES else "regression"


def _number(text: str, where: str, problems: _Problems) -> float:
    """The cell as a finite float, or NaN after recording why it is not one."""
    if not text:
        problems.add(f"{where}: missing value")
        return math.nan
    try:
        value = float(text)
    except ValueError:
        problems.add(f"{where}: {text!r} is not a number")
        return math.nan
    if not math.isfinite(value):
        problems.add(f"{where}: {text!r} is not a finite number")
    return value


def _choose_columns(
    fname: str, header: list[str], label: str, features: Sequence[str] | None, problems: _Problems
) -> list[str]:
    available = ", ".join(repr(h) for h in header)
    duplicates = sorted(name for name, count in Counter(header).items() if count > 1)
    for name in duplicates:
        problems.add(f"{fname}, line 1: column {name!r} appears more than once in the header")
    if label not in header:
        problems.add(f"{fname}, line 1: no label column {label!r} (columns: {available})")
    if features is None or len(features) == 0:
        chosen = [h for h in header if h != label]
        if not chosen:
            problems.add(f"{fname}, line 1: no feature columns besides the label {label!r}")
        return chosen
    chosen = [str(f) for f in features]
    unknown = [f for f in chosen if f not in header]
    if unknown:
        names = ", ".join(repr(f) for f in unknown)
        noun = "column" if len(unknown) == 1 else "columns"
        problems.add(f"{fname}, line 1: unknown {noun} {names} (columns: {available})")
    if label in chosen:
        problems.add(f"{fname}: column {label!r} is the label, so it cannot also be a feature")
    if len(set(chosen)) != len(chosen):
        problems.add(f"{fname}: a feature column is chosen more than once")
    return chosen


def _class_indices(
    fname: str, label: str, cells: list[tuple[int, str]], problems: _Problems
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Map label strings to 0..k-1 in sorted order (numerically when every label is a number)."""
    numbers: list[float] | None = []
    for _, text in cells:
        try:
            numbers.append(float(text))
        except ValueError:
            numbers = None
            break
    if numbers is not None:
        for (line, text), value in zip(cells, numbers, strict=True):
            if not math.isfinite(value):
                where = f"{fname}, line {line}, column {label!r}"
                problems.add(f"{where}: {text!r} is not a finite number")
        first_text: dict[float, str] = {}
        for (_, text), value in zip(cells, numbers, strict=True):
            first_text.setdefault(value, text)
        order = sorted(first_text)
        index = {value: i for i, value in enumerate(order)}
        y = np.array([index[v] for v in numbers], dtype=np.int64)
        names = tuple(first_text[v] for v in order)
    else:
        order_s = sorted({text for _, text in cells})
        index_s = {text: i for i, text in enumerate(order_s)}
        y = np.array([index_s[text] for _, text in cells], dtype=np.int64)
        names = tuple(order_s)
    if len(names) == 1:
        problems.add(
            f"{fname}, column {label!r}: every row has the label {names[0]!r}; "
            "classification needs at least two classes"
        )
    return y, names


def read_table(
    path: str | os.PathLike,
    label: str,
    features: Sequence[str] | None = None,
    task: str = "classification",
) -> CsvTable:
    """Read a comma-separated file with a header row; raise DataError listing every problem."""
    if task not in TASKS:
        raise DataError(f"task {task!r} is not one of {', '.join(TASKS)}")
    path = Path(path)
    fname = path.name
    rows = _read_rows(path)
    if not rows:
        raise DataError(f"{fname}: the file is empty; it needs a header row and data rows")
    header = [cell.strip() for cell in rows[0][1]]
    if len(rows) == 1:
        raise DataError(f"{fname}: the file has a header but no data rows")
    problems = _Problems()
    chosen = _choose_columns(fname, header, label, features, problems)
    problems.raise_if_any()

    columns = [header.index(name) for name in chosen]
    label_column = header.index(label)
    X = np.empty((len(rows) - 1, len(columns)), dtype=np.float64)
    label_cells: list[tuple[int, str]] = []
    targets = np.empty((len(rows) - 1, 1), dtype=np.float64)
    for r, (line, row) in enumerate(rows[1:]):
        if len(row) != len(header):
            cells = f"{len(row)} cell{'' if len(row) == 1 else 's'}"
            problems.add(f"{fname}, line {line}: {cells}, but the header has {len(header)}")
            continue
        for c, (name, column) in enumerate(zip(chosen, columns, strict=True)):
            where = f"{fname}, line {line}, column {name!r}"
            X[r, c] = _number(row[column].strip(), where, problems)
        text = row[label_column].strip()
        where = f"{fname}, line {line}, column {label!r}"
        if task == "regression":
            targets[r, 0] = _number(text, where, problems)
        elif not text:
            problems.add(f"{where}: missing value")
        else:
            label_cells.append((line, text))
    problems.raise_if_any()

    if task == "regression":
        return CsvTable(X, targets, tuple(chosen), (), (label,))
    y, class_names = _class_indices(fname, label, label_cells, problems)
    problems.raise_if_any()
    return CsvTable(X, y, tuple(chosen), class_names, ())
