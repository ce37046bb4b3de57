"""The Inside dock in the window: the examples' filters and feature maps, recurrent states over time,
an autoencoder's drawings and code — chosen through its combo and spin boxes, redrawn after a step."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette

import core
from core.compiler.compile import compile_design
from core.training import inside
from gui.panels.inside.images import class_colours
from resources import EXAMPLES
from tests.core.example_designs import sine_design, two_convs


def open_inside(window, qtbot, path, page: str):
    """Open a design, raise the Inside dock and wait for it to draw `page`."""
    assert window.open_path(str(path))
    window.live.inside_dock.raise_()
    panel = window.live.inside
    qtbot.waitUntil(lambda: panel.pages.currentWidget() is getattr(panel, page), timeout=10000)
    return panel


def reference(window):
    """core.training.inside's own numbers for the design as the window holds it now."""
    design = window.document.design
    build = compile_design(design.copy())
    build.read_weights(design)
    return design, build, inside.test_rows(build, design.training)


def expected_levels(values: np.ndarray, low: float, high: float) -> np.ndarray:
    return (np.clip((values - low) / (high - low), 0, 1) * 255).round().astype(int)


def pixel_levels(image) -> np.ndarray:
    return np.array([[image.pixelIndex(x, y) for x in range(image.width())]
                     for y in range(image.height())])


def step_and_wait(window, qtbot, changed) -> None:
    """One Step on the toolbar, then wait for the panel's redraw (at most four a second)."""
    window.live.bar.act_step.trigger()
    qtbot.waitUntil(changed, timeout=10000)


def choose(qtbot, widget, presses: int) -> None:
    """Arrow down (a combo box) or up (a spin box) as a person would, with the keyboard."""
    widget.setFocus()
    key = Qt.Key.Key_Up if widget.metaObject().className() == "QSpinBox" else Qt.Key.Key_Down
    for _ in range(presses):
        qtbot.keyClick(widget, key)


# ====================================================================== convolution
def test_the_cnn_shows_each_filter_over_its_map_for_the_chosen_sample(window, qtbot):
    panel = open_inside(window, qtbot, EXAMPLES / "digits_cnn.ncanvas", "conv")
    assert [panel.block.itemText(i) for i in range(panel.block.count())] == ["Conv2D c3"]
    assert not panel.channel.isVisibleTo(panel)  # one input channel: nothing to choose
    page = panel.conv
    assert len(page.grid.tiles) == 16 == window.document.design.nodes["c3"].params["filters"]

    choose(qtbot, panel.sample, 3)
    assert panel.sample.value() == 3 and page.view.sample == 3
    design, build, rows = reference(window)
    view = inside.conv_view(build, "c3", rows, 3)
    np.testing.assert_allclose(page.view.maps, view.maps)
    np.testing.assert_allclose(page.view.filters, view.filters)
    for n in (0, 9):
        weights_image, map_image = page.grid.tiles[n].images
        assert (weights_image.width(), map_image.width()) == (3, 8)
        np.testing.assert_array_equal(pixel_levels(weights_image),
                                      expected_levels(view.filters[n], *page.filter_range))
        np.testing.assert_array_equal(pixel_levels(map_image),
                                      expected_levels(view.maps[n], *page.map_range))
    # the weights' colours: the largest is blue, the most negative orange
    first, _ = page.grid.tiles[0].images
    i, j = np.unravel_index(np.argmax(view.filters[0]), (3, 3))
    a, b = np.unravel_index(np.argmin(view.filters[0]), (3, 3))
    high, low = first.pixelColor(int(j), int(i)), first.pixelColor(int(b), int(a))
    assert high.blue() > high.red() and low.red() > low.blue()
    # the picture beside them is the sample: its empty pixels the page, its ink the text colour
    picture = page.sample.image
    pixels = build.data.X[rows[3]].reshape(8, 8)
    paper = picture.pixelColor(*np.unravel_index(np.argmin(pixels), pixels.shape)[::-1])
    assert paper.rgb() == panel.palette().color(QPalette.ColorRole.Base).rgb()
    assert f"true {build.data.y[rows[3]]}" in page.sample.caption

    before = page.view.kernel.copy()
    step_and_wait(window, qtbot, lambda: not np.array_equal(page.view.kernel, before))
    np.testing.assert_allclose(page.view.kernel, window.document.design.parameters["c3"]["kernel"])
    assert page.view.sample == 3 and "step 1" in panel.caption.full_text()


