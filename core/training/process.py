"""Training in a child process: the loop the child runs and the messages it understands.

A window that trains in a thread of its own process shares one GIL between the worker and the
thread that paints: each Qt call lets go of it, and taking it back waits behind the training
loop, so both crawl (measured: about 40 % of the headless speed and frames seconds late). In a
child process the trainer has its own interpreter and core; the window only draws.

Messages to the child: ("run", design as a file dict[, timeline grid]), ("pause",), ("stop",), ("settings",
TrainingSettings), ("edit", part of a weights snapshot), ("drawn",), ("quit",). From the child:
("snapshot", Snapshot) at most FRAME_SECONDS apart and never more than IN_FLIGHT undrawn, and
("ended", kind, reason, final Snapshot, TrainingState) when a run stops, just after
("timeline", moments, stride) when the run was given a timeline grid: the weights at the run's
epoch ends, recorded here (a copy of the parameter vector per epoch, thinned on the window's
grid: core.training.timeline) and sent once, so that the frames stay as small as they were.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from core.design.errors import NeuralCanvasError, OutOfMemoryError, TrainingError
from core.files.fileformat import design_from_dict
from core.training import probes
from core.training.timeline import Timeline, moment_of
from core.training.trainer import Trainer, out_of_memory

FRAME_SECONDS = 1 / 40  # a snapshot at most this often (with the trip to the window, ~35 a second)
POLL_SECONDS = 0.002  # how often the running loop looks for messages
SAMPLES_SHOWN = 12
WEIGHTS_SECONDS = 0.25  # the weights and neuron maps travel this often (the canvas redraws then)
IN_FLIGHT = 2  # snapshots on their way at most: one drawn while the next one travels


def views_for(trainer: Trainer) -> tuple[probes.Plane | None, np.ndarray | None]:
    """The plane for two-dimensional data, else the test samples shown with probabilities."""
    if probes.is_planar(trainer):
        return probes.Plane.around(trainer.build.data.X), None
    return None, np.arange(min(SAMPLES_SHOWN, len(trainer.test_idx)))


def serve(conn) -> None:
    """The child's main loop: one run per "run" message, until "quit" or the pipe closes."""
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "quit":
            return
        if message[0] == "run" and not _run(conn, *message[1:]):
            return


def _merge(weights: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    merged = {key: dict(value) for key, value in weights.items()}
    for key, values in part.items():
        for item, value in values.items():
            if key == "neurons":
                merged[key][item] = {**merged[key].get(item, {}), **value}
            else:
                merged[key][item] = value
    return merged


def failure(exc: BaseException) -> tuple[str, str]:
    """(kind, reason) of a run that an exception ended: "memory", "diverged" or "failed"."""
    if isinstance(exc, MemoryError):
        exc = out_of_memory("")
    if isinstance(exc, OutOfMemoryError):
        return "memory", str(exc)
    if isinstance(exc, TrainingError):
        return "diverged", str(exc)
    if isinstance(exc, NeuralCanvasError):
        return "failed", f"training stopped: {exc}"
    return "failed", f"training stopped: {exc.__class__.__name__}: {exc}"


def _run(conn, data: dict, grid: tuple | None = None) -> bool:
    """Train one design until paused, stopped or finished; False when asked to quit. Whatever
    goes wrong ends the run with an "ended" message that says what: the process keeps serving."""
    try:
        trainer = Trainer(design_from_dict(data, validate=False))
    except Exception as exc:  # noqa: BLE001 - said to the person, never a dead process
        conn.send(("ended", *failure(exc), None, None))
        return True
    timeline = None if grid is None else Timeline.following(grid)
    if timeline is not None:
        trainer.on_epoch.append(lambda _metrics: timeline.record(moment_of(trainer)))
    plane, samples = views_for(trainer)
    in_flight, keep_serving = 0, True  # snapshots sent and not yet drawn
    last_frame = last_poll = 0.0
    loss: float | None = None
    stamps: list[tuple[float, int]] = []
    kind, reason = "finished", ""

    sent = {"epochs": 0, "weights_at": 0.0}

    def snapshot(sample_loss, rate, final: bool = False) -> probes.Snapshot:
        """Weights and neuron maps a few times a second (and at the end); new epochs only."""
        now = time.perf_counter()
        weights = final or now - sent["weights_at"] >= WEIGHTS_SECONDS
        if weights:
            sent["weights_at"] = now
        snap = probes.take_snapshot(trainer, loss=sample_loss, steps_per_second=rate,
                                    plane=plane, samples=samples, weights=weights,
                                    history_from=sent["epochs"])
        sent["epochs"] = len(trainer.history)
        return snap

    try:
        for progress in trainer.run():
            now = time.perf_counter()
            if now - last_poll >= POLL_SECONDS:
                last_poll = now
                while conn.poll():
                    message = conn.recv()
                    what = message[0]
                    if what == "drawn":
                        in_flight = max(0, in_flight - 1)
                    elif what == "pause":
                        trainer.pause()
                    elif what in ("stop", "quit"):
                        trainer.stop()
                        keep_serving = what == "stop"
                    elif what == "settings":
                        trainer.apply_settings(message[1])
                    elif what == "edit":  # a weight or bias a person typed: from the next step
                        trainer.write_back()
                        trainer.design.restore_weights(
                            _merge(trainer.design.snapshot_weights(), message[1]))
                        trainer.build.read_weights(trainer.design)
            if progress.kind in ("paused", "stopped", "finished"):
                kind, reason = progress.kind, progress.reason
                continue
            loss = progress.loss
            stamps.append((now, trainer.step_count))
            if in_flight < IN_FLIGHT and now - last_frame >= FRAME_SECONDS:
                last_frame = now
                in_flight += 1
                stamps = [s for s in stamps if now - s[0] <= 1.0]
                span = stamps[-1][0] - stamps[0][0]
                rate = (stamps[-1][1] - stamps[0][1]) / span if span > 0 else 0.0
                conn.send(("snapshot", snapshot(loss, rate)))
    except Exception as exc:  # noqa: BLE001 - the person hears of it; the child keeps serving
        kind, reason = failure(exc)
    try:
        final, state = snapshot(loss, 0.0, final=True), trainer.design.state
    except Exception as exc:  # noqa: BLE001 - the window keeps the last weights it was sent
        final = state = None
        if kind in ("paused", "stopped", "finished"):
            kind, reason = failure(exc)
    if timeline is not None:
        conn.send(("timeline", timeline.moments, timeline.stride))
    conn.send(("ended", kind, reason, final, state))
    return keep_serving
