"""Training speed of the engine against PyTorch (CPU) and a hand-fused NumPy loop, in one run.

    python benchmarks/engine.py [--quick] [--wide] [--no-layers] [--repeats N] [--budget SECONDS]

Each network trains the same data from the same initial weights three ways; the table (Markdown)
gives mini-batch steps per second (best of several repeats) and the engine's ratio to the others.
The engine runs on the backend NCANVAS_BACKEND picks (NumPy, or CuPy on a CUDA device); where
PyTorch sees a CUDA device, a fourth column gives PyTorch on it. Nothing here is a test: the
figures go into the README with the machine they ran on. The layered rows (a digits CNN, a
sine-wave LSTM; benchmarks/engine_layers.py) have no fused loop: that column says "—". The last
line gives the run's peak resident memory (getrusage).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.design.design import Design  # noqa: E402
from core.engine import backend  # noqa: E402
from core.training.trainer import Trainer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_layers import (  # noqa: E402
    digits_cnn_design,
    initial_params,
    sine_lstm_design,
    torch_layered_runner,
)

LAYERED = ("cnn", "lstm")  # rows the hand-fused loop does not cover


@dataclass
class Case:
    name: str
    design: Design
    steps: int


def playground_design() -> Design:
    """2-8-8-8-2 tanh at the neuron level, softmax cross-entropy, batch 10, 1,000 samples."""
    d = Design()
    columns = [[d.add_node("input", {"feature": f}).id for f in ("x1", "x2")]]
    for width, act in ((8, "tanh"), (8, "tanh"), (8, "tanh"), (2, "softmax")):
        columns.append([d.add_node("neuron", {"activation": act}).id for _ in range(width)])
    for prev, cur in zip(columns, columns[1:], strict=False):
        for s in prev:
            for t in cur:
                d.add_connection(s, t)
    d.set_dataset("spiral", {"n": 1000, "noise": 0.1})
    d.set_training(loss="softmax_cross_entropy", optimizer="sgd", learning_rate=0.03,
                   batch_size=10, test_fraction=0.0, epochs=10**6)
    return d


def digits_design(width: int = 256, batch: int = 128) -> Design:
    """64-width-width-10 ReLU Dense blocks, softmax cross-entropy, batch 128 unless asked."""
    d = Design()
    data = d.add_node("data")
    h1 = d.add_node("dense", {"units": width, "activation": "relu"})
    h2 = d.add_node("dense", {"units": width, "activation": "relu"})
    out = d.add_node("dense", {"units": 10, "activation": "softmax"})
    for a, b in ((data, h1), (h1, h2), (h2, out)):
        d.add_connection(a.id, b.id)
    d.set_dataset("digits")
    d.set_training(loss="softmax_cross_entropy", optimizer="sgd", learning_rate=0.05,
                   batch_size=batch, test_fraction=0.0, epochs=10**6)
    return d


def layer_weights(trainer: Trainer) -> list[tuple[np.ndarray, np.ndarray]]:
    """The model's initial (kernel, bias) per layer, so the other two start from the same place."""
    return [(backend.to_numpy(op.params["kernel"]).copy(), backend.to_numpy(op.params["bias"]).copy())
            for op in trainer.model.ops]


