"""What goes on inside a network, for the Inside view: a convolution's filters and feature maps, a
recurrent block's state over time (and a sine wave predicted step by step), an autoencoder's
reconstructions and its code — pure functions over a compiled Build, host NumPy arrays out.

A run that diverged leaves weights that are finite but enormous: the views show what the network
computes with them, inf and NaN included, without NumPy's overflow warnings (the run's end already
said why in words)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from core.data.datasets import resolve_params, train_test_split
from core.design import registry
from core.engine.backend import to_device, to_numpy
from core.engine.blocks.conv import Conv2DLayer
from core.engine.blocks.recurrent import RecurrentLayer

WAVE_STEPS = 120  # the stretch of sine wave the recurrent view predicts, one window at a time
PAIRS = 10  # autoencoder: test inputs shown beside their reconstructions
CODE_POINTS = 500  # autoencoder: test samples in the code's scatter, at most

View = TypeVar("View")


def _quiet(compute: Callable[..., View]) -> Callable[..., View]:
    """Compute a view with NumPy's floating-point warnings off: overflow is shown, not warned."""

    @functools.wraps(compute)
    def quietly(*args, **kwargs) -> View:
        with np.errstate(all="ignore"):
            return compute(*args, **kwargs)

    return quietly


@dataclass(frozen=True)
class BlockChoice:
    """A block the view can show, with the name a person reads for it."""

    node_id: str
    name: str


def view_kind(build, design) -> str | None:
    """"cnn", "rnn" or "autoencoder": what the Inside view shows for this design (None: nothing)."""
    if conv_blocks(build, design):
        return "cnn"
    if recurrent_blocks(build, design):
        return "rnn"
    if is_autoencoder(build):
        return "autoencoder"
    return None


def block_name(design, node_id: str) -> str:
    """'Conv2D c3', or the label a person gave with the kind after it: 'memory (LSTM)'."""
    node = design.nodes[node_id]
    kind = registry.blocks.get(node.kind).label if node.kind in registry.blocks else node.kind
    return f"{node.label} ({kind})" if node.label else f"{kind} {node.id}"


def _shown_as(kind: str) -> str:
    """What the Inside view shows of a block kind (BlockKind.inside_view; "" for none)."""
    return registry.blocks.get(kind).inside_view if kind in registry.blocks else ""


def _blocks(build, design, view: str) -> list[BlockChoice]:
    """The blocks the view shows as `view` ("cnn", "rnn")."""
    ids = [nid for nid in build.block_ops
           if nid in design.nodes and _shown_as(design.nodes[nid].kind) == view]
    ids.sort(key=lambda nid: build.block_ops[nid])  # in the order the data flows through them
    return [BlockChoice(nid, block_name(design, nid)) for nid in ids]


def conv_blocks(build, design) -> list[BlockChoice]:
    return _blocks(build, design, "cnn")


def recurrent_blocks(build, design) -> list[BlockChoice]:
    return _blocks(build, design, "rnn")


def is_autoencoder(build) -> bool:
    """A regression whose targets are its inputs (the data as its own target), read through a
    hidden layer narrower than the output."""
    data, model = build.data, build.model
    return (data.task == "regression" and data.y.shape == data.X.shape
            and np.array_equal(data.y, data.X) and len(model.ops) >= 2
            and model.output_width == data.num_features)


def test_rows(build, settings) -> np.ndarray:
    """The data rows of the test set, in the order the Trainer keeps it (its split, its seed)."""
    return train_test_split(build.data.num_samples, settings.test_fraction, settings.seed)[1]


def _forward(build, rows: np.ndarray):
    """Every slot's value and every op's cache for these data rows (the model's own dtype)."""
    x = to_device(build.feature_rows(build.data.X[rows]), build.model.dtype)
    return build.model.forward_all(x)


def _target(build, row: int):
    y = build.data.y[row]
    return int(y) if build.data.task == "classification" else np.asarray(y, dtype=np.float64)


