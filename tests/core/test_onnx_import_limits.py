"""ONNX import at its limits: metadata that is not what an export writes (nested too deeply, an
array where an object belongs, not JSON) is refused with one OnnxImportError naming the entry and
what is wrong; long graphs are put in order in linear time, in the order they always had."""

from __future__ import annotations

import json
import random
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    onnx = pytest.importorskip("onnx", reason="the export extra is not installed")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from core.interchange.onnx.export import DESIGN_KEY, PARAMS_KEY, to_onnx  # noqa: E402
from core.interchange.onnx.graph import GraphReader  # noqa: E402
from core.interchange.onnx.importer import OnnxImportError, read_onnx  # noqa: E402
from tests.core.export_designs import example  # noqa: E402


# ============================================================================ hostile metadata
def with_metadata(tmp_path: Path, key: str, value: str) -> Path:
    """The xor example exported as ONNX, one metadata entry replaced (the graph untouched, so the
    file still claims to be that very export)."""
    model = to_onnx(example("xor"))
    for prop in model.metadata_props:
        if prop.key == key:
            prop.value = value
    path = tmp_path / "damaged.onnx"
    onnx.save(model, path)
    return path


def params_of_xor() -> dict:
    props = {p.key: p.value for p in to_onnx(example("xor")).metadata_props}
    return json.loads(props[PARAMS_KEY])


