"""The backend chosen from the work of a training step: NumPy for small networks even where a
GPU is, CuPy for big ones where a device is, NCANVAS_BACKEND over both. The device check is
faked here (no GPU needed)."""

from __future__ import annotations

import pytest

from core.compiler.compile import compile_design
from core.design.errors import BackendError
from core.engine import backend
from core.engine.work import step_work
from tests.core.example_designs import xor_design


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
