"""The Compare view's variants train in a process of their own: the window's thread stays free
(a timer keeps its beat while 16 variants train), Pause, results and a pick go through the
process, one process serves the window's comparisons and ends with the window or another design,
and a process killed mid-run is said in the view while the window stays usable."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from core.files.fileformat import load_design
from core.training.grid import parse_grid
from gui.panels.compare.grid import variants_of
from resources import EXAMPLES
from tests.gui.processes import never_left_behind

POSIX = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals kill it")


def _seeds(count: int):
    return variants_of(parse_grid([f"seed=0..{count - 1}"],
                                  load_design(EXAMPLES / "spiral.ncanvas")))


def _sixteen():
    return variants_of(parse_grid(["learning_rate=0.001,0.003,0.01,0.03", "seed=0..3"],
                                  load_design(EXAMPLES / "spiral.ncanvas")))


def test_sixteen_variants_train_in_another_process_and_the_window_keeps_its_beat(
        spiral_window, qtbot):
    launcher = spiral_window.live.compare
    assert launcher.compare(_sixteen(), 10**6)
    panel = launcher.panel
    process = panel.run.process
    assert process is not None and process.is_alive() and process.pid != os.getpid()
    qtbot.waitUntil(lambda: all(r.epoch >= 1 for r in panel.records), timeout=60000)
    # the training alone, not the drawing (the view's own cost, benchmarks/live.py --compare):
    # frames still come, the view is not given them for this second and a half
    frames: list = []
    panel.run.frame.disconnect(panel._frame)
    panel.run.frame.connect(frames.append)
    beats: list[float] = []
    timer = QTimer(interval=10)
    timer.timeout.connect(lambda: beats.append(time.perf_counter()))
    timer.start()
    qtbot.wait(1500)
    timer.stop()
    panel.run.frame.disconnect(frames.append)
    panel.run.frame.connect(panel._frame)
    assert len(frames) >= 5 and {r.index for f in frames for r in f.reports} == set(range(16))
    # … and the window's thread was free (in a thread of this process, the variants held it
    # ~0.1 s at a time, the timer beat ~10 times a second)
    assert len(beats) >= 75 and np.median(np.diff(beats)) < 0.02
    panel.run.pause()
    panel.run.wait()
    assert panel.run.state == "paused" and {r.state for r in panel.records} == {"paused"}


def test_results_and_a_pick_go_through_the_process_which_serves_the_next_comparison(
        spiral_window, qtbot):
    window = spiral_window
    launcher = window.live.compare
    assert launcher.compare(_seeds(2), 10**6)
    panel = launcher.panel
    process = panel.run.process
    qtbot.waitUntil(lambda: all(r.epoch >= 2 for r in panel.records), timeout=60000)
    results = panel.run.results()  # paused first
    assert not panel.run.running and panel.run.state == "paused"
    assert [r.changes["seed"] for r in results] == [0, 1]
    assert [r.epoch for r in results] == [r.epoch for r in panel.records]
    assert panel.pick(1)
    design = window.document.design
    assert design.training.seed == 1 and design.state.epoch == results[1].epoch
    assert design.state.history[-1]["train_loss"] == pytest.approx(
        panel.records[1].last("train_loss"))

    window.document.undo_stack.undo()  # the design untrained again
    assert window.document.design.state.epoch == 0
    assert launcher.compare(_seeds(3), 2)  # the next comparison: in the same process
    assert panel.run.process is process and process.is_alive()
    qtbot.waitUntil(lambda: not panel.run.running, timeout=60000)
    assert [r.state for r in panel.records] == ["finished"] * 3
    assert [r.epoch for r in panel.records] == [2, 2, 2]
    assert window.open_path(str(EXAMPLES / "xor.ncanvas"))  # another design: it ends
    process.join(5)
    assert not process.is_alive()


def test_closing_the_window_ends_the_comparison_process(spiral_window, qtbot):
    launcher = spiral_window.live.compare
    assert launcher.compare(_seeds(2), 10**6)
    process = launcher.panel.run.process
    qtbot.waitUntil(lambda: launcher.panel.records[0].epoch >= 1, timeout=60000)
    with never_left_behind(process):
        spiral_window.live.shutdown()  # what closing the window does first
        process.join(5)
        assert not process.is_alive()


@POSIX
def test_a_killed_comparison_process_is_said_and_the_window_stays_usable(spiral_window, qtbot):
    window = spiral_window
    launcher = window.live.compare
    assert launcher.compare(_seeds(2), 10**6)
    panel = launcher.panel
    qtbot.waitUntil(lambda: all(r.epoch >= 1 for r in panel.records), timeout=60000)
    with never_left_behind(panel.run.process) as process:
        os.kill(process.pid, signal.SIGKILL)
        qtbot.waitUntil(lambda: not panel.run.running, timeout=10000)
    text = panel.summary.text()
    assert "comparison process ended unexpectedly (killed by SIGKILL" in text
    assert "Reset trains the variants again" in text
    assert panel.play_button.text() == "Play" and panel.reset_button.isEnabled()
    count = window.document.undo_stack.count()
    assert not panel.pick(0)  # its variants went with it: nothing becomes the design
    assert window.document.undo_stack.count() == count
    assert "cannot become the design" in panel.summary.text()
    panel.toggle()  # Play: said again, nothing starts
    assert not panel.run.running and "Reset" in panel.summary.text()

    panel.reset()  # and the variants train again, in a new process
    panel.toggle()
    assert panel.run.running
    assert panel.run.process is not process and panel.run.process.is_alive()
    qtbot.waitUntil(lambda: all(r.epoch >= 1 for r in panel.records), timeout=60000)
    panel.run.pause()
    panel.run.wait()
    assert panel.run.state == "paused"


@POSIX
def test_a_process_killed_while_the_variants_rest_is_found_at_the_next_request(spiral_window,
                                                                                qtbot):
    launcher = spiral_window.live.compare
    assert launcher.compare(_seeds(2), 1)
    panel = launcher.panel
    qtbot.waitUntil(lambda: not panel.run.running, timeout=60000)
    assert panel.run.state == "finished"
    with never_left_behind(panel.run.process) as process:
        os.kill(process.pid, signal.SIGKILL)
        process.join(5)
    with pytest.raises(ValueError, match="ended unexpectedly"):  # not a fresh comparison's
        panel.run.results()  # untrained variants, passed off as these
    assert "ended unexpectedly" in panel.summary.text()
    panel.toggle()  # Play: nothing starts until Reset
    assert not panel.run.running


def test_the_comparison_process_runs_on_the_backend_all_the_variants_steps_want(
        spiral_window, qtbot, monkeypatch):
    """A comparison asks core which backend one step of all its variants wants (16 small
    networks may add up to a GPU's worth) and its process runs on that one; a comparison that
    wants another backend gets a new process."""
    from core.engine.work import step_work
    from gui.panels.compare import run as compare_run

    asked: list[float] = []
    wanted = {"now": "numpy"}

    def for_training(work: float) -> str:
        asked.append(work)
        return wanted["now"]

    monkeypatch.setattr(compare_run.backend, "for_training", for_training)
    launcher = spiral_window.live.compare
    assert launcher.compare(_seeds(4), 1)
    panel = launcher.panel
    first = panel.run.remote
    assert first.backend == "numpy"
    batch = spiral_window.document.design.training.batch_size
    assert asked[-1] == 4 * step_work(panel.run.build.model, batch)
    panel.run.wait()
    wanted["now"] = ""
    assert launcher.compare(_seeds(2), 1)
    assert panel.run.remote is not first and panel.run.remote.backend == ""
    panel.run.wait()
    assert all(r.epoch == 1 for r in panel.records)
    assert not first.process.is_alive()
