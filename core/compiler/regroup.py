"""Regrouping: a Dense block expanded into its column of neurons, and such a column collapsed back.

Both are planned here, Qt-free, as a `Regroup` (what goes, what comes, which block weights are
re-ordered) that the GUI turns into undo commands. A plan either keeps what the network computes
or is refused with a `RegroupError` saying why; nothing is ever half done.

What is carried over. A block's weights live in `Design.parameters` (kernel rows in the order of
the block's incoming wires, each source's values in their own order), a neuron's in its wires and
its `bias`. Where the edited part holds weights, or a block it feeds does, the design is compiled
before (and tried after) the edit, so that each kernel row is matched to the node it reads,
exactly as the engine does; that needs a design without errors.

Where things go. A block reads its wires in the order they were connected (and the outputs come in
design order), so each new node and wire takes the place of the one it replaces (`places`, see
`Design.insert_connection`): a block fed by an expanded Dense block reads its neurons where it read
the block, and nothing downstream is re-ordered. A collapsed column's wires into a block become one
wire where the first of them was; a Dense block re-orders its kernel rows to match, any other block
(BatchNorm, Concatenate, …) must read the column side by side, in the order of the units, or the
collapse is refused. Add sums its inputs wire by wire, so only one neuron (one unit) may stand for
one input there.

Weights never drawn stay undrawn: a fresh Dense becomes fresh neurons and back. (A collapse whose
column is partly set takes the network's current values for all of it, the seed's draw for the
unset ones, so the function is kept.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from core.compiler.compile import compile_design
from core.compiler.compiled_rows import input_rows
from core.design import registry
from core.design.design import Connection, Design, Node
from core.design.errors import NeuralCanvasError, Problem
from core.design.errors import shown as quoted
from core.engine.backend import to_numpy

MAX_UNITS = 64  # a taller column of neurons is no longer something to read on a canvas
SPACING = 70.0  # between the neurons of an expanded column, as for an added layer


class RegroupError(NeuralCanvasError):
    """An expansion or collapse the model cannot take without changing what the network computes."""

    def __init__(self, reason: str, node_ids: Iterable[str] = ()) -> None:
        self.problem = Problem(reason, tuple(node_ids))
        super().__init__(reason)


@dataclass(frozen=True)
class Regroup:
    """One expansion or collapse as design edits, in the order they apply."""

    remove: tuple[str, ...]  # nodes removed, with their wires and block weights
    nodes: tuple[Node, ...]  # nodes added
    connections: tuple[Connection, ...]  # wires added
    parameters: Mapping[str, Mapping[str, np.ndarray]] = field(default_factory=dict)  # new blocks'
    reordered: Mapping[str, Mapping[str, np.ndarray]] = field(default_factory=dict)  # kept blocks'
    # a new node's or wire's id → (the removed one whose place it takes, its index among those)
    places: Mapping[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def created(self) -> list[str]:
        return [n.id for n in self.nodes]


def apply(design: Design, plan: Regroup) -> None:
    """Make the plan's edits directly (the GUI makes them through undo commands instead)."""
    for node_id in plan.remove:
        design.remove_node(node_id)
    for node in plan.nodes:
        design.insert_node(node, plan.parameters.get(node.id), plan.places.get(node.id))
    for conn in plan.connections:
        design.insert_connection(conn, plan.places.get(conn.id))
    for node_id, arrays in plan.reordered.items():
        design.set_block_weights(node_id, arrays)


