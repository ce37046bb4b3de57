"""Field widgets: each shows one value, says `edited(value)` only on a person's edit (the inspector's
and the data panel's forms are made of them)."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from core.design import registry
from core.training.probes import activation_values
from gui.widgets.refusals import clear_refusal, mark_invalid, number_problem, refuse

ICON_SIZE = QSize(48, 24)


def humanize(name: str) -> str:
    """'use_bias' → 'Use bias'."""
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def format_number(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


class NumberEdit(QLineEdit):
    """A text field for one number, written as 0.001 or 1e-3; empty means None when `optional`.

    Anything may be typed; what cannot be taken (not a number, out of bounds) is framed red while
    typed and refused on Return or on leaving: the field shows the design's value again and a red
    note beside it says what was refused and why, until a good value is typed."""

    edited = Signal(object)  # float, or None when optional and emptied

    def __init__(self, optional: bool = False, low: float | None = None, high: float | None = None,
                 low_open: bool = False, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.optional, self.low, self.high, self.low_open = optional, low, high, low_open
        self._shown = ""
        self.setPlaceholderText(placeholder)
        self.editingFinished.connect(self._commit)
        self.textChanged.connect(self._mark)

    def problem(self, text: str | None = None) -> str:
        """Why the text (the typed one by default) cannot be taken; '' when it can."""
        return number_problem(self.text() if text is None else text, self.low, self.high,
                              self.low_open, self.optional)

    def accepts(self, value: float) -> bool:
        return not self.problem(repr(value))

    def set_value(self, value: float | None) -> None:
        shown = format_number(value)
        if shown == self._shown and self.hasFocus():
            return  # unchanged in the design: leave alone what the person is typing
        if shown != self._shown:
            clear_refusal(self)  # the design moved on (an undo, another value): nothing refused
        self._shown = shown
        if self.text() != self._shown and not (self.hasFocus() and self._same_number()):
            with QSignalBlocker(self):
                self.setText(self._shown)
            self._mark()

    def value(self) -> float | None:
        text = self.text().strip().replace("\u2212", "-")
        return float(text) if text else None

    def _same_number(self) -> bool:
        """While typing, '1e-3' and the shown '0.001' are the same: leave the person's text alone."""
        if self.problem():
            return False
        return self.value() == self._number(self._shown)

    @staticmethod
    def _number(text: str) -> float | None:
        return float(text) if text else None

    def _commit(self) -> None:
        reason = self.problem()
        if reason:
            self._refuse(reason)
            return
        if self._same_number():
            return
        value = self.value()
        self._shown = format_number(value)
        self.edited.emit(value)

    def _refuse(self, reason: str) -> None:
        refuse(self, f"{reason} (kept {self._shown})" if self._shown else f"{reason} (left unset)")
        with QSignalBlocker(self):
            self.setText(self._shown)  # the design's value, never half-typed text
        mark_invalid(self, False)

    def _mark(self) -> None:
        invalid = bool(self.problem())
        mark_invalid(self, invalid)
        if not invalid:
            clear_refusal(self)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if event.key() == Qt.Key.Key_Escape:
            self.setText(self._shown)
            return
        super().keyPressEvent(event)


class _Refusing:
    """For spin boxes: anything may be typed (no keystroke is swallowed, no value silently clamped);
    a text that cannot be taken is refused on Return or on leaving, with the reason beside the box."""

    whole = False

    def _setup_refusal(self) -> None:
        self.lineEdit().textChanged.connect(self._mark)

    def problem(self, text: str | None = None) -> str:
        text = self.lineEdit().text() if text is None else text
        special = self.specialValueText()
        if special and text.strip() == special:
            return ""
        reason = number_problem(text, self.minimum(), self.maximum(), whole=self.whole)
        if reason or super().validate(text, 0)[0] == QValidator.State.Acceptable:
            return reason
        stripped = text.strip()
        decimals = self.decimals() if isinstance(self, QDoubleSpinBox) else 0
        if "." in stripped and len(stripped.partition(".")[2].rstrip("0")) > decimals:
            return f"{stripped} has more than {decimals} decimals"
        return f"'{stripped}' is not written as this box reads numbers"

    def validate(self, text: str, pos: int):  # Qt override: nothing typed is Invalid
        ok = not self.problem(text)
        return QValidator.State.Acceptable if ok else QValidator.State.Intermediate, text, pos

    def _mark(self, _text: str = "") -> None:
        invalid = bool(self.problem())
        mark_invalid(self, invalid)
        if not invalid:
            clear_refusal(self)

    def _check(self) -> bool:
        """Refuse what is typed, if it cannot be taken; whether it was refused."""
        reason = self.problem()
        if not reason:
            return False
        kept = self.specialValueText() if self.special_shown() else f"{self.value():,g}"
        refuse(self, f"{reason} (kept {kept})")
        with QSignalBlocker(self.lineEdit()):
            self.lineEdit().setText(self.specialValueText() if self.special_shown()
                                    else self.textFromValue(self.value()))
        mark_invalid(self, False)
        return True

    def special_shown(self) -> bool:
        return bool(self.specialValueText()) and self.value() == self.minimum()

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._check():
            event.accept()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self._check()
        super().focusOutEvent(event)


