"""Random designs that validate, every weight set, for the properties that an edit keeping every
weighted sum (a 0-weight wire, an undone deletion, a Dense block expanded into neurons) changes no
output; shared by the core and GUI tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from core.compiler.compile import compile_design
from core.compiler.validation import design_problems
from core.design.design import Design

X = np.random.default_rng(5).uniform(-1.5, 1.5, (6, 2))
ELEMENTWISE = ("tanh", "relu", "sigmoid", "identity", "leaky_relu", "elu", "softplus", "prelu")
FEATURES = ("x1", "x2", "x1^2", "x1*x2", "sin(x1)")


def errors(design: Design) -> list:
    return [p for p in design_problems(design) if p.severity == "error"]


@st.composite
def designs(draw, regroupable: bool = False) -> Design:
    """A random design that validates, with every weight set (float64): inputs, hidden neurons
    wired forward, then either output neurons or blocks ending in one Dense block. Nodes and wires
    are added to the design in a random order. With `regroupable`, a design ending in blocks also
    has a column of one to three neurons `k0`, `k1`, … of one activation, wired from the same
    inputs and hidden neurons into the same one or two blocks, and a Dense block `e` wired so too:
    the wires of both come among the others' into those blocks."""
    n_in = draw(st.integers(1, 3))
    n_hidden = draw(st.integers(0, 6))
    block_output = draw(st.booleans())
    inputs = [f"x{i}" for i in range(n_in)]
    hidden = [f"h{i}" for i in range(n_hidden)]
    kinds = {n: "input" for n in inputs} | {n: "neuron" for n in hidden}
    wires: list[tuple[str, str]] = []

    def some(pool: list[str]) -> list[str]:
        return draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True))

    for i, h in enumerate(hidden):
        wires += [(s, h) for s in some(inputs + hidden[:i])]
    if block_output:
        blocks = [f"b{i}" for i in range(draw(st.integers(1, 3)))]
        for b in blocks[:-1]:
            kinds[b] = draw(st.sampled_from(["dense", "batchnorm", "concatenate"]))
        kinds[blocks[-1]] = "dense"
        ends = blocks
        for i, b in enumerate(blocks):
            wires += [(s, b) for s in some(inputs + hidden + blocks[:i])]
        if regroupable:
            members = [f"k{i}" for i in range(draw(st.integers(1, 3)))]
            kinds |= {k: "neuron" for k in members} | {"e": "dense"}
            for part in (members, ["e"]):
                sources = some(inputs + hidden)
                reads = draw(st.lists(st.sampled_from(blocks), min_size=1, max_size=2, unique=True))
                wires += [(s, k) for k in part for s in sources]
                wires += [(k, b) for k in part for b in reads]
    else:
        ends = [f"o{i}" for i in range(draw(st.integers(1, 4)))]
        kinds |= {o: "neuron" for o in ends}
        for o in ends:
            wires += [(s, o) for s in some(inputs + hidden)]
    for i, node in enumerate(hidden + (ends[:-1] if block_output else [])):
        if not any(s == node for s, _ in wires):  # nothing may end here but the output
            later = hidden[i + 1:] + ends if node in hidden else ends[ends.index(node) + 1:]
            wires.append((node, draw(st.sampled_from(later))))
    width = draw(st.integers(1, 3)) if block_output else len(ends)
    out_activation = draw(st.sampled_from(ELEMENTWISE + (("softmax",) if width > 1 else ())))
    column_activation = draw(st.sampled_from(ELEMENTWISE)) if regroupable else ""

    d = Design()
    if width == 1:
        d.set_dataset("plane", {"n": 40})
    else:
        d.set_dataset("gaussian", {"n": 40, "classes": width})
    d.set_training(loss="mse", dtype="float64")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    for node in draw(st.permutations(list(kinds))):
        kind = kinds[node]
        if kind == "input":
            params = {"feature": draw(st.sampled_from(FEATURES))}
        elif kind == "neuron":
            act = out_activation if node in ends else column_activation if node[0] == "k" else \
                draw(st.sampled_from(ELEMENTWISE))
            params = {"activation": act, "bias": float(rng.normal())}
        elif kind == "dense":
            last = node == ends[-1]
            params = {"units": width if last else draw(st.integers(1, 3)),
                      "activation": out_activation if last else draw(st.sampled_from(ELEMENTWISE))}
        else:
            params = {}
        d.add_node(kind, params, (float(rng.uniform(0, 500)), float(rng.uniform(0, 500))), node)
    for s, t in draw(st.permutations(wires)):
        d.add_connection(s, t, float(rng.normal()) if kinds[t] == "neuron" else None)
    assert errors(d) == [], errors(d)
    compile_design(d).write_back(d)  # the blocks' drawn weights become the design's
    for node, arrays in d.parameters.items():  # and BatchNorm's statistics something to read
        d.parameters[node] = {k: np.abs(rng.normal(1, 0.3, v.shape)) if "var" in k
                              else rng.normal(0, 1, v.shape) for k, v in arrays.items()}
    return d
