"""Training on a CUDA device with CuPy learns, and agrees with the NumPy run (skipped without one)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

cupy = pytest.importorskip("cupy", reason="CuPy is not installed: the GPU backend is not tested")
try:
    DEVICES = cupy.cuda.runtime.getDeviceCount()
except Exception as exc:  # a CUDA driver or runtime that CuPy cannot use
    pytest.skip(f"CuPy is installed but cannot reach a CUDA device ({exc})", allow_module_level=True)
if DEVICES < 1:
    pytest.skip("CuPy is installed but there is no CUDA device", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
TRAIN_XOR = textwrap.dedent("""
    import json, sys
    import numpy as np
    import core
    from core.engine import backend
    from tests.core.example_designs import xor_design

    design = xor_design(epochs=20, dtype=sys.argv[1])
    metrics = core.train(design)
    axis = np.linspace(-6.0, 6.0, 13)
    grid = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    np.save(sys.argv[2], core.predict(design, grid))
    print(json.dumps({"backend": backend.name, "device": backend.description(),
                      "accuracy": metrics.test_accuracy, "loss": metrics.test_loss}))
""")


def train_xor(backend_name: str, dtype: str, tmp_path: Path) -> tuple[dict, np.ndarray]:
    """Train the XOR design in a fresh interpreter on one backend; its report and grid outputs."""
    out = tmp_path / f"{backend_name}-{dtype}.npy"
    env = {**os.environ, "NCANVAS_BACKEND": backend_name,
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", TRAIN_XOR, dtype, str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), np.load(out)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_xor_trains_on_the_gpu_and_matches_numpy(dtype, tmp_path):
    on_gpu, gpu_out = train_xor("cupy", dtype, tmp_path)
    on_cpu, cpu_out = train_xor("numpy", dtype, tmp_path)
    assert on_gpu["backend"] == "cupy" and " on " in on_gpu["device"]
    assert on_cpu["backend"] == "numpy"
    assert on_gpu["accuracy"] >= 0.85
    assert gpu_out.shape == cpu_out.shape == (169, 1)
    assert np.isfinite(gpu_out).all()
    assert np.abs(gpu_out - cpu_out).max() <= 1e-4
    assert abs(on_gpu["accuracy"] - on_cpu["accuracy"]) <= 0.02


DEEP_GRADIENTS = textwrap.dedent("""
    import dataclasses
    import sys
    import numpy as np
    from core.design import registry
    from core.files.fileformat import load_design
    from core.engine.backend import to_numpy
    from core.compiler.compile import compile_design
    from tests.core.example_designs import residual_cnn, rows_design, two_branches

    def with_batchnorm_and_dropout():
        design, ids = residual_cnn(filters=4)
        bn = design.add_node("batchnorm", registry.blocks.get("batchnorm").default_params()).id
        drop = design.add_node("dropout", {"rate": 0.3}).id
        design.remove_connection(design.connection_between(ids["flat"], ids["out"]).id)
        for a, b in ((ids["flat"], bn), (bn, drop), (drop, ids["out"])):
            design.add_connection(a, b)
        return design

    def pooled_cnn(kind):
        design = load_design("resources/examples/digits_cnn.ncanvas")
        for node_id, node in list(design.nodes.items()):
            if node.kind == "max_pool2d":
                design.nodes[node_id] = dataclasses.replace(node, kind=kind)
        return design

    designs = {"residual_cnn_bn_dropout": with_batchnorm_and_dropout(),
               "max_pool": pooled_cnn("max_pool2d"), "avg_pool": pooled_cnn("avg_pool2d"),
               "branches": two_branches()[0],
               "lstm": rows_design("lstm", units=8)[0], "gru": rows_design("gru", units=8)[0],
               "rnn": rows_design("simple_rnn", units=8, return_sequences=True)[0]}
    results = {}
    for name, design in designs.items():
        build = compile_design(design, dtype="float64", seed=3)
        x = build.feature_rows(build.data.X[:32])
        t = build.encode_targets(build.data.y[:32])
        build.model.rng = np.random.default_rng(7)  # the same dropout mask on both backends
        build.model.loss_and_gradients(x, t, build.loss, build.rule)
        results[name] = to_numpy(build.model.grad)
        results[name + "_out"] = to_numpy(build.model.forward(x))
    np.savez(sys.argv[1], **results)
""")


def deep_gradients(backend_name: str, tmp_path: Path) -> dict:
    out = tmp_path / f"deep-{backend_name}.npz"
    env = {**os.environ, "NCANVAS_BACKEND": backend_name,
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", DEEP_GRADIENTS, str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return dict(np.load(out))


def test_deep_blocks_give_the_same_gradients_on_the_gpu(tmp_path):
    """Conv2D, pooling, Flatten, Add, Concatenate, BatchNorm, Dropout, LSTM, GRU and SimpleRNN on
    CuPy: the float64 gradients of one batch equal NumPy's."""
    on_gpu, on_cpu = deep_gradients("cupy", tmp_path), deep_gradients("numpy", tmp_path)
    assert on_gpu.keys() == on_cpu.keys()
    for name in on_cpu:
        assert np.abs(on_cpu[name]).max() > 0, name
        np.testing.assert_allclose(on_gpu[name], on_cpu[name], rtol=1e-9, atol=1e-11, err_msg=name)
