"""Reading a feed-forward ONNX graph as blocks: Gemm/MatMul(+Add) → Dense, Conv → Conv2D, pooling,
Flatten/Reshape, BatchNormalization, Add, Concat, Dropout, and the activations after a Dense or a
Conv2D (single operators, or element-wise chains such as GELU's and SiLU's).

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
from core.interchange.onnx.images import ImageOperators
from core.interchange.onnx.values import Block, OnnxImportError, Value, channels_first, named, sized

__all__ = ["Block", "GraphReader", "OnnxImportError", "Value"]

CHANNELS_FIRST_OPS = {"Conv", "MaxPool", "AveragePool", "BatchNormalization"}
# operators read at run time (each has an _op_ method), besides the element-wise ones of activations
HANDLED = {"Identity", "Cast", "Dropout", "Transpose", "Reshape", "Flatten", "Gemm", "MatMul", "Add",
           "Sum", "Concat", "Conv", "MaxPool", "AveragePool", "BatchNormalization", "Shape"}
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


class GraphReader(ActivationFolding, ImageOperators):
    """One pass over a graph's nodes in order; `read()` gives the blocks and the output's block."""

    def __init__(self, model) -> None:
        from onnx import numpy_helper  # noqa: PLC0415

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
        self.nodes = self._needed(list(graph.node))
        self.consumers: dict[str, list] = {}
        for node in self.nodes:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)
        self.done: set[int] = set()
        self.position = {id(node): k for k, node in enumerate(self.nodes)}

    def _needed(self, nodes: list) -> list:
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
        known = HANDLED | ACTIVATION_OPS | set(FOLDERS) | {"Constant"}
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
            handler = getattr(self, f"_op_{node.op_type}", None)
            if handler is None and node.op_type in ACTIVATION_OPS:
                raise OnnxImportError(f"{named(node)}: this operator is read only as part of an "
                                      "activation right after a Dense or Conv2D layer, and here it "
                                      "computes none of the activations a design has")
            if handler is None:
                raise OnnxImportError(f"{named(node)}: this operator is read only in arithmetic on "
                                      "constants (shapes); on the network's values it has no block")
            handler(node)
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
            block = self._add("reshape", {"shape": ",".join(map(str, target))}, [0])
            value = Value(block, target, channels_first(3) if image else tuple(range(len(target))))
        self.values[self.input.name] = value

    def _add(self, kind: str, params: dict, sources: list[int], arrays: dict | None = None,
             label: str = "") -> int:
        self.blocks.append(Block(kind, params, list(sources), dict(arrays or {}), label))
        return len(self.blocks) - 1

    def _value(self, node, k: int = 0) -> Value:
        value = self.values.get(node.input[k])
        if value is None:
            raise OnnxImportError(f"{named(node)}: input {k + 1} must come from the network's input")
        return value

    def _const(self, node, k: int, what: str) -> np.ndarray:
        if k >= len(node.input) or node.input[k] not in self.consts:
            raise OnnxImportError(f"{named(node)}: its {what} must be a constant")
        return self.consts[node.input[k]]

    def _single_use(self, name: str) -> bool:
        return len(self.consumers.get(name, [])) == 1 and name != self.output

    def _set(self, node, value: Value, keep_open: bool = False, source: int = 0) -> None:
        """The node's output is `value`, still open only when nothing else reads its input."""
        self.values[node.output[0]] = replace(
            value, open=value.open and keep_open and self._single_use(node.input[source]))

    # ------------------------------------------------------------------ activations
    # ------------------------------------------------------------------ operators
    def _op_Identity(self, node) -> None:
        self._set(node, self._value(node), keep_open=True)

    def _op_Shape(self, node) -> None:
        name = node.input[0]
        if name in self.consts:
            shape = np.asarray(self.consts[name].shape, dtype=np.int64)
        else:
            shape = np.asarray([BATCH, *self._value(node).tensor_shape], dtype=np.int64)
        self.consts[node.output[0]] = shape[attribute(node, "start", 0):attribute(node, "end", None)]

    def _op_Cast(self, node) -> None:
        if numpy_type(attribute(node, "to")).kind != "f":
            raise OnnxImportError(f"{named(node)}: only a cast to floating point can be read")
        self._op_Identity(node)

    def _op_Dropout(self, node) -> None:
        if len(node.output) > 1 and node.output[1] in self.consumers:
            raise OnnxImportError(f"{named(node)}: its mask is used, which a design cannot give")
        rate = attribute(node, "ratio", 0.5)
        if len(node.input) > 1 and node.input[1]:
            rate = float(self._const(node, 1, "ratio"))
        if len(node.input) > 2 and node.input[2] and bool(self._const(node, 2, "training mode")):
            raise OnnxImportError(f"{named(node)}: dropout in training mode cannot be read")
        if not 0 <= rate <= 0.95:
            raise OnnxImportError(f"{named(node)}: a dropout rate of {rate} is outside [0, 0.95]")
        value = self._value(node)
        block = self._add("dropout", {"rate": float(rate)}, [value.block])
        self.values[node.output[0]] = replace(value, block=block, open=False)

    def _op_Transpose(self, node) -> None:
        value = self._value(node)
        rank = len(value.perm) + 1
        perm = list(attribute(node, "perm", list(range(rank))[::-1]))
        if value.order is not None or perm[0] != 0:
            raise OnnxImportError(f"{named(node)}: only a transpose that keeps the batch first (and "
                                  "does not follow a reordering Flatten) can be read")
        new = tuple(value.perm[p - 1] for p in perm[1:])
        self._set(node, replace(value, perm=new), keep_open=True)

    def _op_Flatten(self, node) -> None:
        value = self._value(node)
        rank = len(value.perm) + 1
        if attribute(node, "axis", 1) % rank != 1:
            raise OnnxImportError(f"{named(node)}: only a Flatten that keeps the batch axis can be read")
        self.values[node.output[0]] = self._flatten(value)

    def _flatten(self, value: Value) -> Value:
        if value.order is not None:
            return replace(value, open=False)
        size = int(np.prod(value.shape))
        order = np.arange(size).reshape(value.shape).transpose(value.perm).reshape(-1)
        block = value.block
        if len(value.shape) > 1:
            block = self._add("flatten", {}, [value.block])
        keep = None if np.array_equal(order, np.arange(size)) else order
        return Value(block, (size,), (0,), keep)

    def _op_Reshape(self, node) -> None:
        value = self._value(node)
        target = [int(t) for t in self._const(node, 1, "shape").reshape(-1)]
        zero = attribute(node, "allowzero", 0)
        tensor = (None, *value.tensor_shape)
        target = [tensor[i] if t == 0 and not zero and i < len(tensor) and i else t
                  for i, t in enumerate(target)]
        batch = (BATCH, 0, -1, self.batch) if self.batch else (BATCH, 0, -1)
        if not target or target[0] not in batch or (target[0] == -1 and -1 in target[1:]):
            raise OnnxImportError(f"{named(node)}: only a reshape that keeps the batch can be read")
        size = int(np.prod(value.shape))
        rest = target[1:]
        if any(t < -1 or t == 0 for t in rest) or rest.count(-1) > 1:
            raise OnnxImportError(f"{named(node)}: cannot read the target shape {sized(target)}")
        if -1 in rest:
            known = int(np.prod([t for t in rest if t != -1]))
            rest = [size // known if t == -1 else t for t in rest]
        if int(np.prod(rest)) != size:
            raise OnnxImportError(f"{named(node)}: {size} values cannot take the shape {sized(rest)}")
        rest = tuple(rest)
        if rest == value.tensor_shape:
            self._set(node, value, keep_open=True)
            return
        if len(rest) == 1:
            self.values[node.output[0]] = self._flatten(value)
            return
        if value.order is not None or value.perm != tuple(range(len(value.shape))):
            raise OnnxImportError(f"{named(node)}: a reshape of transposed values has no block")
        users = {u.op_type for u in self.consumers.get(node.output[0], [])}
        if len(rest) == 3 and rest[0] == 1 and users & CHANNELS_FIRST_OPS:
            # a one-channel channels-first image holds its values in channels-last order too
            shape, perm = (rest[1], rest[2], 1), channels_first(3)
        else:
            shape, perm = rest, tuple(range(len(rest)))
        block = self._add("reshape", {"shape": ",".join(map(str, shape))}, [value.block])
        self.values[node.output[0]] = Value(block, shape, perm)

    def _dense(self, node, value: Value, kernel: np.ndarray, bias: np.ndarray | None) -> None:
        if value.perm != (0,) or len(value.shape) != 1:
            raise OnnxImportError(f"{named(node)}: a Dense layer takes a flat vector per sample, not "
                                  f"values shaped {sized(value.tensor_shape)}")
        if kernel.ndim != 2 or kernel.shape[0] != value.shape[0]:
            raise OnnxImportError(f"{named(node)}: weights shaped {sized(kernel.shape)} do not fit "
                                  f"{value.shape[0]} inputs")
        if value.order is not None:  # rows in the engine's order of the flattened values
            ordered = np.empty_like(kernel)
            ordered[value.order] = kernel
            kernel = ordered
        units = int(kernel.shape[1])
        arrays = {"kernel": kernel.astype(np.float32)}
        if bias is not None:
            arrays["bias"] = np.broadcast_to(bias, (units,)).astype(np.float32)
        params = {"units": units, "activation": "identity", "activation_params": {},
                  "use_bias": bias is not None}
        block = self._add("dense", params, [value.block], arrays)
        self.values[node.output[0]] = Value(block, (units,), (0,), open=True)

    def _op_Gemm(self, node) -> None:
        if attribute(node, "transA", 0):
            raise OnnxImportError(f"{named(node)}: a Gemm with transA cannot be read")
        kernel = self._const(node, 1, "weight matrix").astype(np.float64)
        if attribute(node, "transB", 0):
            kernel = kernel.T
        kernel = kernel * attribute(node, "alpha", 1.0)
        bias = None
        if len(node.input) > 2 and node.input[2]:
            bias = self._const(node, 2, "bias").astype(np.float64) * attribute(node, "beta", 1.0)
            if bias.size not in (1, kernel.shape[1]):
                raise OnnxImportError(f"{named(node)}: a bias shaped {sized(bias.shape)} is not one per unit")
            bias = bias.reshape(-1)
        self._dense(node, self._value(node), kernel, bias)

    def _op_MatMul(self, node) -> None:
        self._dense(node, self._value(node), self._const(node, 1, "weight matrix"), None)

    def _op_Add(self, node) -> None:
        names = [n in self.values for n in node.input]
        if all(names):
            self._merge(node, "add")
            return
        runtime = 0 if names[0] else 1
        value = self._value(node, runtime)
        constant = self._const(node, 1 - runtime, "other input")
        block = self.blocks[value.block]
        if not (value.open and self._single_use(node.input[runtime])) or \
                block.kind not in ("dense", "conv2d"):
            raise OnnxImportError(f"{named(node)}: adding a constant has a block only as the bias "
                                  "of a Dense or Conv2D layer, before its activation")
        bias = self._per_unit(node, value, constant, "bias")
        if block.params["use_bias"]:
            bias = block.arrays["bias"] + bias
        block.params["use_bias"] = True
        block.arrays["bias"] = bias.astype(np.float32)
        self._set(node, value, keep_open=True, source=runtime)

    def _op_Sum(self, node) -> None:
        self._merge(node, "add")

    def _op_Concat(self, node) -> None:
        self._merge(node, "concatenate")

    def _merge(self, node, kind: str) -> None:
        values = [self._value(node, k) for k in range(len(node.input))]
        first = values[0]
        if any(v.order is not None or v.perm != first.perm for v in values):
            raise OnnxImportError(f"{named(node)}: its inputs are laid out differently")
        if len({v.block for v in values}) < len(values):
            raise OnnxImportError(f"{named(node)}: takes one block's output twice")
        if kind == "add":
            if any(v.shape != first.shape for v in values):
                raise OnnxImportError(f"{named(node)}: adds values of different shapes")
            shape = first.shape
        else:
            axis = attribute(node, "axis") % (len(first.perm) + 1)
            if axis == 0 or first.perm[axis - 1] != len(first.shape) - 1:
                raise OnnxImportError(f"{named(node)}: joins along another axis than the last "
                                      "(channels-last) one")
            if any(v.shape[:-1] != first.shape[:-1] for v in values):
                raise OnnxImportError(f"{named(node)}: joins values whose other axes differ")
            shape = (*first.shape[:-1], sum(v.shape[-1] for v in values))
        block = self._add(kind, {}, [v.block for v in values])
        self.values[node.output[0]] = Value(block, shape, first.perm)
