"""The comparison process's loop (core.training.compare_process), without Qt: driven over a real
pipe in a thread, and through a stand-in pipe where the test decides when each message arrives.
A comparison trains to its target in frames the view can draw (never more than two undrawn),
pauses keeping its place, trains on, answers for its results and a variant's design, says a
diverged variant once and a design that cannot train in words, and keeps serving."""

from __future__ import annotations

import multiprocessing
import threading

import numpy as np
import pytest

from core.files.fileformat import design_to_dict, load_design
from core.training import compare_process
from core.training.compare_process import serve
from core.training.ensemble import VariantTrainer
from core.training.probes import GRID
from tests.core.example_designs import EXAMPLES

SEEDS = [{"seed": 0}, {"seed": 1}]


def _spiral() -> dict:
    return design_to_dict(load_design(EXAMPLES / "spiral.ncanvas"))


def _start_serving():
    ours, theirs = multiprocessing.Pipe()
    thread = threading.Thread(target=serve, args=(theirs,), daemon=True)
    thread.start()
    return ours, thread


def _until(conn, kind: str, drawn: bool = True, timeout: float = 60.0):
    """The messages before the first `kind` one, and that one; each frame acknowledged as drawn."""
    before = []
    while conn.poll(timeout):
        message = conn.recv()
        if message[0] == kind:
            return before, message
        before.append(message)
        if message[0] == "frame" and drawn:
            conn.send(("drawn",))
    raise AssertionError(f"the comparison process never sent {kind!r}")


def _epochs(messages, last) -> dict[int, list[int]]:
    """Each variant's epochs, as the frames and the end reported them (the end's report of a
    variant that finished repeats its last epoch, its state then "finished")."""
    reports = [r for m in messages if m[0] == "frame" for r in m[1]] + list(last[3])
    seen: dict[int, list[int]] = {}
    for report in reports:
        epochs = seen.setdefault(report.index, [])
        if report.metrics is not None and report.epoch not in epochs[-1:]:
            epochs.append(report.epoch)
    return seen


def test_a_comparison_trains_in_frames_answers_and_trains_on():
    conn, thread = _start_serving()
    conn.send(("compare", _spiral(), SEEDS, 3))
    frames, ended = _until(conn, "ended")
    assert ended[1:3] == ("finished", "")
    assert _epochs(frames, ended) == {0: [1, 2, 3], 1: [1, 2, 3]}
    maps = ended[4]
    assert sorted(maps) == [0, 1] and maps[0].shape[:2] == (GRID, GRID)
    assert all(np.isfinite(m).all() for m in maps.values())
    assert not np.allclose(maps[0], maps[1])  # two seeds, two boundaries

    conn.send(("results",))
    _, (_, what, results, problem) = _until(conn, "answer")
    assert what == "results" and problem == ""
    assert [r.changes for r in results] == SEEDS and [r.epoch for r in results] == [3, 3]
    conn.send(("variant", 1))
    _, (_, what, design, problem) = _until(conn, "answer")
    assert what == "variant" and design.training.seed == 1 and design.state.epoch == 3
    alone = VariantTrainer(load_design(EXAMPLES / "spiral.ncanvas"), [SEEDS[1]])
    for _ in alone.run(3):
        pass
    assert design == alone.variant_design(0)  # the same weights as trained here alone

    conn.send(("train", 5))  # on from where it stands
    frames, ended = _until(conn, "ended")
    assert ended[1] == "finished" and _epochs(frames, ended) == {0: [4, 5], 1: [4, 5]}
    conn.send(("quit",))
    thread.join(5)
    assert not thread.is_alive()


def test_a_pause_keeps_the_place_and_a_design_that_cannot_train_is_said_in_words():
    conn, thread = _start_serving()
    conn.send(("compare", _spiral(), SEEDS, 10**6))
    _, first = _until(conn, "frame")
    conn.send(("pause",))
    frames, ended = _until(conn, "ended")
    assert ended[1] == "paused"
    conn.send(("results",))
    _, (*_, results, _problem) = _until(conn, "answer")
    epoch = results[0].epoch
    assert 1 <= epoch < 10**6 and results[1].epoch == epoch

    bad = _spiral()
    bad["nodes"] = {}  # nothing to train
    conn.send(("compare", bad, SEEDS, 3))
    _, ended = _until(conn, "ended")
    assert ended[1] == "failed" and ended[2]
    conn.send(("train", 5))  # nothing to train on: said again, and the loop serves on
    _, again = _until(conn, "ended")
    assert again[1:3] == ended[1:3]
    conn.send(("variant", 0))
    _, answer = _until(conn, "answer")
    assert answer[2] is None and answer[3] == ended[2]
    conn.send(("compare", _spiral(), SEEDS[:1], 1))  # the loop still serves
    _, ended = _until(conn, "ended")
    assert ended[1] == "finished"
    conn.send(("quit",))
    thread.join(5)
    assert not thread.is_alive()


class Pipe:
    """The window's end as the test plays it: `script` says what to send after each message
    the loop sends ("frame", "ended", "answer"); nothing is drawn unless the script says so;
    `stop_at` polls in (one an epoch while it trains), a stop is sent."""

    def __init__(self, first: list[tuple], script, stop_at: int | None = None) -> None:
        self.incoming, self.script, self.stop_at = list(first), script, stop_at
        self.sent: list[tuple] = []
        self.polls = 0

    def send(self, message: tuple) -> None:
        self.sent.append(message)
        self.incoming += self.script(message)

    def poll(self, _timeout: float = 0.0) -> bool:
        self.polls += 1
        if self.polls == self.stop_at:
            self.incoming.append(("stop",))
        return bool(self.incoming)

    def recv(self) -> tuple:
        if not self.incoming:
            raise EOFError
        return self.incoming.pop(0)


def test_never_more_than_two_frames_are_undrawn_and_no_epoch_is_lost(monkeypatch):
    monkeypatch.setattr(compare_process, "FRAME_SECONDS", 0.0)  # a frame after every epoch …
    monkeypatch.setattr(compare_process, "POLL_SECONDS", 0.0)
    pipe = Pipe([("compare", _spiral(), SEEDS, 10**6)], lambda _message: [], stop_at=10)
    serve(pipe)  # … were they drawn; the pipe runs dry after the end: the loop returns
    frames = [m for m in pipe.sent if m[0] == "frame"]
    assert len(frames) == compare_process.IN_FLIGHT
    ended = pipe.sent[-1]
    assert ended[:2] == ("ended", "paused")  # stopped: the place is kept
    seen = _epochs(frames, ended)
    assert seen[0] == seen[1] == list(range(1, len(seen[0]) + 1)) and len(seen[0]) >= 8


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_diverged_variant_is_said_once_and_the_others_finish():
    rates = [{"learning_rate": 0.01}, {"learning_rate": 1e38}]
    pipe = Pipe([("compare", _spiral(), rates, 3)], lambda message: (
        [("drawn",)] if message[0] == "frame" else [("quit",)] if message[0] == "ended" else []))
    serve(pipe)
    frames = [m for m in pipe.sent if m[0] == "frame"]
    ended = pipe.sent[-1]
    assert ended[0:3] == ("ended", "finished", "")
    reports = [r for m in frames for r in m[1]] + list(ended[3])
    diverged = [r for r in reports if r.state == "diverged"]
    assert [r.index for r in diverged] == [1] and "learning rate" in diverged[0].reason
    first = [r for r in reports if r.index == 0]
    assert sorted({r.epoch for r in first}) == [1, 2, 3] and first[-1].state == "finished"
