"""The backend chosen from the work of a training step: NumPy for small networks even where a
GPU is, CuPy for big ones where a device is, NCANVAS_BACKEND over both. The device check is
faked here (no GPU needed)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.compiler.compile import compile_design
from core.design.errors import BackendError
from core.engine import backend
from core.engine.work import step_work
from tests.core.example_designs import xor_design

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def gpu(monkeypatch):
    """A CUDA device that is there (or not)."""
    monkeypatch.delenv(backend.ENV_VAR, raising=False)

    def there(present: bool) -> None:
        result = (object(), "") if present else (None, "CuPy found no CUDA device")
        monkeypatch.setattr(backend, "_cupy_or_reason", lambda: result)

    return there


def test_small_networks_train_on_numpy_even_with_a_gpu(gpu):
    gpu(True)
    model = compile_design(xor_design()).model
    assert step_work(model, 4) < backend.GPU_WORK
    assert backend.choose_for(step_work(model, 4)) == "numpy"


def test_big_steps_take_the_gpu_where_there_is_one(gpu):
    gpu(True)
    assert backend.choose_for(backend.GPU_WORK) == "cupy"
    assert backend.choose_for(27e9) == "cupy"  # the wide digits MLP, batch 1024
    gpu(False)
    assert backend.choose_for(27e9) == "numpy"


def test_the_environment_variable_wins(gpu, monkeypatch):
    gpu(True)
    monkeypatch.setenv(backend.ENV_VAR, "numpy")
    assert backend.choose_for(27e9) == "numpy"
    monkeypatch.setenv(backend.ENV_VAR, "CuPy")
    assert backend.choose_for(10) == "cupy"
    monkeypatch.setenv(backend.ENV_VAR, "tpu")
    with pytest.raises(BackendError, match="not a backend"):
        backend.choose_for(10)


def test_the_windows_training_processes_choose_by_the_work_where_the_person_named_none(
        gpu, monkeypatch):
    """The window loads itself on NumPy when no backend is named and marks that (BY_WORK): its
    training processes then take CuPy for a big step where a device is; a named one wins."""
    gpu(True)
    monkeypatch.setenv(backend.ENV_VAR, "numpy")
    monkeypatch.setenv(backend.BY_WORK, "1")
    assert backend.for_training(27e9) == "cupy"
    assert backend.for_training(1e4) == "numpy"
    monkeypatch.delenv(backend.BY_WORK)  # the person named NumPy: never overruled
    assert backend.for_training(27e9) == "numpy"


def _serve_in_a_fresh_interpreter(backend_name: str) -> subprocess.CompletedProcess:
    script = textwrap.dedent("""
        import os, sys
        from core.training.child import serve_on

        class Quits:  # a connection whose first message is "quit"
            def recv(self):
                return ("quit",)

        serve_on(Quits(), "core.training.process:serve", sys.argv[1])
        from core.engine import backend
        print(backend.name, os.environ.get("NCANVAS_BACKEND"))
    """)
    env = {k: v for k, v in os.environ.items() if k != backend.ENV_VAR}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-c", script, backend_name], env=env,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_a_training_process_sets_its_backend_before_the_engine_loads():
    done = _serve_in_a_fresh_interpreter("numpy")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["numpy", "numpy"]
    done = _serve_in_a_fresh_interpreter("cupy")
    if backend._cupy_or_reason()[0] is not None:  # a machine with a device: it loads on CuPy
        assert done.stdout.split() == ["cupy", "cupy"], done.stderr
    else:  # none: the loop cannot load on it, and says so
        assert done.returncode != 0 and "NCANVAS_BACKEND=cupy was asked for" in done.stderr


def test_only_the_training_loops_can_be_served():
    from core.training.child import serve_on

    with pytest.raises(ValueError, match="is not a training loop"):
        serve_on(None, "os:system", "")
