"""The inspector's page with nothing selected: the design's data set and its training settings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QToolButton,
    QWidget,
)

from core.design import registry
from gui.document.document import Document
from gui.inspector.pages import Page, form_layout, hint
from gui.panels.data.csv_dialog import choose_csv_dataset
from gui.widgets.fields import (
    ChoiceField,
    FloatField,
    IntField,
    NumberEdit,
    RowGroup,
    TextField,
    field_for,
    humanize,
    number_field_for,
)

SEED_MAX = 2**31 - 1


def param_label(spec: Any) -> str:
    """A row label: the name, or its description when the name is too short to say much ('n')."""
    if len(spec.name) < 3 and spec.description:
        return humanize(spec.description)
    return humanize(spec.name)


class PathField(QWidget):
    """A file path typed, or chosen with a "…" button (which calls `browse` when given)."""

    def __init__(self, spec: Any, parent: QWidget | None = None,
                 browse: Callable[[], object] | None = None) -> None:
        super().__init__(parent)
        self._chooser = browse
        self.text = TextField(placeholder="choose a CSV file")
        self.edited = self.text.edited
        self.set_value = self.text.set_value
        button = QToolButton()
        button.setText("…")
        button.setToolTip("Choose a file" if browse is None else
                          "Choose a CSV file and its columns, with a preview of its rows")
        button.clicked.connect(self._browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text, 1)
        layout.addWidget(button)
        self.setToolTip(spec.description)

    def _browse(self) -> None:
        if self._chooser is not None:
            self._chooser()
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open a data table", self.text.text(),
                                              "CSV files (*.csv);;All files (*)")
        if path:
            self.text.setText(path)
            self.text.editingFinished.emit()


class SettingsPage(Page):
    """Data set (its generated form and seed) and training settings; each edit is one command."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(document, parent)
        self._dataset_box(document)
        self._training_box()
        self.body.addStretch(1)
        self.refresh()

    # ------------------------------------------------------------------ data set
    def _dataset_box(self, document: Document) -> None:
        box = QGroupBox("Data set")
        self.body.addWidget(box)
        form = self.dataset_form = form_layout(box)
        self.dataset = ChoiceField((key, spec.label, spec.description, None)
                                   for key, spec in registry.datasets.items())
        self.dataset.setObjectName("dataset")
        self.dataset.edited.connect(self._dataset_chosen)
        form.addRow("Data set", self.dataset)
        self.dataset_about = hint("")
        form.addRow(self.dataset_about)
        self.dataset_rows = RowGroup(form, self.dataset_about)
        self.dataset_fields: dict[str, QWidget] = {}
        self.data_seed = IntField(0, SEED_MAX)
        self.data_seed.setObjectName("dataset.seed")
        self.data_seed.setToolTip("The seed the data set is generated from")
        self.data_seed.edited.connect(lambda seed: self._set_dataset(seed=seed))
        form.addRow("Data seed", self.data_seed)

    def _dataset_chosen(self, name: str) -> None:
        """Another data set keeps the settings the two share (samples, noise)."""
        spec = registry.datasets.get(name)
        names = {p.name for p in spec.params}
        params = {k: v for k, v in self.document.design.dataset.params.items() if k in names}
        self.document.set_dataset(name, params)

    def _choose_csv(self) -> None:
        choose_csv_dataset(self, self.document,
                           ask=not self.document.design.dataset.params.get("path"))

    def _set_dataset(self, seed: int | None = None, **changes: Any) -> None:
        choice = self.document.design.dataset
        self.document.set_dataset(choice.name, {**choice.params, **changes}, seed)

    def _refresh_dataset(self) -> None:
        choice = self.document.design.dataset
        self.dataset.set_value(choice.name)
        spec = registry.datasets.get(choice.name) if choice.name in registry.datasets else None
        if self.dataset_rows.key != choice.name:
            rows, self.dataset_fields = [], {}
            for param in spec.params if spec else ():
                if param.kind == "list":  # painted points: painted in the Data panel, not typed
                    continue
                field = (PathField(param, browse=self._choose_csv) if param.name == "path"
                         else field_for(param))
                field.setObjectName(f"dataset.{param.name}")
                field.edited.connect(lambda value, name=param.name: self._set_dataset(**{name: value}))
                self.dataset_fields[param.name] = field
                rows.append((param_label(param), field))
            self.dataset_rows.replace(choice.name, rows)
        if spec is not None:
            for param in spec.params:
                if param.name not in self.dataset_fields:
                    continue
                self.dataset_fields[param.name].set_value(choice.params.get(param.name, param.default))
            self.dataset_about.setText(f"{spec.description} ({spec.task})")
        self.data_seed.set_value(choice.seed)

    # ------------------------------------------------------------------ training
    def _training_box(self) -> None:
        box = QGroupBox("Training")
        self.body.addWidget(box)
        form = self.training_form = form_layout(box)
        self.loss = ChoiceField((key, loss.label, getattr(loss, "notes", ""), None)
                                for key, loss in registry.losses.items())
        self.optimizer = ChoiceField((key, opt.label, "", None) for key, opt in registry.optimizers.items())
        self.learning_rate = NumberEdit(low=0.0, low_open=True)
        self.schedule = ChoiceField((key, s.label, "", None) for key, s in registry.schedules.items())
        self.batch_size = IntField(1, 1_000_000)
        self.epochs = IntField(0, 10_000_000)
        self.l1 = NumberEdit(low=0.0)
        self.l2 = NumberEdit(low=0.0)
        self.clip_norm = FloatField(0.0, 1e6, decimals=2, step=0.5, special="off")
        self.test_fraction = FloatField(0.0, 0.9, decimals=2, step=0.05)
        self.seed = IntField(0, SEED_MAX)
        self.patience = IntField(0, 1_000_000, special="off")
        self.target_loss = NumberEdit(optional=True, low=0.0, placeholder="none")
        self.target_accuracy = NumberEdit(optional=True, low=0.0, low_open=True, high=1.0,
                                          placeholder="none")
        self.dtype = ChoiceField([("float32", "float32", "Single precision: fast", None),
                                  ("float64", "float64", "Double precision: for checking", None)])
        self.training_fields: dict[str, tuple[QWidget, str, str]] = {
            "loss": (self.loss, "Loss", "What training makes small"),
            "optimizer": (self.optimizer, "Optimizer", "How each step moves the weights"),
            "learning_rate": (self.learning_rate, "Learning rate", "The size of each step, e.g. 0.03 "
                              "or 1e-3"),
            "schedule": (self.schedule, "Schedule", "How the learning rate changes over the epochs"),
            "batch_size": (self.batch_size, "Batch size", "Samples per step"),
            "epochs": (self.epochs, "Epochs", "Passes over the training samples"),
            "l1": (self.l1, "L1", "Pulls weights to exactly zero (e.g. 1e-4)"),
            "l2": (self.l2, "L2", "Keeps weights small (e.g. 1e-4)"),
            "clip_norm": (self.clip_norm, "Clip norm", "Largest gradient length; 0: off"),
            "test_fraction": (self.test_fraction, "Test fraction", "Share of samples held out to test"),
            "seed": (self.seed, "Seed", "Seed of the initial weights and the shuffling"),
            "early_stopping_patience": (self.patience, "Early stop", "Stop after this many epochs "
                                        "without a better test loss; 0: off"),
            "target_loss": (self.target_loss, "Target loss", "Stop once the loss is this low"),
            "target_accuracy": (self.target_accuracy, "Target acc.", "Stop once the accuracy "
                                "reaches this (0 to 1)"),
            "dtype": (self.dtype, "Precision", "The number type training computes in"),
        }
        for name, (field, label, tip) in self.training_fields.items():
            field.setToolTip(tip)
            field.setObjectName(f"training.{name}")
            field.edited.connect(lambda value, name=name: self._training_edited(name, value))
            form.addRow(label, field)
        self.optimizer_rows = RowGroup(form, self.optimizer)
        self.schedule_rows = RowGroup(form, self.schedule)
        self.optimizer_fields: dict[str, QWidget] = {}
        self.schedule_fields: dict[str, QWidget] = {}

    def _training_edited(self, name: str, value: Any) -> None:
        if name in ("optimizer", "schedule"):  # a new one starts from its own defaults
            self.document.set_training(**{name: value, f"{name}_params": {}})
        else:
            self.document.set_training(**{name: value})

    def _setting_edited(self, group: str, key: str, value: Any) -> None:
        current = dict(getattr(self.document.design.training, f"{group}_params"))
        current[key] = value
        self.document.set_training(**{f"{group}_params": current})

    def _refresh_settings_rows(self, group: str, rows: RowGroup, fields: dict[str, QWidget],
                               defaults: Mapping[str, Any], name: str, values: Mapping[str, Any]) -> None:
        if rows.key != name:
            fields.clear()
            built = []
            for key, default in defaults.items():
                field = number_field_for(default, low=0.0)
                field.setToolTip(f"{humanize(key)} (default {default:g})")
                field.setObjectName(f"training.{group}_params.{key}")
                field.edited.connect(lambda value, key=key: self._setting_edited(group, key, value))
                fields[key] = field
                built.append((f"   {humanize(key)}", field))
            rows.replace(name, built)
        for key, field in fields.items():
            field.set_value(values.get(key, defaults[key]))

    def _refresh_training(self) -> None:
        t = self.document.design.training
        for name, (field, _label, _tip) in self.training_fields.items():
            field.set_value(getattr(t, name))
        for group, rows, fields, table in (
            ("optimizer", self.optimizer_rows, self.optimizer_fields, registry.optimizers),
            ("schedule", self.schedule_rows, self.schedule_fields, registry.schedules),
        ):
            name = getattr(t, group)
            defaults = table.get(name).defaults if name in table else {}
            self._refresh_settings_rows(group, rows, fields, defaults, name,
                                        getattr(t, f"{group}_params"))

    # ------------------------------------------------------------------ page
    def refresh(self) -> bool:
        self._refresh_dataset()
        self._refresh_training()
        return True

    def concerns(self, problem) -> bool:
        path = problem.path or ""
        return path.startswith(("training", "dataset")) or not (problem.node_ids
                                                                or problem.connection_ids)
