"""The chain rule written out for one wire, with one sample's numbers: ∂L/∂w = δ_j · a_i, where
the target's δ comes back from the loss neuron by neuron (δ_j = f'(z_j) · Σ_k w_jk δ_k) or,
equivalently, as a sum over every path from the weight to the loss of the product of the
derivatives along it. Also the deep sigmoid network whose products vanish on the way back."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.design.design import Design, layered_positions
from core.learn.backprop_steps import Pass

MAX_PATHS = 4096  # more paths than this are summed through the deltas, not listed one by one
SHOWN_PATHS = 6  # the largest paths kept for showing


@dataclass(frozen=True)
class Factor:
    """One derivative in a path's product."""

    kind: str  # "dL/dz" (an output's δ), "dL/da", "da/dz", "w" (∂z_k/∂a_j) or "a" (∂z_j/∂w)
    node: str  # the neuron it belongs to; for "w" the wire's target, for "a" the wire's source
    value: float
    source: str = ""  # for "w": the wire's source neuron


@dataclass(frozen=True)
class PathTerm:
    """One path from the weight to the loss: the neurons it passes and its product."""

    nodes: tuple[str, ...]  # from the weight's target neuron to an output neuron
    factors: tuple[Factor, ...]  # from the loss back to the weight
    product: float


@dataclass(frozen=True)
class DeltaTerm:
    """δ = ∂L/∂z of one neuron between the weight and the loss, for the sample shown."""

    node_id: str
    output: bool
    z: float
    a: float
    fprime: float | None  # ∂a/∂z (None inside a softmax)
    da: float  # ∂L/∂a = Σ_k w_jk δ_k for a hidden neuron; from the loss for an output
    dz: float
    target: float | None
    downstream: tuple[tuple[str, str, float, float], ...]  # (connection id, target, w_jk, δ_k)


@dataclass(frozen=True)
class ChainRule:
    """∂L/∂w for one wire i → j, written out for one sample of the batch."""

    connection_id: str
    source: str
    target: str
    sample: int  # the sample's place in the batch
    n: int  # the batch's size
    a_source: float  # a_i = ∂z_j/∂w
    delta: float  # δ_j = ∂L/∂z_j (it carries the 1/n of the batch mean)
    product: float  # a_i · δ_j: this sample's share of ∂L/∂w
    terms: np.ndarray  # every sample's share
    gradient: float  # ∂L/∂w, the sum of the shares
    deltas: tuple[DeltaTerm, ...]  # the target first, then the neurons after it, outputs last
    paths: tuple[PathTerm, ...]  # the largest paths, largest first
    path_count: int
    path_sum: float | None  # the sum over every path (None when a softmax couples them)


def chain_rule(step: Pass, connection_id: str, sample: int = 0) -> ChainRule:
    net = step.network
    target = next(t for t, u in net.units.items()
                  if any(cid == connection_id for cid, _ in u.incoming))
    source = next(src for cid, src in net.units[target].incoming if cid == connection_id)
    s = sample
    a_i = float(step.value(source)[s])
    reach = _downstream(net, target)
    deltas = tuple(_delta(step, nid, s) for nid in reach)
    count = _count_paths(net, target)
    # a hidden softmax mixes its neurons: its Jacobian is not diagonal, so no path product
    coupled = any(step.neurons[nid].fprime is None and nid not in net.outputs for nid in reach)
    paths: list[PathTerm] = []
    path_sum: float | None = None
    if not coupled:
        if count <= MAX_PATHS:
            for nodes in _paths(net, target):
                factors = _factors(step, nodes, source, connection_id, s)
                paths.append(PathTerm(nodes, factors, float(np.prod([f.value for f in factors]))))
            path_sum = float(sum(p.product for p in paths))
            paths.sort(key=lambda p: -abs(p.product))
        else:  # the distributive law: the sum over the paths is δ_j · a_i
            path_sum = float(step.neurons[target].dz[s] * a_i)
    terms = step.wire_terms[connection_id]
    return ChainRule(connection_id, source, target, s, len(terms), a_i,
                     float(step.neurons[target].dz[s]), float(terms[s]), terms.copy(),
                     step.wire_grads[connection_id], deltas, tuple(paths[:SHOWN_PATHS]), count,
                     path_sum)


