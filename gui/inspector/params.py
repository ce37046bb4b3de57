"""A form generated from a block kind's ParamSpecs, so that every registered kind gets its editor."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from PySide6.QtWidgets import QFormLayout, QWidget

from core.design import registry
from gui.inspector.mixed import show_mixed
from gui.widgets.fields import FloatField, NumberEdit, RowGroup, field_for, humanize

ACTIVATION_PARAMS = "activation_params"


class ParamForm:
    """Rows in a QFormLayout, one per parameter of `kind`; an edit calls `commit(**changes)`.

    The "activation_params" dict becomes one spin box per setting of the chosen activation
    (slope, alpha…), rebuilt when the activation changes; choosing another activation
    resets those settings in the same change, so that it stays one undo step.
    """

    def __init__(self, form: QFormLayout, kind: Any, commit: Callable[..., None],
                 features: Sequence[tuple[str, str]] = (),
                 commit_setting: Callable[[str, Any], None] | None = None) -> None:
        self.form, self.kind, self.commit = form, kind, commit
        self.commit_setting = commit_setting or self._commit_setting
        self.fields: dict[str, QWidget] = {}
        self.activation_fields: dict[str, QWidget] = {}
        self.params: Mapping[str, Any] = {}
        self.mixed: frozenset[str] = frozenset()
        names = {spec.name for spec in kind.params}
        self._activation_rows: RowGroup | None = None
        for spec in kind.params:
            if spec.kind == "dict" and spec.name == ACTIVATION_PARAMS:
                continue
            field = field_for(spec, features)
            field.setObjectName(spec.name)
            field.edited.connect(lambda value, name=spec.name: self._edited(name, value))
            form.addRow(humanize(spec.name), field)
            self.fields[spec.name] = field
            if spec.kind == "activation" and ACTIVATION_PARAMS in names:
                self._activation_rows = RowGroup(form, field)

    def refresh(self, params: Mapping[str, Any], mixed: Iterable[str] = ()) -> None:
        """Show `params` without sending anything back; the names in `mixed` (several nodes that
        differ there: "bias", "activation_params.slope") show as mixed instead."""
        self.params, self.mixed = params, frozenset(mixed)
        for name, field in self.fields.items():
            show_mixed(field, name in self.mixed)
            if name in params and name not in self.mixed:
                field.set_value(params[name])
        if self._activation_rows is not None:
            self._show_activation_params(params)

    def _show_activation_params(self, params: Mapping[str, Any]) -> None:
        name = None if "activation" in self.mixed else params.get("activation")
        if name not in registry.activations:
            self._activation_rows.replace(None, [])
            self.activation_fields = {}
            return
        activation = registry.activations.get(name)
        if self._activation_rows.key != name:
            rows = []
            self.activation_fields = {}
            for key in activation.defaults:
                field = _activation_setting_field(activation, key)
                field.setObjectName(f"{ACTIVATION_PARAMS}.{key}")
                field.edited.connect(lambda value, key=key: self.commit_setting(key, value))
                self.activation_fields[key] = field
                rows.append((humanize(key), field))
            self._activation_rows.replace(name, rows)
        own = params.get(ACTIVATION_PARAMS) or {}
        for key, field in self.activation_fields.items():
            mixed = f"{ACTIVATION_PARAMS}.{key}" in self.mixed
            show_mixed(field, mixed)
            if not mixed:
                field.set_value(own.get(key, activation.defaults[key]))

    def _edited(self, name: str, value: Any) -> None:
        if name == "activation" and self._activation_rows is not None:
            self.commit(text="Change activation", activation=value, activation_params={})
        else:
            self.commit(text=f"Change {humanize(name).lower()}", **{name: value})

    def _commit_setting(self, key: str, value: Any) -> None:
        """One setting of the activation changed: the node's settings with it, as one change."""
        own = dict(self.params.get(ACTIVATION_PARAMS) or {})
        own[key] = value
        self.commit(text=f"Change {key}", activation_params=own)


def _activation_setting_field(activation: Any, key: str) -> QWidget:
    low, high = activation.limits.get(key, (-1000.0, 1000.0))
    if high - low <= 1000:
        field: QWidget = FloatField(low, high, decimals=3)
    else:
        field = NumberEdit(low=low, high=high)
    learned = " (learned in training)" if key in activation.learnable else ""
    field.setToolTip(f"{activation.label}: {key} in [{low:g}, {high:g}]{learned}\n{activation.formula}")
    return field
