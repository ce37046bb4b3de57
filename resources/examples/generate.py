"""Writes the example designs of resources/examples/ (run: python resources/examples/generate.py)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from core.design.design import Design, layered_positions  # noqa: E402
from core.files.fileformat import save_design  # noqa: E402

EPOCHS_SINE = 5


def neuron_network(features, hidden, outputs, hidden_activation, output_activation) -> Design:
    """Input nodes, fully connected columns of hidden neurons, and a column of output neurons."""
    design = Design()
    columns = [[design.add_node("input", {"feature": f}).id for f in features]]  # shown as x1², sin x1
    for width in hidden:
        columns.append([design.add_node("neuron", {"activation": hidden_activation}).id
                        for _ in range(width)])
    columns.append([design.add_node("neuron", {"activation": output_activation}).id
                    for _ in range(outputs)])
    for previous, current in zip(columns, columns[1:], strict=False):
        for source in previous:
            for target in current:
                design.add_connection(source, target)
    for node_id, position in layered_positions(columns).items():
        design.move_node(node_id, position)
    return design


def cricket_perceptron() -> Design:
    """The perceptron on the whiteboard: go to the match if 4·weather + 2·music + 2·company +
    1·money reaches the threshold 25 (scores 3, 2, 4, 2 give 26: go)."""
    design = Design()
    features = ("weather", "music", "company", "money")
    inputs = [design.add_node("input", {"feature": f}, label=f).id for f in features]
    go = design.add_node("neuron", {"activation": "step", "bias": -25.0, "initializer": "zeros"},
                         label="go?")
    for node_id, weight in zip(inputs, (4.0, 2.0, 2.0, 1.0), strict=True):
        design.add_connection(node_id, go.id, weight=weight)
    for node_id, position in layered_positions([inputs, [go.id]]).items():
        design.move_node(node_id, position)
    design.set_dataset("cricket")
    design.set_training(loss="mse", optimizer="sgd", learning_rate=1.0, batch_size=1, epochs=10,
                        test_fraction=0.2, target_accuracy=1.0)
    return design


def xor() -> Design:
    design = neuron_network(("x1", "x2"), [4], 1, "relu", "sigmoid")
    design.set_dataset("xor", {"n": 400, "noise": 0.0})
    design.set_training(loss="binary_cross_entropy", optimizer="adam", learning_rate=0.1,
                        batch_size=10, epochs=100, test_fraction=0.5, target_accuracy=1.0)
    return design


def circle() -> Design:
    design = neuron_network(("x1", "x2"), [5], 1, "tanh", "sigmoid")
    design.set_dataset("circle", {"n": 400, "noise": 0.05})
    design.set_training(loss="binary_cross_entropy", optimizer="adam", learning_rate=0.03,
                        batch_size=10, epochs=150, test_fraction=0.5)
    return design


def spiral() -> Design:
    features = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
    design = neuron_network(features, [8, 8, 8], 2, "tanh", "softmax")
    design.set_dataset("spiral", {"n": 600, "noise": 0.0})
    design.set_training(loss="softmax_cross_entropy", optimizer="adam", learning_rate=0.01,
                        batch_size=10, epochs=400, test_fraction=0.3)
    return design


def regression_plane() -> Design:
    design = neuron_network(("x1", "x2"), [], 1, "identity", "identity")
    design.set_dataset("plane", {"n": 400, "noise": 0.05})
    design.set_training(loss="mse", optimizer="sgd", learning_rate=0.01, batch_size=10, epochs=40,
                        test_fraction=0.5)
    return design


def digits_mlp() -> Design:
    design = Design()
    data = design.add_node("data", position=(0, 0), label="8×8 pixels")
    hidden = design.add_node("dense", {"units": 64, "activation": "relu"}, position=(200, 0))
    out = design.add_node("dense", {"units": 10, "activation": "softmax"}, position=(400, 0))
    design.add_connection(data.id, hidden.id)
    design.add_connection(hidden.id, out.id)
    design.set_dataset("digits")
    design.set_training(loss="softmax_cross_entropy", optimizer="adam", learning_rate=0.003,
                        batch_size=32, epochs=30, test_fraction=0.25)
    return design


def digits_cnn() -> Design:
    """The 8×8 digits as images: 16 3×3 filters, max pooling, then one Dense softmax layer."""
    design = Design()
    chain = [
        design.add_node("data", position=(0, 0), label="8×8 pixels"),
        design.add_node("reshape", {"shape": "8,8,1"}, position=(200, 0), label="as an image"),
        design.add_node("conv2d", {"filters": 16, "kernel_size": 3, "padding": "same",
                                   "activation": "relu"}, position=(400, 0)),
        design.add_node("max_pool2d", {"pool_size": 2, "strides": 0}, position=(600, 0)),
        design.add_node("flatten", {}, position=(800, 0)),
        design.add_node("dense", {"units": 10, "activation": "softmax"}, position=(1000, 0)),
    ]
    for source, target in zip(chain, chain[1:], strict=False):
        design.add_connection(source.id, target.id)
    design.set_dataset("digits")
    design.set_training(loss="softmax_cross_entropy", optimizer="adam", learning_rate=0.003,
                        batch_size=64, epochs=20, test_fraction=0.25)
    return design


def sine_recurrent(kind: str) -> Design:
    """Next-value prediction of a noisy sine wave: 20 values as a sequence, a recurrent block of 32
    units, and one linear output."""
    design = Design()
    chain = [
        design.add_node("data", position=(0, 0), label="20 values"),
        design.add_node("reshape", {"shape": "20,1"}, position=(200, 0), label="as a sequence"),
        design.add_node(kind, {"units": 32, "return_sequences": False}, position=(400, 0)),
        design.add_node("dense", {"units": 1, "activation": "identity"}, position=(600, 0),
                        label="next value"),
    ]
    for source, target in zip(chain, chain[1:], strict=False):
        design.add_connection(source.id, target.id)
    design.set_dataset("sine", {"n": 1000, "window": 20, "noise": 0.05, "period": 20.0})
    design.set_training(loss="mse", optimizer="adam", learning_rate=0.01, batch_size=32,
                        epochs=EPOCHS_SINE, test_fraction=0.25)
    return design


def sine_lstm() -> Design:
    return sine_recurrent("lstm")


def sine_gru() -> Design:
    return sine_recurrent("gru")


def digits_autoencoder() -> Design:
    """The digits squeezed through two numbers and drawn again: 64 → 32 → 2 → 32 → 64."""
    design = Design()
    chain = [design.add_node("data", position=(0, 0), label="8×8 pixels")]
    for k, (units, activation, label) in enumerate(((32, "relu", "encoder"),
                                                    (2, "identity", "the code"),
                                                    (32, "relu", "decoder"),
                                                    (64, "sigmoid", "drawn again"))):
        chain.append(design.add_node("dense", {"units": units, "activation": activation},
                                     position=(220 * (k + 1), 0), label=label))
    for source, target in zip(chain, chain[1:], strict=False):
        design.add_connection(source.id, target.id)
    design.set_dataset("digits_itself")
    design.set_training(loss="mse", optimizer="adam", learning_rate=0.003, batch_size=32,
                        epochs=40, test_fraction=0.25)
    return design


EXAMPLES = {
    "cricket_perceptron": cricket_perceptron,
    "xor": xor,
    "circle": circle,
    "spiral": spiral,
    "regression_plane": regression_plane,
    "digits_mlp": digits_mlp,
    "digits_cnn": digits_cnn,
    "digits_autoencoder": digits_autoencoder,
    "sine_lstm": sine_lstm,
    "sine_gru": sine_gru,
}


def main() -> None:
    for name, make in EXAMPLES.items():
        save_design(make(), HERE / f"{name}.ncanvas")
        print(f"wrote {name}.ncanvas")


if __name__ == "__main__":
    main()
