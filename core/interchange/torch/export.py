"""Export a design as one PyTorch training script: the module with its weights, the data, the
split, the engine's training settings, and a loop that runs alone or under torchrun (DDP)."""

from __future__ import annotations

import base64
import io

import numpy as np

from core.data.datasets import train_test_split
from core.design import registry
from core.design.errors import DesignError, Problem
from core.interchange.code import (
    ForwardWriter,
    Plan,
    Step,
    activation_functions,
    definitions,
    describe_output,
    make_plan,
    names_text,
    safe_text,
    str_literal,
    used_activations,
    write_source,
)
from core.interchange.lines import docstring_lines, wrap_code
from core.interchange.translation import template

# optimizer id → (the torch.optim call, {engine slot: torch state key})
OPTIMIZERS = {
    "sgd": ("torch.optim.SGD(params, lr=LEARNING_RATE)", {}),
    "momentum": ("torch.optim.SGD(params, lr=LEARNING_RATE, momentum={momentum})",
                 {"velocity": "momentum_buffer"}),
    "nesterov": ("torch.optim.SGD(params, lr=LEARNING_RATE, momentum={momentum}, nesterov=True)",
                 {"velocity": "momentum_buffer"}),
    "rmsprop": ("torch.optim.RMSprop(params, lr=LEARNING_RATE, alpha={rho}, eps={eps})",
                {"square_avg": "square_avg"}),
    "adam": ("torch.optim.Adam(params, lr=LEARNING_RATE, betas=({beta1}, {beta2}), eps={eps})",
             {"m": "exp_avg", "v": "exp_avg_sq"}),
    "adamw": ("torch.optim.AdamW(params, lr=LEARNING_RATE, betas=({beta1}, {beta2}), eps={eps}, "
              "weight_decay={weight_decay})", {"m": "exp_avg", "v": "exp_avg_sq"}),
}
STEP_COUNTED = ("rmsprop", "adam", "adamw")  # torch keeps a step count in their state
# loss id → its value over a batch of n rows, from `{out}` (the output, or the logits) and T
LOSSES = {
    "mse": "diff = {out} - T\nvalue = 0.5 * (diff * diff).sum() / n  # ½ of the squared distance",
    "mae": "value = ({out} - T).abs().sum() / n",
    "huber": "value = F.huber_loss({out}, T, reduction=\"sum\", delta={delta}) / n",
    "binary_cross_entropy":
        "value = F.binary_cross_entropy_with_logits({out}, T, reduction=\"sum\") / n",
    "softmax_cross_entropy":
        "value = -(T * torch.log_softmax({out}, dim=1)).sum() / n  # = cross-entropy of one-hot T",
    "hinge": "value = torch.relu(1 - T * {out}).sum() / n  # targets ±1",
}
SCHEDULES = {
    "constant": "return LEARNING_RATE",
    "step": "return LEARNING_RATE * {gamma} ** (epoch // {step_size})",
    "cosine": "return {min_lr} + (LEARNING_RATE - {min_lr}) * (1 + math.cos(math.pi * min(epoch, "
              "epochs) / max(1, epochs))) / 2",
}


def export_torch(design, path) -> None:
    """Write `path`: one Python file that needs only torch and NumPy, holding the design as a
    torch.nn.Module with its current weights, the data set and split, the training settings and a
    training loop (`python FILE` or `torchrun --nproc_per_node=N FILE`). DesignError names each
    node that is wrong or has no translation; nothing is written then."""
    write_source(path, torch_source(design))


def torch_source(design) -> str:
    plan = make_plan(design, "PyTorch")
    settings = design.training
    problems = [Problem(f"cannot be exported to PyTorch: no translation for the {what} {name!r}",
                        path=f"training.{field}")
                for what, field, name, table in (("optimizer", "optimizer", settings.optimizer, OPTIMIZERS),
                                                 ("loss", "loss", settings.loss, LOSSES),
                                                 ("schedule", "schedule", settings.schedule, SCHEDULES))
                if name not in table]
    if problems:
        raise DesignError(problems)
    writer = TorchWriter(plan)
    parts = [_header(plan), IMPORTS, _settings(plan), _network(plan, writer), *definitions(plan, "torch")]
    parts.append("\n".join(["# " + "-" * 30 + " activations",
                            *activation_functions(used_activations(plan), "torch")]))
    parts += [_training(plan), template("torch", "loop"), _blob(plan)]
    source = "\n\n\n".join(p.strip("\n") for p in parts) + "\n"
    if "F." not in source.replace("import torch.nn.functional as F", ""):
        source = source.replace("import torch.nn.functional as F\n", "")
    return source


