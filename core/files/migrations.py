"""Upgrades of older .ncanvas files, one function per version step, on the file's plain JSON data.

Each step takes data of version N and gives data of version N + 1 with the same meaning. A step
leaves alone what it does not understand (a list where an object belongs, a wire to no node…):
the schema and validation that follow name that problem at its JSON path.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

# Version N → a function turning version-N data into version N+1 data; applied in order on load.
MIGRATIONS: dict[int, Callable[[dict], dict]] = {}

_MERGES_V1 = {"add", "concatenate"}  # the blocks that took their inputs one by one in version 1
_INPUTS_V1 = {"input", "data"}


def _step(version: int) -> Callable[[Callable[[dict], dict]], Callable[[dict], dict]]:
    def register(function: Callable[[dict], dict]) -> Callable[[dict], dict]:
        MIGRATIONS[version] = function
        return function
    return register


@_step(1)
def rows_in_connection_order(data: dict) -> dict:
    """Version 1 → 2: wires, not the compiler, order a block's inputs and the outputs.

    Version 1 read the input rows of a block fed by several wires (a Dense block's kernel rows, a
    BatchNorm's statistics) in the compiler's order: inputs, then neurons by depth, then blocks;
    and it took output neurons in the order of the graph. Version 2 reads a block's rows in the
    order its wires were connected (their order in the file) and the outputs in design order (the
    order of the nodes in the file). So that every stored number keeps its meaning, the wires into
    each such block, and the output neurons, are put in the order version 1 read them; no array
    changes, and the optimizer's state still fits."""
    nodes, wires = data.get("nodes"), data.get("connections")
    if not isinstance(nodes, list) or not isinstance(wires, list):
        return data
    if not all(isinstance(n, dict) and isinstance(n.get("id"), str) and isinstance(n.get("kind"), str)
               for n in nodes):
        return data
    kinds = {n["id"]: n["kind"] for n in nodes}
    if len(kinds) != len(nodes):  # an id used twice: refused further on
        return data
    valid = [i for i, w in enumerate(wires) if isinstance(w, dict) and w.get("source") in kinds
             and w.get("target") in kinds and isinstance(w.get("source"), str)
             and isinstance(w.get("target"), str)]
    order = _v1_order(list(kinds), [(wires[i]["source"], wires[i]["target"]) for i in valid])
    if order is None:  # a cycle: the file is refused further on
        return data
    keys = _v1_row_keys(kinds, order, [(wires[i]["source"], wires[i]["target"]) for i in valid])
    into: dict[str, list[int]] = {}
    for i in valid:
        into.setdefault(wires[i]["target"], []).append(i)
    wires = list(wires)
    for target, places in into.items():
        if kinds[target] in _MERGES_V1 | _INPUTS_V1 | {"neuron"} or len(places) < 2:
            continue
        in_v1_order = sorted((wires[i] for i in places), key=lambda w: keys[w["source"]])
        for place, wire in zip(places, in_v1_order, strict=True):
            wires[place] = wire
    nodes = _outputs_in_v1_order(nodes, kinds, order, [wires[i] for i in valid])
    return {**data, "nodes": nodes, "connections": wires}


@_step(2)
def comparison_section(data: dict) -> dict:
    """Version 2 → 3: a file may keep a comparison (core.design.comparison) in a "comparison"
    section. A version-2 file has none, and every other part means what it meant: nothing changes
    (a reader of version 2 would refuse the new section as a key it does not know; the version
    says why instead: a newer file)."""
    return data


def _v1_order(ids: list[str], pairs: list[tuple[str, str]]) -> list[str] | None:
    """Version 1's topological order: Kahn's algorithm, the first ready node in design order."""
    position = {n: i for i, n in enumerate(ids)}
    indegree = [0] * len(ids)
    out: list[list[int]] = [[] for _ in ids]
    for source, target in pairs:
        indegree[position[target]] += 1
        out[position[source]].append(position[target])
    ready = [i for i, d in enumerate(indegree) if d == 0]
    order = []
    while ready:
        node = heapq.heappop(ready)
        order.append(ids[node])
        for target in out[node]:
            indegree[target] -= 1
            if indegree[target] == 0:
                heapq.heappush(ready, target)
    return order if len(order) == len(ids) else None


def _v1_row_keys(kinds: dict[str, str], order: list[str], pairs: list[tuple[str, str]]
                 ) -> dict[str, tuple[int, ...]]:
    """Where version 1 put each node's output among a block's inputs: (0, design position) for
    inputs, (1, depth, place) for neurons, (2, place) for blocks, places in topological order."""
    sources: dict[str, list[str]] = {n: [] for n in kinds}
    has_out: set[str] = set()
    for source, target in pairs:
        sources[target].append(source)
        has_out.add(source)
    depth: dict[str, int] = {}
    for n in order:
        if kinds[n] == "neuron":
            depth[n] = 1 + max((depth.get(s, 0) for s in sources[n]), default=0)
    outputs = [n for n in order if kinds[n] == "neuron" and n not in has_out]
    if outputs:
        deepest = max(depth.values())
        for n in outputs:
            depth[n] = deepest
    place = {n: i for i, n in enumerate(order)}
    keys: dict[str, tuple[int, ...]] = {}
    for i, n in enumerate(kinds):
        kind = kinds[n]
        keys[n] = (0, i) if kind in _INPUTS_V1 else (1, depth[n], place[n]) if kind == "neuron" \
            else (2, place[n])
    return keys


def _outputs_in_v1_order(nodes: list[Any], kinds: dict[str, str], order: list[str],
                         wires: list[dict]) -> list[Any]:
    """The nodes, with the output neurons among themselves in version 1's (topological) order."""
    has_out = {w["source"] for w in wires}
    sinks = [n for n in order if n not in has_out and kinds[n] not in _INPUTS_V1]
    if not sinks or any(kinds[n] != "neuron" for n in sinks):
        return nodes  # one block is the output (or the design is refused further on)
    outputs = set(sinks)
    places = [i for i, n in enumerate(nodes) if n["id"] in outputs]
    if [nodes[i]["id"] for i in places] == sinks:
        return nodes
    by_id = {n["id"]: n for n in nodes}
    nodes = list(nodes)
    for place, node_id in zip(places, sinks, strict=True):
        nodes[place] = by_id[node_id]
    return nodes
