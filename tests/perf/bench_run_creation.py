"""Run creation cost: `start_run` + one metric + `finish`, per run, this code against a git ref.

    python tests/perf/bench_run_creation.py [--runs 200] [--baseline main] [--load 0]

Each side runs in a fresh process whose working directory is a small git work tree (as a
training script's usually is, so the git facts cost what they cost there), with `store`
imported from this checkout or from `git archive <baseline>` unpacked in a temporary
folder; nothing else of the repository is touched. Prints the median, p90 and first run of
each, in milliseconds. `--load N` keeps N extra processes busy meanwhile (half spinning
the CPU, half writing and fsyncing a file), like a loaded training box.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent.parent

WORKER = """
import atexit, json, sys, time
times = []
# Registered before `store` is imported, so it runs after store's own exit hooks (pending fsyncs).
atexit.register(lambda: print(json.dumps({"times": times, "total": time.perf_counter() - start})))
import store
root, n = sys.argv[1], int(sys.argv[2])
start = time.perf_counter()
for i in range(n):
    t = time.perf_counter()
    with store.start_run(root=root, experiment="sweep", name=f"trial-{i}") as run:
        run.log_metric("loss", 1.0 / (i + 1))
    times.append(time.perf_counter() - t)
"""


def _spin(stop: float) -> None:
    while time.time() < stop:
        pass


def _fsync_writer(path: str, stop: float) -> None:
    with open(path, "wb") as fh:
        while time.time() < stop:
            fh.write(os.urandom(1 << 16))
            fh.flush()
            os.fsync(fh.fileno())


def export(ref: str, dest: Path) -> Path:
    """`store/` as it is at `ref`, unpacked under `dest` (read from git, no worktree made)."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", ref, "store"], capture_output=True, check=True
    ).stdout
    tar = dest / "old.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as tf:
        tf.extractall(dest / "old", filter="data")
    return dest / "old"


def measure(code_root: Path, work: Path, store_root: Path, runs: int) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(code_root))
    env.pop("TRACKTUI_RUN_ID", None)
    out = subprocess.run(
        [sys.executable, "-c", WORKER, str(store_root), str(runs)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(json.loads(out))


def summary(result: dict[str, Any]) -> dict[str, float]:
    """Milliseconds: median and p90 of the runs after the first, the first, and the whole loop
    to process exit (with what the code leaves for exit, such as pending fsyncs) per run."""
    times = [t * 1000 for t in result["times"]]
    rest = sorted(times[1:]) or times
    return {
        "median": rest[len(rest) // 2],
        "p90": rest[int(len(rest) * 0.9)],
        "first": times[0],
        "overall": result["total"] * 1000 / len(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--baseline", default="main", help="git ref to compare with (default: main)")
    parser.add_argument("--load", type=int, default=0, help="extra busy processes while measuring")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tracktui-bench-create-") as tmp_name:
        tmp = Path(tmp_name)
        work = tmp / "project"
        work.mkdir()
        for cmd in (
            ["init", "-q"],
            ["add", "-A"],
            ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "--allow-empty", "-m", "x"],
        ):
            subprocess.run(["git", *cmd], cwd=work, check=True, capture_output=True)
        sides = {args.baseline: export(args.baseline, tmp), "this checkout": REPO}
        stop = time.time() + 3600
        load = [
            multiprocessing.Process(
                target=_fsync_writer if i % 2 else _spin,
                args=(str(tmp / f"load{i}"), stop) if i % 2 else (stop,),
                daemon=True,
            )
            for i in range(args.load)
        ]
        for proc in load:
            proc.start()
        try:
            results = {}
            for label, code in sides.items():
                measure(code, work, tmp / f"warm-{len(results)}", 3)  # page cache, bytecode
                results[label] = summary(measure(code, work, tmp / f"store-{len(results)}", args.runs))
        finally:
            for proc in load:
                proc.terminate()
    print(f"start_run + 1 metric + finish, {args.runs} runs in one process, load {args.load} (ms per run)")
    print(f"| {'code':<16} | {'median':>7} | {'p90':>7} | {'first run':>9} | {'all, to exit':>12} |")
    print(f"|{'-' * 18}|{'-' * 9}|{'-' * 9}|{'-' * 11}|{'-' * 14}|")
    for label, r in results.items():
        print(f"| {label:<16} | {r['median']:7.2f} | {r['p90']:7.2f} | {r['first']:9.2f} | {r['overall']:12.2f} |")
    print("target: median ≤ 5 ms")


if __name__ == "__main__":
    main()
