"""The Inside view's numbers against direct computations: a Conv2D block's filters are its kernel and
its feature maps the convolution done by hand; a recurrent block's states follow its equations step
by step; an autoencoder's reconstructions are the network's output and its code the bottleneck's."""

from __future__ import annotations

import numpy as np
import pytest

import core
from core.compiler.compile import compile_design
from core.design.design import Design
from core.design.errors import TrainingError
from core.training import inside
from core.training.trainer import Trainer
from tests.core.example_designs import EXAMPLES, sine_design, two_convs

TOL = 2e-5  # the model computes in float32


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def trained(design: Design, steps: int = 4) -> Design:
    """The design after a few mini-batches (weights no longer the drawn ones), written back."""
    trainer = Trainer(design)
    trainer.fit_steps(steps)
    trainer.write_back()
    return design


def example(name: str, steps: int = 4) -> Design:
    return trained(core.load(str(EXAMPLES / f"{name}.ncanvas")), steps)


def view_build(design: Design):
    """What the panel holds: its own compile of the design with the design's weights loaded."""
    build = compile_design(design.copy())
    build.read_weights(design)
    return build, inside.test_rows(build, design.training)


def weights(design: Design, node_id: str) -> dict[str, np.ndarray]:
    return {k: np.asarray(v, dtype=np.float64) for k, v in design.parameters[node_id].items()}


# ====================================================================== choosing the view
@pytest.mark.parametrize(("name", "kind"), [("digits_cnn", "cnn"), ("sine_lstm", "rnn"),
                                            ("sine_gru", "rnn"), ("digits_autoencoder", "autoencoder"),
                                            ("digits_mlp", None), ("xor", None)])
def test_each_example_gets_the_view_that_fits_it(name, kind):
    design = core.load(str(EXAMPLES / f"{name}.ncanvas"))
    build = compile_design(design.copy())
    assert inside.view_kind(build, design) == kind


def test_the_test_rows_are_the_trainers_test_split():
    design = core.load(str(EXAMPLES / "digits_cnn.ncanvas"))
    trainer = Trainer(design.copy())
    build = compile_design(design.copy())
    np.testing.assert_array_equal(inside.test_rows(build, design.training), trainer.test_idx)


