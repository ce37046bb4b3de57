"""Expand Dense into Neurons and Collapse Neurons into Dense keep what the design means: every
block reads the new neurons (or the new block's units) where it read what they replace, or the
edit is refused with the reason."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import core
from core.compiler.regroup import RegroupError, apply, plan_collapse, plan_expansion
from core.design.design import Design
from tests.core.random_designs import X, designs
from tests.core.regroup_designs import (
    MIDDLES,
    assert_same_outputs,
    base,
    dense_then_input,
    expandable,
    neurons_then_input,
    settled,
    sources,
)


# ---------------------------------------------------------------------------- expand
@pytest.mark.parametrize("middle", MIDDLES)
def test_expanding_a_dense_block_read_before_an_input_keeps_the_outputs(middle):
    d = dense_then_input(middle)
    before = core.predict(d, X)
    plan = plan_expansion(d, "b0")
    apply(d, plan)
    assert sources(d, "mid") == [*plan.created, "x2"]  # the neurons where b0 was, in unit order
    assert_same_outputs(d, before)


def test_expanding_keeps_the_kernel_of_a_dense_block_that_reads_it_among_others():
    d = dense_then_input("dense")  # a Dense `mid` reads b0's two units, then x2
    kernel = d.parameters["mid"]["kernel"].copy()
    before = core.predict(d, X)
    plan = plan_expansion(d, "b0")
    assert plan.reordered == {}
    apply(d, plan)
    np.testing.assert_array_equal(d.parameters["mid"]["kernel"], kernel)
    assert_same_outputs(d, before)


def test_a_dense_block_of_several_units_feeding_add_is_not_expanded():
    d = base("add")
    d.add_node("dense", {"units": 2, "activation": "tanh"}, node_id="b0")
    d.add_node("dense", {"units": 2, "activation": "tanh"}, node_id="b1")
    for s, t in [("x1", "b0"), ("x2", "b1"), ("b0", "mid"), ("b1", "mid"), ("mid", "out")]:
        d.add_connection(s, t)
    settled(d)
    with pytest.raises(RegroupError, match="adds its inputs wire by wire") as refused:
        plan_expansion(d, "b0")
    assert refused.value.problem.node_ids == ("b0", "mid")


def test_a_dense_block_of_one_unit_feeding_add_expands_and_keeps_the_outputs():
    d = base("add")
    d.add_node("dense", {"units": 1, "activation": "tanh"}, node_id="b0")
    for s, t in [("x1", "b0"), ("b0", "mid"), ("x2", "mid"), ("mid", "out")]:
        d.add_connection(s, t)
    settled(d)
    before = core.predict(d, X)
    apply(d, plan_expansion(d, "b0"))
    assert_same_outputs(d, before)


# ---------------------------------------------------------------------------- collapse
@pytest.mark.parametrize("middle", MIDDLES)
def test_collapsing_neurons_read_before_an_input_keeps_the_outputs(middle):
    d = neurons_then_input(middle)  # mid reads n2, n1, x2
    before = core.predict(d, X)
    plan = plan_collapse(d, ["n1", "n2"])
    apply(d, plan)
    (block,) = plan.created
    assert sources(d, "mid") == [block, "x2"]
    bias = d.parameters[block]["bias"]
    assert list(bias) == [-0.4, 0.3]  # the units in the order mid read them: n2, then n1
    assert_same_outputs(d, before)


@pytest.mark.parametrize("middle", MIDDLES)
def test_a_column_read_apart_by_a_block_other_than_dense_is_refused(middle):
    d = neurons_then_input(middle, ("n1", "x2", "n2"))
    kept = d.copy()
    with pytest.raises(RegroupError, match="reads input x2 between two of them") as refused:
        plan_collapse(d, ["n1", "n2"])
    assert "one after another" in str(refused.value)
    assert refused.value.problem.node_ids == ("mid", "x2")
    assert d == kept


def test_a_column_read_apart_by_a_dense_block_collapses_and_its_kernel_rows_follow():
    d = neurons_then_input("dense", ("n1", "x2", "n2"))  # Dense `mid`, 1 unit: rows n1, x2, n2
    rows = d.parameters["mid"]["kernel"][:, 0].copy()
    before = core.predict(d, X)
    plan = plan_collapse(d, ["n1", "n2"])
    apply(d, plan)
    assert sources(d, "mid") == [plan.created[0], "x2"]
    assert list(d.parameters["mid"]["kernel"][:, 0]) == [rows[0], rows[2], rows[1]]
    assert_same_outputs(d, before)


def test_a_column_read_in_two_orders_is_refused():
    """BatchNorm `mid` reads n1, n2; Concatenate `mid2` reads n2, n1 (then mid)."""
    d = base("batchnorm")
    d.add_node("concatenate", {}, node_id="mid2")
    for nid in ("n1", "n2"):
        d.add_node("neuron", {"activation": "tanh", "bias": 0.1}, node_id=nid)
        d.add_connection("x1", nid, 1.0)
    for s, t in [("n1", "mid"), ("n2", "mid"), ("n2", "mid2"), ("n1", "mid2"), ("mid", "mid2"),
                 ("mid2", "out")]:
        d.add_connection(s, t)
    settled(d)
    with pytest.raises(RegroupError, match="Concatenate mid2 reads them in another order than "
                                           "BatchNorm mid does") as refused:
        plan_collapse(d, ["n1", "n2"])
    assert refused.value.problem.node_ids == ("mid2", "mid")


def test_neurons_feeding_add_collapse_one_at_a_time_only():
    d = neurons_then_input("add", ("n1", "n2", "x2"))
    with pytest.raises(RegroupError, match="adds its inputs wire by wire"):
        plan_collapse(d, ["n1", "n2"])
    before = core.predict(d, X)
    apply(d, plan_collapse(d, ["n2"]))
    assert_same_outputs(d, before)


# ---------------------------------------------------------------------------- the property
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(designs(regroupable=True), st.data())
def test_expanding_a_dense_block_and_collapsing_it_back_changes_no_output(design, data):
    candidates = expandable(design)
    assume(candidates)
    before = core.predict(design, X)
    plan = plan_expansion(design, data.draw(st.sampled_from(candidates)))
    apply(design, plan)
    assert_same_outputs(design, before)
    apply(design, plan_collapse(design, plan.created))
    assert_same_outputs(design, before)


def read_side_by_side(design: Design, column: list[str]) -> bool:
    """Whether every block other than Dense that the column feeds reads it in one run of wires,
    all of them in one order (what a Dense block's units can stand for)."""
    orders = set()
    for conn in design.outgoing(column[0]):
        if design.nodes[conn.target].kind == "dense":
            continue
        read = sources(design, conn.target)
        at = [i for i, s in enumerate(read) if s in column]
        if at != list(range(at[0], at[0] + len(column))):
            return False
        orders.add(tuple(read[i] for i in at))
    return len(orders) <= 1


@SETTINGS
@given(designs(regroupable=True), st.data())
def test_collapsing_a_column_changes_no_output_or_is_refused_for_its_order(design, data):
    members = [n for n in design.nodes if n.startswith("k")]
    assume(members)
    column = data.draw(st.lists(st.sampled_from(members), min_size=1, unique=True))
    before = core.predict(design, X)
    try:
        plan = plan_collapse(design, column)
    except RegroupError as refused:
        assert not read_side_by_side(design, column), str(refused)
        assert "reads" in str(refused)
        return
    assert read_side_by_side(design, column)
    apply(design, plan)
    assert_same_outputs(design, before)
