"""The array backend: NumPy, or CuPy when a CUDA device is present; the only module importing cupy."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
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

# A training step with less arithmetic than this runs faster on NumPy than on a GPU: below it a
# step is bound by kernel launches (about a thousand steps a second whatever the size). Measured
# on an H200 (README, "On a GPU"): the playground net (10 kFLOP a step) ran at 0.05× NumPy's speed
# on CuPy, the digits MLP (65 MFLOP a step) at 0.87×, the wide one (27 GFLOP) at 34×.
GPU_WORK = 200_000_000


def choose_for(work: float, setting: str | None = None) -> str:
    """The backend ('numpy' or 'cupy') for training steps of `work` floating-point operations
    each (core.engine.work.step_work): `setting` (NCANVAS_BACKEND's value by default) when it
    names one; else CuPy only where a CUDA device is and a step has GPU_WORK or more, since small
    networks run faster on the CPU. The backend is fixed when the engine is first imported, so a
    process applies the choice before that (core.cli starts on NumPy and, for a big step on a
    machine with a device, starts again on CuPy; the window's training process is started with
    the choice in its environment)."""
    wanted = (os.environ.get(ENV_VAR, "") if setting is None else setting).strip().lower()
    if wanted not in ("", "numpy", "cupy"):
        raise BackendError(f"{ENV_VAR}={wanted!r} is not a backend: use 'numpy' or 'cupy'")
    if wanted:
        return wanted
    if work < GPU_WORK:
        return "numpy"
    cupy, _ = _cupy_or_reason()
    return "cupy" if cupy is not None else "numpy"


BY_WORK = "NCANVAS_BACKEND_BY_WORK"  # set by the window when the person named no backend: it
# loads itself on NumPy (its own computations are small) and its training processes by the work


def for_training(work: float) -> str:
    """The backend the window's training process should run steps of `work` floating-point
    operations on: `choose_for`'s, where the person named none (the window, loaded on NumPy,
    marks that with BY_WORK); NCANVAS_BACKEND where they did."""
    return choose_for(work, "" if os.environ.get(BY_WORK) else None)


def cpu_threads() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def free_cores(own: int = 1) -> int:
    """Cores not kept busy by other work, counting the `own` threads this work runs on as free
    (the load average counts them too); all the cores where the load cannot be read."""
    cores = cpu_threads()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not on Unix
        return cores
    return max(1, min(cores, cores - round(load) + own))


_blas: list[Any] = []  # [threadpoolctl's controller or None], looked up once


def _blas_controller() -> Any:
    if not _blas:
        try:
            from threadpoolctl import ThreadpoolController  # a dependency; a BLAS it does not know: no limit

            controller = ThreadpoolController().select(user_api="blas")
            _blas.append(controller if controller.lib_controllers else None)
        except Exception:  # noqa: BLE001 - not importable, or no BLAS it knows: no limit
            _blas.append(None)
    return _blas[0]


def blas_limitable() -> bool:
    """Whether the BLAS's thread count can be set here (threadpoolctl installed and it finds it)."""
    return _blas_controller() is not None


def blas_single_thread() -> Any:
    """A context in which every BLAS product takes one thread (where it can be told so), for
    work that is already split among threads: two BLAS thread pools on two cores wait on each
    other. The count is the process's, so set it only around such work."""
    controller = _blas_controller()
    return controller.limit(limits=1) if controller is not None else contextlib.nullcontext()


# glibc's malloc (Linux): freed blocks of up to this size stay in the heap to be reused (32 MiB is
# its upper limit on 64-bit systems), and up to _TRIM_THRESHOLD of free heap stays with the process
_MMAP_THRESHOLD = 32 << 20
_TRIM_THRESHOLD = 128 << 20
_heap_kept: list[bool] = []


def keep_freed_memory() -> bool:
    """Have glibc keep freed arrays of up to 32 MiB for reuse rather than hand each back to the
    system, to be mapped and faulted in again when the next step makes one that size (from several
    threads its own adjustment does not take hold: a split ensemble step of the digits MLP made
    ~1,300 page faults and took 12.2 ms, with this none and 9.8 ms). Once per process; False where
    the C library is not glibc (then nothing changes)."""
    if not _heap_kept:
        _heap_kept.append(_mallopt())
    return _heap_kept[0]


def _mallopt() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # another C library
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(mallopt(m_mmap_threshold, _MMAP_THRESHOLD)) and bool(
        mallopt(m_trim_threshold, _TRIM_THRESHOLD))


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