def test_the_block_and_channel_are_chosen_in_their_combo_boxes(window, qtbot, tmp_path):
    path = tmp_path / "two_convs.ncanvas"
    core.save(two_convs(), str(path))
    panel = open_inside(window, qtbot, path, "conv")
    assert [panel.block.itemText(i) for i in range(panel.block.count())] == [
        "Conv2D first", "strokes (Conv2D)"]
    assert len(panel.conv.grid.tiles) == 4 and not panel.channel.isVisibleTo(panel)
    choose(qtbot, panel.block, 1)
    assert panel.block_id == "second" and len(panel.conv.grid.tiles) == 3
    assert panel.channel.isVisibleTo(panel) and panel.channel.count() == 5  # the mean, 4 channels
    _design, build, rows = reference(window)
    kernel = build.model.ops[build.block_ops["second"]].params["kernel"]
    np.testing.assert_allclose(panel.conv.view.filters, kernel.mean(axis=2).transpose(2, 0, 1),
                               rtol=1e-6)
    choose(qtbot, panel.channel, 3)  # input channel 3
    assert panel.conv.view.channel == 2
    np.testing.assert_allclose(panel.conv.view.filters, kernel[:, :, 2, :].transpose(2, 0, 1))
    assert panel.conv.view.maps.shape == (3, 6, 6)  # 'valid': 8 − 3 + 1


# ====================================================================== recurrent
@pytest.mark.parametrize(("name", "block"), [("sine_lstm", "l3"), ("sine_gru", "g3")])
def test_the_sine_is_predicted_along_the_wave_and_the_state_drawn_over_time(window, qtbot, name,
                                                                            block):
    panel = open_inside(window, qtbot, EXAMPLES / f"{name}.ncanvas", "recurrent")
    page = panel.recurrent
    assert panel.block_id == block and page.wave_box.isVisibleTo(page)
    assert not page.prob_view.isVisibleTo(page)
    choose(qtbot, panel.sample, 4)
    design, build, rows = reference(window)
    wave = inside.wave_view(build, design.dataset)
    x, y = page.truth.getData()
    np.testing.assert_array_equal(x, np.arange(len(wave.wave)))
    np.testing.assert_allclose(y, wave.wave)
    x, y = page.predicted.getData()
    np.testing.assert_array_equal(x, wave.time)
    np.testing.assert_allclose(y, wave.prediction)
    assert len(x) == inside.WAVE_STEPS

    view = inside.recurrent_view(build, block, rows, 4)
    assert page.view.sample == 4
    np.testing.assert_allclose(page.heat.image, view.hidden)
    assert page.heat.image.shape == (32, 20)  # units × time steps
    x, y = page.input_curves[0].getData()
    np.testing.assert_array_equal(x, np.arange(1, 21))
    np.testing.assert_allclose(y, view.inputs[:, 0])
    (tx,), (ty,) = page.next_truth.getData()
    (px,), (py,) = page.next_said.getData()
    assert tx == px == 21 and ty == pytest.approx(float(view.target[0]))
    assert py == pytest.approx(float(view.output[0]), abs=1e-6)

    before = page.heat.image.copy()
    step_and_wait(window, qtbot, lambda: not np.array_equal(page.heat.image, before))
    _design, build, rows = reference(window)
    np.testing.assert_allclose(page.heat.image, inside.recurrent_view(build, block, rows, 4).hidden)
    np.testing.assert_allclose(page.predicted.getData()[1],
                               inside.wave_view(build, design.dataset).prediction)


def test_a_sequence_classifier_shows_its_class_probabilities_beside_the_sample(window, qtbot,
                                                                              tmp_path):
    design = sine_design("simple_rnn")
    design.set_dataset("sequences", {"n": 200, "window": 20})
    design.set_node_params("d4", units=2, activation="softmax")
    design.set_training(loss="softmax_cross_entropy")
    path = tmp_path / "bump.ncanvas"
    core.save(design, str(path))
    panel = open_inside(window, qtbot, path, "recurrent")
    page = panel.recurrent
    assert not page.wave_box.isVisibleTo(page) and page.prob_view.isVisibleTo(page)
    choose(qtbot, panel.sample, 2)
    _design, build, rows = reference(window)
    view = inside.recurrent_view(build, "l3", rows, 2)
    np.testing.assert_allclose(page.bars.opts["height"], view.output)
    assert page.bars.opts["height"].sum() == pytest.approx(1, abs=1e-6)
    np.testing.assert_allclose(page.heat.image, view.hidden)
    assert page.heat.image.shape == (8, 20)
    assert not page.next_truth.getData()[0].size  # no next value for a class
    true = ("first half", "second half")[int(view.target)]
    assert "true: " in page.sample_key.text() and true in page.sample_key.text()


