"""The training process as the window sees it when it goes wrong: stopped (SIGSTOP), killed
(kill -9), out of memory. The window answers within a bounded time, says what happened, keeps the
run's weights with the epoch and history that match them, and leaves no process behind."""

from __future__ import annotations

import os
import re
import signal

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from core.training.trainer import Trainer
from gui.training import process as training_process
from resources import EXAMPLES
from tests.gui.processes import never_left_behind

POSIX = pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="POSIX signals stop and kill it")


@pytest.fixture
def xor_window(window, monkeypatch):
    monkeypatch.setattr(training_process, "ANSWER_SECONDS", 1.0)  # the least wait for an answer
    window.open_path(str(EXAMPLES / "xor.ncanvas"))
    window.document.set_training(target_accuracy=None, epochs=100000)
    yield window
    window.live.shutdown()


def train_until_shown(window, qtbot, epochs: int = 2) -> list:
    """Play, and wait until the design has taken the weights of a snapshot `epochs` in."""
    shown: list = []
    window.live.controller.weights_shown.connect(shown.append)
    window.live.bar.act_play.trigger()
    qtbot.waitUntil(lambda: shown and shown[-1].epoch >= epochs, timeout=30000)
    return shown


def replayed_weights(design, steps: int) -> dict:
    """The weights `steps` mini-batches from the design's start, trained here."""
    trainer = Trainer(design)
    for _ in range(steps):
        trainer.step()
    trainer.write_back()
    return trainer.design.snapshot_weights()["connections"]


def assert_the_weights_match_the_state(window, start) -> None:
    state = window.document.design.state
    assert state.epoch >= 1 and len(state.history) == state.epoch
    assert [h["epoch"] for h in state.history] == list(range(1, state.epoch + 1))
    kept = window.document.design.snapshot_weights()["connections"]
    again = replayed_weights(start, state.step)
    assert kept.keys() == again.keys()
    np.testing.assert_allclose([kept[k] for k in kept], [again[k] for k in kept], rtol=1e-4,
                               atol=1e-6)


@POSIX
def test_pause_of_a_stopped_training_process_answers_and_ends_it(xor_window, qtbot):
    window = xor_window
    bar, controller = window.live.bar, window.live.controller
    start = window.document.design.copy()
    shown = train_until_shown(window, qtbot)
    with never_left_behind(controller.process) as process:
        os.kill(process.pid, signal.SIGSTOP)
        bar.act_play.trigger()  # Pause: the process never reads it
        qtbot.waitUntil(lambda: not controller.running, timeout=30000)
        assert not process.is_alive()
    assert bar.act_play.text() == "Play" and controller.state != "running"
    assert window.live.banner.isVisible()
    text = window.live.banner.text.text()
    assert "does not answer" in text and "are kept" in text
    assert window.document.design.state.step == shown[-1].step
    assert_the_weights_match_the_state(window, start)
    bar.act_play.trigger()  # a fresh process takes over
    qtbot.waitUntil(lambda: controller.last.step > shown[-1].step + 10, timeout=30000)
    assert controller.process.is_alive()


@POSIX
def test_closing_the_window_with_a_stopped_training_process_ends_it(xor_window, qtbot,
                                                                     monkeypatch):
    from gui.window import file_actions

    window = xor_window
    controller = window.live.controller
    train_until_shown(window, qtbot)
    monkeypatch.setattr(file_actions, "ask_to_save",
                        lambda parent, name: QMessageBox.StandardButton.Discard)
    with never_left_behind(controller.process) as process:
        os.kill(process.pid, signal.SIGSTOP)
        assert window.close()
        assert not process.is_alive() and not controller.running


@POSIX
def test_a_killed_training_process_is_said_and_the_run_so_far_is_kept(xor_window, qtbot):
    window = xor_window
    bar, controller = window.live.bar, window.live.controller
    start = window.document.design.copy()
    shown = train_until_shown(window, qtbot, epochs=3)
    with never_left_behind(controller.process) as process:
        os.kill(process.pid, signal.SIGKILL)
        qtbot.waitUntil(lambda: not controller.running, timeout=30000)
    assert bar.act_play.text() == "Play" and controller.state == "paused"
    text = window.live.banner.text.text()
    assert "ended unexpectedly (killed by SIGKILL" in text and "are kept" in text
    state = window.document.design.state
    assert (state.epoch, state.step) == (shown[-1].epoch, shown[-1].step)
    assert_the_weights_match_the_state(window, start)
    assert window.live.bar.epoch.text() == f"Epoch {state.epoch:,}"


