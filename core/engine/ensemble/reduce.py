"""Sums over the samples' axis of (K, N, …) arrays, in the order a single run sums its rows."""

from __future__ import annotations

import numpy as np

from core.engine.backend import is_gpu

# Up to this many values a (K, N, F) array is summed from a sample-major copy: NumPy's reduction
# over the middle axis of a small array walks it in short pieces and costs three times the copy
# and a reduction over the first axis. Both add each column's samples one after another, as a
# single run's sum over its (N, F) rows does.
SAMPLE_MAJOR_LIMIT = 1 << 14


def sum_samples(a, out=None):
    """The sum over axis 1 (NumPy's ufunc reduce skips a layer of Python, as backend.sum_rows)."""
    if is_gpu:
        return a.sum(axis=1, out=out)
    # one feature (F = 1) is summed pairwise by a single run's reduction: keep that path
    if a.ndim == 3 and a.shape[2] > 1 and a.size <= SAMPLE_MAJOR_LIMIT:
        return np.add.reduce(a.transpose(1, 0, 2).copy(), axis=0, out=out)
    return np.add.reduce(a, axis=1, out=out)
