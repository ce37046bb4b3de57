"""The Add a Layer dialog: how many neurons, their activation, and whether they are the outputs
(then with the activation the data set's task needs)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.compiler.validation import load_cached_dataset
from core.design import registry
from core.design.design import Design
from core.design.errors import DataError

MAX_NEURONS = 256
LAST_ACTIVATION = "add_layer/activation"  # the settings key of the last hidden activation chosen
OUTPUT_LABEL = "&Output layer — the network's answer"  # Alt+O ticks it


@dataclass(frozen=True)
class DataTask:
    """What the outputs of a network on the design's data set must give."""

    name: str  # the data set's label, as the Data panel shows it
    task: str  # "classification" or "regression"
    classes: int = 0  # classification: how many
    targets: int = 1  # regression: how many values per sample


@dataclass(frozen=True)
class LayerChoice:
    """What the person chose: `count` neurons with `activation`, the network's outputs or not."""

    count: int
    activation: str
    output: bool


def data_task(design: Design) -> DataTask | None:
    """The task of the design's data set as set (None when it cannot be loaded now)."""
    choice = design.dataset
    try:
        data = load_cached_dataset(choice.name, dict(choice.params), choice.seed)
    except (DataError, OSError, ValueError, KeyError):
        return None
    label = registry.datasets.get(choice.name).label if choice.name in registry.datasets \
        else choice.name
    if data.task == "classification":
        return DataTask(label, "classification", classes=int(data.num_classes))
    return DataTask(label, "regression", targets=int(data.y.shape[1]) if data.y.ndim > 1 else 1)


def output_width(task: DataTask | None, loss: str) -> int | None:
    """How many output neurons the task needs with this loss (None: unknown)."""
    if task is None:
        return None
    if task.task == "regression":
        return task.targets
    if task.classes == 2 and loss != "softmax_cross_entropy":
        return 1  # one probability, of the second class
    return task.classes


def output_activation(task: DataTask | None, loss: str, count: int) -> str:
    """The activation of `count` output neurons for the task and loss: a sigmoid for one
    probability, a softmax over one neuron per class, the identity for values (regression)."""
    if task is not None and task.task == "regression":
        return "identity"
    if loss == "hinge":  # outputs around ±1
        return "tanh" if count == 1 else "identity"
    return "sigmoid" if count == 1 else "softmax"


def output_text(task: DataTask | None, loss: str, count: int) -> str:
    """Why the output activation is what it is, in one or two short sentences."""
    activation = registry.activations.get(output_activation(task, loss, count)).label
    need = output_width(task, loss)
    if task is None:
        return f"Output neurons: {activation}. (The data set cannot be read now.)"
    if task.task == "classification":
        what = f"{task.name} sorts points into {task.classes} classes"
    else:
        values = "one value" if task.targets == 1 else f"{task.targets} values"
        what = f"{task.name} asks for {values} per point (regression)"
    text = f"{what}: {count} output {'neuron' if count == 1 else 'neurons'}, {activation}."
    if need is not None and need != count:
        text += f" It needs {need} with the loss {registry.losses.get(loss).label}." \
            if loss in registry.losses else f" It needs {need}."
    return text


class AddLayerDialog(QDialog):
    """Count (focused: type a number), activation (type its first letters), Output layer (Alt+O);
    Enter adds the layer."""

    def __init__(self, design: Design, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a layer of neurons")
        self.task = data_task(design)
        self.loss = design.training.loss
        self.count = QSpinBox()
        self.count.setObjectName("layer_count")
        self.count.setRange(1, MAX_NEURONS)
        self.count.setValue(4)
        self.activation = QComboBox()
        self.activation.setObjectName("layer_activation")
        for key, spec in registry.activations.items():
            self.activation.addItem(spec.label, key)
        self.activation.setCurrentIndex(max(0, self.activation.findData(last_activation())))
        self.output = QCheckBox(OUTPUT_LABEL)
        self.output.setObjectName("layer_output")
        self.output.setToolTip("The new neurons end the network, with the activation the data "
                               "set's task needs")
        self.hint = QLabel()
        self.hint.setObjectName("layer_hint")
        self.hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.add_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.add_button.setText("Add")
        self.add_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Neurons:", self.count)
        form.addRow("&Activation:", self.activation)
        form.addRow("", self.output)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self._hidden_activation = self.activation.currentData()
        self.output.toggled.connect(self._output_toggled)
        self.count.valueChanged.connect(self._count_changed)
        self.activation.activated.connect(self._activation_chosen)
        self._show_hint()
        lines = self.hint.fontMetrics().lineSpacing()
        self.hint.setMinimumHeight(2 * lines + 4)  # two lines kept: the dialog does not jump
        layout.insertSpacing(layout.indexOf(buttons), lines // 2)
        need = output_width(self.task, self.loss) or 1  # the output's sentence on one line
        widest = self.hint.fontMetrics().horizontalAdvance(output_text(self.task, self.loss, need))
        self.setMinimumWidth(min(max(self.sizeHint().width(), widest + 40), 620))
        self.count.setFocus(Qt.FocusReason.TabFocusReason)
        self.count.selectAll()  # typing a number replaces the 4

    # ------------------------------------------------------------------ following the fields
    def _output_toggled(self, output: bool) -> None:
        if output:
            need = output_width(self.task, self.loss)
            if need is not None and self.count.value() != need:
                self.count.setValue(need)
            self._set_activation(output_activation(self.task, self.loss, self.count.value()))
        else:
            self._set_activation(self._hidden_activation)
        self._show_hint()

    def _count_changed(self, count: int) -> None:
        if self.output.isChecked():  # one probability or one per class: the count decides
            self._set_activation(output_activation(self.task, self.loss, count))
        self._show_hint()

    def _activation_chosen(self, _index: int) -> None:
        if not self.output.isChecked():
            self._hidden_activation = self.activation.currentData()
        self._show_hint()

    def _set_activation(self, key: str) -> None:
        index = self.activation.findData(key)
        if index >= 0:
            self.activation.setCurrentIndex(index)

    def _show_hint(self) -> None:
        if self.output.isChecked():
            text = output_text(self.task, self.loss, self.count.value())
        else:
            text = "Hidden neurons, each wired from every selected input or neuron."
        self.hint.setText(text)

    # ------------------------------------------------------------------ result
    def choice(self) -> LayerChoice:
        return LayerChoice(self.count.value(), self.activation.currentData(),
                           self.output.isChecked())

    def accept(self) -> None:
        if not self.output.isChecked():
            QSettings().setValue(LAST_ACTIVATION, self.activation.currentData())
        super().accept()


def last_activation() -> str:
    """The activation of the last hidden layer added (tanh at first)."""
    key = QSettings().value(LAST_ACTIVATION, "tanh", str)
    return key if key in registry.activations else "tanh"
