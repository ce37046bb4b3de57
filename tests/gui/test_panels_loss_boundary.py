"""The loss and boundary panels: curves that grow while XOR trains, a log axis, the boundary over
the plane with its points, the discretized decision, a neuron's map, three classes, a regression,
and the note for data that is not two-dimensional."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gui.document.document import Document
from gui.panels.boundary.colours import neuron_rgb
from gui.panels.boundary.panel import NOT_PLANAR, NOT_YET, BoundaryPanel
from gui.panels.loss import LossPanel
from gui.panels.plot_style import HEAT_STRENGTH
from gui.training.controller import TrainingController

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.fixture
def example(qtbot):
    """Opens an example with a controller and both panels (shown); stops training at the end."""
    opened: list[tuple[Document, TrainingController]] = []

    def open_example(name: str):
        document = Document()
        document.open(str(EXAMPLES / f"{name}.ncanvas"))
        controller = TrainingController(document)
        loss, boundary = LossPanel(controller), BoundaryPanel(controller)
        for panel in (loss, boundary):
            qtbot.addWidget(panel)
            panel.resize(480, 300)
            panel.show()
        opened.append((document, controller))
        return document, controller, loss, boundary

    yield open_example
    for document, controller in opened:
        controller.shutdown()
        document.autosave_timer.stop()


def showing_note(boundary) -> bool:
    """The boundary panel shows a note instead of the plane (no data yet, or not two-dimensional)."""
    return boundary.stack.currentWidget() is boundary.note


def train(controller, qtbot) -> None:
    assert controller.play()
    qtbot.waitUntil(lambda: not controller.running, timeout=60000)


def colours_in(image: np.ndarray) -> np.ndarray:
    return np.unique(image.reshape(-1, image.shape[-1]), axis=0)


def add_third_class(document: Document) -> None:
    """Spiral with three arms: the data set's classes and a third softmax output, wired like
    the other two."""
    document.set_dataset("spiral", {**document.design.dataset.params, "classes": 3, "noise": 0.1})
    sources = [c.source for c in document.design.incoming("n32")]
    third = document.add_node("neuron", (900, 300), {"activation": "softmax"})
    assert all(document.connect(source, third) for source in sources)


def test_loss_curves_grow_while_xor_trains_and_show_every_epoch(example, qtbot):
    document, controller, loss, _boundary = example("xor")
    document.set_training(target_accuracy=None, epochs=400)  # a second or so: redrawn 5× a second
    drawn = []
    controller.snapshot.connect(lambda _snap: drawn.append(loss.train_curve.getData()[1]))
    train(controller, qtbot)

    history = controller.last.history
    epochs, train_loss = loss.train_curve.getData()
    assert len(history) == 400 and list(epochs) == [h["epoch"] for h in history]
    assert np.allclose(train_loss, [h["train_loss"] for h in history])
    assert np.allclose(loss.test_curve.getData()[1], [h["test_loss"] for h in history])
    assert train_loss[-1] < train_loss[0]  # it learned
    lengths = {len(y) for y in drawn if y is not None and len(y)}
    assert len(lengths) >= 2, "the curve grew while training ran, not only at the end"
    accuracy = loss.metric_test_curve.getData()[1]
    assert accuracy[-1] == history[-1]["test_accuracy"] == 1.0
    assert np.allclose(loss.metric_train_curve.getData()[1], [h["train_accuracy"] for h in history])
    assert loss.metric_plot.getAxis("left").labelText == "accuracy"
    assert loss.summary.text() == "epoch 400"
    assert "100%" in loss.metric_plot.titleLabel.text
    assert f"{train_loss[-1]:.3g}" in loss.plot.titleLabel.text


def test_log_scale_checkbox_puts_the_loss_on_a_logarithmic_axis(example, qtbot):
    _document, controller, loss, _boundary = example("xor")
    train(controller, qtbot)
    box = loss.findChild(type(loss.log_scale), "log_scale")
    assert box is loss.log_scale and not box.isChecked()
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert box.isChecked()
    assert loss.train_curve.opts["logMode"] == [False, True]
    assert loss.test_curve.opts["logMode"] == [False, True]
    assert loss.plot.getAxis("left").logMode
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert loss.train_curve.opts["logMode"] == [False, False]


def test_boundary_follows_training_with_train_points_filled_and_test_points_hollow(example, qtbot):
    _document, controller, _loss, boundary = example("xor")
    images = []
    controller.snapshot.connect(lambda _snap: images.append(boundary.image.image.copy()))
    train(controller, qtbot)
    assert not showing_note(boundary)
    trainer, plane = controller.trainer, controller.last.plane
    image = boundary.image.image
    assert image.shape == (plane.size, plane.size, 3) and image.dtype == np.uint8
    assert len(images) >= 2 and not np.array_equal(images[0], images[-1])
    assert len(colours_in(image)) > 20  # shaded by how sure the network is, not two flat areas

    # the image covers the plane: its corners are the plane's (half a grid step beyond)
    box = boundary.image.mapRectToParent(boundary.image.boundingRect())
    step_x = (plane.x_max - plane.x_min) / (plane.size - 1)
    step_y = (plane.y_max - plane.y_min) / (plane.size - 1)
    assert box.left() == pytest.approx(plane.x_min - step_x / 2)
    assert box.right() == pytest.approx(plane.x_max + step_x / 2)
    assert box.top() == pytest.approx(plane.y_min - step_y / 2)  # row 0 is the lowest y
    assert box.bottom() == pytest.approx(plane.y_max + step_y / 2)

    # XOR, trained: where both inputs share a sign the class is 1 (blue), elsewhere 0 (orange)
    blue, orange = boundary.colours.classes[1], boundary.colours.classes[0]
    n = plane.size
    for (row, col), near in (((n - 5, n - 5), blue), ((4, 4), blue), ((4, n - 5), orange),
                             ((n - 5, 4), orange)):
        pixel = image[row, col].astype(float)
        far = orange if near is blue else blue
        assert np.linalg.norm(pixel - near) < np.linalg.norm(pixel - far)

    data = trainer.build.data
    train_pos = np.column_stack(boundary.train_points.getData())
    test_pos = np.column_stack(boundary.test_points.getData())
    assert np.allclose(train_pos, data.X[trainer.train_idx])
    assert np.allclose(test_pos, data.X[trainer.test_idx])
    train_spots, test_spots = boundary.train_points.points(), boundary.test_points.points()
    assert all(spot.brush().style() != Qt.BrushStyle.NoBrush for spot in train_spots)
    assert all(spot.brush().style() == Qt.BrushStyle.NoBrush for spot in test_spots)
    for spots, rows, colour_of in ((train_spots, trainer.train_idx, lambda s: s.brush().color()),
                                   (test_spots, trainer.test_idx, lambda s: s.pen().color())):
        first = int(np.flatnonzero(data.y[rows] == 1)[0])
        assert colour_of(spots[first]) == boundary.colours.class_colour(1)


def test_discretize_shows_only_the_decision_in_two_colours(example, qtbot):
    _document, controller, _loss, boundary = example("xor")
    train(controller, qtbot)
    shaded = boundary.image.image.copy()
    qtbot.mouseClick(boundary.findChild(type(boundary.discretize), "discretize"),
                     Qt.MouseButton.LeftButton)
    decided = boundary.image.image
    assert len(colours_in(decided)) == 2
    trainer = controller.trainer
    sure = controller.last.output_map[..., 0] > trainer.build.threshold()
    blue = decided[sure][0]
    assert (decided[sure] == blue).all() and (decided[~sure] != blue).any(axis=-1).all()
    qtbot.mouseClick(boundary.discretize, Qt.MouseButton.LeftButton)
    assert np.array_equal(boundary.image.image, shaded)


def test_hovering_a_neuron_shows_its_map_and_leaving_shows_the_output_again(example, qtbot):
    _document, controller, _loss, boundary = example("xor")
    train(controller, qtbot)
    output = boundary.image.image.copy()
    snap = controller.last
    hidden = next(node_id for node_id, values in snap.neuron_maps.items() if values.std() > 0
                  and not node_id.startswith("i"))
    boundary.show_neuron(hidden)
    assert np.array_equal(boundary.image.image, neuron_rgb(snap.neuron_maps[hidden], boundary.tables, False))
    assert not np.array_equal(boundary.image.image, output)
    assert hidden in boundary.caption.text()
    boundary.show_neuron(None)
    assert np.array_equal(boundary.image.image, output)
    assert boundary.caption.text() == "output"


def test_the_sample_just_presented_is_ringed(example, qtbot):
    _document, controller, _loss, boundary = example("xor")
    assert controller.present_one()
    sample = controller.last.sample
    row = controller.trainer.train_idx[sample]
    ring = np.column_stack(boundary.sample_ring.getData())
    assert np.allclose(ring, controller.trainer.build.data.X[row:row + 1])
    assert controller.step_once() and controller.last.sample is None
    assert len(boundary.sample_ring.getData()[0]) == 0


def test_three_spiral_arms_get_one_colour_each_shaded_by_confidence(example, qtbot):
    document, controller, _loss, boundary = example("spiral")
    add_third_class(document)
    document.set_training(epochs=8)
    train(controller, qtbot)
    colours = boundary.colours
    background = colours.background_rgb
    image = boundary.image.image.astype(float)
    # every pixel lies between the background and one class colour: the class is its hue
    towards = [(c - background) / np.linalg.norm(c - background) for c in colours.class_table(3)]
    offsets = image.reshape(-1, 3) - background
    alignment = np.stack([offsets @ t for t in towards], axis=1)
    winners = controller.last.output_map.reshape(-1, 3).argmax(axis=1)
    assert set(winners) == {0, 1, 2}
    assert (alignment.argmax(axis=1) == winners)[np.linalg.norm(offsets, axis=1) > 8].all()
    assert len(colours_in(boundary.image.image)) > 50  # shades of confidence

    qtbot.mouseClick(boundary.discretize, Qt.MouseButton.LeftButton)
    expected = np.rint(background + (colours.class_table(3) - background) * HEAT_STRENGTH)
    assert np.array_equal(colours_in(boundary.image.image), np.unique(expected, axis=0))
    brushes = {spot.brush().color().name() for spot in boundary.train_points.points()}
    assert brushes == {colours.class_colour(k).name() for k in range(3)}


def test_a_regression_colours_the_plane_by_the_predicted_value(example, qtbot):
    _document, controller, loss, boundary = example("regression_plane")
    train(controller, qtbot)
    assert boundary.colouring.kind == "value"
    table = boundary.tables.values.astype(float)
    image = boundary.image.image.astype(float).reshape(-1, 3)
    nearest = np.linalg.norm(image[:, None, :] - table[None], axis=2)
    assert nearest.min(axis=1).max() == 0  # every pixel is a colour of the value map
    index = nearest.argmin(axis=1).reshape(boundary.image.image.shape[:2])
    assert index[-1, -1] > 200 and index[0, 0] < 55  # the value rises toward x1 + x2
    assert len(np.unique(index)) > 100
    assert len({spot.brush().color().name() for spot in boundary.train_points.points()}) > 50
    assert loss.metric_plot.getAxis("left").labelText == "R²"
    assert loss.metric_test_curve.getData()[1][-1] > 0.9


def test_digits_are_not_two_dimensional_so_the_panel_shows_a_note(example, qtbot):
    _document, controller, loss, boundary = example("digits_mlp")
    assert showing_note(boundary) and boundary.note.text() == NOT_YET
    controller.reset()  # a snapshot of the untrained network, as Play's first frame would be
    assert controller.last is not None and controller.last.plane is None
    assert showing_note(boundary) and boundary.note.text() == NOT_PLANAR
    assert "two-dimensional" in boundary.note.text()
    assert boundary.image.image is None
    assert len(loss.train_curve.getData()[0] or ()) == 0


def test_a_new_design_or_a_reset_clears_the_panels(example, qtbot):
    document, controller, loss, boundary = example("xor")
    train(controller, qtbot)
    assert len(loss.train_curve.getData()[0]) > 0
    controller.reset()
    assert controller.last.history == ()
    assert all(curve.getData()[0] is None or len(curve.getData()[0]) == 0 for curve in loss.curves)
    train(controller, qtbot)
    assert len(loss.train_curve.getData()[0]) > 0
    document.open(str(EXAMPLES / "circle.ncanvas"))
    assert all(curve.getData()[0] is None or len(curve.getData()[0]) == 0 for curve in loss.curves)
    assert showing_note(boundary) and boundary.image.image is None
    assert len(boundary.train_points.getData()[0]) == 0
    train(controller, qtbot)  # the new design's data and boundary
    assert not showing_note(boundary)
    assert len(boundary.train_points.getData()[0]) == len(controller.trainer.train_idx)


def test_the_panels_follow_the_dark_appearance(example, qtbot):
    from gui.app import make_app
    from gui.widgets.theme import set_appearance

    make_app([])
    _document, controller, loss, boundary = example("xor")
    train(controller, qtbot)
    light = boundary.image.image.copy()
    try:
        set_appearance("dark")
        qtbot.waitUntil(lambda: loss.colours.dark and boundary.colours.dark, timeout=5000)
        assert loss.plots.backgroundBrush().color().lightness() < 80
        assert not np.array_equal(boundary.image.image, light)  # the plane's background is dark
        assert boundary.image.image.reshape(-1, 3).mean() < light.reshape(-1, 3).mean()
    finally:
        set_appearance("light")
        set_appearance("system")
