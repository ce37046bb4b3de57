"""The training commands choose their backend from the work of a step: a small network trains on
NumPy without CuPy ever being loaded, a big one on a machine with a CUDA device runs again on
CuPy, NCANVAS_BACKEND over both. The device is faked (no GPU needed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import cli
from core.engine import backend

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def reruns(monkeypatch):
    """The commands a training command ran again (with their backend), none run for real."""
    calls = []

    def call(command, env):
        calls.append((command, env[backend.ENV_VAR]))
        return 0

    monkeypatch.delenv(backend.ENV_VAR, raising=False)
    monkeypatch.setattr(cli.subprocess, "call", call)
    return calls


def _device(monkeypatch, present: bool = True) -> None:
    result = (object(), "") if present else (None, "CuPy found no CUDA device")
    monkeypatch.setattr(backend, "_cupy_or_reason", lambda: result)


def test_a_big_step_on_a_machine_with_a_device_trains_again_on_cupy(monkeypatch, reruns, capsys):
    _device(monkeypatch)
    monkeypatch.setattr(backend, "GPU_WORK", 1)  # XOR's step counts as big here
    argv = ["train", "--example", "xor", "--epochs", "2", "--json"]
    assert cli.main(argv) == 0
    assert reruns == [([sys.executable, "-c", cli.RERUN, *argv], "cupy")]
    assert capsys.readouterr().out == ""  # only the run on CuPy reports
    sweep = ["sweep", "--example", "xor", "--vary", "seed=1..2", "--epochs", "1"]
    assert cli.main(sweep) == 0
    assert reruns[-1] == ([sys.executable, "-c", cli.RERUN, *sweep], "cupy")


def test_a_small_step_trains_here_even_with_a_device(monkeypatch, reruns, capsys):
    _device(monkeypatch)
    assert cli.main(["train", "--example", "xor", "--epochs", "2", "--json"]) == 0
    assert reruns == []
    assert json.loads(capsys.readouterr().out)["epochs"] == 2


def test_the_sweeps_work_is_every_variants_step(monkeypatch, reruns, capsys):
    """16 variants of a step just under the threshold together pass it."""
    from core.engine.work import step_work
    from core.files.fileformat import load_design
    from core.training.trainer import Trainer
    from resources import example_path

    design = load_design(example_path("xor"))
    one = step_work(Trainer(design).build.model, design.training.batch_size)
    _device(monkeypatch)
    monkeypatch.setattr(backend, "GPU_WORK", one * 2)
    assert cli.main(["sweep", "--example", "xor", "--vary", "seed=1", "--epochs", "1"]) == 0
    assert reruns == []
    assert cli.main(["sweep", "--example", "xor", "--vary", "seed=1..2", "--epochs", "1"]) == 0
    assert [backend_name for _, backend_name in reruns] == ["cupy"]


def test_the_environment_variable_is_never_overruled(monkeypatch, reruns, capsys):
    _device(monkeypatch)
    monkeypatch.setattr(backend, "GPU_WORK", 1)
    monkeypatch.setenv(backend.ENV_VAR, "numpy")
    assert cli.main(["train", "--example", "xor", "--epochs", "1", "--json"]) == 0
    assert reruns == []
    assert json.loads(capsys.readouterr().out)["backend"].startswith("NumPy")


def test_the_run_again_is_real_and_reports_from_the_chosen_backend(monkeypatch, capfd):
    """An engine loaded on CuPy (a script on a GPU machine) with a small network: the command
    runs again, for real, in a fresh interpreter on NumPy, which prints the result."""
    monkeypatch.delenv(backend.ENV_VAR, raising=False)
    monkeypatch.setattr(backend, "name", "cupy")
    assert cli.main(["train", "--example", "xor", "--epochs", "2", "--json"]) == 0
    result = json.loads(capfd.readouterr().out.strip().splitlines()[-1])
    assert result["epochs"] == 2 and result["backend"].startswith("NumPy")


def test_a_fresh_command_never_loads_cupy_for_a_small_network(tmp_path):
    """A CuPy that says when it is imported: a small network's command never imports it."""
    fake = tmp_path / "cupy"
    fake.mkdir()
    marker = tmp_path / "imported"
    (fake / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n"
                                      "raise ImportError('not a real CuPy')\n")
    env = {k: v for k, v in os.environ.items() if k != backend.ENV_VAR}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(ROOT)])
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "train", "--example", "xor",
                           "--epochs", "1", "--json"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["backend"].startswith("NumPy")
    assert not marker.exists()
    # the same machine asked for CuPy by name does import it (so the marker is a fair witness)
    env[backend.ENV_VAR] = "cupy"
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "train", "--example", "xor",
                           "--epochs", "1", "--json"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0 and "cupy" in done.stderr.lower()
    assert marker.exists()
