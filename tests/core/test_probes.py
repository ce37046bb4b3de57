"""What the live views draw: the plane's maps equal the network's outputs there, the confusion
matrix counts the test set, snapshots carry what they say; the training process runs, pauses,
takes edits and reports its end."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import numpy as np
import pytest

from core.engine.backend import to_device, to_numpy
from core.files.fileformat import design_to_dict, load_design
from core.training import probes
from core.training.process import serve, views_for
from core.training.trainer import Trainer

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.fixture
def xor() -> Trainer:
    trainer = Trainer(load_design(EXAMPLES / "xor.ncanvas"))
    for _ in range(30):
        trainer.step()
    return trainer


def test_the_output_map_is_the_network_output_at_each_grid_point(xor):
    plane = probes.Plane.around(xor.build.data.X, size=16)
    output, maps = probes.plane_maps(xor, plane)
    points = plane.points()
    direct = to_numpy(xor.model.forward(to_device(xor.build.feature_rows(points), xor.model.dtype)))
    assert output.shape == (16, 16, 1)
    np.testing.assert_allclose(output.reshape(-1, 1), direct, rtol=1e-6)
    # row j is the j-th y value, column i the i-th x value
    assert points[16 * 3 + 5][0] == pytest.approx(np.linspace(plane.x_min, plane.x_max, 16)[5])
    assert points[16 * 3 + 5][1] == pytest.approx(np.linspace(plane.y_min, plane.y_max, 16)[3])


def test_each_neuron_map_is_that_neurons_activation(xor):
    plane = probes.Plane.around(xor.build.data.X, size=8)
    _output, maps = probes.plane_maps(xor, plane)
    neurons = [n for n, node in xor.design.nodes.items() if node.kind == "neuron"]
    assert set(maps) == set(neurons)
    xor.write_back()
    hidden = next(n for n in neurons
                  if all(xor.design.nodes[w.source].kind == "input" for w in xor.design.incoming(n)))
    wires = xor.design.incoming(hidden)
    features = {xor.design.nodes[w.source].params["feature"]: w.weight for w in wires}
    x = plane.points()
    z = features["x1"] * x[:, 0] + features["x2"] * x[:, 1] + xor.design.nodes[hidden].params["bias"]
    np.testing.assert_allclose(maps[hidden].ravel(), np.maximum(z, 0), rtol=1e-4, atol=1e-5)


def test_the_confusion_matrix_counts_every_test_sample_once():
    trainer = Trainer(load_design(EXAMPLES / "digits_mlp.ncanvas"))
    for _ in range(20):
        trainer.step()
    counts = probes.confusion(trainer)
    assert counts.shape == (10, 10) and counts.sum() == len(trainer.test_idx)
    assert np.array_equal(counts.sum(axis=1), np.bincount(trainer.labels_test, minlength=10))
    accuracy = np.trace(counts) / counts.sum()
    assert accuracy == pytest.approx(trainer.evaluate().test_accuracy)
    probs = probes.probabilities(trainer, np.arange(5))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_a_snapshot_without_weights_leaves_out_the_weights_and_the_neuron_maps(xor):
    plane, samples = views_for(xor)
    full = probes.take_snapshot(xor, plane=plane, samples=samples)
    light = probes.take_snapshot(xor, plane=plane, samples=samples, weights=False,
                                 history_from=len(xor.history))
    assert full.weights["connections"] and full.neuron_maps and full.output_map is not None
    assert light.weights == {} and light.neuron_maps == {} and light.output_map is not None
    assert light.history == () and light.history_start == len(xor.history)


def _start_serving():
    """serve() in a thread, talking over a real pipe (the window uses a process)."""
    ours, theirs = multiprocessing.Pipe()
    thread = threading.Thread(target=serve, args=(theirs,), daemon=True)
    thread.start()
    return ours, thread


def _until_ended(conn, timeout=60.0):
    snapshots = []
    while conn.poll(timeout):
        message = conn.recv()
        if message[0] == "ended":
            return snapshots, message
        snapshots.append(message[1])
        conn.send(("drawn",))
    raise AssertionError("the training process never ended its run")


def test_the_training_process_trains_sends_snapshots_and_reports_its_end():
    design = load_design(EXAMPLES / "xor.ncanvas")
    design.set_training(epochs=40, target_accuracy=None)
    conn, thread = _start_serving()
    conn.send(("run", design_to_dict(design)))
    snapshots, (_, kind, reason, final, state) = _until_ended(conn)
    assert kind == "finished" and "40 epochs" in reason
    assert final.epoch == 40 and state.epoch == 40 and len(final.history) == 40 - final.history_start
    assert final.weights["connections"] and all(
        w is not None for w in final.weights["connections"].values())
    conn.send(("quit",))
    thread.join(5)
    assert not thread.is_alive()


def test_the_training_process_pauses_and_takes_an_edited_weight():
    design = load_design(EXAMPLES / "xor.ncanvas")
    design.set_training(epochs=10**6, target_accuracy=None, optimizer="sgd", learning_rate=1e-9)
    conn, thread = _start_serving()
    conn.send(("run", design_to_dict(design)))
    assert conn.poll(30) and conn.recv()[0] == "snapshot"
    wire = next(iter(design.connections))
    conn.send(("edit", {"connections": {wire: 7.5}}))
    conn.send(("drawn",))
    conn.send(("pause",))
    _snapshots, (_, kind, _reason, final, state) = _until_ended(conn)
    assert kind == "paused" and state.step > 0
    assert final.weights["connections"][wire] == pytest.approx(7.5, abs=1e-3)  # a tiny rate
    conn.send(("quit",))
    thread.join(5)


def test_an_activation_curve_is_the_engines_and_softmax_draws_its_two_class_s():
    z = np.linspace(-3.0, 3.0, 7)
    np.testing.assert_allclose(probes.activation_values("tanh", z), np.tanh(z))
    np.testing.assert_allclose(probes.activation_values("relu", z), np.maximum(z, 0.0))
    np.testing.assert_allclose(probes.activation_values("leaky_relu", z, {"slope": 0.1}),
                               np.where(z > 0, z, 0.1 * z))
    np.testing.assert_allclose(probes.activation_values("softmax", z), 1 / (1 + np.exp(-z)))


def test_an_activation_range_is_known_only_where_it_saturates_on_both_sides():
    assert probes.activation_range("tanh") == pytest.approx((-1.0, 1.0))
    assert probes.activation_range("sigmoid") == pytest.approx((0.0, 1.0))
    assert probes.activation_range("softmax") == pytest.approx((0.0, 1.0))
    for unbounded in ("relu", "identity", "elu", "softplus", "gelu"):
        assert probes.activation_range(unbounded) is None, unbounded
    assert probes.activation_range("leaky_relu", {"slope": -5.0}) is None  # refused: no range
