"""The walkthrough's third page: the same perceptron learns its weights from a labelled table by
the perceptron rule, one presented instance at a time, while a plot shows its line move."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.learn.perceptron import (
    CLASSES,
    INPUTS,
    NOT_SEPARABLE_CAP,
    Perceptron,
    Presentation,
    correction_bound,
    cricket_table,
    margin,
    number,
    present,
    random_perceptron,
    train_until_separated,
    widest_separator,
)
from gui.learn.perceptron.decision import note
from gui.learn.perceptron.plot import SlicePlot
from gui.learn.perceptron.table import SAYS, LabelledTable, TableEditors
from gui.panels.plot_style import PlotColours

HELD = ("their mean", "0", "1", "2", "3", "4")


def vector(values) -> str:
    return "(" + ", ".join(number(v) for v in values) + ")"


class TrainingPage(QWidget):
    """Rosenblatt's rule on the table; counts restart when the weights are drawn again, the
    table is edited or η changes (the weights then are where the count starts)."""

    def __init__(self) -> None:
        super().__init__()
        self.colours = PlotColours.from_palette()
        intro = note("Let the perceptron find its own weights. Present one evening at a time: "
                     "when its decision y is wrong, the rule moves the weights toward the label t, "
                     "<b>w&nbsp;←&nbsp;w&nbsp;+&nbsp;η·(t&nbsp;−&nbsp;y)·x</b> and "
                     "<b>b&nbsp;←&nbsp;b&nbsp;+&nbsp;η·(t&nbsp;−&nbsp;y)</b>; when it is right, "
                     "nothing changes. Edit a score or a label with a double-click.")
        self.random_button = QPushButton("New random weights")
        self.random_button.setToolTip("Draw the weights and the bias afresh from −1 to 1 "
                                      "(the next seed)")
        self.seed = QSpinBox()
        self.seed.setObjectName("seed")
        self.seed.setRange(0, 999_999)
        self.seed.setToolTip("The seed the weights were drawn with: the same seed, the same weights")
        self.eta = QDoubleSpinBox()
        self.eta.setObjectName("eta")
        self.eta.setRange(0.1, 5.0)
        self.eta.setSingleStep(0.1)
        self.eta.setDecimals(1)
        self.eta.setValue(1.0)
        self.eta.setToolTip("The learning rate η: how far one correction moves the weights")
        self.present_button = QPushButton("Present next instance")
        self.present_button.setObjectName("present_next")
        self.present_button.setDefault(True)
        self.present_button.setToolTip("Show the perceptron the next row of the table, in turn")
        self.run_button = QPushButton("Run until it separates")
        self.run_button.setObjectName("run_until_separated")
        self.run_button.setToolTip("Present the rows in turn until every row is right, or the bound")
        self.restore_button = QPushButton("Restore the table")
        self.restore_button.setToolTip("The twelve evenings as they were, labelled by the cricket rule")
        controls = QHBoxLayout()
        controls.setSpacing(8)
        for widget in (self.random_button, QLabel("seed"), self.seed, QLabel("  η"), self.eta):
            controls.addWidget(widget)
        controls.addStretch(1)
        for widget in (self.present_button, self.run_button):
            controls.addWidget(widget)

        X, t = cricket_table()
        self.model = LabelledTable(X, t, self)
        self.table = QTableView()
        self.table.setObjectName("perceptron_table")
        self.table.setModel(self.model)
        self.table.setItemDelegate(TableEditors(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(SAYS, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(SAYS, self.table.fontMetrics().horizontalAdvance("stay ✗") + 18)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        self.weights_label = QLabel()
        self.weights_label.setObjectName("current_weights")
        self.weights_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        left = QVBoxLayout()
        left.addWidget(self.table, 1)
        left.addWidget(self.weights_label)
        left.addWidget(self.restore_button, 0, Qt.AlignmentFlag.AlignLeft)

        self.x_axis, self.y_axis, self.held = QComboBox(), QComboBox(), QComboBox()
        for combo, name in ((self.x_axis, "x_axis"), (self.y_axis, "y_axis"), (self.held, "held")):
            combo.setObjectName(name)
            combo.addItems(list(HELD if combo is self.held else INPUTS))
        self.x_axis.setCurrentIndex(0)
        self.y_axis.setCurrentIndex(2)
        self.held.setToolTip("The two inputs not on the axes keep this value in the line's "
                             "equation (the points keep their own)")
        axes = QHBoxLayout()
        axes.setSpacing(6)
        for widget in (QLabel("across"), self.x_axis, QLabel("up"), self.y_axis,
                       QLabel("others held at"), self.held):
            axes.addWidget(widget)
        axes.addStretch(1)
        self.plot = SlicePlot()
        self.plot.setMinimumSize(300, 260)
        self.caption = QLabel()
        self.caption.setObjectName("plot_caption")
        self.caption.setWordWrap(True)
        right = QVBoxLayout()
        right.addLayout(axes)
        right.addWidget(self.plot, 1)
        right.addWidget(self.caption)

        self.update_text = QLabel()
        self.update_text.setObjectName("update_text")
        self.update_text.setTextFormat(Qt.TextFormat.RichText)
        self.update_text.setWordWrap(True)
        self.update_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = QLabel()
        self.status.setObjectName("training_status")
        self.status.setWordWrap(True)
        self.bound_text = QLabel()
        self.bound_text.setObjectName("bound_text")
        self.bound_text.setWordWrap(True)

        middle = QGridLayout()
        middle.setHorizontalSpacing(16)
        middle.addLayout(left, 0, 0)
        middle.addLayout(right, 0, 1)
        middle.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(8)
        layout.addWidget(intro)
        layout.addLayout(controls)
        layout.addLayout(middle, 1)
        layout.addWidget(self.update_text)
        layout.addWidget(self.status)
        layout.addWidget(self.bound_text)

        self.perceptron = self.start = random_perceptron(len(INPUTS), 0)
        self.last: Presentation | None = None
        self.presentations = self.corrections = self.next_index = 0
        self.gamma: float | None = None
        self.gave_up = False  # "run until it separates" reached its bound without separating
        self._table_changed()
        self.random_button.clicked.connect(lambda: self.seed.setValue(self.seed.value() + 1))
        self.seed.valueChanged.connect(self.new_weights)
        self.eta.valueChanged.connect(lambda _v: self._restart(self.perceptron))
        self.present_button.clicked.connect(self.present_next)
        self.run_button.clicked.connect(self.run_until_separated)
        self.restore_button.clicked.connect(self.restore_table)
        self.model.edited.connect(self._table_changed)
        self.x_axis.currentIndexChanged.connect(lambda _i: self._axis_chosen(self.x_axis, self.y_axis))
        self.y_axis.currentIndexChanged.connect(lambda _i: self._axis_chosen(self.y_axis, self.x_axis))
        self.held.currentIndexChanged.connect(lambda _i: self.refresh())
        self._axes = self.axes
        self._fit_table()

    def _fit_table(self) -> None:
        """The table as wide as its columns: every column shows, with no scroll bar across."""
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        header.resizeSection(SAYS, self.table.fontMetrics().horizontalAdvance("stay ✗") + 18)
        scroll = self.table.verticalScrollBar().sizeHint().width()
        self.table.setFixedWidth(header.length() + self.table.verticalHeader().sizeHint().width()
                                 + 2 * self.table.frameWidth() + scroll)

    # ------------------------------------------------------------------ state
    @property
    def axes(self) -> tuple[int, int]:
        return self.x_axis.currentIndex(), self.y_axis.currentIndex()

    @property
    def held_values(self) -> np.ndarray:
        """The value of each input in the line's equation (those on the axes are not used)."""
        choice = self.held.currentIndex()
        if choice == 0:
            return self.model.X.mean(axis=0)
        return np.full(len(INPUTS), float(HELD[choice]))

    @property
    def rows_right(self) -> int:
        return int((self.perceptron.outputs(self.model.X) == self.model.t).sum())

    @property
    def separated(self) -> bool:
        return self.rows_right == len(self.model.t)

    @property
    def bound(self) -> int:
        """Presentations "run until it separates" may make in all since the count started: n·(the
        theorem's corrections + 1) when a separator is known, else the stated cap."""
        if self.gamma is None:
            return self.presentations + NOT_SEPARABLE_CAP
        return len(self.model.X) * (int(self._corrections_bound()) + 1)

    def _corrections_bound(self) -> float:
        return correction_bound(self.model.X, self.model.t, self.start, self.eta.value(), self.gamma)

    # ------------------------------------------------------------------ actions
    def new_weights(self) -> None:
        """Weights and bias drawn afresh with the seed shown."""
        self._restart(random_perceptron(len(INPUTS), self.seed.value()))

    def present_next(self) -> None:
        k = self.next_index
        self.last = present(self.perceptron, self.model.X[k], int(self.model.t[k]), self.eta.value(), k)
        self.perceptron = self.last.after
        self.presentations += 1
        self.corrections += self.last.error != 0
        self.next_index = (k + 1) % len(self.model.X)
        self.gave_up = False
        self.refresh()

    def run_until_separated(self) -> None:
        run = train_until_separated(self.perceptron, self.model.X, self.model.t, self.eta.value(),
                                    self.next_index, max(self.bound - self.presentations, 0))
        self.perceptron, self.next_index = run.final, run.next_index
        self.presentations += run.presentations
        self.corrections += run.corrections
        self.last = run.last or self.last
        self.gave_up = not run.separated
        self.refresh()

    def restore_table(self) -> None:
        self.model.set_table(*cricket_table())
        self._table_changed()

    def _table_changed(self) -> None:
        separator = widest_separator(self.model.X, self.model.t)
        gamma = margin(self.model.X, self.model.t, separator) if separator is not None else 0.0
        self.gamma = gamma if gamma > 0 else None
        self._restart(self.perceptron)

    def _restart(self, start: Perceptron) -> None:
        self.perceptron = self.start = start
        self.last = None
        self.presentations = self.corrections = self.next_index = 0
        self.gave_up = False
        self.refresh()

    def _axis_chosen(self, changed: QComboBox, other: QComboBox) -> None:
        if changed.currentIndex() == other.currentIndex():  # the same input twice: swap them
            was = other.blockSignals(True)
            other.setCurrentIndex(self._axes[1] if changed is self.y_axis else self._axes[0])
            other.blockSignals(was)
        self._axes = self.axes
        self.refresh()

    # ------------------------------------------------------------------ drawing
    def refresh(self) -> None:
        p, X, t = self.perceptron, self.model.X, self.model.t
        presented = self.last.index if self.last is not None else None
        self.model.show_outputs(p.outputs(X), presented)
        if presented is not None:
            self.table.selectRow(presented)
        else:
            self.table.clearSelection()
        self.weights_label.setText(f"weights now: w = {vector(p.weights)}, b = {number(p.bias)}")
        self.plot.draw(p, X, t, self.axes, self.held_values, presented)
        self._caption()
        self.update_text.setText(self._update_html())
        self._status()

    def _caption(self) -> None:
        c = self.colours
        others = [k for k in range(len(INPUTS)) if k not in self.axes]
        held = self.held_values
        how = "their means over the table" if self.held.currentIndex() == 0 else "the same value"
        self.caption.setText(
            f"<span style='color:{c.class_colour(1).name()}'>●</span> go "
            f"<span style='color:{c.class_colour(0).name()}'>●</span> stay &nbsp;✗ wrong now "
            f"&nbsp;◯ just presented. The line is w·x + b = 0 with "
            + " and ".join(f"{INPUTS[k]} = {number(held[k])}" for k in others)
            + f" ({how}); the tint shows which side says go.")

    def _update_html(self) -> str:
        last, muted = self.last, self.colours.muted.name()
        if last is None:
            return (f"<span style='color:{muted}'>No instance presented yet: press "
                    "<b>Present next instance</b> to show it row 1.</span>")
        net = float(last.before.net(np.array(last.x)))
        verdict = ("<b>right</b>: t − y = 0, nothing changes" if last.error == 0 else
                   f"<b>wrong</b>: t − y = {last.target} − {last.output} = "
                   f"{'+1' if last.error > 0 else '−1'}, the weights move "
                   f"{'toward' if last.error > 0 else 'away from'} this row")
        head = (f"Presentation {self.presentations}: row {last.index + 1} x = {vector(last.x)}, "
                f"label {CLASSES[last.target]} (t = {last.target}); w·x + b = {number(net)} "
                f"{'≥' if net >= 0 else '&lt;'} 0, so it says {CLASSES[last.output]} (y = {last.output}): "
                f"{verdict}.")
        step = [last.eta * last.error * v for v in (*last.x, 1.0)]
        rows = (("w before", (*last.before.weights, last.before.bias)),
                (f"+ η·(t − y)·x = {number(last.eta)}·({number(last.error)})·x", step),
                ("w after", (*last.after.weights, last.after.bias)))
        cell = "style='padding: 1px 10px; text-align: right'"
        table = ("<table cellspacing='0'><tr><td></td>"
                 + "".join(f"<td {cell}><span style='color:{muted}'>{n}</span></td>"
                           for n in (*INPUTS, "bias b"))
                 + "</tr>"
                 + "".join(f"<tr><td style='padding-right: 8px'>{html.escape(label)}</td>"
                           + "".join(f"<td {cell}>{'<b>' if label == 'w after' else ''}{number(v)}"
                                     f"{'</b>' if label == 'w after' else ''}</td>" for v in values)
                           + "</tr>" for label, values in rows)
                 + "</table>")
        return f"{head}{table}"

    def _status(self) -> None:
        n, right = len(self.model.t), self.rows_right
        c = self.colours
        if self.separated:
            text = (f"<b style='color:{c.class_colour(1).name()}'>✓ It separates:</b> every row is "
                    f"right, after {self.presentations:,} presentations "
                    f"({self.corrections:,} corrections).")
        elif self.gave_up:
            text = (f"<b>✗ Not separated</b> after {self.presentations:,} presentations "
                    f"({self.corrections:,} corrections); {right} of {n} rows right.")
        else:
            text = (f"{self.presentations:,} presentations · {self.corrections:,} corrections · "
                    f"{right} of {n} rows right · next: row {self.next_index + 1}")
        self.status.setText(text)
        if self.gamma is None:
            bound = (f"No line (plane) splits this table that the search could find, as with XOR: "
                     f"“Run until it separates” gives up after {NOT_SEPARABLE_CAP:,} presentations.")
        else:
            k = self._corrections_bound()
            R2 = max(float(x @ x) + 1 for x in self.model.X)
            bound = ("The perceptron convergence theorem: from the weights the count started at, at "
                     f"most (R² + 2γ‖w₀‖/η)/γ² = {int(k):,} corrections (R² = {number(R2)}, widest "
                     f"margin γ ≈ {self.gamma:.3f}), so at most {self.bound:,} presentations in turn; "
                     "“Run until it separates” stops there.")
        self.bound_text.setText(f"<span style='color:{c.muted.name()}'>{bound}</span>")

    def restyle(self, colours: PlotColours) -> None:
        self.colours = colours
        self.model.restyle(colours)
        self.plot.restyle(colours)
        self.refresh()
