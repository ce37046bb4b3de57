"""The array backend: NCANVAS_BACKEND, NumPy without CuPy, host/device round trips, dtypes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from core.design.errors import BackendError
from core.engine import backend

ROOT = Path(__file__).resolve().parents[2]
BLOCK_CUPY = "import sys; sys.modules['cupy'] = None  # as if CuPy were not installed\n"
REPORT = textwrap.dedent("""
    from core.design.errors import BackendError
    try:
        import core.engine.backend as b
    except BackendError as exc:
        print("BackendError:", exc)
    else:
        print("backend:", b.name, b.xp.__name__, b.is_gpu, b.description())
        print("cupy imported:", "cupy" in sys.modules and sys.modules["cupy"] is not None)
""")


def run_backend(setting: str | None, block_cupy: bool = False) -> str:
    """What a fresh interpreter with NCANVAS_BACKEND=setting says about its backend."""
    env = {k: v for k, v in os.environ.items() if k != backend.ENV_VAR}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    if setting is not None:
        env[backend.ENV_VAR] = setting
    code = (BLOCK_CUPY if block_cupy else "import sys\n") + REPORT
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def cupy_with_a_device() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


# ---------------------------------------------------------------------------- choosing
def test_asking_for_cupy_without_it_says_why_it_cannot_be_used():
    if cupy_with_a_device():
        pytest.skip("CuPy is importable with a CUDA device here, so NCANVAS_BACKEND=cupy works")
    out = run_backend("cupy")
    assert out.startswith("BackendError: NCANVAS_BACKEND=cupy was asked for, but ")
    assert "CuPy cannot be imported" in out or "no usable CUDA device" in out \
        or "found no CUDA device" in out


def test_asking_for_cupy_when_it_is_not_installed_names_the_import_error():
    out = run_backend("cupy", block_cupy=True)
    assert out.startswith("BackendError: NCANVAS_BACKEND=cupy was asked for, but CuPy cannot be "
                          "imported (")
    assert "ImportError" in out or "ModuleNotFoundError" in out


@pytest.mark.parametrize("setting", ["bogus", "torch", "gpu"])
def test_an_unknown_backend_is_an_error_that_lists_the_choices(setting):
    out = run_backend(setting)
    assert out.startswith(f"BackendError: NCANVAS_BACKEND={setting!r} is not a backend")
    assert "'numpy'" in out and "'cupy'" in out


@pytest.mark.parametrize("setting", [None, "", "numpy"])
def test_numpy_is_chosen_without_cupy(setting):
    out = run_backend(setting, block_cupy=True)
    assert "backend: numpy numpy False NumPy " in out


@pytest.mark.parametrize("setting", ["numpy", " NumPy "])
def test_asking_for_numpy_never_imports_cupy(setting):
    out = run_backend(setting)
    assert "backend: numpy numpy False NumPy " in out
    assert "cupy imported: False" in out


def test_the_backend_in_use_describes_itself():
    text = backend.description()
    if backend.is_gpu:
        assert backend.name == "cupy" and text.startswith("CuPy ") and " on " in text
    else:
        assert backend.name == "numpy" and backend.xp is np and text == f"NumPy {np.__version__}"


# ---------------------------------------------------------------------------- host and device
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_to_device_and_back_keeps_values_and_dtype(dtype):
    host = np.linspace(-3.0, 3.0, 12).reshape(3, 4)
    device = backend.to_device(host, dtype)
    assert device.dtype == dtype and device.shape == (3, 4)
    back = backend.to_numpy(device)
    assert isinstance(back, np.ndarray) and back.dtype == dtype
    assert np.array_equal(back, host.astype(dtype))


def test_to_numpy_takes_host_data_as_it_is():
    host = np.arange(5, dtype=np.int64)
    assert np.array_equal(backend.to_numpy(host), host)
    assert backend.to_numpy([1.5, 2.5]).tolist() == [1.5, 2.5]
    assert float(backend.to_numpy(backend.to_device(2.5))) == 2.5


def test_to_device_without_a_dtype_keeps_the_hosts():
    assert backend.to_device(np.arange(3, dtype=np.int64)).dtype == np.int64


# ---------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize(("asked", "got"), [
    (None, np.float32), ("float32", np.float32), ("float64", np.float64),
    (np.float32, np.float32), (np.dtype("float64"), np.float64),
])
def test_resolve_dtype_gives_float32_or_float64(asked, got):
    assert backend.resolve_dtype(asked) == np.dtype(got)


@pytest.mark.parametrize("asked", ["float16", np.float16, "int32", "complex64", "bogus", "half-ish"])
def test_resolve_dtype_refuses_anything_else_with_a_backend_error(asked):
    with pytest.raises(BackendError, match="float32 or float64"):
        backend.resolve_dtype(asked)
