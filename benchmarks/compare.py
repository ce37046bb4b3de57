"""Compare runs: K variants of one design trained as one batched computation (core.training.ensemble)
against the same K trained one after another, by this engine's Trainer and by PyTorch on the CPU.

    python benchmarks/compare.py [--quick] [--repeats N] [--layers]

Rows: 16 variants (4 learning rates × 4 seeds) of the playground 2-8-8-8-2 tanh net (batch 10)
and of the digits MLP 64-256-256-10 ReLU (batch 128). Each figure is variant-steps per second
(mini-batch updates of one variant), best of several repeats, the three ways interleaved so that
a busy machine slows them alike; the ratios are of one run. PyTorch runs on one thread
(torch.set_num_threads(1)): on a busy two-core machine its default two threads wait on each other
and a playground step took 30× longer, a figure that says nothing about PyTorch.

A second table (alone with --layers) is of layers the ensemble once ran variant by variant (a
Python loop over the variants, `PerVariant`) and now batches: 16 variants of the sine LSTM example
(resources/examples/sine_lstm.ncanvas), of a smaller LSTM (8 units, batch 10) where a step's
Python calls weigh more than its arithmetic, and of a digits MLP with two BatchNorm blocks, trained by
the ensemble as it is, by the ensemble with those layers variant by variant again (the rest
batched as ever), and one after another. The header gives the load average before and after, and
the last line the share of CPU time the host took from this virtual machine while it ran (steal):
on a shared machine, figures taken under a load above its cores, or with much stolen, say little.
Nothing here is a test.
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
from engine_layers import sine_lstm_design as small_lstm_design  # noqa: E402

from core.design.design import Design  # noqa: E402
from core.engine import backend  # noqa: E402
from core.engine.blocks.batchnorm import BatchNormLayer  # noqa: E402
from core.engine.blocks.recurrent import RecurrentLayer  # noqa: E402
from core.engine.ensemble import model as ensemble_model  # noqa: E402
from core.engine.ensemble.layers import PerVariant, ensemble_layer  # noqa: E402
from core.files.fileformat import load_design  # noqa: E402
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


def sine_lstm_design() -> Design:
    """The sine LSTM example (window 20 → LSTM 32 → Dense 1, MSE, Adam, batch 32)."""
    d = load_design(Path(__file__).resolve().parents[1] / "resources/examples/sine_lstm.ncanvas")
    d.set_training(epochs=10**6)
    return d


def batchnorm_design(width: int = 128, batch: int = 64) -> Design:
    """Digits 64 → Dense width → BatchNorm → ReLU Dense width → BatchNorm → Dense 10 softmax, Adam."""
    d = Design()
    nodes = [d.add_node("data"),
             d.add_node("dense", {"units": width, "activation": "identity"}),
             d.add_node("batchnorm", {}),
             d.add_node("dense", {"units": width, "activation": "relu"}),
             d.add_node("batchnorm", {}),
             d.add_node("dense", {"units": 10, "activation": "softmax"})]
    for a, b in zip(nodes, nodes[1:], strict=False):
        d.add_connection(a.id, b.id)
    d.set_dataset("digits")
    d.set_training(loss="softmax_cross_entropy", optimizer="adam", learning_rate=0.01,
                   batch_size=batch, test_fraction=0.0, epochs=10**6)
    return d


def _variant_by_variant(layer):
    """The ensemble's layers as they were before recurrent layers and BatchNorm were batched."""
    if isinstance(layer, (RecurrentLayer, BatchNormLayer)):
        return PerVariant(layer)
    return ensemble_layer(layer)


def looped_run(design):
    """The ensemble with its recurrent and BatchNorm layers run variant by variant (a split step's
    parts build their layers when first taken, so the swap holds while it runs)."""
    def swapped(call, *args):
        ensemble_model.ensemble_layer = _variant_by_variant
        try:
            return call(*args)
        finally:
            ensemble_model.ensemble_layer = ensemble_layer

    trainer = swapped(VariantTrainer, design, variants())
    assert not all(layer.batched for layer in trainer.groups[0].model.layers)
    return lambda steps: swapped(trainer.groups[0].fit_steps, steps)


def layers_row(name: str, design, steps: int, repeats: int) -> None:
    sequential, _ = sequential_runs(design)
    ways = {"ensemble": ensemble_run(design), "looped": looped_run(design),
            "sequential": sequential}
    rate = measure(ways, steps, repeats)
    e, v, s = rate["ensemble"], rate["looped"], rate["sequential"]
    print(f"| {name} | {e:,.0f} | {v:,.0f} | {s:,.0f} | {e / v:.1f}× | {e / s:.1f}× |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps (a smoke run)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--layers", action="store_true",
                        help="only the table of recurrent and BatchNorm layers, batched or not")
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
          f"PyTorch {torch_version}; load average {_load()}")
    stolen = _cpu_times()
    print()
    if not args.layers:
        mlp_rows(args, scale, torch)
    print()
    print("| 16 variants of | ensemble variant-steps/s | ensemble, these layers variant by variant | "
          "one after another | batched ÷ variant by variant | batched ÷ one after another |")
    print("|---|---:|---:|---:|---:|---:|")
    layers_row("sine LSTM 32 example, window 20, batch 32", sine_lstm_design(), int(100 * scale),
               args.repeats)
    layers_row("sine LSTM 8, window 20, batch 10, SGD", small_lstm_design(units=8, batch=10),
               int(300 * scale), args.repeats)
    layers_row("digits MLP 64-128-BN-128-BN-10, batch 64", batchnorm_design(), int(100 * scale),
               args.repeats)
    print(f"load average after: {_load()}; CPU time stolen by the host during the run: "
          f"{_steal(stolen)}")


def _load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def _cpu_times() -> tuple[int, int] | None:
    """(steal, all) CPU ticks since boot from /proc/stat (Linux), or None: steal is the time a
    virtual machine's CPUs waited while the host ran others (seen at 50 % here at times)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


def _steal(before: tuple[int, int] | None) -> str:
    after = _cpu_times()
    if before is None or after is None or after[1] == before[1]:
        return "unknown"
    return f"{100 * (after[0] - before[0]) / (after[1] - before[1]):.0f} %"


def mlp_rows(args, scale: float, torch) -> None:
    print("| 16 variants of | ensemble variant-steps/s | engine one after another | "
          "PyTorch CPU one after another | ensemble ÷ PyTorch | ensemble ÷ one after another |")
    print("|---|---:|---:|---:|---:|---:|")
    row("playground 2-8-8-8-2 tanh, batch 10", playground_design(), "tanh",
        int(1000 * scale), args.repeats, torch)
    row("digits MLP 64-256-256-10 ReLU, batch 128", digits_design(), "relu",
        int(60 * scale), args.repeats, torch)


if __name__ == "__main__":
    main()
