"""Optimizers over one flat parameter buffer, learning-rate schedules, clipping and regularization."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.design import registry
from core.design.errors import shown as quoted
from core.engine.backend import to_numpy, xp


class Optimizer:
    """Updates a flat parameter vector in place from a flat gradient (PyTorch's conventions)."""

    id = ""
    label = ""
    defaults: Mapping[str, float] = {}
    limits: Mapping[str, tuple[float, float]] = {}
    slots: tuple[str, ...] = ()

    def __init__(self, size: int, dtype: Any, **params: Any) -> None:
        unknown = set(params) - set(self.defaults)
        if unknown:
            raise ValueError(f"optimizer {self.id!r} has no setting {quoted(sorted(unknown)[0])}")
        self.params = {**self.defaults, **{k: float(v) for k, v in params.items()}}
        self.state = {name: xp.zeros(size, dtype=dtype) for name in self.slots}
        self.t = 0
        self._scratch = None  # a reusable buffer for the update

    @classmethod
    def param_problems(cls, params: Mapping[str, Any]) -> list[str]:
        if not isinstance(params, Mapping):
            return [f"optimizer settings must be named values, not {quoted(params)}"]
        problems = []
        for key, value in params.items():
            if key not in cls.defaults:
                problems.append(f"optimizer {cls.id!r} has no setting {quoted(key)}")
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(f"optimizer setting {key!r} must be a number, not {quoted(value)}")
            else:
                low, high = cls.limits.get(key, (0.0, math.inf))
                below_one = key in ("beta1", "beta2", "rho", "momentum")
                if not (low <= value <= high) or (below_one and value >= 1) or (
                        key == "eps" and value <= 0) or not math.isfinite(value):
                    shown = f"[{low}, 1)" if below_one else "(0, 1]" if key == "eps" else f"[{low}, {high}]"
                    problems.append(f"optimizer setting {key!r} = {quoted(value)} is out of range {shown}")
        return problems

    def step(self, w, g, lr: float) -> None:
        raise NotImplementedError

    def checkpoint(self) -> None:
        """Remember the state, so that `rollback` can undo one step that went wrong."""
        if not self.slots:
            self._saved_t = self.t
            return
        if not hasattr(self, "_saved"):
            self._saved = {name: xp.empty_like(a) for name, a in self.state.items()}
        for name, a in self.state.items():
            xp.copyto(self._saved[name], a)
        self._saved_t = self.t

    def rollback(self) -> None:
        for name, a in getattr(self, "_saved", {}).items():
            xp.copyto(self.state[name], a)
        self.t = self._saved_t

    def state_dict(self) -> dict[str, np.ndarray]:
        out = {name: to_numpy(a).copy() for name, a in self.state.items()}
        out["t"] = np.array([self.t], dtype=np.int64)
        return out

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> bool:
        """Go on from a saved state when it is this optimizer's and fits the model; True then.

        Otherwise (another optimizer's state, a design edited since, so that the model has
        another size) the optimizer starts afresh, its step count too."""
        fits = (not state_problems(state) and set(state) - {"t"} == set(self.slots)
                and all(np.shape(state[name]) == self.state[name].shape for name in self.slots))
        if not fits:
            return False
        for name in self.slots:
            self.state[name][...] = xp.asarray(state[name], dtype=self.state[name].dtype)
        self.t = int(np.asarray(state["t"]).ravel()[0])
        return True


def state_problems(state: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with a saved optimizer state, as (the entry's name, or '' for the whole, why).

    A state is empty (never trained) or one optimizer's: its step count "t" (one whole number
    ≥ 0) and its slots (flat float arrays, one number per parameter, all of one length)."""
    if not state:
        return []
    kinds = {cls.id: tuple(cls.slots) for _key, cls in registry.optimizers.items()}
    known = {"t", *(name for slots in kinds.values() for name in slots)}
    problems = [(name, f"no optimizer keeps a state called {quoted(name)} (known: "
                       f"{', '.join(sorted(known))})") for name in state if name not in known]
    if "t" not in state:
        problems.append(("", "the step count 't' is missing"))
    else:
        t = np.asarray(state["t"])
        if t.dtype.kind not in "iu" or t.size != 1 or t.ndim > 1 or int(t.ravel()[0]) < 0:
            problems.append(("t", f"the step count is one whole number ≥ 0 (found {t.dtype} of "
                                  f"shape {list(t.shape)})"))
    slots = sorted(name for name in state if name != "t" and name in known)
    for name in slots:
        arr = np.asarray(state[name])
        if arr.dtype.kind != "f" or arr.ndim != 1:
            problems.append((name, f"a slot holds one number per parameter, a flat array of "
                                   f"floats (found {arr.dtype} of shape {list(arr.shape)})"))
    sizes = {np.asarray(state[name]).size for name in slots}
    if len(sizes) > 1:
        problems.append(("", f"the slots {', '.join(slots)} differ in length ({sorted(sizes)})"))
    if set(slots) not in [set(s) for s in kinds.values()]:
        problems.append(("", f"the slots {', '.join(slots) or '(none)'} are not one optimizer's "
                             f"({'; '.join(f'{k}: ' + (', '.join(v) or 'none') for k, v in kinds.items())})"))
    return problems


def _register(cls: type[Optimizer]) -> type[Optimizer]:
    registry.optimizers.register(cls.id)(cls)
    return cls


@_register
class SGD(Optimizer):
    id, label = "sgd", "SGD"

    def step(self, w, g, lr):
        if self._scratch is None:
            self._scratch = xp.empty_like(g)
        xp.multiply(g, lr, out=self._scratch)
        w -= self._scratch


@_register
class Momentum(Optimizer):
    id, label = "momentum", "SGD with momentum"
    defaults = {"momentum": 0.9}
    limits = {"momentum": (0.0, 1.0)}
    slots = ("velocity",)

    def step(self, w, g, lr):
        v = self.state["velocity"]
        v *= self.params["momentum"]
        v += g
        w -= lr * v


@_register
class Nesterov(Momentum):
    id, label = "nesterov", "Nesterov momentum"

    def step(self, w, g, lr):
        mu = self.params["momentum"]
        v = self.state["velocity"]
        v *= mu
        v += g
        w -= lr * (g + mu * v)


@_register
class RMSprop(Optimizer):
    id, label = "rmsprop", "RMSprop"
    defaults = {"rho": 0.99, "eps": 1e-8}
    limits = {"rho": (0.0, 1.0), "eps": (0.0, 1.0)}
    slots = ("square_avg",)

    def step(self, w, g, lr):
        rho = self.params["rho"]
        sq = self.state["square_avg"]
        sq *= rho
        sq += (1 - rho) * g * g
        w -= lr * g / (xp.sqrt(sq) + self.params["eps"])


@_register
class Adam(Optimizer):
    id, label = "adam", "Adam"
    defaults = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    limits = {"beta1": (0.0, 1.0), "beta2": (0.0, 1.0), "eps": (0.0, 1.0)}
    slots = ("m", "v")

    def step(self, w, g, lr):
        b1, b2 = self.params["beta1"], self.params["beta2"]
        self.t += 1
        m, v = self.state["m"], self.state["v"]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        step_size = lr / (1 - b1**self.t)
        denom = xp.sqrt(v / (1 - b2**self.t))
        denom += self.params["eps"]
        w -= step_size * m / denom


@_register
class AdamW(Adam):
    id, label = "adamw", "AdamW"
    defaults = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01}
    limits = {**Adam.limits, "weight_decay": (0.0, 1.0)}

    def step(self, w, g, lr):
        w *= 1 - lr * self.params["weight_decay"]
        super().step(w, g, lr)


def make_optimizer(name: str, size: int, dtype: Any, params: Mapping[str, Any] | None = None):
    return registry.optimizers.get(name)(size, dtype, **(params or {}))


# ---------------------------------------------------------------- learning-rate schedules
def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule: the rate for an epoch, its settings and their checks."""

    id: str
    label: str
    defaults: Mapping[str, Any]
    rate: Callable[[float, int, int, Mapping[str, Any]], float]
    check: Callable[[Mapping[str, Any]], list[str]] = lambda p: []

    def __call__(self, base: float, epoch: int, epochs: int, params: Mapping[str, Any]) -> float:
        return self.rate(base, epoch, epochs, {**self.defaults, **params})


def _step_problems(p: Mapping[str, Any]) -> list[str]:
    problems = []
    if not (isinstance(p["step_size"], int) and not isinstance(p["step_size"], bool)
            and p["step_size"] >= 1):
        problems.append("schedule setting 'step_size' must be a whole number of epochs ≥ 1")
    if not (_number(p["gamma"]) and 0 < p["gamma"] <= 1):
        problems.append("schedule setting 'gamma' must be a number in (0, 1]")
    return problems


def _cosine_problems(p: Mapping[str, Any]) -> list[str]:
    if not (_number(p["min_lr"]) and p["min_lr"] >= 0):
        return ["schedule setting 'min_lr' must be a number ≥ 0"]
    return []


for _schedule in (
    Schedule("constant", "Constant", {}, lambda base, epoch, epochs, p: base),
    Schedule("step", "Step decay", {"step_size": 10, "gamma": 0.5},
             lambda base, epoch, epochs, p: base * p["gamma"] ** (epoch // p["step_size"]),
             _step_problems),
    Schedule("cosine", "Cosine", {"min_lr": 0.0},
             lambda base, epoch, epochs, p: p["min_lr"] + (base - p["min_lr"]) * (
                 1 + math.cos(math.pi * min(epoch, epochs) / max(1, epochs))) / 2,
             _cosine_problems),
):
    registry.schedules.register(_schedule.id)(_schedule)


def schedule_problems(name: str, params: Mapping[str, Any]) -> list[str]:
    if not isinstance(name, str) or name not in registry.schedules:
        return [f"unknown learning-rate schedule {quoted(name)} (known: {', '.join(registry.schedules)})"]
    schedule = registry.schedules.get(name)
    if not isinstance(params, Mapping):
        return [f"schedule settings must be named values, not {quoted(params)}"]
    unknown = [f"schedule {quoted(name)} has no setting {quoted(k)}"
               for k in params if k not in schedule.defaults]
    return unknown or schedule.check({**schedule.defaults, **params})


# ---------------------------------------------------------------- gradient transforms
def regularize(w, g, decay_mask, l1: float, l2: float) -> None:
    """Add the L1 and L2 penalties' gradients (weights only, not biases) to g, in place."""
    if l2:
        g += l2 * (w * decay_mask if decay_mask is not None else w)
    if l1:
        g += l1 * (xp.sign(w) * decay_mask if decay_mask is not None else xp.sign(w))


def clip_by_norm(g, max_norm: float) -> None:
    """Scale g down in place so that its Euclidean norm is at most max_norm."""
    if max_norm > 0:  # no host round trip: the scale is computed on the device
        norm = xp.sqrt((g * g).sum())
        g *= xp.minimum(1.0, max_norm / xp.maximum(norm, 1e-30)).astype(g.dtype)
