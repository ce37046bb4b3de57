"""The boundary panel's colours in NumPy: the network's output or a neuron's map over the plane,
turned into an RGB image through colour tables made once per palette."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gui.panels.plot_style import HEAT_STRENGTH, LUT_SIZE, PlotColours

VALUE_BANDS = 10  # a discretized regression output: this many bands of equal width


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _indices(fractions: np.ndarray) -> np.ndarray:
    """0..1 → rows of a colour table."""
    return np.clip(np.rint(fractions * (LUT_SIZE - 1)), 0, LUT_SIZE - 1).astype(np.intp)


@dataclass(frozen=True)
class ColourTables:
    """The palette's colour tables, made once (and again when light ↔ dark changes)."""

    diverging: np.ndarray  # (LUT_SIZE, 3) uint8: class 0 … background … class 1
    values: np.ndarray  # (LUT_SIZE, 3) uint8: a colour map for predicted values
    classes: np.ndarray  # (8, 3) float: one colour per class
    background: np.ndarray  # (3,) float

    @classmethod
    def from_colours(cls, colours: PlotColours) -> ColourTables:
        return cls(colours.diverging_table(), colours.value_table(), colours.classes,
                   colours.background_rgb)


@dataclass(frozen=True)
class OutputColouring:
    """How one trained network's output becomes colour: the two sides of a binary threshold,
    one colour per class shaded by confidence, or a predicted value on a colour map."""

    kind: str  # "binary" | "classes" | "value"
    num_classes: int = 0
    threshold: float = 0.5
    half_range: float | None = 0.5  # output units from the threshold to a sure class; None: a logit
    probabilities: bool = True  # several outputs that already sum to one (a softmax)
    value_range: tuple[float, float] = (0.0, 1.0)  # regression: the targets' range

    @classmethod
    def of(cls, build) -> OutputColouring:
        """The colouring for a compiled build (core.compiler.compile.Build) and its data."""
        data = build.data
        if build.task == "regression":
            y = np.asarray(data.y, dtype=np.float64).reshape(len(data.y), -1)[:, 0]
            lo, hi = (float(y.min()), float(y.max())) if len(y) else (0.0, 1.0)
            return cls("value", value_range=(lo, hi) if hi > lo else (lo - 1.0, lo + 1.0))
        k = max(int(data.num_classes), 2)
        softmax = build.model.output_activation == "softmax"
        if k > 2:
            return cls("classes", num_classes=k, probabilities=softmax)
        threshold = float(build.threshold())
        lo, hi = getattr(build.loss, "binary_targets", (0.0, 1.0))
        half = abs(hi - lo) / 2 if abs((lo + hi) / 2 - threshold) < 1e-9 else None
        return cls("binary", num_classes=2, threshold=threshold, half_range=half or None,
                   probabilities=softmax)

    def rgb(self, output: np.ndarray, tables: ColourTables, discrete: bool) -> np.ndarray:
        """(n, n, outputs) output over the plane → (n, n, 3) uint8 (a value that is not finite,
        from a run that diverged, shows as the middle of the scale)."""
        output = np.nan_to_num(output, nan=0.0, posinf=1e6, neginf=-1e6)
        if self.kind == "value":
            return self._value(output[..., 0], tables, discrete)
        if self.kind == "classes":
            return self._classes(output, tables, discrete)
        return self._binary(output, tables, discrete)

    def _binary(self, output: np.ndarray, tables: ColourTables, discrete: bool) -> np.ndarray:
        if output.shape[-1] >= 2:  # two outputs: how much more likely class 1 is than class 0
            p = output[..., :2] if self.probabilities else _softmax(output[..., :2])
            p = p / np.maximum(p.sum(axis=-1, keepdims=True), 1e-12)
            side = p[..., 1] - p[..., 0]
        elif self.half_range is None:  # a logit: as the sigmoid sees it, from −1 to 1
            side = np.tanh((output[..., 0] - self.threshold) / 2)
        else:
            side = np.clip((output[..., 0] - self.threshold) / self.half_range, -1.0, 1.0)
        if discrete:
            side = np.where(side > 0, 1.0, -1.0)
        return tables.diverging[_indices((side + 1) / 2)]

    def _classes(self, output: np.ndarray, tables: ColourTables, discrete: bool) -> np.ndarray:
        k = output.shape[-1]
        p = output if self.probabilities else _softmax(output)
        winner = p.argmax(axis=-1)
        if discrete:
            strength = np.full(winner.shape, HEAT_STRENGTH)
        else:  # from even odds (background) to certainty (the class colour at full strength)
            sure = np.clip((p.max(axis=-1) - 1 / k) / (1 - 1 / k), 0.0, 1.0)
            strength = sure * HEAT_STRENGTH
        colour = tables.classes[winner % len(tables.classes)]
        mixed = tables.background + (colour - tables.background) * strength[..., None]
        return np.rint(mixed).astype(np.uint8)

    def _value(self, value: np.ndarray, tables: ColourTables, discrete: bool) -> np.ndarray:
        lo, hi = self.value_range
        fraction = np.clip((value - lo) / (hi - lo), 0.0, 1.0)
        if discrete:
            fraction = (np.minimum(np.floor(fraction * VALUE_BANDS), VALUE_BANDS - 1) + 0.5) / VALUE_BANDS
        return tables.values[_indices(fraction)]

    def fractions(self, y: np.ndarray) -> np.ndarray:
        """Regression targets scaled to 0..1 as the colour map places them."""
        lo, hi = self.value_range
        return np.clip((np.asarray(y, dtype=np.float64) - lo) / (hi - lo), 0.0, 1.0)


def neuron_rgb(values: np.ndarray, tables: ColourTables, discrete: bool) -> np.ndarray:
    """One neuron's activation over the plane → (n, n, 3) uint8: its sign by colour (class 1's
    for positive), its size by strength, scaled to the map's largest magnitude."""
    values = np.nan_to_num(values, nan=0.0, posinf=1e6, neginf=-1e6)
    scale = max(float(np.abs(values).max()) if values.size else 0.0, 1e-9)
    side = values / scale
    if discrete:
        side = np.where(side > 0, 1.0, -1.0)
    return tables.diverging[_indices((side + 1) / 2)]
