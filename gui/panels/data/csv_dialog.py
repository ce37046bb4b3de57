"""The dialog that makes a data set of a CSV file: the first rows shown, the label and feature
columns and the task chosen, and every problem core.data.csv_import finds listed before OK."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.data.csv_import import Preview, guess_task, read_preview, read_table
from core.design.errors import DataError
from gui.panels.data.csv_preview import PreviewModel, split_problems
from gui.widgets.theme import icon, is_dark

CSV_FILTER = "CSV files (*.csv);;All files (*)"


class CsvDialog(QDialog):
    """Picks a CSV file's label and feature columns and its task; OK only for a file that reads
    without a problem. `params()` is then the csv data set's parameters."""

    def __init__(self, parent: QWidget | None = None, path: str = "",
                 current: dict[str, Any] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import a CSV data set")
        self.resize(760, 600)
        self.preview: Preview | None = None
        self.table_ok = False
        self._wanted = dict(current or {})  # the columns to choose when the file is shown
        self._loaded: str | None = None  # the file shown
        self._label = ""  # the label column the feature list was last told of

        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("csv_path")
        self.path_edit.setPlaceholderText("a comma-separated file with a header row")
        self.path_edit.editingFinished.connect(lambda: self.load(self.path_edit.text().strip()))
        browse = QPushButton(icon("mdi6.folder-open-outline"), "Choose…")
        browse.setObjectName("csv_browse")
        browse.clicked.connect(self.browse)
        file_row = QHBoxLayout()
        file_row.addWidget(QLabel("File"))
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(browse)

        self.model = PreviewModel(self)
        self.table = QTableView()
        self.table.setObjectName("csv_preview")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setMinimumSectionSize(64)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.verticalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignRight
                                                        | Qt.AlignmentFlag.AlignVCenter)
        self.table.setMinimumHeight(150)
        self.rows_text = QLabel()
        self.rows_text.setObjectName("csv_rows")
        self.rows_text.setStyleSheet("color: palette(placeholder-text);")

        self.label_box = QComboBox()
        self.label_box.setObjectName("csv_label")
        self.label_box.setToolTip("The column the network learns to predict")
        self.label_box.currentTextChanged.connect(self._label_chosen)
        self.classification = QRadioButton("Classification: the label names a class")
        self.classification.setObjectName("csv_classification")
        self.regression = QRadioButton("Regression: the label is a number to predict")
        self.regression.setObjectName("csv_regression")
        self.tasks = QButtonGroup(self)
        self.classification.setChecked(True)
        for button in (self.classification, self.regression):
            self.tasks.addButton(button)
            button.toggled.connect(lambda on: on and self.check())
        choice = QFormLayout()
        choice.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        choice.addRow("Label column", self.label_box)
        tasks = QVBoxLayout()
        tasks.setSpacing(2)
        tasks.addWidget(self.classification)
        tasks.addWidget(self.regression)
        choice.addRow("Task", tasks)

        self.feature_list = QListWidget()
        self.feature_list.setObjectName("csv_features")
        self.feature_list.setToolTip("The columns the network takes as its inputs")
        self.feature_list.itemChanged.connect(lambda _item: self.check())
        features = QVBoxLayout()
        features.setSpacing(2)
        features.addWidget(QLabel("Feature columns (the inputs)"))
        features.addWidget(self.feature_list, 1)
        columns = QHBoxLayout()
        columns.setSpacing(16)
        columns.addLayout(choice, 3)
        columns.addLayout(features, 2)

        self.problems = QListWidget()
        self.problems.setObjectName("csv_problems")
        self.problems.setWordWrap(True)
        self.problems.setMaximumHeight(120)
        self.problems.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.summary = QLabel()
        self.summary.setObjectName("csv_summary")
        self.summary.setWordWrap(True)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Use this data set")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(file_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.rows_text)
        layout.addSpacing(4)
        layout.addLayout(columns)
        layout.addWidget(self.problems)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        self.load(path)

    # ------------------------------------------------------------------ the file
    def browse(self) -> None:
        path = open_csv_name(self, self.path_edit.text())
        if path:
            self.load(path, again=True)

    def load(self, path: str, again: bool = False) -> None:
        """Show a file's first rows and choose its columns (the last one as the label, unless
        the data set already names them); the file shown already is read `again` only when
        asked (a person chose it once more: it may have been edited meanwhile)."""
        if path == self._loaded and not again:
            return
        self._loaded = path
        self.path_edit.setText(path)
        self.preview = None
        problem = ""
        if path:
            try:
                self.preview = read_preview(path)
            except DataError as exc:
                problem = str(exc)
        self.model.show(self.preview)
        header = self.preview.header if self.preview else ()
        wanted, self._wanted = self._wanted, {}
        label = wanted.get("label") if wanted.get("label") in header else (header[-1] if header else "")
        listed = [f.strip() for f in str(wanted.get("features", "")).split(",") if f.strip()]
        chosen = {f for f in listed if f in header} if listed else set(header) - {label}
        self._fill_columns(header, label, chosen)
        task = wanted.get("task") or (guess_task(self.preview, label) if self.preview else "")
        self._set_task(task or "classification")
        if self.preview is not None:
            more = self.preview.count - len(self.preview.rows)
            self.rows_text.setText(f"{self.preview.count} data rows"
                                   + (f"; the first {len(self.preview.rows)} shown" if more > 0 else ""))
        else:
            self.rows_text.setText("")
        self.check(problem)

    def _fill_columns(self, header: tuple[str, ...], label: str, chosen: set[str]) -> None:
        was = self.label_box.blockSignals(True)
        self.label_box.clear()
        self.label_box.addItems(list(header))
        self.label_box.setCurrentText(label)
        self.label_box.blockSignals(was)
        was = self.feature_list.blockSignals(True)
        self.feature_list.clear()
        for name in header:
            item = QListWidgetItem(name)
            item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            item.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)
            self.feature_list.addItem(item)
        self.feature_list.blockSignals(was)
        self._mark_label(label)

    def _mark_label(self, label: str) -> None:
        """The label's own row in the feature list: unchecked and disabled."""
        was = self.feature_list.blockSignals(True)
        for i in range(self.feature_list.count()):
            item = self.feature_list.item(i)
            is_label = item.text() == label
            flags = Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled
            item.setFlags(flags & ~Qt.ItemFlag.ItemIsEnabled if is_label else flags)
            if is_label:
                item.setCheckState(Qt.CheckState.Unchecked)
            item.setToolTip("the label: it cannot be an input too" if is_label else "")
        self.feature_list.blockSignals(was)

    def _label_chosen(self, label: str) -> None:
        previous = self._label
        if previous and previous != label:  # the old label becomes an input again
            for item in self.feature_list.findItems(previous, Qt.MatchFlag.MatchExactly):
                item.setCheckState(Qt.CheckState.Checked)
        self._mark_label(label)
        if self.preview is not None:
            self._set_task(guess_task(self.preview, label))
        self.check()

    def _set_task(self, task: str) -> None:
        button = self.regression if task == "regression" else self.classification
        was = self.tasks.blockSignals(True)
        for b in (self.classification, self.regression):
            b.blockSignals(True)
        button.setChecked(True)
        for b in (self.classification, self.regression):
            b.blockSignals(False)
        self.tasks.blockSignals(was)

    # ------------------------------------------------------------------ the choice
    @property
    def label(self) -> str:
        return self.label_box.currentText()

    @property
    def features(self) -> list[str]:
        return [self.feature_list.item(i).text() for i in range(self.feature_list.count())
                if self.feature_list.item(i).checkState() == Qt.CheckState.Checked
                and self.feature_list.item(i).text() != self.label]

    @property
    def task(self) -> str:
        return "regression" if self.regression.isChecked() else "classification"

    def _features_param(self) -> str:
        """The chosen features as the data set writes them: '' for every column but the label."""
        header = self.preview.header if self.preview else ()
        if set(self.features) == set(header) - {self.label}:
            return ""
        return ",".join(self.features)

    def params(self) -> dict[str, Any]:
        """The csv data set's parameters for what is chosen now."""
        return {"path": self.path_edit.text().strip(), "label": self.label,
                "features": self._features_param(), "task": self.task}

    def check(self, problem: str = "") -> None:
        """Read the whole file as the data set would; list every problem, or say what it holds."""
        self._label = self.label
        self.model.set_choice(self.label, set(self.features))
        name = os.path.basename(self.path_edit.text().strip())
        problems: list[str] = []
        summary = ""
        if problem:
            problems = split_problems(problem, name)
        elif self.preview is None:
            summary = "Choose a CSV file: a header row of column names, then one sample a row."
        elif not self.features:
            problems = ["Choose at least one feature column"]
        elif any("," in f for f in self.features) and self._features_param():
            problems = ["A column whose name holds a comma can only be used with every other "
                        "column: choose them all"]
        else:
            try:
                table = read_table(self.path_edit.text().strip(), self.label, self.features,
                                   self.task)
            except DataError as exc:
                problems = split_problems(str(exc), name)
            else:
                summary = _summary(table, self.task)
        self.problems.clear()
        red = QColor(235, 80, 70) if is_dark() else QColor(198, 40, 40)
        for text in problems:
            item = QListWidgetItem(icon("mdi6.alert-circle-outline"), text)
            item.setForeground(red)
            self.problems.addItem(item)
        self.problems.setVisible(bool(problems))
        self.summary.setText(summary)
        self.summary.setVisible(bool(summary))
        self.table_ok = bool(summary) and not problems and self.preview is not None
        self.ok_button.setEnabled(self.table_ok)


