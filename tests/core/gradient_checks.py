"""Finite differences, in float64, to check analytic gradients against: of a function of an array,
and of a whole compiled design's loss (shared by the gradient, convolution, batch-norm and merge
tests)."""

from __future__ import annotations

import numpy as np
import pytest

from core.compiler.compile import compile_design

H = 1e-6  # central-difference step
TOL = 1e-6  # relative error bound


def rel_error(analytic, numeric) -> float:
    """Norm-wise relative error, robust when both are tiny: |a − n| / max(1e-8, |a| + |n|)."""
    a, n = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    return float(np.linalg.norm(a - n) / max(1e-8, np.linalg.norm(a) + np.linalg.norm(n)))


def numeric_gradient(f, x: np.ndarray, coords=None) -> np.ndarray:
    """Central differences of the scalar f() w.r.t. x (perturbed in place), at `coords` or all."""
    flat = x.reshape(-1)
    coords = range(flat.size) if coords is None else coords
    out = np.zeros(len(coords))
    for k, i in enumerate(coords):
        old = flat[i]
        flat[i] = old + H
        up = float(f())
        flat[i] = old - H
        down = float(f())
        flat[i] = old
        out[k] = (up - down) / (2 * H)
    return out


# ---------------------------------------------------------------------------- compiled models
def model_check(design, rows: int = 24, coords: int | None = None, seed: int = 0):
    build = compile_design(design, dtype="float64")
    model = build.model
    assert model.dtype == np.float64 and model.flat.dtype == np.float64
    rng = np.random.default_rng(seed)
    free = _free_coordinates(model)
    model.load_flat(model.flat + rng.normal(0, 0.3, size=model.size) * free)  # biases, slopes too
    take = rng.choice(build.data.num_samples, size=rows, replace=False)
    x = build.feature_rows(build.data.X[take])
    t = build.encode_targets(build.data.y[take])
    value = model.loss_and_gradients(x, t, build.loss, build.rule)
    analytic = model.grad.copy()
    assert np.all(np.isfinite(analytic)) and np.any(analytic != 0)

    slots, caches = model.forward_all(x)
    z = model.output_op.layer.preactivation(caches[-1])
    assert float(model.loss_value(slots[-1], t, build.loss, z)) == pytest.approx(float(value), rel=1e-13)

    def objective():
        out, caches_ = model.forward_all(x)
        return model.loss_value(out[-1], t, build.loss, model.output_op.layer.preactivation(caches_[-1]))

    picked = None if coords is None or coords >= model.size else np.sort(
        rng.choice(model.size, size=coords, replace=False))
    numeric = numeric_gradient(objective, model.flat, picked)
    chosen, free_chosen = (analytic, free) if picked is None else (analytic[picked], free[picked])
    assert np.all(chosen[free_chosen == 0] == 0)  # an absent wire has no gradient
    assert rel_error(chosen, numeric * free_chosen) < TOL
    return build


def _free_coordinates(model) -> np.ndarray:
    """1 for each coordinate of model.flat that is a parameter, 0 for a masked (absent) wire."""
    saved = model.flat.copy()
    model.flat[...] = np.arange(model.size, dtype=np.float64)  # (load_flat zeroes absent wires)
    free = np.ones(model.size)
    for op in model.ops:
        mask = getattr(op.layer, "mask", None)
        if mask is not None:
            free[np.asarray(op.params["kernel"])[~mask].astype(int)] = 0
    model.load_flat(saved)
    return free
