"""What Edit → Paste takes from the clipboard: nodes as Edit → Copy wrote them, checked whole
before any is added (another program, or another version, may have put anything there); and
letting go of the clipboard before Qt goes."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError
from PySide6.QtWidgets import QApplication

from core.design import registry
from core.design.errors import shown
from core.files.schema import FiniteFloat, Id, Name, NodeModel, schema_problems, value_problems
from gui.document.document import CLIPBOARD_MIME


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    source: Id
    target: Id
    weight: FiniteFloat | None = None


class _Copied(BaseModel):
    """Document.copy_data's result: nodes, the wires among them, block weights as lists."""

    model_config = ConfigDict(extra="forbid", strict=True)

    nodes: list[NodeModel]
    connections: list[_Wire] = []
    weights: dict[Id, dict[Name, Any]] = {}


def read_clipboard(raw: bytes) -> tuple[dict | None, str]:
    """The copied nodes in the clipboard's bytes, or None and why they cannot be pasted."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # a UnicodeDecodeError is a ValueError too
        return None, "they are not JSON text"
    problems = value_problems(data)
    if not problems:
        try:
            copied = _Copied.model_validate(data)
        except ValidationError as exc:
            problems = schema_problems(exc)
        else:
            problems = [p for p in map(_kind_problem, copied.nodes) if p] + [
                f"the weights of {shown(nid)} are not arrays of numbers"
                for nid, arrays in copied.weights.items() if not all(map(_numbers, arrays.values()))]
    return (None, str(problems[0])) if problems else (data, "")


def _kind_problem(node: NodeModel) -> str:
    return "" if node.kind in registry.blocks else f"there is no kind of node {shown(node.kind)}"


def _numbers(value: Any) -> bool:
    try:
        return bool(np.isfinite(np.asarray(value, dtype=np.float32)).all())
    except (ValueError, TypeError, OverflowError):
        return False


def release_clipboard() -> None:
    """Let go of what Neural Canvas put on the clipboard before Qt goes: PySide 6.11 crashes at
    exit when the clipboard still holds data this process made and has read back."""
    if QApplication.instance() is None:  # no application, no clipboard of ours
        return
    clipboard = QApplication.clipboard()
    mime = clipboard.mimeData()
    if mime is not None and mime.hasFormat(CLIPBOARD_MIME):
        clipboard.clear()