# ================================================================== Dense → neurons
def plan_expansion(design: Design, node_id: str) -> Regroup:
    """A Dense block replaced by `units` neurons at its place, stacked and centred on it.

    Each neuron takes the block's activation, settings and initializer, its column of the kernel
    as the weights of wires from each of the block's sources, its bias and, for a learned
    activation (PReLU), its own slope; the block's outgoing wires start from every neuron, and each
    block it fed reads them, in unit order, where it read the block. Refused:
    a block fed by a Data node or by another block (a neuron takes single numbers: expand that
    block first, or use one Input per feature), one feeding a neuron (a wiring the model already
    refuses), one of several units feeding Add (which sums its inputs wire by wire), one without a
    bias (every neuron learns one), a row-wise activation such as softmax on a hidden block
    (neurons would share it with the rest of their layer), more than MAX_UNITS.
    """
    node = design.nodes.get(node_id)
    if node is None or node.kind != "dense":
        raise RegroupError("only a Dense block can be expanded into neurons", [node_id])
    params = node.params
    problems = registry.blocks.get("dense").param_problems(params)
    if problems:
        raise RegroupError(f"its settings are not valid yet ({problems[0]})", [node_id])
    units = params["units"]
    if units > MAX_UNITS:
        raise RegroupError(f"{units} units would make a column of {units} neurons; at most "
                           f"{MAX_UNITS} can be expanded", [node_id])
    if not params["use_bias"]:
        raise RegroupError("it has no bias (use_bias is off), but every neuron learns one",
                           [node_id])
    incoming, outgoing = design.incoming(node_id), design.outgoing(node_id)
    for conn in incoming:
        source = design.nodes[conn.source]
        if source.kind == "data":
            raise RegroupError(
                f"it reads {_name(source)}: the data set's whole feature vector, and a neuron takes "
                "single numbers; use one Input node per feature instead", [node_id, source.id])
        if source.kind not in ("input", "neuron"):
            raise RegroupError(
                f"it is fed by {_name(source)}, a block, and a neuron takes single numbers from "
                f"inputs and neurons; expand {_name(source)} first", [node_id, source.id])
    for conn in outgoing:
        target = design.nodes[conn.target]
        if target.kind == "neuron":
            raise RegroupError(f"it feeds {_name(target)}, which the model refuses (a neuron takes "
                               "single numbers); remove that wire first", [node_id, target.id])
        if target.kind == "add" and units > 1:
            raise RegroupError(
                f"it feeds {_name(target)}, which adds its inputs wire by wire: {units} neurons would "
                f"be {units} inputs of one number each, not one input of {units}; remove that wire "
                "first", [node_id, target.id])
    activation = registry.activations.get(params["activation"])
    if not activation.elementwise and outgoing:
        raise RegroupError(
            f"its {activation.label} ties its units together, and hidden neurons would share it "
            f"with every {activation.label} neuron of their layer; only an output block with "
            f"{activation.label} can be expanded", [node_id])

    neuron_defaults = registry.blocks.get("neuron").default_params()
    ids = [design.new_id("n") for _ in range(units)]
    x, y = node.position
    carry = node_id in design.parameters
    before = _compile_for(design, node_id, "expanded") if carry or _fed_blocks_with_weights(
        design, outgoing) else None
    kernel = bias = None
    slopes: dict[str, np.ndarray] = {}
    row_of: dict[str, int] = {}
    if carry and before is not None:
        op = before.model.ops[before.block_ops[node_id]]
        values = {k: to_numpy(v) for k, v in op.params.items()}
        kernel, bias = values["kernel"], values["bias"]
        slopes = {name: values[f"{name}_act"] for name in activation.learnable}
        row_of = {source: row for row, (source, _) in enumerate(input_rows(before, design, node_id))}
    nodes, places = [], {nid: (node_id, i) for i, nid in enumerate(ids)}
    for i, nid in enumerate(ids):
        act_params = dict(params["activation_params"])
        act_params.update({name: float(v[i]) for name, v in slopes.items()})
        nodes.append(Node(nid, "neuron", {
            **neuron_defaults, "activation": params["activation"], "activation_params": act_params,
            "initializer": params["initializer"],
            "bias": None if bias is None else float(bias[i])},
            (x, y + (i - (units - 1) / 2) * SPACING)))
    wires = []
    for conn in incoming:
        for i, nid in enumerate(ids):
            weight = None if kernel is None else float(kernel[row_of[conn.source], i])
            wires.append(Connection(design.new_id("c"), conn.source, nid, weight))
            places[wires[-1].id] = (conn.id, i)
    for conn in outgoing:
        for i, nid in enumerate(ids):
            wires.append(Connection(design.new_id("c"), nid, conn.target, None))
            places[wires[-1].id] = (conn.id, i)
    plan = Regroup((node_id,), tuple(nodes), tuple(wires), places=places)
    renamed = {(node_id, i): (nid, 0) for i, nid in enumerate(ids)}
    return _with_reordered(design, plan, before, renamed, "expanded")