def _header(plan: Plan) -> str:
    data = plan.build.data
    columns = names_text(data.feature_names, 6)
    return f'''"""A network built in Neural Canvas on the '{safe_text(data.name)}' data set, as PyTorch:
the module with its current weights, the data set and its train/test split, the training settings,
and a loop.

{chr(10).join(docstring_lines(f"The network gives {describe_output(plan)}. It takes raw data rows X "
                              f"({int(data.num_features)} columns: {columns}) and computes its own "
                              "input features."))}

    python THIS_FILE.py [--steps N] [--epochs E] [--save weights.pt] [--dtype float64] [--restart]
    torchrun --nproc_per_node=N THIS_FILE.py [the same options]

Under torchrun it trains with DistributedDataParallel (gloo on CPUs, nccl on GPUs). Process 0
prints one JSON object per line: {{"event": "step", "epoch": 1, "step": 1, "loss": …}} after each
optimizer step (the loss of the whole batch, averaged over the processes), {{"event": "epoch", …}}
after each epoch (losses and accuracy or R² of the training and test rows) and
{{"event": "finished", …}} at the end, or {{"event": "diverged", …}} when the loss stops being a
finite number: every process then stops with exit status 2 (torchrun reports a failed job).

How it matches Neural Canvas: the forward pass, the losses (the ½ in MSE, cross-entropies from the
logits), the optimizers, L1/L2 (on kernels only), clipping and the schedule follow its conventions,
and each epoch visits the training rows in its order, so the losses are Neural Canvas's own. With N
processes each takes BATCH_SIZE / N rows of every batch; the batch is the same as long as N divides
BATCH_SIZE (and the last, short batch of an epoch may differ). Randomness (Dropout, RReLU) comes
from torch's generator, so it differs; BatchNorm normalises over each process's share of a batch.
Images are channels-last (N, H, W, C), as in Neural Canvas; the weights keep its layouts too.
"""'''


IMPORTS = '''
import argparse
import base64
import copy
import gc
import io
import json
import math
import os
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset
'''


def _settings(plan: Plan) -> str:
    s, state = plan.design.training, plan.design.state
    lines = ["# " + "-" * 30 + " the training settings, as the design has them",
             f"SEED = {int(s.seed)!r}  # the shuffle of each epoch: np.random.default_rng([SEED, epoch])",
             f"BATCH_SIZE = {int(s.batch_size)!r}",
             f"EPOCHS = {int(s.epochs)!r}",
             f"LEARNING_RATE = {float(s.learning_rate)!r}  # the base rate; learning_rate() schedules it",
             f"L1 = {float(s.l1)!r}  # penalties on the kernels (not biases), added to their gradients",
             f"L2 = {float(s.l2)!r}",
             f"CLIP_NORM = {float(s.clip_norm)!r}  # 0: no clipping",
             f"TEST_FRACTION = {float(s.test_fraction)!r}  # the split itself is embedded",
             f"DTYPE = {str_literal(s.dtype)}",
             f"TARGET_LOSS = {_optional(s.target_loss)}  # stop when the training loss reaches it",
             f"TARGET_ACCURACY = {_optional(s.target_accuracy)}  # … or the (test) accuracy reaches it",
             f"EARLY_STOPPING_PATIENCE = {int(s.early_stopping_patience)!r}  # 0: off",
             f"TASK = {str_literal(plan.build.task)}",
             f"THRESHOLD = {float(plan.build.threshold())!r}  # a single output above it means class 1",
             "# where training stood when exported (epochs done, steps done, rows of the epoch under way)",
             f"START_EPOCH, START_STEP, START_CURSOR = {int(state.epoch)!r}, {int(state.step)!r}, "
             f"{int(state.cursor)!r}",
             f"DECAY = {str_literal(tuple(_decay(plan)))}  # the parameters L1 and L2 act on"]
    return "\n".join(wrapped for line in lines for wrapped in wrap_code(line))


def _optional(value) -> str:
    """A setting that is a number or None, as a literal."""
    return "None" if value is None else repr(float(value))


def _decay(plan: Plan) -> list[str]:
    return [f"{s.name}.{n}" for s in plan.steps for n in s.layer.decay if n in s.params]


def _network(plan: Plan, writer: TorchWriter) -> str:
    lines = ["# " + "-" * 30 + " the network",
             "class Network(nn.Module):",
             '    """The design as a module; forward(X) is what Neural Canvas computes for raw rows X."""',
             "", "    def __init__(self):", "        super().__init__()"]
    for step in plan.steps:
        module = step.translation.torch_module
        if module is not None:
            lines.append(f"        self.{step.name} = {module(step)}  # {step.title.split(': ', 1)[1]}")
    lines += ["", "    def forward(self, X, logits=False):",
              '        """The output for raw rows X; with `logits`, the last layer\'s weighted sums '
              'before its activation."""']
    lines += [wrapped for line in writer.lines()
              for wrapped in (wrap_code("        " + line) if line else [""])]
    return "\n".join(wrapped for line in lines for wrapped in wrap_code(line))


