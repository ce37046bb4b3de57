"""The design model: edit operations and their events, undoable removal, weights and copies."""

from __future__ import annotations

import numpy as np
import pytest

from core.compiler.compile import compile_design
from core.design.design import Connection, Design, Node
from core.engine.backend import to_numpy
from core.training.trainer import Trainer
from tests.core.example_designs import gaussian_dense_design, xor_design

EVENTS = ("node_added", "node_removed", "node_changed", "connection_added", "connection_removed",
          "connection_changed", "settings_changed", "weights_changed")


class Recorder:
    """Every event a design emits, in order, as (name, args)."""

    def __init__(self, design: Design) -> None:
        self.seen: list[tuple[str, tuple]] = []
        for name in EVENTS:
            getattr(design.events, name).connect(self._listener(name))

    def _listener(self, name):
        return lambda *args: self.seen.append((name, args))

    def names(self) -> list[str]:
        return [name for name, _ in self.seen]


def trained(design: Design, epochs: int = 2) -> Design:
    trainer = Trainer(design)
    trainer.train(epochs)
    trainer.write_back()
    return design


def model_bytes(design: Design) -> bytes:
    return to_numpy(compile_design(design).model.flat).tobytes()


# ---------------------------------------------------------------------------- events
def test_add_node_emits_node_added_with_the_node_and_its_kind_defaults():
    d = Design()
    seen = Recorder(d)
    node = d.add_node("neuron", {"activation": "relu"}, (10, 20), node_id="n")
    assert seen.seen == [("node_added", (node,))]
    assert d.nodes["n"] is node
    assert node.params["activation"] == "relu"
    assert node.params["initializer"] == "auto" and node.params["bias"] is None
    assert node.position == (10.0, 20.0)


def test_node_edits_emit_node_changed_with_old_and_new():
    d = xor_design()
    seen = Recorder(d)
    before = d.nodes["h1"]
    d.move_node("h1", (5, 6))
    d.set_node_params("h1", activation="relu")
    d.rename_node("h1", "first")
    assert seen.names() == ["node_changed"] * 3
    (old1, new1), (old2, new2), (old3, new3) = (args for _, args in seen.seen)
    assert old1 is before and new1.position == (5.0, 6.0)
    assert old2 is new1 and new2.params["activation"] == "relu" and new2.position == (5.0, 6.0)
    assert old3 is new2 and new3.label == "first"
    assert d.nodes["h1"] is new3


def test_connection_edits_emit_added_changed_removed():
    d = xor_design()
    seen = Recorder(d)
    conn = d.add_connection("x1", "out", 0.5, connection_id="skip")
    d.set_weight("skip", -1.25)
    removed = d.remove_connection("skip")
    assert seen.names() == ["connection_added", "connection_changed", "connection_removed"]
    assert seen.seen[0][1] == (conn,)
    old, new = seen.seen[1][1]
    assert old == Connection("skip", "x1", "out", 0.5)
    assert new == Connection("skip", "x1", "out", -1.25)
    assert seen.seen[2][1] == (removed,) and removed == new
    assert "skip" not in d.connections


def test_settings_changes_say_what_changed():
    d = xor_design()
    seen = Recorder(d)
    d.set_dataset(params={"n": 50, "noise": 0.1})
    d.set_training(learning_rate=0.5)
    d.set_dataset(seed=3)
    assert seen.seen == [("settings_changed", ("dataset",)), ("settings_changed", ("training",)),
                         ("settings_changed", ("dataset",))]
    assert d.dataset.name == "xor" and dict(d.dataset.params) == {"n": 50, "noise": 0.1}
    assert d.dataset.seed == 3
    assert d.training.learning_rate == 0.5 and d.training.loss == "binary_cross_entropy"


def test_bulk_weight_updates_emit_weights_changed_once():
    d = xor_design()
    trainer = Trainer(d)
    snapshot = d.snapshot_weights()
    seen = Recorder(d)
    trainer.train(1)
    trainer.write_back()
    d.restore_weights(snapshot)
    d.clear_weights()
    assert seen.names() == ["weights_changed"] * 3


def test_remove_node_emits_the_wires_then_the_node():
    d = xor_design()
    seen = Recorder(d)
    node, wires, _ = d.remove_node("h2")
    assert seen.names() == ["connection_removed"] * 3 + ["node_removed"]
    assert [args[0] for _, args in seen.seen[:3]] == wires
    assert seen.seen[3][1] == (node,)


