"""The headless command line: help, train, JSON output, and one-line errors with status 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from main import main

ROOT = Path(__file__).resolve().parents[2]
XOR = ROOT / "resources" / "examples" / "xor.ncanvas"


def test_help_names_the_commands_and_the_editor(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "train" in out and "--screenshot" in out


def test_train_prints_json_last_with_the_documented_keys(capsys):
    assert main(["train", str(XOR), "--epochs", "3", "--json", "--quiet"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in ("epochs", "train_loss", "test_loss", "train_accuracy", "test_accuracy",
                "steps_per_second", "backend"):
        assert key in result
    assert result["epochs"] == 3


def test_same_seed_same_result_and_a_new_seed_differs(capsys):
    runs = []
    for seed in (5, 5, 6):
        assert main(["train", str(XOR), "--epochs", "2", "--seed", str(seed), "--json"]) == 0
        runs.append(json.loads(capsys.readouterr().out.strip().splitlines()[-1])["train_loss"])
    assert runs[0] == runs[1] != runs[2]


def test_out_saves_a_design_that_continues_where_it_stopped(capsys, tmp_path):
    out = tmp_path / "trained.ncanvas"
    assert main(["train", str(XOR), "--epochs", "2", "--out", str(out), "--json"]) == 0
    capsys.readouterr()
    assert main(["train", str(out), "--epochs", "4", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["epochs"] == 4 and result["steps"] == 4 * 20


def test_version_prints_the_installed_packages_version(capsys):
    from importlib import metadata

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"neuralcanvas {metadata.version('neuralcanvas')}"


def test_version_in_a_checkout_never_installed_is_pyprojects_marked_so(monkeypatch):
    import tomllib
    from importlib import metadata

    from core import cli

    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(cli.metadata, "version", not_installed)
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert cli.version() == f"{expected} (not installed)"


def test_a_shipped_example_trains_by_name_from_any_folder(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "gui", "train", "--example", "xor", "--json"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["train_accuracy"] == 1.0  # xor's bar: it stops at 100 % accuracy
    assert list(tmp_path.iterdir()) == []  # nothing written where it ran


def test_a_design_and_an_example_together_or_an_unknown_example_are_one_line_errors(capsys):
    for argv, words in ((["train", str(XOR), "--example", "xor"], "not allowed with"),
                        (["train"], "one of the arguments DESIGN --example is required"),
                        (["export", "--example", "nope", "--numpy", "x.py"], "invalid choice: 'nope'")):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        err = capsys.readouterr().err
        assert exited.value.code == 2 and words in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("content, expected", [
    ("{ not json", "line 1"),
    ('{"format": "something-else", "version": 1}', "format"),
])
def test_a_bad_file_is_one_line_on_stderr_and_status_2(tmp_path, content, expected):
    bad = tmp_path / "bad.ncanvas"
    bad.write_text(content)
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "train", str(bad)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "bad.ncanvas" in lines[0] and expected in lines[0]


def test_a_missing_file_and_a_diverging_learning_rate_exit_2(tmp_path, capsys, recwarn):
    assert main(["train", str(tmp_path / "nowhere.ncanvas")]) == 2
    assert "nowhere.ncanvas" in capsys.readouterr().err
    import core

    design = core.load(str(ROOT / "resources" / "examples" / "regression_plane.ncanvas"))
    design.set_training(learning_rate=1e6)
    path = tmp_path / "diverge.ncanvas"
    core.save(design, str(path))
    assert main(["train", str(path), "--epochs", "5"]) == 2
    err = capsys.readouterr().err
    assert "epoch 1" in err and "learning rate" in err and len(err.strip().splitlines()) == 1
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]  # said in words only


def test_a_usage_mistake_is_one_line_and_status_2():
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "train", str(XOR), "--epochs",
                           "abc"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "--epochs" in proc.stderr


CNN = ROOT / "resources" / "examples" / "digits_cnn.ncanvas"


def test_export_writes_each_file_it_is_asked_for(capsys, tmp_path):
    pytest.importorskip("onnx", reason="the export extra is not installed")
    ort = pytest.importorskip("onnxruntime", reason="the export extra is not installed")
    import importlib.util

    import numpy as np

    import core
    from core.compiler.validation import load_cached_dataset

    onnx_path, numpy_path, torch_path = tmp_path / "m.onnx", tmp_path / "m_np.py", tmp_path / "m_t.py"
    assert main(["export", str(CNN), "--onnx", str(onnx_path), "--numpy", str(numpy_path),
                 "--torch", str(torch_path)]) == 0
    out = capsys.readouterr().out
    assert all(f"wrote {p}" in out for p in (onnx_path, numpy_path, torch_path))
    design = core.load(CNN)
    choice = design.dataset
    x = load_cached_dataset(choice.name, dict(choice.params), choice.seed).X[:30]
    expected = core.predict(design, x)
    session = ort.InferenceSession(str(onnx_path))
    got = session.run(None, {session.get_inputs()[0].name: x.astype(np.float32)})[0]
    np.testing.assert_allclose(got, expected, atol=1e-5)
    spec = importlib.util.spec_from_file_location("m_np", numpy_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    np.testing.assert_allclose(module.predict(x), expected, atol=1e-5)
    compile(torch_path.read_text(encoding="utf-8"), str(torch_path), "exec")


def test_export_without_a_target_and_a_bad_design_are_one_line_errors(capsys, tmp_path):
    assert main(["export", str(CNN)]) == 2
    assert "--onnx OUT.onnx" in capsys.readouterr().err
    bad = tmp_path / "bad.ncanvas"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["export", str(bad), "--numpy", str(tmp_path / "x.py")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.py").exists()


def test_import_saves_an_onnx_model_as_a_design_that_computes_the_same(capsys, tmp_path):
    pytest.importorskip("onnx", reason="the export extra is not installed")
    import numpy as np

    import core
    from core.compiler.validation import load_cached_dataset

    onnx_path, design_path = tmp_path / "m.onnx", tmp_path / "back.ncanvas"
    assert main(["export", str(CNN), "--onnx", str(onnx_path)]) == 0
    assert main(["import", str(onnx_path), "--out", str(design_path)]) == 0
    assert f"wrote {design_path}" in capsys.readouterr().out
    original, back = core.load(CNN), core.load(design_path)
    choice = original.dataset
    x = load_cached_dataset(choice.name, dict(choice.params), choice.seed).X[:30]
    np.testing.assert_allclose(core.predict(back, x), core.predict(original, x), atol=1e-5)
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x00\x01 not a model")
    assert main(["import", str(garbage), "--out", str(tmp_path / "g.ncanvas")]) == 2
    assert "garbage.onnx" in capsys.readouterr().err and not (tmp_path / "g.ncanvas").exists()


def test_a_run_that_diverges_with_out_saves_the_weights_from_before_the_bad_step(tmp_path, capsys):
    import numpy as np

    import core
    from core.training.trainer import Trainer

    start, out = tmp_path / "start.ncanvas", tmp_path / "out.ncanvas"
    assert main(["train", str(ROOT / "resources" / "examples" / "regression_plane.ncanvas"),
                 "--epochs", "3", "--out", str(start), "--quiet"]) == 0
    design = core.load(str(start))
    design.set_training(learning_rate=1e6)  # from here on, the run diverges
    core.save(design, str(start))
    capsys.readouterr()
    assert main(["train", str(start), "--epochs", "10", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "learning rate" in err and str(out) in err and len(err.strip().splitlines()) == 1
    saved = core.load(str(out))
    assert saved.state.epoch >= 3 and len(saved.state.history) == saved.state.epoch
    assert saved.state.step > design.state.step  # the steps before the bad one are in it
    # exactly the weights of the run up to the step before the bad one
    again = Trainer(core.load(str(start)))
    for _ in range(saved.state.step - design.state.step):
        again.step()
    again.write_back()
    kept, redone = saved.snapshot_weights(), again.design.snapshot_weights()
    assert kept["connections"] == redone["connections"]
    assert all(np.isfinite(w) for w in kept["connections"].values())
