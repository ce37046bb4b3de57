"""Big designs: validation and compilation take each wire a bounded number of times, and a design
of thousands of nodes validates, compiles and computes what a small one would (no timings here:
the speed is measured in benchmarks/large_designs.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import core
from core.compiler.compile import compile_design
from core.compiler.validation import design_problems
from core.design.design import Design
from core.design.graph_order import topological_order


class CountingTable(dict):
    """A connection table that counts how often someone walks all of it."""

    walks = 0

    def values(self):
        CountingTable.walks += 1
        return super().values()

    def items(self):
        CountingTable.walks += 1
        return super().items()

    def __iter__(self):
        CountingTable.walks += 1
        return super().__iter__()


def wide(n: int, weights: bool = True) -> Design:
    """x1, x2 → n tanh neurons → one sigmoid output."""
    d = Design()
    d.set_dataset("circle", {"n": 50})
    d.set_training(loss="binary_cross_entropy", dtype="float64")
    rng = np.random.default_rng(0)
    for f in ("x1", "x2"):
        d.add_node("input", {"feature": f}, node_id=f)
    d.add_node("neuron", {"activation": "sigmoid", "bias": 0.1}, node_id="out")
    for i in range(n):
        d.add_node("neuron", {"activation": "tanh", "bias": float(rng.normal())}, node_id=f"h{i}")
        for f in ("x1", "x2"):
            d.add_connection(f, f"h{i}", float(rng.normal()) if weights else None)
        d.add_connection(f"h{i}", "out", float(rng.normal()) / n if weights else None)
    return d


def test_validating_and_compiling_walk_the_wires_a_bounded_number_of_times():
    walks = []
    for n in (200, 2000):
        d = wide(n)
        d.connections = CountingTable(d.connections)
        CountingTable.walks = 0
        assert [p for p in design_problems(d) if p.severity == "error"] == []
        compile_design(d)
        walks.append(CountingTable.walks)
    # the same few passes whatever the size (once per neuron, it was 2,000 more for 2,000 neurons)
    assert walks[0] == walks[1] and walks[1] < 20


def test_a_design_of_thousands_of_neurons_computes_what_its_weights_say(tmp_path):
    n = 3000
    d = wide(n)
    path = tmp_path / "wide.ncanvas"
    core.save(d, str(path))
    loaded = core.load(str(path))
    X = np.array([[0.3, -0.7], [-1.0, 0.5]])
    got = core.predict(loaded, X)
    w_in = np.array([[d.connection_between(f, f"h{i}").weight for i in range(n)] for f in ("x1", "x2")])
    b = np.array([d.nodes[f"h{i}"].params["bias"] for i in range(n)])
    w_out = np.array([d.connection_between(f"h{i}", "out").weight for i in range(n)])
    expected = 1 / (1 + np.exp(-(np.tanh(X @ w_in + b) @ w_out + 0.1)))
    np.testing.assert_allclose(got[:, 0], expected, rtol=1e-12)


def test_a_long_chain_compiles_into_one_op_per_neuron():
    d = Design()
    d.set_dataset("plane", {"n": 20})
    d.set_training(loss="mse", dtype="float64")
    d.add_node("input", {"feature": "x1"}, node_id="x1")
    previous = "x1"
    for i in range(2000):
        d.add_node("neuron", {"activation": "identity", "bias": 0.001}, node_id=f"n{i}")
        d.add_connection(previous, f"n{i}", 1.0)
        previous = f"n{i}"
    build = compile_design(d)
    assert len(build.model.ops) == 2000 and build.output_ids == ["n1999"]
    np.testing.assert_allclose(core.predict(d, [[0.5, 0.0]]), [[0.5 + 2.0]], rtol=1e-12)


def test_a_cycle_far_down_a_long_tail_names_only_the_loop():
    d = Design()
    d.set_dataset("plane", {"n": 20})
    d.add_node("input", {"feature": "x1"}, node_id="x1")
    previous = "x1"
    for i in range(3000):
        d.add_node("neuron", node_id=f"n{i}")
        d.add_connection(previous, f"n{i}", connection_id=f"w{i}")
        previous = f"n{i}"
    d.add_connection("n10", "n5", connection_id="back")  # n5 … n10 loop; n11 … n2999 hang below
    order, problems = topological_order(d)
    assert order is None
    assert problems[0].node_ids == tuple(f"n{i}" for i in range(5, 11))
    assert set(problems[0].connection_ids) == {"back", *(f"w{i}" for i in range(6, 11))}


def reference_order(nodes: list[str], wires: list[tuple[str, str]]) -> list[str] | None:
    """Kahn's algorithm taking, each time, the ready node that comes first in the design."""
    indegree = {n: 0 for n in nodes}
    for _, t in wires:
        indegree[t] += 1
    done: list[str] = []
    while True:
        ready = [n for n in nodes if indegree[n] == 0 and n not in done]
        if not ready:
            return done if len(done) == len(nodes) else None
        done.append(ready[0])
        for s, t in wires:
            if s == ready[0]:
                indegree[t] -= 1


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 12).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n),
    st.permutations(range(n)))))
def test_the_order_takes_the_first_ready_node_in_design_order(case):
    n, pairs, shuffled = case
    d = Design()
    for i in shuffled:
        d.add_node("neuron", node_id=f"n{i}")
    wires = list(dict.fromkeys((f"n{a}", f"n{b}") for a, b in pairs if a != b))
    for s, t in wires:
        d.add_connection(s, t)
    order, problems = topological_order(d)
    assert order == reference_order(list(d.nodes), wires)
    assert (order is None) == bool(problems)
