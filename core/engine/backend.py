"""The array backend: NumPy, or CuPy when a CUDA device is present; the only module importing cupy."""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import numpy as np

from core.design.errors import BackendError

ENV_VAR = "NCANVAS_BACKEND"


def _cupy_or_reason() -> tuple[ModuleType | None, str]:
    try:
        import cupy  # CuPy is optional
    except Exception as exc:  # ImportError, or a broken CUDA install
        return None, f"CuPy cannot be imported ({exc.__class__.__name__}: {exc})"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return None, f"CuPy found no usable CUDA device ({exc})"
    if count < 1:
        return None, "CuPy found no CUDA device"
    return cupy, ""


def _choose() -> tuple[ModuleType, str]:
    wanted = os.environ.get(ENV_VAR, "").strip().lower()
    if wanted not in ("", "numpy", "cupy"):
        raise BackendError(f"{ENV_VAR}={wanted!r} is not a backend: use 'numpy' or 'cupy'")
    if wanted == "numpy":
        return np, "numpy"
    cupy, reason = _cupy_or_reason()
    if cupy is not None:
        return cupy, "cupy"
    if wanted == "cupy":
        raise BackendError(f"{ENV_VAR}=cupy was asked for, but {reason}")
    return np, "numpy"


xp, name = _choose()
is_gpu = name == "cupy"


def sum_rows(array: Any, out: Any = None) -> Any:
    """The sum over the first axis (NumPy's ufunc reduce skips a layer of Python)."""
    if is_gpu:
        return array.sum(axis=0, out=out)
    return np.add.reduce(array, axis=0, out=out)


def to_numpy(array: Any) -> np.ndarray:
    """A host NumPy array for plots, files and people; a no-op on the NumPy backend."""
    if is_gpu and not isinstance(array, np.ndarray):
        return xp.asnumpy(array)
    return np.asarray(array)


def to_device(array: Any, dtype: Any = None) -> Any:
    """Move host data onto the backend, with an optional dtype."""
    return xp.asarray(array, dtype=dtype)


def description() -> str:
    """What computes, in words: 'NumPy 2.1.0' or 'CuPy 13.3 on NVIDIA H100'."""
    if not is_gpu:
        return f"NumPy {np.__version__}"
    device = xp.cuda.Device()
    props = xp.cuda.runtime.getDeviceProperties(device.id)
    gpu = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    return f"CuPy {xp.__version__} on {gpu}"


def device_memory() -> int | None:
    """Bytes of memory on the GPU the arrays live on; None on the CPU (or when it cannot say)."""
    if not is_gpu:
        return None
    try:
        return int(xp.cuda.Device().mem_info[1])
    except Exception:  # noqa: BLE001 - the host's figure is used alone
        return None


def resolve_dtype(dtype: str | Any) -> Any:
    """'float32' or 'float64' (the default float32) as the backend's dtype."""
    try:
        text = np.dtype(dtype).name if dtype is not None else "float32"
    except TypeError:
        text = str(dtype)
    if text not in ("float32", "float64"):
        raise BackendError(f"dtype {text!r} is not supported: use float32 or float64")
    return np.dtype(text)