def best_rate(run, steps: int, repeats: int, budget: float | None = None) -> float:
    warm = max(10, steps // 10)
    start = time.perf_counter()
    run(warm)  # warm up
    if budget:  # fewer steps where one repeat of them would take longer than the budget
        rate = warm / max(time.perf_counter() - start, 1e-9)
        steps = max(10, min(steps, int(rate * budget)))
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        run(steps)
        best = max(best, steps / (time.perf_counter() - start))
    return best


# ---------------------------------------------------------------------------- the three ways
def engine_runner(case: Case):
    trainer = Trainer(case.design.copy())
    return trainer, trainer.fit_steps


def torch_runner(trainer: Trainer, weights: list, activation: str, device: str = "cpu"):
    import torch

    torch.manual_seed(0)
    layers: list = []
    for i, (w, b) in enumerate(weights):
        linear = torch.nn.Linear(w.shape[0], w.shape[1])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w.T.copy()))
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        if i < len(weights) - 1:
            layers.append(torch.nn.Tanh() if activation == "tanh" else torch.nn.ReLU())
    net = torch.nn.Sequential(*layers).to(device)
    X = torch.from_numpy(backend.to_numpy(trainer.X_train).astype(np.float32)).to(device)
    y = torch.from_numpy(trainer.labels_train.astype(np.int64)).to(device)
    opt = torch.optim.SGD(net.parameters(), lr=trainer.settings.learning_rate)
    loss_fn = torch.nn.CrossEntropyLoss()
    batch = trainer.settings.batch_size
    state = {"order": None, "cursor": 0}
    gen = torch.Generator().manual_seed(0)

    def run(steps: int) -> None:
        for _ in range(steps):
            if state["order"] is None or state["cursor"] >= len(X):
                perm = torch.randperm(len(X), generator=gen).to(device)
                state["order"] = (X[perm], y[perm])
                state["cursor"] = 0
            xs, ys = state["order"]
            c = state["cursor"]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(xs[c:c + batch]), ys[c:c + batch])
            loss.backward()
            opt.step()
            state["cursor"] = c + batch
        if device != "cpu":
            torch.cuda.synchronize()  # the steps are done, not just queued

    return run


def fused_runner(trainer: Trainer, weights: list, activation: str):
    """The practical limit: the same network by hand, preallocated, no framework at all."""
    params = [(w.astype(np.float32), b.astype(np.float32)) for w, b in weights]
    X = backend.to_numpy(trainer.X_train).astype(np.float32)
    T = backend.to_numpy(trainer.T_train).astype(np.float32)
    lr = np.float32(trainer.settings.learning_rate)
    batch = trainer.settings.batch_size
    rng = np.random.default_rng(0)
    state = {"X": None, "T": None, "cursor": 0}
    tanh = activation == "tanh"

    def run(steps: int) -> None:
        for _ in range(steps):
            if state["X"] is None or state["cursor"] >= len(X):
                perm = rng.permutation(len(X))
                state["X"], state["T"], state["cursor"] = X[perm], T[perm], 0
            c = state["cursor"]
            xb, tb = state["X"][c:c + batch], state["T"][c:c + batch]
            state["cursor"] = c + batch
            acts = [xb]
            for w, b in params[:-1]:
                z = acts[-1] @ w
                z += b
                acts.append(np.tanh(z, out=z) if tanh else np.maximum(z, 0, out=z))
            z = acts[-1] @ params[-1][0]
            z += params[-1][1]
            z -= z.max(axis=1, keepdims=True)
            np.exp(z, out=z)
            z /= z.sum(axis=1, keepdims=True)
            delta = (z - tb) / len(xb)
            for i in range(len(params) - 1, -1, -1):
                w, b = params[i]
                gw = acts[i].T @ delta
                gb = delta.sum(axis=0)
                if i:
                    delta = delta @ w.T
                    a = acts[i]
                    delta *= (1 - a * a) if tanh else (a > 0)
                w -= lr * gw
                b -= lr * gb

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps (a smoke run)")
    parser.add_argument("--wide", action="store_true",
                        help="add a wide network (64-2048-2048-10, batch 1024), where a GPU can pay")
    parser.add_argument("--no-layers", action="store_true",
                        help="leave out the digits CNN and sine LSTM rows")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                        help="at most about this long per timed repeat (fewer steps where slower)")
    args = parser.parse_args()
    scale = 0.1 if args.quick else 1.0
    cases = [(Case("playground 2-8-8-8-2 tanh, batch 10", playground_design(), int(20000 * scale)),
              "tanh"),
             (Case("digits 64-256-256-10 ReLU, batch 128", digits_design(), int(1500 * scale)),
              "relu")]
    if args.wide:
        cases.append((Case("digits 64-2048-2048-10 ReLU, batch 1024", digits_design(2048, 1024),
                           int(300 * scale)), "relu"))
    if not args.no_layers:
        cases += [(Case("digits CNN conv 16 3×3 same, pool 2, dense 10, batch 64",
                        digits_cnn_design(), int(1000 * scale)), "cnn"),
                  (Case("sine LSTM window 20, 32 units, dense 1, batch 32", sine_lstm_design(),
                        int(500 * scale)), "lstm")]
    try:
        import torch

        torch_version = torch.__version__
        cuda = torch.cuda.get_device_name() if torch.cuda.is_available() else None
    except ImportError:
        torch = None
        torch_version = "not installed (pip install torch==2.13.0)"
        cuda = None
    print(f"machine: {platform.processor() or platform.machine()}, {_cpu_name()}, "
          f"{os.cpu_count()} cores; Python {platform.python_version()}; {backend.description()}; "
          f"PyTorch {torch_version}" + (f" (CUDA: {cuda})" if cuda else ""))
    print()
    cuda_head, cuda_rule = (" PyTorch CUDA steps/s |", "---:|") if cuda else ("", "")
    print(f"| network | engine steps/s | PyTorch steps/s |{cuda_head} fused NumPy steps/s "
          "| engine ÷ PyTorch | engine ÷ fused |")
    print(f"|---|---:|---:|{cuda_rule}---:|---:|---:|")
    for case, activation in cases:
        try:
            _row(case, activation, args, torch, cuda)
        except Exception as exc:  # one row failing (on a new device, say) still leaves the others
            print(f"| {case.name} | failed: {exc.__class__.__name__}: {exc} |", flush=True)
    print()
    print(f"peak resident memory of this run: {_peak_rss_mib():,.0f} MiB")


