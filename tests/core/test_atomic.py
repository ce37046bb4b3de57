"""Temporary files of writers killed mid-write are swept by the next save; a live writer's stay."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from core.design.atomic import UNNAMED_STALE_SECONDS, write_atomic

ROOT = Path(__file__).resolve().parents[2]

# A writer that stops inside write_atomic, after writing its temporary file and before renaming
# it: it says so on stdout, then waits for a line on stdin ("kill" kills it there, as kill -9).
WRITER = """
import os, signal, stat, sys
from core.design import atomic

real_fsync = os.fsync

def fsync(fd):
    real_fsync(fd)
    if stat.S_ISREG(os.fstat(fd).st_mode):  # the temporary file's, not the folder's
        print("writing", flush=True)
        if sys.stdin.readline().strip() == "kill":
            os.kill(os.getpid(), signal.SIGKILL)

os.fsync = fsync
atomic.write_atomic(sys.argv[1], b"x" * 1_000_000)
"""


def start_writer(target: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout.readline().strip() == "writing"
    return proc


def temporary_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_killed_writers_temporary_file_is_gone_after_the_next_save(tmp_path):
    target = tmp_path / "net.ncanvas"
    writer = start_writer(target)
    writer.communicate("kill\n", timeout=60)
    assert writer.returncode == -9
    left = temporary_files(tmp_path)
    assert left == [f".net.ncanvas.pid{writer.pid}.{left[0].split('.')[-2]}.tmp"]
    assert os.path.getsize(tmp_path / left[0]) == 1_000_000 and not target.exists()
    write_atomic(target, b"saved")
    assert target.read_bytes() == b"saved" and temporary_files(tmp_path) == []


def test_a_live_writers_temporary_file_is_kept(tmp_path):
    target = tmp_path / "net.ncanvas"
    writer = start_writer(target)
    try:
        before = temporary_files(tmp_path)
        write_atomic(target, b"saved meanwhile")
        assert temporary_files(tmp_path) == before and len(before) == 1
    finally:
        writer.communicate("go on\n", timeout=60)
    assert writer.returncode == 0
    assert target.read_bytes() == b"x" * 1_000_000 and temporary_files(tmp_path) == []


def test_only_our_own_stale_files_for_that_target_are_swept(tmp_path):
    target = tmp_path / "net.ncanvas"
    old = time.time() - UNNAMED_STALE_SECONDS - 60
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    names = {
        f".net.ncanvas.pid{dead}.abcd_123.tmp": False,  # a dead writer's: swept
        ".net.ncanvas.k2j4h5g6.tmp": False,  # an earlier version's, long left: swept
        f".other.ncanvas.pid{dead}.abcd_123.tmp": True,  # another file's
        f".net.ncanvas.pid{dead}.abcd.tmp": True,  # not a name we make
        "net.ncanvas.k2j4h5g6.tmp": True,  # not hidden: not ours
        ".net.ncanvas.bak": True,
    }
    for name in names:
        (tmp_path / name).write_bytes(b"left")
        os.utime(tmp_path / name, (old, old))
    fresh = tmp_path / ".net.ncanvas.zzzzzzzz.tmp"  # an earlier version writing just now
    fresh.write_bytes(b"being written")
    write_atomic(target, b"saved")
    kept = {p.name for p in tmp_path.iterdir()}
    assert kept == {n for n, stays in names.items() if stays} | {fresh.name, "net.ncanvas"}
