"""The loss landscape's column of controls: the two weights, the wires selected on the canvas, the
grid's span, Recompute here, Clear path, what the numbers are, and the notes for the person."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyleOptionComboBox,
    QVBoxLayout,
    QWidget,
)

from core.training.landscape import SPAN
from gui.learn.landscape.weights import WeightListModel

NOTE = ("Learning rate: too small crawls, too large bounces out — try 0.001 and 5 on xor "
        "(Reset between the runs).")
SLICE = ("The surface is a slice through the loss: every other weight stays where it was when it "
         "was computed. Recompute here takes them all as they are now.")
WIDTH = 236  # the column's width (wider where a weight's name needs it): the plots take the rest
MAX_NAME_WIDTH = 420  # a weight box grows to its widest name up to this; its list's tips say more
HINT_STYLE = "color: palette(placeholder-text);"


class LandscapeControls(QWidget):
    """Widgets only: the panel connects them and fills them."""

    def __init__(self, model: WeightListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedWidth(WIDTH)
        self.x_combo = self._weight_combo(model, "The weight along the x axis")
        self.y_combo = self._weight_combo(model, "The weight along the y axis")
        self.use_selected = QPushButton("Use the two selected wires")
        self.use_selected.setToolTip("Select two wires on the canvas (click one, Shift-click the "
                                     "other), then press this to see the loss over their weights")
        self.span = QDoubleSpinBox()
        self.span.setObjectName("landscape_span")
        self.span.setPrefix("± ")
        self.span.setDecimals(2)
        self.span.setRange(0.01, 1000.0)
        self.span.setSingleStep(0.5)
        self.span.setValue(SPAN)
        self.span.setKeyboardTracking(False)
        self.span.setToolTip("How far the grid reaches either side of the weights' values now")
        self.recompute = QPushButton("Recompute here")
        self.recompute.setToolTip(SLICE)
        self.clear_path = QPushButton("Clear path")
        self.clear_path.setToolTip("Forget the path so far; it starts again from here")
        self.status = QLabel()
        self.status.setObjectName("landscape_status")
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.gl_note = self._hint("")
        self.gl_note.setObjectName("landscape_gl_note")
        self.note = self._hint(NOTE)
        self.note.setObjectName("landscape_note")
        self.note.setToolTip(SLICE)

        self.form = form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(6)
        form.setVerticalSpacing(4)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("x", self.x_combo)
        form.addRow("y", self.y_combo)
        form.addRow("", self.use_selected)
        form.addRow("span", self.span)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.recompute)
        buttons.addWidget(self.clear_path)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 4, 6)
        layout.setSpacing(6)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addWidget(self.gl_note)
        layout.addWidget(self.note)

    def fit_names(self, names: list[str]) -> None:
        """The two weight boxes as wide as the widest of `names` (the column grows with them)."""
        combo = self.x_combo
        text = max((combo.fontMetrics().horizontalAdvance(n) for n in names), default=0)
        option = QStyleOptionComboBox()
        combo.initStyleOption(option)
        need = combo.style().sizeFromContents(QStyle.ContentsType.CT_ComboBox, option,
                                              QSize(text, combo.fontMetrics().height()), combo)
        width = min(need.width() + 2, MAX_NAME_WIDTH)
        for box in (self.x_combo, self.y_combo):
            box.setMinimumWidth(width)
            box.view().setMinimumWidth(max(WIDTH, width))
        self.form.invalidate()  # the boxes' new least widths count now, not at the next pass
        self.layout().invalidate()
        self.setFixedWidth(max(WIDTH, self.layout().totalMinimumSize().width()))

    @staticmethod
    def _weight_combo(model: WeightListModel, tip: str) -> QComboBox:
        combo = QComboBox()
        combo.setModel(model)
        combo.setToolTip(tip)
        # rows are named only when drawn: never size the box by its thousands of rows
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(10)
        combo.view().setUniformItemSizes(True)
        combo.view().setMinimumWidth(WIDTH)
        combo.setMaxVisibleItems(20)
        return combo

    @staticmethod
    def _hint(text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setStyleSheet(HINT_STYLE)
        label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
        return label


def too_few(count: int) -> str:
    have = "no weights" if count == 0 else "only one weight"
    return (f"The loss landscape varies two weights and draws the loss over them. This design has "
            f"{have}: wire an input to a neuron (each wire carries a weight) and there is "
            f"something to see.")


def cannot_build(problem) -> str:
    return (f"The loss landscape appears once the design can be built. First: {problem} "
            f"(the Problems panel lists them all).")


def rows_text(landscape) -> str:
    """Which training rows the loss is measured on."""
    if landscape is None:
        return ""
    if landscape.sampled:
        return (f"Loss on a fixed sample of {landscape.rows_used:,} of the "
                f"{landscape.rows_total:,} training samples.")
    return f"Loss on all {landscape.rows_total:,} training samples."


def loss_text(landscape, surface, point, moved: bool = False) -> str:
    """The rows, then the loss at the marked point and the lowest on the grid (and whether the
    other weights have `moved` since the slice was computed)."""
    lines = [rows_text(landscape)]
    if surface is not None and np.isfinite(surface.loss).any():
        low = float(surface.loss[np.isfinite(surface.loss)].min())
        here = f"here {surface.at(*point):.4g}, " if point is not None and surface.contains(*point) \
            else "the point is off the grid, "
        lines.append(f"{here}lowest on the grid {low:.4g}.".capitalize())
        if moved:
            lines.append("The other weights have moved since: Recompute here for the slice "
                         "through them now.")
    return "\n".join(lines)