def _peak_rss_mib() -> float:
    """The process's peak resident set (Linux reports KiB, macOS bytes); nan where unknown."""
    try:
        import resource
    except ImportError:
        return float("nan")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


def _row(case: Case, activation: str, args: argparse.Namespace, torch, cuda) -> None:
    trainer, engine = engine_runner(case)
    if activation in LAYERED:
        _layered_row(case, trainer, engine, activation, args, torch)
        return
    initial = layer_weights(trainer)  # before the engine trains: all three start here
    rate = {"engine": best_rate(engine, case.steps, args.repeats, args.budget)}
    rate["fused"] = best_rate(fused_runner(trainer, initial, activation), case.steps,
                              args.repeats, args.budget)
    if torch is not None:
        rate["torch"] = best_rate(torch_runner(trainer, initial, activation), case.steps,
                                  args.repeats, args.budget)
    if cuda:
        rate["cuda"] = best_rate(torch_runner(trainer, initial, activation, "cuda"), case.steps,
                                 args.repeats, args.budget)
    e, f, t = rate["engine"], rate["fused"], rate.get("torch")
    torch_rate = f"{t:,.0f}" if t else "–"
    torch_ratio = f"{e / t:.2f}×" if t else "–"
    cuda_rate = f" {rate['cuda']:,.0f} |" if cuda else ""
    print(f"| {case.name} | {e:,.0f} | {torch_rate} |{cuda_rate} {f:,.0f} | {torch_ratio} "
          f"| {e / f:.2f}× |", flush=True)


def _layered_row(case: Case, trainer: Trainer, engine, kind: str, args, torch) -> None:
    """Engine against PyTorch on the CPU only: no fused loop, no CUDA figure for these rows."""
    params = initial_params(trainer)  # before the engine trains: both start here
    e = best_rate(engine, case.steps, args.repeats, args.budget)
    t = None
    if torch is not None:
        t = best_rate(torch_layered_runner(trainer, params, kind)[0], case.steps, args.repeats,
                      args.budget)
    cuda_rate = " — |" if torch is not None and torch.cuda.is_available() else ""
    torch_rate, torch_ratio = (f"{t:,.0f}", f"{e / t:.2f}×") if t else ("–", "–")
    print(f"| {case.name} | {e:,.0f} | {torch_rate} |{cuda_rate} — | {torch_ratio} | — |",
          flush=True)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
