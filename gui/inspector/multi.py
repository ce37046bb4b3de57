"""The inspector's page for several selected nodes: the fields they all have, each set on every one
of them at once as one undo step; a field where they differ shows "mixed" and is left alone."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace
from typing import Any

from PySide6.QtWidgets import QGroupBox, QWidget

from core.design import registry
from gui.document.document import Document
from gui.inspector.names import design_order
from gui.inspector.pages import Page, form_layout, hint
from gui.inspector.params import ACTIVATION_PARAMS, ParamForm

PER_NODE = {"feature"}  # what each node has its own of (an input's feature), never set on several


def kind_noun(kind: Any, count: int = 1) -> str:
    """'neuron', 'inputs', 'Dense blocks': what a person calls `count` nodes of this kind."""
    noun = ("neuron" if kind.id == "neuron" else "input" if kind.category == "inputs"
            else f"{kind.label} block")
    return noun if count == 1 else noun + "s"


def common_specs(kinds: list[Any]) -> list[Any]:
    """The parameters every one of these kinds has, alike (type, bounds, choices), in the first's order."""
    def key(spec: Any) -> tuple:
        return spec.name, spec.kind, spec.low, spec.high, tuple(spec.choices)

    shared = set.intersection(*({key(s) for s in kind.params} for kind in kinds))
    return [s for s in kinds[0].params if key(s) in shared and s.name not in PER_NODE]


class NodesPage(Page):
    """Several nodes (and perhaps wires with them): a heading saying what is selected and the
    fields the nodes share. A field shows the value when all have the same, else "mixed"; a value
    set there goes to every selected node through Document.set_params_of_nodes (one undo step)."""

    def __init__(self, document: Document, node_ids: list[str], connection_ids: list[str],
                 parent: QWidget | None = None) -> None:
        super().__init__(document, parent)
        design = document.design
        order = design_order(design)  # counted and listed as every view lists nodes
        self.node_ids = sorted(node_ids, key=lambda n: order.get(n, -1))
        self.connection_ids = list(connection_ids)
        kinds = [registry.blocks.get(design.nodes[n].kind) for n in self.node_ids]
        self.heading, detail = selection_heading(kinds, len(self.connection_ids))
        box = QGroupBox(self.heading)
        box.setObjectName("nodes")
        self.body.addWidget(box)
        form = form_layout(box)
        self.detail = hint(detail)
        self.detail.setObjectName("detail")
        self.detail.setVisible(bool(detail))
        form.addRow(self.detail)
        self.specs = common_specs(kinds)
        self.params: ParamForm | None = None
        if self.specs:
            form.addRow(hint("Each field shows the value all of them have, or “mixed” where they "
                             "differ. A value set here goes to every one of them."))
            self.params = ParamForm(form, SimpleNamespace(params=tuple(self.specs)), self._commit,
                                    commit_setting=self._commit_setting)
        else:
            form.addRow(hint("They have no setting in common: select nodes of one kind to set "
                             "their fields together."))
        self.rule = hint("")
        self.rule.setObjectName("rule")
        form.addRow(self.rule)
        self.body.addStretch(1)
        self.refresh()

    def refresh(self) -> bool:
        shown = self.document.shown_design()  # a run's live biases too
        nodes = [shown.nodes.get(n) for n in self.node_ids]
        if any(node is None for node in nodes):
            return False  # one was removed: the inspector shows what is left of the selection
        if self.params is not None:
            common, mixed = common_values(nodes, self.specs)
            self.params.refresh(common, mixed)
        text = softmax_rule(nodes)
        self.rule.setText(text)
        self.rule.setVisible(bool(text))
        return True

    def concerns(self, problem) -> bool:
        return bool(set(problem.node_ids) & set(self.node_ids)
                    or set(problem.connection_ids) & set(self.connection_ids))

    def _nodes(self) -> list[Any]:
        design = self.document.design
        return [design.nodes[n] for n in self.node_ids if n in design.nodes]

    def _commit(self, text: str = "Change", **changes: Any) -> None:
        """A field set: the same change on every node (a node that has the chosen activation
        already keeps its own settings of it)."""
        todo = {}
        for node in self._nodes():
            if "activation" in changes and node.params.get("activation") == changes["activation"]:
                continue
            todo[node.id] = changes
        self._push(todo, text)

    def _commit_setting(self, key: str, value: Any) -> None:
        """One setting of their common activation (a slope): each node's own settings with it."""
        todo = {}
        for node in self._nodes():
            activation = registry.activations.get(node.params.get("activation"))
            own = dict(node.params.get(ACTIVATION_PARAMS) or {})
            if own.get(key, activation.defaults.get(key)) != value:
                own[key] = value
                todo[node.id] = {ACTIVATION_PARAMS: own}
        self._push(todo, f"Change {key}")

    def _push(self, todo: dict[str, dict[str, Any]], text: str) -> None:
        if todo:
            nouns = {kind_noun(registry.blocks.get(self.document.design.nodes[n].kind), 2) for n in todo}
            noun = nouns.pop() if len(nouns) == 1 else "nodes"
            self.document.set_params_of_nodes(todo, f"{text} of {len(todo)} {noun}")
        else:
            self.refresh()  # nothing to change: the fields show the design again


