"""The ensemble model: K variants of one compiled structure, their parameters one (K, size) buffer,
every slot's value (K, N, …); forward, backward and the loss for all variants in one pass."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from core.engine.backend import (
    blas_limitable,
    blas_single_thread,
    free_cores,
    is_gpu,
    keep_freed_memory,
    to_numpy,
    xp,
)
from core.engine.ensemble import chain, losses
from core.engine.ensemble.chain import is_chain
from core.engine.ensemble.layers import ensemble_layer
from core.engine.model import Model, Piece
from core.engine.work import STEP_FACTOR, multiply_adds_per_sample

# A training step of at least this many floating-point operations (all variants) runs on a BLAS of
# one thread, and is split among as many threads as there are free cores, each taking at least
# this much: the K products of a step are parallel work enough, and on a shared machine a BLAS's
# own threads wait on each other (the digits MLP's 16 variants, 1 GFLOP a step, took 49–72 ms
# with OpenBLAS's two threads on a busy 2-core machine, 10 ms with one). Below it, handing the
# parts over costs more than a core gives (the playground net's 16 variants: 0.15 MFLOP).
SPLIT_WORK = 20_000_000

_pool: tuple[int, ThreadPoolExecutor | None] = (0, None)


def pool(workers: int) -> ThreadPoolExecutor:
    """The threads that take the other parts of a split step (made once, grown when needed)."""
    global _pool
    size, executor = _pool
    if executor is None or size < workers:
        if executor is not None:
            executor.shutdown(wait=False)
        executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ensemble")
        _pool = (workers, executor)
    return executor


def step_work_per_sample(template: Model) -> int:
    return 2 * STEP_FACTOR * multiply_adds_per_sample(template)


class EnsembleModel:
    """The template's ops over K rows of parameters (one row per variant, each laid out as the
    template's flat buffer, so that a row is what a single model of that variant holds)."""

    def __init__(self, template: Model, rows: list[Any]) -> None:
        keep_freed_memory()  # a step's big arrays, made and freed from several threads
        self.template = template
        self.dtype = template.dtype
        self.ops = template.ops
        self.layers = [ensemble_layer(op.layer) for op in template.ops]
        self.n_slots = template.n_slots
        self.output_op = template.output_op
        self.output_activation = template.output_activation
        self.stochastic = template.stochastic
        self.absent, self.statistics = template.absent, template.statistics
        self.decay_mask = template.decay_mask
        self.size = template.size
        self.chain = is_chain(template.ops, template.output_op)
        self.layout: list[tuple[int, str, tuple[int, ...], int]] = []
        offset = 0
        for index, op in enumerate(template.ops):
            for name, shape in op.layer.param_shapes().items():
                self.layout.append((index, name, tuple(shape), offset))
                offset += int(np.prod(shape))
        self.flat = xp.stack([xp.asarray(row, dtype=self.dtype) for row in rows])
        self.work = step_work_per_sample(template)  # floating-point operations per sample
        self._parts: list[EnsembleModel] | None = None
        self._threads = 1  # how many threads the last split step took
        self._bind()

    @property
    def k(self) -> int:
        return self.flat.shape[0]

    def _bind(self) -> None:
        """Each op's (K, *shape) views into the buffers (again after `keep`)."""
        self.grad = xp.zeros_like(self.flat)
        self._parts = None
        self._views()

    def _views(self) -> None:
        self.params: list[dict[str, Any]] = [{} for _ in self.ops]
        self.grads: list[dict[str, Any]] = [{} for _ in self.ops]
        k = self.k
        for index, name, shape, offset in self.layout:
            size = int(np.prod(shape))
            self.params[index][name] = self.flat[:, offset:offset + size].reshape(k, *shape)
            self.grads[index][name] = self.grad[:, offset:offset + size].reshape(k, *shape)
        self.inline = chain.inline_steps(self) if self.chain else None

    def part(self, start: int, stop: int) -> EnsembleModel:
        """Variants start…stop−1 as a model of their own: views into this one's buffers (its
        gradients land in this model's), layers of its own (their buffers too)."""
        part = object.__new__(EnsembleModel)
        part.__dict__.update(self.__dict__)
        part.layers = [ensemble_layer(op.layer) for op in self.ops]
        part.flat, part.grad = self.flat[start:stop], self.grad[start:stop]
        part._parts = None
        part._views()
        return part

    def _split(self, n: int) -> list[tuple[int, int]]:
        """Rows of the parts that threads take, each on a one-thread BLAS; [] for a step too
        small to be worth it (the BLAS as it is, small products take one thread anyway)."""
        if is_gpu or self.work * n * self.k < SPLIT_WORK or not blas_limitable():
            return []
        threads = min(self.k, free_cores(self._threads), self.work * n * self.k // SPLIT_WORK)
        self._threads = threads
        bounds = [round(i * self.k / threads) for i in range(threads + 1)]
        return list(zip(bounds[:-1], bounds[1:], strict=True))

    def keep(self, rows: np.ndarray) -> None:
        """Only these variants go on: the others' rows leave the buffer."""
        self.flat = self.flat[to_numpy(rows)]
        self._bind()

    def row(self, k: int) -> np.ndarray:
        return to_numpy(self.flat[k]).copy()

    def zero_absent(self, rows: slice = slice(None)) -> None:
        if self.absent is not None:
            self.flat[rows, self.absent] = 0

    # ------------------------------------------------------------------ forward
    @staticmethod
    def gather(slots: list, pieces: list[Piece], separate: bool = False):
        if separate:
            return [slots[p.slot] if p.columns is None else slots[p.slot][:, :, p.columns]
                    for p in pieces]
        if len(pieces) == 1:
            piece = pieces[0]
            value = slots[piece.slot]
            return value if piece.columns is None else value[:, :, piece.columns]
        parts = [slots[p.slot] if p.columns is None else slots[p.slot][:, :, p.columns]
                 for p in pieces]
        return xp.concatenate([part.reshape(part.shape[0], part.shape[1], -1) for part in parts],
                              axis=2)

    def forward_all(self, x, training: bool = False, activate_output: bool = True,
                    rngs: Any = None):
        """Every slot's value (K, N, …) and every op's cache; without `activate_output` the output
        slot holds the output layer's weighted sums."""
        slots: list[Any] = [None] * self.n_slots
        caches: list[Any] = [None] * len(self.ops)
        slots[0] = x
        last = len(self.ops) - 1
        for i, op in enumerate(self.ops):
            inputs = self.gather(slots, op.inputs, op.merges)
            layer = self.layers[i]
            if i == last and not activate_output:
                slots[op.out_slot], caches[i] = layer.forward_linear(self.params[i], inputs)
            else:
                slots[op.out_slot], caches[i] = layer.forward(self.params[i], inputs, training, rngs)
        return slots, caches

    def _output(self, x, training: bool = False, activate_output: bool = True, rngs: Any = None):
        """(the output op's value, every op's cache)."""
        if self.chain:
            return chain.forward(self, x, training, activate_output, rngs)
        slots, caches = self.forward_all(x, training, activate_output, rngs)
        return slots[self.output_op.out_slot], caches

    def outputs(self, x):
        """(outputs, the output layer's pre-activation or None) for (K, N, features) rows."""
        out, caches = self._output(x)
        layer = self.layers[-1]
        return out, layer.preactivation(caches[-1]) if layer.has_preactivation else None

    # ------------------------------------------------------------------ backward
    def backward(self, caches: list, d_output, from_preactivation: bool = False) -> None:
        dslots: list[Any] = [None] * self.n_slots
        last = len(self.ops) - 1
        for i in range(last, -1, -1):
            op, layer = self.ops[i], self.layers[i]
            p, g = self.params[i], self.grads[i]
            if i == last:
                if from_preactivation:
                    dx = layer.backward_linear(p, caches[i], d_output, g, op.need_dx)
                else:
                    dx = layer.backward(p, caches[i], d_output, g, op.need_dx)
            else:
                dy = dslots[op.out_slot]
                if dy is None:  # nothing downstream uses it: its gradient is zero
                    for a in g.values():
                        a[...] = 0
                    continue
                dx = layer.backward(p, caches[i], dy, g, op.need_dx)
            if op.need_dx and op.merges:
                for piece, part in zip(op.inputs, dx, strict=True):
                    self._scatter(dslots, [piece], part)
            elif op.need_dx:
                self._scatter(dslots, op.inputs, dx)

    def _chain_backward(self, caches: list, d_output, from_preactivation: bool = False) -> None:
        chain.backward(self, caches, d_output, from_preactivation)

    def _scatter(self, dslots: list, pieces: list[Piece], dx) -> None:
        offset = 0
        single = len(pieces) == 1
        for piece in pieces:
            part = dx if single else dx[:, :, offset:offset + piece.width]
            offset += piece.width
            if piece.slot == 0:
                continue
            current = dslots[piece.slot]
            layer = self.ops[piece.slot - 1].layer
            if piece.columns is None:
                if current is None:
                    shape = (*part.shape[:2], *getattr(layer, "out_shape", (layer.n_out,)))
                    dslots[piece.slot] = part if single else part.reshape(shape)
                else:
                    current += part.reshape(current.shape)
            else:
                if current is None:
                    current = dslots[piece.slot] = xp.zeros(
                        (*part.shape[:2], layer.n_out), dtype=part.dtype)
                current[:, :, piece.columns] += part

    # ------------------------------------------------------------------ loss
    def loss_and_gradients(self, x, t, loss, rule: str = "gradient", rngs: Any = None,
                           then: Callable[[slice], Any] | None = None):
        """Forward, loss and backward for one batch of each variant; returns the K batch losses.

        Where a step is big enough (`SPLIT_WORK`) and the machine has cores to spare, the variants
        are split among threads, each part on a BLAS of one thread (NumPy lets go of the GIL in
        its products): the same products as one thread, so the same numbers. `then(rows)`, where
        given, follows each part's gradients in that part's thread, with the part's rows as a
        slice (all of them, unsplit): the update of those rows, so that it runs in parallel too."""
        rows = self._split(x.shape[1])
        if not rows:
            return self._whole(x, t, loss, rule, rngs, then)
        if len(rows) == 1:  # no core to spare: one thread, its BLAS on one thread too
            with blas_single_thread():
                return self._whole(x, t, loss, rule, rngs, then)
        if self._parts is None or len(self._parts) != len(rows):
            self._parts = [self.part(a, b) for a, b in rows]
        jobs = [(part, a, b) for part, (a, b) in zip(self._parts, rows, strict=True)]

        def run(job):
            part, a, b = job
            value = part._loss_and_gradients(x[a:b], t[a:b], loss, rule,
                                             None if rngs is None else rngs[a:b])
            if then is not None:
                then(slice(a, b))
            return value

        with blas_single_thread():
            futures = [pool(len(jobs) - 1).submit(run, job) for job in jobs[1:]]
            try:
                first = run(jobs[0])
            finally:  # the other parts end before this step's buffers are touched again
                values = [f.result() for f in futures]
        return xp.concatenate([xp.asarray(v) for v in [first, *values]])

    def _whole(self, x, t, loss, rule: str, rngs: Any, then: Callable[[slice], Any] | None):
        """The step unsplit: every variant's gradients, then their update."""
        values = self._loss_and_gradients(x, t, loss, rule, rngs)
        if then is not None:
            then(slice(None))
        return values

    def _loss_and_gradients(self, x, t, loss, rule: str = "gradient", rngs: Any = None):
        mode = "perceptron" if rule == "perceptron" else self.template.loss_mode(loss)
        out, caches = self._output(x, training=True, activate_output=mode != "fused", rngs=rngs)
        backward = self._chain_backward if self.chain else self.backward
        if rule == "perceptron":
            diff = out - t
            backward(caches, diff / out.shape[1], from_preactivation=True)
            return losses.values(loss, out, t)
        if mode == "fused" or mode == "logits":
            value, dz = losses.value_and_grad_logits(loss, out, t)
            backward(caches, dz, from_preactivation=mode == "fused")
        else:
            value, dout = losses.value_and_grad(loss, out, t)
            backward(caches, dout)
        return value
