"""Reading a CSV file into feature and target arrays, naming the line and column of each problem.

The numbers go straight into float32 arrays (float64 when asked for) a block of rows at a time:
no Python object outlives its block, so reading takes little more memory than the arrays.
"""

from __future__ import annotations

import itertools
import math
import os
from collections import Counter
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass

import numpy as np

from core.data.csv_columns import ClassLabels, FilledArray, Problems
from core.data.csv_source import CsvRows, first_row_problem, header_problem, iter_rows, shown
from core.design.errors import DataError

__all__ = ["TASKS", "CsvTable", "Preview", "guess_task", "iter_rows", "read_preview", "read_table"]

TASKS = ("classification", "regression")
DTYPES = ("float32", "float64")
MAX_COLUMNS_LISTED = 20  # column names listed when a column is not found
BLOCK_ROWS = 4096  # rows converted at a time, at most
BLOCK_CELLS = 1 << 16  # cells converted at a time, at most (a wide file has fewer rows a block)


@dataclass(frozen=True, eq=False)
class CsvTable:
    """The arrays and names read from one CSV file, before they become a Dataset."""

    X: np.ndarray  # (n, d) float32 (or the dtype asked for)
    y: np.ndarray  # classification: (n,) int64; regression: (n, 1) like X
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]  # classification only, in class-index order
    target_names: tuple[str, ...]  # regression only


PREVIEW_ROWS = 8  # rows of the file a preview shows
SAMPLED_ROWS = 2000  # rows looked at to guess whether the label is a class or a number
SAMPLED_CELLS = 1 << 18  # at most, so that a wide file's sample stays small
FEW_CLASSES = 10  # a label of at most this many whole numbers is taken for a class


@dataclass(frozen=True)
class Preview:
    """What a person sees of a file before choosing its columns."""

    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (line number, cells) of the first rows
    count: int  # data rows in the file
    sampled: tuple[tuple[str, ...], ...]  # the first rows (SAMPLED_ROWS at most), to guess the task


def _empty(fname: str) -> DataError:
    return DataError(f"{fname}: the file is empty; it needs a header row and data rows")


