"""CSV import memory: the peak memory of reading a generated CSV file, divided by its size.

    python benchmarks/csv_memory.py [MEGABYTES] [--task classification|regression]

Writes a file of about MEGABYTES (default 100) of ten numeric columns and a label column, then
reads it with core.data.datasets.read_csv in a fresh Python process and prints that process's peak
resident memory while reading (Linux's VmHWM, reset just before) above what it held before,
divided by the file's size, and the time the read took. Nothing here is a test: the figures go into the
README with the machine they ran on.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = 10
CLASSES = ("setosa", "versicolor", "virginica")

CHILD = """
import json, resource, sys, time
from core.data.datasets import read_csv

def status(key):  # bytes, from Linux's account of this process (a fresh one since exec)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key))

try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the peak (VmHWM) starts again from here: the imports' peak is left out
    before = status("VmRSS:")
except OSError:  # not Linux: the peak since start (ru_maxrss, which may count the parent's)
    before = 0
path, task = sys.argv[1], sys.argv[2]
start = time.perf_counter()
data = read_csv(path, "label", task=task)
seconds = time.perf_counter() - start
try:
    peak = status("VmHWM:")
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"before": before, "peak": peak, "seconds": seconds, "rows": data.num_samples,
                  "dtype": str(data.X.dtype), "array_bytes": int(data.X.nbytes + data.y.nbytes)}))
"""


def write_csv(path: Path, megabytes: float, task: str, seed: int = 0) -> int:
    """A file of about `megabytes` MB: COLUMNS numbers with six decimals and a label."""
    rng = np.random.default_rng(seed)
    header = ",".join([*(f"x{j}" for j in range(COLUMNS)), "label"]) + "\n"
    target = int(megabytes * 1e6)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(header)
        written += len(header)
        while written < target:
            values = rng.uniform(-10, 10, (20_000, COLUMNS))
            if task == "classification":
                labels = [CLASSES[k] for k in rng.integers(0, len(CLASSES), len(values))]
            else:
                labels = [f"{v:.6f}" for v in rng.uniform(-1, 1, len(values))]
            block = "".join(",".join(f"{v:.6f}" for v in row) + f",{label}\n"
                            for row, label in zip(values, labels, strict=True))
            out.write(block)
            written += len(block)
    return path.stat().st_size


def measure(path: Path, task: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), task], env=env, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("megabytes", nargs="?", type=float, default=100.0)
    parser.add_argument("--task", choices=("classification", "regression"),
                        default="classification")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, NumPy {np.__version__}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        size = write_csv(path, args.megabytes, args.task)
        found = measure(path, args.task)
    used = found["peak"] - found["before"]
    mb = 1e6
    print(f"file {size / mb:.0f} MB, {found['rows']:,} rows of {COLUMNS} numbers and a "
          f"{args.task} label")
    print(f"arrays {found['array_bytes'] / mb:.0f} MB ({found['dtype']}); read in "
          f"{found['seconds']:.1f} s")
    print(f"peak memory of the read {used / mb:.0f} MB = {used / size:.2f} × the file "
          f"(process peak {found['peak'] / mb:.0f} MB, {found['peak'] / size:.2f} × the file)")


if __name__ == "__main__":
    main()
