"""The public scripting API: load, build, train, predict, save.

    import core
    design = core.load("resources/examples/xor.ncanvas")
    metrics = core.train(design, epochs=300)
    print(metrics.test_accuracy, core.predict(design, [[0.5, -0.5]]))
    core.save(design, "xor-trained.ncanvas")
"""

from __future__ import annotations

from typing import Any

__all__ = ["Design", "build", "load", "predict", "save", "train"]


def __getattr__(name: str) -> Any:
    if name == "Design":
        from core.design.design import Design  # `import core` stays light: each call loads what it needs

        return Design
    raise AttributeError(name)


def load(path: str):
    """Read a .ncanvas design (FileFormatError names the JSON path of any problem)."""
    from core.files.fileformat import load_design  # `import core` stays light: each call loads what it needs

    return load_design(path)


def save(design, path: str, weights: bool = True) -> None:
    """Write a design atomically, with its weights and training state unless weights=False."""
    from core.files.fileformat import save_design  # `import core` stays light: each call loads what it needs

    save_design(design, path, weights=weights, state=weights)


def build(design, dtype: str | None = None):
    """Compile a design into a Trainer (DesignError lists every problem)."""
    from core.training.trainer import Trainer  # `import core` stays light: each call loads what it needs

    return Trainer(design, dtype=dtype)


def train(design, epochs: int | None = None, dtype: str | None = None):
    """Train to `epochs` epochs in all (the design's setting by default); the weights, history and
    optimizer state are written back into the design. Returns the last epoch's metrics."""
    trainer = build(design, dtype)
    try:
        trainer.train(epochs)
    finally:
        trainer.write_back()
    return trainer.evaluate()  # of the weights kept (early stopping may go back to the best)


def predict(design, X: Any):
    """The network's outputs for raw data rows (a 2-D array: one row per sample, one column per
    data-set feature), as a NumPy array; class probabilities for a softmax or sigmoid output."""
    import numpy as np  # `import core` stays light: each call loads what it needs

    from core.compiler.compile import compile_design
    from core.engine.backend import to_device, to_numpy

    built = compile_design(design)
    rows = built.feature_rows(np.atleast_2d(np.asarray(X, dtype=np.float64)))
    return to_numpy(built.model.forward(to_device(rows, built.model.dtype)))
