"""Live training in the window, through the toolbar: play to 100 %, pause, one step, a learning
rate that diverges, closing while it trains."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from gui.app import EXAMPLES


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
    assert controller.trainer._cursor == 2 * window.document.design.training.batch_size


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


def test_a_learning_rate_that_is_not_a_number_is_refused_in_the_banner(xor_window):
    window = xor_window
    edit = window.live.bar.rate.lineEdit()
    edit.selectAll()
    QTest.keyClicks(edit, "fast")
    QTest.keyClick(edit, Qt.Key.Key_Return)
    assert window.document.design.training.learning_rate == 0.1
    assert "'fast'" in window.live.banner.text.text()


def test_closing_the_window_while_training_stops_the_worker(xor_window, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from gui import main_window as main_window_module

    window = xor_window
    controller = window.live.controller
    window.document.set_training(target_accuracy=None, epochs=100000)
    window.live.bar.act_play.trigger()
    qtbot.waitUntil(lambda: controller.last is not None and controller.last.step > 10, timeout=20000)
    process = controller.process
    monkeypatch.setattr(main_window_module, "ask_to_save",
                        lambda parent, name: QMessageBox.StandardButton.Discard)
    assert window.close()
    assert not process.is_alive() and not controller.running
