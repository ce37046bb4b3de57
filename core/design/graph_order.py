"""The order a design's nodes are computed in: sources first, ties broken by design order; or the
cycle that leaves no such order, with its nodes and wires."""

from __future__ import annotations

import heapq

from core.design.errors import Problem


def topological_order(design) -> tuple[list[str] | None, list[Problem]]:
    """Kahn's algorithm, ties broken by design order (a heap of design positions); a cycle names
    its nodes and wires. Linear in the size of the design (up to the heap's log factor)."""
    names = list(design.nodes)
    position = {n: i for i, n in enumerate(names)}
    valid = [c for c in design.connections.values()
             if c.source in position and c.target in position]
    indegree = [0] * len(names)
    outgoing: list[list[int]] = [[] for _ in names]
    for c in valid:
        indegree[position[c.target]] += 1
        outgoing[position[c.source]].append(position[c.target])
    ready = [i for i, d in enumerate(indegree) if d == 0]  # ascending: already a heap
    order: list[str] = []
    while ready:
        node = heapq.heappop(ready)
        order.append(names[node])
        for target in outgoing[node]:
            indegree[target] -= 1
            if indegree[target] == 0:
                heapq.heappush(ready, target)
    if len(order) == len(names):
        return order, []
    stuck = {names[i] for i, d in enumerate(indegree) if d > 0}
    # What only hangs below a loop is stuck too, but not part of it: peel off, from the far end,
    # every stuck node none of whose wires leads to another stuck node.
    inner = [c for c in valid if c.source in stuck and c.target in stuck]
    leads = dict.fromkeys(stuck, 0)
    feeders: dict[str, list[str]] = {n: [] for n in stuck}
    for c in inner:
        leads[c.source] += 1
        feeders[c.target].append(c.source)
    ends = [n for n, count in leads.items() if count == 0]
    while ends:
        end = ends.pop()
        stuck.discard(end)
        for source in feeders[end]:
            leads[source] -= 1
            if leads[source] == 0:
                ends.append(source)
    wires = tuple(c.id for c in inner if c.source in stuck and c.target in stuck)
    nodes = tuple(n for n in design.nodes if n in stuck)
    return None, [Problem("these connections form a cycle: a feed-forward network cannot loop back",
                          nodes, wires)]
