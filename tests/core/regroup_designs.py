"""Small designs around a block that reads a Dense block or a column of neurons beside an input,
for the tests that expanding and collapsing keep what a design means (core and window)."""

from __future__ import annotations

import numpy as np

import core
from core.compiler.compile import compile_design
from core.design.design import Design
from tests.core.random_designs import X, errors

MIDDLES = ("batchnorm", "concatenate")


def sources(design: Design, node_id: str) -> list[str]:
    return [c.source for c in design.incoming(node_id)]


def base(middle: str) -> Design:
    """x1, x2 inputs; `mid` (BatchNorm or Concatenate) → Dense `out`; mid's statistics set."""
    d = Design()
    d.set_dataset("plane", {"n": 40})
    d.set_training(loss="mse", dtype="float64")
    d.add_node("input", {"feature": "x1"}, node_id="x1")
    d.add_node("input", {"feature": "x2"}, node_id="x2")
    d.add_node(middle, {}, node_id="mid")
    d.add_node("dense", {"units": 1, "activation": "identity"}, node_id="out")
    return d


def settled(d: Design) -> Design:
    """Every weight written into the design, BatchNorm's with values that tell its rows apart."""
    assert errors(d) == []
    compile_design(d).write_back(d)
    if "gamma" in d.parameters.get("mid", {}):
        width = d.parameters["mid"]["gamma"].shape[0]
        rng = np.random.default_rng(3)
        d.parameters["mid"] = {"gamma": rng.uniform(0.5, 2, width), "beta": rng.normal(0, 1, width),
                               "running_mean": rng.normal(0, 1, width),
                               "running_var": rng.uniform(0.25, 4, width)}
    return d


def dense_then_input(middle: str, units: int = 2) -> Design:
    """x1 → Dense `b0`; mid reads b0, then x2."""
    d = base(middle)
    d.add_node("dense", {"units": units, "activation": "tanh"}, node_id="b0")
    for s, t in [("x1", "b0"), ("b0", "mid"), ("x2", "mid"), ("mid", "out")]:
        d.add_connection(s, t)
    return settled(d)


def neurons_then_input(middle: str, wired: tuple[str, ...] = ("n2", "n1", "x2")) -> Design:
    """x1 → tanh neurons n1, n2 (n1 first in the design); mid reads them in the order `wired`."""
    d = base(middle)
    for nid, (w, b) in {"n1": (1.7, 0.3), "n2": (-0.8, -0.4)}.items():
        d.add_node("neuron", {"activation": "tanh", "bias": b}, node_id=nid)
        d.add_connection("x1", nid, w)
    for s in wired:
        d.add_connection(s, "mid")
    d.add_connection("mid", "out")
    return settled(d)


def assert_same_outputs(design: Design, before: np.ndarray) -> None:
    assert errors(design) == []
    np.testing.assert_allclose(core.predict(design, X), before, rtol=0, atol=1e-12)


def expandable(design: Design) -> list[str]:
    """Dense blocks fed only by inputs and neurons: the ones a neuron column can stand for."""
    return [n for n, node in design.nodes.items() if node.kind == "dense" and all(
        design.nodes[c.source].kind in ("input", "neuron") for c in design.incoming(n))]
