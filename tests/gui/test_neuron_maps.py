"""Neuron maps on the canvas: while XOR trains, each neuron shows its output over the input plane
inside its circle, the picture follows the steps, and hovering a neuron names it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRect
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from gui.canvas import CanvasScene, CanvasView
from gui.canvas.items import NeuronItem
from gui.canvas.neuron_maps import NeuronMap, scale_for
from gui.document.document import Document
from gui.training.controller import TrainingController

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.fixture
def xor_canvas(qtbot):
    document = Document()
    document.open(str(EXAMPLES / "xor.ncanvas"))
    scene = CanvasScene(document)
    view = CanvasView(scene)
    view.resize(900, 600)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.fit_to_view()
    controller = TrainingController(document)
    controller.snapshot.connect(lambda snap: scene.show_neuron_maps(snap.neuron_maps))
    yield document, scene, view, controller
    controller.shutdown()
    document.autosave_timer.stop()


def neurons(scene: CanvasScene) -> list[NeuronItem]:
    return [i for i in scene.node_items() if isinstance(i, NeuronItem)]


def circle_pixels(view: CanvasView, item: NeuronItem) -> np.ndarray:
    """What the screen shows inside the item's circle, as (h, w, 4) bytes."""
    r = item.RADIUS * 0.6
    rect = view.mapFromScene(item.mapRectToScene(-r, -r, 2 * r, 2 * r)).boundingRect()
    image = view.viewport().grab(QRect(rect)).toImage().convertToFormat(QImage.Format.Format_RGBA8888)
    data = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    return data.reshape(image.height(), image.bytesPerLine())[:, :4 * image.width()].copy()


def test_each_neuron_shows_its_own_map_and_it_follows_training(xor_canvas, qtbot):
    _document, scene, view, controller = xor_canvas
    items = neurons(scene)
    assert items and all(i.neuron_map is None for i in items)
    glyphs = [circle_pixels(view, i) for i in items]

    assert controller.step_once()
    snap = controller.last
    for item in items:
        assert item.neuron_map is not None
        np.testing.assert_allclose(item.neuron_map.values, snap.neuron_maps[item.node_id], rtol=1e-6)
    first = [circle_pixels(view, i) for i in items]
    assert all(not np.array_equal(g, f) for g, f in zip(glyphs, first, strict=True))

    for _ in range(30):
        assert controller.step_once()
    later = [circle_pixels(view, i) for i in items]
    assert all(not np.array_equal(f, s) for f, s in zip(first, later, strict=True))

    scene.show_neuron_maps(None)  # the maps go: the glyphs come back
    assert all(i.neuron_map is None for i in items)
    qtbot.waitUntil(lambda: all(np.array_equal(g, circle_pixels(view, i))
                                for g, i in zip(glyphs, items, strict=True)), timeout=2000)


def test_hovering_a_neuron_names_it_and_leaving_it_says_none(xor_canvas):
    _document, scene, view, controller = xor_canvas
    controller.step_once()
    heard = []
    scene.neuron_hovered.connect(heard.append)
    item = neurons(scene)[0]
    viewport = view.viewport()
    away = item.scenePos() + QPointF(0, -120)
    assert not any(isinstance(i, NeuronItem) for i in scene.items(away))
    QTest.mouseMove(viewport, view.mapFromScene(away))
    QTest.mouseMove(viewport, view.mapFromScene(item.scenePos() + QPointF(5, 3)))
    assert heard == [item.node_id]
    QTest.mouseMove(viewport, view.mapFromScene(away))
    assert heard == [item.node_id, None]


def test_the_colours_fit_each_activation_range():
    assert scale_for("tanh", {}) == pytest.approx((0.0, 1.0))
    assert scale_for("sigmoid", {}) == pytest.approx((0.5, 0.5))
    assert scale_for("relu", {}) is None  # unbounded: a map is scaled to its own largest |value|
    values = np.array([[-1.0, 0.0], [0.5, 1.0]])
    tanh = NeuronMap.make(values, {"activation": "tanh"})
    # the image's bottom row is the plane's first row (y grows upward)
    bottom_left, top_right = tanh.rgba[1, 0], tanh.rgba[0, 1]
    assert bottom_left[0] > bottom_left[2]  # −1: orange (more red than blue)
    assert top_right[2] > top_right[0]  # +1: blue
    relu = NeuronMap.make(np.array([[0.0, 2.0], [4.0, 8.0]]), {"activation": "relu"})
    def blueness(pixel):
        return int(pixel[2]) - int(pixel[0])

    assert blueness(relu.rgba[0, 1]) > blueness(relu.rgba[0, 0]) > blueness(relu.rgba[1, 0]) == 0