# ====================================================================== convolution
def conv_by_hand(image: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """'same' padding, stride 1, ReLU: (H, W, C_in) → (filters, H, W), one loop per position."""
    k = kernel.shape[0]
    pad = k // 2
    h, w, _ = image.shape
    padded = np.pad(image, ((pad, k - 1 - pad), (pad, k - 1 - pad), (0, 0)))
    out = np.zeros((kernel.shape[3], h, w))
    for f in range(kernel.shape[3]):
        for i in range(h):
            for j in range(w):
                out[f, i, j] = np.sum(padded[i:i + k, j:j + k, :] * kernel[:, :, :, f]) + bias[f]
    return np.maximum(out, 0.0)


def test_the_filters_are_the_kernel_and_the_maps_the_convolution_by_hand():
    design = example("digits_cnn")
    build, rows = view_build(design)
    choices = inside.conv_blocks(build, design)
    assert [(c.node_id, c.name) for c in choices] == [("c3", "Conv2D c3")]
    sample = 7
    view = inside.conv_view(build, "c3", rows, sample)
    p = weights(design, "c3")
    np.testing.assert_allclose(view.kernel, p["kernel"], atol=1e-7)
    assert view.filters.shape == (16, 3, 3) and view.channel is None
    np.testing.assert_allclose(view.filters, p["kernel"][:, :, 0, :].transpose(2, 0, 1), atol=1e-7)
    data = build.data
    row = data.X[rows[sample]]
    np.testing.assert_array_equal(view.image, row.reshape(8, 8, 1))
    expected = conv_by_hand(row.reshape(8, 8, 1), p["kernel"], p["bias"])
    assert view.maps.shape == (16, 8, 8)
    np.testing.assert_allclose(view.maps, expected, atol=TOL)
    assert view.target == data.y[rows[sample]]
    np.testing.assert_allclose(view.output, core.predict(design, row[None, :])[0], atol=TOL)




def test_a_filter_over_several_channels_shows_their_mean_or_one_channel():
    design = trained(two_convs())
    build, rows = view_build(design)
    assert [(c.node_id, c.name) for c in inside.conv_blocks(build, design)] == [
        ("first", "Conv2D first"), ("second", "strokes (Conv2D)")]
    kernel = weights(design, "second")["kernel"]  # (3, 3, 4, 3)
    mean = inside.conv_view(build, "second", rows, 2)
    np.testing.assert_allclose(mean.filters, kernel.mean(axis=2).transpose(2, 0, 1), atol=1e-7)
    third = inside.conv_view(build, "second", rows, 2, channel=2)
    assert third.channel == 2
    np.testing.assert_allclose(third.filters, kernel[:, :, 2, :].transpose(2, 0, 1), atol=1e-7)
    # its maps: the convolution of the first block's maps, by hand
    first = inside.conv_view(build, "first", rows, 2)
    p = weights(design, "second")
    seen = first.maps.transpose(1, 2, 0)  # (8, 8, 4): 'valid' windows, tanh
    by_hand = np.zeros((3, 6, 6))
    for f in range(3):
        for i in range(6):
            for j in range(6):
                by_hand[f, i, j] = np.tanh(np.sum(seen[i:i + 3, j:j + 3] * p["kernel"][..., f])
                                           + p["bias"][f])
    np.testing.assert_allclose(mean.maps, by_hand, atol=TOL)
    np.testing.assert_array_equal(mean.image, build.data.X[rows[2]].reshape(8, 8, 1))


# ====================================================================== recurrent
def recurrence(kind: str, p: dict[str, np.ndarray], xs: np.ndarray) -> np.ndarray:
    """(T, units): the textbook equations, one step at a time, in float64."""
    u = p["recurrent_kernel"].shape[0]
    h, c, states = np.zeros(u), np.zeros(u), []
    for x in xs:
        if kind == "simple_rnn":
            h = np.tanh(x @ p["kernel"] + h @ p["recurrent_kernel"] + p["bias"])
        elif kind == "lstm":
            z = x @ p["kernel"] + h @ p["recurrent_kernel"] + p["bias"]
            i, f, g, o = sig(z[:u]), sig(z[u:2 * u]), np.tanh(z[2 * u:3 * u]), sig(z[3 * u:])
            c = f * c + i * g
            h = o * np.tanh(c)
        else:  # gru, reset after
            xz = x @ p["kernel"] + p["bias"]
            hz = h @ p["recurrent_kernel"]
            zg, r = sig(xz[:u] + hz[:u]), sig(xz[u:2 * u] + hz[u:2 * u])
            cand = np.tanh(xz[2 * u:] + r * (hz[2 * u:] + p["recurrent_bias"]))
            h = zg * h + (1 - zg) * cand
        states.append(h)
    return np.array(states)




@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn"])
def test_the_state_heatmap_follows_the_recurrence_of_the_trained_weights(kind):
    design = trained(core.load(str(EXAMPLES / "sine_gru.ncanvas")) if kind == "gru"
                     else sine_design(kind))
    block = "g3" if kind == "gru" else "l3"
    build, rows = view_build(design)
    assert [c.node_id for c in inside.recurrent_blocks(build, design)] == [block]
    sample = 5
    view = inside.recurrent_view(build, block, rows, sample)
    row = build.data.X[rows[sample]]
    np.testing.assert_allclose(view.inputs, row.reshape(20, 1), atol=1e-6)  # as float32
    states = recurrence(kind, weights(design, block), row.reshape(20, 1))
    assert view.hidden.shape == (states.shape[1], 20)
    np.testing.assert_allclose(view.hidden, states.T, atol=TOL)
    dense = weights(design, "d4")
    np.testing.assert_allclose(view.output, states[-1] @ dense["kernel"] + dense["bias"], atol=TOL)
    np.testing.assert_allclose(view.target, build.data.y[rows[sample]])


def test_the_sine_is_cut_into_windows_and_each_predicted_by_the_network():
    design = example("sine_lstm")
    build, _ = view_build(design)
    wave = inside.wave_view(build, design.dataset, steps=50)
    period, window = design.dataset.params["period"], design.dataset.params["window"]
    t = np.arange(window + 50)
    np.testing.assert_allclose(wave.wave, np.sin(2 * np.pi * t / period), atol=1e-12)
    np.testing.assert_array_equal(wave.time, t[window:])
    np.testing.assert_allclose(wave.truth, np.sin(2 * np.pi * t[window:] / period), atol=1e-12)
    windows = np.array([wave.wave[s:s + window] for s in range(50)])
    np.testing.assert_allclose(wave.prediction, core.predict(design, windows)[:, 0], atol=TOL)
    assert (wave.period, wave.window) == (period, window)


def test_other_sequence_data_has_no_wave():
    design = core.load(str(EXAMPLES / "sine_gru.ncanvas"))
    design.set_dataset("sequences", {"window": 20})
    build = compile_design(design.copy())
    assert inside.wave_view(build, design.dataset) is None
    assert inside.view_kind(build, design) == "rnn"


# ====================================================================== autoencoder
def test_the_reconstructions_are_the_output_and_the_code_the_bottleneck():
    design = example("digits_autoencoder", steps=10)
    build, rows = view_build(design)
    assert inside.is_autoencoder(build)
    assert inside.bottleneck(build) == build.block_ops["d3"]  # the two-unit code
    view = inside.autoencoder_view(build, rows, pairs=8, points=300)
    X = build.data.X
    np.testing.assert_array_equal(view.inputs, X[rows[:8]])
    np.testing.assert_allclose(view.outputs, core.predict(design, X[rows[:8]]), atol=TOL)
    encoder, code = weights(design, "d2"), weights(design, "d3")
    hidden = np.maximum(X[rows[:300]] @ encoder["kernel"] + encoder["bias"], 0.0)
    codes = hidden @ code["kernel"] + code["bias"]
    assert view.width == 2 and not view.projected
    np.testing.assert_allclose(view.codes, codes, atol=TOL)
    np.testing.assert_allclose(view.points, codes, atol=TOL)
    np.testing.assert_array_equal(view.labels, build.data.labels[rows[:300]])
    assert view.class_names == tuple(str(d) for d in range(10))
    assert view.image_shape == (8, 8, 1)


def test_a_wider_code_is_projected_on_its_principal_components():
    design = core.load(str(EXAMPLES / "digits_autoencoder.ncanvas"))
    design.set_node_params("d3", units=5)
    design = trained(design, steps=6)
    build, rows = view_build(design)
    view = inside.autoencoder_view(build, rows, points=200)
    assert view.width == 5 and view.projected and view.points.shape == (200, 2)
    centred = view.codes - view.codes.mean(axis=0)
    values, vectors = np.linalg.eigh(centred.T @ centred)
    top = vectors[:, ::-1][:, :2]  # the two directions of largest spread
    by_hand = centred @ top
    signs = np.sign(np.sum(by_hand * view.points, axis=0))  # a direction's sign is arbitrary
    np.testing.assert_allclose(view.points, by_hand * signs, atol=1e-6)
    assert values[-1] >= values[-2] > 0


def test_a_network_that_does_not_learn_its_input_is_no_autoencoder():
    design = core.load(str(EXAMPLES / "digits_mlp.ncanvas"))
    assert not inside.is_autoencoder(compile_design(design.copy()))


def diverged(name: str) -> Design:
    """An example after a learning rate of 1e30: its second step is refused (the loss became inf),
    and the weights kept, those from after the first step, are finite but enormous."""
    design = core.load(str(EXAMPLES / f"{name}.ncanvas"))
    design.set_training(optimizer="sgd", learning_rate=1e30, target_accuracy=None, epochs=1)
    trainer = Trainer(design)
    with pytest.raises(TrainingError, match="lower learning rate"):
        trainer.train()
    trainer.write_back()
    return design


@pytest.mark.parametrize("name", ["digits_autoencoder", "digits_cnn", "sine_gru"])
def test_a_diverged_network_is_shown_as_it_is_without_a_numpy_warning(name, recwarn):
    design = diverged(name)
    build, rows = view_build(design)
    kind = inside.view_kind(build, design)
    if kind == "autoencoder":
        view = inside.autoencoder_view(build, rows)
        values = [view.outputs, view.codes]
    elif kind == "cnn":
        node = inside.conv_blocks(build, design)[0].node_id
        view = inside.conv_view(build, node, rows, 0)
        values = [view.maps, view.output]
    else:
        node = inside.recurrent_blocks(build, design)[0].node_id
        view = inside.recurrent_view(build, node, rows, 0)
        values = [view.hidden, view.output, inside.wave_view(build, design.dataset).prediction]
    if kind != "rnn":  # a recurrent state stays within ±1 whatever its weights
        assert not all(np.isfinite(v).all() for v in values)  # the numbers overflowed, as they do
    assert [str(w.message) for w in recwarn if issubclass(w.category, RuntimeWarning)] == []


def test_a_code_that_is_not_finite_has_no_place_and_the_others_are_still_projected():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(40, 5))
    codes[[3, 17], 2] = [np.inf, np.nan]  # two samples whose code overflowed
    points = inside.principal_plane(codes)
    assert np.isnan(points[[3, 17]]).all()
    kept = np.delete(np.arange(40), [3, 17])
    np.testing.assert_allclose(points[kept], inside.principal_plane(codes[kept]))
