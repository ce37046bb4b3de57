"""Training → Compare…: the dialog in which a person chooses what varies (learning rate, seed,
optimizer, batch size, L2 rate, the activation of the selected neurons or block, a Dense block's
units) and the grid of variants it makes, every combination of the values chosen."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.design import registry
from core.design.design import Design

MAX_VARIANTS = 256  # more than this would not fit the machine's time nor the view
ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu")


@dataclass(frozen=True)
class Axis:
    """One thing that varies: its name and each value with the variant changes it makes."""

    name: str
    values: tuple[tuple[Any, dict[str, Any]], ...]  # (the value shown, the variant's changes)


@dataclass(frozen=True)
class Variant:
    """One cell of the grid: the value of each axis and the variant's changes together."""

    labels: dict[str, Any]
    changes: dict[str, Any]


def grid(axes: Sequence[Axis]) -> list[Variant]:
    """Every combination of the axes' values (the first axis slowest), each variant's changes
    merged (node changes by node)."""
    cells = []
    for combination in itertools.product(*(axis.values for axis in axes)):
        changes: dict[str, Any] = {}
        for _shown, part in combination:
            for key, value in part.items():
                if key == "nodes":
                    nodes = changes.setdefault("nodes", {})
                    for node_id, params in value.items():
                        nodes[node_id] = {**nodes.get(node_id, {}), **params}
                else:
                    changes[key] = value
        labels = {axis.name: shown for axis, (shown, _part) in zip(axes, combination, strict=True)}
        cells.append(Variant(labels, changes))
    return cells


def numbers(text: str, name: str, kind: type = float, low: float = 0.0) -> list:
    """The numbers of a list typed as "0.01, 0.1 0.3" (empty: none); ValueError saying which
    one cannot be taken."""
    values = []
    for word in text.replace(",", " ").replace(";", " ").split():
        try:
            value = kind(word) if kind is int else float(word.replace("−", "-"))
        except ValueError:
            raise ValueError(f"{name}: {word!r} is not {'a whole' if kind is int else 'a'} "
                             f"number") from None
        if not math.isfinite(value) or value < low or (kind is int and value < 1):
            raise ValueError(f"{name}: {word} is out of range")
        values.append(value)
    if len(set(values)) < len(values):
        raise ValueError(f"{name}: a value is listed twice")
    return values


def log_range(start: float, stop: float, count: int) -> list[float]:
    """`count` rates from `start` to `stop`, evenly spaced on a log scale (3 significant digits)."""
    if start <= 0 or stop <= 0:
        raise ValueError("learning rate: a log range needs rates above 0")
    if count == 1:
        return [start]
    step = (math.log10(stop) - math.log10(start)) / (count - 1)
    return [float(f"{10 ** (math.log10(start) + i * step):.3g}") for i in range(count)]


def too_many(count: int) -> str:
    """Why a grid is refused ('' when it is not)."""
    if count > MAX_VARIANTS:
        return (f"{count:,} variants is more than {MAX_VARIANTS} can train side by side: "
                f"choose fewer values")
    return ""


