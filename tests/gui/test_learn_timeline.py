"""Learn → Training Timeline: the slider under the plots scrubs back through the epochs trained —
the canvas's wires and neuron maps, the boundary and a marker on the loss curves show that moment
while the design and its undo stack stay as they were; Back to now, Resume from here."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import Qt

from core.training import probes
from core.training.trainer import Trainer
from gui.canvas.wires import ConnectionItem
from resources import EXAMPLES


@pytest.fixture
def xor_window(window):
    window.open_path(str(EXAMPLES / "xor.ncanvas"))
    yield window
    window.live.shutdown()


def _train(window, qtbot, epochs: int) -> None:
    window.document.set_training(epochs=epochs, target_accuracy=None)
    window.live.bar.act_play.trigger()
    qtbot.waitUntil(lambda: not window.live.controller.running, timeout=60000)
    assert window.live.controller.trainer.epoch == epochs


def _keys(qtbot, slider, *keys) -> None:
    slider.setFocus()
    for key in keys:
        qtbot.keyClick(slider, key)


def _the_plane_at(design, weights, plane):
    """The output and neuron maps of a fresh copy of the design holding these weights."""
    copy = design.copy()
    copy.restore_weights(weights)
    copy.reset_training_state()
    return probes.plane_maps(Trainer(copy), plane)


def _looks_like(item, weight, scene):
    """The pen a wire of this weight is drawn with on this canvas."""
    reference = ConnectionItem(replace(item.record, weight=weight), item.source_item,
                               item.target_item, False, scene.weight_scale, live=False)
    return reference.pen()


def test_the_learn_menu_shows_and_hides_the_timeline_bar(window):
    action = next(a for a in window.learn_menu.actions()
                  if a.text().replace("&", "") == "Training Timeline")
    bar = window.timeline_bar
    assert action.isChecked() and bar.isVisible()
    action.trigger()
    assert not bar.isVisible() and not action.isChecked()
    action.trigger()
    assert bar.isVisible()
    for panel in (window.live.loss, window.live.boundary):  # a bar under the plots
        assert bar.mapTo(window, bar.rect().topLeft()).y() >= \
            panel.mapTo(window, panel.rect().bottomLeft()).y()


def test_epoch_0_shows_the_initial_weights_everywhere_and_changes_nothing(xor_window, qtbot):
    window = xor_window
    controller, scene, bar = window.live.controller, window.scene, window.timeline_bar
    _train(window, qtbot, 6)
    design, stack = window.document.design, window.document.undo_stack
    initial, now = design.initial_weights, design.snapshot_weights()
    commands, index, clean = stack.count(), stack.index(), stack.isClean()
    shown = []
    controller.moment_shown.connect(shown.append)
    assert bar.slider.minimum() == 0 and bar.slider.maximum() == 6 and bar.slider.value() == 6
    assert not bar.resume.isVisible() and "now" in bar.where.text()

    _keys(qtbot, bar.slider, Qt.Key.Key_Home)  # the person takes the slider back to the start
    qtbot.waitUntil(lambda: controller.viewing is not None)
    assert controller.viewing.epoch == 0 and bar.resume.isVisible() and bar.back.isVisible()
    assert "viewing epoch 0" in bar.where.text()
    # the canvas: every wire drawn with its initial weight, every bias the initial one
    changed = 0
    for cid, weight in initial["connections"].items():
        item = scene.connection_item(cid)
        assert item.record.weight == pytest.approx(weight)
        assert item.pen() == _looks_like(item, weight, scene)
        changed += item.pen() != _looks_like(item, now["connections"][cid], scene)
    assert changed  # …which is not how they look trained
    for nid, values in initial["neurons"].items():
        assert scene.node_item(nid).record.params["bias"] == pytest.approx(values["bias"])
    # the boundary and the neuron maps: what the initial weights compute over the plane
    boundary = window.live.boundary
    output, maps = _the_plane_at(design, initial, boundary.last.plane)
    expected = boundary.colouring.rgb(output, boundary.tables, False)
    np.testing.assert_array_equal(boundary.image.image, expected)
    assert boundary.caption.text() == "output at epoch 0"
    for nid, values in maps.items():
        np.testing.assert_allclose(scene.node_item(nid).neuron_map.values, values, rtol=1e-5,
                                   atol=1e-6)
    # the loss panel marks epoch 0
    loss = window.live.loss
    assert all(m.isVisible() and m.value() == 0 for m in loss.markers)
    assert "viewing epoch 0" in loss.summary.text()
    assert loss.plot.viewRange()[0][0] < 0 < loss.plot.viewRange()[0][1]  # the marker in view
    # the design, its weights and its undo stack are as they were
    assert design.snapshot_weights()["connections"] == now["connections"]
    assert (stack.count(), stack.index(), stack.isClean()) == (commands, index, clean)
    assert shown and shown[-1]["connections"] == pytest.approx(initial["connections"])

    qtbot.mouseClick(bar.back, Qt.MouseButton.LeftButton)  # Back to now
    assert controller.viewing is None and shown[-1] is None
    for cid, weight in now["connections"].items():
        item = scene.connection_item(cid)
        assert item.record.weight == weight and item.pen() == _looks_like(item, weight, scene)
    output, _maps = _the_plane_at(design, now, boundary.last.plane)
    np.testing.assert_array_equal(boundary.image.image,
                                  boundary.colouring.rgb(output, boundary.tables, False))
    assert boundary.caption.text() == "output"
    assert not any(m.isVisible() for m in loss.markers) and "viewing" not in loss.summary.text()
    assert bar.slider.value() == 6 and not bar.resume.isVisible()
    assert (stack.count(), stack.index()) == (commands, index)


def test_an_edit_or_hiding_the_bar_while_looking_back_returns_to_now(xor_window, qtbot):
    window = xor_window
    controller, bar = window.live.controller, window.timeline_bar
    _train(window, qtbot, 4)
    _keys(qtbot, bar.slider, Qt.Key.Key_Home, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: controller.viewing is not None and controller.viewing.epoch == 1)
    wire = next(iter(window.document.design.connections))
    window.document.set_weight(wire, 0.25)  # as the inspector does
    assert controller.viewing is None and not bar.back.isVisible()
    assert window.scene.connection_item(wire).record.weight == 0.25
    _keys(qtbot, bar.slider, Qt.Key.Key_Home)
    qtbot.waitUntil(lambda: controller.viewing is not None)
    window.timeline_toolbar.toggleViewAction().trigger()  # Learn → Training Timeline: hidden
    assert controller.viewing is None
    assert window.scene.connection_item(wire).record.weight == 0.25


def test_resume_from_here_rewinds_in_one_undo_step_and_trains_on_from_that_epoch(xor_window, qtbot):
    window = xor_window
    controller, bar = window.live.controller, window.timeline_bar
    _train(window, qtbot, 10)
    design, stack = window.document.design, window.document.undo_stack
    history = list(design.state.history)
    before = stack.count()
    shown = []
    controller.moment_shown.connect(shown.append)
    _keys(qtbot, bar.slider, Qt.Key.Key_Home, *[Qt.Key.Key_Right] * 4)
    qtbot.waitUntil(lambda: controller.viewing is not None and controller.viewing.epoch == 4)
    at_four = shown[-1]

    qtbot.mouseClick(bar.resume, Qt.MouseButton.LeftButton)
    assert stack.count() == before + 1 and stack.text(before) == "Resume from epoch 4"
    qtbot.waitUntil(lambda: not controller.running, timeout=60000)
    assert controller.viewing is None and not bar.resume.isVisible()
    assert stack.count() == before + 2 and stack.text(before + 1) == "Train to epoch 10"
    epochs = [h["epoch"] for h in design.state.history]
    assert epochs == list(range(1, 11)) and design.state.history[:4] == history[:4]
    assert controller.timeline.epochs == list(range(11))  # the epochs after 4 were recorded again

    stack.undo()  # the run from epoch 4
    assert design.state.epoch == 4 and design.state.history == history[:4]
    weights = design.snapshot_weights()
    assert weights["connections"] == pytest.approx(at_four["connections"])
    for nid, values in at_four["neurons"].items():
        assert weights["neurons"][nid]["bias"] == pytest.approx(values["bias"])
    stack.undo()  # the resume itself
    assert design.state.epoch == 10 and design.state.history == history


def test_epochs_ended_with_one_step_join_the_timeline(xor_window, qtbot):
    window = xor_window
    controller, bar = window.live.controller, window.timeline_bar
    design = window.document.design
    at_epoch = {}
    while design.state.epoch < 2:
        window.live.bar.act_step.trigger()
        at_epoch.setdefault(design.state.epoch, design.snapshot_weights())
    assert controller.timeline.epochs == [0, 1, 2] and bar.slider.maximum() == 2
    _keys(qtbot, bar.slider, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: controller.viewing is not None)
    assert controller.viewing.epoch == 1
    for cid, weight in at_epoch[1]["connections"].items():
        assert window.scene.connection_item(cid).record.weight == pytest.approx(weight)


def test_moving_the_slider_while_training_pauses_then_shows_that_moment(xor_window, qtbot):
    window = xor_window
    controller, bar = window.live.controller, window.timeline_bar
    window.document.set_training(epochs=10**6, target_accuracy=None)
    window.live.bar.act_play.trigger()
    qtbot.waitUntil(lambda: controller.last is not None and controller.last.epoch >= 3, timeout=30000)
    _keys(qtbot, bar.slider, Qt.Key.Key_Home)
    qtbot.waitUntil(lambda: not controller.running and controller.viewing is not None, timeout=20000)
    assert controller.viewing.epoch == 0 and controller.state == "paused"
    assert len(controller.timeline) > 3 and controller.timeline.epochs[0] == 0
    window.live.bar.act_play.trigger()  # Play goes on from now, not from the moment shown
    assert controller.viewing is None and controller.running
    controller.pause()
    qtbot.waitUntil(lambda: not controller.running, timeout=20000)
