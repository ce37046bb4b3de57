"""The loss landscape's numbers: the grid's centre is the engine's training loss, every other point
the loss with those two weights set; which weights a design has and where each lives; the path."""

from __future__ import annotations

import numpy as np
import pytest

import core
from core.design.design import Design
from core.design.errors import DesignError, TrainingError
from core.training.landscape import (
    GRID,
    DescentPath,
    Landscape,
    Surface,
    WeightTable,
    grid_axis,
    value_in,
    value_in_design,
)
from core.training.trainer import Trainer
from tests.core.example_designs import EXAMPLES, gaussian_dense_design, xor_design


def trained(design: Design, steps: int = 25) -> Design:
    """The design with the weights of a few mini-batches of training (not the drawn ones)."""
    trainer = Trainer(design)
    trainer.fit_steps(steps)
    trainer.write_back()
    return design


def engine_loss(design: Design) -> float:
    return Trainer(design.copy()).evaluate().train_loss


def set_weight(design: Design, ref, value: float) -> None:
    """Put one weight into the design, as a person (a wire, a bias) or training (a block) would."""
    if ref.kind == "wire":
        design.set_weight(ref.owner, value)
    elif ref.kind == "bias":
        design.set_node_params(ref.owner, bias=value)
    else:
        arrays = {k: v.copy() for k, v in design.parameters[ref.owner].items()}
        arrays[ref.param][ref.index] = value
        design.set_block_weights(ref.owner, arrays)


# ====================================================================== the surface
def test_the_centre_of_the_grid_is_the_training_loss_at_the_current_weights():
    design = trained(xor_design())
    landscape = Landscape(design.copy())
    a, b = landscape.weights.default_pair()
    surface = landscape.surface(a, b)
    middle = GRID // 2
    assert surface.loss.shape == (GRID, GRID)
    assert (surface.xs[middle], surface.ys[middle]) == (design.connections[a.owner].weight,
                                                         design.connections[b.owner].weight)
    assert surface.loss[middle, middle] == pytest.approx(engine_loss(design), abs=1e-6)
    assert landscape.loss() == pytest.approx(engine_loss(design), abs=1e-6)


@pytest.mark.parametrize("i, j", [(3, 30), (40, 0), (17, 22)])
def test_another_grid_point_is_the_loss_with_those_two_weights_set(i, j):
    design = trained(xor_design())
    landscape = Landscape(design.copy())
    a = landscape.weights.find("wire:x1-h2")
    b = landscape.weights.find("bias:out")
    surface = landscape.surface(a, b, span=1.5)
    moved = design.copy()
    set_weight(moved, a, surface.xs[i])
    set_weight(moved, b, surface.ys[j])
    assert surface.loss[j, i] == pytest.approx(engine_loss(moved), abs=1e-6)
    assert surface.xs[-1] - surface.xs[0] == pytest.approx(3.0)
    # the model is left as it was: the centre is still the loss now
    assert landscape.loss() == pytest.approx(engine_loss(design), abs=1e-6)


def test_a_block_weight_far_from_the_output_as_well():
    design = trained(gaussian_dense_design(), steps=3)
    landscape = Landscape(design.copy(), sample_limit=None)
    a = landscape.weights.find("block:hidden:kernel:0,3")
    b = landscape.weights.find("block:out:bias:2")
    surface = landscape.surface(a, b, span=3.0, size=5)
    assert surface.xs[2] == pytest.approx(design.parameters["hidden"]["kernel"][0, 3])
    assert surface.loss[2, 2] == pytest.approx(engine_loss(design), abs=1e-6)
    moved = design.copy()
    set_weight(moved, a, surface.xs[0])
    set_weight(moved, b, surface.ys[4])
    assert surface.loss[4, 0] == pytest.approx(engine_loss(moved), abs=1e-6)
    assert surface.loss[4, 0] != pytest.approx(surface.loss[2, 2], rel=0.05)  # it does matter