class IntField(_Refusing, QSpinBox):
    """A whole number; sends `edited` on Return, focus loss or an arrow step, not per keystroke."""

    edited = Signal(object)
    whole = True

    def __init__(self, low: float | None = None, high: float | None = None, special: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(int(low) if low is not None else -(2**31 - 1),
                      int(min(high, 2**31 - 1)) if high is not None else 2**31 - 1)
        self.setKeyboardTracking(False)
        self.setSpecialValueText(special)
        self.valueChanged.connect(lambda v: self.edited.emit(int(v)))
        self._setup_refusal()

    def set_value(self, value: Any) -> None:
        if not isinstance(value, int | float) or (self.hasFocus() and int(value) == self.value()):
            return  # not a number (validation says so), or what the person is typing
        if int(value) != self.value():
            clear_refusal(self)
        with QSignalBlocker(self):
            self.setValue(int(value))


class FloatField(_Refusing, QDoubleSpinBox):
    """A number in a fixed range, stepped with the arrows."""

    edited = Signal(object)

    def __init__(self, low: float, high: float, decimals: int = 3, step: float | None = None,
                 special: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(decimals)
        self.setRange(low, high)
        self.setSingleStep(step if step is not None else _nice_step(high - low))
        self.setKeyboardTracking(False)
        self.setSpecialValueText(special)
        self.valueChanged.connect(lambda v: self.edited.emit(float(v)))
        self._setup_refusal()

    def set_value(self, value: Any) -> None:
        if not isinstance(value, int | float) or (
                self.hasFocus() and abs(float(value) - self.value()) < 0.5 * 10 ** -self.decimals()):
            return
        if abs(float(value) - self.value()) >= 0.5 * 10 ** -self.decimals():
            clear_refusal(self)
        with QSignalBlocker(self):
            self.setValue(float(value))


class BoolField(QCheckBox):
    edited = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggled.connect(lambda on: self.edited.emit(bool(on)))

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self):
            self.setChecked(bool(value))


class TextField(QLineEdit):
    """Free text, sent when the person presses Return or leaves the field."""

    edited = Signal(object)

    def __init__(self, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._shown = ""
        self.setPlaceholderText(placeholder)
        self.editingFinished.connect(self._commit)

    def set_value(self, value: Any) -> None:
        shown = "" if value is None else str(value)
        if shown == self._shown and self.hasFocus():
            return
        self._shown = shown
        if self.text() != self._shown:
            with QSignalBlocker(self):
                self.setText(self._shown)

    def _commit(self) -> None:
        text = self.text().strip()
        if text != self._shown:
            self._shown = text
            self.edited.emit(text)


class ChoiceField(QComboBox):
    """A choice among ids, each shown with its own text, tooltip and optional icon."""

    edited = Signal(object)

    def __init__(self, items: Iterable[tuple[str, str, str, QIcon | None]] = (),
                 editable: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(editable)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(8)
        if editable:
            self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            self.lineEdit().editingFinished.connect(self._typed)
        self.set_items(items)
        self.currentIndexChanged.connect(self._chosen)

    def set_items(self, items: Iterable[tuple[str, str, str, QIcon | None]]) -> None:
        current = self.value()
        with QSignalBlocker(self):
            self.clear()
            for key, text, tip, icon in items:
                if icon is None:
                    self.addItem(text, key)
                else:
                    self.addItem(icon, text, key)
                self.setItemData(self.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        if current is not None:
            self.set_value(current)

    def value(self) -> str | None:
        if self.isEditable():
            index = self.findText(self.currentText())
            return self.itemData(index) if index >= 0 else self.currentText().strip()
        return self.currentData()

    def set_value(self, value: Any) -> None:
        if self.isEditable() and self.hasFocus() and self.value() == value:
            return
        with QSignalBlocker(self):
            index = self.findData(value)
            if index < 0 and self.isEditable():
                self.setEditText(str(value))
            else:
                self.setCurrentIndex(index)
        self.setToolTip(self.itemData(self.currentIndex(), Qt.ItemDataRole.ToolTipRole) or "")

    def _chosen(self, index: int) -> None:
        if index >= 0:
            self.setToolTip(self.itemData(index, Qt.ItemDataRole.ToolTipRole) or "")
            self.edited.emit(self.itemData(index))

    def _typed(self) -> None:
        text = self.currentText().strip()
        index = self.findText(text)
        self.edited.emit(self.itemData(index) if index >= 0 else text)


def activation_field() -> ChoiceField:
    """Every registered activation, each with a small plot of its curve."""
    combo = ChoiceField(
        (key, act.label, f"{act.formula}\n{act.notes}", activation_icon(key))
        for key, act in registry.activations.items()
    )
    combo.setIconSize(ICON_SIZE)
    return combo


def initializer_field() -> ChoiceField:
    items = [("auto", "auto", "He for the ReLU family, Glorot for the rest", None)]
    for key, function in registry.initializers.items():
        tip = (function.__doc__ or "").strip().splitlines()[0] if function.__doc__ else ""
        items.append((key, key.replace("_", " "), tip, None))
    return ChoiceField(items)


def feature_field(features: Sequence[tuple[str, str]]) -> ChoiceField:
    """An editable choice of input features: (feature expression, shown text) pairs."""
    field = ChoiceField(((f, shown, f, None) for f, shown in features), editable=True)
    field.lineEdit().setPlaceholderText("x1, x1^2, x1*x2, sin(x1) or a column")
    return field


def field_for(spec: Any, features: Sequence[tuple[str, str]] = ()) -> QWidget:
    """The field for one ParamSpec (a block's or a data set's): its kind, range and choices."""
    kind, low, high = spec.kind, spec.low, spec.high
    choices = getattr(spec, "choices", ())
    if choices:
        widget: QWidget = ChoiceField((str(c), str(c), "", None) for c in choices)
    elif kind == "int":
        widget = IntField(low, high)
    elif kind == "float" and low is not None and high is not None and high - low <= 1000:
        widget = FloatField(low, high, decimals=3)
    elif kind in ("float", "float?"):
        widget = NumberEdit(optional=kind == "float?", low=low, high=high,
                            placeholder="not set" if kind == "float?" else "")
    elif kind == "bool":
        widget = BoolField()
    elif kind == "activation":
        widget = activation_field()
    elif kind == "initializer":
        widget = initializer_field()
    elif spec.name == "feature":
        widget = feature_field(features)
    else:
        widget = TextField()
    widget.setToolTip(spec.description)
    return widget


class RowGroup:
    """Rows of a QFormLayout just below an anchor widget, replaced all together."""

    def __init__(self, form: QFormLayout, anchor: QWidget) -> None:
        self.form, self.anchor = form, anchor
        self.widgets: list[QWidget] = []
        self.key: Any = object()

    def replace(self, key: Any, rows: Sequence[tuple[str, QWidget]]) -> None:
        for widget in self.widgets:
            note = getattr(widget, "refusal_note", None)
            if note is not None and self.form.indexOf(note) >= 0:
                self.form.removeRow(note)  # a refusal said under a field goes with it
            self.form.removeRow(widget)
        row, _role = self.form.getWidgetPosition(self.anchor)
        for i, (label, widget) in enumerate(rows):
            self.form.insertRow(row + 1 + i, label, widget)
        self.widgets = [widget for _label, widget in rows]
        self.key = key


def number_field_for(default: Any, low: float | None = None, high: float | None = None) -> QWidget:
    """A field for a setting known only by its default (optimizer and schedule settings)."""
    if isinstance(default, int) and not isinstance(default, bool):
        return IntField(low if low is not None else 0, high)
    return NumberEdit(low=low, high=high)


@functools.cache
def activation_icon(name: str) -> QIcon:
    """A 48×24 plot of the activation over z in [−3, 3], with the axes in grey."""
    z = np.linspace(-3.0, 3.0, 121)
    y = activation_values(name, z)  # the engine's values (softmax: the first of two classes)
    lo, hi = min(float(y.min()), 0.0), max(float(y.max()), 0.0)
    if hi - lo < 1e-9:
        hi = lo + 1.0
    ratio, w, h, pad = 2.0, ICON_SIZE.width(), ICON_SIZE.height(), 2.0
    pixmap = QPixmap(int(w * ratio), int(h * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)

    def point(zi: float, yi: float) -> tuple[float, float]:
        return (pad + (zi + 3.0) / 6.0 * (w - 2 * pad), h - pad - (yi - lo) / (hi - lo) * (h - 2 * pad))

    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(150, 150, 150, 160), 1.0))
    x0, y0 = point(0.0, 0.0)
    painter.drawLine(int(pad), round(y0), int(w - pad), round(y0))
    painter.drawLine(round(x0), int(pad), round(x0), int(h - pad))
    path = QPainterPath()
    path.moveTo(*point(z[0], y[0]))
    for zi, yi in zip(z[1:], y[1:], strict=True):
        path.lineTo(*point(zi, yi))
    painter.setPen(QPen(QColor(33, 118, 210), 1.8))
    painter.drawPath(path)
    painter.end()
    return QIcon(pixmap)


def _nice_step(span: float) -> float:
    """A round step of about a fiftieth of the range, at most 0.1: 0.01 for [0, 1]."""
    if span <= 0 or not math.isfinite(span):
        return 0.1
    return min(0.1, 10.0 ** math.floor(math.log10(span / 50.0) + 1e-9))
