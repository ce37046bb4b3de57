"""The Activation Explorer's engine side: every activation has its notes, its curve is the
engine's forward and backward, and a network of identity layers is one matrix (and cannot learn
XOR, where the same network with tanh can)."""

from __future__ import annotations

import numpy as np
import pytest

from core.compiler.compile import compile_design
from core.design import registry
from core.engine.activations import make_activation, sigmoid
from core.learn.activation_notes import activation_ids, curve, note_for, parameters
from core.learn.linear_collapse import collapse_model, network_outputs, train_xor, xor_network
from tests.core.example_designs import xor_design

Z = np.linspace(-4.0, 4.0, 81)


def test_every_registered_activation_has_a_full_note():
    ids = activation_ids()
    assert ids == list(registry.activations)
    assert {"identity", "relu", "leaky_relu", "softmax", "gelu", "silu"} <= set(ids)
    for activation_id in ids:
        note = note_for(activation_id)
        for text in (note.label, note.formula, note.output_range, note.derivative, note.use):
            assert text.strip(), (activation_id, note)


def test_an_activation_without_notes_is_named(register_for_the_test):
    class Made:
        id, label, formula, output_range = "made_up", "Made up", "f(z) = z", "(−∞, ∞)"

    register_for_the_test(registry.activations, "made_up", Made)
    with pytest.raises(KeyError, match="made_up"):
        note_for("made_up")


@pytest.mark.parametrize("activation_id", [a for a in registry.activations if a != "softmax"])
def test_curves_are_the_engines_forward_and_slope(activation_id):
    params = {p.name: p.default for p in parameters(activation_id)}
    c = curve(activation_id, Z, params)
    engine = make_activation(activation_id, params)
    np.testing.assert_allclose(c.value, engine.f(Z), atol=1e-12)
    np.testing.assert_allclose(c.slope, engine.derivative(Z), atol=1e-12)
    # the slope is the derivative of the curve: compare with finite differences away from kinks
    h = 1e-6
    smooth = np.abs(Z) > 1e-3
    if activation_id not in ("step",):
        numeric = (engine.f(Z + h) - engine.f(Z - h)) / (2 * h)
        np.testing.assert_allclose(c.slope[smooth], numeric[smooth], atol=1e-5)


def test_softmax_is_shown_on_the_logits_z_and_zero():
    c = curve("softmax", Z)
    np.testing.assert_allclose(c.value, sigmoid(Z), atol=1e-12)  # softmax(z, 0)₀ = σ(z)
    np.testing.assert_allclose(c.slope, sigmoid(Z) * (1 - sigmoid(Z)), atol=1e-12)
    assert "(z, 0)" in c.slice


def test_leaky_slope_and_rrelus_bounds_change_the_curve():
    steep = curve("leaky_relu", Z, {"slope": 0.3})
    negative = Z < 0
    np.testing.assert_allclose(steep.value[negative], 0.3 * Z[negative])
    np.testing.assert_allclose(steep.slope[negative], 0.3)
    r = curve("rrelu", Z, {"lower": 0.1, "upper": 0.3})
    np.testing.assert_allclose(r.slope[negative], 0.2)  # evaluation: the mean slope
    drawn = r.training_value[negative] / Z[negative]  # training: slopes drawn in [lower, upper]
    assert drawn.min() >= 0.1 and drawn.max() <= 0.3 and drawn.std() > 0.01


def test_sliders_span_the_engines_defaults_within_its_limits():
    by_id = {a: {p.name: p for p in parameters(a)} for a in registry.activations}
    assert set(by_id["leaky_relu"]) == {"slope"} and set(by_id["rrelu"]) == {"lower", "upper"}
    assert by_id["elu"]["alpha"].default == 1.0 and by_id["prelu"]["slope"].default == 0.25
    for activation_id, specs in by_id.items():
        cls = registry.activations.get(activation_id)
        for name, spec in specs.items():
            low, high = cls.limits[name]
            assert low <= spec.low <= spec.default <= spec.high <= high
    assert by_id["relu"] == {}


def test_identity_network_is_one_matrix_exactly():
    design = xor_network("identity", seed=3)
    build = compile_design(design)
    collapse = collapse_model(build.model)
    assert collapse.weight.shape == (2, 1) and collapse.bias.shape == (1,)
    assert [k.shape for k in collapse.kernels] == [(2, 4), (4, 4), (4, 1)]
    assert collapse.parameter_count == 8 + 4 + 16 + 4 + 4 + 1
    product = collapse.kernels[0] @ collapse.kernels[1] @ collapse.kernels[2]
    np.testing.assert_array_equal(collapse.weight, product)
    X = np.random.default_rng(0).uniform(-6, 6, (500, 2))
    assert build.model.dtype == np.float64
    np.testing.assert_allclose(collapse.outputs(X), network_outputs(build, X), rtol=0, atol=1e-12)


def test_neuron_level_identity_network_collapses_too():
    design = xor_design(dtype="float64")
    for node_id in ("h1", "h2", "h3", "h4", "out"):
        design.set_node_params(node_id, activation="identity")
    design.add_connection("x1", "out", connection_id="skip")  # a skip connection as well
    build = compile_design(design)
    collapse = collapse_model(build.model)
    X = np.random.default_rng(1).uniform(-6, 6, (300, 2))
    np.testing.assert_allclose(collapse.outputs(X), network_outputs(build, X), rtol=0, atol=1e-12)


def test_a_nonlinear_network_does_not_collapse():
    with pytest.raises(ValueError, match="tanh"):
        collapse_model(compile_design(xor_network("tanh")).model)


def test_identity_network_fails_xor_and_tanh_learns_it():
    linear, curved = train_xor("identity"), train_xor("tanh")
    assert linear.test_accuracy <= 0.8 and linear.train_accuracy <= 0.8
    assert curved.test_accuracy >= 0.95
    assert linear.collapse is not None and curved.collapse is None
    # after training it is still one matrix: its outputs are the trained network's
    build = compile_design(linear.design)
    np.testing.assert_allclose(linear.collapse.outputs(linear.X), network_outputs(build, linear.X),
                               rtol=0, atol=1e-12)
    # and its decision is a straight line: one side of x·W + b = 0
    shown = linear.output_map[..., 0].ravel()
    line = linear.collapse.outputs(linear.plane.points())[:, 0]
    clear = np.abs(line) > 1e-9  # away from the line itself, where rounding could tip a point
    np.testing.assert_array_equal((shown > 0)[clear], (line > 0)[clear])
    assert linear.output_map.shape == (linear.plane.size, linear.plane.size, 1)
