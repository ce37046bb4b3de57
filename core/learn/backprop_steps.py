"""Backpropagation one phase at a time for a design drawn neuron by neuron: for one batch, in
float64, every neuron's weighted sum z, activation a, ∂L/∂a and ∂L/∂z, every wire's ∂L/∂w and
the loss, computed neuron by neuron from a compiled Build (so they can be checked against the
engine's masked layers); the optimizer's update before it is applied, and applying it.
The chain rule written out for one wire lives in core/learn/backprop_chain.py."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.design import registry
from core.engine.backend import to_device, to_numpy, xp
from core.engine.optimizers import clip_by_norm, regularize
from core.training.trainer import Trainer

NEURON_KINDS = ("input", "neuron")


def unsupported(design) -> str:
    """Why this view cannot show `design` step by step ('' when it can)."""
    kinds = sorted({n.kind for n in design.nodes.values()} - set(NEURON_KINDS))
    if kinds:
        names = ", ".join(registry.blocks.get(k).label if k in registry.blocks else k for k in kinds)
        return (f"This view shows designs drawn neuron by neuron (inputs, neurons and the wires "
                f"between them); this one has layer blocks ({names}). Open the xor, circle, spiral "
                f"or cricket example, expand a Dense block into neurons, or try the deep sigmoid "
                f"network below.")
    for node in design.nodes.values():
        act = node.params.get("activation")
        if node.kind == "neuron" and act in registry.activations \
                and registry.activations.get(act).stochastic:
            return ("A randomized ReLU draws a new random slope for every training step, so its "
                    "numbers here would not be the step's; choose another activation to follow "
                    "backpropagation step by step.")
    if not any(n.kind == "neuron" for n in design.nodes.values()):
        return "The design has no neurons yet."
    return ""


# ---------------------------------------------------------------- the network as neurons
@dataclass(frozen=True)
class Unit:
    """A neuron as the compiled model holds it."""

    node_id: str
    layer: int  # its compiled layer: 0 is the first after the inputs; the last holds the outputs
    activation: Any  # core.engine.activations.Activation
    group: tuple[str, ...]  # the neurons it shares a softmax with (itself alone otherwise)
    incoming: tuple[tuple[str, str], ...]  # (connection id, source id)
    outgoing: tuple[tuple[str, str], ...]  # (connection id, target id)


@dataclass(frozen=True)
class Network:
    """The compiled design read back neuron by neuron: units, weights, biases and names."""

    inputs: dict[str, int]  # input node id → its column of the feature rows
    layers: list[list[str]]  # neuron ids by compiled layer
    units: dict[str, Unit]
    weights: dict[str, float]  # connection id → weight
    biases: dict[str, float]
    slopes: dict[str, float]  # a PReLU neuron's learned slope
    index: dict[str, int]  # connection id, "b:" + neuron id, "s:" + neuron id → flat position
    names: dict[str, str]  # node id → its name: the label, else an input's feature, else the id
    outputs: list[str]  # the output neurons, in the order of the output columns


def read_network(build, design) -> Network:
    model = build.model
    index = _flat_positions(model)
    inputs, column = {}, 0
    for node in design.nodes.values():  # the compiler's order of feature columns
        if node.kind == "input":
            inputs[node.id] = column
            column += 1
    layers, units, weights, biases, slopes, where = [], {}, {}, {}, {}, {}
    for depth, nmap in enumerate(build.neuron_maps):
        op = model.ops[nmap.op_index]
        params = {k: to_numpy(v) for k, v in op.params.items()}
        flat = index[nmap.op_index]
        by_column = {col: nid for nid, col in nmap.neurons}
        layers.append([nid for nid, _ in nmap.neurons])
        for cid, row, col in nmap.wires:
            weights[cid] = float(params["kernel"][row, col])
            where[cid] = int(flat["kernel"][row, col])
        for nid, col in nmap.neurons:
            biases[nid] = float(params["bias"][col])
            where["b:" + nid] = int(flat["bias"][col])
        for nid, name, i in nmap.slopes:
            slopes[nid] = float(params[name][i])
            where["s:" + nid] = int(flat[name][i])
        for group in op.layer.groups:
            cols = range(op.layer.n_out) if group.columns is None else to_numpy(group.columns)
            members = tuple(by_column[int(c)] for c in cols)
            for nid in members:
                units[nid] = Unit(nid, depth, group.activation,
                                  members if not group.activation.elementwise else (nid,),
                                  tuple((c.id, c.source) for c in design.incoming(nid)),
                                  tuple((c.id, c.target) for c in design.outgoing(nid)))
    return Network(inputs, layers, units, weights, biases, slopes, where,
                   _names(design, layers), list(layers[-1]))


def _flat_positions(model) -> list[dict[str, np.ndarray]]:
    """Each op's parameters' places in the model's flat buffer (read through its own views)."""
    saved = model.grad.copy()
    model.grad[...] = xp.arange(model.size, dtype=model.grad.dtype)
    ops = [{k: to_numpy(v).astype(np.int64) for k, v in op.grads.items()} for op in model.ops]
    model.grad[...] = saved
    return ops


