"""Conv2D, pooling, Flatten and Reshape as blocks of a design: their shapes, the messages a person
sees for a wrong wiring, saving, and the digits CNN example learning."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.compiler.validation import check_design
from core.design import registry
from core.design.design import Design
from core.files.fileformat import design_from_dict, design_to_dict, load_design
from core.training.trainer import Trainer

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def chain(*kinds: tuple[str, dict]) -> tuple[Design, list[str]]:
    design = Design()
    design.set_dataset("digits")
    design.set_training(loss="softmax_cross_entropy")
    ids = [design.add_node("data", {}).id]
    for kind, params in kinds:
        ids.append(design.add_node(kind, {**registry.blocks.get(kind).default_params(), **params}).id)
        design.add_connection(ids[-2], ids[-1])
    return design, ids


def test_each_block_passes_on_the_shape_a_person_expects():
    design, ids = chain(("reshape", {"shape": "8,8,1"}), ("conv2d", {"filters": 16}),
                        ("max_pool2d", {}), ("conv2d", {"filters": 8, "padding": "valid"}),
                        ("avg_pool2d", {"pool_size": 2, "strides": 1}), ("flatten", {}),
                        ("dense", {"units": 10, "activation": "softmax"}))
    problems, structure = check_design(design)
    assert [p for p in problems if p.severity == "error"] == []
    shapes = [structure.shapes[i] for i in ids]
    assert shapes == [(64,), (8, 8, 1), (8, 8, 16), (4, 4, 16), (2, 2, 8), (1, 1, 8), (8,), (10,)]


@pytest.mark.parametrize("kinds, message", [
    ((("reshape", {"shape": "8,8,1"}), ("conv2d", {}), ("dense", {"units": 10})), "add Flatten"),
    ((("conv2d", {}),), "Conv2D expects an image"),
    ((("reshape", {"shape": "8,8,2"}),), "Reshape"),
    ((("reshape", {"shape": "eight"}),), "whole numbers"),
    ((("reshape", {"shape": "2,2,16"}), ("conv2d", {"kernel_size": 5, "padding": "valid"})),
     "larger than"),
])
def test_a_wrong_wiring_is_named_on_the_block(kinds, message):
    design, ids = chain(*kinds)
    problems = [p for p in check_design(design)[0] if p.severity == "error"]
    assert any(message in p.message and set(p.node_ids) & set(ids) for p in problems), problems


def test_a_shape_that_does_not_fit_is_marked_on_the_wire_that_brings_it():
    design, ids = chain(("reshape", {"shape": "8,8,1"}), ("conv2d", {}), ("dense", {"units": 10}))
    problem = next(p for p in check_design(design)[0] if "add Flatten" in p.message)
    wire = design.connection_between(ids[2], ids[3])
    assert problem.node_ids == (ids[3],) and problem.connection_ids == (wire.id,)
    assert "8×8×16" in problem.message


def test_padding_is_one_of_its_choices():
    design, _ids = chain(("reshape", {"shape": "8,8,1"}), ("conv2d", {"padding": "full"}))
    messages = [p.message for p in check_design(design)[0]]
    assert any("'full' is not one of 'valid', 'same'" in m for m in messages)


def test_a_cnn_saves_and_reopens_with_its_filters():
    design = load_design(EXAMPLES / "digits_cnn.ncanvas")
    trainer = Trainer(design)
    trainer.fit_steps(3)
    trainer.write_back()
    again = design_from_dict(design_to_dict(design))
    conv = next(n for n, node in design.nodes.items() if node.kind == "conv2d")
    assert again.parameters[conv]["kernel"].shape == (3, 3, 1, 16)
    assert (again.parameters[conv]["kernel"] == design.parameters[conv]["kernel"]).all()
    assert again == design
