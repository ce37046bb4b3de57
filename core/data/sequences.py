"""Sequence data sets for recurrent blocks ("sine", "sequences") and the digits as their own target.

Both give one row per sample holding `window` consecutive values, named t1…tW; a design reshapes a
row to (window, 1) ("reshape" with shape "W,1") before an RNN, LSTM or GRU block.

- "sine": windows cut from sin(2π·t/period) at random phases, each value plus Gaussian noise of
  standard deviation `noise`; the target (n, 1) is the (equally noisy) value one step after the
  window. With noise σ the best possible mean squared error is about σ².
- "sequences": Gaussian noise of standard deviation `noise` with one bump of height 1 (a Gaussian
  of width 1.5 steps) centred at a random step; class 0 ("first half") when the bump's centre lies
  in the first half of the window, 1 ("second half") otherwise. Classes are balanced; a small RNN
  learns it by remembering when the bump passed.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from core.data.datasets import Dataset, N, ParamSpec, load_dataset, register_dataset

WINDOW = ParamSpec("window", 20, "int", 4, 200, description="values in each sequence")
SEQUENCE_NOISE = ParamSpec("noise", 0.05, "float", 0.0, 1.0,
                           description="standard deviation of the noise on each value")
PERIOD = ParamSpec("period", 20.0, "float", 2.0, 500.0, description="steps per cycle of the wave")


def _names(window: int) -> tuple[str, ...]:
    return tuple(f"t{k}" for k in range(1, window + 1))


def _make_sine(p: dict, rng: np.random.Generator) -> Dataset:
    """Windows of a noisy sine wave, to predict the value that comes next."""
    n, window, noise, period = p["n"], p["window"], p["noise"], p["period"]
    start = rng.uniform(0.0, period, (n, 1))
    steps = start + np.arange(window + 1, dtype=np.float64)
    series = np.sin(2.0 * np.pi * steps / period) + rng.normal(0.0, noise, steps.shape)
    return Dataset("sine", series[:, :window].copy(), series[:, window:].copy(), _names(window),
                   "regression", 0, target_names=("next",))


def _make_sequences(p: dict, rng: np.random.Generator) -> Dataset:
    """Noisy sequences with one bump, to tell whether it comes in the first or the second half."""
    n, window, noise = p["n"], p["window"], p["noise"]
    labels = np.arange(n, dtype=np.int64) % 2
    rng.shuffle(labels)
    half = window / 2.0
    centre = rng.uniform(0.0, half, n) + labels * half - 0.5  # steps 0 … window-1
    steps = np.arange(window, dtype=np.float64)
    bump = np.exp(-0.5 * ((steps[None, :] - centre[:, None]) / 1.5) ** 2)
    X = bump + rng.normal(0.0, noise, (n, window))
    return Dataset("sequences", X, labels, _names(window), "classification", 2,
                   ("first half", "second half"))


register_dataset("sine", "Sine wave", "regression", (N, WINDOW, SEQUENCE_NOISE, PERIOD), _make_sine)
register_dataset("sequences", "Bump sequences", "classification", (N, WINDOW, SEQUENCE_NOISE),
                 _make_sequences)


def _make_digits_itself(p: dict, rng: np.random.Generator) -> Dataset:
    """The 8×8 digits as their own target: an autoencoder learns to draw each one again."""
    return replace(load_dataset("digits", {"target": "inputs"}), name="digits_itself")


register_dataset("digits_itself", "Digits, as their own target", "regression", (), _make_digits_itself)
