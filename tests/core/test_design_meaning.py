"""A design means what it shows: an edit that leaves every weighted sum as it was (a wire of weight
0, a move on the canvas, a deletion undone) never changes an output."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import core
from core.compiler.compile import compile_design
from core.design.design import Design
from tests.core.random_designs import X, designs, errors


def two_neurons_into_a_dense_block() -> Design:
    """x1, x2 → neurons hA, hB → Dense `out` (2 units, softmax) with a stored kernel."""
    d = Design()
    d.set_dataset("circle", {"n": 50})
    d.set_training(dtype="float64")
    for f in ("x1", "x2"):
        d.add_node("input", {"feature": f}, node_id=f)
    d.add_node("neuron", {"activation": "tanh", "bias": 0.1}, node_id="hA")
    d.add_node("neuron", {"activation": "tanh", "bias": -0.2}, node_id="hB")
    d.add_node("dense", {"units": 2, "activation": "softmax"}, node_id="out")
    for s, t, w in [("x1", "hA", 1.5), ("x2", "hA", -0.7), ("x1", "hB", 0.3), ("x2", "hB", 2.0),
                    ("hA", "out", None), ("hB", "out", None)]:
        d.add_connection(s, t, w, connection_id=f"{s}-{t}")
    d.parameters["out"] = {"kernel": np.array([[3.0, -3.0], [0.5, 1.0]]), "bias": np.zeros(2)}
    return d


# ---------------------------------------------------------------------------- rows of a block
def test_a_zero_wire_between_the_neurons_feeding_a_block_changes_no_output():
    d = two_neurons_into_a_dense_block()
    before = core.predict(d, X)
    d.add_connection("hB", "hA", 0.0)  # hA is now one layer deeper than hB
    np.testing.assert_allclose(core.predict(d, X), before, rtol=0, atol=1e-12)


def test_a_block_reads_its_inputs_in_the_order_its_wires_were_connected():
    d = two_neurons_into_a_dense_block()
    d.remove_connection("hA-out")
    d.add_connection("hA", "out", connection_id="hA-out")  # now hB's wire comes first
    hA = np.tanh(1.5 * X[:, 0] - 0.7 * X[:, 1] + 0.1)
    hB = np.tanh(0.3 * X[:, 0] + 2.0 * X[:, 1] - 0.2)
    z = np.stack([hB, hA], axis=1) @ d.parameters["out"]["kernel"]  # row 0 reads hB
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(core.predict(d, X), expected, rtol=1e-12)


def test_undoing_the_deletion_of_a_wire_or_a_node_puts_the_rows_back_in_order():
    d = two_neurons_into_a_dense_block()
    before, wires = core.predict(d, X), list(d.connections)
    conn = d.remove_connection("hA-out")  # then undo, as RemoveItems does
    d.insert_connection(conn)
    assert list(d.connections) == wires
    np.testing.assert_array_equal(core.predict(d, X), before)
    node, removed, params = d.remove_node("hA")
    d.insert_node(node, params)
    for c in removed:
        d.insert_connection(c)
    assert list(d.connections) == wires
    np.testing.assert_array_equal(core.predict(d, X), before)


def test_two_designs_with_their_wires_in_another_order_are_not_equal():
    d = two_neurons_into_a_dense_block()
    other = two_neurons_into_a_dense_block()
    conn = other.remove_connection("hA-out")
    other.add_connection(conn.source, conn.target, conn.weight, conn.id)  # now after hB's
    assert d.connections == other.connections  # the same wires…
    assert d != other  # …but the block reads them in another order
    assert not np.allclose(core.predict(d, X), core.predict(other, X))


def test_a_run_of_wires_from_one_layer_is_one_slice_of_it():
    d = Design()
    d.set_dataset("circle", {"n": 50})
    for f in ("x1", "x2"):
        d.add_node("input", {"feature": f}, node_id=f)
    for i in range(6):
        d.add_node("neuron", node_id=f"h{i}")
        d.add_connection("x1", f"h{i}")
        d.add_connection("x2", f"h{i}")
    d.add_node("dense", {"units": 2, "activation": "softmax"}, node_id="out")
    for i in (2, 3, 4, 0):
        d.add_connection(f"h{i}", "out")
    for i in (1, 5):  # h1 and h5 feed nothing else: they are outputs, not wanted here
        d.add_connection(f"h{i}", "out")
    build = compile_design(d)
    pieces = build.model.ops[build.block_ops["out"]].inputs
    assert [p.width for p in pieces] == [6]  # one piece: the columns 2, 3, 4, 0, 1, 5
    assert list(np.asarray(pieces[0].columns)) == [2, 3, 4, 0, 1, 5]
    for i in (2, 3, 4, 0, 1, 5):  # connected again in the layer's order: the whole layer as it is
        d.remove_connection(d.connection_between(f"h{i}", "out").id)
    for i in range(6):
        d.add_connection(f"h{i}", "out")
    build = compile_design(d)
    (piece,) = build.model.ops[build.block_ops["out"]].inputs
    assert piece.columns is None and piece.width == 6


# ---------------------------------------------------------------------------- softmax neurons
def hidden_softmax_neurons() -> Design:
    """x1, x2 → softmax neurons s1, s2 → a sigmoid output: s1 and s2 were normalised together."""
    d = Design()
    d.set_dataset("circle", {"n": 50})
    d.set_training(loss="binary_cross_entropy", dtype="float64")
    for f in ("x1", "x2"):
        d.add_node("input", {"feature": f}, node_id=f)
    for nid in ("s1", "s2"):
        d.add_node("neuron", {"activation": "softmax", "bias": 0.0}, node_id=nid)
    d.add_node("neuron", {"activation": "sigmoid", "bias": 0.0}, node_id="out")
    for s, t, w in [("x1", "s1", 2.0), ("x2", "s2", -1.0), ("s1", "out", 3.0), ("s2", "out", -2.0)]:
        d.add_connection(s, t, w)
    return d


def test_softmax_on_a_hidden_neuron_is_refused_with_what_to_do():
    d = hidden_softmax_neurons()
    found = errors(d)
    assert {p.node_ids for p in found} == {("s1",), ("s2",)}
    message = found[0].message
    assert "hidden neuron" in message and "Dense block with Softmax" in message
    assert "output neurons" in message


def test_softmax_output_neurons_are_normalised_over_all_of_them():
    d = Design()
    d.set_dataset("gaussian", {"n": 60, "classes": 3})
    d.set_training(dtype="float64")
    for f in ("x1", "x2"):
        d.add_node("input", {"feature": f}, node_id=f)
    d.add_node("neuron", {"activation": "tanh", "bias": 0.3}, node_id="h")
    d.add_connection("x1", "h", 1.0)
    weights = {"o1": ("x1", 1.0), "o2": ("h", -2.0), "o3": ("x2", 0.5)}
    for nid, (source, w) in weights.items():
        d.add_node("neuron", {"activation": "softmax", "bias": 0.0}, node_id=nid)
        d.add_connection(source, nid, w)
    assert errors(d) == []
    h = np.tanh(X[:, 0] + 0.3)
    z = np.stack([X[:, 0], -2.0 * h, 0.5 * X[:, 1]], axis=1)  # at two depths, in design order
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(core.predict(d, X), expected, rtol=1e-12)


# ---------------------------------------------------------------------------- output columns
def test_a_zero_wire_never_swaps_two_output_columns():
    d = Design()
    d.set_dataset("gaussian", {"n": 60, "classes": 2})
    d.set_training(loss="mse", dtype="float64")
    for f in ("x1", "x2"):
        d.add_node("input", {"feature": f}, node_id=f)
    d.add_node("neuron", {"activation": "identity", "bias": 0.0}, node_id="o1")
    d.add_node("neuron", {"activation": "identity", "bias": 0.0}, node_id="o2")
    d.add_node("neuron", {"activation": "tanh", "bias": 0.0}, node_id="hA")
    d.add_node("neuron", {"activation": "tanh", "bias": 0.0}, node_id="hB")
    for s, t, w in [("x1", "hA", 1.0), ("x2", "hB", 1.0), ("hA", "o1", 1.0), ("hB", "o2", -1.0)]:
        d.add_connection(s, t, w)
    before = core.predict(d, X)
    d.add_connection("hB", "hA", 0.0)  # hB now comes before hA in the graph
    np.testing.assert_allclose(core.predict(d, X), before, rtol=0, atol=1e-12)
    assert compile_design(d).output_ids == ["o1", "o2"]  # the design's order


# ---------------------------------------------------------------------------- the property
def reaches(design: Design, start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo += [c.target for c in design.outgoing(node)]
    return False


def zero_wires_allowed(design: Design) -> list[tuple[str, str]]:
    """Every wire the model takes as it is: into a neuron, from an input or a hidden neuron (a
    wire from an output neuron would make it hidden), no cycle, no second wire."""
    sources = [n for n, node in design.nodes.items() if node.kind == "input"
               or (node.kind == "neuron" and design.outgoing(n))]
    targets = [n for n, node in design.nodes.items() if node.kind == "neuron"]
    return [(s, t) for s in sources for t in targets if s != t
            and design.connection_between(s, t) is None and not reaches(design, t, s)]


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(designs(), st.data())
def test_a_zero_wire_anywhere_the_model_allows_leaves_every_output_unchanged(design, data):
    allowed = zero_wires_allowed(design)
    assume(allowed)
    source, target = data.draw(st.sampled_from(allowed))
    before = core.predict(design, X)
    design.add_connection(source, target, 0.0)
    assert errors(design) == []
    np.testing.assert_allclose(core.predict(design, X), before, rtol=0, atol=1e-12)


@SETTINGS
@given(designs(), st.data())
def test_deleting_a_zero_wire_leaves_every_output_unchanged(design, data):
    # a wire into a neuron whose ends keep another wire each (or the outputs would change)
    deletable = [c.id for c in design.connections.values()
                 if design.nodes[c.target].kind == "neuron" and len(design.outgoing(c.source)) > 1
                 and len(design.incoming(c.target)) > 1]
    assume(deletable)
    cid = data.draw(st.sampled_from(deletable))
    design.set_weight(cid, 0.0)
    before = core.predict(design, X)
    design.remove_connection(cid)
    assert errors(design) == []
    np.testing.assert_allclose(core.predict(design, X), before, rtol=0, atol=1e-12)


@SETTINGS
@given(designs(), st.data())
def test_moving_nodes_or_undoing_a_deletion_changes_no_output(design, data):
    before = core.predict(design, X)
    node = data.draw(st.sampled_from(list(design.nodes)))
    design.move_node(node, (data.draw(st.floats(-1e4, 1e4)), data.draw(st.floats(-1e4, 1e4))))
    np.testing.assert_array_equal(core.predict(design, X), before)
    wires = list(design.connections)
    removed, conns, params = design.remove_node(data.draw(st.sampled_from(list(design.nodes))))
    design.insert_node(removed, params)
    for c in conns:
        design.insert_connection(c)
    assert list(design.connections) == wires
    np.testing.assert_array_equal(core.predict(design, X), before)


# ---------------------------------------------------------------------------- absent wires
def sparse_neurons(optimizer: str = "adam") -> Design:
    """x1 → h1, x2 → h2 (one layer whose kernel has two slots no wire fills) → out."""
    d = Design()
    d.set_dataset("circle", {"n": 60})
    d.set_training(loss="binary_cross_entropy", optimizer=optimizer, learning_rate=0.05,
                   batch_size=10, epochs=1, dtype="float64")
    for f in ("x1", "x2"):
        d.add_node("input", {"feature": f}, node_id=f)
    for nid in ("h1", "h2", "out"):
        d.add_node("neuron", {"activation": "sigmoid" if nid == "out" else "tanh", "bias": 0.1},
                   node_id=nid)
    for s, t, w in [("x1", "h1", 1.0), ("x2", "h2", -1.5), ("h1", "out", 2.0), ("h2", "out", 0.7)]:
        d.add_connection(s, t, w)
    return d


def absent_slots(model) -> np.ndarray:
    """Where in the model's buffer the kernel slots of absent wires lie (1), elsewhere 0."""
    kept = model.parameters_numpy()
    model.flat[...] = 0
    for op in model.ops:
        mask = getattr(op.layer, "mask", None)
        if isinstance(mask, np.ndarray):
            op.params["kernel"][~mask] = 1  # straight into the buffer, past every check
    marks = model.parameters_numpy()
    model.flat[...] = kept
    return marks