DAMAGED = {  # name → (entry, its text, what the message says)
    "design nested deeply": (DESIGN_KEY, "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "design objects nested deeply": (DESIGN_KEY, '{"a":' * 50_000 + "1" + "}" * 50_000,
                                     "nested too deeply"),
    "design nested past the limit": (DESIGN_KEY, "[" * 80 + "]" * 80, "nested too deeply"),
    "parameters nested deeply": (PARAMS_KEY, "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "design as an array": (DESIGN_KEY, "[]", "must hold a design (a JSON object), not an array"),
    "design as null": (DESIGN_KEY, "null", "not null"),
    "parameters as an array": (PARAMS_KEY, "[1, 2]", "must be a JSON object (layer → its parameters), "
                                                     "not an array"),
    "a layer's parameters as an array": (
        PARAMS_KEY, json.dumps({k: [1] for k in params_of_xor()}), "at 'layer1' must be a JSON object"),
    "an initializer named by a number": (
        PARAMS_KEY, json.dumps({k: {p: 3 for p in v} for k, v in params_of_xor().items()}),
        "must name initializers (strings), not hold a number"),
    "design not JSON": (DESIGN_KEY, "{", "is not valid JSON"),
}


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_damaged_metadata_is_one_clear_error(case, tmp_path):
    key, text, said = DAMAGED[case]
    path = with_metadata(tmp_path, key, text)
    with pytest.raises(OnnxImportError) as caught:
        read_onnx(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: its metadata {key!r}")
    assert said in message
    assert len(message) < 300  # the message, never the metadata echoed


def test_an_initializer_the_graph_lacks_is_named_and_the_graph_read_instead(tmp_path):
    params = {k: {p: "nowhere" for p in v} for k, v in params_of_xor().items()}
    result = read_onnx(with_metadata(tmp_path, PARAMS_KEY, json.dumps(params)))
    assert not result.restored
    assert "no initializer 'nowhere'" in result.notes[0]
    assert [n.kind for n in result.design.nodes.values()] == ["data", "dense", "dense"]


def test_sound_metadata_still_restores_the_design(tmp_path):
    path = tmp_path / "xor.onnx"
    onnx.save(to_onnx(example("xor")), path)
    result = read_onnx(path)
    assert result.restored and result.notes == []
    assert set(result.design.nodes) == set(example("xor").nodes)


# ============================================================================ long graphs
def old_order(reader_input: str, consts: set[str], output: str, nodes: list) -> list:
    """The order the import gave before it was made linear (quadratic: each round re-scanned
    everything pending), kept here as the reference the new one must match."""
    producer = {out: node for node in nodes for out in node.output if out}
    needed, stack = set(), [output]
    while stack:
        node = producer.get(stack.pop())
        if node is not None and id(node) not in needed:
            needed.add(id(node))
            stack.extend(n for n in node.input if n)
    ordered, ready, placed = [], {reader_input, *consts, ""}, set()
    pending = [n for n in nodes if id(n) in needed]
    while pending:
        progress = [n for n in pending if all(i in ready for i in n.input)]
        if not progress:
            return ordered + [None]  # a cycle
        for node in progress:
            ordered.append(node)
            placed.add(id(node))
            ready.update(node.output)
        pending = [n for n in pending if id(n) not in placed]
    return ordered


def new_order(reader_input: str, consts: set[str], output: str, nodes: list) -> list:
    reader = SimpleNamespace(input=SimpleNamespace(name=reader_input), consts=dict.fromkeys(consts),
                             output=output)
    try:
        return GraphReader.needed(reader, nodes)
    except OnnxImportError as exc:
        assert "its inputs are never computed" in str(exc)
        return [None]


def random_graph(rng: random.Random, size: int) -> list:
    """Nodes of a random graph over the input x and a constant c, listed in a shuffled order:
    each node reads one to three earlier values (sometimes one twice), some give two outputs,
    some are never needed, and now and then a node reads a value nothing gives (never computed)."""
    values, nodes = ["x", "c"], []
    for k in range(size):
        reads = [rng.choice(values) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.03:
            reads.append("missing")
        outs = [f"v{k}"] + ([f"w{k}"] if rng.random() < 0.2 else [])
        nodes.append(helper.make_node("Add", reads, outs, name=f"n{k}"))
        values += outs
    rng.shuffle(nodes)
    nodes.append(helper.make_node("Sum", [values[-1], *rng.sample(values, 3)], ["y"], name="last"))
    return nodes


def test_the_order_is_the_one_the_import_always_gave():
    rng = random.Random(12)
    for _ in range(200):
        nodes = random_graph(rng, rng.randint(1, 40))
        old = old_order("x", {"c"}, "y", nodes)
        new = new_order("x", {"c"}, "y", nodes)
        if old and old[-1] is None:  # a node whose inputs are never computed: refused, both ways
            assert new == [None]
        else:
            assert [n.name for n in new] == [n.name for n in old]


def test_a_cycle_is_refused_naming_a_node_in_it():
    nodes = [helper.make_node("Add", ["x", "b"], ["a"], name="first"),
             helper.make_node("Add", ["a", "x"], ["b"], name="second"),
             helper.make_node("Identity", ["b"], ["y"], name="out")]
    reader = SimpleNamespace(input=SimpleNamespace(name="x"), consts={}, output="y")
    with pytest.raises(OnnxImportError, match=r"Add \(node 'first'\): its inputs are never computed"):
        GraphReader.needed(reader, nodes)


def identity_chain(length: int):
    """x → Identity × length → Gemm (2 → 1) → Sigmoid → y (benchmarks/onnx_import.py times it)."""
    names = ["x", *(f"t{k}" for k in range(1, length + 1))]
    nodes = [helper.make_node("Identity", [names[k]], [names[k + 1]]) for k in range(length)]
    nodes += [helper.make_node("Gemm", [names[-1], "W", "B"], ["z"], name="dense"),
              helper.make_node("Sigmoid", ["z"], ["y"], name="squash")]
    inits = [numpy_helper.from_array(np.array([[0.5], [-0.25]], dtype=np.float32), "W"),
             numpy_helper.from_array(np.array([0.1], dtype=np.float32), "B")]
    graph = helper.make_graph(nodes, "chain",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_a_chain_of_twenty_thousand_identities_imports(tmp_path):
    """20,000 Identity nodes before one Gemm: read as the data block and one Dense with the Gemm's
    weights (the sort that put them in order was quadratic: minutes; now linear)."""
    model = identity_chain(20_000)
    path = tmp_path / "chain.onnx"
    onnx.save(model, path)
    result = read_onnx(path)
    design = result.design
    assert [n.kind for n in design.nodes.values()] == ["data", "dense"]
    dense = list(design.nodes.values())[1]
    assert dense.params["activation"] == "sigmoid"
    np.testing.assert_array_equal(design.parameters[dense.id]["kernel"], [[0.5], [-0.25]])
    np.testing.assert_allclose(design.parameters[dense.id]["bias"], [0.1])
