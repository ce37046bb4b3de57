"""A comparison kept with the design (core.design.comparison), from the variants a run trained
and back: the record of a run's results, a kept variant's design with its weights (what picking
it takes), and each kept variant's output over the input plane (its decision boundary)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from core.compiler.compile import Build, compile_design
from core.design.comparison import (
    ComparedVariant,
    Comparison,
    history_of,
    limit_problems,
    within_budget,
)
from core.design.design import Design, TrainingState
from core.engine.backend import to_device, to_numpy
from core.training.ensemble import VariantResult
from core.training.probes import Plane
from core.training.variants import variant_design


def comparison_of_results(results: Sequence[VariantResult], epochs: int,
                          labels: Sequence[Mapping[str, Any]] | None = None,
                          states: Sequence[tuple[str, str]] | None = None, *,
                          base: str) -> Comparison:
    """The comparison a run's results make, its weights left out when they are over the
    budget. `labels`: each variant's values as the dialog showed them; `states`: each variant's
    (state, reason) as the view shows it (the results' own by default); `base`: weights_base of
    the design the variants were made from (their weights serve that design only). ValueError
    when it is more than a design keeps (core.design.comparison.limit_problems)."""
    variants = []
    for i, r in enumerate(results):
        state, reason = states[i] if states is not None else (r.state, r.reason)
        variants.append(ComparedVariant(
            dict(labels[i]) if labels is not None else {}, dict(r.changes), state, reason,
            int(r.epoch), int(r.step), history_of(r.history),
            None if r.weights is None else np.asarray(r.weights).reshape(-1)))
    comparison = Comparison(int(epochs), tuple(variants), base)
    problems = limit_problems(comparison)
    if problems:
        raise ValueError("; ".join(problems))
    return within_budget(comparison)


def kept_variant_design(design: Design, comparison: Comparison, index: int) -> Design:
    """The variant's design (the design with its changes) holding its kept weights and where it
    stood (epoch, step, history; its optimizer starts afresh): what picking it takes. ValueError
    when its weights were not kept or no longer fit the design (edited since)."""
    variant = comparison.variants[index]
    if variant.weights is None:
        raise ValueError("its weights were not kept with the design: train it again to pick it")
    if not comparison.weights_fit(design):
        raise ValueError("the design was edited since the comparison (its nodes, wires or data "
                         "set), so the kept weights mean something else: train it again to pick "
                         "it")
    mine = variant_design(design, variant.changes)
    build = compile_design(mine)
    if build.model.size != variant.weights.size:
        raise ValueError(f"its {variant.weights.size} kept weights do not fit the design as it "
                         f"is now ({build.model.size}): train it again to pick it")
    if mine.state.epoch == 0 and mine.state.step == 0:  # as a run starts: the seed's draw
        build.write_back(mine)
        mine.initial_weights = mine.snapshot_weights()
    build.model.load_flat(variant.weights)
    build.write_back(mine)
    mine.state = TrainingState(variant.epoch, variant.step, [dict(h) for h in variant.history])
    return mine


def kept_outputs(design: Design, comparison: Comparison
                 ) -> tuple[Build | None, Plane | None, dict[int, np.ndarray]]:
    """The first variant's build (how outputs become colour), the input plane of a
    two-dimensional data set, and each variant's output over it, (n, n, outputs), for the
    variants whose weights were kept and still fit; (build, None, {}) for other data."""
    builds: dict[str, Build] = {}
    maps: dict[int, np.ndarray] = {}
    fit = comparison.weights_fit(design)
    first: Build | None = None
    plane = points = None
    for index, variant in enumerate(comparison.variants):
        if first is not None and (not fit or variant.weights is None):
            continue  # no boundary to draw: nothing to compile it for
        key = repr(sorted(dict(variant.changes.get("nodes", {})).items()))
        try:
            if key not in builds:
                builds[key] = compile_design(variant_design(design, variant.changes))
        except Exception:  # noqa: BLE001
            continue  # the design edited since: no boundary for this variant
        build = builds[key]
        if first is None:
            first = build
            X = np.asarray(build.data.X)
            if X.ndim != 2 or X.shape[1] != 2:
                return first, None, {}
            plane = Plane.around(X)
            points = plane.points()
        if not fit or variant.weights is None or variant.weights.size != build.model.size:
            continue
        rows = build.feature_rows(points)
        build.model.load_flat(variant.weights)
        out = to_numpy(build.model.forward(to_device(rows, build.model.dtype)))
        maps[index] = out.reshape(plane.size, plane.size, -1)
    return first, plane, maps