def selection_heading(kinds: list[Any], n_connections: int) -> tuple[str, str]:
    """('4 neurons selected', ''), or ('3 nodes selected', '2 neurons, 1 Dense block') for a mix,
    the wires selected with them said in the second part."""
    counts = Counter(kind_noun(kind) for kind in kinds)
    if len(counts) == 1:
        (noun, count), = counts.items()
        title, parts = f"{count} {noun if count == 1 else noun + 's'} selected", []
    else:
        title = f"{len(kinds)} nodes selected"
        parts = [f"{count} {noun if count == 1 else noun + 's'}" for noun, count in counts.items()]
    if n_connections:
        parts.append(f"{n_connections} connection{'' if n_connections == 1 else 's'} (a weight "
                     "is set one wire at a time)")
    detail = ", ".join(parts)
    return title, (("and " if len(counts) == 1 else "") + detail) if detail else ""


def common_values(nodes: list[Any], specs: list[Any]) -> tuple[dict[str, Any], set[str]]:
    """The values every node has alike, and the names where they differ ("bias",
    "activation_params.slope" when they share an activation but not its slope)."""
    common: dict[str, Any] = {}
    mixed: set[str] = set()
    for spec in specs:
        if spec.name == ACTIVATION_PARAMS:
            continue
        values = [node.params.get(spec.name) for node in nodes]
        if all(v == values[0] for v in values):
            common[spec.name] = values[0]
        else:
            mixed.add(spec.name)
    name = common.get("activation")
    if any(s.name == ACTIVATION_PARAMS for s in specs) and name in registry.activations:
        defaults = registry.activations.get(name).defaults
        own: dict[str, Any] = {}
        for key, default in defaults.items():
            values = [(node.params.get(ACTIVATION_PARAMS) or {}).get(key, default) for node in nodes]
            if all(v == values[0] for v in values):
                own[key] = values[0]
            else:
                mixed.add(f"{ACTIVATION_PARAMS}.{key}")
        common[ACTIVATION_PARAMS] = own
    return common, mixed


def softmax_rule(nodes: list[Any]) -> str:
    """What a neuron's softmax spans, when the selected neurons all have one."""
    names = {node.params.get("activation") for node in nodes if node.kind == "neuron"}
    if len(names) != 1 or any(node.kind != "neuron" for node in nodes):
        return ""
    name = names.pop()
    activation = registry.activations.get(name) if name in registry.activations else None
    if activation is None or activation.elementwise:
        return ""
    return (f"{activation.label} on neurons normalises all the output neurons together. "
            f"A hidden neuron cannot have it: use a Dense block with {activation.label}.")
