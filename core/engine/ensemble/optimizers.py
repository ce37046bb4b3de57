"""The optimizers over a (K, size) parameter buffer, one row per variant, each row updated exactly as
core.engine.optimizers updates one model: per-variant learning rate, settings, L1/L2 and clipping.

Every scalar a single run computes in Python (a float64) is computed here per variant in float64 on
the host and cast to the model's dtype once, as NumPy casts a Python float against a float32
array: the same roundings, so each row equals the single run's buffer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from core.design import registry
from core.engine.backend import to_device, to_numpy, xp

# Settings of up to this many values in all (K × size) are kept as full arrays, not columns.
SPREAD_LIMIT = 1 << 16


def column(values: Sequence[float], dtype: Any):
    """Per-variant scalars as a (K, 1) backend array that broadcasts over each variant's row."""
    return to_device(np.asarray(values, dtype=np.float64).reshape(-1, 1), dtype)


class EnsembleOptimizer:
    """One optimizer kind for K rows; `params` per variant (each with the kind's defaults)."""

    def __init__(self, kind: str, k: int, size: int, dtype: Any,
                 params: Sequence[Mapping[str, Any]]) -> None:
        cls = registry.optimizers.get(kind)
        self.kind, self.dtype, self.size = kind, np.dtype(dtype), size
        self.slots = tuple(cls.slots)
        for p in params:  # the single optimizer's checks of unknown settings
            cls(0, dtype, **dict(p))
        self.settings = [{**cls.defaults, **{k2: float(v) for k2, v in dict(p).items()}}
                         for p in params]
        self.state = {name: xp.zeros((k, size), dtype=self.dtype) for name in self.slots}
        self.t = 0
        self._saved = {name: xp.zeros_like(a) for name, a in self.state.items()}  # before a step
        self._columns: dict[Any, Any] = {}  # settings as (K, 1) columns, made once
        self._rate: tuple[bytes, Any] = (b"", None)
        self._step = getattr(self, f"_{kind}")  # the kind's update, looked up once

    def _host(self, name: str) -> np.ndarray:
        return np.array([s[name] for s in self.settings], dtype=np.float64).reshape(-1, 1)

    def _column(self, name: str, of=None):
        """A setting (or `of` it, a function of its host values) as a cast (K, 1) column."""
        key = (name, of)
        if key not in self._columns:
            values = self._host(name)
            self._columns[key] = self._spread(self._cast(values if of is None else of(values)))
        return self._columns[key]

    def _lr(self, lr: np.ndarray):
        key = lr.tobytes()
        if self._rate[0] != key:
            self._rate = (key, self._spread(self._cast(lr)))
        return self._rate[1]

    def _bias(self, name: str) -> np.ndarray:
        """1 − β^t per variant, by Python's power as the single optimizer takes it (NumPy's may
        differ in the last bit)."""
        return np.array([1 - s[name] ** self.t for s in self.settings]).reshape(-1, 1)

    def _cast(self, values: np.ndarray):
        return to_device(values, self.dtype)

    def _spread(self, column):
        """A (K, 1) column of a setting as (K, size), where that is small: NumPy broadcasts a
        column over short rows a row at a time (a (16, 186) product took 2.4 µs, 0.7 µs from a
        full array). Each element is the same value: the same products."""
        k = column.shape[0]
        if k * self.size > SPREAD_LIMIT:
            return column
        return xp.ascontiguousarray(xp.broadcast_to(column, (k, self.size)))

    def keep(self, rows: np.ndarray) -> None:
        """Only these variants go on (the others stopped)."""
        self.settings = [self.settings[i] for i in rows]
        self._columns, self._rate = {}, (b"", None)
        self.state = {name: a[rows] for name, a in self.state.items()}
        self._saved = {name: a[rows] for name, a in self._saved.items()}

    def restore_rows(self, rows: np.ndarray) -> None:
        """Put these variants' state back to the checkpoint (a step that went wrong for them)."""
        for name, a in self.state.items():
            a[rows] = self._saved[name][rows]

    def load_rows(self, state: Mapping[str, np.ndarray]) -> None:
        """Every row from one saved single-run state (a design trained before); the step count too."""
        for name in self.slots:
            self.state[name][...] = xp.asarray(state[name], dtype=self.dtype)[None, :]
        self.t = int(np.asarray(state["t"]).ravel()[0])

    def row_state(self, row: int) -> dict[str, np.ndarray]:
        """One variant's state as the single optimizer's state_dict gives it."""
        out = {name: to_numpy(a[row]).copy() for name, a in self.state.items()}
        out["t"] = np.array([self.t], dtype=np.int64)
        return out

    def begin(self) -> None:
        """Once a step, before its `step_rows`: Adam's step count, shared by the rows."""
        if self.kind in ("adam", "adamw"):
            self.t += 1

    def step_rows(self, rows: slice, w, g, lr: np.ndarray) -> None:
        """The update of these rows alone (w, g: their rows of the (K, size) buffers; lr: every
        variant's rate, host float64 (K,)), their state saved first for `restore_rows`: rows
        apart may be updated by threads at once."""
        for name, a in self.state.items():
            xp.copyto(self._saved[name][rows], a[rows])
        self._step(rows, w, g, np.asarray(lr, dtype=np.float64).reshape(-1, 1))

    # one method per kind, each the single optimizer's arithmetic in the same order
    def _sgd(self, rows, w, g, lr):
        w -= g * self._lr(lr)[rows]

    def _momentum(self, rows, w, g, lr):
        v = self.state["velocity"][rows]
        v *= self._column("momentum")[rows]
        v += g
        w -= self._lr(lr)[rows] * v

    def _nesterov(self, rows, w, g, lr):
        mu = self._column("momentum")[rows]
        v = self.state["velocity"][rows]
        v *= mu
        v += g
        w -= self._lr(lr)[rows] * (g + mu * v)

    def _rmsprop(self, rows, w, g, lr):
        sq = self.state["square_avg"][rows]
        sq *= self._column("rho")[rows]
        sq += self._column("rho", _one_minus)[rows] * g * g
        w -= self._lr(lr)[rows] * g / (xp.sqrt(sq) + self._column("eps")[rows])

    def _adam(self, rows, w, g, lr):
        m, v = self.state["m"][rows], self.state["v"][rows]
        m *= self._column("beta1")[rows]
        m += self._column("beta1", _one_minus)[rows] * g
        v *= self._column("beta2")[rows]
        v += self._column("beta2", _one_minus)[rows] * g * g
        step_size = self._cast((lr / self._bias("beta1"))[rows])
        denom = xp.sqrt(v / self._cast(self._bias("beta2")[rows]))
        denom += self._column("eps")[rows]
        w -= step_size * m / denom

    def _adamw(self, rows, w, g, lr):
        w *= self._cast((1 - lr * self._host("weight_decay"))[rows])
        self._adam(rows, w, g, lr)


def _one_minus(values: np.ndarray) -> np.ndarray:
    return 1 - values


def regularize(w, g, decay_mask, l1, l2) -> None:
    """Each variant's L1 and L2 penalties (weights only) added to its row of g, in place; l1, l2:
    (K, 1) columns of the rates (`column`), or None where every variant's is 0."""
    if l2 is not None:
        g += l2 * (w * decay_mask if decay_mask is not None else w)
    if l1 is not None:
        g += l1 * (xp.sign(w) * decay_mask if decay_mask is not None else xp.sign(w))


def clip_by_norm(g, max_norm: np.ndarray, dtype: Any) -> None:
    """Each row of g scaled down to a Euclidean norm of at most its variant's max_norm (0: none)."""
    if not max_norm.any():
        return
    clipped = np.flatnonzero(max_norm > 0)
    rows = g if len(clipped) == len(max_norm) else g[clipped]
    norm = xp.sqrt((rows * rows).sum(axis=1, keepdims=True))
    limit = column(max_norm[clipped], dtype)
    scale = xp.minimum(1.0, limit / xp.maximum(norm, 1e-30)).astype(g.dtype)
    if len(clipped) == len(max_norm):
        g *= scale
    else:
        g[clipped] = rows * scale
