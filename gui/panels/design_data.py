"""The open design's data set as the views read it before anything has trained (which panel
comes forward, which note or metric a panel shows for a design just opened)."""

from __future__ import annotations

from core.compiler.validation import load_cached_dataset
from core.data.datasets import Dataset
from core.design.errors import NeuralCanvasError


def design_data(design) -> Dataset | None:
    """The data set the design trains on (cached), or None when it cannot be read."""
    choice = design.dataset
    try:
        return load_cached_dataset(choice.name, dict(choice.params), choice.seed)
    except NeuralCanvasError:
        return None


def is_planar(data: Dataset | None) -> bool:
    """Two inputs: the decision boundary and the neurons' maps can be drawn over a plane."""
    return data is not None and data.X.ndim == 2 and data.X.shape[1] == 2
