"""Comparisons in a child process: the loop the child runs, the messages it understands, and what a
frame of the Compare view holds (each variant's output over the input plane).

A comparison of 16 variants trained in a thread of the window's process held the GIL so much that
the window's event loop stalled for a tenth of a second at a time (benchmarks/live.py --compare);
in a child process the variants have their own interpreter and core, and the window only draws,
as for the main run (core.training.process).

Messages to the child:
  ("compare", design as a file dict, changes of each variant, target epochs or None): a new
      comparison (the one before is dropped), trained to `target` epochs in all; None: built only
  ("train", target epochs): the comparison as it stands trained on to `target` epochs in all
  ("pause",) ("stop",)  while it trains: it ends with "ended" "paused" (the place is kept)
  ("drawn",)  the window drew a frame (at most IN_FLIGHT frames are on their way undrawn)
  ("results",)  answered ("answer", "results", list[VariantResult] | None, problem)
  ("variant", i)  answered ("answer", "variant", the variant's Design | None, problem)
  ("quit",)
From the child:
  ("frame", reports, maps) at most FRAME_SECONDS apart while it trains: the VariantReports since the
      last frame, in order, and the outputs over the plane (variant index → (n, n, outputs)) of
      the variants that moved, at most MAPS_SECONDS apart (else none)
  ("ended", kind, message, reports, maps) when a training ends: kind "paused" (paused or
      stopped), "finished" or "failed" (the message says why), with the reports and maps since
      the last frame
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from core.design.design import Design
from core.engine.backend import to_device, to_numpy
from core.files.fileformat import design_from_dict
from core.training.ensemble import VariantTrainer
from core.training.ensemble_group import VariantReport
from core.training.probes import Plane
from core.training.process import failure

FRAME_SECONDS = 1 / 60  # a frame at most this often: frames go at epoch ends only, and an epoch
# of 16 spiral variants takes ~23 ms, so 1/40 s sent one every other epoch (~22-29 a second)
MAPS_SECONDS = 1 / 20  # the outputs over the plane at most this often: for 16 variants of the
# spiral they cost as much as an epoch (~20 ms each on the busy 2-core machine), and a
# boundary moves little from one epoch to the next
POLL_SECONDS = 0.002  # how often the running loop looks for messages
IN_FLIGHT = 2  # frames on their way at most: one drawn while the next one travels


def plane_of(build) -> Plane | None:
    """The input plane of a build whose data has two raw inputs (None otherwise)."""
    X = np.asarray(build.data.X)
    return Plane.around(X) if X.ndim == 2 and X.shape[1] == 2 else None


class PlaneOutputs:
    """Each variant's output over the plane of a two-dimensional data set (none otherwise)."""

    def __init__(self, trainer: VariantTrainer) -> None:
        self.plane = plane_of(trainer.groups[0].build)
        self._rows = {}
        self._left: dict[int, np.ndarray] = {}  # variants that left their group: drawn once
        if self.plane is not None:
            points = self.plane.points()
            self._rows = {g.group: g.build.feature_rows(points) for g in trainer.groups}

    def __call__(self, trainer: VariantTrainer) -> dict[int, np.ndarray]:
        if self.plane is None:
            return {}
        n, maps = self.plane.size, {}
        for group in trainer.groups:
            rows = self._rows[group.group]
            alive = list(group.alive)
            if alive:
                x = to_device(np.broadcast_to(rows, (len(alive), *rows.shape)).copy(), group.dtype)
                out = to_numpy(group.model.outputs(x)[0])
                for row, position in enumerate(alive):
                    maps[group.indices[position]] = out[row].reshape(n, n, -1)
            for position, outcome in group.outcomes.items():
                index = group.indices[position]
                if index not in self._left:
                    group.build.model.load_flat(outcome.weights)
                    out = to_numpy(group.build.model.forward(to_device(rows, group.dtype)))
                    self._left[index] = out.reshape(n, n, -1)
                    maps[index] = self._left[index]
        return maps