def read_preview(path: str | os.PathLike) -> Preview:
    """The header and first rows of a CSV file; DataError when it cannot be read at all, or
    when its first line is not a header of column names."""
    rows = CsvRows(path)
    header: tuple[str, ...] | None = None
    shown_rows: list[tuple[int, tuple[str, ...]]] = []
    sampled: list[tuple[str, ...]] = []
    count = sample = 0
    with closing(iter(rows)) as lines:
        for line, row in lines:
            if header is None:
                header = tuple(cell.strip() for cell in row)
                problem = header_problem(rows.name, header)
                if problem:
                    raise DataError(problem)
                sample = max(PREVIEW_ROWS, min(SAMPLED_ROWS, SAMPLED_CELLS // len(header)))
                continue
            if count == 0:
                problem = first_row_problem(rows.name, header, (line, row))
                if problem:
                    raise DataError(problem)
            count += 1
            if len(sampled) < sample:
                cells = tuple(cell.strip() for cell in row)
                if len(shown_rows) < PREVIEW_ROWS:
                    shown_rows.append((line, cells))
                sampled.append(cells)
    if header is None:
        raise _empty(rows.name)
    if count == 0:
        raise DataError(first_row_problem(rows.name, header, None))
    return Preview(header, tuple(shown_rows), count, tuple(sampled))


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


def _number(text: str, where: str, problems: Problems) -> float:
    """The cell as a finite float, or NaN after recording why it is not one."""
    if not text:
        problems.add(f"{where}: missing value")
        return math.nan
    try:
        value = float(text)
    except ValueError:
        problems.add(f"{where}: {shown(text)} is not a number")
        return math.nan
    if not math.isfinite(value):
        problems.add(f"{where}: {shown(text)} is not a finite number")
    return value


def _listed(names: Sequence[str]) -> str:
    listed = ", ".join(shown(n) for n in names[:MAX_COLUMNS_LISTED])
    more = len(names) - MAX_COLUMNS_LISTED
    return listed + (f", … and {more} more" if more > 0 else "")


def _choose_columns(fname: str, header: list[str], label: str, features: Sequence[str] | None,
                    problems: Problems, line: int = 1) -> list[str]:
    at = f"{fname}, line {line}"
    available = _listed(header)
    duplicates = sorted(name for name, count in Counter(header).items() if count > 1)
    for name in duplicates:
        problems.add(f"{at}: column {shown(name)} appears more than once in the header")
    if label not in header:
        problems.add(f"{at}: no label column {shown(label)} (columns: {available})")
    if features is None or len(features) == 0:
        chosen = [h for h in header if h != label]
        if not chosen:
            problems.add(f"{at}: no feature columns besides the label {shown(label)}")
        return chosen
    chosen = [str(f) for f in features]
    names = set(header)
    unknown = [f for f in chosen if f not in names]
    if unknown:
        noun = "column" if len(unknown) == 1 else "columns"
        problems.add(f"{at}: unknown {noun} {_listed(unknown)} (columns: {available})")
    if label in chosen:
        problems.add(f"{fname}: column {shown(label)} is the label, so it cannot also be a feature")
    if len(set(chosen)) != len(chosen):
        problems.add(f"{fname}: a feature column is chosen more than once")
    return chosen


class _Reader:
    """Turns blocks of rows into numbers: the features, and the label as a number or a class."""

    def __init__(self, fname: str, header: list[str], chosen: list[str], label: str, task: str,
                 dtype) -> None:
        self.fname, self.width, self.label, self.task = fname, len(header), label, task
        self.names = [*chosen, label] if task == "regression" else chosen
        where = {name: i for i, name in enumerate(header)}  # no name twice: refused before
        self.columns = [where[name] for name in self.names]
        self.label_column = where[label]
        self.dtype = np.dtype(dtype)
        self.features = FilledArray(len(chosen), self.dtype)
        self.targets = FilledArray(1, self.dtype) if task == "regression" else None
        self.labels = ClassLabels() if task == "classification" else None
        self.problems = Problems()

    def convert(self, block: list[tuple[int, list[str]]], estimate: int) -> None:
        values: list[list[float]] = []
        kept: list[tuple[int, list[str]]] = []
        codes: list[int] = []
        columns, labels = self.columns, self.labels
        for line, row in block:
            if len(row) != self.width:
                cells = f"{len(row)} cell{'' if len(row) == 1 else 's'}"
                self.problems.add(f"{self.fname}, line {line}: {cells}, but the header has {self.width}")
                continue
            try:
                numbers = [float(row[c]) for c in columns]
            except ValueError:
                self._explain(line, row)
                numbers = None
            if labels is not None:
                text = row[self.label_column].strip()
                if not text:
                    self.problems.add(f"{self.fname}, line {line}, column {shown(self.label)}: "
                                      "missing value")
                    continue
                if numbers is not None:
                    codes.append(labels.code(text, line))
            if numbers is not None:
                values.append(numbers)
                kept.append((line, row))
        if not values:
            return
        with np.errstate(over="ignore", invalid="ignore"):
            array = np.array(values, dtype=np.float64).astype(self.dtype, copy=False)
        finite = np.isfinite(array)
        if not finite.all():
            self._not_finite(kept, finite)
        if self.problems:
            return  # the rows are checked still, but no more kept
        self.features.add(array[:, :self.features.width], estimate)
        if self.targets is not None:
            self.targets.add(array[:, self.features.width:], estimate)
        if labels is not None:
            labels.codes.add(np.array(codes, dtype=np.int64), estimate)

    def _explain(self, line: int, row: list[str]) -> None:
        for name, column in zip(self.names, self.columns, strict=True):
            _number(row[column].strip(), f"{self.fname}, line {line}, column {shown(name)}",
                    self.problems)

    def _not_finite(self, kept: list[tuple[int, list[str]]], finite: np.ndarray) -> None:
        limit = float(np.finfo(self.dtype).max)
        for r, c in zip(*np.nonzero(~finite), strict=True):
            line, row = kept[r]
            text = row[self.columns[c]].strip()
            where = f"{self.fname}, line {line}, column {shown(self.names[c])}"
            if math.isfinite(float(text)):
                advice = ("train in float64 (Training settings, Precision) or scale the column down"
                          if self.dtype == np.float32 else "scale the column down")
                self.problems.add(f"{where}: {shown(text)} is too large for {self.dtype.name} "
                                  f"numbers (at most ±{limit:.3g}); {advice}")
            else:
                self.problems.add(f"{where}: {shown(text)} is not a finite number")

    def table(self) -> CsvTable:
        self.problems.raise_if_any()
        X = self.features.result()
        names = tuple(self.names[:self.features.width])
        if self.targets is not None:
            return CsvTable(X, self.targets.result(), names, (), (self.label,))
        y, class_names = self.labels.classes(self.fname, self.label, self.problems)
        self.problems.raise_if_any()
        return CsvTable(X, y, names, class_names, ())


def read_table(
    path: str | os.PathLike,
    label: str,
    features: Sequence[str] | None = None,
    task: str = "classification",
    dtype: str = "float32",
) -> CsvTable:
    """Read a comma-separated file with a header row; raise DataError listing every problem."""
    if task not in TASKS:
        raise DataError(f"task {shown(str(task))} is not one of {', '.join(TASKS)}")
    if _dtype_name(dtype) not in DTYPES:
        raise DataError(f"dtype {shown(str(dtype))} is not one of {', '.join(DTYPES)}")
    rows = CsvRows(path)
    try:
        return _read(rows, label, features, task, dtype)
    except MemoryError:
        raise DataError(f"{rows.name}: there is not enough memory to read it "
                        f"({rows.size / (1 << 20):,.0f} MiB)") from None


def _dtype_name(dtype) -> str | None:
    try:
        return np.dtype(dtype).name
    except TypeError:
        return None


def _read(rows: CsvRows, label: str, features, task: str, dtype) -> CsvTable:
    with closing(iter(rows)) as lines:  # the file is closed at once, a problem or not
        return _convert(rows, lines, label, features, task, dtype)


def _convert(rows: CsvRows, lines, label: str, features, task: str, dtype) -> CsvTable:
    fname = rows.name
    first = next(lines, None)
    if first is None:
        raise _empty(fname)
    header_line, cells = first
    header = [cell.strip() for cell in cells]
    problem = header_problem(fname, header)
    if problem is None:
        second = next(lines, None)
        problem = first_row_problem(fname, header, second)
    if problem:  # no column name is shown unless the first line is a header
        raise DataError(problem)
    problems = Problems()
    chosen = _choose_columns(fname, header, label, features, problems, header_line)
    problems.raise_if_any()
    reader = _Reader(fname, header, chosen, label, task, dtype)
    block: list[tuple[int, list[str]]] = []
    seen, block_rows = 0, max(1, min(BLOCK_ROWS, BLOCK_CELLS // len(header)))
    for row in itertools.chain([second], lines):
        block.append(row)
        if len(block) == block_rows:
            seen += len(block)
            reader.convert(block, _estimate(rows, seen))
            block = []
    if block:
        seen += len(block)
        reader.convert(block, seen)
    return reader.table()


def _estimate(rows: CsvRows, seen: int) -> int:
    """The data rows the whole file holds, judged from the bytes the first `seen` rows took."""
    read = max(rows.bytes_read, 1)
    return int(seen * max(rows.size, read) / read * 1.05) + seen