# ---------------------------------------------------------------------------- undoable removal
@pytest.mark.parametrize("node_id", ["x1", "x2", "h1", "h3", "out"])
def test_removing_a_neuron_level_node_and_putting_it_back_restores_the_design(node_id):
    d = trained(xor_design())
    original = d.copy()
    node, wires, params = d.remove_node(node_id)
    assert node == original.nodes[node_id]
    assert sorted(c.id for c in wires) == sorted(
        c.id for c in original.connections.values() if node_id in (c.source, c.target))
    assert node_id not in d.nodes and not any(node_id in (c.source, c.target)
                                              for c in d.connections.values())
    assert d != original
    d.insert_node(node, params)
    for conn in wires:
        d.insert_connection(conn)
    assert d == original
    assert model_bytes(d) == model_bytes(original)  # the same network, weight for weight


def test_removing_a_node_whose_wires_have_no_weights_yet_restores_the_same_draw():
    d = xor_design()
    original = d.copy()
    node, wires, params = d.remove_node("x1")
    d.insert_node(node, params)
    for conn in wires:
        d.insert_connection(conn)
    assert d == original
    assert model_bytes(d) == model_bytes(original)


def test_removing_a_dense_block_returns_its_weights_and_putting_it_back_restores_them():
    d = trained(gaussian_dense_design(epochs=1))
    original = d.copy()
    kernel = d.parameters["hidden"]["kernel"].copy()
    node, wires, params = d.remove_node("hidden")
    assert node.kind == "dense" and {c.id for c in wires} == {"data-hidden", "hidden-out"}
    assert params["kernel"].shape == (2, 16) and np.array_equal(params["kernel"], kernel)
    assert "hidden" not in d.parameters
    d.insert_node(node, params)
    for conn in wires:
        d.insert_connection(conn)
    assert d == original
    assert model_bytes(d) == model_bytes(original)


def test_undo_in_reverse_order_of_several_removals_restores_the_design():
    d = trained(xor_design(), epochs=1)
    original = d.copy()
    removals = [d.remove_node(nid) for nid in ("h2", "x1", "h4")]
    lone = d.remove_connection("h1-out")
    d.insert_connection(lone)
    for node, wires, params in reversed(removals):
        d.insert_node(node, params)
        for conn in reversed(wires):
            d.insert_connection(conn)
    assert d == original
    assert list(d.connections) == list(original.connections)


def test_a_new_node_goes_at_the_end_even_under_a_removed_nodes_id():
    d = xor_design()
    d.remove_node("h2")
    d.add_node("neuron", {"activation": "relu"}, node_id="h2")
    d.add_connection("x1", "h2", connection_id="x1-h2")
    assert list(d.nodes)[-1] == "h2" and list(d.connections)[-1] == "x1-h2"


def test_ids_in_use_are_refused():
    d = xor_design()
    with pytest.raises(ValueError, match="h1"):
        d.add_node("neuron", node_id="h1")
    with pytest.raises(ValueError, match="h1"):
        d.insert_node(Node("h1", "neuron"))
    with pytest.raises(ValueError, match="x1-h1"):
        d.add_connection("x2", "out", connection_id="x1-h1")
    with pytest.raises(KeyError, match="nowhere"):
        d.add_connection("x1", "nowhere")
    fresh = d.add_node("neuron")
    assert fresh.id not in ("x1", "x2", "h1", "h2", "h3", "h4", "out")


def test_a_structural_change_drops_a_blocks_weights_and_an_activation_change_keeps_them():
    d = trained(gaussian_dense_design(epochs=1))
    kernel = d.parameters["hidden"]["kernel"].copy()
    d.set_node_params("hidden", activation="tanh")
    assert np.array_equal(d.parameters["hidden"]["kernel"], kernel)
    d.set_node_params("hidden", units=8)
    assert "hidden" not in d.parameters
    assert compile_design(d).model.ops[0].params["kernel"].shape == (2, 8)


# ---------------------------------------------------------------------------- weights
def test_snapshot_and_restore_put_back_every_weight():
    d = xor_design()
    trainer = Trainer(d)  # draws the initial weights into the design
    before = d.copy()
    snapshot = d.snapshot_weights()
    assert set(snapshot["connections"]) == set(d.connections)
    assert all(isinstance(w, float) for w in snapshot["connections"].values())
    assert set(snapshot["neurons"]) == {"h1", "h2", "h3", "h4", "out"}
    trainer.train(3)
    trainer.write_back()
    assert d.connections["x1-h1"].weight != before.connections["x1-h1"].weight
    assert d.nodes["out"].params["bias"] != before.nodes["out"].params["bias"]
    d.restore_weights(snapshot)
    assert d == before
    assert model_bytes(d) == model_bytes(before)


