"""A slow neuron-by-neuron reference, in plain Python floats, against the compiled masked layers."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from core.compiler.compile import compile_design
from core.design.design import Design
from core.engine import backend

# These check the maths on host arrays; test_gpu compares a CuPy run with a NumPy one.
pytestmark = pytest.mark.skipif(backend.is_gpu, reason="runs on the NumPy backend "
                                "(NCANVAS_BACKEND=numpy)")

# ---------------------------------------------------------------------------- the reference
FEATURES = {
    "x1": lambda r: r[0],
    "x2": lambda r: r[1],
    "x1*x2": lambda r: r[0] * r[1],
    "x1^2": lambda r: r[0] * r[0],
    "sin(x2)": lambda r: math.sin(r[1]),
}
DEFAULTS = {"leaky_relu": {"slope": 0.01}, "rrelu": {"lower": 1 / 8, "upper": 1 / 3},
            "prelu": {"slope": 0.25}, "elu": {"alpha": 1.0}}
C = math.sqrt(2 / math.pi)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1 / (1 + math.exp(-z))
    e = math.exp(z)
    return e / (1 + e)


def _gelu(z: float) -> float:
    return 0.5 * z * (1 + math.tanh(C * (z + 0.044715 * z**3)))


def _gelu_prime(z: float) -> float:
    t = math.tanh(C * (z + 0.044715 * z**3))
    return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * C * (1 + 3 * 0.044715 * z * z)


def _slope(name: str, p: dict) -> float:
    if name == "rrelu":
        return (p["lower"] + p["upper"]) / 2  # evaluation mode: the mean slope
    return p["slope"]


def act(name: str, p: dict, z: float) -> float:
    if name == "identity":
        return z
    if name == "step":
        return 1.0 if z >= 0 else 0.0
    if name == "sigmoid":
        return _sigmoid(z)
    if name == "tanh":
        return math.tanh(z)
    if name == "arctan":
        return math.atan(z)
    if name == "relu":
        return z if z > 0 else 0.0
    if name in ("leaky_relu", "rrelu", "prelu"):
        return z if z > 0 else _slope(name, p) * z
    if name == "elu":
        return z if z > 0 else p["alpha"] * (math.exp(z) - 1)
    if name == "softplus":
        return max(z, 0.0) + math.log1p(math.exp(-abs(z)))
    if name == "gelu":
        return _gelu(z)
    if name == "silu":
        return z * _sigmoid(z)
    raise KeyError(name)


def act_prime(name: str, p: dict, z: float) -> float:
    if name == "identity":
        return 1.0
    if name == "step":
        return 0.0
    if name == "sigmoid":
        return _sigmoid(z) * (1 - _sigmoid(z))
    if name == "tanh":
        return 1 - math.tanh(z) ** 2
    if name == "arctan":
        return 1 / (1 + z * z)
    if name == "relu":
        return 1.0 if z > 0 else 0.0
    if name in ("leaky_relu", "rrelu", "prelu"):
        return 1.0 if z > 0 else _slope(name, p)
    if name == "elu":
        return 1.0 if z > 0 else p["alpha"] * math.exp(z)
    if name == "softplus":
        return _sigmoid(z)
    if name == "gelu":
        return _gelu_prime(z)
    if name == "silu":
        s = _sigmoid(z)
        return s + z * s * (1 - s)
    raise KeyError(name)


class Reference:
    """Evaluates a neuron-level design one neuron at a time, from its written-back weights."""

    def __init__(self, design: Design) -> None:
        self.nodes = design.nodes
        self.incoming = {n: [(c.id, c.source, c.weight) for c in design.connections.values()
                             if c.target == n] for n in design.nodes}
        has_out = {c.source for c in design.connections.values()}
        self.outputs = [n for n in design.nodes if n not in has_out and self.nodes[n].kind == "neuron"]
        self.order = self._topological()
        self.out_act = self.nodes[self.outputs[0]].params["activation"]

    def _topological(self) -> list[str]:
        order: list[str] = []
        seen: set[str] = set()

        def visit(n: str) -> None:
            if n in seen:
                return
            seen.add(n)
            for _, source, _ in self.incoming[n]:
                visit(source)
            order.append(n)

        for n in self.nodes:
            visit(n)
        return order

    def _params(self, n: str) -> dict:
        params = self.nodes[n].params
        return {**DEFAULTS.get(params["activation"], {}), **params.get("activation_params", {})}

    def forward_row(self, row) -> tuple[dict, dict]:
        """Pre-activations z and outputs a of every node for one raw data row."""
        z: dict[str, float] = {}
        a: dict[str, float] = {}
        for n in self.order:
            node = self.nodes[n]
            if node.kind == "input":
                a[n] = float(FEATURES[node.params["feature"]](row))
                continue
            total = float(node.params["bias"] or 0.0)
            for _, source, weight in self.incoming[n]:
                total += weight * a[source]
            z[n] = total
            if not (n in self.outputs and self.out_act == "softmax"):
                a[n] = act(node.params["activation"], self._params(n), total)
        if self.out_act == "softmax":
            top = max(z[n] for n in self.outputs)
            e = {n: math.exp(z[n] - top) for n in self.outputs}
            for n in self.outputs:
                a[n] = e[n] / sum(e.values())
        return z, a

    def outputs_for(self, X, output_ids) -> np.ndarray:
        return np.array([[self.forward_row(r)[1][n] for n in output_ids] for r in X])

    # ---- loss and hand-written backprop, per sample
    def loss(self, X, T, loss: str, output_ids) -> float:
        total = 0.0
        for row, t in zip(X, T, strict=True):
            z, a = self.forward_row(row)
            total += self._sample_loss(z, a, t, loss, output_ids)
        return total / len(X)

    def _logits(self, z, a, output_ids):
        return [z[n] if self.out_act != "identity" else a[n] for n in output_ids]

    def _sample_loss(self, z, a, t, loss, output_ids) -> float:
        if loss == "mse":
            return 0.5 * sum((a[n] - ti) ** 2 for n, ti in zip(output_ids, t, strict=True))
        logits = self._logits(z, a, output_ids)
        if loss == "binary_cross_entropy":
            (v,), (ti,) = logits, t
            return max(v, 0.0) - v * ti + math.log1p(math.exp(-abs(v)))
        top = max(logits)
        log_total = top + math.log(sum(math.exp(v - top) for v in logits))
        return -sum(ti * (v - log_total) for v, ti in zip(logits, t, strict=True))

    def gradients(self, X, T, loss: str, output_ids):
        """dL/dw per connection id, dL/db per neuron, dL/dslope per PReLU neuron."""
        dw: dict[str, float] = {}
        db: dict[str, float] = {}
        dslope: dict[str, float] = {}
        n_rows = len(X)
        for row, t in zip(X, T, strict=True):
            z, a = self.forward_row(row)
            dz: dict[str, float] = {}
            if loss == "mse":
                da = {n: (a[n] - ti) / n_rows for n, ti in zip(output_ids, t, strict=True)}
                if self.out_act == "softmax":
                    inner = sum(da[n] * a[n] for n in output_ids)
                    dz = {n: a[n] * (da[n] - inner) for n in output_ids}
            else:  # cross-entropy from the logits: dL/dlogit = p − t
                logits = self._logits(z, a, output_ids)
                if loss == "binary_cross_entropy":
                    probs = [_sigmoid(logits[0])]
                else:
                    top = max(logits)
                    e = [math.exp(v - top) for v in logits]
                    probs = [v / sum(e) for v in e]
                da = {n: (p - ti) / n_rows for n, p, ti in zip(output_ids, probs, t, strict=True)}
                if self.out_act != "identity":  # fused: da already is dL/dz
                    dz = dict(da)
            for n in reversed(self.order):
                node = self.nodes[n]
                if node.kind != "neuron" or (n not in dz and n not in da):
                    continue
                params = self._params(n)
                if n not in dz:
                    dz[n] = da[n] * act_prime(node.params["activation"], params, z[n])
                    if node.params["activation"] == "prelu" and z[n] <= 0:
                        dslope[n] = dslope.get(n, 0.0) + da[n] * z[n]
                db[n] = db.get(n, 0.0) + dz[n]
                for cid, source, weight in self.incoming[n]:
                    dw[cid] = dw.get(cid, 0.0) + dz[n] * a[source]
                    da[source] = da.get(source, 0.0) + dz[n] * weight
        return dw, db, dslope


def encode(loss: str, task: str, y: np.ndarray, width: int) -> list[list[float]]:
    """Targets the slow way: values, 0/1 for one output, one-hot for several."""
    if task == "regression":
        return [[float(v) for v in r] for r in y]
    if width == 1:
        return [[1.0 if int(v) == 1 else 0.0] for v in y]
    return [[1.0 if int(v) == k else 0.0 for k in range(width)] for v in y]


# ---------------------------------------------------------------------------- comparisons
def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(1e-12, np.linalg.norm(a) + np.linalg.norm(b)))


def compare(design: Design, rows: int = 10, seed: int = 0, gradients: bool = True):
    build = compile_design(design, dtype="float64")
    build.write_back(design)
    ref = Reference(design)
    assert set(build.output_ids) == set(ref.outputs)
    rng = np.random.default_rng(seed)
    take = rng.choice(build.data.num_samples, size=rows, replace=False)
    X = build.data.X[take]
    engine = build.model.forward(build.feature_rows(X))
    expected = ref.outputs_for(X, build.output_ids)
    np.testing.assert_allclose(engine, expected, rtol=1e-12, atol=1e-12)

    # the written-back weights compile to the same network, whatever the seed
    again = compile_design(design, dtype="float64", seed=12345)
    np.testing.assert_allclose(again.model.forward(again.feature_rows(X)), engine, rtol=1e-12, atol=1e-12)
    if not gradients:
        return build, ref

    loss = design.training.loss
    T = encode(loss, build.task, build.data.y[take], len(build.output_ids))
    np.testing.assert_array_equal(build.encode_targets(build.data.y[take]), T)
    value = build.model.loss_and_gradients(build.feature_rows(X), np.array(T), build.loss, build.rule)
    assert float(value) == pytest.approx(ref.loss(X, T, loss, build.output_ids), rel=1e-12, abs=1e-14)
    dw, db, dslope = ref.gradients(X, T, loss, build.output_ids)
    got_w, want_w, got_b, want_b, got_s, want_s = [], [], [], [], [], []
    for nmap in build.neuron_maps:
        grads = build.model.ops[nmap.op_index].grads
        for cid, row, col in nmap.wires:
            got_w.append(grads["kernel"][row, col])
            want_w.append(dw.get(cid, 0.0))
        for nid, col in nmap.neurons:
            got_b.append(grads["bias"][col])
            want_b.append(db.get(nid, 0.0))
        for nid, name, index in nmap.slopes:
            got_s.append(grads[name][index])
            want_s.append(dslope.get(nid, 0.0))
    assert sorted(c for m in build.neuron_maps for c, _, _ in m.wires) == sorted(design.connections)
    for got, want in ((got_w, want_w), (got_b, want_b), (got_s, want_s)):
        if got:
            assert rel_error(np.array(got), np.array(want)) < 1e-10
    return build, ref


# ---------------------------------------------------------------------------- hand-made designs
def _design(dataset="gaussian", loss="mse", params=None) -> Design:
    d = Design()
    d.set_dataset(dataset, params)
    d.set_training(loss=loss)
    return d


def _neuron(d, activation, bias=None, **act_params):
    return d.add_node("neuron", {"activation": activation, "bias": bias,
                                 "activation_params": act_params}).id


def _wire(d, *pairs):
    for source, target in pairs:
        d.add_connection(source, target)


def skip_design() -> Design:
    """x1, x2 → tanh, relu → prelu → sigmoid output; x1 → output skips two depths, tanh one."""
    d = _design(loss="binary_cross_entropy")
    x1 = d.add_node("input", {"feature": "x1"}).id
    x2 = d.add_node("input", {"feature": "x2"}).id
    a, b = _neuron(d, "tanh", 0.3), _neuron(d, "relu", 0.2)
    c = _neuron(d, "prelu", -0.1, slope=0.4)
    out = _neuron(d, "sigmoid", 0.05)
    _wire(d, (x1, a), (x2, a), (x1, b), (x2, b), (a, c), (b, c), (x2, c), (c, out), (x1, out), (a, out))
    return d


def mixed_design() -> Design:
    """Every smooth and kinked activation side by side, two identity outputs fed by different depths."""
    d = _design("gaussian", "mse")
    ins = [d.add_node("input", {"feature": f}).id for f in ("x1", "x2", "x1*x2")]
    first = [_neuron(d, "leaky_relu", 0.1, slope=0.2), _neuron(d, "elu", -0.2, alpha=0.7),
             _neuron(d, "gelu", 0.0), _neuron(d, "silu", 0.3), _neuron(d, "step", 0.1)]
    second = [_neuron(d, "softplus", -0.3), _neuron(d, "arctan", 0.2), _neuron(d, "prelu", 0.0)]
    outs = [_neuron(d, "identity", 0.1), _neuron(d, "identity", -0.1)]
    for i, n in enumerate(first):
        _wire(d, (ins[i % 3], n), (ins[(i + 1) % 3], n))
    for i, n in enumerate(second):
        _wire(d, (first[i], n), (first[i + 2], n), (ins[2], n))
    _wire(d, (second[0], outs[0]), (second[1], outs[0]), (second[2], outs[1]), (first[3], outs[1]),
          (ins[0], outs[1]), (first[4], outs[0]))
    return d


def softmax_design(loss: str) -> Design:
    d = _design("gaussian", loss, {"classes": 3})
    x1 = d.add_node("input", {"feature": "x1"}).id
    x2 = d.add_node("input", {"feature": "sin(x2)"}).id
    h = [_neuron(d, "tanh", 0.1), _neuron(d, "prelu", 0.2, slope=0.1), _neuron(d, "relu", -0.1)]
    deep = _neuron(d, "tanh", 0.0)
    outs = [_neuron(d, "softmax", b) for b in (0.1, 0.0, -0.2)]
    _wire(d, (x1, h[0]), (x2, h[0]), (x1, h[1]), (x2, h[2]), (h[0], deep), (h[1], deep))
    _wire(d, (deep, outs[0]), (h[2], outs[1]), (x1, outs[2]), (h[0], outs[2]), (deep, outs[1]))
    return d


HAND_MADE = {
    "skip-bce": skip_design,
    "mixed-mse": mixed_design,
    "softmax-sce": lambda: softmax_design("softmax_cross_entropy"),
    "softmax-mse": lambda: softmax_design("mse"),
}


@pytest.mark.parametrize("make", HAND_MADE.values(), ids=HAND_MADE.keys())
def test_hand_made_design_matches_the_reference(make):
    build, _ = compare(make(), rows=16)
    assert len(build.model.ops) >= 2


def test_depths_really_are_skipped():
    build = compile_design(skip_design(), dtype="float64")
    out_op = build.model.ops[-1]
    assert [p.slot for p in out_op.inputs] == [0, 1, 2]  # fed by the inputs, depth 1 and depth 2


@pytest.mark.parametrize("make", [skip_design, mixed_design, lambda: softmax_design("mse")])
def test_reference_backprop_matches_its_own_finite_differences(make):
    design = make()
    build = compile_design(design, dtype="float64")
    build.write_back(design)
    ref = Reference(design)
    X = build.data.X[:6]
    loss = design.training.loss
    T = encode(loss, build.task, build.data.y[:6], len(build.output_ids))
    dw, _, dslope = ref.gradients(X, T, loss, build.output_ids)
    h = 1e-6
    numeric, analytic = [], []
    for cid, conn in design.connections.items():
        for sign in (1, -1):
            design.connections[cid] = replace(conn, weight=conn.weight + sign * h)
            value = Reference(design).loss(X, T, loss, build.output_ids)
            numeric.append(value if sign == 1 else numeric.pop() - value)
        design.connections[cid] = conn
        numeric[-1] /= 2 * h
        analytic.append(dw.get(cid, 0.0))
    assert rel_error(np.array(analytic), np.array(numeric)) < 1e-6
    assert any(dslope.values())


# ---------------------------------------------------------------------------- random designs
HIDDEN = ["identity", "step", "sigmoid", "tanh", "arctan", "relu", "leaky_relu", "rrelu", "prelu",
          "elu", "softplus", "gelu", "silu"]
OUTPUT = ["identity", "tanh", "sigmoid", "softmax", "relu", "step", "elu"]


@st.composite
def random_designs(draw):
    n_in = draw(st.integers(2, 3))
    n_hidden = draw(st.integers(1, 6))
    level = [draw(st.integers(1, 3)) for _ in range(n_hidden)]
    loss = draw(st.sampled_from(["mse", "softmax_cross_entropy", "binary_cross_entropy"]))
    if loss == "softmax_cross_entropy":
        n_out, out_act = draw(st.integers(2, 3)), draw(st.sampled_from(["softmax", "identity"]))
    elif loss == "binary_cross_entropy":
        n_out, out_act = 1, draw(st.sampled_from(["sigmoid", "identity"]))
    else:
        n_out = draw(st.integers(1, 3))
        out_act = draw(st.sampled_from([a for a in OUTPUT if a != "softmax" or n_out > 1]))
    regression = n_out == 1 and loss == "mse" and draw(st.booleans())
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)

    d = Design()
    if regression:
        d.set_dataset("plane")
    else:
        d.set_dataset("gaussian", {"classes": max(2, n_out)})
    d.set_training(loss=loss, seed=seed)
    inputs = [d.add_node("input", {"feature": f}).id for f in ("x1", "x2", "x1*x2")[:n_in]]
    hidden = []
    for _ in range(n_hidden):
        name = draw(st.sampled_from(HIDDEN))
        extra = {k: float(rng.uniform(0.05, 0.9)) for k in DEFAULTS.get(name, {})}
        if name == "rrelu":
            extra = {"lower": 0.1, "upper": 0.3}
        hidden.append(_neuron(d, name, float(rng.normal(0, 0.5)), **extra))
    outputs = [_neuron(d, out_act, float(rng.normal(0, 0.5))) for _ in range(n_out)]
    lvl = {**{n: 0 for n in inputs}, **dict(zip(hidden, level, strict=True)),
           **{n: 99 for n in outputs}}
    edges: set[tuple[str, str]] = set()
    for n in hidden + outputs:  # every neuron gets one source from an earlier level
        earlier = [m for m in inputs + hidden if lvl[m] < lvl[n]]
        edges.add((draw(st.sampled_from(earlier)), n))
    for n in hidden:  # and every hidden neuron feeds something later (else it would be an output)
        later = [m for m in hidden + outputs if lvl[m] > lvl[n]]
        edges.add((n, draw(st.sampled_from(later))))
    candidates = [(s, t) for s in inputs + hidden for t in hidden + outputs if lvl[s] < lvl[t]]
    for pair in candidates:  # extra wires, skip connections among them
        if pair not in edges and draw(st.integers(0, 3)) == 0:
            edges.add(pair)
    for source, target in sorted(edges, key=lambda e: (lvl[e[1]], e)):
        d.add_connection(source, target)
    note(f"levels={lvl} edges={sorted(edges)} out={out_act} loss={loss} seed={seed}")
    return d


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(random_designs())
def test_random_designs_match_the_reference(design):
    acts = {n.params["activation"] for n in design.nodes.values() if n.kind == "neuron"}
    sources = {c.source for c in design.connections.values()}
    outputs_step = any(n.params["activation"] == "step" for n in design.nodes.values()
                       if n.kind == "neuron" and n.id not in sources)
    # a step output learns by the perceptron rule and rrelu samples slopes in training:
    # their forward pass is compared, their gradients are not the loss's
    compare(design, rows=8, gradients=not outputs_step and "rrelu" not in acts)


def test_edits_in_the_design_reach_the_model_through_read_weights():
    design = softmax_design("mse")
    build = compile_design(design, dtype="float64")
    build.write_back(design)
    prelu = next(n for n in design.nodes.values() if n.params.get("activation") == "prelu")
    wire = next(iter(design.connections))
    design.set_weight(wire, 1.75)
    design.set_node_params(prelu.id, bias=-0.4, activation_params={"slope": 0.9})
    build.read_weights(design)
    X = build.data.X[:12]
    expected = Reference(design).outputs_for(X, build.output_ids)
    np.testing.assert_allclose(build.model.forward(build.feature_rows(X)), expected, rtol=1e-12, atol=1e-12)
