"""The palette: what can be placed, grouped, each with an icon, a tooltip and a drag payload."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from core.design import registry
from core.engine.blocks.base import BlockKind, ParamSpec
from gui.canvas.palette import KIND_MIME, Palette, PaletteEntry, entry_mime
from gui.canvas.view import CanvasView
from gui.document.document import Document


@pytest.fixture
def document() -> Document:
    return Document()


@pytest.fixture
def palette(qtbot, document) -> Palette:
    widget = Palette(document)
    qtbot.addWidget(widget)
    widget.resize(260, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def texts(palette: Palette, group: str) -> list[str]:
    item = palette.groups()[group]
    return [item.child(i).text(0) for i in range(item.childCount())]


def test_three_groups_with_features_neurons_and_layers(palette):
    assert list(palette.groups()) == ["Inputs", "Neurons", "Layers"]
    inputs = texts(palette, "Inputs")
    for shown in ("x1", "x2", "x1²", "x2²", "x1·x2", "sin x1", "sin x2", "Data"):
        assert shown in inputs
    assert texts(palette, "Neurons") == ["Hidden neuron", "Output neuron"]
    assert "Dense" in texts(palette, "Layers")
    square = next(e for e in palette.entries() if e.text == "x1²")
    assert square.payload() == {"kind": "input", "params": {"feature": "x1^2"}, "label": "x1²"}
    hidden, output = (e for e in palette.entries() if e.kind == "neuron")
    assert hidden.params == {"activation": "tanh"} and output.params == {"activation": "sigmoid"}


def test_the_data_sets_columns_appear_when_it_changes(palette, document):
    assert "weather" not in texts(palette, "Inputs")
    document.set_dataset("cricket", {})
    inputs = texts(palette, "Inputs")
    assert {"weather", "music", "company", "money"} <= set(inputs)
    weather = next(e for e in palette.entries() if e.text == "weather")
    assert weather.payload()["params"] == {"feature": "weather"}
    document.undo_stack.undo()
    assert "weather" not in texts(palette, "Inputs")


def test_a_data_set_that_cannot_load_adds_no_columns(palette, document):
    document.set_dataset("csv", {"path": "/no/such/file.csv", "label": "y"})
    assert texts(palette, "Inputs")[-1] == "Data"
    assert "x1²" in texts(palette, "Inputs")


def test_a_new_design_refreshes_the_palette(palette, document):
    document.set_dataset("cricket", {})
    document.new()
    assert "weather" not in texts(palette, "Inputs")
    document.design.set_dataset("cricket")  # the new design's events are followed
    assert "weather" in texts(palette, "Inputs")


def test_every_entry_has_a_tooltip_and_an_icon(palette):
    items = palette.items()
    assert len(items) >= 11
    for item in items:
        assert item.toolTip(0).strip(), item.text(0)
        assert not item.icon(0).isNull(), item.text(0)
    square = next(i for i in items if i.text(0) == "x1²")
    assert "circle" in square.toolTip(0)


def test_entry_mime_round_trips(palette):
    entry = PaletteEntry("neuron", {"activation": "sigmoid"}, "out")
    mime = entry_mime(entry)
    assert mime.formats() == [KIND_MIME]
    raw = json.loads(bytes(mime.data(KIND_MIME)).decode("utf-8"))
    assert raw == {"kind": "neuron", "params": {"activation": "sigmoid"}, "label": "out"}
    assert CanvasView.kind_payload(mime) == raw
    dense_item = next(i for i in palette.items() if i.text(0) == "Dense")
    dragged = palette.tree.mimeData([dense_item])
    assert CanvasView.kind_payload(dragged)["kind"] == "dense"
    assert CanvasView.kind_payload(dragged)["params"]["units"] == 8


def test_double_click_asks_to_add_the_entry(qtbot, palette):
    item = next(i for i in palette.items() if i.text(0) == "x1·x2")
    tree = palette.tree
    tree.scrollToItem(item)
    centre = tree.visualItemRect(item).center()
    with qtbot.waitSignal(palette.add_requested, timeout=1000) as signal:
        # a person's double-click: QTest's mouseDClick sends only the second half of it
        qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=centre)
        qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert signal.args == [{"kind": "input", "params": {"feature": "x1*x2"}, "label": "x1·x2"}]


def test_return_on_an_entry_also_asks_to_add_it(qtbot, palette):
    item = next(i for i in palette.items() if i.text(0) == "Hidden neuron")
    palette.tree.setCurrentItem(item)
    with qtbot.waitSignal(palette.add_requested, timeout=1000) as signal:
        qtbot.keyClick(palette.tree, Qt.Key.Key_Return)
    assert signal.args[0]["kind"] == "neuron"


class _TrialKind(BlockKind):
    id = "trial_layer"
    label = "Trial layer"
    category = "layers"
    description = "A layer registered only by this test."
    icon = "mdi6.no-such-icon-anywhere"
    params = (ParamSpec("width", "int", 3, low=1),)


def test_a_newly_registered_layer_kind_appears_without_palette_changes(qtbot, document,
                                                                        register_for_the_test):
    register_for_the_test(registry.blocks, _TrialKind.id, _TrialKind())
    widget = Palette(document)
    qtbot.addWidget(widget)
    assert "Trial layer" in texts(widget, "Layers")
    item = next(i for i in widget.items() if i.text(0) == "Trial layer")
    assert not item.icon(0).isNull()  # an unknown icon name falls back, never raises
    assert item.toolTip(0) == _TrialKind.description
