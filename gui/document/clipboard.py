"""What Edit → Paste takes from the clipboard: nodes as Edit → Copy wrote them, checked whole
before any is added (another program, or another version, may have put anything there); and
letting go of the clipboard before Qt goes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError
from PySide6.QtWidgets import QApplication

from core.design import registry
from core.design.design import Connection, Node
from core.design.errors import shown
from core.files.json_values import schema_problems, value_problems
from core.files.schema import FiniteFloat, Id, Name, NodeModel
from gui.document import commands

CLIPBOARD_MIME = "application/x-neuralcanvas-nodes"


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


class ClipboardEdits:
    """Document's Copy and Paste: the chosen nodes as plain data, and copies of such data added as
    one undo step. A part of Document (gui/document/document.py): it uses `design`, `push` and
    `undo_stack`."""

    def copy_data(self, node_ids: Iterable[str]) -> dict[str, Any]:
        """The nodes and the wires among them, as plain data for the clipboard."""
        chosen = set(node_ids)
        ids = [n for n in self.design.nodes if n in chosen]  # design order: the outputs' order
        nodes = [self.design.nodes[n] for n in ids]
        wires = [c for c in self.design.connections.values()
                 if c.source in chosen and c.target in chosen]
        return {
            "nodes": [{"id": n.id, "kind": n.kind, "params": _plain(n.params),
                       "position": list(n.position), "label": n.label} for n in nodes],
            "connections": [{"source": c.source, "target": c.target, "weight": c.weight}
                            for c in wires],
            "weights": {n: {k: v.tolist() for k, v in self.design.parameters.get(n, {}).items()}
                        for n in ids if n in self.design.parameters},
        }

    def paste_data(self, data: Mapping[str, Any], offset: tuple[float, float] = (40.0, 40.0)
                   ) -> list[str]:
        """Add copies of clipboard nodes (new ids, shifted by offset); returns the new ids."""
        mapping: dict[str, str] = {}
        self.undo_stack.beginMacro("Paste")
        try:
            for raw in data.get("nodes", []):
                kind = raw["kind"]
                node = Node(self.design.new_id(kind[0]), kind, dict(raw["params"]),
                            (raw["position"][0] + offset[0], raw["position"][1] + offset[1]),
                            raw.get("label", ""))
                weights = data.get("weights", {}).get(raw["id"]) or {}
                arrays = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
                self.push(commands.AddNode(self.design, node, "Paste", arrays or None))
                mapping[raw["id"]] = node.id
            for raw in data.get("connections", []):
                if raw["source"] in mapping and raw["target"] in mapping:
                    conn = Connection(self.design.new_id("c"), mapping[raw["source"]],
                                      mapping[raw["target"]], raw.get("weight"))
                    self.push(commands.AddConnection(self.design, conn))
        finally:
            self.undo_stack.endMacro()
        return list(mapping.values())


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value))