class CompareDialog(QDialog):
    """What varies, as a grid; `variants()` is the grid once accepted."""

    def __init__(self, design: Design, selected: Sequence[str] = (),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare Variants")
        self.design = design
        s = design.training
        self.targets = [n for n in selected if n in design.nodes
                        and "activation" in design.nodes[n].params]
        dense = [n for n in selected if n in design.nodes and design.nodes[n].kind == "dense"]
        self.dense = dense[0] if len(dense) == 1 else None
        form = QFormLayout()

        self.rate_list = QRadioButton("list")
        self.rate_range = QRadioButton("log range")
        self.rate_list.setChecked(True)
        self.rates = QLineEdit(f"{s.learning_rate:g}")
        self.rates.setObjectName("rates")
        self.rates.setToolTip("learning rates, separated by commas or spaces")
        self.rate_from, self.rate_to = QLineEdit("0.001"), QLineEdit("0.1")
        self.rate_count = QSpinBox(minimum=2, maximum=MAX_VARIANTS, value=3)
        for name, widget in (("rate_from", self.rate_from), ("rate_to", self.rate_to),
                             ("rate_count", self.rate_count)):
            widget.setObjectName(name)
        group = QButtonGroup(self)
        group.addButton(self.rate_list)
        group.addButton(self.rate_range)
        rates = QGridLayout()
        rates.addWidget(self.rate_list, 0, 0)
        rates.addWidget(self.rates, 0, 1, 1, 5)
        rates.addWidget(self.rate_range, 1, 0)
        for column, widget in enumerate((QLabel("from"), self.rate_from, QLabel("to"), self.rate_to,
                                         QLabel("count")), start=1):
            rates.addWidget(widget, 1, column)
        rates.addWidget(self.rate_count, 1, 6)
        form.addRow("Learning rate", rates)

        self.seeds = QSpinBox(minimum=1, maximum=MAX_VARIANTS, value=1)
        self.seeds.setObjectName("seeds")
        self.seeds.setToolTip(f"repeats with seeds {s.seed}, {s.seed + 1}, …: how much is luck")
        form.addRow("Seeds (repeats)", self.seeds)

        self.optimizers = self._checks([(k, spec.label) for k, spec in registry.optimizers.items()],
                                       s.optimizer, "optimizer")
        form.addRow("Optimizer", self.optimizers[0])
        self.batches = QLineEdit(str(s.batch_size))
        self.batches.setObjectName("batch_sizes")
        form.addRow("Batch size", self.batches)
        self.l2 = QLineEdit(f"{s.l2:g}")
        self.l2.setObjectName("l2_rates")
        form.addRow("L2 rate", self.l2)

        self.activations = None
        if self.targets:
            current = design.nodes[self.targets[0]].params.get("activation")
            self.activations = self._checks([(a, a) for a in ACTIVATIONS], current, "activation")
            what = (f"{len(self.targets)} selected neurons" if len(self.targets) > 1
                    else f"{design.nodes[self.targets[0]].label or self.targets[0]}")
            form.addRow(f"Activation of {what}", self.activations[0])
        self.units = None
        if self.dense is not None:
            self.units = QLineEdit(str(design.nodes[self.dense].params.get("units", "")))
            self.units.setObjectName("units")
            form.addRow(f"Units of {design.nodes[self.dense].label or self.dense}", self.units)
        if not self.targets and self.dense is None:
            hint = QLabel("Select neurons or a Dense block first to vary their activation or units.")
            hint.setWordWrap(True)
            form.addRow(hint)

        self.epochs = QSpinBox(minimum=1, maximum=1_000_000, value=s.epochs)
        self.epochs.setObjectName("compare_epochs")
        self.epochs.setToolTip("how many epochs each variant trains for each Play")
        form.addRow("Epochs", self.epochs)

        self.count = QLabel()
        self.count.setObjectName("variant_count")
        self.count.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Compare")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.count)
        layout.addWidget(self.buttons)
        for edit in (self.rates, self.rate_from, self.rate_to, self.batches, self.l2, self.units):
            if edit is not None:
                edit.textChanged.connect(self._update)
        for spin in (self.rate_count, self.seeds):
            spin.valueChanged.connect(self._update)
        for button in (self.rate_list, self.rate_range):
            button.toggled.connect(self._update)
        self._update()

    def _checks(self, choices, current, name: str) -> tuple[QWidget, dict[str, QCheckBox]]:
        box = QWidget()
        box.setObjectName(f"{name}_choices")
        row = QGridLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        checks = {}
        for i, (key, text) in enumerate(choices):
            check = QCheckBox(text)
            check.setObjectName(f"{name}_{key}")
            check.setChecked(key == current)
            check.toggled.connect(self._update)
            row.addWidget(check, i // 3, i % 3)
            checks[key] = check
        return box, checks

    # ------------------------------------------------------------------ the grid
    def axes(self) -> list[Axis]:
        """What varies, from the widgets; ValueError with the reason when a value is refused."""
        s = self.design.training
        axes = []
        if self.rate_list.isChecked():
            rates = numbers(self.rates.text(), "learning rate")
            if not rates or 0.0 in rates:
                raise ValueError("learning rate: give at least one rate above 0")
        else:
            low = numbers(self.rate_from.text(), "learning rate from")
            high = numbers(self.rate_to.text(), "learning rate to")
            if len(low) != 1 or len(high) != 1:
                raise ValueError("learning rate: a range goes from one rate to another")
            rates = log_range(low[0], high[0], self.rate_count.value())
        axes.append(Axis("learning_rate", tuple((r, {"learning_rate": r}) for r in rates)))
        if self.seeds.value() > 1:
            axes.append(Axis("seed", tuple((s.seed + k, {"seed": s.seed + k})
                                           for k in range(self.seeds.value()))))
        chosen = [k for k, check in self.optimizers[1].items() if check.isChecked()]
        if chosen and chosen != [s.optimizer]:
            axes.append(Axis("optimizer", tuple((k, {"optimizer": k, "optimizer_params": {}})
                                                for k in chosen)))
        self._list_axis(axes, "batch_size", self.batches.text(), int, "batch size")
        self._list_axis(axes, "l2", self.l2.text(), float, "L2 rate")
        if self.activations is not None:
            current = self.design.nodes[self.targets[0]].params.get("activation")
            picked = [k for k, check in self.activations[1].items() if check.isChecked()]
            if picked and picked != [current]:
                axes.append(Axis("activation", tuple(
                    (a, {"nodes": {n: {"activation": a} for n in self.targets}}) for a in picked)))
        if self.units is not None:
            units = numbers(self.units.text(), "units", int, 1)
            if units and units != [self.design.nodes[self.dense].params.get("units")]:
                axes.append(Axis("units", tuple((u, {"nodes": {self.dense: {"units": u}}})
                                                for u in units)))
        return axes

    def _list_axis(self, axes: list[Axis], key: str, text: str, kind: type, name: str) -> None:
        values = numbers(text, name, kind)
        if values and values != [getattr(self.design.training, key)]:
            axes.append(Axis(key, tuple((v, {key: v}) for v in values)))

    def count_and_problem(self) -> tuple[int, str]:
        try:
            axes = self.axes()
        except ValueError as exc:
            return 0, str(exc)
        count = math.prod(len(axis.values) for axis in axes)
        return count, too_many(count)

    def variants(self) -> list[Variant]:
        return grid(self.axes())

    def _update(self, *_args) -> None:
        count, problem = self.count_and_problem()
        self.count.setText(f"<b>{count:,}</b> variants" + (f" — <b>refused</b>: {problem}"
                                                            if problem else ""))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)


def describe(labels: dict[str, Any]) -> str:
    """A variant's values in a few words ("learning_rate 0.01 · seed 2")."""
    short = {"learning_rate": "lr", "batch_size": "batch"}
    return " · ".join(f"{short.get(k, k)} {v:g}" if isinstance(v, float) else f"{short.get(k, k)} {v}"
                      for k, v in labels.items())


__all__ = ["MAX_VARIANTS", "Axis", "CompareDialog", "Variant", "describe", "grid", "log_range"]