def _downstream(net, start: str) -> list[str]:
    """`start` and every neuron it reaches, by layer (the outputs last)."""
    seen, frontier = {start}, [start]
    while frontier:
        nid = frontier.pop()
        for _cid, tgt in net.units[nid].outgoing:
            if tgt not in seen:
                seen.add(tgt)
                frontier.append(tgt)
    order = [nid for layer in net.layers for nid in layer]
    return sorted(seen, key=order.index)


def _count_paths(net, start: str) -> int:
    counts: dict[str, int] = {}
    for layer in reversed(net.layers):
        for nid in layer:
            outgoing = net.units[nid].outgoing
            counts[nid] = 1 if not outgoing else sum(counts.get(t, 0) for _c, t in outgoing)
    return counts[start]


def _paths(net, start: str):
    stack = [(start,)]
    while stack:
        path = stack.pop()
        outgoing = net.units[path[-1]].outgoing
        if not outgoing:
            yield path
        for _cid, tgt in reversed(outgoing):
            stack.append((*path, tgt))


def _delta(step: Pass, nid: str, s: int) -> DeltaTerm:
    v, net = step.neurons[nid], step.network
    down = tuple((cid, tgt, net.weights[cid], float(step.neurons[tgt].dz[s]))
                 for cid, tgt in net.units[nid].outgoing)
    return DeltaTerm(nid, nid in net.outputs, float(v.z[s]), float(v.a[s]),
                     None if v.fprime is None else float(v.fprime[s]), float(v.da[s]),
                     float(v.dz[s]), None if v.target is None else float(v.target[s]), down)


def _factors(step: Pass, nodes: tuple[str, ...], source: str, cid: str, s: int) -> tuple[Factor, ...]:
    """The derivatives along one path, from the loss back to the weight."""
    net = step.network
    out = step.neurons[nodes[-1]]
    if step.mode in ("fused", "perceptron") or out.fprime is None:
        factors = [Factor("dL/dz", out.node_id, float(out.dz[s]))]
    else:
        factors = [Factor("dL/da", out.node_id, float(out.da[s])),
                   Factor("da/dz", out.node_id, float(out.fprime[s]))]
    for j, k in zip(reversed(nodes[:-1]), reversed(nodes[1:]), strict=True):
        wire = next(c for c, t in net.units[j].outgoing if t == k)
        factors.append(Factor("w", k, net.weights[wire], j))
        factors.append(Factor("da/dz", j, float(step.neurons[j].fprime[s])))
    factors.append(Factor("a", source, float(step.value(source)[s]), cid))
    return tuple(factors)


def deep_sigmoid_design(hidden_layers: int = 6, width: int = 4, seed: int = 0) -> Design:
    """2 inputs → `hidden_layers` layers of `width` sigmoid neurons → 1 sigmoid output, on the
    circle data, trained by plain SGD: each layer multiplies the gradient on its way back by
    σ'(z) ≤ ¼ times its weights, so the first layers' wires learn hundreds of times slower."""
    design = Design()
    columns = [[design.add_node("input", {"feature": f}).id for f in ("x1", "x2")]]
    for _ in range(hidden_layers):
        columns.append([design.add_node("neuron", {"activation": "sigmoid"}).id
                        for _ in range(width)])
    columns.append([design.add_node("neuron", {"activation": "sigmoid"}).id])
    for previous, current in zip(columns, columns[1:], strict=False):
        for source in previous:
            for target in current:
                design.add_connection(source, target)
    for node_id, position in layered_positions(columns, dx=130.0).items():
        design.move_node(node_id, position)
    design.set_dataset("circle", {"n": 400, "noise": 0.05})
    design.set_training(loss="binary_cross_entropy", optimizer="sgd", learning_rate=0.5,
                        batch_size=10, epochs=100, test_fraction=0.5, seed=seed)
    return design