def _names(design, layers: list[list[str]]) -> dict[str, str]:
    """Each node by the name it has everywhere else (the inspector, the landscape): its label, else
    an input's feature, else its id."""
    names = {}
    for node in design.nodes.values():
        if node.kind == "input":
            names[node.id] = node.label or str(node.params.get("feature", node.id))
    for layer in layers:
        for nid in layer:
            names[nid] = design.nodes[nid].label or nid
    return names


# ---------------------------------------------------------------- one batch
@dataclass(frozen=True)
class Batch:
    """The training rows one step learns from (what One Step or Present One Sample would take)."""

    kind: str  # "sample" | "batch"
    rows: np.ndarray  # their indices in the training set
    x: np.ndarray  # (n, inputs) the model's feature rows, float64
    t: np.ndarray  # (n, outputs) the targets as the loss compares them


def make_trainer(design):
    """A float64 trainer on a copy of `design`, placed where the design's training stopped."""
    return Trainer(design.copy(), dtype="float64")


def next_batch(trainer, kind: str = "sample") -> Batch:
    """The rows the trainer's next update would use: the sample Present One Sample draws, or
    the next mini-batch of the epoch's shuffle (as Trainer.step takes it)."""
    rows = trainer.next_rows("sample" if kind == "sample" else "batch")
    x = to_numpy(trainer.X_train)[rows].astype(np.float64)
    t = to_numpy(trainer.T_train)[rows].astype(np.float64)
    return Batch(kind, rows, x, t)


# ---------------------------------------------------------------- forward and backward
@dataclass(frozen=True)
class NeuronValues:
    """One neuron's numbers for each sample of the batch (arrays of length n)."""

    node_id: str
    z: np.ndarray
    a: np.ndarray
    fprime: np.ndarray | None  # ∂a/∂z (None inside a softmax, whose Jacobian is not diagonal)
    da: np.ndarray  # ∂L/∂a
    dz: np.ndarray  # ∂L/∂z, the neuron's δ
    target: np.ndarray | None  # the output's target, for output neurons


@dataclass(frozen=True)
class Pass:
    """Everything one step computes, neuron by neuron, before the update."""

    network: Network
    batch: Batch
    mode: str  # how the loss meets the output: "fused", "logits", "plain" or "perceptron"
    loss_id: str
    loss: float  # the batch's loss (the mean over its samples)
    sample_losses: np.ndarray
    inputs: dict[str, np.ndarray]  # input node id → its values
    neurons: dict[str, NeuronValues]
    wire_terms: dict[str, np.ndarray]  # connection id → each sample's a_source · δ_target
    wire_grads: dict[str, float]  # ∂L/∂w (the sum of the terms)
    bias_grads: dict[str, float]
    slope_grads: dict[str, float]

    def value(self, node_id: str) -> np.ndarray:
        """The activation of any node: an input's value or a neuron's a."""
        return self.inputs[node_id] if node_id in self.inputs else self.neurons[node_id].a

    def shown(self, node_id: str) -> dict[str, float]:
        """The numbers a node shows for the whole batch: z and a averaged over its samples,
        ∂L/∂a and ∂L/∂z summed (each sample's share carries the 1/n of the batch mean, so the
        sums are the batch loss's own gradients; ∂L/∂z summed is the bias's gradient). For one
        sample these are simply its numbers."""
        if node_id in self.inputs:
            return {"a": float(self.inputs[node_id].mean())}
        v = self.neurons[node_id]
        return {"z": float(v.z.mean()), "a": float(v.a.mean()), "da": float(v.da.sum()),
                "dz": float(v.dz.sum())}


