"""Backpropagation step by step (core/learn/backprop_steps.py, core/learn/backprop_chain.py): the numbers it
shows, neuron by neuron, equal the engine's masked layers in float64; the chain rule written out
for one weight adds up to its gradient; the update it shows is the one the trainer then takes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.design.design import Design, layered_positions
from core.engine.backend import to_device, to_numpy
from core.files.fileformat import load_design
from core.learn.backprop_chain import chain_rule, deep_sigmoid_design
from core.learn.backprop_steps import (
    apply_step,
    forward_backward,
    make_trainer,
    next_batch,
    plan_update,
    unsupported,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
TOL = 1e-9


def plain_sgd(update) -> bool:
    """The update is w ← w − η·∂L/∂w and nothing else: SGD with no L1, L2 or clipping."""
    return update.optimizer == "sgd" and not (update.l1 or update.l2) and update.clip_scale == 1.0


def mixed_design(loss: str = "softmax_cross_entropy", outputs: int = 3,
                 output_activation: str = "softmax") -> Design:
    """A spiral-like network: four input features, a hidden layer of eleven different
    activations (a learned PReLU slope among them), a second of four, a wire that skips a layer
    and one that skips two, and `outputs` output neurons."""
    d = Design()
    d.set_dataset("spiral", {"n": 300, "classes": 3 if outputs == 3 else 2}, seed=1)
    d.set_training(loss=loss, optimizer="sgd", learning_rate=0.1, batch_size=16, seed=3)
    features = [d.add_node("input", {"feature": f}).id for f in ("x1", "x2", "x1^2", "sin(x1)")]
    first = [d.add_node("neuron", {"activation": act, **extra}).id for act, extra in (
        ("tanh", {}), ("relu", {}), ("sigmoid", {}), ("elu", {"activation_params": {"alpha": 0.7}}),
        ("prelu", {"activation_params": {"slope": -0.3}}), ("gelu", {}), ("silu", {}),
        ("softplus", {}), ("leaky_relu", {"activation_params": {"slope": 0.2}}), ("arctan", {}),
        ("identity", {}))]
    second = [d.add_node("neuron", {"activation": act}).id
              for act in ("tanh", "relu", "sigmoid", "softplus")]
    outs = [d.add_node("neuron", {"activation": output_activation}).id for _ in range(outputs)]
    for a, b in ((features, first), (first, second), (second, outs)):
        for source in a:
            for target in b:
                d.add_connection(source, target)
    d.add_connection(features[0], second[0])  # skips one layer
    d.add_connection(features[1], outs[0])  # skips two
    for node_id, pos in layered_positions([features, first, second, outs]).items():
        d.move_node(node_id, pos)
    return d


def perceptron_design() -> Design:
    """The cricket perceptron with a threshold far too high (it never says go), so that the
    perceptron rule has something to correct."""
    d = load_design(EXAMPLES / "cricket_perceptron.ncanvas")
    d.set_node_params(next(n for n in d.nodes if d.nodes[n].kind == "neuron"), bias=-60.0)
    d.set_training(batch_size=10)
    return d


DESIGNS = {
    "xor": lambda: load_design(EXAMPLES / "xor.ncanvas"),
    "circle": lambda: load_design(EXAMPLES / "circle.ncanvas"),
    "spiral": lambda: load_design(EXAMPLES / "spiral.ncanvas"),
    "mixed-softmax-ce": mixed_design,
    "mixed-softmax-mse": lambda: mixed_design(loss="mse"),
    "mixed-identity-bce": lambda: mixed_design("binary_cross_entropy", 1, "identity"),
    "mixed-tanh-hinge": lambda: mixed_design("hinge", 1, "tanh"),
    "cricket-perceptron": perceptron_design,
    "deep-sigmoid": deep_sigmoid_design,
}


def engine(trainer, batch):
    """The engine's own loss and gradients for the batch, read back per wire and per bias from
    the masked layers (Model.loss_and_gradients → model.grad), and every neuron's z and a."""
    build = trainer.build
    model = build.model
    loss = float(to_numpy(model.loss_and_gradients(to_device(batch.x), to_device(batch.t),
                                                   build.loss, build.rule)))
    slots, caches = model.forward_all(to_device(batch.x))
    wires, biases, z, a = {}, {}, {}, {}
    for nmap in build.neuron_maps:
        op = model.ops[nmap.op_index]
        kernel, bias = to_numpy(op.grads["kernel"]), to_numpy(op.grads["bias"])
        for cid, row, col in nmap.wires:
            wires[cid] = float(kernel[row, col])
        x = to_numpy(model.gather(slots, op.inputs))
        sums = x @ to_numpy(op.params["kernel"]) + to_numpy(op.params["bias"])
        for nid, col in nmap.neurons:
            biases[nid] = float(bias[col])
            z[nid], a[nid] = sums[:, col], to_numpy(slots[op.out_slot])[:, col]
    return loss, wires, biases, z, a