def test_a_large_training_set_is_measured_on_a_fixed_sample():
    design = xor_design(n=400)
    first, second = Landscape(design.copy(), sample_limit=50), Landscape(design.copy(), sample_limit=50)
    assert (first.rows_used, first.rows_total, first.sampled) == (50, 200, True)
    np.testing.assert_array_equal(first.X, second.X)  # the same rows every time
    whole = Landscape(design.copy(), sample_limit=None)
    rows = {tuple(r) for r in np.asarray(whole.X)}
    assert all(tuple(r) in rows for r in np.asarray(first.X))  # taken from the training rows


def test_interpolation_meets_the_grid_and_the_grid_axis_keeps_its_centre():
    design = trained(xor_design())
    landscape = Landscape(design.copy())
    surface = landscape.surface(*landscape.weights.default_pair(), size=9)
    assert surface.at(surface.xs[3], surface.ys[6]) == pytest.approx(surface.loss[6, 3])
    mid = (surface.xs[3] + surface.xs[4]) / 2
    assert surface.at(mid, surface.ys[0]) == pytest.approx(surface.loss[0, 3:5].mean())
    assert surface.contains(*surface.centre)
    assert not surface.contains(surface.xs[-1] + 0.01, surface.centre[1])
    assert grid_axis(0.1, 2.0, 41)[20] == 0.1
    with pytest.raises(ValueError):
        landscape.surface(*landscape.weights.default_pair(), span=0)


def test_a_cancelled_surface_gives_nothing_and_leaves_the_weights():
    design = trained(xor_design())
    landscape = Landscape(design.copy())
    a, b = landscape.weights.default_pair()
    before = (landscape.value(a), landscape.value(b))
    assert landscape.surface(a, b, cancelled=lambda: True) is None
    assert (landscape.value(a), landscape.value(b)) == before


# ====================================================================== the weights
def test_the_table_lists_every_weight_once_wires_first():
    design = xor_design()
    table = Landscape(design.copy()).weights
    assert len(table) == 12 + 5  # twelve wires, five biases
    keys = [table[i].key for i in range(len(table))]
    order = list(design.nodes)  # the wires by the neuron they feed, then by their source
    assert keys[:12] == [f"wire:{c.id}" for t in order for s in order
                         for c in design.connections.values() if (c.source, c.target) == (s, t)]
    assert keys[:3] == ["wire:x1-h1", "wire:x2-h1", "wire:x1-h2"]
    assert keys[12:] == [f"bias:{n}" for n in ("h1", "h2", "h3", "h4", "out")]
    assert all(table.position(k) == i for i, k in enumerate(keys))
    assert [r.key for r in table.default_pair()] == ["wire:h1-out", "wire:h2-out"]
    assert table.find("wire:nowhere") is None


def test_block_entries_are_listed_and_found_by_key():
    design = gaussian_dense_design()
    landscape = Landscape(design.copy())
    table = landscape.weights
    model_params = sum(int(np.prod(shape)) for op in landscape.model.ops
                       for shape in op.layer.param_shapes().values())
    assert len(table) == model_params == 2 * 16 + 16 + 16 * 3 + 3
    ref = table[2 * 16 + 16 + 5]  # hidden kernel, hidden bias, then out's kernel entry 5
    assert (ref.owner, ref.param, ref.index) == ("out", "kernel", (1, 2))
    assert table.position(ref.key) == 2 * 16 + 16 + 5 and table.find(ref.key) == ref
    assert [r.key for r in table.default_pair()] == ["block:out:kernel:0,0", "block:out:kernel:1,0"]
    assert table.position("block:out:kernel:9,9") is None