# ================================================================== neurons → Dense
def plan_collapse(design: Design, node_ids: Iterable[str]) -> Regroup:
    """One column of neurons replaced by a Dense block at their centre.

    A column: neurons wired from the same nodes (none of them in the column), feeding the same
    blocks, or nothing when they are the output (then every output neuron must be in it), with one
    activation and the same activation settings. The order of the units is the order in which a
    block they feed that cannot re-order its rows (BatchNorm, Concatenate, …) reads them, else
    their order in the design (the order of the network's outputs). The kernel, bias and learned
    slopes come from their wires and biases. Refused otherwise with the reason, and when they feed
    a neuron (a neuron cannot take a Dense block's vector: collapse that layer first), share a
    row-wise activation such as softmax while hidden, or feed a block other than Dense that reads
    them apart or in another order than the units' (see `_unit_order`).
    """
    wanted = list(dict.fromkeys(node_ids))
    if not wanted:
        raise RegroupError("select the neurons of one column first")
    missing = [n for n in wanted if n not in design.nodes]
    others = [n for n in wanted if n in design.nodes and design.nodes[n].kind != "neuron"]
    if missing or others:
        what = _name(design.nodes[others[0]]) if others else f"node {quoted(missing[0])}"
        raise RegroupError(f"only neurons collapse into a Dense block, and the selection also "
                           f"holds {what}", others)
    chosen = set(wanted)
    ids = [n for n in design.nodes if n in chosen]  # the design's order: the outputs' order
    first = ids[0]
    sources = [c.source for c in design.incoming(first)]
    targets = [c.target for c in design.outgoing(first)]
    for nid in ids[1:]:
        if {c.source for c in design.incoming(nid)} != set(sources):
            raise RegroupError(f"{_name(design.nodes[nid])} is not wired from the same nodes as "
                               f"{_name(design.nodes[first])}: a column takes the same inputs",
                               [first, nid])
        if {c.target for c in design.outgoing(nid)} != set(targets):
            raise RegroupError(f"{_name(design.nodes[nid])} does not feed the same nodes as "
                               f"{_name(design.nodes[first])}: a column feeds the same layer",
                               [first, nid])
    inside = [s for s in sources if s in chosen]
    if inside:
        raise RegroupError(f"{_name(design.nodes[inside[0]])} feeds other selected neurons: "
                           "select one column, not several layers", [inside[0]])
    for source in sources:
        if design.nodes[source].kind not in ("input", "neuron"):
            raise RegroupError(f"they are fed by {_name(design.nodes[source])}, which the model "
                               "refuses for neurons; remove that wire first", [source])
    for target in targets:
        if design.nodes[target].kind == "neuron":
            raise RegroupError(
                f"they feed {_name(design.nodes[target])}, and a neuron takes single numbers, not a "
                "Dense block's vector; collapse that layer first", [target])
    if not targets:
        rest = [n for n, node in design.nodes.items() if node.kind == "neuron" and n not in chosen
                and not design.outgoing(n)]
        if rest:
            raise RegroupError(f"they are output neurons, and so is {_name(design.nodes[rest[0]])}: "
                               "a network has one output, so collapse all of them together", rest)
    units = _unit_order(design, ids, targets)
    activation, act_params = _shared_activation(design, ids)
    if not activation.elementwise and targets:
        raise RegroupError(f"{activation.label} ties neurons together across their whole layer; "
                           f"only an output column with {activation.label} can be collapsed", ids)

    inits = {design.nodes[n].params.get("initializer", "auto") for n in ids}
    x = sum(design.nodes[n].position[0] for n in ids) / len(ids)
    y = sum(design.nodes[n].position[1] for n in ids) / len(ids)
    block_id = design.new_id("d")
    block = Node(block_id, "dense", {
        **registry.blocks.get("dense").default_params(), "units": len(ids),
        "activation": activation.id, "activation_params": act_params,
        "initializer": inits.pop() if len(inits) == 1 else "auto", "use_bias": True}, (x, y))
    wires, places = [], {block_id: (first, 0)}
    for source in sources:  # the block's rows in the order of the first neuron's wires
        wires.append(Connection(design.new_id("c"), source, block_id, None))
        places[wires[-1].id] = (design.connection_between(source, first).id, 0)
    for target in targets:  # where the target read the first of them
        wires.append(Connection(design.new_id("c"), block_id, target, None))
        places[wires[-1].id] = (next(c.id for c in design.incoming(target) if c.source in chosen), 0)
    plan = Regroup(tuple(ids), (block,), tuple(wires), places=places)
    renamed = {(nid, 0): (block_id, i) for i, nid in enumerate(units)}
    set_anywhere = _column_has_weights(design, ids, activation)
    before = None
    if set_anywhere or _fed_blocks_with_weights(design, design.outgoing(first)):
        before = _compile_for(design, first, "collapsed")
    if set_anywhere and before is not None:
        filled = design.copy()
        before.write_back(filled)  # every weight as the network has it now, drawn ones included
        trial = _applied(design, plan)
        rows = input_rows(_compile_for(trial, block_id, "collapsed", trial=True), trial, block_id)
        dtype = before.model.dtype
        kernel = np.array([[filled.connection_between(source, nid).weight for nid in units]
                           for source, _ in rows], dtype=dtype).reshape(len(rows), len(units))
        arrays = {"kernel": kernel, "bias": np.array(
            [filled.nodes[n].params["bias"] for n in units], dtype=dtype)}
        for name in activation.learnable:
            arrays[f"{name}_act"] = np.array([filled.nodes[n].params.get("activation_params", {})
                                              .get(name, activation.defaults[name]) for n in units],
                                             dtype=dtype)
        plan = replace(plan, parameters={block_id: arrays})
    return _with_reordered(design, plan, before, renamed, "collapsed")