# ====================================================================== convolution
@dataclass(frozen=True)
class ConvView:
    """One Conv2D block's filters, and its feature maps for one test sample."""

    node_id: str
    sample: int  # the test sample's index in the test set
    image: np.ndarray  # (H, W, C): the sample as a picture (the data's image, else the block's input)
    kernel: np.ndarray  # (k, k, C_in, filters): the block's weights as they are
    filters: np.ndarray  # (filters, k, k): each filter's slice for `channel`, or its channels' mean
    channel: int | None  # the input channel the filters show; None: the mean over C_in channels
    maps: np.ndarray  # (filters, H', W'): the block's activated output, one map per filter
    output: np.ndarray  # (outputs,): the network's output for the sample
    target: object  # the sample's class (classification) or target values


@_quiet
def conv_view(build, node_id: str, rows: np.ndarray, sample: int,
              channel: int | None = None) -> ConvView:
    """The filters of Conv2D `node_id` and its feature maps for test sample `sample` (rows: the
    test set's data rows)."""
    index = build.block_ops[node_id]
    op = build.model.ops[index]
    layer: Conv2DLayer = op.layer
    row = int(rows[sample])
    slots, _ = _forward(build, np.array([row]))
    kernel = to_numpy(op.params["kernel"]).astype(np.float64)
    chosen = kernel.mean(axis=2) if channel is None else kernel[:, :, channel, :]
    maps = to_numpy(slots[op.out_slot]).astype(np.float64).reshape(layer.out_shape)
    data = build.data
    if data.image_shape is not None and int(np.prod(data.image_shape)) == data.num_features:
        image = data.X[row].reshape(data.image_shape)
    else:
        image = block_input(build, slots, index)[0].reshape(layer.in_shape)
    out = to_numpy(slots[build.model.output_op.out_slot])[0].astype(np.float64)
    return ConvView(node_id, sample, np.asarray(image, dtype=np.float64), kernel,
                    np.ascontiguousarray(chosen.transpose(2, 0, 1)), channel,
                    np.ascontiguousarray(maps.transpose(2, 0, 1)), out, _target(build, row))


def block_input(build, slots, index: int) -> np.ndarray:
    """What op `index` reads, for the samples of a forward_all (host float64)."""
    op = build.model.ops[index]
    return to_numpy(build.model.gather(slots, op.inputs)).astype(np.float64)


# ====================================================================== recurrent
@dataclass(frozen=True)
class RecurrentView:
    """One recurrent block's state at every time step for one test sample."""

    node_id: str
    sample: int
    inputs: np.ndarray  # (T, F): the sequence the block reads
    hidden: np.ndarray  # (units, T): its state after each step
    output: np.ndarray  # (outputs,): the network's output for the sample
    target: object  # the sample's class or its target values


@_quiet
def recurrent_view(build, node_id: str, rows: np.ndarray, sample: int) -> RecurrentView:
    index = build.block_ops[node_id]
    op = build.model.ops[index]
    layer: RecurrentLayer = op.layer
    row = int(rows[sample])
    slots, caches = _forward(build, np.array([row]))
    inputs = block_input(build, slots, index)[0].reshape(layer.time_steps, layer.n_features)
    states = to_numpy(layer.hidden_states(caches[index]))[0].astype(np.float64)  # (T, units)
    out = to_numpy(slots[build.model.output_op.out_slot])[0].astype(np.float64)
    return RecurrentView(node_id, sample, inputs, np.ascontiguousarray(states.T), out,
                         _target(build, row))


@dataclass(frozen=True)
class WaveView:
    """A clean stretch of the sine wave cut into sliding windows, with the network's one-step
    prediction for each window beside the true next value."""

    wave: np.ndarray  # (window + steps,): sin(2π·t/period) at t = 0, 1, …, no noise
    time: np.ndarray  # (steps,): the step each prediction is for (window, window + 1, …)
    truth: np.ndarray  # (steps,): the wave at those steps
    prediction: np.ndarray  # (steps,): the network's output for the window just before each
    period: float
    window: int