def test_values_written_where_no_wire_is_change_no_output():
    d = sparse_neurons()
    build = compile_design(d)
    model = build.model
    before = np.asarray(model.forward(build.feature_rows(X)))
    marks = absent_slots(model)
    assert marks.sum() == 2
    kernel = np.full((2, 2), 9.0)  # a whole kernel written, the absent slots too
    model.set_param(0, "kernel", kernel)
    build.read_weights(d)  # the design's own weights back, as after an edit in the inspector
    np.testing.assert_array_equal(np.asarray(model.forward(build.feature_rows(X))), before)
    model.load_flat(model.parameters_numpy() + 5.0 * marks)  # a snapshot restored
    np.testing.assert_array_equal(np.asarray(model.forward(build.feature_rows(X))), before)
    assert not np.any(model.parameters_numpy()[marks == 1])


def test_a_restored_momentum_where_no_wire_is_changes_no_weight():
    """Adam's state, read from a file, with values in the slots of absent wires: training goes
    exactly as from the same state without them."""
    trained = []
    for junk in (0.0, 3.0):
        d = sparse_neurons()
        model = compile_design(d).model
        marks = absent_slots(model)
        d.state.optimizer_state = {"m": 0.01 * np.ones(model.size) + junk * marks,
                                   "v": 0.02 * np.ones(model.size) + junk * marks,
                                   "t": np.array([4])}
        core.train(d)
        trained.append({c.id: c.weight for c in d.connections.values()})
    assert trained[0] == trained[1]
