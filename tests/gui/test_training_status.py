"""The status bar says where training is: ready, training, done and why; and what Play does
once every epoch asked for is done."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel

from resources import EXAMPLES


@pytest.fixture
def xor_window(window):
    window.open_path(str(EXAMPLES / "xor.ncanvas"))
    yield window
    window.live.shutdown()


def status_bar_text(window) -> str:
    """Everything the status bar shows now: the passing message and every visible label."""
    labels = [label.text() for label in window.statusBar().findChildren(QLabel) if label.isVisible()]
    return " | ".join([window.statusBar().currentMessage(), *labels])


def play_to_the_end(window, qtbot, seen: list[str] | None = None) -> None:
    live = window.live
    live.bar.act_play.trigger()
    assert live.controller.running
    if seen is not None:
        seen.append(status_bar_text(window))
    qtbot.waitUntil(lambda: not live.controller.running, timeout=60000)


def test_the_status_bar_says_training_and_done_never_ready_to_train(xor_window, qtbot):
    window, live = xor_window, xor_window.live
    window.document.set_training(epochs=12, target_accuracy=None)
    assert "ready to train" in status_bar_text(window)
    seen: list[str] = []
    play_to_the_end(window, qtbot, seen)
    assert "ready to train" not in seen[0] and "training to epoch 12" in seen[0]
    assert "ready to train" not in status_bar_text(window)
    assert "all 12 epochs are done" in window.statusBar().currentMessage()
    assert "Play trains 12 more" in window.statusBar().currentMessage()
    assert live.state_label.text() == "done: all 12 epochs"

    window.document.undo_stack.setClean()
    window.act_new.trigger()  # another design: nothing said of the last one's run
    assert "done" not in status_bar_text(window) and "epochs" not in status_bar_text(window)


def test_play_after_every_epoch_is_done_says_it_trains_more(xor_window, qtbot):
    window, live = xor_window, xor_window.live
    window.document.set_training(epochs=5, target_accuracy=None)
    play_to_the_end(window, qtbot)
    window.statusBar().clearMessage()
    seen: list[str] = []
    play_to_the_end(window, qtbot, seen)
    assert "Epochs raised to 10: training 5 more" in seen[0]
    assert "training to epoch 10" in seen[0]
    assert window.document.design.training.epochs == 10
    assert live.controller.last.epoch == 10 and live.state_label.text() == "done: all 10 epochs"


def test_a_schedule_run_down_says_where_it_left_the_rate(xor_window, qtbot):
    window, live = xor_window, xor_window.live
    window.document.set_training(epochs=6, target_accuracy=None, schedule="cosine",
                                 schedule_params={"min_lr": 0.0})
    play_to_the_end(window, qtbot)
    message = window.statusBar().currentMessage()
    assert "all 6 epochs are done" in message
    assert "cosine schedule has brought the learning rate down to 0" in message
    assert live.state_label.text() == "done: all 6 epochs"


def test_a_target_reached_says_so_and_play_again_says_it_stops_after_one_epoch(xor_window, qtbot):
    window, live = xor_window, xor_window.live
    window.document.set_training(epochs=500, target_accuracy=0.5)
    play_to_the_end(window, qtbot)
    epoch = live.controller.last.epoch
    assert epoch < 500
    assert "the accuracy reached the target 50%" in window.statusBar().currentMessage()
    assert live.state_label.text() == f"done at epoch {epoch}"
    assert "the accuracy reached the target 50%" in live.state_label.toolTip()
    assert "Play trains one epoch more" in live.state_label.toolTip()
    seen: list[str] = []
    play_to_the_end(window, qtbot, seen)
    assert "The accuracy is at its target 50% already: one epoch more, then it stops" in seen[0]
    assert live.controller.last.epoch == epoch + 1


def test_one_step_after_a_run_leaves_done_behind(xor_window, qtbot):
    window, live = xor_window, xor_window.live
    window.document.set_training(epochs=500, target_accuracy=0.5)
    play_to_the_end(window, qtbot)
    live.bar.act_step.trigger()
    assert "done" not in status_bar_text(window) and live.state_label.text() == "paused"


def test_a_design_that_cannot_train_says_nothing_of_training(window, qtbot):
    window.act_new.trigger()
    window.document.add_node("input", (0, 0), {"feature": "x1"})  # unfinished: no output yet
    window.document.validate_now()
    assert window.problem_count.isVisible() and "problem" in window.problem_count.text()
    assert "ready to train" not in status_bar_text(window)
    assert not window.live.state_label.isVisible()
