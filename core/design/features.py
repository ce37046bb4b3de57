"""Input features of neuron-level designs: x1, x1^2, x1*x2, sin(x1) and cos(x1) of a data set's columns."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.design.errors import shown as quoted

_SQUARE = re.compile(r"^(.+?)\s*(?:\^\s*2|²)$")
_PRODUCT = re.compile(r"^(.+?)\s*[*·×]\s*(.+)$")
_FUNCTION = re.compile(r"^(sin|cos)\s*(?:\(\s*(.+?)\s*\)|\s(.+))$")


@dataclass(frozen=True)
class Feature:
    """A parsed feature: an operation on one or two of the data set's columns."""

    op: str  # "raw" | "square" | "product" | "sin" | "cos"
    columns: tuple[int, ...]

    def compute(self, X: np.ndarray) -> np.ndarray:
        a = X[:, self.columns[0]]
        if self.op == "raw":
            return a
        if self.op == "square":
            return a * a
        if self.op == "product":
            return a * X[:, self.columns[1]]
        return np.sin(a) if self.op == "sin" else np.cos(a)


def parse_feature(expression: str, names: Sequence[str]) -> Feature:
    """Parse an expression over the column names; ValueError says what is wrong."""
    text = expression.strip()
    index = {name: i for i, name in enumerate(names)}

    def column(name: str) -> int:
        name = name.strip()
        if name not in index:
            shown = ", ".join(list(names)[:8]) + (", …" if len(names) > 8 else "")
            raise ValueError(f"the data set has no feature {quoted(name)} (it has {shown})")
        return index[name]

    if text in index:
        return Feature("raw", (index[text],))
    if m := _FUNCTION.match(text):
        return Feature(m.group(1), (column(m.group(2) or m.group(3)),))
    if m := _SQUARE.match(text):
        return Feature("square", (column(m.group(1)),))
    if m := _PRODUCT.match(text):
        return Feature("product", (column(m.group(1)), column(m.group(2))))
    return Feature("raw", (column(text),))