def _run(fn, *arrays, **kw):
    """An engine function on host float64 arrays (it works through backend.xp)."""
    out = fn(*(to_device(a) for a in arrays), **kw)
    return out


def _activate(unit: Unit, z: np.ndarray, slope: float | None):
    """(a, ∂a/∂z) of an element-wise activation for one neuron's column of sums."""
    learned = None if slope is None else {"slope": to_device(np.array([slope]))}
    a, cache = _run(unit.activation.forward, z[:, None], learned=learned)
    fprime = unit.activation.backward(xp.ones_like(a), cache, learned)[0]
    return to_numpy(a)[:, 0].astype(np.float64), to_numpy(fprime)[:, 0].astype(np.float64)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def forward_backward(build, design, batch: Batch) -> Pass:
    """The forward pass, the loss and the backward pass, one neuron at a time (float64)."""
    net = read_network(build, design)
    x, t, n = batch.x, batch.t, len(batch.x)
    inputs = {nid: x[:, col].copy() for nid, col in net.inputs.items()}
    value = dict(inputs)
    z, a, fprime = {}, {}, {}
    for layer in net.layers:
        for nid in layer:
            u = net.units[nid]
            z[nid] = net.biases[nid] + sum((net.weights[cid] * value[src] for cid, src in u.incoming),
                                           np.zeros(n))
        for nid in layer:
            u = net.units[nid]
            if len(u.group) > 1 or not u.activation.elementwise:
                if u.group[0] == nid:
                    probs = _softmax(np.stack([z[m] for m in u.group], axis=1))
                    for k, m in enumerate(u.group):
                        a[m], fprime[m] = probs[:, k], None
            else:
                a[nid], fprime[nid] = _activate(u, z[nid], net.slopes.get(nid))
            value[nid] = a[nid]
    mode = "perceptron" if build.rule == "perceptron" else build.model.loss_mode(build.loss)
    outs = net.outputs
    Z, A = np.stack([z[o] for o in outs], axis=1), np.stack([a[o] for o in outs], axis=1)
    loss, dA, dZ = _loss(build.loss, mode, Z, A, t)
    sample_losses = np.array([_loss(build.loss, mode, Z[i:i + 1], A[i:i + 1], t[i:i + 1])[0]
                              for i in range(n)])
    da = {o: dA[:, k] for k, o in enumerate(outs)}
    dz = {o: dZ[:, k] for k, o in enumerate(outs)} if dZ is not None else {}
    for depth in range(len(net.layers) - 1, -1, -1):
        layer = net.layers[depth]
        for nid in layer:
            if nid not in da:
                da[nid] = sum((net.weights[cid] * dz[tgt] for cid, tgt in net.units[nid].outgoing),
                              np.zeros(n))
        for nid in layer:
            if nid in dz:
                continue
            u = net.units[nid]
            if fprime[nid] is not None:
                dz[nid] = da[nid] * fprime[nid]
            elif u.group[0] == nid:  # softmax: dz = a ⊙ (da − Σ_k a_k da_k)
                shared = sum(a[m] * da[m] for m in u.group)
                for m in u.group:
                    dz[m] = a[m] * (da[m] - shared)
    neurons = {nid: NeuronValues(nid, z[nid], a[nid], fprime[nid], da[nid], dz[nid],
                                 t[:, outs.index(nid)] if nid in outs else None)
               for layer in net.layers for nid in layer}
    terms = {cid: value[src] * dz[tgt] for tgt, u in net.units.items() for cid, src in u.incoming}
    slope_grads = {nid: float(np.sum(da[nid] * z[nid] * (z[nid] <= 0))) for nid in net.slopes}
    return Pass(net, batch, mode, build.loss.id, loss, sample_losses, inputs, neurons, terms,
                {cid: float(v.sum()) for cid, v in terms.items()},
                {nid: float(dz[nid].sum()) for nid in neurons}, slope_grads)


