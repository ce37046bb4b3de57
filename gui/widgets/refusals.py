"""How a field refuses what a person typed, the same way everywhere: the reason in a small red note
beside the field (under it in a form, floating under it in a toolbar) and in its tooltip, the
field framed red while its text cannot be used, and all of it gone once a valid value is typed."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QBoxLayout, QFormLayout, QLabel, QLayout, QLineEdit, QToolBar, QToolTip, QWidget

from gui.widgets.theme import is_dark

INVALID_STYLE = "QLineEdit { border: 1px solid #d9534f; }"
NOTE_COLOUR, DARK_NOTE_COLOUR = "#b3261e", "#ff8a80"


def number_problem(text: str, low: float | None = None, high: float | None = None,
                   low_open: bool = False, optional: bool = False, whole: bool = False) -> str:
    """Why `text` cannot be the number a field asks for ('' when it can): not a number, not a whole
    one, too large to compute with, or out of the field's bounds."""
    stripped = text.strip().replace("\u2212", "-")
    if not stripped:
        return "" if optional else "a number is needed here"
    try:
        value = float(stripped)
    except ValueError:
        return f"'{stripped}' is not a number"
    if math.isnan(value):
        return f"'{stripped}' is not a number"
    if not math.isfinite(value):
        return f"{stripped} is too large to compute with"
    if whole and value != int(value):
        return f"{stripped} is not a whole number"
    if low is not None and (value < low or (low_open and value == low)):
        return f"{stripped} is too small: it must be {'more than' if low_open else 'at least'} {_bound(low)}"
    if high is not None and value > high:
        return f"{stripped} is too large: it must be at most {_bound(high)}"
    return ""


def _bound(value: float) -> str:
    """1000000 → '1,000,000', 0.5 → '0.5'."""
    return f"{int(value):,}" if value == int(value) and abs(value) < 1e15 else f"{value:g}"


def refusal(field: QWidget) -> str:
    """The reason `field` shows for the last value it refused ('' when none)."""
    note = getattr(field, "refusal_note", None)
    return note.text() if note is not None and not note.isHidden() else ""


def refuse(field: QWidget, reason: str) -> None:
    """Say next to `field` why the value typed there was refused: a small red note under it (beside
    it in a toolbar or a row) and the same words in its tooltip. The design keeps its value."""
    text = reason[:1].upper() + reason[1:]
    note = getattr(field, "refusal_note", None)
    if note is None:
        note = field.refusal_note = QLabel()
        note.setObjectName(f"{field.objectName()}.refused")
        note.setWordWrap(not isinstance(field.parentWidget(), QToolBar))
        field.tip_before_refusal = field.toolTip()
        field.destroyed.connect(note.deleteLater)
        _place_note(field, note)
    note.setStyleSheet(f"color: {DARK_NOTE_COLOUR if is_dark() else NOTE_COLOUR}; font-size: small;")
    note.setText(text)
    _show_note(field, note, True)
    tip = getattr(field, "tip_before_refusal", "")
    field.setToolTip(f"{text}\n\n{tip}" if tip else text)
    if field.isVisible():
        QToolTip.showText(field.mapToGlobal(field.rect().bottomLeft()), text, field)


def clear_refusal(field: QWidget) -> None:
    """The value shown is good again: no note, the field's own tooltip."""
    note = getattr(field, "refusal_note", None)
    if note is not None and not note.isHidden():
        _show_note(field, note, False)
        field.setToolTip(getattr(field, "tip_before_refusal", ""))


def mark_invalid(field: QWidget, invalid: bool) -> None:
    """A red frame round the text of a field while what is typed there cannot be taken."""
    edit = field if isinstance(field, QLineEdit) else getattr(field, "lineEdit", lambda: None)()
    if edit is not None:
        edit.setStyleSheet(INVALID_STYLE if invalid else "")


def _holding(layout: QLayout, widget: QWidget) -> QLayout | None:
    """The layout, `layout` or one nested in it, that holds `widget` directly."""
    if layout.indexOf(widget) >= 0:
        return layout
    for i in range(layout.count()):
        inner = layout.itemAt(i).layout()
        found = _holding(inner, widget) if inner is not None else None
        if found is not None:
            return found
    return None


def _place_note(field: QWidget, note: QLabel) -> None:
    parent = field.parentWidget()
    if isinstance(parent, QToolBar):  # a full toolbar has no room: a label just under the field
        note.setParent(field.window())
        note.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        note.floating = True
        return
    layout = _holding(parent.layout(), field) if parent is not None and parent.layout() else None
    if isinstance(layout, QFormLayout):
        row, _role = layout.getWidgetPosition(field)
        layout.insertRow(row + 1, note)
    elif isinstance(layout, QBoxLayout):
        layout.insertWidget(layout.indexOf(field) + 1, note)
    else:
        note.setParent(field)  # nowhere to put it: the tooltip says it
        note.resize(0, 0)


def _show_note(field: QWidget, note: QLabel, shown: bool) -> None:
    if getattr(note, "floating", False):
        if shown:
            base = "palette(window)"
            note.setStyleSheet(note.styleSheet() + f" background: {base}; border: 1px solid "
                               "#d9534f; border-radius: 3px; padding: 2px 6px;")
            note.adjustSize()
            window = note.parentWidget()
            place = field.mapTo(window, field.rect().bottomLeft())
            place.setX(max(0, min(place.x(), window.width() - note.width())))
            note.move(place.x(), place.y() + 2)
            note.raise_()
        note.setVisible(shown)
        return
    parent = field.parentWidget()
    layout = _holding(parent.layout(), note) if parent is not None and parent.layout() else None
    if isinstance(layout, QFormLayout):
        layout.setRowVisible(note, shown)
    note.setVisible(shown)