def test_values_read_from_the_design_a_snapshot_and_the_model_agree():
    design = trained(gaussian_dense_design())
    landscape = Landscape(design.copy())
    weights = design.snapshot_weights()
    table: WeightTable = landscape.weights
    for i in (0, 17, 40, len(table) - 1):
        ref = table[i]
        assert value_in(weights, ref) == value_in_design(design, ref) == \
            pytest.approx(landscape.value(ref))


def test_weights_not_drawn_yet_are_read_as_training_will_draw_them():
    design = xor_design()
    landscape = Landscape(design.copy())
    ref = landscape.weights.find("wire:x2-h3")
    assert value_in_design(design, ref) is None
    Trainer(design)  # a first trainer draws the initial weights into the design
    assert landscape.compiled_value(ref) == pytest.approx(value_in_design(design, ref))


def test_a_design_that_cannot_build_says_why_and_one_without_weights_has_none():
    broken = xor_design()
    broken.add_node("neuron", {"activation": "tanh"}, (0, 0), node_id="lonely")
    with pytest.raises(DesignError, match="no incoming connection"):
        Landscape(broken)
    bare = Design()
    bare.set_dataset("plane", {"n": 40}, seed=0)
    bare.set_training(loss="mse")
    bare.add_node("input", {"feature": "x1"}, node_id="x1")
    bare.add_node("dropout", {}, node_id="out")
    bare.add_connection("x1", "out")
    landscape = Landscape(bare)
    assert len(landscape.weights) == 0 and landscape.weights.default_pair() is None


# ====================================================================== the path
def test_the_path_replaces_a_moment_it_has_and_cuts_back_for_an_earlier_one():
    path = DescentPath()
    path.add(0, (0.0, 0.0))
    path.add(0, (0.5, 0.5))  # the same step again: replaced
    path.add(1, (1.0, 1.0))
    path.add(2, (2.0, 2.0))
    assert path.steps == [0, 1, 2] and path.points[0] == (0.5, 0.5)
    path.add(2, (2.5, 2.0))  # e.g. after an undo and One Step again
    path.add(0, (9.0, 9.0))  # Reset: back to step 0
    np.testing.assert_array_equal(path.array(), [[9.0, 9.0]])
    path.clear()
    assert len(path) == 0 and path.array().shape == (0, 2)


def regression_plane() -> Design:
    return core.load(str(EXAMPLES / "regression_plane.ncanvas"))  # neurons, a linear output


@pytest.mark.parametrize("make", [regression_plane, gaussian_dense_design])
def test_the_landscape_of_a_diverged_run_is_computed_without_a_numpy_warning(make, recwarn):
    """A learning rate of 1e30 stops the run at its second step; the weights kept are finite but
    enormous, and the losses around them overflow: shown as such, not warned about."""
    design = make()
    design.set_training(optimizer="sgd", learning_rate=1e30, target_accuracy=None, epochs=20)
    trainer = Trainer(design)
    with pytest.raises(TrainingError, match="lower learning rate"):
        trainer.train()
    trainer.write_back()
    landscape = Landscape(design)
    landscape.loss()
    surface = landscape.surface(*landscape.weights.default_pair(), size=5)
    assert not np.isfinite(surface.loss).all()
    assert [str(w.message) for w in recwarn if issubclass(w.category, RuntimeWarning)] == []


def test_a_grid_that_collapsed_at_an_enormous_weight_is_read_at_its_middle(recwarn):
    """1e30 ± 1 is 1e30: around a diverged run's weight the grid's axes are one value."""
    axis = grid_axis(1e30, 1.0, 5)
    assert axis[0] == axis[-1]
    loss = np.arange(25.0).reshape(5, 5)
    surface = Surface(axis, axis, loss, (1e30, 1e30), 1.0)
    assert surface.at(1e30, 1e30) == loss[2, 2]
    assert surface.at(np.array([1e30, np.nan]), np.array([1e30, 1e30])).tolist() == [12.0, 12.0]
    assert [str(w.message) for w in recwarn if issubclass(w.category, RuntimeWarning)] == []
