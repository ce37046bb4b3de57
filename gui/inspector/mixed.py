"""A field's mixed state, for several selected nodes whose values differ there: empty, saying
"mixed", sending nothing until the person sets a value (which then goes to every node)."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QCheckBox, QComboBox, QLineEdit, QWidget

from gui.widgets.refusals import refusal, refuse

MIXED = "mixed"
MIXED_CHOICE = "— mixed —"
MIXED_TIP = "The selected nodes differ here; a value set here goes to all of them."


def is_mixed(field: QWidget) -> bool:
    return bool(getattr(field, "mixed", False))


def show_mixed(field: QWidget, mixed: bool) -> None:
    """Show the field as mixed, or (`mixed` False) as a field that shows one value again: call it
    before the field's `set_value`, which then shows the nodes' common value."""
    if mixed == is_mixed(field):
        return
    if mixed:
        _remember(field)
        _empty(field)
    else:
        _restore(field)
    field.mixed = mixed


def _remember(field: QWidget) -> None:
    """What the mixed state changes, kept to be put back."""
    if not hasattr(field, "mixed_before"):
        field.mixed_before = {"tip": field.toolTip()}
        if isinstance(field, QLineEdit):
            field.mixed_before.update(placeholder=field.placeholderText(),
                                      optional=getattr(field, "optional", None))
            field.editingFinished.connect(lambda: _say_kept(field))
        elif isinstance(field, QAbstractSpinBox):
            field.mixed_before.update(special=field.specialValueText())
            field.lineEdit().textEdited.connect(lambda text: setattr(field, "typed", text))
            field.editingFinished.connect(lambda: _typed_minimum(field))
        elif isinstance(field, QCheckBox):
            field.clicked.connect(lambda: _clicked(field))
    field.setToolTip(f"{MIXED_TIP}\n\n{field.mixed_before['tip']}".strip())


def _empty(field: QWidget) -> None:
    with QSignalBlocker(field):
        if isinstance(field, QComboBox):
            field.setPlaceholderText(MIXED_CHOICE)
            field.setCurrentIndex(-1)
        elif isinstance(field, QLineEdit):
            if field.mixed_before["optional"] is not None:
                field.optional = True  # empty is "leave each as it is", never "a number is needed"
            field._shown = ""  # the field widgets' shown value: nothing typed is nothing sent
            field.setText("")
            field.setPlaceholderText(MIXED)
        elif isinstance(field, QAbstractSpinBox):
            field.setSpecialValueText(MIXED)  # shown at the minimum, which the box then holds
            field.setValue(field.minimum())
        elif isinstance(field, QCheckBox):
            field.setTristate(True)
            field.setCheckState(Qt.CheckState.PartiallyChecked)


def _restore(field: QWidget) -> None:
    before = field.mixed_before
    field.setToolTip(before["tip"])
    with QSignalBlocker(field):
        if isinstance(field, QLineEdit):
            field.setPlaceholderText(before["placeholder"])
            if before["optional"] is not None:
                field.optional = before["optional"]
        elif isinstance(field, QAbstractSpinBox):
            field.setSpecialValueText(before["special"])
        elif isinstance(field, QCheckBox):
            field.setTristate(False)


def _say_kept(field: QLineEdit) -> None:
    """A refused text in a mixed field: each node keeps its own value, as the note says."""
    said = refusal(field)
    if is_mixed(field) and said.endswith("(left unset)"):
        refuse(field, said.removesuffix("(left unset)") + "(each node keeps its own value)")


def _typed_minimum(field: QAbstractSpinBox) -> None:
    """The lowest value typed into a mixed box: the box held it already (and shows "mixed" for
    it again), so it says no change itself; say that it was chosen."""
    typed, field.typed = getattr(field, "typed", "").strip(), ""
    if is_mixed(field) and typed and not field.problem(typed) \
            and float(typed.replace("\u2212", "-")) == field.minimum():
        field.edited.emit(field.value())


def _clicked(field: QCheckBox) -> None:
    """A click on a mixed box sets it on every node (Qt goes from partly checked to checked
    without saying `toggled`)."""
    if is_mixed(field):
        with QSignalBlocker(field):
            field.setTristate(False)
            field.setChecked(True)
        field.edited.emit(True)
