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
    from core import backend
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
