"""The "comparison" section of a .ncanvas file: written from core.design.comparison, read back
with every limit checked (how many variants, epochs of history and bytes of weights a file may
hold, each before anything the size of them is made) and each variant's weights checked against
the variant's own model."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from pydantic import ValidationError

from core.compiler.memory import parameter_count
from core.compiler.validation import check_design, errors_only
from core.design.comparison import (
    MAX_HISTORY,
    MAX_VARIANTS,
    WEIGHTS_BUDGET,
    ComparedVariant,
    Comparison,
    changed_design,
)
from core.design.design import Design, TrainingSettings
from core.design.errors import Problem, shown
from core.files.json_values import (
    Where,
    decode_array,
    encode_array,
    json_path,
    plain_json,
    schema_problems,
)
from core.files.schema import ComparisonModel, TrainingModel

HERE = ("comparison",)
_SETTINGS = tuple(f.name for f in fields(TrainingSettings))
_ITEMSIZE = {"float32": 4, "float64": 8}


# ===================================================================== writing
def comparison_raw(design: Design, comparison: Comparison, weights: bool,
                   problems: list[Problem]) -> dict[str, Any]:
    """The file form of the design's comparison. A variant's weights are written while they fit
    the variant of the design as it is (the design edited since the comparison: they do not, and
    picking that variant needs training again), so that the file always opens again."""
    weights = weights and comparison.weights_fit(design)  # for the design as it is now, or none
    sizes = _sizes(design, [v.changes for v in comparison.variants]) if weights else {}
    variants = []
    for i, v in enumerate(comparison.variants):
        where = (*HERE, "variants", i)
        entry = plain_json({"labels": v.labels, "changes": v.changes, "state": v.state,
                            "reason": v.reason, "epoch": v.epoch, "step": v.step}, where, problems)
        # a loss may be NaN or infinite (a variant that diverged); json writes and reads it back
        entry["history"] = plain_json(list(v.history), (*where, "history"), problems,
                                      allow_nan=True)
        w = v.weights
        fits = w is not None and isinstance(sizes.get(i), int) and w.shape == (sizes[i],) \
            and w.dtype.name == _dtype(design, v.changes)
        entry["weights"] = encode_array(w, (*where, "weights"), problems) if fits else None
        variants.append(entry)
    return {"epochs": plain_json(comparison.epochs, (*HERE, "epochs"), problems),
            "base": comparison.base, "variants": variants}


# ===================================================================== reading
def comparison_limit_problems(data: Mapping[str, Any]) -> list[Problem]:
    """What makes a file's comparison too big to read, from the parsed JSON before the schema
    makes anything of it: too many variants, too many epochs of history, too many bytes of
    weights (by their shapes and by the length of their text)."""
    section = data.get("comparison")
    if not isinstance(section, dict) or not isinstance(section.get("variants"), list):
        return []  # nothing big, or the schema says what is wrong
    variants = section["variants"]
    where = json_path(*HERE, "variants")
    if len(variants) > MAX_VARIANTS:
        return [Problem(f"{len(variants)} variants are more than the {MAX_VARIANTS} a file may "
                        f"hold", path=where)]
    epochs = sum(len(v["history"]) for v in variants
                 if isinstance(v, dict) and isinstance(v.get("history"), list))
    problems = []
    if epochs > MAX_HISTORY:
        problems.append(Problem(f"{epochs} epochs of history in all are more than the "
                                f"{MAX_HISTORY} a file may hold", path=where))
    declared = text = 0
    for v in variants:
        w = v.get("weights") if isinstance(v, dict) else None
        if not isinstance(w, dict):
            continue
        shape, data_text, dtype = w.get("shape"), w.get("data"), w.get("dtype")
        # one dimension (the schema allows no other): a long list is never multiplied out, and a
        # size past the budget is counted as just past it (no huge integers, no float overflow)
        if isinstance(shape, list) and len(shape) == 1 and isinstance(shape[0], int) \
                and not isinstance(shape[0], bool) and shape[0] >= 0:
            size = min(shape[0], WEIGHTS_BUDGET + 1)
            declared += size * (_ITEMSIZE.get(dtype, 8) if isinstance(dtype, str) else 8)
        if isinstance(data_text, str):  # base64: 3 bytes per 4 characters, less the padding
            text += len(data_text) * 3 // 4 - data_text[-2:].count("=")
    if max(declared, text) > WEIGHTS_BUDGET:
        problems.append(Problem(
            f"the variants' weights take more than the {WEIGHTS_BUDGET // 2**20} MiB a file may "
            f"hold", path=json_path(*HERE)))
    return problems


def comparison_of(design: Design, model: ComparisonModel,
                  problems: list[Problem]) -> Comparison | None:
    """The comparison a checked file section describes, for the design read from the same file;
    everything that does not fit is added to `problems`, each at its JSON path."""
    before = len(problems)
    for i, v in enumerate(model.variants):
        where = (*HERE, "variants", i)
        problems += _history_problems(v.history, v.epoch, where)
        problems += _changes_problems(design, v.changes, (*where, "changes"))
    if len(problems) > before:
        return None
    sizes = _sizes(design, [v.changes for v in model.variants if v.weights is not None],
                   [i for i, v in enumerate(model.variants) if v.weights is not None])
    variants = []
    for i, v in enumerate(model.variants):
        weights = None
        if v.weights is not None:
            where = (*HERE, "variants", i, "weights")
            weights = decode_array(v.weights, where, problems)
            size, dtype = sizes[i], _dtype(design, v.changes)
            if isinstance(size, str):
                problems.append(Problem(f"the variant's design has errors ({size}), so its "
                                        f"weights cannot be used", path=json_path(*where)))
            elif weights is not None and weights.shape != (size,):
                problems.append(Problem(f"{weights.size} weights, but the variant's model has "
                                        f"{size}", path=json_path(*where, "shape")))
            elif v.weights.dtype != dtype:
                problems.append(Problem(f"weights of {v.weights.dtype}, but the variant trains "
                                        f"in {dtype}", path=json_path(*where, "dtype")))
        variants.append(ComparedVariant(
            dict(v.labels), dict(v.changes), v.state, v.reason, v.epoch, v.step,
            tuple(h.model_dump() for h in v.history), weights))
    if len(problems) > before:
        return None
    comparison = Comparison(model.epochs, tuple(variants), model.base)
    # weights kept for a design other than the one read (a file edited by hand): curves only
    return comparison if comparison.weights_fit(design) else comparison.without_weights()


def _history_problems(history: list, epoch: int, where: Where) -> list[Problem]:
    """Each epoch of history after the one before and no later than the epoch reached."""
    problems, last = [], 0
    for j, entry in enumerate(history):
        if entry.epoch <= last or entry.epoch > epoch:
            why = (f"epoch {entry.epoch} comes after epoch {last}" if entry.epoch <= last else
                   f"epoch {entry.epoch} is beyond the {epoch} epochs the variant reached")
            problems.append(Problem(why, path=json_path(*where, "history", j, "epoch")))
            break
        last = entry.epoch
    return problems


def _changes_problems(design: Design, changes: Mapping[str, Any], where: Where) -> list[Problem]:
    """A variant changes training settings by name, each a value the setting takes, and under
    "nodes" parameters by node id (a node the design no longer has is the record of a design
    edited since: its weights are then refused as not fitting)."""
    problems = [Problem(f"a variant cannot change {shown(key)} (only training settings and "
                        f"'nodes')", path=json_path(*where, key))
                for key in changes if key != "nodes" and key not in _SETTINGS]
    settings = {k: v for k, v in changes.items() if k in _SETTINGS}
    if settings:
        current = {f: getattr(design.training, f) for f in _SETTINGS}
        try:
            TrainingModel.model_validate({**current, **settings})
        except ValidationError as exc:
            problems += schema_problems(exc, where)
    nodes = changes.get("nodes", {})
    if not isinstance(nodes, dict):
        problems.append(Problem("'nodes' maps node ids to parameter changes",
                                path=json_path(*where, "nodes")))
        return problems
    for node_id, params in nodes.items():
        if not isinstance(params, dict):
            problems.append(Problem("a node's changes are named values",
                                    path=json_path(*where, "nodes", node_id)))
    return problems


def _sizes(design: Design, changes: list[Mapping[str, Any]],
           indices: list[int] | None = None) -> dict[int, int | str]:
    """Each variant's number of weights (by index), or why its design cannot say: one check per
    distinct set of node changes (training settings do not change the number of weights)."""
    indices = list(range(len(changes))) if indices is None else indices
    known: dict[str, int | str] = {}
    out: dict[int, int | str] = {}
    for index, change in zip(indices, changes, strict=True):
        nodes = change.get("nodes", {})
        key = json.dumps(nodes, sort_keys=True, default=repr)
        if key not in known:
            known[key] = _size(design, nodes)
        out[index] = known[key]
    return out


def _size(design: Design, nodes: Mapping[str, Any]) -> int | str:
    missing = [n for n in nodes if n not in design.nodes]
    if missing:
        return f"it changes node {shown(missing[0])}, which the design does not have"
    try:
        variant = changed_design(design, {"nodes": nodes})
        problems, structure = check_design(variant, memory=False)
    except Exception as exc:  # noqa: BLE001  (a parameter value the design cannot take)
        return f"{type(exc).__name__}: {exc}"
    errors = errors_only(problems)
    if errors or structure is None:
        return str(errors[0]) if errors else "it cannot be checked"
    return parameter_count(variant, structure)


def _dtype(design: Design, changes: Mapping[str, Any]) -> str:
    dtype = changes.get("dtype", design.training.dtype)
    return dtype if dtype in _ITEMSIZE else "float32"