@pytest.mark.parametrize("kind", ["sample", "batch"])
@pytest.mark.parametrize("name", list(DESIGNS))
def test_every_number_equals_the_engines(name, kind):
    trainer = make_trainer(DESIGNS[name]())
    assert trainer.model.dtype == np.float64
    batch = next_batch(trainer, kind)
    assert len(batch.rows) == (1 if kind == "sample" else trainer.settings.batch_size)
    step = forward_backward(trainer.build, trainer.design, batch)
    loss, wires, biases, z, a = engine(trainer, batch)
    assert step.loss == pytest.approx(loss, abs=TOL)
    assert set(step.wire_grads) == set(wires) == set(trainer.design.connections)
    scale = max(1.0, max(abs(g) for g in wires.values()))
    for cid, g in wires.items():
        assert abs(step.wire_grads[cid] - g) <= TOL * scale, cid
    for nid, g in biases.items():
        assert abs(step.bias_grads[nid] - g) <= TOL * scale, nid
        assert np.allclose(step.neurons[nid].z, z[nid], rtol=0, atol=TOL)
        assert np.allclose(step.neurons[nid].a, a[nid], rtol=0, atol=TOL)
    assert any(abs(g) > 1e-6 for g in wires.values())  # the check had something to compare
    assert step.sample_losses.mean() == pytest.approx(step.loss, abs=TOL)


def test_hidden_deltas_follow_the_delta_rule():
    """δ_j = f'(z_j) · Σ_k w_jk δ_k for every hidden neuron, and ∂L/∂w = Σ_samples a_i δ_j."""
    trainer = make_trainer(mixed_design())
    step = forward_backward(trainer.build, trainer.design, next_batch(trainer, "batch"))
    net = step.network
    for nid, v in step.neurons.items():
        if nid in net.outputs:
            continue
        total = sum(net.weights[c] * step.neurons[t].dz for c, t in net.units[nid].outgoing)
        assert np.allclose(v.da, total, atol=1e-15)
        assert np.allclose(v.dz, v.fprime * total, atol=1e-15)
        for cid, src in net.units[nid].incoming:
            assert step.wire_grads[cid] == pytest.approx(float((step.value(src) * v.dz).sum()),
                                                         abs=1e-15)


@pytest.mark.parametrize("name", ["xor", "spiral", "mixed-softmax-mse", "deep-sigmoid"])
def test_the_chain_rule_for_a_first_layer_weight_adds_up_to_its_gradient(name):
    trainer = make_trainer(DESIGNS[name]())
    design = trainer.design
    sample = forward_backward(trainer.build, design, next_batch(trainer, "sample"))
    first_input = next(n for n in design.nodes.values() if n.kind == "input")
    wire = design.outgoing(first_input.id)[0].id
    rule = chain_rule(sample, wire)
    grad = sample.wire_grads[wire]
    assert rule.path_count >= 1 and rule.path_sum == pytest.approx(grad, rel=1e-12, abs=1e-18)
    assert rule.product == pytest.approx(grad, rel=1e-12, abs=1e-18)
    assert rule.delta * rule.a_source == pytest.approx(grad, rel=1e-12, abs=1e-18)
    for path in rule.paths:  # each product is the product of the factors written out
        assert path.product == pytest.approx(np.prod([f.value for f in path.factors]), rel=1e-12)
        assert path.factors[-1].kind == "a" and path.factors[-1].value == rule.a_source
    assert [d.node_id for d in rule.deltas][0] == rule.target and rule.deltas[-1].output
    # over a mini-batch, the gradient is the sum of every sample's chain-rule product
    step = forward_backward(trainer.build, design, next_batch(trainer, "batch"))
    products = [chain_rule(step, wire, s).path_sum for s in range(len(step.batch.rows))]
    assert sum(products) == pytest.approx(step.wire_grads[wire], rel=1e-12, abs=1e-18)
    assert chain_rule(step, wire).gradient == step.wire_grads[wire]