def _summary(table, task: str) -> str:
    n, d = table.X.shape
    inputs = f"{n} samples of {d} {'feature' if d == 1 else 'features'}"
    if task == "regression":
        return f"Ready: {inputs}, predicting the number in {table.target_names[0]!r}."
    names = ", ".join(table.class_names[:8]) + (" …" if len(table.class_names) > 8 else "")
    return f"Ready: {inputs} in {len(table.class_names)} classes ({names})."


def open_csv_name(parent: QWidget, current: str = "") -> str:
    return QFileDialog.getOpenFileName(parent, "Open a data table", current, CSV_FILTER)[0]


def choose_csv_dataset(parent: QWidget, document, ask: bool = True) -> bool:
    """Ask for a CSV file (with `ask`, or when the design's data set names none), show it in
    the dialog, and on OK make it the design's data set (one undo step). False when nothing
    changed: a cancel, or a file with problems."""
    choice = document.design.dataset
    current = dict(choice.params) if choice.name == "csv" else {}
    path = str(current.get("path", ""))
    if ask or not path:
        path = open_csv_name(parent, path)
        if not path:
            return False
    if path != current.get("path"):
        current = {}  # another file: its columns are chosen afresh
    dialog = CsvDialog(parent, path, current)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.table_ok:
            return False
        params = dialog.params()
    finally:
        dialog.deleteLater()
    if "target" in choice.params:
        params["target"] = choice.params["target"]
    document.set_dataset("csv", params)
    return document.design.dataset.name == "csv"
