"""Variants of a design: what a variant may change, the design each one is, and the groups of
variants that share one structure (and so train as one batched computation)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, fields
from typing import Any

from core.design.design import Design, TrainingSettings

# training settings that may differ between the variants of one group: each variant has its own
# value, on the host or as a (K, 1) column; a change to any other setting starts another group
PER_VARIANT = ("seed", "learning_rate", "l1", "l2", "clip_norm", "optimizer_params", "schedule",
               "schedule_params", "target_loss", "target_accuracy", "early_stopping_patience")
TRAINING_FIELDS = tuple(f.name for f in fields(TrainingSettings))


def variant_problems(design: Design, variant: Mapping[str, Any]) -> list[str]:
    """What is wrong with one variant's description, in words (empty: nothing)."""
    if not isinstance(variant, Mapping):
        return [f"a variant is a set of named changes, not {variant!r}"]
    problems = [f"a variant cannot change {key!r} (it changes training settings: "
                f"{', '.join(TRAINING_FIELDS)}; or 'nodes')"
                for key in variant if key != "nodes" and key not in TRAINING_FIELDS]
    nodes = variant.get("nodes", {})
    if not isinstance(nodes, Mapping):
        problems.append("a variant's 'nodes' maps node ids to parameter changes")
        return problems
    for node_id, changes in nodes.items():
        if node_id not in design.nodes:
            problems.append(f"a variant changes node {node_id!r}, which the design does not have")
        elif not isinstance(changes, Mapping):
            problems.append(f"a variant's changes to node {node_id!r} must be named values")
    return problems


def variant_design(design: Design, variant: Mapping[str, Any]) -> Design:
    """A copy of the design with the variant's changes: training settings by name, and under
    'nodes' each node id's parameter changes ({"nodes": {"h1": {"units": 16}}}); ValueError
    when the description is wrong."""
    problems = variant_problems(design, variant)
    if problems:
        raise ValueError("; ".join(problems))
    copy = design.copy()
    settings = {key: value for key, value in variant.items() if key != "nodes"}
    if settings:
        copy.set_training(**settings)
    for node_id, changes in variant.get("nodes", {}).items():
        copy.set_node_params(node_id, **dict(changes))
    return copy


def structure_key(design: Design) -> str:
    """Equal for two designs exactly when they can train in one batched group: the same nodes
    (neuron biases aside: they are weights), wires, data set and shared training settings."""
    nodes = [[node.id, node.kind, {k: v for k, v in node.params.items() if k != "bias"}]
             for node in design.nodes.values()]
    wires = [[c.id, c.source, c.target] for c in design.connections.values()]
    training = {k: v for k, v in asdict(design.training).items() if k not in PER_VARIANT}
    dataset = asdict(design.dataset)
    return json.dumps([nodes, wires, training, dataset], sort_keys=True, default=repr)


def group_by_structure(designs: Sequence[Design]) -> list[list[int]]:
    """The variants' indices grouped by structure, each group in order, groups by first member."""
    groups: dict[str, list[int]] = {}
    for index, design in enumerate(designs):
        groups.setdefault(structure_key(design), []).append(index)
    return list(groups.values())
