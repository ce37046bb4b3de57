"""Document.compiled: the open design compiled once per change of structure and shared by the
views that read a Build; weights alone, and opening another view, compile nothing again."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtWidgets import QApplication

from core.compiler import compile as compiler
from core.design.errors import NeuralCanvasError
from gui.document.document import Document
from resources import EXAMPLES


@pytest.fixture
def compiles(monkeypatch):
    """Every compile in this process (a Trainer's, a panel's, the service's), counted: each
    module that calls compile_design gets a counting one in its place."""
    calls: list[int] = []
    real = compiler.compile_design

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    callers = [m for m in list(sys.modules.values()) if getattr(m, "compile_design", None) is real]
    assert "gui.document.compiled" in {m.__name__ for m in callers}
    for module in callers:
        monkeypatch.setattr(module, "compile_design", counted)
    return calls


def test_the_design_is_compiled_once_per_structure(compiles):
    QApplication.instance() or QApplication([])
    document = Document()
    document.open(str(EXAMPLES / "xor.ncanvas"))
    service = document.compiled
    build = service.build()
    assert service.build() is build and len(compiles) == 1

    wire = next(iter(document.design.connections))
    neuron = next(n for n in document.design.nodes.values() if n.kind == "neuron")
    document.set_weight(wire, 0.25)  # weights are not structure
    document.set_node_params(neuron.id, bias=0.5)
    document.move({neuron.id: (neuron.position, (neuron.position[0] + 30, neuron.position[1]))})
    document.rename(neuron.id, "h")
    assert service.build() is build and len(compiles) == 1

    other = "sigmoid" if neuron.params.get("activation") != "sigmoid" else "tanh"
    document.set_node_params(neuron.id, activation=other)  # structure: compiled again, once
    rebuilt = service.build()
    assert rebuilt is not build and service.build() is rebuilt and len(compiles) == 2

    document.undo_stack.undo()  # the activation back: structure again
    document.add_node("neuron", (0, 0))  # a neuron with no input: cannot compile, and the
    with pytest.raises(NeuralCanvasError) as first:  # error is kept too: asked twice, one try
        service.build()
    with pytest.raises(NeuralCanvasError) as again:
        service.build()
    assert again.value is first.value and service.compiles == 3

    document.open(str(EXAMPLES / "xor.ncanvas"))  # another design: compiled when asked
    assert service.build() is not rebuilt and service.compiles == 4


def test_opening_inside_views_compiles_nothing_again(window, qtbot, compiles):
    from gui.panels.inside.panel import InsidePanel

    assert window.open_path(str(EXAMPLES / "digits_cnn.ncanvas"))
    window.live.inside_dock.raise_()
    panel = window.live.inside
    qtbot.waitUntil(lambda: panel.pages.currentWidget() is panel.conv, timeout=10000)
    before, service = len(compiles), window.document.compiled
    assert service.compiles == 2  # the empty design the window opened with, then this one

    other = InsidePanel(window.document, window.live.controller)  # a second view of the same
    qtbot.addWidget(other)
    other.show()
    qtbot.waitUntil(lambda: other.pages.currentWidget() is other.conv, timeout=10000)
    assert other.build is panel.build and len(compiles) == before

    window.live.boundary_dock.raise_()  # the Inside tab behind another and back
    window.live.inside_dock.raise_()
    qtbot.waitUntil(lambda: panel.seen(), timeout=5000)
    panel.refresh()
    assert len(compiles) == before and service.compiles == 2
