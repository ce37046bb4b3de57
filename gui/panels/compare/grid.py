"""Training → Compare…: the dialog in which a person chooses what varies (learning rate, seed,
optimizer, batch size, L2 rate, the activation of the selected neurons or block, a Dense block's
units) and the grid of variants it makes, every combination of the values chosen."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
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
from core.training.grid import (
    Axis,
    GridError,
    check_grid,
    expand,
    grid_points,
    grid_size,
    parse_vary,
)

COMMAND_TIP = ("the same comparison without the window (a terminal, a cluster): "
               "neuralcanvas sweep prints its table")
MAX_VARIANTS = 256  # more than this would not fit the machine's time nor the view
ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu")


@dataclass(frozen=True)
class Variant:
    """One cell of the grid: the value of each axis and the variant's changes together."""

    labels: dict[str, Any]
    changes: dict[str, Any]


@dataclass(frozen=True)
class Field:
    """What one of the dialog's fields varies, as the command line writes it (`spec`), and the
    field's name for a message ("learning rate")."""

    spec: str
    name: str
    label: str  # the axis's name in the table ("learning_rate", "activation")


def variants_of(axes: Sequence[Axis], labels: Sequence[str] | None = None) -> list[Variant]:
    """Every combination of the axes' values (core.training.grid.expand: the first axis
    slowest), each with its values under `labels` (the axes' names by default)."""
    labels = [axis.name for axis in axes] if labels is None else list(labels)
    return [Variant(dict(zip(labels, point.values(), strict=True)), changes)
            for changes, point in zip(expand(axes, MAX_VARIANTS), grid_points(axes), strict=True)]


def listed(text: str) -> str:
    """A typed list ("0.01, 0.1 0.3", "0.01;0.1") as the command line writes one: "0.01,0.1,0.3"."""
    words = text.replace("−", "-").replace(";", ",").replace(" ", ",").split(",")
    return ",".join(word for word in words if word)


def too_many(count: int) -> str:
    """Why a grid is refused ('' when it is not)."""
    if count > MAX_VARIANTS:
        return (f"{count:,} variants is more than {MAX_VARIANTS} can train side by side: "
                f"choose fewer values")
    return ""


def _reason(exc: GridError) -> str:
    """A refusal without the spec it names (the dialog names its field instead)."""
    text = str(exc)
    return text.split(": ", 1)[1] if text.startswith("cannot vary ") and ": " in text else text


def _readable(axis: Axis) -> Axis:
    """A log range's rates to three significant digits (0.00316, not 0.00316228) where that
    keeps them apart."""
    rounded = tuple(float(f"{v:.3g}") for v in axis.values)
    if len(set(rounded)) < len(rounded):
        return axis
    return Axis(f"{axis.setting}={','.join(f'{v:g}' for v in rounded)}", axis.setting, rounded)


class CompareDialog(QDialog):
    """What varies, as a grid; `variants()` is the grid once accepted."""

    def __init__(self, design: Design, selected: Sequence[str] = (),
                 parent: QWidget | None = None, path: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare Variants")
        self.design, self.path = design, path
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
        self.command_line = QLineEdit()
        self.command_line.setObjectName("compare_command")
        self.command_line.setReadOnly(True)
        form.addRow("Command line", self.command_line)
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
    def fields(self) -> list[Field]:
        """What varies, from the widgets, as command-line specs (core.training.grid's syntax):
        a field left at the design's own value varies nothing (the learning rate always shows)."""
        s, design = self.design.training, self.design
        fields = []
        if self.rate_list.isChecked():
            rates = listed(self.rates.text()) or " "
        else:
            rates = (f"{self.rate_from.text().strip() or ' '}..{self.rate_to.text().strip() or ' '}"
                     f":log{self.rate_count.value()}")
        fields.append(Field(f"learning_rate={rates}", "learning rate", "learning_rate"))
        if self.seeds.value() > 1:
            fields.append(Field(f"seed={s.seed}..{s.seed + self.seeds.value() - 1}", "seeds",
                                "seed"))
        chosen = [k for k, check in self.optimizers[1].items() if check.isChecked()]
        if chosen and chosen != [s.optimizer]:
            fields.append(Field(f"optimizer={','.join(chosen)}", "optimizer", "optimizer"))
        for key, edit, name in (("batch_size", self.batches, "batch size"),
                                ("l2", self.l2, "L2 rate")):
            text = listed(edit.text())
            if text and text != listed(f"{getattr(s, key):g}"):
                fields.append(Field(f"{key}={text}", name, key))
        if self.activations is not None:
            current = design.nodes[self.targets[0]].params.get("activation")
            picked = [k for k, check in self.activations[1].items() if check.isChecked()]
            if picked and picked != [current]:
                fields.append(Field(f"{'+'.join(self.targets)}.activation={','.join(picked)}",
                                    "activation", "activation"))
        if self.units is not None:
            text = listed(self.units.text())
            if text and text != str(design.nodes[self.dense].params.get("units")):
                fields.append(Field(f"{self.dense}.units={text}", "units", "units"))
        return fields

    def axes(self) -> list[Axis]:
        """What varies, parsed by core.training.grid as `sweep --vary` is; ValueError naming the
        field and the reason when a value is refused."""
        axes = []
        for field in self.fields():
            try:
                axis = parse_vary(field.spec, self.design)
            except GridError as exc:
                raise ValueError(f"{field.name}: {_reason(exc)}") from None
            axes.append(_readable(axis) if field.label == "learning_rate" else axis)
        return axes

    def command(self) -> str:
        """The same comparison on the command line (`neuralcanvas sweep`)."""
        try:
            axes = self.axes()
        except ValueError:
            return ""
        path = Path(self.path).name if self.path else "DESIGN.ncanvas"
        varies = " ".join(f"--vary {shlex.quote(axis.spec)}" for axis in axes)
        return f"neuralcanvas sweep {shlex.quote(path)} {varies} --epochs {self.epochs.value()}"

    def count_and_problem(self) -> tuple[int, str]:
        try:
            axes = self.axes()
        except ValueError as exc:
            return 0, str(exc)
        count = grid_size(axes)
        if count > MAX_VARIANTS:
            return count, too_many(count)
        try:
            check_grid(axes, MAX_VARIANTS)
        except GridError as exc:
            return count, str(exc)
        return count, ""

    def variants(self) -> list[Variant]:
        return variants_of(self.axes(), [field.label for field in self.fields()])

    def _update(self, *_args) -> None:
        count, problem = self.count_and_problem()
        self.count.setText(f"<b>{count:,}</b> variants" + (f" — <b>refused</b>: {problem}"
                                                            if problem else ""))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)
        command = "" if problem else self.command()
        self.command_line.setText(command)
        self.command_line.setCursorPosition(0)
        self.command_line.setToolTip(f"{COMMAND_TIP}\n\n{command}" if command else COMMAND_TIP)


def describe(labels: dict[str, Any]) -> str:
    """A variant's values in a few words ("learning_rate 0.01 · seed 2")."""
    short = {"learning_rate": "lr", "batch_size": "batch"}
    return " · ".join(f"{short.get(k, k)} {v:g}" if isinstance(v, float) else f"{short.get(k, k)} {v}"
                      for k, v in labels.items())


__all__ = ["MAX_VARIANTS", "CompareDialog", "Field", "Variant", "describe", "listed",
           "variants_of"]