def test_paths_multiply_weights_and_slopes_along_the_way():
    """xor: the only path from x1→h to the loss is δ_o · w_ho · f'(z_h) · x1."""
    trainer = make_trainer(DESIGNS["xor"]())
    design = trainer.design
    step = forward_backward(trainer.build, design, next_batch(trainer, "sample"))
    wire = design.outgoing(next(iter(design.nodes)))[0]
    rule = chain_rule(step, wire.id)
    (path,) = rule.paths
    out = step.network.outputs[0]
    hop = design.connection_between(wire.target, out).id
    assert [f.kind for f in path.factors] == ["dL/dz", "w", "da/dz", "a"]
    assert [f.value for f in path.factors] == [
        step.neurons[out].dz[0], step.network.weights[hop], step.neurons[wire.target].fprime[0],
        step.inputs[wire.source][0]]


@pytest.mark.parametrize("kind", ["sample", "batch"])
def test_plain_sgd_moves_each_weight_by_exactly_minus_rate_times_gradient(kind):
    design = load_design(EXAMPLES / "circle.ncanvas")
    design.set_training(optimizer="sgd", learning_rate=0.3)
    trainer = make_trainer(design)
    batch = next_batch(trainer, kind)
    step = forward_backward(trainer.build, trainer.design, batch)
    update = plan_update(trainer, step)
    assert plain_sgd(update) and update.learning_rate == 0.3
    for cid, g in step.wire_grads.items():
        e = update.entry(cid)
        assert e["g"] == g and e["new"] == e["w"] - 0.3 * g  # exactly, in float64
    steps_before = trainer.step_count
    apply_step(trainer, batch)
    assert trainer.step_count == steps_before + 1
    assert np.allclose(to_numpy(trainer.model.flat), update.new, rtol=0, atol=1e-15)
    trainer.write_back()
    for cid in step.wire_grads:
        assert trainer.design.connections[cid].weight == pytest.approx(update.entry(cid)["new"],
                                                                       abs=1e-15)


@pytest.mark.parametrize("optimizer", ["adam", "momentum", "rmsprop", "adamw"])
def test_other_optimizers_show_the_step_they_then_take(optimizer):
    """Not restricted to SGD: the update shown is the optimizer's own step from its state."""
    design = load_design(EXAMPLES / "xor.ncanvas")
    design.set_training(optimizer=optimizer, l2=0.01, clip_norm=0.5)
    trainer = make_trainer(design)
    for _ in range(3):  # an optimizer with some history
        batch = next_batch(trainer, "batch")
        step = forward_backward(trainer.build, trainer.design, batch)
        update = plan_update(trainer, step)
        assert not plain_sgd(update)
        apply_step(trainer, batch)
        assert np.allclose(to_numpy(trainer.model.flat), update.new, rtol=1e-12, atol=1e-15)
    assert update.clip_scale <= 1.0
    if optimizer.startswith("adam"):
        assert update.step == 3 and set(update.after) == {"m", "v"}


def test_the_batches_follow_the_trainers_own_order():
    """Step by step goes through the same mini-batches as One Step: after three, the weights
    equal those of a trainer that simply stepped three times."""
    design = load_design(EXAMPLES / "circle.ncanvas")
    stepped, shown = make_trainer(design), make_trainer(design)
    for _ in range(3):
        stepped.step()
        batch = next_batch(shown, "batch")
        plan = plan_update(shown, forward_backward(shown.build, shown.design, batch))
        apply_step(shown, batch)
        assert np.allclose(to_numpy(shown.model.flat), plan.new, atol=1e-15)
    assert np.array_equal(to_numpy(stepped.model.flat), to_numpy(shown.model.flat))


def test_deep_sigmoid_gradients_vanish_toward_the_inputs():
    design = deep_sigmoid_design()
    assert sum(n.kind == "neuron" for n in design.nodes.values()) == 6 * 4 + 1
    trainer = make_trainer(design)
    step = forward_backward(trainer.build, trainer.design, next_batch(trainer, "batch"))
    net = step.network
    size = [np.mean([abs(step.wire_grads[c]) for n in layer for c, _ in net.units[n].incoming])
            for layer in net.layers]
    assert size[0] < size[-1] / 100  # the first layer learns hundreds of times slower
    assert size[0] < size[3] < size[-1]


def test_designs_with_blocks_are_explained_not_shown():
    assert unsupported(load_design(EXAMPLES / "xor.ncanvas")) == ""
    reason = unsupported(load_design(EXAMPLES / "digits_mlp.ncanvas"))
    assert "neuron by neuron" in reason and "Dense" in reason
    d = load_design(EXAMPLES / "xor.ncanvas")
    d.set_node_params(next(n for n in d.nodes if d.nodes[n].kind == "neuron"), activation="rrelu")
    assert "random" in unsupported(d)
