"""`sweep` end to end: a table ranked by test loss, JSON lines equal to the ensemble engine's
results and to each variant trained alone, a diverging rate marked while the others finish, a
progress bar only on a terminal, and bad input refused with one line and status 2."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.files.fileformat import load_design
from core.training.ensemble import VariantTrainer
from core.training.grid import expand, parse_grid, sweep_design
from core.training.trainer import Trainer
from core.training.variants import variant_design

ROOT = Path(__file__).resolve().parents[2]
XOR = ROOT / "resources" / "examples" / "xor.ncanvas"
GRID = ["learning_rate=0.01,0.1", "seed=1..2"]


def sweep(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "sweep", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def varied(grid: list[str]) -> list[str]:
    return [part for spec in grid for part in ("--vary", spec)]


@pytest.fixture(scope="module")
def json_rows() -> list[dict]:
    proc = sweep(str(XOR), *varied(GRID), "--epochs", "4", "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # not a terminal: no bar
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_the_table_has_a_row_per_variant_ranked_by_test_loss():
    proc = sweep(str(XOR), *varied(GRID), "--epochs", "4")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["#", "learning_rate", "seed", "train", "loss", "test", "loss",
                                "test", "acc", "epochs", "state"]
    rows = [line.split() for line in lines[1:5]]
    assert sorted((r[1], r[2]) for r in rows) == [("0.01", "1"), ("0.01", "2"), ("0.1", "1"),
                                                  ("0.1", "2")]
    test_losses = [float(r[4]) for r in rows]
    assert test_losses == sorted(test_losses)
    assert all(r[6] == "4" and r[7] == "finished" for r in rows if r[1] == "0.01")
    assert all(r[5].endswith("%") for r in rows)
    assert lines[5].startswith("4 variants in 1 batched group")
    assert len(lines) == 6


def test_json_lines_are_the_ensemble_engines_results(json_rows):
    assert len(json_rows) == 4
    design = load_design(XOR)
    axes = parse_grid(GRID, design)
    trainer = VariantTrainer(sweep_design(design, axes), expand(axes))
    list(trainer.run(4))
    for row in json_rows:
        result = trainer.result(row["index"])
        assert row["changes"] == result.changes == expand(axes)[row["index"]]
        assert row["values"] == {"learning_rate": result.changes["learning_rate"],
                                 "seed": result.changes["seed"]}
        last = result.history[-1]
        assert (row["train_loss"], row["test_loss"], row["test_accuracy"]) == (
            last.train_loss, last.test_loss, last.test_accuracy)
        assert (row["epochs"], row["steps"]) == (result.epoch, result.step)
    losses = [row["test_loss"] for row in json_rows]
    assert losses == sorted(losses)


def test_each_variant_equals_the_design_trained_alone(json_rows):
    design = load_design(XOR)
    for row in json_rows:
        single = Trainer(variant_design(design, row["changes"]))
        single.train(4)
        metrics = single.evaluate()
        assert single.epoch == row["epochs"]
        np.testing.assert_allclose(row["train_loss"], metrics.train_loss, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(row["test_loss"], metrics.test_loss, rtol=1e-6, atol=1e-6)
        assert row["test_accuracy"] == pytest.approx(metrics.test_accuracy, abs=1e-9)


def test_a_varied_seed_draws_fresh_weights_as_train_seed_does(tmp_path):
    trained = tmp_path / "trained.ncanvas"
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "train", str(XOR), "--epochs",
                           "2", "--out", str(trained), "--quiet"], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    swept = sweep(str(trained), "--vary", "seed=3,4", "--epochs", "3", "--json")
    assert swept.returncode == 0, swept.stderr
    rows = {row["values"]["seed"]: row for row in map(json.loads, swept.stdout.splitlines())}
    for seed in (3, 4):
        alone = subprocess.run([sys.executable, str(ROOT / "main.py"), "train", str(trained),
                                "--seed", str(seed), "--epochs", "3", "--json", "--quiet"],
                               capture_output=True, text=True, timeout=300,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
        single = json.loads(alone.stdout.splitlines()[-1])
        assert rows[seed]["epochs"] == single["epochs"] == 3
        np.testing.assert_allclose(rows[seed]["train_loss"], single["train_loss"], rtol=1e-6)
    assert rows[3]["train_loss"] != rows[4]["train_loss"]


def test_a_diverging_rate_is_marked_and_ranked_last_while_the_others_finish():
    proc = sweep("--example", "xor", "--vary", "learning_rate=0.05,1e38,0.1",
                 "--vary", "optimizer=sgd", "--epochs", "3", "--json", cwd=Path("/"))
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [row["values"]["learning_rate"] for row in rows][-1] == 1e38
    diverged = rows[-1]
    assert diverged["state"] == "diverged"
    assert "Try a lower learning rate" in diverged["reason"] and "epoch 1" in diverged["reason"]
    assert all(row["state"] == "finished" and row["epochs"] == 3 for row in rows[:2])
    table = sweep("--example", "xor", "--vary", "learning_rate=0.05,1e38",
                  "--vary", "optimizer=sgd", "--epochs", "3")
    last = table.stdout.splitlines()[2]
    assert "1e+38" in last and "diverged: the loss became nan at epoch 1" in last


@pytest.mark.parametrize(("args", "words"), [
    (["--vary", "lr=0.1"], "cannot vary 'lr=0.1': unknown setting 'lr'"),
    (["--vary", "zz.activation=relu"], "the design has no node 'zz'"),
    (["--vary", "learning_rate=fast"], "'fast' is not a number"),
    (["--vary", "seed=5..1"], "the range 5..1 is empty"),
    (["--vary", "seed=0..99", "--vary", "learning_rate=1e-4..1:log11"],
     "holds 1100 variants, more than the 1000 allowed"),
    (["--vary", "seed=1", "--epochs", "0"], "--epochs 0 must be 1 or more"),
    (["--vary", "i1.feature=x1,bogus"], "the data set has no feature 'bogus'"),
    ([], "the following arguments are required: --vary"),
])
def test_bad_input_is_one_line_and_status_2(args, words):
    proc = sweep(str(XOR), *args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: ")
    assert words in proc.stderr


def test_sweep_runs_headless_without_loading_qt():
    code = ("import sys; from gui.launch import main; "
            f"status = main(['sweep', {str(XOR)!r}, '--vary', 'seed=1,2', '--epochs', '1', "
            "'--json']); print('qt' if 'PySide6' in sys.modules else 'no qt', status)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "no qt 0"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_on_a_terminal_only_and_never_on_stdout(monkeypatch, capsys):
    from core import cli

    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert cli.main(["sweep", str(XOR), "--vary", "learning_rate=0.01,0.1", "--epochs", "3",
                     "--json"]) == 0
    bar = terminal.getvalue()
    assert bar.count("\r") == 3 and bar.endswith("\n")
    assert "3/3 group-epochs · 2 of 2 training · 0 diverged · best loss" in bar
    assert [json.loads(line)["epochs"] for line in capsys.readouterr().out.splitlines()] == [3, 3]
    quiet = _Terminal()
    monkeypatch.setattr(sys, "stderr", quiet)
    assert cli.main(["sweep", str(XOR), "--vary", "seed=1", "--epochs", "1", "--quiet"]) == 0
    assert quiet.getvalue() == ""


def test_a_reader_that_stops_reading_ends_it_quietly():
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "sweep", str(XOR), "--vary",
                             "seed=1,2", "--epochs", "1", "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    proc.stdout.close()  # as `| head -0` does, before a line is written
    stderr = proc.stderr.read()
    assert proc.wait(timeout=300) == 1
    assert stderr == ""


def test_the_readmes_example_table_is_what_the_command_prints():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Compare variants from the command line"):]
    command = section.split("```sh\n")[1].split("\n")[0]
    shown = section.split("```\n#")[1].split("```")[0]
    expected = ("#" + shown).splitlines()[:-1]  # the last line's time and NumPy version vary
    args = command.split()[2:]  # after `neuralcanvas sweep`
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "sweep", *args],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "NCANVAS_BACKEND": "numpy"})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:-1] == expected
    assert lines[-1].startswith("6 variants in 1 batched group, ")


def test_every_command_of_the_command_line_runs_headless():
    """`main.py sweep` alone opened the window (and took "sweep" for a design's file name): each
    command the command line has is one the launcher hands over without loading Qt."""
    import argparse

    from core import cli
    from gui.launch import HEADLESS_COMMANDS

    parser = cli.parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) <= HEADLESS_COMMANDS
