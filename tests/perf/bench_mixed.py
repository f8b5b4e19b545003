"""Mixed-folder benchmark: `open_store(FOLDER)` on a folder of every kind the readers know.

    python tests/perf/bench_mixed.py [--each 200]

Writes `--each` runs of each kind (DVCLive folders, Lightning `version_N`, Trainer output
folders, trackio runs in one database) the way `tracktui demo` writes them, under one folder
with some nesting, then in a fresh process a cold listing (search + read every run, no
listing cache) and a warm one (the readers' listing caches in the cache folder), and one
run's history. Prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO))

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from store import open_store
store = open_store(sys.argv[1])
frame = store.runs_frame()
t1 = time.perf_counter()
rid = frame["run_id"].iloc[0]
store.history(rid)
t2 = time.perf_counter()
store.save_index()
print(json.dumps({"runs": len(frame), "sources": len(store.sources), "listing": t1 - t0, "history": t2 - t1}))
"""


def make_folder(root: Path, each: int) -> None:
    from tui.demo_foreign import make_foreign_demo

    now = time.time()
    template = root / "template"
    make_foreign_demo(template, now)
    dv, pl, hf, tk = (
        template / "dvclive-project",
        template / "lightning_logs" / "version_0",
        template / "hf-trainer" / "distilbert-sst2-lr2e-5",
        template / "trackio" / "gpt-finetune.db",
    )
    work = root / "work"
    for i in range(each):
        shutil.copytree(dv, work / "dvc" / f"project-{i}")
        shutil.copytree(pl, work / "nested" / "pl" / "lightning_logs" / f"version_{i}")
        shutil.copytree(hf, work / "hf" / f"run-{i}")
    _grow_trackio(tk, work / "trackio" / "big.db", each)
    shutil.rmtree(template)
    old = now - 7200
    for path in work.rglob("*"):
        os.utime(path, (old, old))


def _grow_trackio(src: Path, dest: Path, runs: int) -> None:
    import sqlite3

    dest.parent.mkdir(parents=True)
    shutil.copy(src, dest)
    conn = sqlite3.connect(dest)
    rows = conn.execute("SELECT run_id, timestamp, run_name, step, metrics FROM metrics").fetchall()
    configs = conn.execute("SELECT run_id, run_name, config, created_at FROM configs").fetchall()
    for i in range(runs // len(configs)):
        conn.executemany(
            "INSERT INTO configs (run_id, run_name, config, created_at) VALUES (?, ?, ?, ?)",
            [(f"{c[0]}-{i}", f"{c[1]}-{i}", c[2], c[3]) for c in configs],
        )
        conn.executemany(
            "INSERT INTO metrics (run_id, timestamp, run_name, step, metrics) VALUES (?, ?, ?, ?, ?)",
            [(f"{r[0]}-{i}", r[1], f"{r[2]}-{i}", r[3], r[4]) for r in rows],
        )
    conn.commit()
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--each", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_folder(root, args.each)
        env = {**os.environ, "XDG_CACHE_HOME": str(root / "cache"), "PYTHONPATH": str(REPO)}
        print(f"{'run':<6} {'runs':>6} {'sources':>8} {'listing s':>10} {'history s':>10}")
        for label in ("cold", "warm"):
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(root / "work")], env=env, check=True, capture_output=True, text=True
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            print(
                f"{label:<6} {result['runs']:>6} {result['sources']:>8} {result['listing']:>10.2f} "
                f"{result['history']:>10.3f}"
            )


if __name__ == "__main__":
    main()
