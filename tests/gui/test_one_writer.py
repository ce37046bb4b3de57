"""One writer of the design: only gui/document pushes undo commands or writes weights into the
design; a run's weights are the views' (the document's live weights) until the run's result is
taken, as one undo command."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from resources import EXAMPLES

GUI = Path(__file__).resolve().parents[2] / "gui"
DESIGN_EDITS = {  # core.design.design.Design's operations that change it
    "add_node", "insert_node", "remove_node", "move_node", "set_node_params", "rename_node",
    "add_connection", "insert_connection", "remove_connection", "set_weight", "set_dataset",
    "set_training", "restore_weights", "set_block_weights", "clear_weights",
    "reset_training_state"}
DESIGN_FIELDS = {"state", "initial_weights", "parameters", "nodes", "connections", "dataset",
                 "training"}


def _writes_outside_document() -> list[str]:
    """Every place in gui/ outside gui/document that imports the undo commands, pushes onto an
    undo stack, or edits a design in place (`….design.restore_weights(…)`, `design.state = …`)."""
    found = []
    for path in sorted(GUI.rglob("*.py")):
        if path.parent.name == "document":
            continue
        where = path.relative_to(GUI.parent)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (
                    node.module == "gui.document.commands" or node.module == "gui.document"
                    and any(a.name == "commands" for a in node.names)):
                found.append(f"{where}:{node.lineno} imports the undo commands")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                receiver = ast.unparse(node.func.value)
                if node.func.attr in ("push", "beginMacro", "endMacro") and (
                        "undo_stack" in receiver or receiver.endswith("document")):
                    found.append(f"{where}:{node.lineno} {receiver}.{node.func.attr}(…)")
                elif node.func.attr in DESIGN_EDITS and receiver.split(".")[-1] == "design":
                    found.append(f"{where}:{node.lineno} {receiver}.{node.func.attr}(…)")
            elif isinstance(node, ast.Assign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Attribute) and target.attr in DESIGN_FIELDS \
                            and ast.unparse(target.value).split(".")[-1] == "design":
                        found.append(f"{where}:{node.lineno} {ast.unparse(target)} = …")
    return found


def test_nothing_outside_the_document_pushes_commands_or_edits_the_design():
    assert _writes_outside_document() == []


def test_the_scan_finds_a_write_where_there_is_one(tmp_path, monkeypatch):
    """The scan above is not blind: a module that writes weights itself is named."""
    fake = tmp_path / "gui"
    (fake / "training").mkdir(parents=True)
    (fake / "training" / "rogue.py").write_text(
        "from gui.document.commands import SetWeightsAndState\n"
        "def f(self, w):\n"
        "    self.document.design.restore_weights(w)\n"
        "    self.document.design.state = None\n"
        "    self.document.undo_stack.push(SetWeightsAndState(None, (), (), ''))\n",
        encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "GUI", fake)
    lines = sorted(int(f.split(" ", 1)[0].rsplit(":", 1)[1]) for f in _writes_outside_document())
    assert lines == [1, 3, 4, 5]


@pytest.fixture
def xor_window(window):
    window.open_path(str(EXAMPLES / "xor.ncanvas"))
    window.document.set_training(target_accuracy=None, epochs=100000)
    window.document.undo_stack.setClean()
    yield window
    window.live.shutdown()


def _wires_drawn(scene) -> dict[str, float | None]:
    return {item.connection_id: item.record.weight for item in scene.connection_items()}


def test_a_run_shows_its_weights_without_writing_the_design_then_takes_them_as_one_command(
        xor_window, qtbot):
    window = xor_window
    document, controller, scene = window.document, window.live.controller, window.scene
    writes: list = []
    document.design.events.weights_changed.connect(lambda: writes.append("weights"))
    document.design.events.connection_changed.connect(lambda *_a: writes.append("wire"))
    window.live.bar.act_play.trigger()
    assert controller.running
    before = document.design.snapshot_weights()  # the seed's draw, filled in by Play
    commands, writes[:] = document.undo_stack.count(), []
    shown: list = []
    controller.weights_shown.connect(shown.append)
    qtbot.waitUntil(lambda: len(shown) >= 3 and shown[-1].epoch >= 2, timeout=30000)

    # mid-run: the canvas shows the run's weights, the design and its undo stack are as they were
    live = document.live_weights
    assert live is not None and live["connections"] != before["connections"]
    drawn = _wires_drawn(scene)
    assert drawn == {cid: live["connections"][cid] for cid in drawn}
    assert drawn != before["connections"]
    assert document.design.snapshot_weights()["connections"] == before["connections"]
    assert writes == [] and document.undo_stack.count() == commands and not document.dirty

    window.live.bar.act_play.trigger()  # Pause
    qtbot.waitUntil(lambda: not controller.running, timeout=30000)
    assert document.undo_stack.count() == commands + 1
    assert document.undo_stack.undoText().startswith("Train to epoch")
    assert document.live_weights is None  # the views show the design again: it has the weights
    trained = document.design.snapshot_weights()["connections"]
    assert trained != before["connections"] and _wires_drawn(scene) == trained
    assert document.design.state.step == controller.last.step > 0

    document.undo_stack.undo()  # the whole run is one step back
    assert document.design.snapshot_weights()["connections"] == before["connections"]
    assert document.design.state.step == 0 and _wires_drawn(scene) == before["connections"]


def test_closing_mid_run_keeps_what_was_learned_as_one_command(xor_window, qtbot):
    window = xor_window
    document, controller = window.document, window.live.controller
    window.live.bar.act_play.trigger()
    commands = document.undo_stack.count()
    qtbot.waitUntil(lambda: controller.last is not None and controller.last.epoch >= 2,
                    timeout=30000)
    assert document.undo_stack.count() == commands
    window.live.shutdown()  # what closing the window does first
    assert not controller.running and document.undo_stack.count() == commands + 1
    assert document.design.state.epoch >= 2 and document.live_weights is None


def test_one_step_and_reset_are_one_command_each_made_by_the_document(xor_window):
    window = xor_window
    document, controller = window.document, window.live.controller
    stack = document.undo_stack
    start = stack.count()
    assert controller.step_once()
    assert stack.count() == start + 1 and stack.undoText() == "One step"
    assert document.design.state.step == 1 and document.live_weights is None
    controller.reset()
    assert stack.count() == start + 2 and stack.undoText() == "Reset the weights"
    assert document.design.state.step == 0
    assert document.design.snapshot_weights()["connections"] == document.design.initial_weights[
        "connections"]