# ================================================================== helpers
def _name(node: Node) -> str:
    if node.kind == "data":
        return "the Data node"
    kind = registry.blocks.get(node.kind).label if node.kind in registry.blocks else node.kind
    return f"{kind if node.kind not in ('neuron', 'input') else kind.lower()} {node.label or node.id}"


def _shared_activation(design: Design, ids: list[str]):
    """The column's one activation and its settings as a Dense block holds them."""
    names = {design.nodes[n].params.get("activation") for n in ids}
    if len(names) != 1:
        shown = ", ".join(sorted(str(a) for a in names))
        raise RegroupError(f"they have different activations ({shown}); a Dense block has one", ids)
    name = names.pop()
    if name not in registry.activations:
        raise RegroupError(f"unknown activation {quoted(name)}", ids)
    activation = registry.activations.get(name)
    learnable = set(activation.learnable)
    fixed, learned = set(), set()
    for n in ids:
        own = {**activation.defaults, **dict(design.nodes[n].params.get("activation_params", {}))}
        fixed.add(tuple(sorted((k, v) for k, v in own.items() if k not in learnable)))
        learned.add(tuple(sorted((k, v) for k, v in own.items() if k in learnable)))
    if len(fixed) != 1:
        raise RegroupError(f"their {activation.label} settings differ; a Dense block has one", ids)
    shared = {k: v for k, v in dict(design.nodes[ids[0]].params.get("activation_params", {}))
              .items() if k not in learnable or len(learned) == 1}
    return activation, shared