class TorchWriter(ForwardWriter):
    xp = "torch"

    def param(self, step: Step, name: str) -> str:
        return f"self.{step.name}.{name}"

    def cat(self, parts: list[str], axis: int) -> str:
        return f"torch.cat([{', '.join(parts)}], dim={axis})"

    def training(self) -> str:
        return "self.training"

    def layer_lines(self, step: Step, x, out: str) -> list[str]:
        if step.translation.torch is None:  # its module, made in __init__
            return [f"{out} = self.{step.name}({x})"]
        return step.translation.torch(self, step, x, out)

    def logits_lines(self, z: str) -> list[str]:
        return ["if logits:  # what the loss works from", f"    return {z}"]


def _training(plan: Plan) -> str:
    s = plan.design.training
    delta = float(getattr(registry.losses.get(s.loss), "delta", 1.0))
    mode = plan.loss_mode
    head = {
        "fused": ["z = model(X, logits=True)  # the output layer's weighted sums: the loss applies "
                  f"the {plan.model.output_activation} itself"],
        "logits": ["z = model(X)  # the output as it is, read as logits"],
        "plain": ["out = model(X)"],
        "perceptron": ["z = model(X, logits=True)",
                       "out = (z >= 0).to(z.dtype)  # the step output"],
    }[mode]
    source = "z" if mode in ("fused", "logits") else "out"
    body = head + LOSSES[s.loss].replace("{delta}", repr(delta)).format(out=source).splitlines()
    if mode == "perceptron":
        body += ["# The step has no slope, so Neural Canvas trains it by the perceptron rule: the",
                 "# output layer's sums move by (out − T)/n, which is the gradient of this objective.",
                 "objective = ((out - T).detach() * z).sum() / n",
                 "return value, objective"]
    else:
        body.append("return value, value")
    optimizer = OPTIMIZERS[s.optimizer][0]
    params = {**registry.optimizers.get(s.optimizer).defaults, **s.optimizer_params}
    schedule = {**registry.schedules.get(s.schedule).defaults, **s.schedule_params}
    return "\n".join([
        "# " + "-" * 30 + " loss, optimizer, schedule",
        "def batch_loss(model, X, T):",
        f'    """The {registry.losses.get(s.loss).label.lower()} of a batch (a mean over its rows) as '
        'Neural Canvas',
        '    computes it, and the objective to differentiate."""',
        "    n = X.shape[0]",
        *("    " + line for line in body),
        "", "",
        "def make_optimizer(net):",
        f'    """{registry.optimizers.get(s.optimizer).label}, with PyTorch\'s update rule (Neural '
        'Canvas uses the same)."""',
        "    params = list(net.parameters())",
        "    return " + optimizer.format(**{k: repr(float(v)) for k, v in params.items()}),
        "", "",
        "def learning_rate(epoch, epochs):",
        f'    """The {s.schedule} schedule: the rate for an epoch of a run of `epochs` epochs."""',
        "    " + SCHEDULES[s.schedule].format(**{k: repr(int(v) if k == "step_size" else float(v))
                                                for k, v in schedule.items()}),
    ])


def _blob(plan: Plan) -> str:
    """Weights, data, split and optimizer state as one base64 .npz (float64 weights, exact)."""
    build, design = plan.build, plan.design
    arrays = {f"weights:{k}": v for k, v in plan.weights().items()}
    arrays.update({"X": build.data.X.astype(np.float64), "y": np.asarray(build.data.y),
                   "T": build.encode_targets(build.data.y).astype(np.float64)})
    arrays["train"], arrays["test"] = train_test_split(build.data.num_samples,
                                                       design.training.test_fraction, design.training.seed)
    state = design.state.optimizer_state
    slots = OPTIMIZERS[design.training.optimizer][1]
    if state and all(np.asarray(state.get(s, ())).size == plan.model.size for s in slots):
        for name, offset, shape in plan.flat_names():
            for slot, key in slots.items():
                size = int(np.prod(shape))
                arrays[f"optimizer:{name}:{key}"] = np.asarray(state[slot], np.float64)[
                    offset:offset + size].reshape(shape)
        if design.training.optimizer in STEP_COUNTED:
            arrays["optimizer_step"] = np.asarray(state.get("t", [0]), np.int64).reshape(1)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    text = base64.b64encode(buffer.getvalue()).decode("ascii")
    lines = [text[i:i + 100] for i in range(0, len(text), 100)]
    return "\n".join([
        "# " + "-" * 30 + " the embedded arrays",
        "# weights:<name> (float64), X (raw rows), y (labels or values), T (the targets as the loss",
        "# sees them: one-hot rows for classes), train and test (the split's row numbers), and",
        "# optimizer:<name>:<state> (Neural Canvas's optimizer state) as one compressed .npz",
        '_BLOB = """', *lines, '"""', "", "",
        'if __name__ == "__main__":', "    main()"])


__all__ = ["export_torch", "torch_source"]
