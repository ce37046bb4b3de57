"""What a node is called in every view (the inspector, Backpropagation, the Loss Landscape) and the
one order they list nodes in: the design's (the order they were placed in, as the file keeps it)."""

from __future__ import annotations

from gui.canvas.style import pretty_feature


def node_name(design, node_id: str) -> str:
    """The node's label; else an input's feature as a person writes it (x1², sin x1); else its id."""
    node = design.nodes.get(node_id)
    if node is None:
        return node_id
    if node.label:
        return node.label
    if node.kind == "input":
        return pretty_feature(str(node.params.get("feature", node_id)))
    return node_id


def design_order(design) -> dict[str, int]:
    """Each node id's place in the design: the key every list of nodes is sorted by."""
    return {node_id: i for i, node_id in enumerate(design.nodes)}
