"""Add and Concatenate: designs that are graphs (a skip connection, two branches), their shapes, the
messages for inputs that do not fit, their gradients, training and saving."""

from __future__ import annotations

import numpy as np
import pytest

from core.compiler.compile import compile_design
from core.compiler.validation import check_design
from core.design import registry
from core.design.design import Design
from core.files.fileformat import design_from_dict, design_to_dict
from core.training.trainer import Trainer
from tests.core.example_designs import block, residual_cnn, two_branches, wire
from tests.core.gradient_checks import model_check


def errors(design: Design):
    return [p for p in check_design(design)[0] if p.severity == "error"]


def test_a_skip_connection_keeps_the_image_shape():
    design, ids = residual_cnn()
    assert errors(design) == []
    shapes = check_design(design)[1].shapes
    assert shapes[ids["add"]] == (8, 8, 4) and shapes[ids["flat"]] == (256,)


def test_concatenate_joins_features_and_channels_in_the_order_connected():
    design, ids = two_branches()
    assert check_design(design)[1].shapes[ids["join"]] == (8,)
    images, ids2 = residual_cnn()
    # replace Add by Concatenate: 4 + 4 channels
    images.nodes[ids2["add"]] = images.nodes[ids2["add"]].__class__(
        ids2["add"], "concatenate", {}, (0.0, 0.0), "")
    assert check_design(images)[1].shapes[ids2["add"]] == (8, 8, 8)


def test_concatenated_values_follow_the_connection_order():
    design, ids = two_branches()
    build = compile_design(design, dtype="float64")
    x = build.feature_rows(build.data.X[:6])
    slots, _ = build.model.forward_all(x)
    slot = {nid: index + 1 for nid, index in build.block_ops.items()}
    joined = slots[slot[ids["join"]]]
    expected = np.concatenate([slots[slot[ids["left"]]], slots[slot[ids["right"]]]], axis=1)
    np.testing.assert_array_equal(joined, expected)


def test_add_sums_its_inputs_value_by_value():
    design, ids = residual_cnn()
    build = compile_design(design, dtype="float64")
    x = build.feature_rows(build.data.X[:3])
    slots, _ = build.model.forward_all(x)
    slot = {nid: index + 1 for nid, index in build.block_ops.items()}
    np.testing.assert_allclose(slots[slot[ids["add"]]], slots[slot[ids["a"]]] + slots[slot[ids["b"]]])


def test_inputs_of_different_shapes_are_named_on_the_add_and_its_wires():
    design, ids = residual_cnn()
    design.nodes[ids["b"]] = design.nodes[ids["b"]].__class__(
        ids["b"], "conv2d", {**design.nodes[ids["b"]].params, "filters": 6}, (0.0, 0.0), "")
    problem = next(p for p in errors(design) if ids["add"] in p.node_ids)
    assert "Add needs inputs of one shape" in problem.message
    assert "8×8×6" in problem.message and "8×8×4" in problem.message
    assert set(problem.connection_ids) == {c.id for c in design.incoming(ids["add"])}


def test_concatenate_says_which_axes_must_agree():
    design, ids = residual_cnn()
    pool = block(design, "max_pool2d")
    design.remove_connection(design.connection_between(ids["a"], ids["add"]).id)
    wire(design, ids["a"], pool, ids["add"])
    design.nodes[ids["add"]] = design.nodes[ids["add"]].__class__(ids["add"], "concatenate", {},
                                                                  (0.0, 0.0), "")
    messages = [p.message for p in errors(design)]
    assert any("Concatenate joins inputs along their last axis" in m and "4×4×4" in m for m in messages)


def test_a_merge_with_one_input_is_a_warning_not_an_error():
    design, ids = residual_cnn()
    design.remove_connection(design.connection_between(ids["a"], ids["add"]).id)
    problems = check_design(design)[0]
    assert errors(design) == []
    assert any(p.severity == "warning" and "connect another" in p.message for p in problems)


def test_skip_connection_gradients_match_finite_differences():
    design, _ids = residual_cnn(filters=3)
    model_check(design, rows=6, coords=120)


def test_two_branch_gradients_match_finite_differences():
    design, _ids = two_branches()
    model_check(design, rows=10, coords=150)


def test_neurons_and_a_data_node_concatenated_then_added():
    """Neuron-level sources (one column each) and the whole data vector into merge blocks."""
    design = Design()
    design.set_dataset("xor")
    design.set_training(loss="mse")
    x1, x2 = (design.add_node("input", {"feature": f}).id for f in ("x1", "x2"))
    hidden = [design.add_node("neuron", {**registry.blocks.get("neuron").default_params(),
                                         "activation": "tanh"}).id for _ in range(2)]
    for h in hidden:
        wire(design, x1, h)
        wire(design, x2, h)
    data = block(design, "data")
    join = block(design, "concatenate")
    wire(design, hidden[0], join)
    wire(design, data, join)
    wire(design, hidden[1], join)
    dense = block(design, "dense", units=3, activation="tanh")
    side = block(design, "dense", units=3, activation="sigmoid")
    total = block(design, "add")
    out = block(design, "dense", units=1, activation="identity")
    wire(design, join, dense, total, out)
    wire(design, data, side, total)
    assert check_design(design)[1].shapes[join] == (4,)
    model_check(design, rows=12)


def test_a_residual_network_learns_the_digits_and_reopens_equal():
    design, ids = residual_cnn(filters=8)
    design.set_training(epochs=6, learning_rate=0.003, optimizer="adam")
    trainer = Trainer(design)
    metrics = trainer.train()
    assert metrics.test_accuracy >= 0.94  # measured 0.952
    trainer.write_back()
    again = design_from_dict(design_to_dict(design))
    assert again == design
    assert [c.source for c in again.incoming(ids["add"])] == [ids["b"], ids["a"]]
    x = trainer.build.feature_rows(trainer.build.data.X[:20])
    np.testing.assert_array_equal(np.asarray(compile_design(again).model.forward(x)),
                                  np.asarray(trainer.build.model.forward(x)))


@pytest.mark.parametrize("kind", ["add", "concatenate"])
def test_merge_blocks_are_on_the_palette(kind):
    spec = registry.blocks.get(kind)
    assert spec.category == "layers" and spec.description and spec.icon
