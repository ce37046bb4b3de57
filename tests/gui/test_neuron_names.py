"""One name per neuron everywhere, in one order: the inspector, the Incoming weights table,
Backpropagation and the Loss Landscape call each neuron by its label (else its id) and list
neurons in the design's order (the order they were placed in), whatever the order of the wires or
where the neurons stand on the canvas."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QTableWidget

from core.training.landscape import GRID
from gui.learn.backprop.view import BackpropView


def hand_built_xor(document) -> tuple[list[str], str]:
    """XOR as a person might build it: the hidden neurons placed bottom to top, the output wired
    from them in a jumbled order, one of them named. Returns (hidden ids, output id)."""
    document.new()
    document.set_dataset("xor", {})
    x1 = document.add_node("input", (0.0, -40.0), {"feature": "x1"})
    x2 = document.add_node("input", (0.0, 40.0), {"feature": "x2"})
    hidden = [document.add_node("neuron", (160.0, 120.0 - 80.0 * k), {"activation": "tanh"})
              for k in range(4)]
    out = document.add_node("neuron", (320.0, 0.0), {"activation": "sigmoid"})
    for h in hidden:
        document.connect(x2, h)
        document.connect(x1, h)
    for k in (0, 2, 1, 3):
        document.connect(hidden[k], out)
    document.rename(hidden[2], "middle")
    return hidden, out


def test_inspector_weights_table_backprop_and_landscape_name_the_same_neurons_in_one_order(
        window, qtbot):
    document = window.document
    hidden, out = hand_built_xor(document)
    names = [hidden[0], hidden[1], "middle", hidden[3]]  # label, else id; in design order

    inspector = window.inspector  # the inspector: each neuron's name, the output's weights table
    for nid, name in zip(hidden, names, strict=True):
        window.scene.select_ids([nid])
        field = inspector.findChild(QLineEdit, "name")
        assert (field.text() or field.placeholderText()) == name
    window.scene.select_ids([out])
    table = inspector.findChild(QTableWidget, "incoming")
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == names

    enter = next(a for a in window.learn_menu.actions()  # Backpropagation: the tags on the canvas
                 if a.text().replace("&", "") == "Backpropagation Step by Step")
    enter.trigger()
    view = window.findChild(BackpropView, "backprop_view")
    assert view.active and view.phase == 1
    tags = [window.scene.node_item(nid).overlay.tag for nid in hidden]
    assert tags == names
    assert [view.step.network.names[nid] for nid in hidden] == names
    assert "(" + names[0] + ")" in view.text.toPlainText()  # the worked example: the first neuron
    view.dock.toggleViewAction().trigger()  # closed again
    assert not view.active

    landscape = next(a for a in window.learn_menu.actions() if a.text() == "Loss &Landscape")
    landscape.trigger()
    panel = window.landscape_panel
    qtbot.waitUntil(lambda: panel.surface is not None and len(panel.surface.xs) == GRID
                    and not panel.runner.busy, timeout=20000)
    model = panel.model
    listed = [model.data(model.index(r)) for r in range(model.rowCount())]
    assert [n for n in listed if n.startswith("bias of ")] == [f"bias of {n}" for n in names + [out]]
    into_out = [n.split(" → ")[0] for n in listed if n.endswith(f" → {out}")]
    assert into_out == names
    into_first = [n.split(" → ")[0] for n in listed if n.endswith(f" → {names[0]}")]
    assert into_first == ["x1", "x2"]  # the inputs in the design's order too
    window.live.shutdown()
