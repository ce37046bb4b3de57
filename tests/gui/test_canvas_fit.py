"""View → Fit to View keeps the canvas readable: a small design fits whole, centred; a large one
(digits_cnn's row of blocks) is not shrunk until its labels are specks: it is shown from its start
at a zoom where every label reads, the rest a scroll away."""

from __future__ import annotations

import pytest

from gui.canvas.items import BlockItem, NeuronItem
from resources import EXAMPLES

READABLE = 8.0  # px on screen
BLOCK_SUBTITLE, NEURON_BIAS = 11.0, 10.0  # the smallest text of a block and of a neuron, scene px


def shown(window):
    """The part of the scene the canvas shows."""
    view = window.view
    return view.mapToScene(view.viewport().rect()).boundingRect()


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000)])
def test_fit_keeps_digits_cnn_block_labels_readable_from_its_start(window, qtbot, size):
    window.resize(*size)
    assert window.open_path(str(EXAMPLES / "digits_cnn.ncanvas"))
    qtbot.wait(20)
    window.act_fit.trigger()
    blocks = sorted((i for i in window.scene.node_items() if isinstance(i, BlockItem)),
                    key=lambda i: i.sceneBoundingRect().left())
    assert len(blocks) >= 5
    zoom = window.view.zoom()
    assert BLOCK_SUBTITLE * zoom >= READABLE and NEURON_BIAS * zoom >= READABLE
    assert zoom <= 1.25
    area = shown(window)
    first = blocks[0].sceneBoundingRect()
    assert area.contains(first)  # the data block, where the design starts, is in view …
    middle = sum(b.sceneBoundingRect().center().y() for b in blocks) / len(blocks)
    assert area.top() < middle < area.bottom()  # … with the row of blocks across the canvas
    # and the canvas scrolls to the rest
    bar = window.view.horizontalScrollBar()
    last = blocks[-1].sceneBoundingRect()
    if not area.contains(last):
        bar.setValue(bar.value() + int((last.right() - area.right() + 40) * zoom))
        assert shown(window).contains(last)


def test_fit_shows_a_small_design_whole_and_centred(window, qtbot):
    window.resize(1280, 800)
    assert window.open_path(str(EXAMPLES / "xor.ncanvas"))
    qtbot.wait(20)
    window.act_fit.trigger()
    area = shown(window)
    nodes = [i.sceneBoundingRect() for i in window.scene.node_items()]
    assert all(area.contains(r) for r in nodes)
    assert any(isinstance(i, NeuronItem) for i in window.scene.node_items())
    assert NEURON_BIAS * window.view.zoom() >= READABLE
    left = min(r.left() for r in nodes) - area.left()
    right = area.right() - max(r.right() for r in nodes)
    assert left == pytest.approx(right, abs=2)