# ====================================================================== autoencoder
def test_the_autoencoder_shows_its_drawings_and_its_code_by_class(window, qtbot):
    panel = open_inside(window, qtbot, EXAMPLES / "digits_autoencoder.ncanvas", "autoencoder")
    page = panel.autoencoder
    assert not panel.block.isVisibleTo(panel) and not panel.sample.isVisibleTo(panel)
    _design, build, rows = reference(window)
    view = inside.autoencoder_view(build, rows)
    assert len(page.pairs.tiles) == inside.PAIRS and all(len(t.images) == 2
                                                         for t in page.pairs.tiles)
    inputs, outputs = page.pairs.tiles[0].images
    low, high = 0.0, float(view.inputs.max())
    np.testing.assert_array_equal(pixel_levels(inputs),
                                  expected_levels(view.inputs[0].reshape(8, 8), low, high))
    np.testing.assert_array_equal(pixel_levels(outputs),
                                  expected_levels(view.outputs[0].reshape(8, 8), low, high))

    x, y = page.scatter.getData()
    assert len(x) == min(inside.CODE_POINTS, len(rows)) == len(view.points)
    np.testing.assert_allclose(np.column_stack([x, y]), view.points)
    table = class_colours(panel.colours, 10)
    brushes = [b.color().rgb() for b in page.scatter.data["brush"]]
    assert brushes == [table[int(k)].rgb() for k in build.data.labels[rows[:len(x)]]]
    assert len(set(brushes)) == 10  # ten digits, ten colours
    assert page.axis_names == ("code unit 1", "code unit 2")
    assert "the code (Dense), 2 units" in panel.caption.full_text()

    before = np.column_stack([x, y])
    step_and_wait(window, qtbot,
                  lambda: not np.allclose(np.column_stack(page.scatter.getData()), before))
    _design, build, rows = reference(window)
    np.testing.assert_allclose(np.column_stack(page.scatter.getData()),
                               inside.autoencoder_view(build, rows).points, rtol=1e-6)


def test_a_run_that_diverges_is_drawn_inside_without_a_numpy_warning(window, qtbot, capfd, recwarn):
    panel = open_inside(window, qtbot, EXAMPLES / "digits_autoencoder.ncanvas", "autoencoder")
    window.document.set_training(optimizer="sgd", learning_rate=1e30, target_accuracy=None)
    controller, messages = window.live.controller, []
    controller.message.connect(messages.append)
    window.live.bar.act_play.trigger()  # the second step's loss is inf: the run stops
    qtbot.waitUntil(lambda: not controller.running, timeout=20000)
    assert messages and "lower learning rate" in messages[-1]
    panel.refresh()  # the weights the run kept: finite, but the network's numbers overflow
    panel.grab()  # painted, the scatter's extent included
    _design, build, rows = reference(window)
    view = inside.autoencoder_view(build, rows)
    assert not np.isfinite(view.points).all()
    x, y = panel.autoencoder.scatter.getData()
    assert np.isfinite(x).all() and np.isfinite(y).all()  # a code with no place is left out
    assert len(x) == np.isfinite(view.points).all(axis=1).sum()
    assert [str(w.message) for w in recwarn if issubclass(w.category, RuntimeWarning)] == []
    assert "RuntimeWarning" not in capfd.readouterr().err  # nor from the training process


# ====================================================================== none, hidden, menu
def test_a_design_with_nothing_inside_says_which_example_to_open(window, qtbot):
    assert window.open_path(str(EXAMPLES / "xor.ncanvas"))
    live = window.live
    live.inside_dock.raise_()
    qtbot.waitUntil(lambda: live.inside.build is not None and live.inside.up_to_date, timeout=10000)
    assert live.inside.pages.currentWidget() is live.inside.note and live.inside.kind is None
    for name in ("digits cnn", "sine lstm", "sine gru", "digits autoencoder"):
        assert name in live.inside.note.text()
    # the way to the examples it names is the menu that holds Open Example
    menu = next(m.menuAction().text().replace("&", "") for m in
                window.menuBar().findChildren(type(window.help_menu))
                if window.act_example in m.actions())
    assert f"{menu} → Open Example" in live.inside.note.text()
    toggle = next(a for a in window.view_menu.actions() if a.text() == "Inside")
    toggle.trigger()
    assert not live.inside_dock.isVisible()
    toggle.trigger()
    assert live.inside_dock.isVisible()


def test_a_hidden_panel_waits_and_draws_when_raised(window, qtbot):
    panel = open_inside(window, qtbot, EXAMPLES / "digits_cnn.ncanvas", "conv")
    window.live.confusion_dock.raise_()
    qtbot.waitUntil(lambda: not panel.seen())
    before = panel.conv.view.kernel.copy()
    window.live.bar.act_step.trigger()
    qtbot.wait(400)
    np.testing.assert_array_equal(panel.conv.view.kernel, before)  # nothing computed unseen
    window.live.inside_dock.raise_()
    qtbot.waitUntil(lambda: not np.array_equal(panel.conv.view.kernel, before), timeout=10000)
    np.testing.assert_allclose(panel.conv.view.kernel,
                               window.document.design.parameters["c3"]["kernel"])


def test_a_regression_with_a_view_inside_raises_it_at_the_first_step(window, qtbot):
    """The sine has no classes to confuse: its first step brings Inside to the front."""
    assert window.open_path(str(EXAMPLES / "sine_lstm.ncanvas"))
    live = window.live
    assert not live.inside.seen()
    live.bar.act_step.trigger()
    qtbot.waitUntil(lambda: live.inside.pages.currentWidget() is live.inside.recurrent,
                    timeout=10000)
    assert live.inside.seen() and live.confusion.visibleRegion().isEmpty()