@_quiet
def wave_view(build, dataset, steps: int = WAVE_STEPS) -> WaveView | None:
    """For the "sine" data set (the design's DatasetChoice); None for any other data."""
    if dataset.name != "sine":
        return None
    params = resolve_params(dataset.name, dataset.params)
    window, period = int(params["window"]), float(params["period"])
    t = np.arange(window + steps, dtype=np.float64)
    wave = np.sin(2.0 * np.pi * t / period)
    starts = np.arange(steps)
    windows = wave[starts[:, None] + np.arange(window)[None, :]]  # raw data rows, as the set has them
    x = to_device(build.feature_rows(windows), build.model.dtype)
    prediction = to_numpy(build.model.forward(x))[:, 0].astype(np.float64)
    return WaveView(wave, t[window:], wave[window:].copy(), prediction, period, window)


# ====================================================================== autoencoder
@dataclass(frozen=True)
class AutoencoderView:
    """Test inputs beside their reconstructions, and the code of many test samples in a plane."""

    inputs: np.ndarray  # (pairs, d): test samples as the data has them
    outputs: np.ndarray  # (pairs, d): the network's reconstruction of each
    image_shape: tuple[int, ...] | None
    bottleneck: int  # the op whose output is the code (the narrowest hidden layer)
    width: int  # its units
    codes: np.ndarray  # (m, width): the code of the first m test samples
    points: np.ndarray  # (m, 2): what the scatter plots (the code itself, or its PCA projection)
    projected: bool  # True when `points` are the code's first two principal components
    labels: np.ndarray | None  # (m,): each point's class, for its colour
    class_names: tuple[str, ...]


def bottleneck(build) -> int:
    """The narrowest hidden layer's op (the first of the narrowest, output excluded)."""
    widths = [op.layer.n_out for op in build.model.ops[:-1]]
    return int(np.argmin(widths))


def principal_plane(values: np.ndarray) -> np.ndarray:
    """(m, 2): values projected on their first two principal components, each component's sign
    chosen so its largest loading is positive (the picture does not flip between refreshes).
    A row that is not finite (a diverged network's code) has no place: NaN, the others projected."""
    finite = np.isfinite(values).all(axis=1)
    if not finite.all():
        points = np.full((len(values), 2), np.nan)
        if finite.sum() > 1:
            points[finite] = principal_plane(values[finite])
        return points
    centred = values - values.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:2]
    signs = np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)])
    axes = axes * np.where(signs == 0, 1.0, signs)[:, None]
    points = centred @ axes.T
    if points.shape[1] < 2:
        points = np.column_stack([points, np.zeros(len(points))])
    return points


@_quiet
def autoencoder_view(build, rows: np.ndarray, pairs: int = PAIRS,
                     points: int = CODE_POINTS) -> AutoencoderView:
    data = build.data
    chosen = rows[:max(pairs, points)]
    slots, _ = _forward(build, chosen)
    out = to_numpy(slots[build.model.output_op.out_slot]).astype(np.float64)
    index = bottleneck(build)
    codes = to_numpy(slots[build.model.ops[index].out_slot]).astype(np.float64)[:points]
    width = codes.shape[1]
    if width == 2:
        plane, projected = codes.copy(), False
    elif width == 1:  # one number: along x, the class (or nothing) along y
        labels = data.labels[chosen[:points]] if data.labels is not None else None
        ys = labels.astype(np.float64) if labels is not None else np.zeros(len(codes))
        plane, projected = np.column_stack([codes[:, 0], ys]), False
    else:
        plane, projected = principal_plane(codes), True
    labels = None if data.labels is None else np.asarray(data.labels[chosen[:points]])
    if labels is None and data.task == "classification":
        labels = np.asarray(data.y[chosen[:points]])
    return AutoencoderView(data.X[chosen[:pairs]].astype(np.float64), out[:pairs], data.image_shape,
                           index, width, codes, plane, projected, labels, tuple(data.class_names))


__all__ = ["AutoencoderView", "BlockChoice", "ConvView", "RecurrentView", "WaveView",
           "autoencoder_view", "block_input", "block_name", "bottleneck", "conv_blocks",
           "conv_view", "is_autoencoder", "principal_plane", "recurrent_blocks", "recurrent_view",
           "test_rows", "view_kind", "wave_view"]
