"""What each input row of a compiled block reads: (node id, index in that node's output), as the
model gathers it; regrouping matches kernel rows to nodes by it."""

from __future__ import annotations

from core.design.design import Design
from core.engine.backend import to_numpy


def slot_owners(build, design: Design, slot: int) -> list[tuple[str, int]]:
    """(node id, index in its output) for each column of a model slot."""
    if slot == 0:
        owners: list[tuple[str, int]] = []
        for node in design.nodes.values():
            if node.kind == "input":
                owners.append((node.id, 0))
            elif node.kind == "data":
                owners += [(node.id, i) for i in range(build.data.num_features)]
        return owners
    op = build.model.ops[slot - 1]
    if design.nodes[op.node_ids[0]].kind == "neuron":
        return [(nid, 0) for nid in op.node_ids]
    return [(op.node_ids[0], i) for i in range(op.layer.n_out)]


def input_rows(build, design: Design, node_id: str) -> list[tuple[str, int]]:
    """What each kernel row of a block reads, as the compiled model gathers it."""
    rows: list[tuple[str, int]] = []
    for piece in build.model.ops[build.block_ops[node_id]].inputs:
        owners = slot_owners(build, design, piece.slot)
        if piece.columns is None:
            rows += owners
        elif isinstance(piece.columns, slice):
            rows += owners[piece.columns]
        else:
            rows += [owners[int(c)] for c in to_numpy(piece.columns)]
    return rows
