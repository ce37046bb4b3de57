"""What the ensemble tests share: each variant trained alone by a Trainer, and the comparison of a
variant's weights and history with that single run at the dtype's tolerance."""

from __future__ import annotations

import numpy as np

from core.design.errors import TrainingError
from core.engine.backend import to_numpy
from core.training.ensemble import VariantTrainer
from core.training.trainer import Trainer
from core.training.variants import variant_design

# float32: every weight and loss within 1e-6 of the single run; float64: within 1e-12
TOLERANCE = {"float32": 1e-6, "float64": 1e-12}


def alone(design, variant, epochs=None):
    """The variant's design trained by itself: (trainer, the TrainingError that stopped it)."""
    trainer = Trainer(variant_design(design, variant))
    try:
        trainer.train(epochs)
    except TrainingError as error:
        return trainer, error
    return trainer, None


def together(design, variants, epochs=None):
    """All variants trained by one VariantTrainer; (trainer, every progress report)."""
    trainer = VariantTrainer(design, variants)
    reports = list(trainer.run(epochs))
    return trainer, reports


def assert_same_run(result, single: Trainer, dtype: str) -> None:
    """A variant's weights and loss history equal its single run's, within the dtype's tolerance."""
    tol = TOLERANCE[dtype]
    expected = to_numpy(single.model.flat)
    assert result.weights.shape == expected.shape
    np.testing.assert_allclose(result.weights, expected, rtol=tol, atol=tol)
    assert len(result.history) == len(single.history) > 0
    for got, want in zip(result.history, single.history, strict=True):
        assert got.epoch == want["epoch"]
        for name in ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "train_r2",
                     "test_r2", "learning_rate"):
            a, b = getattr(got, name), want[name]
            if b is None:
                assert a is None, name
            else:
                np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=name)