def _loss(loss, mode: str, Z: np.ndarray, A: np.ndarray, T: np.ndarray):
    """(value, ∂L/∂a, ∂L/∂z or None) at the output, as the engine meets the loss in `mode`."""
    n = len(Z)
    if mode == "perceptron":  # the perceptron rule: δ = (y − t)/n, as if the step were the identity
        value = float(to_numpy(_run(loss.value, A, T)))
        return value, (A - T) / n, (A - T) / n
    if mode == "fused":  # the loss works from the weighted sums; ∂L/∂a is shown for the record
        value, dZ = _run(loss.value_and_grad_logits, Z, T)
        with np.errstate(divide="ignore", invalid="ignore"):
            if loss.fused_activation == "sigmoid":
                dA = (A - T) / (A * (1 - A)) / n
            else:  # softmax cross-entropy: −t/a
                dA = -T / A / n
        return float(to_numpy(value)), dA, to_numpy(dZ).astype(np.float64)
    fn = loss.value_and_grad_logits if mode == "logits" else loss.value_and_grad
    value, dA = _run(fn, A, T)
    return float(to_numpy(value)), to_numpy(dA).astype(np.float64), None


# ---------------------------------------------------------------- the update
@dataclass(frozen=True)
class Update:
    """The optimizer's step for this batch, computed on copies before anything changes."""

    optimizer: str  # its registry id
    learning_rate: float
    settings: dict[str, float]  # the optimizer's own settings (β1, momentum, …)
    l1: float
    l2: float
    clip_norm: float
    clip_scale: float  # how much clipping scaled the gradient (1: not at all)
    step: int  # Adam's step count after this update
    index: dict[str, int]  # connection id, "b:"/"s:" + neuron id → flat position
    old: np.ndarray
    grad: np.ndarray  # the loss's gradient (from the pass)
    used: np.ndarray  # what the optimizer is given: with L1/L2 added and clipping applied
    new: np.ndarray
    before: dict[str, np.ndarray]  # the optimizer's state (m, v, velocity, …) before the step
    after: dict[str, np.ndarray]

    def entry(self, key: str) -> dict[str, Any]:
        """The numbers for one weight (a connection id) or bias ("b:" + neuron id)."""
        i = self.index[key]
        return {"w": float(self.old[i]), "g": float(self.grad[i]), "used": float(self.used[i]),
                "new": float(self.new[i]), "delta": float(self.new[i] - self.old[i]),
                "before": {k: float(v[i]) for k, v in self.before.items()},
                "after": {k: float(v[i]) for k, v in self.after.items()}}


def plan_update(trainer, step: Pass) -> Update:
    """What the trainer's optimizer will do with this pass's gradients (nothing is changed)."""
    model, s = trainer.model, trainer.settings
    net = step.network
    grad = np.zeros(model.size)
    for cid, g in step.wire_grads.items():
        grad[net.index[cid]] = g
    for nid, g in step.bias_grads.items():
        grad[net.index["b:" + nid]] = g
    for nid, g in step.slope_grads.items():
        grad[net.index["s:" + nid]] = g
    w = model.flat.copy()
    g = to_device(grad, model.dtype)
    if s.l1 or s.l2:
        regularize(w, g, model.decay_mask, s.l1, s.l2)
    before_clip = float(to_numpy(xp.sqrt((g * g).sum())))
    if s.clip_norm:
        clip_by_norm(g, s.clip_norm)
    after_clip = float(to_numpy(xp.sqrt((g * g).sum())))
    used = to_numpy(g).copy()
    optimizer = copy.deepcopy(trainer.optimizer)
    before = {k: to_numpy(v).copy() for k, v in optimizer.state.items()}
    lr = trainer.learning_rate()
    optimizer.step(w, g, lr)
    return Update(s.optimizer, lr, dict(optimizer.params), s.l1, s.l2, s.clip_norm,
                  after_clip / before_clip if s.clip_norm and before_clip > 0 else 1.0,
                  optimizer.t, dict(net.index), to_numpy(model.flat).copy(), grad, used,
                  to_numpy(w).copy(), before, {k: to_numpy(v).copy() for k, v in optimizer.state.items()})


def apply_step(trainer, batch: Batch):
    """Take the step for real (the trainer's own update: the NaN guard, the epoch's end and its
    metrics included); returns its TrainProgress."""
    if batch.kind == "sample":
        return trainer.present_one(int(batch.rows[0]))
    return trainer.step()
