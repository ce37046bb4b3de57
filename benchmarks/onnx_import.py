"""ONNX import speed on long graphs: a chain of Identity nodes before one Gemm and a Sigmoid.

    python benchmarks/onnx_import.py [LENGTH ...]     (default: 20000 100000)

Times reading the file (onnx.load), putting the nodes in order (the GraphReader's sort, once
quadratic in the chain's length) and the whole import (core.interchange.onnx.importer.read_onnx). Nothing here
is a test: the figures go into the README with the machine they ran on.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from core.interchange.onnx.graph import GraphReader  # noqa: E402
from core.interchange.onnx.importer import read_onnx  # noqa: E402


def identity_chain(length: int):
    """x → Identity × length → Gemm (2 → 1) → Sigmoid → y, as an onnx.ModelProto."""
    names = ["x", *(f"t{k}" for k in range(1, length + 1))]
    nodes = [helper.make_node("Identity", [names[k]], [names[k + 1]], name=f"id{k}") for k in range(length)]
    nodes += [helper.make_node("Gemm", [names[-1], "W", "B"], ["z"], name="dense"),
              helper.make_node("Sigmoid", ["z"], ["y"], name="squash")]
    inits = [numpy_helper.from_array(np.array([[0.5], [-0.25]], dtype=np.float32), "W"),
             numpy_helper.from_array(np.array([0.1], dtype=np.float32), "B")]
    graph = helper.make_graph(nodes, "chain",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def timed(what, *args):
    start = time.perf_counter()
    result = what(*args)
    return result, time.perf_counter() - start


def main(lengths: list[int]) -> None:
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"onnx {onnx.__version__}")
    with tempfile.TemporaryDirectory() as folder:
        for length in lengths:
            path = Path(folder) / f"chain{length}.onnx"
            onnx.save(identity_chain(length), path)
            model, load = timed(onnx.load, str(path))
            _, order = timed(GraphReader, model)
            imported, whole = timed(read_onnx, path)
            kinds = [n.kind for n in imported.design.nodes.values()]
            print(f"{length:>7} Identity nodes: onnx.load {load:6.2f} s, ordering {order:6.2f} s, "
                  f"whole import {whole:6.2f} s → {kinds}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="ONNX import speed on chains of Identity nodes.")
    parser.add_argument("lengths", nargs="*", type=int, default=[20000, 100000], metavar="LENGTH",
                        help="Identity nodes in a chain (default: 20000 100000)")
    main(parser.parse_args().lengths)
