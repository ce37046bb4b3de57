"""The training timeline: thinned evenly past its cap (always the first and the latest), bounded
memory, and moments that are exactly the weights the network had at those epochs."""

from __future__ import annotations

import numpy as np
import pytest

from core.training import probes
from core.training.timeline import (
    Moment,
    Timeline,
    design_key,
    initial_moment,
    moment_of,
    moment_snapshot,
    weights_at,
)
from core.training.trainer import Trainer
from tests.core.example_designs import xor_design


def _moment(epoch: int, size: int = 4) -> Moment:
    return Moment(epoch, epoch * 10, np.full(size, float(epoch), dtype=np.float32))


def _assert_evenly_spread(timeline: Timeline, first: int, last: int) -> None:
    epochs = timeline.epochs
    assert epochs[0] == first and epochs[-1] == last
    gaps = np.diff(epochs)
    if len(gaps) > 1:
        assert len(set(gaps[:-1].tolist())) == 1, f"uneven gaps {sorted(set(gaps.tolist()))}"
    assert gaps.max() <= timeline.stride and gaps[-1] >= 1
    ideal = (last - first) / (len(epochs) - 1)
    assert np.all(np.abs(gaps[:-1] - ideal) <= ideal)  # within one spacing of an even spread


@pytest.mark.parametrize("cap", [10, 200])
def test_past_the_cap_the_kept_epochs_are_evenly_spaced_from_the_first_to_the_latest(cap):
    timeline = Timeline(cap=cap)
    for epoch in range(0, 50 * cap + 7):
        timeline.record(_moment(epoch))
        assert len(timeline) <= cap
        if epoch > 2 * cap and epoch % 37 == 0:
            _assert_evenly_spread(timeline, 0, epoch)
            assert len(timeline) >= cap // 2  # thinning never throws away more than half
    _assert_evenly_spread(timeline, 0, 50 * cap + 6)


def test_the_memory_held_is_bounded_by_the_cap_times_one_snapshot():
    size = 1000
    one = _moment(0, size).nbytes
    timeline = Timeline(cap=50)
    for epoch in range(2000):
        timeline.record(_moment(epoch, size))
        assert timeline.nbytes <= 50 * one
    small = Timeline(cap=200, max_bytes=10 * one)  # a large model keeps fewer moments
    for epoch in range(500):
        small.record(_moment(epoch, size))
        assert small.nbytes <= 10 * one
    assert small.epochs[0] == 0 and small.epochs[-1] == 499


def test_a_continuation_recorded_on_the_same_grid_merges_evenly():
    here = Timeline(cap=20)
    for epoch in range(0, 31):
        here.record(_moment(epoch))
    there = Timeline.following(here.grid())  # what the training process records of a run
    for epoch in range(31, 900):
        there.record(_moment(epoch))
    assert len(there) <= 20
    here.adopt(there.moments, there.stride)
    _assert_evenly_spread(here, 0, 899)
    assert len(here) <= 20
    for epoch in range(900, 1500):  # and on from there, one epoch at a time (One Step)
        here.record(_moment(epoch))
    _assert_evenly_spread(here, 0, 1499)

    empty = Timeline(cap=20)  # a run recorded before the window had any moment
    there = Timeline.following(empty.grid())
    for epoch in range(7, 500):
        there.record(_moment(epoch))
    empty.adopt(there.moments, there.stride)
    for epoch in range(500, 700):
        empty.record(_moment(epoch))
    _assert_evenly_spread(empty, 7, 699)


def test_going_back_cuts_the_later_moments_and_training_goes_on_from_there():
    timeline = Timeline(cap=10)
    for epoch in range(100):
        timeline.record(_moment(epoch))
    middle = timeline.nearest(50)
    timeline.cut_after(middle.epoch)
    assert timeline.epochs[-1] == middle.epoch and timeline.epochs[0] == 0
    for epoch in range(middle.epoch + 1, 400):
        timeline.record(_moment(epoch))
    _assert_evenly_spread(timeline, 0, 399)
    assert timeline.nearest(1000, before_step=399 * 10).epoch < 399  # the present is not the past


def test_moments_are_the_weights_the_network_had_at_those_epochs():
    design = xor_design(n=100, epochs=30)
    start = design.copy()
    trainer = Trainer(design)
    timeline = Timeline(cap=8)
    timeline.record(moment_of(trainer))
    flats, weights = {0: trainer.model.parameters_numpy()}, {}
    trainer.write_back()
    weights[0] = trainer.design.snapshot_weights()

    def ended(_metrics):
        timeline.record(moment_of(trainer))
        flats[trainer.epoch] = trainer.model.parameters_numpy()
        trainer.write_back()
        weights[trainer.epoch] = trainer.design.snapshot_weights()

    trainer.on_epoch.append(ended)
    trainer.train()
    assert timeline.epochs[0] == 0 and timeline.epochs[-1] == 30 and len(timeline) <= 8
    now = trainer.model.parameters_numpy()
    for moment in timeline.moments:
        np.testing.assert_array_equal(moment.flat, flats[moment.epoch])
        shown = weights_at(trainer, moment)
        assert shown["connections"] == pytest.approx(weights[moment.epoch]["connections"])
        for nid, values in weights[moment.epoch]["neurons"].items():
            assert shown["neurons"][nid]["bias"] == pytest.approx(values["bias"])
        if moment.epoch:
            assert moment.metrics == trainer.history[moment.epoch - 1]
    np.testing.assert_array_equal(trainer.model.parameters_numpy(), now)  # looking changes nothing

    # epoch 0 drawn over the plane is what an untrained copy of the design draws
    plane = probes.Plane.around(trainer.build.data.X, size=12)
    snap = moment_snapshot(trainer, timeline.moments[0], plane)
    fresh = Trainer(start)
    output, maps = probes.plane_maps(fresh, plane)
    np.testing.assert_allclose(snap.output_map, output, rtol=1e-6)
    assert set(snap.neuron_maps) == set(maps)
    assert snap.epoch == 0 and snap.metrics is None and snap.history == ()
    np.testing.assert_array_equal(trainer.model.parameters_numpy(), now)
    later = moment_snapshot(trainer, timeline.moments[-1], plane)
    assert later.metrics.epoch == 30 and len(later.history) == 30


def test_the_initial_moment_comes_back_from_the_designs_initial_weights():
    design = xor_design(n=100, epochs=5)
    trainer = Trainer(design)
    first = moment_of(trainer)
    trainer.train()
    trainer.write_back()
    again = Trainer(trainer.design.copy())  # a trained design, opened again
    np.testing.assert_array_equal(initial_moment(again, again.design.initial_weights).flat,
                                  first.flat)
    assert design_key(again.design) == design_key(design)
    design.set_training(seed=3)
    assert design_key(again.design) != design_key(design)
