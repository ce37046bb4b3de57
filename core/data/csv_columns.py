"""What a CSV file's rows are gathered into as they are read: numbers a block of rows at a time
into one array, class labels as codes, and the problems found (the first ones in full)."""

from __future__ import annotations

import math

import numpy as np

from core.data.csv_source import shown
from core.design.errors import DataError

MAX_REPORTED = 20  # problems listed in one message; the rest are counted


class Problems:
    """Collects problems (the first MAX_REPORTED in full, the rest counted) and raises them
    together as one DataError."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.extra = 0

    def __bool__(self) -> bool:
        return bool(self.messages)

    def add(self, message: str) -> None:
        if len(self.messages) < MAX_REPORTED:
            self.messages.append(message)
        else:
            self.extra += 1

    def raise_if_any(self) -> None:
        if not self.messages:
            return
        text = "; ".join(self.messages)
        if self.extra:
            text += f"; … and {self.extra} more problem{'s' if self.extra > 1 else ''}"
        raise DataError(text)


class FilledArray:
    """An array filled a block of rows at a time, grown when the file holds more rows than
    estimated, and cut to the rows filled at the end."""

    def __init__(self, width: int | None, dtype) -> None:
        self.width, self.dtype = width, np.dtype(dtype)
        self.array: np.ndarray | None = None
        self.count = 0

    def _shape(self, rows: int) -> tuple[int, ...]:
        return (rows,) if self.width is None else (rows, self.width)

    def add(self, block: np.ndarray, estimate: int) -> None:
        end = self.count + len(block)
        if self.array is None:
            self.array = np.empty(self._shape(max(end, estimate)), self.dtype)
        elif end > len(self.array):
            self.array.resize(self._shape(max(end, len(self.array) * 3 // 2)), refcheck=False)
        self.array[self.count:end] = block
        self.count = end

    def result(self) -> np.ndarray:
        if self.array is None:
            return np.empty(self._shape(0), self.dtype)
        if len(self.array) != self.count:
            self.array.resize(self._shape(self.count), refcheck=False)
        return self.array


class ClassLabels:
    """Class labels as they are read: each distinct text once, each row as its text's code."""

    def __init__(self) -> None:
        self.codes = FilledArray(None, np.int64)
        self.index: dict[str, int] = {}
        self.non_finite_codes: set[int] = set()  # labels like 'nan' (a problem if all are numbers)
        self.non_finite: list[tuple[int, str]] = []  # (line, text) of the first of them
        self.non_finite_count = 0

    def code(self, text: str, line: int) -> int:
        code = self.index.get(text)
        if code is None:
            code = self.index[text] = len(self.index)
            try:
                if not math.isfinite(float(text)):
                    self.non_finite_codes.add(code)
            except ValueError:
                pass
        if code in self.non_finite_codes:
            self.non_finite_count += 1
            if len(self.non_finite) < MAX_REPORTED:
                self.non_finite.append((line, text))
        return code

    def classes(self, fname: str, label: str, problems: Problems) -> tuple[np.ndarray, tuple]:
        """Map label texts to 0..k-1 in sorted order (numerically when every label is a number)."""
        texts = list(self.index)  # in code order: the order first seen
        codes = self.codes.result()
        try:
            numbers = [float(text) for text in texts]
        except ValueError:
            numbers = None
        if numbers is not None:
            for line, text in self.non_finite:
                problems.add(f"{fname}, line {line}, column {shown(label)}: {shown(text)} is not a "
                             "finite number")
            problems.extra += self.non_finite_count - len(self.non_finite)
            first_text: dict[float, str] = {}
            for text, value in zip(texts, numbers, strict=True):
                first_text.setdefault(value, text)
            order = sorted(first_text)
            rank = {value: i for i, value in enumerate(order)}
            remap = np.array([rank[v] for v in numbers], dtype=np.int64)
            names = tuple(first_text[v] for v in order)
        else:
            order_s = sorted(texts)
            rank_s = {text: i for i, text in enumerate(order_s)}
            remap = np.array([rank_s[t] for t in texts], dtype=np.int64)
            names = tuple(order_s)
        if len(names) == 1:
            problems.add(f"{fname}, column {shown(label)}: every row has the label {shown(names[0])}; "
                         "classification needs at least two classes")
        if len(remap):
            np.take(remap, codes, out=codes)
        return codes, names
