"""Expand and Collapse in the window keep what the design means when a BatchNorm or Concatenate block
reads the expanded block (or the column) beside another input, and Undo and Redo give back each
design exactly: nodes and wires in their places, every weight."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

import core
from gui.document.document import Document
from tests.core.random_designs import X, designs
from tests.core.regroup_designs import (
    MIDDLES,
    assert_same_outputs,
    dense_then_input,
    expandable,
    neurons_then_input,
    sources,
)


def undo_redo_exact(doc: Document, before, after) -> None:
    """One undo gives back `before`, one redo `after`, exactly (orders of nodes and wires too)."""
    y = core.predict(doc.design, X)
    doc.undo_stack.undo()
    assert doc.design == before
    doc.undo_stack.redo()
    assert doc.design == after
    assert_same_outputs(doc.design, y)


@pytest.mark.parametrize("middle", MIDDLES)
def test_expanding_in_the_window_keeps_the_outputs_and_undo_redo_are_exact(qtbot, middle):
    doc = Document(dense_then_input(middle))
    before, y_before = doc.design.copy(), core.predict(doc.design, X)
    created = doc.expand_dense("b0")
    assert len(created) == 2 and sources(doc.design, "mid") == [*created, "x2"]
    assert_same_outputs(doc.design, y_before)
    undo_redo_exact(doc, before, doc.design.copy())


@pytest.mark.parametrize("middle", MIDDLES)
def test_collapsing_in_the_window_keeps_the_outputs_and_undo_redo_are_exact(qtbot, middle):
    doc = Document(neurons_then_input(middle))
    before, y_before = doc.design.copy(), core.predict(doc.design, X)
    block = doc.collapse_to_dense(["n1", "n2"])
    assert block is not None and sources(doc.design, "mid") == [block, "x2"]
    assert_same_outputs(doc.design, y_before)
    undo_redo_exact(doc, before, doc.design.copy())


def test_a_column_batchnorm_reads_apart_is_refused_in_the_window_and_nothing_changes(qtbot):
    doc = Document(neurons_then_input("batchnorm", ("n1", "x2", "n2")))
    before, count = doc.design.copy(), doc.undo_stack.count()
    with qtbot.waitSignal(doc.refused) as said:
        assert doc.collapse_to_dense(["n1", "n2"]) is None
    assert said.args[0].startswith("Cannot collapse into a Dense block: BatchNorm mid reads input x2")
    assert doc.design == before and doc.undo_stack.count() == count


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(designs(regroupable=True), st.data())
def test_expand_then_collapse_in_the_window_change_no_output_and_undo_redo_are_exact(
        qtbot, design, data):
    candidates = expandable(design)
    assume(candidates)
    doc = Document(design)
    before, y_before = design.copy(), core.predict(design, X)
    created = doc.expand_dense(data.draw(st.sampled_from(candidates)))
    assert created
    assert_same_outputs(design, y_before)
    expanded = design.copy()
    assert doc.collapse_to_dense(created) is not None
    assert_same_outputs(design, y_before)
    collapsed = design.copy()
    doc.undo_stack.undo()
    assert design == expanded
    doc.undo_stack.undo()
    assert design == before
    doc.undo_stack.redo()
    assert design == expanded
    doc.undo_stack.redo()
    assert design == collapsed
    assert_same_outputs(design, y_before)


def test_a_person_expands_a_block_beside_concatenate_collapses_it_and_undoes_both(window, tmp_path):
    design = dense_then_input("concatenate")
    for nid, pos in {"x1": (0, -60), "x2": (0, 60), "b0": (160, -60), "mid": (320, 0),
                     "out": (480, 0)}.items():
        design.move_node(nid, pos)
    core.save(design, str(tmp_path / "beside.ncanvas"))
    assert window.open_path(str(tmp_path / "beside.ncanvas"))
    doc = window.document
    before, y_before = doc.design.copy(), core.predict(doc.design, X)
    window.view.fit_to_view()
    point = window.view.mapFromScene(QPointF(160, -60))
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     point)
    assert window.scene.selected_node_ids() == ["b0"]
    window.act_expand.trigger()
    created = window.scene.selected_node_ids()
    assert len(created) == 2 and sources(doc.design, "mid") == [n for n in doc.design.nodes
                                                                if n in created] + ["x2"]
    assert_same_outputs(doc.design, y_before)
    expanded = doc.design.copy()
    window.act_collapse.trigger()
    (block,) = window.scene.selected_node_ids()
    assert sources(doc.design, "mid") == [block, "x2"]
    assert_same_outputs(doc.design, y_before)
    collapsed = doc.design.copy()
    window.act_undo.trigger()
    assert doc.design == expanded
    window.act_undo.trigger()
    assert doc.design == before
    window.act_redo.trigger()
    window.act_redo.trigger()
    assert doc.design == collapsed
    assert_same_outputs(doc.design, y_before)