def diverged(trainer: VariantTrainer, told: set[int]) -> list[VariantReport]:
    """A report for each variant that diverged since the last call (the groups' epoch reports
    leave them out: they left mid-epoch)."""
    reports = []
    for group in trainer.groups:
        for position, outcome in group.outcomes.items():
            index = group.indices[position]
            if outcome.state == "diverged" and index not in told:
                told.add(index)
                reports.append(VariantReport(index, outcome.epoch, outcome.step, None, "diverged",
                                             outcome.reason))
    return reports


class Comparison:
    """A comparison as the child holds it: the trainer, its plane outputs, the divergences told."""

    def __init__(self, data: dict, changes: list[dict[str, Any]]) -> None:
        self.trainer = VariantTrainer(design_from_dict(data, validate=False), changes)
        self.outputs = PlaneOutputs(self.trainer)
        self.told: set[int] = set()

    def results(self) -> list:
        return self.trainer.results()

    def variant(self, index: int) -> Design:
        return self.trainer.variant_design(index)


def serve(conn) -> None:
    """The child's main loop: a comparison trained per "compare" or "train", until "quit" or the
    pipe closes. Whatever goes wrong ends a training with "ended" "failed": the loop keeps serving."""
    comparison: Comparison | None = None
    problem = "no comparison was given"
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        what = message[0]
        if what == "quit":
            return
        if what == "compare":
            comparison = None
            try:
                comparison = Comparison(message[1], message[2])
            except Exception as exc:  # noqa: BLE001 - said in the view, never a dead process
                problem = failure(exc)[1]
                conn.send(("ended", "failed", problem, (), {}))
                continue
            if message[3] is not None and not _train(conn, comparison, message[3]):
                return
        elif what == "train":
            if comparison is None:
                conn.send(("ended", "failed", problem, (), {}))
            elif not _train(conn, comparison, message[1]):
                return
        elif what in ("results", "variant"):
            _answer(conn, comparison, problem, message)
        # "pause", "stop" and "drawn" that come after a training ended have nothing to act on


def _answer(conn, comparison: Comparison | None, problem: str, message: tuple) -> None:
    """Answer a request for the variants' results or one variant's design."""
    what = message[0]
    if comparison is None:
        conn.send(("answer", what, None, problem))
        return
    try:
        value = comparison.results() if what == "results" else comparison.variant(message[1])
    except Exception as exc:  # noqa: BLE001 - said to the person; the process keeps serving
        conn.send(("answer", what, None, failure(exc)[1]))
        return
    conn.send(("answer", what, value, ""))


def _train(conn, comparison: Comparison, target: int) -> bool:
    """Train the comparison to `target` epochs in all, until paused, stopped or finished; False
    when asked to quit."""
    trainer, outputs, told = comparison.trainer, comparison.outputs, comparison.told
    pending: list[VariantReport] = []
    in_flight, keep_serving = 0, True  # frames sent and not yet drawn
    last_frame = last_poll = last_maps = 0.0
    kind, text = "finished", ""
    try:
        for progress in trainer.run(target):
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
                    elif what in ("results", "variant"):  # between two epochs: as it stands
                        _answer(conn, comparison, "", message)
            pending.extend(progress.reports)
            pending.extend(diverged(trainer, told))
            if progress.kind in ("paused", "stopped"):
                kind = "paused"
            if progress.kind == "epoch" and in_flight < IN_FLIGHT and now - last_frame >= FRAME_SECONDS:
                last_frame = now
                in_flight += 1
                maps = {}
                if now - last_maps >= MAPS_SECONDS:
                    last_maps, maps = now, outputs(trainer)
                conn.send(("frame", tuple(pending), maps))
                pending = []
    except Exception as exc:  # noqa: BLE001 - a design error ends the training, said in the view
        kind, text = "failed", f"{type(exc).__name__}: {exc}"
    try:
        pending.extend(diverged(trainer, told))
        maps = outputs(trainer)
    except Exception as exc:  # noqa: BLE001 - the view keeps the last maps it was sent
        maps = {}
        if kind != "failed":
            kind, text = "failed", f"{type(exc).__name__}: {exc}"
    conn.send(("ended", kind, text, tuple(pending), maps))
    return keep_serving
