"""Every example design trains to its bar through the command line, within its stated epochs."""

from __future__ import annotations

import json

import numpy as np
import pytest

import core
from main import main
from tests.core.example_designs import EXAMPLES

# name: (epochs allowed, what must hold of the JSON result)
BARS = {
    "cricket_perceptron": (10, lambda r: r["train_accuracy"] == 1.0 and r["test_accuracy"] == 1.0),
    "xor": (100, lambda r: r["train_accuracy"] == 1.0 and r["test_accuracy"] == 1.0),
    "circle": (150, lambda r: r["test_accuracy"] >= 0.95),
    "spiral": (400, lambda r: r["test_accuracy"] >= 0.95),
    "regression_plane": (40, lambda r: r["test_r2"] >= 0.95 and r["train_accuracy"] is None),
    "digits_mlp": (30, lambda r: r["test_accuracy"] >= 0.95),
    "digits_cnn": (20, lambda r: r["test_accuracy"] >= 0.97),
    "digits_autoencoder": (40, lambda r: r["test_r2"] >= 0.35),
    # the mse loss is half the mean squared error; the noise (σ 0.05) alone gives about 0.00125
    "sine_lstm": (5, lambda r: r["test_loss"] <= 0.005 and r["test_r2"] >= 0.98),
    "sine_gru": (5, lambda r: r["test_loss"] <= 0.005 and r["test_r2"] >= 0.98),
}


def train_json(capsys, *args: str) -> dict:
    assert main(["train", *args, "--json", "--quiet"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.mark.parametrize("name", sorted(BARS))
def test_example_trains_to_its_bar(name, capsys, tmp_path):
    epochs, bar = BARS[name]
    out = tmp_path / f"{name}.ncanvas"
    result = train_json(capsys, str(EXAMPLES / f"{name}.ncanvas"), "--epochs", str(epochs),
                        "--out", str(out))
    assert result["epochs"] <= epochs
    assert bar(result), result
    assert result["backend"].startswith(("NumPy", "CuPy"))
    assert result["steps_per_second"] > 0
    # the trained design reopens with its weights and history
    trained = core.load(str(out))
    assert trained.state.epoch == result["epochs"]
    assert trained.state.history[-1]["train_loss"] == pytest.approx(result["train_loss"])


def test_every_example_has_a_bar():
    assert {p.stem for p in EXAMPLES.glob("*.ncanvas")} == set(BARS)


def test_cricket_perceptron_decides_like_the_whiteboard():
    design = core.load(str(EXAMPLES / "cricket_perceptron.ncanvas"))
    weights = sorted(c.weight for c in design.connections.values())
    assert weights == [1.0, 2.0, 2.0, 4.0]
    # 4·3 + 2·2 + 2·4 + 1·2 = 26 ≥ 25: go; 4·2 + 2·2 + 2·2 + 1·2 = 18 < 25: stay
    go, stay = core.predict(design, [[3, 2, 4, 2], [2, 2, 2, 2]])[:, 0]
    assert (go, stay) == (1.0, 0.0)


def test_spiral_example_is_three_hidden_layers_of_eight_tanh_neurons():
    design = core.load(str(EXAMPLES / "spiral.ncanvas"))
    hidden = [n for n in design.nodes.values()
              if n.kind == "neuron" and n.params["activation"] == "tanh"]
    assert len(hidden) == 24
    assert np.all([n.kind in ("input", "neuron") for n in design.nodes.values()])
