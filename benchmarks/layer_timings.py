"""One forward and backward pass of a single layer, in float32 and in float64.

    python benchmarks/layer_timings.py [--repeats N]

Times an LSTM of 32 units on a batch of (32, 20, 1) and a Conv2D of 16 3×3 filters, "same" padding,
ReLU, on a batch of (64, 8, 8, 1) (with the gradient to its input), each the best of N passes, on
the backend NCANVAS_BACKEND picks. These are the layers of the sine LSTM and digits CNN rows of
benchmarks/engine.py, timed alone. Nothing here is a test: the figures go into the README with the
machine they ran on.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.engine import backend  # noqa: E402
from core.engine.activations import make_activation  # noqa: E402
from core.engine.blocks.conv import Conv2DLayer  # noqa: E402
from core.engine.blocks.recurrent import LSTM  # noqa: E402

DTYPES = (np.float32, np.float64)


def finished(grads: dict) -> None:
    """Wait for the device (CuPy runs asynchronously): read back one number of each gradient."""
    for g in grads.values():
        backend.to_numpy(g.ravel()[:1])


def best_of(repeats: int, one_pass) -> float:
    """The shortest of `repeats` timed calls, in seconds."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        one_pass()
        best = min(best, time.perf_counter() - start)
    return best


def lstm_pass(dtype):
    xp = backend.xp
    layer = LSTM((20, 1), 32)
    p = {k: xp.asarray(v) for k, v in layer.initial_params(np.random.default_rng(0), dtype).items()}
    x = xp.asarray(np.random.default_rng(1).normal(size=(32, 20, 1)).astype(dtype))
    g = {k: xp.zeros(s, dtype=dtype) for k, s in layer.param_shapes().items()}
    da = xp.ones((32, 32), dtype=dtype)

    def one_pass() -> None:
        _out, cache = layer.forward(p, x, training=True)
        layer.backward(p, cache, da, g, True)
        finished(g)

    return one_pass


def conv_pass(dtype):
    xp = backend.xp
    rng = np.random.default_rng(7)
    layer = Conv2DLayer((8, 8, 1), 16, 3, 1, "same", make_activation("relu"))
    p = {k: xp.asarray(rng.normal(0.0, 0.7, size=s).astype(dtype))
         for k, s in layer.param_shapes().items()}
    g = {k: xp.zeros(v.shape, dtype=dtype) for k, v in p.items()}
    x = xp.asarray(rng.normal(size=(64, 8, 8, 1)).astype(dtype))

    def one_pass() -> None:
        a, cache = layer.forward(p, x)
        layer.backward(p, cache, xp.ones_like(a), g, True)
        finished(g)

    return one_pass


CASES = (("LSTM 32 units on (32, 20, 1)", lstm_pass),
         ("Conv2D 16 3×3 same ReLU on (64, 8, 8, 1), with dx", conv_pass))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50, help="timed passes; the best counts")
    args = parser.parse_args(argv)
    print(f"{platform.processor() or platform.machine()}, {backend.description()}")
    print("| layer | " + " | ".join(f"{np.dtype(d).name} ms" for d in DTYPES) + " |")
    print("|---|" + "---:|" * len(DTYPES))
    for label, make in CASES:
        times = []
        for dtype in DTYPES:
            one_pass = make(dtype)
            one_pass()  # a first pass outside the timing (allocations, caches)
            times.append(best_of(args.repeats, one_pass))
        print(f"| {label} | " + " | ".join(f"{t * 1e3:.3f}" for t in times) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
