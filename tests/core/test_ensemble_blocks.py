"""Every block kind on the ensemble axis: variants of a design using it (seed, learning rate, L2)
each equal the design trained alone, in float32 (1e-6) and float64 (1e-12); and which layers run
batched over the variants rather than one variant after another."""

from __future__ import annotations

import numpy as np
import pytest

import core.engine.ensemble.model as ensemble_model
from core.compiler.compile import compile_design
from core.design import registry
from core.engine.ensemble.layers import ensemble_layer
from tests.core.ensemble_checks import alone, assert_same_run, together
from tests.core.example_designs import xor_design
from tests.core.onnx_designs import BLOCK_DESIGNS, every_block_design, image

VARIANTS = [{"learning_rate": 0.01, "seed": 1},
            {"learning_rate": 0.003, "seed": 7, "l2": 1e-3},
            {"learning_rate": 0.02, "seed": 2, "l1": 1e-4}]


def test_every_block_kind_has_a_design_here():
    assert set(BLOCK_DESIGNS) == set(registry.blocks)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("kind", "k", "make"), every_block_design(),
                         ids=[f"{kind}-{k}" for kind, k, _ in every_block_design()])
def test_each_variant_equals_its_design_trained_alone(kind, k, make, dtype):
    design = make()
    design.set_training(dtype=dtype, epochs=2, test_fraction=0.3)
    trainer, _ = together(design, VARIANTS)
    assert len(trainer.groups) == 1
    for i, variant in enumerate(VARIANTS):
        single, error = alone(design, variant)
        assert error is None
        assert_same_run(trainer.result(i), single, dtype)


@pytest.mark.parametrize(("kind", "k", "make"), every_block_design(),
                         ids=[f"{kind}-{k}" for kind, k, _ in every_block_design()])
def test_no_layer_of_any_block_kind_runs_variant_by_variant(kind, k, make):
    layers = [ensemble_layer(op.layer) for op in compile_design(make()).model.ops]
    assert [type(layer).__name__ for layer in layers if not layer.batched] == []


def test_convolutions_pooling_and_dense_run_batched_over_the_variants():
    design = image(("conv2d", {"filters": 4, "kernel_size": 3, "activation": "relu"}),
                   ("max_pool2d", {"pool_size": 2, "strides": 0}),
                   ("conv2d", {"filters": 3, "kernel_size": 2, "strides": 2, "activation": "tanh"}),
                   ("dropout", {"rate": 0.2}))
    design.set_training(epochs=2, test_fraction=0.3)
    layers = [ensemble_layer(op.layer) for op in compile_design(design).model.ops]
    assert [type(layer.layer).__name__ for layer in layers] == [
        "ReshapeLayer", "Conv2DLayer", "MaxPool2DLayer", "Conv2DLayer", "DropoutLayer",
        "FlattenLayer", "DenseLayer"]
    assert all(layer.batched for layer in layers)  # none of them variant after variant
    trainer, _ = together(design, VARIANTS)
    for i, variant in enumerate(VARIANTS):
        assert_same_run(trainer.result(i), alone(design, variant)[0], "float32")


def _is_chain(make) -> bool:
    model = compile_design(make()).model
    return ensemble_model.is_chain(model.ops, model.output_op)


def test_only_designs_of_one_layer_after_another_step_as_a_chain():
    chains = {f"{kind}-{k}": _is_chain(make) for kind, k, make in every_block_design()}
    assert not any(v for name, v in chains.items() if name.startswith(("add-", "concatenate-")))
    assert not chains["neuron-1"]  # neurons of two depths feed one block: columns of two slots
    assert chains["data-0"] and chains["conv2d-0"] and chains["lstm-0"] and chains["batchnorm-0"]


def _xor_with_an_absent_wire():
    design = xor_design(epochs=2)
    design.remove_connection("x2-h3")  # the hidden layer's kernel is masked
    return design


DESIGNS = {**{f"{kind}-{k}": BLOCK_DESIGNS[kind][k] for kind, k in (
    ("data", 0), ("conv2d", 0), ("batchnorm", 0), ("dropout", 0), ("lstm", 0), ("input", 0))},
    "xor-masked": _xor_with_an_absent_wire}


@pytest.mark.parametrize("name", list(DESIGNS))
def test_a_chain_steps_to_the_very_numbers_of_the_general_path(monkeypatch, name):
    """The chain's shortcut (no slots gathered or scattered, hidden linear layers of one activation
    taken inline) against the general path."""
    design = DESIGNS[name]()
    design.set_training(epochs=2, test_fraction=0.3)
    trainer, _ = together(design, VARIANTS)
    model = trainer.groups[0].model
    assert model.chain
    inline = [step is not None for step in model.inline]
    if name in ("data-0", "dropout-0", "batchnorm-0", "xor-masked"):
        assert inline[0]  # the first Dense (neurons) block is taken inline
    if name == "xor-masked":
        assert model.inline[0][5] is not None  # with its mask
    assert not inline[-1]  # the output layer goes through its layer
    monkeypatch.setattr(ensemble_model, "is_chain", lambda ops, output_op: False)
    general, _ = together(design, VARIANTS)
    assert not general.groups[0].model.chain and general.groups[0].model.inline is None
    for i in range(len(VARIANTS)):
        a, b = trainer.result(i), general.result(i)
        assert np.array_equal(a.weights, b.weights)
        assert a.history == b.history
