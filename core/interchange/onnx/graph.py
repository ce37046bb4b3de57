"""Reading a feed-forward ONNX graph as blocks, one node after another: the operators that make a
block are read by the block kinds' translators (core/interchange/translators/: Gemm/MatMul(+Add) →
Dense, Conv → Conv2D, pooling, Flatten/Reshape, BatchNormalization, Add, Concat, Dropout); this
reader keeps the runtime values, reads the operators that only move them (Identity, Cast,
Transpose, Shape), folds constants, and folds the activations after a Dense or a Conv2D into it
(single operators, or element-wise chains such as GELU's and SiLU's).

Each runtime tensor is a `Value`: the output of one block as the engine holds it (channels-last),
seen through a transpose (`perm`) or, once flattened from channels-first, in another order. So a
Conv's NCHW tensor is the engine's NHWC image transposed, and a Dense after PyTorch's Flatten gets
its kernel rows reordered.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from core.design.errors import shown
from core.interchange.onnx.activations import ActivationFolding
from core.interchange.onnx.functions import BATCH, ELEMENTWISE, FOLDERS, attribute, fold, numpy_type
from core.interchange.onnx.values import Block, OnnxImportError, Value, channels_first, named, sized
from core.interchange.translation import onnx_readers

__all__ = ["Block", "GraphReader", "OnnxImportError", "Value"]

ACTIVATION_OPS = {"Softmax", "LeakyRelu", "Elu", "PRelu", *ELEMENTWISE}  # after a Dense or Conv2D


LISTED_CHARS = 240  # unsupported nodes are listed up to this length, then counted


def _listed(nodes) -> str:
    """The nodes named one after another, as many as fit in LISTED_CHARS (one at least)."""
    names = [named(nodes[0])]
    for node in nodes[1:]:
        name = named(node)
        if sum(len(n) + 2 for n in names) + len(name) > LISTED_CHARS:
            break
        names.append(name)
    more = len(nodes) - len(names)
    return ", ".join(names) + (f" and {more} more" if more else "")


class GraphReader(ActivationFolding):
    """One pass over a graph's nodes in order; `read()` gives the blocks and the output's block.

    A translator's reader(graph_reader, node) reads the node's inputs with value_of and constant,
    adds its block with add_block, and sets the node's output in `values` (or with pass_on)."""

    def __init__(self, model) -> None:
        from onnx import numpy_helper  # onnx is an optional extra

        graph = model.graph
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
        self.consts: dict[str, np.ndarray] = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
        self.values: dict[str, Value] = {}
        self.blocks: list[Block] = []
        inputs = [i for i in graph.input if i.name not in self.consts]
        if len(inputs) != 1 or len(graph.output) != 1:
            raise OnnxImportError(f"a design has one input and one output; this graph has "
                                  f"{len(inputs)} input(s) and {len(graph.output)} output(s)")
        self.input, self.output = inputs[0], graph.output[0].name
        self.nodes = self.needed(list(graph.node))
        self.consumers: dict[str, list] = {}
        for node in self.nodes:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)
        self.done: set[int] = set()
        self.position = {id(node): k for k, node in enumerate(self.nodes)}
        # operator → reader(self, node): the translators' (each makes a block), then this reader's
        self.readers = {**onnx_readers(), **MOVES}

    def needed(self, nodes: list) -> list:
        """The nodes the output depends on, in an order where each comes after its inputs: in
        rounds, each round the nodes whose inputs the earlier rounds computed, in the graph's
        order (Kahn's algorithm, each node and each input looked at once)."""
        producer = {out: node for node in nodes for out in node.output if out}
        needed, stack = set(), [self.output]
        while stack:
            node = producer.get(stack.pop())
            if node is not None and id(node) not in needed:
                needed.add(id(node))
                stack.extend(n for n in node.input if n)
        pending = [n for n in nodes if id(n) in needed]
        ready = {self.input.name, *self.consts, ""}
        missing: list[set[str]] = []  # per pending node, its inputs not computed yet
        waiting: dict[str, list[int]] = {}  # an input → the pending nodes that wait for it
        for k, node in enumerate(pending):
            missing.append({i for i in node.input if i not in ready})
            for name in missing[k]:
                waiting.setdefault(name, []).append(k)
        ordered: list = []
        round_ = [k for k in range(len(pending)) if not missing[k]]
        while round_:
            ordered += [pending[k] for k in round_]
            following = []
            for k in round_:
                for name in pending[k].output:
                    if name in ready:
                        continue
                    ready.add(name)
                    for w in waiting.pop(name, ()):
                        missing[w].discard(name)
                        if not missing[w]:
                            following.append(w)
            round_ = sorted(following)
        if len(ordered) < len(pending):
            first = next(k for k in range(len(pending)) if missing[k])
            raise OnnxImportError(f"{named(pending[first])}: its inputs are never computed (a cycle?)")
        return ordered

    # ------------------------------------------------------------------ the pass
    def read(self) -> tuple[list[Block], Value]:
        known = set(self.readers) | ACTIVATION_OPS | set(FOLDERS) | {"Constant"}
        bad = [n for n in self.nodes if n.domain not in ("", "ai.onnx") or n.op_type not in known]
        if bad:
            raise OnnxImportError(f"unsupported operator{'s' if len(bad) > 1 else ''}: {_listed(bad)}")
        self._start()
        for index, node in enumerate(self.nodes):
            if index in self.done:
                continue
            inputs = [None if not n else self.consts.get(n) for n in node.input]
            if node.op_type != "Shape" and all(n == "" or n in self.consts for n in node.input):
                value = fold(node, inputs, self.opset)
                if value is None:
                    raise OnnxImportError(f"{named(node)}: cannot be read as a constant")
                self.consts[node.output[0]] = value
                continue
            for name in node.input:  # an activation right after a Dense or Conv2D?
                value = self.values.get(name)
                if value is not None and value.open and self._activation(name, value, index):
                    break
            if index in self.done:
                continue
            handler = self.readers.get(node.op_type)
            if handler is None and node.op_type in ACTIVATION_OPS:
                raise OnnxImportError(f"{named(node)}: this operator is read only as part of an "
                                      "activation right after a Dense or Conv2D layer, and here it "
                                      "computes none of the activations a design has")
            if handler is None:
                raise OnnxImportError(f"{named(node)}: this operator is read only in arithmetic on "
                                      "constants (shapes); on the network's values it has no block")
            handler(self, node)
            self.done.add(index)
        out = self.values.get(self.output)
        if out is None:
            raise OnnxImportError("the output is a constant: the graph does not use its input")
        if out.order is not None or out.perm != tuple(range(len(out.shape))) or len(out.shape) != 1:
            raise OnnxImportError(f"the output must be a flat vector per sample, not shaped "
                                  f"{sized(out.tensor_shape)}")
        return self.blocks, out

    def _start(self) -> None:
        dims = self.input.type.tensor_type.shape.dim
        shape = [d.dim_value if d.HasField("dim_value") else None for d in dims]
        if len(shape) < 2 or any(s is None or s < 1 for s in shape[1:]):
            raise OnnxImportError(f"the input {shown(self.input.name)} must be (batch, features…) with "
                                  f"fixed sizes after the batch, not {sized(shape)}")
        per_sample = tuple(int(s) for s in shape[1:])
        self.batch = shape[0]  # a graph exported for one batch size writes it in its reshapes
        width = self.input_width = int(np.prod(per_sample))
        self.blocks.append(Block("data", {}, label=self.input.name))
        value = Value(0, (width,), (0,))
        if len(per_sample) == 3 and per_sample[0] != 1:
            raise OnnxImportError(f"the input {shown(self.input.name)} is a {per_sample[0]}-channel "
                                  "channels-first image; a design's rows are channels-last")
        if len(per_sample) > 1:  # rows are flat in a design: reshape them as the graph reads them
            image = len(per_sample) == 3
            target = (*per_sample[1:], 1) if image else per_sample
            block = self.add_block("reshape", {"shape": ",".join(map(str, target))}, [0])
            value = Value(block, target, channels_first(3) if image else tuple(range(len(target))))
        self.values[self.input.name] = value

    def add_block(self, kind: str, params: dict, sources: list[int], arrays: dict | None = None,
             label: str = "") -> int:
        self.blocks.append(Block(kind, params, list(sources), dict(arrays or {}), label))
        return len(self.blocks) - 1

    def value_of(self, node, k: int = 0) -> Value:
        value = self.values.get(node.input[k])
        if value is None:
            raise OnnxImportError(f"{named(node)}: input {k + 1} must come from the network's input")
        return value

    def constant(self, node, k: int, what: str) -> np.ndarray:
        if k >= len(node.input) or node.input[k] not in self.consts:
            raise OnnxImportError(f"{named(node)}: its {what} must be a constant")
        return self.consts[node.input[k]]

    def single_use(self, name: str) -> bool:
        return len(self.consumers.get(name, [])) == 1 and name != self.output

    def pass_on(self, node, value: Value, keep_open: bool = False, source: int = 0) -> None:
        """The node's output is `value`, still open only when nothing else reads its input."""
        self.values[node.output[0]] = replace(
            value, open=value.open and keep_open and self.single_use(node.input[source]))

    # ------------------------------------------------------------------ activations
    # ------------------------------------------------------------------ operators
    def _op_Identity(self, node) -> None:
        self.pass_on(node, self.value_of(node), keep_open=True)

    def _op_Shape(self, node) -> None:
        name = node.input[0]
        if name in self.consts:
            shape = np.asarray(self.consts[name].shape, dtype=np.int64)
        else:
            shape = np.asarray([BATCH, *self.value_of(node).tensor_shape], dtype=np.int64)
        self.consts[node.output[0]] = shape[attribute(node, "start", 0):attribute(node, "end", None)]

    def _op_Cast(self, node) -> None:
        if numpy_type(attribute(node, "to")).kind != "f":
            raise OnnxImportError(f"{named(node)}: only a cast to floating point can be read")
        self._op_Identity(node)

    def _op_Transpose(self, node) -> None:
        value = self.value_of(node)
        rank = len(value.perm) + 1
        perm = list(attribute(node, "perm", list(range(rank))[::-1]))
        if value.order is not None or perm[0] != 0:
            raise OnnxImportError(f"{named(node)}: only a transpose that keeps the batch first (and "
                                  "does not follow a reordering Flatten) can be read")
        new = tuple(value.perm[p - 1] for p in perm[1:])
        self.pass_on(node, replace(value, perm=new), keep_open=True)


# the operators this reader reads itself: they pass a value on, seen another way, and add no block
MOVES = {"Identity": GraphReader._op_Identity, "Shape": GraphReader._op_Shape,
         "Cast": GraphReader._op_Cast, "Transpose": GraphReader._op_Transpose}