def test_a_snapshot_of_block_weights_does_not_follow_later_changes():
    d = trained(gaussian_dense_design(epochs=1))
    snapshot = d.snapshot_weights()
    kept = snapshot["blocks"]["hidden"]["kernel"].copy()
    d.parameters["hidden"]["kernel"][...] = 7.0
    assert np.array_equal(snapshot["blocks"]["hidden"]["kernel"], kept)
    d.restore_weights(snapshot)
    assert np.array_equal(d.parameters["hidden"]["kernel"], kept)
    d.parameters["hidden"]["kernel"][...] = 8.0
    assert np.array_equal(snapshot["blocks"]["hidden"]["kernel"], kept)


def test_restore_skips_what_no_longer_exists():
    d = trained(xor_design(), epochs=1)
    snapshot = d.snapshot_weights()
    d.remove_node("h4")
    d.restore_weights(snapshot)
    assert "h4" not in d.nodes and "h4-out" not in d.connections
    assert d.connections["x1-h1"].weight == snapshot["connections"]["x1-h1"]


def test_clear_weights_forgets_every_weight_and_the_next_build_draws_the_seed_again():
    d = trained(xor_design(), epochs=2)
    d.clear_weights()
    assert all(c.weight is None for c in d.connections.values())
    assert all(n.params["bias"] is None for n in d.nodes.values() if n.kind == "neuron")
    assert d.parameters == {}
    assert model_bytes(d) == model_bytes(xor_design())

    g = trained(gaussian_dense_design(epochs=1))
    g.clear_weights()
    assert g.parameters == {}
    assert model_bytes(g) == model_bytes(gaussian_dense_design())


# ---------------------------------------------------------------------------- copies
def test_copy_is_equal_and_keeps_weights_state_and_settings():
    d = trained(gaussian_dense_design(epochs=2))
    c = d.copy()
    assert c == d and c is not d
    assert c.training == d.training and c.dataset == d.dataset
    assert c.state.epoch == d.state.epoch == 2 and c.state.history == d.state.history
    assert model_bytes(c) == model_bytes(d)


def test_editing_a_copy_leaves_the_original_unchanged():
    d = trained(xor_design(), epochs=1)
    g = trained(gaussian_dense_design(epochs=1))
    before, g_before = d.copy(), g.copy()
    seen = Recorder(d)
    state_before = (d.state.epoch, d.state.step, len(d.state.history),
                    {k: v.copy() for k, v in d.state.optimizer_state.items()})

    c = d.copy()
    c.add_node("neuron", node_id="extra")
    c.remove_node("h1")
    c.set_weight("x1-h2", 42.0)
    c.set_node_params("out", bias=3.0)
    c.set_training(learning_rate=9.0)
    c.set_dataset("circle")
    c.clear_weights()
    c.state.history.append({"epoch": 99})
    c.state.optimizer_state["m"][...] = 5.0

    gc = g.copy()
    gc.parameters["hidden"]["kernel"][...] = 0.0
    gc.parameters["out"]["bias"][0] = 1.0

    assert seen.seen == []  # the copy has its own listeners
    assert d == before and g == g_before
    assert (d.state.epoch, d.state.step, len(d.state.history)) == state_before[:3]
    for name, value in state_before[3].items():
        assert np.array_equal(d.state.optimizer_state[name], value)


def test_training_a_copy_does_not_touch_the_original():
    d = xor_design()
    before = d.copy()
    trained(d.copy(), epochs=2)
    assert d == before
    assert all(c.weight is None for c in d.connections.values())
    assert d.state.epoch == 0 and d.initial_weights is None


def test_clear_weights_sends_a_learned_prelu_slope_back_to_its_default():
    from core.training.trainer import Trainer
    from tests.core.example_designs import xor_design

    d = xor_design(epochs=2)
    d.set_node_params("h1", activation="prelu")
    Trainer(d).train()
    d.set_node_params("h1", activation_params={"slope": -0.9})  # as training may leave it
    d.clear_weights()
    assert "slope" not in d.nodes["h1"].params["activation_params"]
    assert d.nodes["h1"].params["bias"] is None
