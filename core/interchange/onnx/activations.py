"""Folding the activation that follows a Dense or Conv2D's weighted sums into the block: Softmax,
LeakyRelu, Elu and PRelu by their attributes, anything else as an element-wise chain whose values
match one of the engine's activations (Relu, Sigmoid, GELU's and SiLU's compositions, …)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from core.interchange.onnx.functions import ELEMENTWISE, activation_of, attribute, evaluate_chain
from core.interchange.onnx.values import OnnxImportError, Value, named, sized


class ActivationFolding:
    """Part of GraphReader (onnx/graph.py): its consts, values, consumers, nodes and blocks."""

    def _activation(self, name: str, value: Value, index: int) -> bool:
        """Fold the activation that follows a Dense or Conv2D's sums `name` into the block."""
        users = self.consumers.get(name, [])
        if name == self.output or not users:
            return False
        first = users[0]
        if len(users) == 1 and first.op_type in ("Softmax", "LeakyRelu", "Elu", "PRelu"):
            act, params, arrays = self._single_activation(first, value)
            self._activate(value, act, params, arrays)
            self.values[first.output[0]] = replace(value, open=False)
            self.done.add(self.position[id(first)])
            return True
        chain, found = [], None
        region = {name}
        for k in range(index, len(self.nodes)):
            node = self.nodes[k]
            if k in self.done or node.op_type not in ELEMENTWISE or len(node.output) != 1:
                continue
            ins = [n for n in node.input if n]
            if not any(n in region for n in ins) or not all(
                    n in region or (n in self.consts and self.consts[n].size == 1) for n in ins):
                continue
            chain.append((k, node))
            region.add(node.output[0])
            if len(chain) > 40:
                break
            inside = {id(c) for _, c in chain}
            outside = {n for n in region if n == self.output or any(
                id(u) not in inside for u in self.consumers.get(n, []))}
            if outside == {node.output[0]}:
                values = evaluate_chain([c for _, c in chain], name, self.consts)
                act = activation_of(values[node.output[0]])
                if act is not None:
                    found = (list(chain), act)
        if found is None:
            return False
        chain, act = found
        self._activate(value, act, {}, {})
        for k, _ in chain:
            self.done.add(k)
        self.values[chain[-1][1].output[0]] = replace(value, open=False)
        return True

    def _single_activation(self, node, value: Value) -> tuple[str, dict, dict]:
        if node.op_type == "Softmax":
            rank = len(value.shape) + 1
            axis = attribute(node, "axis", -1 if self.opset >= 13 else 1) % rank
            last = axis == rank - 1 or self.opset >= 13
            if axis == 0 or not last or value.perm[axis - 1] != len(value.shape) - 1:
                raise OnnxImportError(f"{named(node)}: a softmax over another axis than the units "
                                      "(or the channels) has no block")
            return "softmax", {}, {}
        if node.op_type == "Elu":
            alpha = float(attribute(node, "alpha", 1.0))
            if not 0 <= alpha <= 100:
                raise OnnxImportError(f"{named(node)}: ELU alpha {alpha} is outside [0, 100]")
            return "elu", {"alpha": alpha}, {}
        if node.op_type == "LeakyRelu":
            slope = float(attribute(node, "alpha", 0.01))
            if 0 <= slope <= 1:
                return "leaky_relu", {"slope": slope}, {}
            slopes = np.full(value.shape[-1], slope)  # a leaky ReLU's slope is kept within [0, 1]
        else:
            slopes = self.per_unit(node, value, self.constant(node, 1, "slope"), "slope")
        return "prelu", {}, {"slope_act": slopes}

    def per_unit(self, node, value: Value, array: np.ndarray, what: str) -> np.ndarray:
        """A constant that broadcasts over the tensor as one number per unit (the engine's last
        axis), as that vector."""
        try:
            full = np.broadcast_to(array, value.tensor_shape if array.ndim <= len(value.perm)
                                   else (1, *value.tensor_shape))
        except ValueError:
            raise OnnxImportError(f"{named(node)}: its {what} of shape {sized(array.shape)} does not fit "
                                  f"the values shaped {sized(value.tensor_shape)}") from None
        full = full.reshape(value.tensor_shape).transpose(np.argsort(value.perm))
        rows = full.reshape(-1, value.shape[-1])
        if not np.all(rows == rows[0]):
            raise OnnxImportError(f"{named(node)}: its {what} differs along other axes than the units")
        return rows[0].astype(np.float32)

    def _activate(self, value: Value, act: str, params: dict, arrays: dict) -> None:
        block = self.blocks[value.block]
        block.params.update(activation=act, activation_params=params)
        block.arrays.update(arrays)
