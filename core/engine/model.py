"""The executable model: ops in order over one flat parameter buffer; forward, backward, loss."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.engine.backend import to_numpy, xp


@dataclass(frozen=True)
class Piece:
    """Columns of one value slot that feed an op (columns None: the whole slot)."""

    slot: int
    columns: Any = None
    width: int = 0


@dataclass
class Op:
    """One layer of the model: neurons of one depth, or one block."""

    node_ids: tuple[str, ...]
    layer: Any
    inputs: list[Piece]
    out_slot: int
    need_dx: bool = True
    merges: bool = False  # the layer takes one array per piece (Add, Concatenate)
    absent: Any = None  # where in the model's buffer its kernel slots of absent wires lie
    params: dict[str, Any] = field(default_factory=dict)
    grads: dict[str, Any] = field(default_factory=dict)


class Model:
    """A compiled design. Slot 0 holds the input features; each op writes one slot."""

    def __init__(self, ops: list[Op], n_features: int, dtype: Any, output_width: int,
                 rng: np.random.Generator) -> None:
        self.ops = ops
        self.n_features = n_features
        self.dtype = np.dtype(dtype)
        self.output_width = output_width
        self.rng = rng
        self.n_slots = 1 + len(ops)
        self.stochastic = any(getattr(op.layer, "stochastic", False) for op in ops)
        self.output_op = ops[-1]
        if hasattr(self.output_op.layer, "keep_preactivation"):
            self.output_op.layer.keep_preactivation = True  # the loss may work from the logits
        sizes = []
        for op in ops:
            for name, shape in op.layer.param_shapes().items():
                sizes.append((op, name, shape, int(np.prod(shape))))
        total = sum(s[3] for s in sizes)
        self.flat = xp.zeros(total, dtype=self.dtype)
        self.grad = xp.zeros(total, dtype=self.dtype)
        decay = np.zeros(total, dtype=self.dtype)
        statistics: list[int] = []
        absent: list[np.ndarray] = []
        offset = 0
        for op, name, shape, size in sizes:
            op.params[name] = self.flat[offset:offset + size].reshape(shape)
            op.grads[name] = self.grad[offset:offset + size].reshape(shape)
            if name in op.layer.decay:
                decay[offset:offset + size] = 1
            if name in getattr(op.layer, "statistics", ()):
                statistics.extend(range(offset, offset + size))
            mask = getattr(op.layer, "mask", None)
            if name == "kernel" and isinstance(mask, np.ndarray):
                absent.append(offset + np.flatnonzero(~mask.ravel()))
                op.absent = xp.asarray(absent[-1])
            offset += size
        # the kernel slots of a neuron layer that no wire fills: always zero, whatever is written
        # into the buffer (a stored array, a restored snapshot, an optimizer's momentum)
        self.absent = xp.asarray(np.concatenate(absent)) if absent else None
        # values a layer keeps up to date itself (BatchNorm's running statistics): saved with the
        # weights, never moved by an optimizer
        self.statistics = xp.asarray(np.asarray(statistics, dtype=np.int64)) if statistics else None
        self.decay_mask = xp.asarray(decay) if total and not decay.all() else None
        self.size = total
        # how the loss meets the output: "fused" (from the pre-activation), "logits", or "plain"
        self.output_activation = getattr(self.output_op.layer, "output_activation", "identity")

    # ------------------------------------------------------------------ parameters
    def set_param(self, op_index: int, name: str, value: Any) -> None:
        op = self.ops[op_index]
        op.params[name][...] = xp.asarray(value, dtype=self.dtype)
        if name == "kernel" and op.absent is not None:
            self.flat[op.absent] = 0

    def parameters_numpy(self) -> np.ndarray:
        return to_numpy(self.flat).copy()

    def load_flat(self, values: Any) -> None:
        self.flat[...] = xp.asarray(values, dtype=self.dtype)
        self.zero_absent()

    def zero_absent(self) -> None:
        """Put the kernel slots of absent wires back to zero (after anything writes the buffer)."""
        if self.absent is not None:
            self.flat[self.absent] = 0

    # ------------------------------------------------------------------ forward
    @staticmethod
    def gather(slots: list, pieces: list[Piece], separate: bool = False):
        """An op's input: its pieces side by side (flat), or for a merge layer (`separate`) a
        list with one array per incoming connection."""
        if separate:
            return [slots[p.slot] if p.columns is None else slots[p.slot][:, p.columns]
                    for p in pieces]
        if len(pieces) == 1:
            piece = pieces[0]
            value = slots[piece.slot]
            return value if piece.columns is None else value[:, piece.columns]
        parts = [slots[p.slot] if p.columns is None else slots[p.slot][:, p.columns] for p in pieces]
        return xp.concatenate([part.reshape(part.shape[0], -1) for part in parts], axis=1)

    def forward(self, x, training: bool = False):
        """The network's output for a batch of feature rows (activated, as a person reads it)."""
        slots: list[Any] = [None] * self.n_slots
        slots[0] = x
        for op in self.ops:
            slots[op.out_slot] = op.layer.forward(op.params, self.gather(slots, op.inputs, op.merges),
                                                  training, self.rng)[0]
        return slots[self.output_op.out_slot]

    def forward_all(self, x, training: bool = False, activate_output: bool = True):
        """Every slot's value and every op's cache (for training and for probes); without
        `activate_output` the output slot holds the output layer's weighted sums."""
        slots: list[Any] = [None] * self.n_slots
        caches: list[Any] = [None] * len(self.ops)
        slots[0] = x
        last = len(self.ops) - 1
        for i, op in enumerate(self.ops):
            inputs = self.gather(slots, op.inputs, op.merges)
            if i == last and not activate_output:
                slots[op.out_slot], caches[i] = op.layer.forward_linear(op.params, inputs)
            else:
                slots[op.out_slot], caches[i] = op.layer.forward(op.params, inputs, training, self.rng)
        return slots, caches

    # ------------------------------------------------------------------ backward
    def backward(self, caches: list, d_output, from_preactivation: bool = False) -> None:
        """Fill self.grad by the chain rule, from dL/d(output) or dL/d(output's pre-activation)."""
        dslots: list[Any] = [None] * self.n_slots
        last = len(self.ops) - 1
        for i in range(last, -1, -1):
            op = self.ops[i]
            if i == last:
                if from_preactivation:
                    x = caches[i][0]
                    dx = op.layer.backward_linear(op.params, x, d_output, op.grads, op.need_dx)
                else:
                    dx = op.layer.backward(op.params, caches[i], d_output, op.grads, op.need_dx)
            else:
                dy = dslots[op.out_slot]
                if dy is None:  # nothing downstream uses it: its gradient is zero
                    for g in op.grads.values():
                        g[...] = 0
                    continue
                dx = op.layer.backward(op.params, caches[i], dy, op.grads, op.need_dx)
            if op.need_dx and op.merges:
                for piece, part in zip(op.inputs, dx, strict=True):
                    self._scatter(dslots, [piece], part)
            elif op.need_dx:
                self._scatter(dslots, op.inputs, dx)

    def _scatter(self, dslots: list, pieces: list[Piece], dx) -> None:
        offset = 0
        single = len(pieces) == 1
        for piece in pieces:
            part = dx if single else dx[:, offset:offset + piece.width]
            offset += piece.width
            if piece.slot == 0:
                continue
            current = dslots[piece.slot]
            if piece.columns is None:
                if current is None:
                    dslots[piece.slot] = part if single else part.reshape(self._slot_shape(piece.slot, part))
                else:
                    current += part.reshape(current.shape)
            else:
                if current is None:
                    current = dslots[piece.slot] = xp.zeros(
                        (part.shape[0], self._slot_width(piece.slot)), dtype=part.dtype)
                current[:, piece.columns] += part

    def _slot_shape(self, slot: int, part) -> tuple[int, ...]:
        """(N, *shape) of the value the op writing `slot` gave (a block's image, a flat layer)."""
        layer = self.ops[slot - 1].layer
        return (part.shape[0], *getattr(layer, "out_shape", (layer.n_out,)))

    def _slot_width(self, slot: int) -> int:
        return self.ops[slot - 1].layer.n_out

    # ------------------------------------------------------------------ loss
    def loss_and_gradients(self, x, t, loss, rule: str = "gradient"):
        """Forward, loss and backward for one batch; returns the batch loss (a backend scalar)."""
        mode = "perceptron" if rule == "perceptron" else self.loss_mode(loss)
        slots, caches = self.forward_all(x, training=True, activate_output=mode != "fused")
        out = slots[self.output_op.out_slot]
        if rule == "perceptron":
            diff = out - t
            self.backward(caches, diff / out.shape[0], from_preactivation=True)
            return loss.value(out, t)  # validation gives a step output a loss with 0/1 targets
        if mode == "fused":
            value, dz = loss.value_and_grad_logits(out, t)  # out: the weighted sums
            self.backward(caches, dz, from_preactivation=True)
        elif mode == "logits":
            value, dout = loss.value_and_grad_logits(out, t)
            self.backward(caches, dout)
        else:
            value, dout = loss.value_and_grad(out, t)
            self.backward(caches, dout)
        return value

    def loss_mode(self, loss) -> str:
        if loss.fused_activation is None:
            return "plain"
        if self.output_activation == loss.fused_activation:
            return "fused"
        return "logits"

    def loss_value(self, out, t, loss, z=None):
        """The loss of already-computed outputs (for evaluation)."""
        mode = self.loss_mode(loss)
        if mode == "plain":
            return loss.value(out, t)
        if mode == "logits":
            return loss.value_logits(out, t)
        return loss.value_logits(z, t)
