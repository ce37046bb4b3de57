"""Compare runs: K variants of one design trained as one batched computation (core.training.ensemble)
against the same K trained one after another, by this engine's Trainer and by PyTorch on the CPU.

    python benchmarks/compare.py [--quick] [--repeats N]

Rows: 16 variants (4 learning rates × 4 seeds) of the playground 2-8-8-8-2 tanh net (batch 10)
and of the digits MLP 64-256-256-10 ReLU (batch 128). Each figure is variant-steps per second
(mini-batch updates of one variant), best of several repeats, the three ways interleaved so that
a busy machine slows them alike; the ratios are of one run. PyTorch runs on one thread
(torch.set_num_threads(1)): on a busy two-core machine its default two threads wait on each other
and a playground step took 30× longer, a figure that says nothing about PyTorch. Nothing here is
a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import (  # noqa: E402
    _cpu_name,
    digits_design,
    layer_weights,
    playground_design,
    torch_runner,
)

from core.engine import backend  # noqa: E402
from core.training.ensemble import VariantTrainer  # noqa: E402
from core.training.trainer import Trainer  # noqa: E402
from core.training.variants import variant_design  # noqa: E402

RATES = (0.003, 0.01, 0.03, 0.1)
SEEDS = (0, 1, 2, 3)


def variants() -> list[dict]:
    return [{"learning_rate": lr, "seed": seed} for lr in RATES for seed in SEEDS]


def ensemble_run(design):
    """All variants as one group: `run(steps)` takes `steps` updates of every variant."""
    trainer = VariantTrainer(design, variants())
    assert len(trainer.groups) == 1
    return trainer.groups[0].fit_steps


def sequential_runs(design):
    """Each variant's own Trainer, one after another: `run(steps)` gives each `steps` updates."""
    trainers = [Trainer(variant_design(design, v)) for v in variants()]

    def run(steps: int) -> None:
        for trainer in trainers:
            trainer.fit_steps(steps)

    return run, trainers


def torch_runs(trainers: list[Trainer], activation: str):
    """The same variants in PyTorch (each from its engine twin's initial weights), one after another."""
    runners = [torch_runner(t, layer_weights(t), activation) for t in trainers]

    def run(steps: int) -> None:
        for runner in runners:
            runner(steps)

    return run


def measure(ways: dict, steps: int, repeats: int) -> dict[str, float]:
    """Variant-steps per second of each way, best of `repeats`, the ways taken in turn."""
    count = len(variants())
    for run in ways.values():
        run(max(2, steps // 10))  # warm up
    best = dict.fromkeys(ways, 0.0)
    for _ in range(repeats):
        for name, run in ways.items():
            start = time.perf_counter()
            run(steps)
            best[name] = max(best[name], count * steps / (time.perf_counter() - start))
    return best


def row(name: str, design, activation: str, steps: int, repeats: int, torch) -> None:
    sequential, trainers = sequential_runs(design)
    ways = {"ensemble": ensemble_run(design), "sequential": sequential}
    if torch is not None:
        ways["torch"] = torch_runs(trainers, activation)
    rate = measure(ways, steps, repeats)
    e, s, t = rate["ensemble"], rate["sequential"], rate.get("torch")
    torch_text = f"{t:,.0f} | {e / t:.1f}×" if t else "– | –"
    print(f"| {name} | {e:,.0f} | {s:,.0f} | {torch_text} | {e / s:.1f}× |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps (a smoke run)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    scale = 0.1 if args.quick else 1.0
    try:
        import torch

        torch_version = torch.__version__
        torch.set_num_threads(1)  # see the module's docstring
    except ImportError:
        torch, torch_version = None, "not installed (pip install torch==2.13.0)"
    print(f"machine: {platform.processor() or platform.machine()}, {_cpu_name()}, "
          f"{os.cpu_count()} cores; Python {platform.python_version()}; {backend.description()}; "
          f"PyTorch {torch_version}")
    print()
    print("| 16 variants of | ensemble variant-steps/s | engine one after another | "
          "PyTorch CPU one after another | ensemble ÷ PyTorch | ensemble ÷ one after another |")
    print("|---|---:|---:|---:|---:|---:|")
    row("playground 2-8-8-8-2 tanh, batch 10", playground_design(), "tanh",
        int(1000 * scale), args.repeats, torch)
    row("digits MLP 64-256-256-10 ReLU, batch 128", digits_design(), "relu",
        int(60 * scale), args.repeats, torch)


if __name__ == "__main__":
    main()
