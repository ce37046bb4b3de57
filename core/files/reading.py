"""Reading a checked .ncanvas file into a design: its ids and wires cross-checked, the design
built from the file's model, the design's own errors placed at the file's paths."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from core.compiler.validation import design_problems
from core.design.design import Connection, DatasetChoice, Design, Node, TrainingSettings, TrainingState
from core.design.errors import Problem, shown
from core.engine.optimizers import state_problems
from core.files.json_values import Where, decode_array, json_path
from core.files.schema import DesignFileModel

_log = logging.getLogger("core.files.fileformat")  # the file's messages, under one name


def state_file_problems(optimizer_state: Mapping[str, Any]) -> list[Problem]:
    return [Problem(why, path=json_path("state", "optimizer", *([name] if name else [])))
            for name, why in state_problems(optimizer_state)]


def reference_problems(model: DesignFileModel) -> list[Problem]:
    """Ids used twice, wires to nodes that do not exist, weights of nodes that do not exist."""
    problems = []
    nodes: dict[str, int] = {}
    for i, node in enumerate(model.nodes):
        if node.id in nodes:
            problems.append(Problem(f"the node id {shown(node.id)} is already used by "
                                    f"{json_path('nodes', nodes[node.id])}",
                                    path=json_path("nodes", i, "id")))
        nodes.setdefault(node.id, i)
    connections: dict[str, int] = {}
    for i, conn in enumerate(model.connections):
        if conn.id in connections:
            problems.append(Problem(f"the connection id {shown(conn.id)} is already used by "
                                    f"{json_path('connections', connections[conn.id])}",
                                    path=json_path("connections", i, "id")))
        elif conn.id in nodes:
            problems.append(Problem(f"the id {shown(conn.id)} is already used by the node at "
                                    f"{json_path('nodes', nodes[conn.id])}",
                                    path=json_path("connections", i, "id")))
        connections.setdefault(conn.id, i)
        for end in ("source", "target"):
            if getattr(conn, end) not in nodes:
                problems.append(Problem(f"there is no node {shown(getattr(conn, end))}",
                                        path=json_path("connections", i, end)))
    for nid in model.weights:
        if nid not in nodes:
            problems.append(Problem(f"weights for node {shown(nid)}, which is not in the design",
                                    path=json_path("weights", nid)))
    return problems


def build_design(model: DesignFileModel, problems: list[Problem]) -> Design:
    """The design the checked model describes; array problems are added to `problems`."""
    design = Design()
    for n in model.nodes:
        if n.id not in design.nodes:
            design.insert_node(Node(n.id, n.kind, n.params, (n.position[0], n.position[1]),
                                    n.label))
    for c in model.connections:
        if c.id not in design.connections:
            design.insert_connection(Connection(c.id, c.source, c.target, c.weight))
    design.dataset = DatasetChoice(model.dataset.name, model.dataset.params, model.dataset.seed)
    design.training = TrainingSettings(**model.training.model_dump())
    design.parameters = decode_blocks(model.weights, ("weights",), problems)
    optimizer = {k: decode_array(a, ("state", "optimizer", k), problems)
                 for k, a in model.state.optimizer.items()}
    if all(a is not None for a in optimizer.values()):
        problems += state_file_problems(optimizer)
    design.state = TrainingState(model.state.epoch, model.state.step,
                                 [h.model_dump() for h in model.state.history], optimizer,
                                 model.state.cursor)
    if model.initial_weights is not None:
        iw = model.initial_weights
        snapshot: dict[str, Any] = {}
        if iw.connections is not None:
            snapshot["connections"] = dict(iw.connections)
        if iw.neurons is not None:
            snapshot["neurons"] = {k: v.model_dump(exclude_unset=True)
                                   for k, v in iw.neurons.items()}
        if iw.blocks is not None:
            snapshot["blocks"] = decode_blocks(iw.blocks, ("initial_weights", "blocks"), problems)
        design.initial_weights = snapshot
    return design


def decode_blocks(blocks: Mapping[str, Mapping[str, Any]], where: Where,
                   problems: list[Problem]) -> dict[str, dict[str, np.ndarray]]:
    return {nid: {name: decode_array(a, (*where, nid, name), problems)
                  for name, a in arrays.items()}
            for nid, arrays in blocks.items()}


def validation_problems(design: Design, model: DesignFileModel) -> list[Problem]:
    """The design's own errors (core.compiler.validation), at the paths of the nodes and wires involved."""
    try:
        found = design_problems(design)
    except Exception as exc:  # noqa: BLE001  (a file that trips the checker is still the file's)
        found = exc
    if isinstance(found, Exception):
        _log.debug("validating a loaded design failed", exc_info=found)
        return [Problem(f"the design could not be checked: {found}", path="$")]
    node_index = {n.id: i for i, n in enumerate(model.nodes)}
    conn_index = {c.id: i for i, c in enumerate(model.connections)}
    problems = []
    for p in found:
        if getattr(p, "severity", "error") != "error":
            continue
        # A wire's problem names its end nodes too: the wire is the more precise place.
        path = next((json_path("connections", conn_index[c])
                     for c in p.connection_ids if c in conn_index), None)
        path = path or next((json_path("nodes", node_index[n])
                             for n in p.node_ids if n in node_index), None)
        path = path or (p.path if p.path.startswith("$") else f"$.{p.path}" if p.path else "$")
        problems.append(Problem(p.message, node_ids=tuple(p.node_ids),
                                connection_ids=tuple(p.connection_ids), path=path))
    return problems
