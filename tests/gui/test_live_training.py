"""Live training in the window, through the toolbar: play to 100 %, pause, one step, a learning
rate that diverges, closing while it trains."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from resources import EXAMPLES


@pytest.fixture
def xor_window(window):
    window.open_path(str(EXAMPLES / "xor.ncanvas"))
    yield window
    window.live.shutdown()


def test_play_in_the_toolbar_trains_xor_to_100_percent(xor_window, qtbot):
    window = xor_window
    bar, controller = window.live.bar, window.live.controller
    bar.act_play.trigger()
    assert controller.state == "running" and bar.act_play.text() == "Pause"
    qtbot.waitUntil(lambda: not controller.running, timeout=60000)
    assert controller.last.metrics.test_accuracy == 1.0
    assert "test accuracy 100.0%" in window.live.status.text()
    assert bar.epoch.text() == f"Epoch {controller.last.epoch:,}"
    assert bar.act_play.text() == "Play"
    assert window.document.dirty and window.windowTitle().startswith("xor.ncanvas •")
    wires = window.document.design.snapshot_weights()["connections"].values()
    assert all(w is not None for w in wires)  # the canvas now draws the trained weights


def test_pause_stops_the_steps(xor_window, qtbot):
    window = xor_window
    bar, controller = window.live.bar, window.live.controller
    window.document.set_training(target_accuracy=None, epochs=100000)
    bar.act_play.trigger()
    qtbot.waitUntil(lambda: controller.last is not None and controller.last.step > 30, timeout=20000)
    bar.act_play.trigger()  # now "Pause"
    qtbot.waitUntil(lambda: not controller.running, timeout=10000)
    steps = controller.trainer.step_count
    qtbot.wait(150)
    assert controller.trainer.step_count == steps and controller.state == "paused"


def test_one_step_advances_exactly_one_mini_batch(xor_window):
    window = xor_window
    bar, controller = window.live.bar, window.live.controller
    bar.act_step.trigger()
    bar.act_step.trigger()
    assert controller.trainer.step_count == 2
    assert window.document.design.state.step == 2
    assert controller.trainer.cursor == 2 * window.document.design.training.batch_size


def test_a_learning_rate_that_diverges_shows_the_banner_and_keeps_finite_weights(xor_window, qtbot):
    window = xor_window
    bar, controller = window.live.bar, window.live.controller
    bar.optimizer.setCurrentIndex(bar.optimizer.findData("sgd"))
    bar.optimizer.activated.emit(bar.optimizer.currentIndex())
    edit = bar.rate.lineEdit()
    edit.selectAll()
    QTest.keyClicks(edit, "1e30")
    QTest.keyClick(edit, Qt.Key.Key_Return)
    assert window.document.design.training.learning_rate == 1e30
    window.document.set_training(target_accuracy=None)
    bar.act_play.trigger()
    qtbot.waitUntil(lambda: not controller.running, timeout=20000)
    assert window.live.banner.isVisible()
    assert "lower learning rate" in window.live.banner.text.text()
    weights = window.document.design.snapshot_weights()["connections"].values()
    assert all(math.isfinite(w) for w in weights)
    assert window.isVisible()  # the application keeps running


def test_a_learning_rate_that_is_not_a_number_is_refused_beside_the_box_not_in_the_banner(xor_window):
    from gui.widgets.refusals import refusal

    window = xor_window
    edit = window.live.bar.rate.lineEdit()
    edit.selectAll()
    QTest.keyClicks(edit, "fast")
    QTest.keyClick(edit, Qt.Key.Key_Return)
    assert window.document.design.training.learning_rate == 0.1
    assert "'fast'" in refusal(window.live.bar.rate)
    assert not window.live.banner.isVisible()


def test_closing_the_window_while_training_stops_the_worker(xor_window, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from gui.window import file_actions

    window = xor_window
    controller = window.live.controller
    window.document.set_training(target_accuracy=None, epochs=100000)
    window.live.bar.act_play.trigger()
    qtbot.waitUntil(lambda: controller.last is not None and controller.last.step > 10, timeout=20000)
    process = controller.process
    monkeypatch.setattr(file_actions, "ask_to_save",
                        lambda parent, name: QMessageBox.StandardButton.Discard)
    assert window.close()
    assert not process.is_alive() and not controller.running


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.ncanvas")))
def test_every_example_trains_in_the_window_with_its_panels_live(window, qtbot, name):
    window.open_path(str(EXAMPLES / f"{name}.ncanvas"))
    live = window.live
    window.document.set_training(epochs=3, target_accuracy=None, target_loss=None,
                                 early_stopping_patience=0)
    try:
        live.bar.act_play.trigger()
        qtbot.waitUntil(lambda: not live.controller.running, timeout=60000)
        snap = live.controller.last
        assert snap.epoch == 3 and len(snap.history) == 3
        assert live.loss.train_curve.getData()[1] is not None
        assert len(live.loss.train_curve.getData()[1]) == 3
        if snap.plane is not None:  # two inputs: the boundary, and every neuron's own map
            assert live.boundary.image.image is not None
            assert live.boundary.stack.currentWidget() is not live.boundary.note
            neurons = [n for n, node in window.document.design.nodes.items() if node.kind == "neuron"]
            assert set(snap.neuron_maps) == set(neurons)
            assert all(window.scene.node_item(n).neuron_map is not None for n in neurons)
        elif snap.confusion is not None:  # more inputs: the confusion matrix and the samples
            assert live.confusion.counts.sum() == len(live.controller.trainer.test_idx)
            assert not live.confusion_dock.visibleRegion().isEmpty() or live.confusion_dock.isVisible()
        assert "epoch 3" in live.status.text()
    finally:
        live.shutdown()


def test_hovering_a_neuron_shows_its_map_in_the_big_plot(xor_window, qtbot):
    from PySide6.QtCore import QPointF

    from tests.gui.gestures import at

    window = xor_window
    window.live.bar.act_step.trigger()
    neuron = next(n for n, node in window.document.design.nodes.items() if node.kind == "neuron")
    item = window.scene.node_item(neuron)
    QTest.mouseMove(window.view.viewport(), at(window.view, item.mapToScene(QPointF(0, 0))))
    qtbot.waitUntil(lambda: window.live.boundary.neuron == neuron)
    assert window.live.boundary.caption.text().startswith("neuron")
    QTest.mouseMove(window.view.viewport(), at(window.view, QPointF(-2000, -2000)))
    qtbot.waitUntil(lambda: window.live.boundary.neuron is None)


def test_a_learning_rate_typed_while_training_runs_takes_effect_without_stopping(xor_window, qtbot):
    window = xor_window
    controller = window.live.controller
    window.document.set_training(target_accuracy=None, epochs=100000, optimizer="sgd")
    window.live.bar.act_play.trigger()
    qtbot.waitUntil(lambda: controller.last is not None and controller.last.epoch >= 3, timeout=20000)
    edit = window.live.bar.rate.lineEdit()
    edit.selectAll()
    QTest.keyClicks(edit, "0.005")
    QTest.keyClick(edit, Qt.Key.Key_Return)
    assert controller.running
    qtbot.waitUntil(lambda: controller.last.history[-1]["learning_rate"] == 0.005, timeout=20000)
    assert controller.running


def test_new_seed_draws_fresh_weights_and_undo_brings_the_old_ones_back(xor_window):
    window = xor_window
    window.live.bar.act_step.trigger()
    before = window.document.design.snapshot_weights()["connections"]
    window.live.bar.act_seed.trigger()
    after = window.document.design.snapshot_weights()["connections"]
    assert window.document.design.training.seed == 1 and after != before
    assert all(w is not None for w in after.values())  # drawn at once, shown on the canvas
    while window.document.undo_stack.undoText() != "One step":
        window.document.undo_stack.undo()
    assert window.document.design.snapshot_weights()["connections"] == before


def test_a_trained_design_reopens_with_its_curves_and_boundary(xor_window, qtbot, tmp_path):
    from gui.window.main_window import MainWindow

    window = xor_window
    window.document.set_training(epochs=5, target_accuracy=None)
    window.live.bar.act_play.trigger()
    qtbot.waitUntil(lambda: not window.live.controller.running, timeout=30000)
    path = tmp_path / "trained.ncanvas"
    window.document.save(str(path))
    later = MainWindow(restore_settings=False)
    qtbot.addWidget(later, before_close_func=lambda w: w.live.shutdown())
    later.open_path(str(path))
    qtbot.waitUntil(lambda: later.live.controller.last is not None)
    assert len(later.live.loss.train_curve.getData()[1]) == 5
    assert later.live.boundary.image.image is not None
    assert later.live.bar.epoch.text() == "Epoch 5" and not later.document.dirty