def test_running_out_of_memory_in_a_step_opens_a_dialog_and_loses_nothing(window, monkeypatch):
    from core.engine.model import Model

    window.open_path(str(EXAMPLES / "digits_mlp.ncanvas"))
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical",
                        staticmethod(lambda parent, title, text, *a: said.append(text)))
    window.live.bar.act_step.trigger()
    weights, state = window.document.design.snapshot_weights(), window.document.design.state

    def no_memory(*_args, **_kwargs):
        raise MemoryError

    monkeypatch.setattr(Model, "loss_and_gradients", no_memory)
    window.live.bar.act_step.trigger()
    assert len(said) == 1 and said[0].startswith("Training ran out of memory at epoch 1, step 2")
    assert "Nothing was lost" in said[0] and not window.live.banner.isVisible()
    design = window.document.design
    assert design.state == state and window.document.undo_stack.undoText() == "One step"
    assert all(np.array_equal(a, b) for a, b in zip(
        design.snapshot_weights()["blocks"]["d2"].values(), weights["blocks"]["d2"].values(),
        strict=True))


def test_the_status_bar_shows_what_training_needs_in_memory(window, qtbot):
    window.open_path(str(EXAMPLES / "digits_cnn.ncanvas"))
    qtbot.waitUntil(lambda: "training needs" in window.live.status.text())
    text = window.live.status.text()
    figure = next(part for part in text.split("·") if "training needs" in part).strip()
    assert re.fullmatch(r"training needs ≈ [0-9.]+ (KiB|MiB)", figure), figure
    assert "this machine has" in window.live.status.toolTip()


def test_a_design_that_cannot_fit_is_refused_at_play_with_the_figures(window, qtbot, monkeypatch):
    from core.compiler import memory

    monkeypatch.setattr(memory, "machine_memory", lambda: 16 * 2**30)
    window.open_path(str(EXAMPLES / "digits_cnn.ncanvas"))
    window.document.set_node_params("c3", filters=4096, kernel_size=31)
    qtbot.waitUntil(lambda: re.search(r"training needs ≈ [0-9.]+ GiB", window.live.status.text()))
    window.live.bar.act_play.trigger()
    assert not window.live.controller.running and window.live.controller.process is None
    text = window.live.banner.text.text()
    assert "more than the 16 GiB this machine has" in text and "'c3'" in text


def test_the_training_process_runs_on_the_backend_the_designs_work_wants(xor_window, qtbot,
                                                                          monkeypatch):
    """Play asks core which backend a step of this design wants (CuPy only for a big network
    where a device is) and starts the training process on it; a design that wants another
    backend than the running process has gets a new process on that one."""
    from core.engine import backend
    from core.engine.work import step_work
    from gui.training import controller as training_controller

    asked: list[float] = []
    wanted = {"now": "numpy"}

    def for_training(work: float) -> str:
        asked.append(work)
        return wanted["now"]

    monkeypatch.setattr(training_controller.backend, "for_training", for_training)
    controller = xor_window.live.controller
    train_until_shown(xor_window, qtbot, 1)
    first = controller.remote
    assert first.backend == "numpy"
    design = xor_window.document.design
    assert asked[-1] == step_work(controller.trainer.build.model, design.training.batch_size)
    controller.pause()
    qtbot.waitUntil(lambda: not controller.running, timeout=30000)
    wanted["now"] = ""  # the window's own backend: another process
    shown: list = []
    controller.weights_shown.connect(shown.append)
    epoch = design.state.epoch
    xor_window.live.bar.act_play.trigger()
    qtbot.waitUntil(lambda: bool(shown) and shown[-1].epoch > epoch, timeout=30000)
    assert controller.remote is not first and controller.remote.backend == ""
    assert not first.process.is_alive()
    assert controller.backend_text() == backend.description()