def _unit_order(design: Design, ids: list[str], targets: list[str]) -> list[str]:
    """The column's neurons in the order of the Dense block's units.

    A Dense block it feeds re-orders its kernel rows to read the units wherever it read the
    neurons. Any other block reads the new block's units side by side, where it read the first of
    the neurons: the neurons must come one after another there, and in one order for all such
    blocks, which becomes the units' order. Add sums its inputs wire by wire: it takes one neuron
    of a column, never several."""
    chosen, order, reader = set(ids), None, None
    for target in targets:
        node = design.nodes[target]
        if node.kind == "dense":
            continue
        if node.kind == "add" and len(ids) > 1:
            raise RegroupError(
                f"they feed {_name(node)}, which adds its inputs wire by wire: {len(ids)} neurons are "
                f"{len(ids)} numbers added together, a Dense block would be one input of "
                f"{len(ids)}; remove those wires first", [target])
        sources = [c.source for c in design.incoming(target)]
        start = next(i for i, s in enumerate(sources) if s in chosen)
        between = [s for s in sources[start:start + len(ids)] if s not in chosen]
        if between:
            raise RegroupError(
                f"{_name(node)} reads {_name(design.nodes[between[0]])} between two of them, and a "
                "Dense block's units come side by side, so its inputs would come in another order; "
                "wire the neurons to it one after another first", [target, between[0]])
        column = sources[start:start + len(ids)]
        if order is None:
            order, reader = column, node
        elif column != order:
            raise RegroupError(
                f"{_name(node)} reads them in another order than {_name(reader)} does, and a Dense "
                "block's units come in one order; wire them to both in the same order first",
                [target, reader.id])
    return ids if order is None else order


def _column_has_weights(design: Design, ids: list[str], activation) -> bool:
    """Whether any wire into the column, bias or learned slope differs from a fresh start."""
    if any(design.nodes[n].params.get("bias") is not None for n in ids):
        return True
    if any(c.weight is not None for n in ids for c in design.incoming(n)):
        return True
    slopes = {tuple(sorted((k, v) for k, v in dict(design.nodes[n].params.get(
        "activation_params", {})).items() if k in activation.learnable)) for n in ids}
    return len(slopes) > 1


def _fed_blocks_with_weights(design: Design, outgoing: list[Connection]) -> bool:
    return any(c.target in design.parameters for c in outgoing)


def _compile_for(design: Design, node_id: str, what: str, trial: bool = False):
    """The compiled design, or a refusal: weights are matched to wires only in a design that builds."""
    try:
        return compile_design(design)
    except NeuralCanvasError as exc:
        problems = getattr(exc, "problems", None)
        first = problems[0].message if problems else str(exc)
        if trial:
            raise RegroupError(f"the design would not build once {what} ({first})", [node_id]) from exc
        raise RegroupError("weights are matched to wires only in a design that builds; fix this "
                           f"first: {first}", [node_id]) from exc


def _applied(design: Design, plan: Regroup) -> Design:
    trial = design.copy()
    apply(trial, plan)
    return trial


def _with_reordered(design: Design, plan: Regroup, before, renamed: Mapping[tuple, tuple],
                    what: str) -> Regroup:
    """The plan plus the kernels of kept blocks whose input rows come in a new order."""
    kept = [b for b in design.parameters if b not in plan.remove and b in design.nodes]
    if before is None or not kept:
        return plan
    trial = _applied(design, plan)
    after = _compile_for(trial, plan.created[0], what, trial=True)
    reordered: dict[str, dict[str, Any]] = {}
    for block in kept:
        if block not in before.block_ops or block not in after.block_ops:
            continue
        old = [renamed.get(r, r) for r in input_rows(before, design, block)]
        new = input_rows(after, trial, block)
        stored = design.parameters[block]
        if old == new or "kernel" not in stored or stored["kernel"].shape[0] != len(old):
            continue
        where = {key: row for row, key in enumerate(old)}
        arrays = {k: v.copy() for k, v in stored.items()}
        arrays["kernel"] = stored["kernel"][[where[key] for key in new]]
        reordered[block] = arrays
    return replace(plan, reordered=reordered)
