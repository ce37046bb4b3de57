"""The data panel: picks the design's data set from thumbnails, sets its noise, size, classes and
the train/test split, shows its points, paints a painted set and opens a CSV file's columns, every
edit through the Document."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.compiler.validation import load_cached_dataset
from core.data import painted
from core.data.datasets import dataset_problems, train_test_split
from core.design import registry
from core.design.errors import NeuralCanvasError
from gui.document.document import Document
from gui.panels.data.about import AboutData
from gui.panels.data.csv_dialog import choose_csv_dataset
from gui.panels.data.plot import PointsPlot, Shown
from gui.panels.data.thumbnails import DatasetStrip
from gui.panels.plot_style import PlotColours
from gui.widgets.fields import FloatField, IntField
from gui.widgets.theme import icon

PAINT_HINT = "Click to add a point of the chosen class · right-drag (or the eraser) to erase"
_CONTROLS = (("noise", "Noise"), ("n", "Samples"), ("classes", "Classes"))


class DataPanel(QWidget):
    """The design's data set, its settings and its points; follows undo, redo and Open."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._drawn: tuple | None = None  # (choice, test fraction, seed) the plot shows
        self._arrays: tuple | None = None  # a painting's (X, y, ids)
        self._view_key: tuple | None = None  # the view is fitted again when this changes
        self._painting: dict[str, Any] | None = None  # the last painting, to come back to
        self._csv: dict[str, Any] | None = None  # the last CSV file's choice, to come back to
        self.label = 0  # the class a click paints

        self.strip = DatasetStrip(list(registry.datasets), self)
        self.strip.chosen.connect(self._choose)
        self.strip_scroll = strip_scroll = QScrollArea()  # the list of data sets, every name whole
        strip_scroll.setObjectName("data_sets")
        strip_scroll.setWidget(self.strip)
        strip_scroll.setWidgetResizable(True)
        strip_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        strip_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        strip_scroll.setFixedWidth(self.strip.sizeHint().width()
                                   + strip_scroll.verticalScrollBar().sizeHint().width() + 2)

        controls = QFormLayout()  # one row each: noise, samples, classes (those the set has)
        controls.setContentsMargins(0, 0, 0, 0)
        controls.setHorizontalSpacing(8)
        controls.setVerticalSpacing(4)
        controls.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields: dict[str, QWidget] = {}
        self._field_boxes: dict[str, _Row] = {}
        for name, text in _CONTROLS:
            field = (FloatField(0.0, 0.5, decimals=2, step=0.05) if name == "noise"
                     else IntField(10, 5000) if name == "n" else IntField(2, 8))
            field.setObjectName(f"data_{name}")
            field.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            field.edited.connect(lambda value, name=name: self._set_param(name, value))
            label = QLabel(text)
            label.setBuddy(field)
            controls.addRow(label, field)
            self.fields[name], self._field_boxes[name] = field, _Row(controls, field)
        self.fields["n"].setSingleStep(50)

        split = QHBoxLayout()
        split.setSpacing(6)
        self.test_slider = QSlider(Qt.Orientation.Horizontal)
        self.test_slider.setObjectName("data_test_fraction")
        self.test_slider.setRange(0, 90)
        self.test_slider.setSingleStep(5)
        self.test_slider.setPageStep(10)
        self.test_slider.setToolTip("The share of the samples held out to test (drawn hollow)")
        self.test_slider.valueChanged.connect(self._test_moved)
        self.test_slider.sliderReleased.connect(self._commit_test)
        self.test_text = QLabel()
        self.test_text.setMinimumWidth(self.test_text.fontMetrics().horizontalAdvance("90 % test"))
        split.addWidget(self.test_slider, 1)
        split.addWidget(self.test_text)
        split_label = QLabel("Test data")
        split_label.setBuddy(self.test_slider)
        controls.addRow(split_label, split)

        self.own_target = QCheckBox("Inputs as the target")
        self.own_target.setObjectName("data_target")
        self.own_target.setToolTip("An autoencoder: the network learns to give back its own inputs, "
                                   "through a narrow layer: a code of a few numbers for each sample")
        self.own_target.toggled.connect(
            lambda on: self._set_param("target", "inputs" if on else "labels"))

        self.csv_button = QPushButton(icon("mdi6.table-arrow-left"), "Choose a CSV file…")
        self.csv_button.setObjectName("data_csv_choose")
        self.csv_button.setToolTip("A table of your own: pick its file, its label and its "
                                   "feature columns")
        self.csv_button.clicked.connect(self.choose_csv)

        self.paint_tools = QWidget()
        rows = QVBoxLayout(self.paint_tools)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(2)
        tools = QHBoxLayout()  # the classes a click paints, then the eraser and Clear below
        tools.setSpacing(2)
        rows.addLayout(tools)
        tools.addWidget(QLabel("Paint"))
        self.class_group = QButtonGroup(self)
        self.class_buttons: list[QToolButton] = []
        for k in range(painted.MAX_CLASSES):
            button = QToolButton()
            button.setObjectName(f"paint_class_{k}")
            button.setText(str(k))
            button.setCheckable(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setToolTip(f"Clicks paint points of class {k}")
            button.clicked.connect(lambda _on=False, k=k: self._choose_class(k))
            self.class_group.addButton(button)
            self.class_buttons.append(button)
            tools.addWidget(button)
        tools.addStretch(1)
        erasing = QHBoxLayout()
        erasing.setSpacing(4)
        rows.addLayout(erasing)
        self.eraser = QToolButton()
        self.eraser.setObjectName("paint_eraser")
        self.eraser.setText("Eraser")
        self.eraser.setIcon(icon("mdi6.eraser"))
        self.eraser.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.eraser.setCheckable(True)
        self.eraser.setToolTip("Left drags erase too (a right-drag always does)")
        self.clear_button = QToolButton()
        self.clear_button.setObjectName("paint_clear")
        self.clear_button.setText("Clear")
        self.clear_button.setIcon(icon("mdi6.delete-sweep-outline"))
        self.clear_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.clear_button.setToolTip("Erase every painted point (one undo step)")
        self.clear_button.clicked.connect(self._clear_points)
        erasing.addWidget(self.eraser)
        erasing.addWidget(self.clear_button)
        erasing.addStretch(1)

        self.summary = QLabel()
        self.summary.setObjectName("data_summary")
        self.summary.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setObjectName("data_problem")
        self.problem.setWordWrap(True)

        settings = QWidget()  # scrolls when the dock is low: the panel never grows the window
        left = QVBoxLayout(settings)
        left.setContentsMargins(0, 0, 4, 0)
        left.setSpacing(6)
        left.addLayout(controls)
        left.addWidget(self.csv_button, 0, Qt.AlignmentFlag.AlignLeft)
        left.addWidget(self.own_target)
        left.addWidget(self.paint_tools)
        left.addWidget(self.summary)
        left.addWidget(self.problem)
        left.addStretch(1)

        self.plot = PointsPlot()
        self.plot.setMinimumSize(150, 140)
        self.plot.point_clicked.connect(self._paint)
        self.plot.erased.connect(self.document.erase_points)
        self.eraser.toggled.connect(self.plot.set_eraser)
        self.about = AboutData()
        self.views = QStackedWidget()
        self.views.addWidget(self.plot)
        self.views.addWidget(self.about)
        self.views.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

        layout = QHBoxLayout(self)  # the list of data sets, their settings, the points
        layout.setContentsMargins(4, 4, 6, 4)
        layout.setSpacing(8)
        self.views.setMaximumWidth(420)  # the plane is square: wider would only add margins
        settings_scroll = QScrollArea()
        settings_scroll.setWidget(settings)
        settings_scroll.setWidgetResizable(True)
        settings_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        settings_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        settings_scroll.setMinimumWidth(settings.minimumSizeHint().width())
        settings_scroll.setMaximumWidth(205)  # what is left goes to the points
        layout.addWidget(strip_scroll)
        layout.addWidget(settings_scroll, 1)
        layout.addWidget(self.views, 2)

        self._restyle()
        document.design_replaced.connect(self._rebind)
        document.settings_changed.connect(self._settings_changed)
        self._rebind()

    # ------------------------------------------------------------------ following the design
    def _rebind(self) -> None:
        self._painting, self._drawn, self._view_key = None, None, None
        self.refresh()

    def _settings_changed(self, _what: str = "") -> None:
        self.refresh()

    def refresh(self) -> None:
        """Every control and the plot from the design."""
        choice, training = self.document.design.dataset, self.document.design.training
        spec = registry.datasets.get(choice.name) if choice.name in registry.datasets else None
        params = spec.params if spec is not None else ()
        self._show_current(choice.name)
        is_painted = choice.name == "painted"
        changed = self._drawn is None or choice is not self._drawn[0]
        if changed:  # a painting's arrays, once per edit of the data set
            self._arrays = (painted.painted_arrays(list(choice.params.get("points", [])))
                            if is_painted else None)
        self._refresh_classes(choice.params if is_painted else {})
        names = {p.name: p for p in params}
        for name, field in self.fields.items():
            shown = name in names
            self._field_boxes[name].setVisible(shown)
            if shown:
                field.set_value(choice.params.get(name, names[name].default))
        self.own_target.setVisible("target" in names)
        with_blocked(self.own_target, lambda: self.own_target.setChecked(
            choice.params.get("target") == "inputs"))
        fraction = training.test_fraction
        with_blocked(self.test_slider, lambda: self.test_slider.setValue(round(fraction * 100)))
        self._show_test_text(self.test_slider.value())
        if is_painted:
            self._painting = dict(choice.params)
        is_csv = choice.name == "csv"
        if is_csv and choice.params.get("path"):
            self._csv = dict(choice.params)
        self.csv_button.setVisible(is_csv)
        self.csv_button.setText("Change the file or its columns…" if choice.params.get("path")
                                else "Choose a CSV file…")
        self.paint_tools.setVisible(is_painted)
        self.plot.set_painting(is_painted)
        self.plot.setToolTip(PAINT_HINT if is_painted else "")
        if changed or self._drawn[1:] != (fraction, training.seed):
            self._drawn = (choice, fraction, training.seed)  # choices are replaced, never changed
            self._show_data()

    def _show_current(self, name: str) -> None:
        self.strip.set_current(name)
        self._scroll_to_current()

    def _scroll_to_current(self) -> None:
        """The design's data set in view in the list (again when the panel shows: before, the
        list had no geometry to scroll by)."""
        button = self.strip.buttons.get(self.strip.current or "")
        if button is not None:
            self.strip_scroll.ensureWidgetVisible(button, 0, 8)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's override
        super().showEvent(event)
        self._scroll_to_current()

    def _refresh_classes(self, params) -> None:
        classes = int(params.get("classes", 2)) if isinstance(params.get("classes", 2), int) else 2
        y = self._arrays[1] if self._arrays is not None else np.zeros(0, dtype=np.int64)
        used = int(y.max()) + 1 if len(y) else 0
        low = used if 2 <= used <= classes else 2  # fewer classes would orphan painted points
        with_blocked(self.fields["classes"], lambda: self.fields["classes"].setMinimum(low))
        self.label = min(self.label, max(classes - 1, 0))
        for k, button in enumerate(self.class_buttons):
            button.setVisible(k < classes)
        self.class_buttons[self.label].setChecked(True)

    def _show_data(self) -> None:
        design = self.document.design
        choice = design.dataset
        note = ""
        try:
            shown, data = self._shown(choice, design.training)
        except (NeuralCanvasError, KeyError) as exc:
            shown, data, note = None, None, str(exc).strip("'\"")
        if choice.name == "painted":
            problems = dataset_problems(choice.name, choice.params)
            note = problems[0].removeprefix("data set 'painted': ") if problems else ""
        note = note[:1].upper() + note[1:]
        self.problem.setText(note)
        self.problem.setVisible(bool(note) and shown is not None)  # the note page says it too
        if shown is None:  # not two-dimensional, or not loaded: say what it is instead
            if data is not None:
                self.about.show_data(choice.name, data)
            else:
                self.about.show_note(choice.name, note)
            self.views.setCurrentWidget(self.about)
            self.summary.setText("")
            self.plot.show_points(None)
            return
        self.views.setCurrentWidget(self.plot)
        view_key = (choice.name, choice.seed,
                    repr({k: v for k, v in choice.params.items() if k != "points"}))
        self.plot.show_points(shown, reset_range=view_key != self._view_key)
        self._view_key = view_key
        self.summary.setText(_summary(shown) if shown is not None else "")

    def _shown(self, choice, training) -> tuple[Shown | None, Any]:
        """The rows to draw (None when not two-dimensional) and the data set (None when painted)."""
        if choice.name == "painted":
            X, y, ids = self._arrays
            classes = choice.params.get("classes", 2)
            k, data, names = classes if isinstance(classes, int) else 2, None, ("x1", "x2")
            task = "classification"
        else:
            data = load_cached_dataset(choice.name, dict(choice.params), choice.seed)
            if data.num_features != 2:
                return None, data
            X, y, ids, k, task = data.X, data.y, None, data.num_classes, data.task
            names = tuple(data.feature_names)
        try:
            train, test = train_test_split(len(X), training.test_fraction, training.seed)
        except NeuralCanvasError:  # a test fraction out of range: the settings page says so
            train, test = np.arange(len(X)), np.zeros(0, dtype=np.int64)
        return Shown(X, y, task, k, train, test, names, ids), data

    # ------------------------------------------------------------------ edits
    def _choose(self, name: str) -> None:
        """Another data set keeps the settings the two share (samples, noise, classes); a
        painting chosen again comes back as it was left."""
        choice = self.document.design.dataset
        if name == choice.name:
            return
        if name == "painted" and self._painting is not None:
            params = dict(self._painting)
        elif name == "csv" and self._csv is not None:
            params = dict(self._csv)
        else:
            shared = {p.name for p in registry.datasets.get(name).params}
            params = {k: v for k, v in choice.params.items() if k in shared}
        self.document.set_dataset(name, params)
        self.strip.set_current(self.document.design.dataset.name)

    def choose_csv(self) -> bool:
        """The CSV dialog: the design's file again (another one from there), or a new one."""
        return choose_csv_dataset(self, self.document,
                                  ask=not self.document.design.dataset.params.get("path"))

    def _set_param(self, name: str, value: Any) -> None:
        choice = self.document.design.dataset
        self.document.set_dataset(choice.name, {**choice.params, name: value})

    def _test_moved(self, value: int) -> None:
        self._show_test_text(value)
        if not self.test_slider.isSliderDown():
            self._commit_test()

    def _commit_test(self) -> None:
        self.document.set_training(test_fraction=round(self.test_slider.value() / 100, 2))

    def _show_test_text(self, value: int) -> None:
        self.test_text.setText(f"{value} % test")

    def _choose_class(self, k: int) -> None:
        self.label = k

    def _paint(self, x1: float, x2: float) -> None:
        self.document.paint_point(x1, x2, self.label)

    def _clear_points(self) -> None:
        points = self.document.design.dataset.params.get("points", [])
        self.document.erase_points(range(len(points)))

    # ------------------------------------------------------------------ looks
    def _restyle(self) -> None:
        colours = PlotColours.from_palette()
        for k, button in enumerate(self.class_buttons):
            button.setIcon(_disc(colours.class_colour(k)))
        self.problem.setStyleSheet("color: #d9534f;")
        self.summary.setStyleSheet(f"color: {colours.muted.name()};")
        self._show_test_text(self.test_slider.value())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._restyle()
            self.strip.restyle()
            self.plot.apply_colours()
        super().changeEvent(event)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(900, 280)


class _Row:
    """A form row, shown or hidden as one (the set has the setting or not)."""

    def __init__(self, form: QFormLayout, field: QWidget) -> None:
        self.form, self.field = form, field

    def setVisible(self, on: bool) -> None:  # noqa: N802 - as a widget's
        self.form.setRowVisible(self.field, on)


def with_blocked(widget: QWidget, change) -> None:
    was = widget.blockSignals(True)
    try:
        change()
    finally:
        widget.blockSignals(was)


def _disc(colour: QColor, size: int = 14) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(colour.darker(130))
    painter.setBrush(colour)
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


def _summary(shown: Shown) -> str:
    n = len(shown.X)
    text = (f"{n} {'point' if n == 1 else 'points'} · {len(shown.train)} training (filled) · "
            f"{len(shown.test)} test (hollow)")
    if shown.task == "classification" and n:
        counts = np.bincount(np.asarray(shown.y, dtype=np.int64), minlength=shown.num_classes)
        text += " · per class " + ", ".join(str(int(c)) for c in counts)
    return text
