"""The training controller: a worker trains the open design; pause, one step, one sample, reset,
edits while it runs, divergence, and a clean stop."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from gui.document.document import Document
from gui.training.controller import TrainingController

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.fixture
def xor(qtbot):
    document = Document()
    document.open(str(EXAMPLES / "xor.ncanvas"))
    controller = TrainingController(document)
    yield document, controller
    controller.shutdown()
    document.autosave_timer.stop()


def test_play_trains_xor_to_100_percent_in_the_background_and_records_one_undo_step(xor, qtbot):
    document, controller = xor
    frames = []
    controller.snapshot.connect(frames.append)
    assert controller.play() and controller.state == "running"
    qtbot.waitUntil(lambda: not controller.running, timeout=60000)
    last = controller.last
    assert last.metrics.test_accuracy == 1.0 and last.metrics.train_accuracy == 1.0
    assert len(frames) >= 2 and frames[-1].output_map is not None and frames[-1].neuron_maps
    weights = document.design.snapshot_weights()["connections"]
    assert all(w is not None and math.isfinite(w) for w in weights.values())
    assert document.design.state.epoch == last.epoch > 0
    assert document.undo_stack.undoText().startswith("Train to epoch")
    document.undo_stack.undo()
    assert document.design.state.epoch == 0


def test_pause_stops_the_steps_and_play_goes_on_from_there(xor, qtbot):
    document, controller = xor
    document.set_training(target_accuracy=None, epochs=100000)
    controller.play()
    qtbot.waitUntil(lambda: controller.last is not None and controller.last.step > 50, timeout=20000)
    controller.pause()
    qtbot.waitUntil(lambda: not controller.running, timeout=10000)
    steps = controller.trainer.step_count
    qtbot.wait(200)
    assert controller.trainer.step_count == steps and controller.state == "paused"
    assert document.design.state.step == steps
    controller.play()
    qtbot.waitUntil(lambda: controller.last.step > steps + 20, timeout=20000)


def test_one_step_is_exactly_one_mini_batch(xor):
    document, controller = xor
    assert controller.step_once()
    assert controller.trainer.step_count == 1 and controller.trainer.cursor == 10
    assert controller.step_once()
    assert controller.trainer.step_count == 2 and controller.trainer.cursor == 20
    assert document.design.state.step == 2


def test_present_one_sample_names_it(xor):
    _document, controller = xor
    assert controller.present_one()
    assert controller.last.sample is not None and controller.trainer.step_count == 1


def test_reset_returns_to_the_same_initial_weights(xor):
    document, controller = xor
    controller.step_once()
    start = document.design.initial_weights
    for _ in range(5):
        controller.step_once()
    assert document.design.snapshot_weights()["connections"] != start["connections"]
    controller.reset()
    assert document.design.snapshot_weights()["connections"] == start["connections"]
    assert document.design.state.step == 0


def test_a_learning_rate_that_diverges_stops_with_a_message_and_finite_weights(xor, qtbot):
    document, controller = xor
    document.set_training(optimizer="sgd", learning_rate=1e30, target_accuracy=None)
    messages = []
    controller.message.connect(messages.append)
    controller.play()
    qtbot.waitUntil(lambda: not controller.running, timeout=20000)
    assert messages and "lower learning rate" in messages[-1]
    weights = document.design.snapshot_weights()["connections"]
    assert all(math.isfinite(w) for w in weights.values())


def test_a_structural_edit_pauses_rebuilds_and_resumes(xor, qtbot):
    document, controller = xor
    document.set_training(target_accuracy=None, epochs=100000)
    controller.play()
    qtbot.waitUntil(lambda: controller.last is not None and controller.last.step > 20, timeout=20000)
    out = next(n for n, node in document.design.nodes.items() if node.label == "" and
               not document.design.outgoing(n) and node.kind == "neuron")
    x1 = next(n for n, node in document.design.nodes.items() if node.kind == "input")
    document.connect(x1, out)  # a skip wire from an input to the output
    qtbot.waitUntil(lambda: controller.running and controller.trainer is not None
                    and any(s.target == out for s in controller.trainer.design.connections.values()
                            if s.source == x1), timeout=20000)
    before = controller.last.step
    qtbot.waitUntil(lambda: controller.last.step > before + 20, timeout=20000)


def test_a_weight_typed_while_paused_is_used_by_the_next_step(xor):
    document, controller = xor
    controller.step_once()
    conn = next(iter(document.design.connections))
    document.set_weight(conn, 0.0)
    controller.trainer.write_back()  # what the model holds now
    assert controller.trainer.design.connections[conn].weight == 0.0


def test_shutdown_while_running_stops_the_thread(xor, qtbot):
    document, controller = xor
    document.set_training(target_accuracy=None, epochs=100000)
    controller.play()
    qtbot.waitUntil(lambda: controller.last is not None and controller.last.step > 5, timeout=20000)
    process = controller.process
    controller.shutdown()
    assert not controller.running and not process.is_alive()
    assert document.design.state.step >= 5  # what it learned is kept


def test_a_step_on_a_design_of_dense_blocks_is_one_undo_step(qtbot):
    document = Document()
    document.open(str(EXAMPLES / "digits_mlp.ncanvas"))
    controller = TrainingController(document)
    try:
        assert controller.step_once()
        assert document.undo_stack.undoText() == "One step"
        document.undo_stack.undo()
        assert document.design.state.step == 0
    finally:
        controller.shutdown()
        document.autosave_timer.stop()


def test_a_diverging_run_shows_only_the_message_and_no_numpy_warning(xor, qtbot, capfd, recwarn):
    document, controller = xor
    document.set_training(optimizer="sgd", learning_rate=1e30, target_accuracy=None)
    messages = []
    controller.message.connect(messages.append)
    controller.play()  # the training process starts here: its stderr is this test's
    qtbot.waitUntil(lambda: not controller.running, timeout=20000)
    assert messages and "lower learning rate" in messages[-1]
    assert "RuntimeWarning" not in capfd.readouterr().err  # the training process said nothing
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]  # nor the window
