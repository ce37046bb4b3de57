"""File → New, Open and Open Example: every view starts again from the design now open — the
status bar's figures, the loss plot's axes, the confusion matrix, the panel in front — and a
trained design that reopens shows its own history."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from gui.window import file_actions
from resources import EXAMPLES


def train_whole_batches(window, epochs: int) -> None:
    """`epochs` epochs by One Step, each step the whole training set (fast, no process)."""
    window.document.set_training(batch_size=4096)
    for _ in range(epochs):
        window.live.bar.act_step.trigger()
    assert window.live.controller.last.epoch == epochs


def open_example(window, monkeypatch, name: str) -> None:
    """File → Open Example, the person picking `name` (the work before counts as saved)."""
    window.document.undo_stack.setClean()
    monkeypatch.setattr(file_actions, "choose_example", lambda parent: str(EXAMPLES / f"{name}.ncanvas"))
    window.act_example.trigger()
    assert window.document.design.dataset is not None and window.windowTitle().startswith("Untitled")


def status_bar_text(window) -> str:
    return " | ".join(label.text() for label in window.statusBar().findChildren(QLabel)
                      if label.isVisible())


def in_front(dock) -> bool:
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def test_open_example_after_training_shows_nothing_of_the_old_design(window, qtbot, monkeypatch):
    live = window.live
    assert window.open_path(str(EXAMPLES / "digits_mlp.ncanvas"))
    train_whole_batches(window, 3)
    assert "epoch 3" in live.status.text() and "test accuracy" in live.status.text()
    assert "epoch 3" in live.confusion.caption.text() and live.confusion.counts is not None
    qtbot.waitUntil(lambda: live.loss.plot.viewRange()[0][1] > 2.5)  # the epoch axis runs to 3

    open_example(window, monkeypatch, "digits_cnn")
    qtbot.wait(100)
    assert "epoch 3" not in live.status.text() and "accuracy" not in live.status.text()
    assert live.confusion.counts is None and live.confusion.accuracy is None
    assert live.confusion.pages.currentWidget() is live.confusion.note
    assert "right" not in live.confusion.note.text()
    assert live.loss.plot.viewRange()[0][1] <= 1.0  # no axis left from the old epochs
    assert live.loss.metric_plot.viewRange()[0][1] <= 1.0
    assert live.loss.summary.text() == "not trained yet"
    assert live.bar.epoch.text() == "Epoch 0"


def test_new_after_training_shows_nothing_of_the_old_design(window, qtbot):
    live = window.live
    assert window.open_path(str(EXAMPLES / "xor.ncanvas"))
    train_whole_batches(window, 2)
    assert "loss" in live.status.text()
    qtbot.waitUntil(lambda: live.loss.plot.viewRange()[0][1] > 1.5)
    window.document.undo_stack.setClean()
    window.act_new.trigger()
    qtbot.wait(100)
    assert "epoch 2" not in status_bar_text(window) and "loss" not in live.status.text()
    assert live.loss.plot.viewRange()[0][1] <= 1.0


def test_a_regression_then_a_classification_labels_the_metric_axis_anew(window, qtbot, monkeypatch):
    live = window.live
    assert window.open_path(str(EXAMPLES / "regression_plane.ncanvas"))
    train_whole_batches(window, 2)
    assert live.loss.metric_plot.getAxis("left").labelText == "R²"
    open_example(window, monkeypatch, "xor")
    assert live.loss.metric_plot.getAxis("left").labelText == "accuracy"
    open_example(window, monkeypatch, "regression_plane")  # and back, before any training
    assert live.loss.metric_plot.getAxis("left").labelText == "R²"


def test_the_panel_an_example_brought_forward_goes_back_for_the_next(window, qtbot, monkeypatch):
    live = window.live
    assert window.open_path(str(EXAMPLES / "sine_lstm.ncanvas"))
    live.bar.act_step.trigger()  # a regression with a view inside: Inside comes forward
    qtbot.waitUntil(lambda: in_front(live.inside_dock), timeout=10000)

    open_example(window, monkeypatch, "xor")  # two inputs: the decision boundary, untrained yet
    assert in_front(live.boundary_dock) and not in_front(live.inside_dock)

    open_example(window, monkeypatch, "digits_mlp")  # 64 inputs, ten classes: the confusion matrix
    assert in_front(live.confusion_dock) and not in_front(live.boundary_dock)
    assert live.confusion.counts is None


def test_a_trained_design_reopened_after_another_shows_its_own_history(window, qtbot, tmp_path):
    live = window.live
    assert window.open_path(str(EXAMPLES / "digits_mlp.ncanvas"))
    train_whole_batches(window, 3)
    path = tmp_path / "trained.ncanvas"
    window.document.save(str(path))
    assert window.open_path(str(EXAMPLES / "xor.ncanvas"))
    assert "epoch 3" not in live.status.text()

    assert window.open_path(str(path))
    qtbot.waitUntil(lambda: live.controller.last is not None, timeout=10000)
    assert "epoch 3" in live.status.text() and "test accuracy" in live.status.text()
    assert "epoch 3" in live.confusion.caption.text() and live.confusion.counts is not None
    assert len(live.loss.train_curve.getData()[1]) == 3
    qtbot.waitUntil(lambda: live.loss.plot.viewRange()[0][1] > 2.5)
    assert in_front(live.confusion_dock)
