"""Big designs: time core.load, validation and compilation of designs with up to 100,000 nodes.

    PYTHONPATH=$PWD python benchmarks/large_designs.py            # 100,000 nodes each
    PYTHONPATH=$PWD python benchmarks/large_designs.py --size 20000 --only wide

Three shapes, each saved with every weight set (as a trained design is) and then reopened:
  wide   inputs x1, x2 → one hidden layer of N tanh neurons → one sigmoid output neuron
  block  inputs x1, x2 → one hidden layer of N tanh neurons → a Dense block of 2 (softmax):
         N wires into one block
  chain  input x1 → N identity neurons one after the other → the last is the output
Nothing here is a test: the figures go into the README with the machine they ran on.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import core  # noqa: E402
from core.compiler.compile import compile_design  # noqa: E402
from core.compiler.validation import validate_design  # noqa: E402
from core.design.design import Design  # noqa: E402


def _weights(d: Design, rng: np.random.Generator) -> None:
    """Set every wire's weight and every neuron's bias, as training leaves them."""
    for cid in list(d.connections):
        c = d.connections[cid]
        if d.nodes[c.target].kind == "neuron":
            d.set_weight(cid, float(rng.normal(0, 0.1)))
    for nid, node in list(d.nodes.items()):
        if node.kind == "neuron":
            d.set_node_params(nid, bias=float(rng.normal(0, 0.1)))


def wide(n: int, rng: np.random.Generator) -> Design:
    d = Design()
    d.set_dataset("circle")
    d.set_training(loss="binary_cross_entropy")
    inputs = [d.add_node("input", {"feature": f}, node_id=f).id for f in ("x1", "x2")]
    out = d.add_node("neuron", {"activation": "sigmoid"}, (400, 0), node_id="out").id
    for i in range(n):
        h = d.add_node("neuron", {"activation": "tanh"}, (200, i * 70.0), node_id=f"h{i}").id
        for x in inputs:
            d.add_connection(x, h)
        d.add_connection(h, out)
    _weights(d, rng)
    return d


def block(n: int, rng: np.random.Generator) -> Design:
    d = Design()
    d.set_dataset("circle")
    inputs = [d.add_node("input", {"feature": f}, node_id=f).id for f in ("x1", "x2")]
    out = d.add_node("dense", {"units": 2, "activation": "softmax"}, (400, 0), node_id="out").id
    for i in range(n):
        h = d.add_node("neuron", {"activation": "tanh"}, (200, i * 70.0), node_id=f"h{i}").id
        for x in inputs:
            d.add_connection(x, h)
        d.add_connection(h, out)
    _weights(d, rng)
    d.set_block_weights(out, {"kernel": rng.normal(0, 0.01, (n, 2)), "bias": np.zeros(2)})
    return d


def chain(n: int, rng: np.random.Generator) -> Design:
    d = Design()
    d.set_dataset("plane")
    d.set_training(loss="mse")
    previous = d.add_node("input", {"feature": "x1"}, node_id="x1").id
    for i in range(n):
        node = d.add_node("neuron", {"activation": "identity"}, (i * 160.0, 0), node_id=f"n{i}").id
        d.add_connection(previous, node)
        previous = node
    _weights(d, rng)
    return d


SHAPES: dict[str, Callable[[int, np.random.Generator], Design]] = {
    "wide": wide, "block": block, "chain": chain}


def measure(name: str, n: int, folder: str) -> dict[str, float]:
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    design = SHAPES[name](n, rng)
    built = time.perf_counter() - t0
    path = os.path.join(folder, f"{name}.ncanvas")
    t0 = time.perf_counter()
    core.save(design, path)
    saved = time.perf_counter() - t0
    t0 = time.perf_counter()
    loaded = core.load(path)  # reads, checks the schema and validates
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    problems = validate_design(loaded)
    validate = time.perf_counter() - t0
    assert not [p for p in problems if p.severity == "error"], problems[:3]
    t0 = time.perf_counter()
    compile_design(loaded)
    compiled = time.perf_counter() - t0
    return {"nodes": len(loaded.nodes), "connections": len(loaded.connections), "build": built,
            "save": saved, "load": load, "validate": validate, "compile": compiled,
            "MB": os.path.getsize(path) / 1e6}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="neurons in the big part")
    parser.add_argument("--only", choices=sorted(SHAPES), action="append",
                        help="measure only this shape (may be repeated)")
    args = parser.parse_args(argv)
    print(f"machine: {platform.machine()}, {_cpu_name()}, {os.cpu_count()} cores; "
          f"Python {platform.python_version()}; NumPy {np.__version__}")
    print()
    print("| design | nodes | connections | file MB | core.load s | validate s | compile s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for name in args.only or list(SHAPES):
            r = measure(name, args.size, folder)
            print(f"| {name} | {r['nodes']:,} | {r['connections']:,} | {r['MB']:.1f} | "
                  f"{r['load']:.2f} | {r['validate']:.2f} | {r['compile']:.2f} |", flush=True)
    return 0


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    raise SystemExit(main())
