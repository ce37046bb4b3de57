"""The headless command line: help, train, JSON output, and one-line errors with status 2."""

from __future__ import annotations

import json
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


def test_a_missing_file_and_a_diverging_learning_rate_exit_2(tmp_path, capsys):
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


def test_a_usage_mistake_is_one_line_and_status_2():
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "train", str(XOR), "--epochs",
                           "abc"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "--epochs" in proc.stderr
