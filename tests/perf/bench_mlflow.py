"""Benchmark: listing a 10,000-run MLflow SQLite store, ours against `mlflow.search_runs`.

    python tests/perf/bench_mlflow.py [--runs 10000] [--steps 100] [--mlflow-python PYTHON] [--keep DIR]

Builds the store in a temporary folder: when `mlflow` can be imported (by this interpreter or
by `--mlflow-python`, e.g. a separate venv with the `[bench]` extra), MLflow creates the
schema by logging one run, then the other runs are bulk-inserted with `sqlite3` (writing
10,000 runs through MLflow's API would take about 20 minutes). Without mlflow the script
creates MLflow 3.17's tables itself and prints only our own figures.

Each run has 20 params, 10 metrics of `--steps` points (latest in `latest_metrics`) and
MLflow's usual system tags. Every timing of ours comes from a fresh process, as a user
starting `tracktui` gets, except the refresh figures, which are taken in one process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
N_PARAMS = 20
N_METRICS = 10

OURS_COLD = """
import json, sys, time
t = time.perf_counter()
import store
frame = store.open_store(sys.argv[1]).runs_frame()
print(json.dumps({"seconds": time.perf_counter() - t, "rows": len(frame), "columns": frame.shape[1]}))
"""

OURS_REFRESH = """
import json, sqlite3, statistics, sys, time
import store
s = store.open_store(sys.argv[1])
s.runs_frame()
def timed(fn, n):
    out = []
    for _ in range(n):
        t = time.perf_counter(); fn(); out.append(time.perf_counter() - t)
    return statistics.median(out)
idle = timed(s.refresh, 20)
frame_again = timed(s.runs_frame, 5)
# one new metric point on one run, as a training script logging to the store would write
con = sqlite3.connect(sys.argv[1])
rid = con.execute("SELECT run_uuid FROM runs LIMIT 1").fetchone()[0]
now = int(time.time() * 1000)  # unique, so a kept store can be benchmarked again
with con:
    con.execute("INSERT INTO metrics VALUES ('m0', 0.5, ?, ?, 100000, 0)", (now, rid))
    con.execute("UPDATE latest_metrics SET value = 0.5, step = 100000, timestamp = ?"
                " WHERE run_uuid = ? AND key = 'm0'", (now, rid))
con.close()
t = time.perf_counter(); changed = s.refresh(); one_change = time.perf_counter() - t
assert changed == {rid}, changed
print(json.dumps({"idle": idle, "frame": frame_again, "one_change": one_change}))
"""

MLFLOW_SCHEMA = """
import json, os, sys
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
import mlflow
mlflow.set_tracking_uri("sqlite:///" + sys.argv[1])
exp = mlflow.set_experiment("bench")
with mlflow.start_run(run_name="schema-seed"):
    mlflow.log_param("p0", 0)
    mlflow.log_metric("m0", 0.0, step=0)
print(json.dumps({"experiment_id": exp.experiment_id, "version": mlflow.__version__}))
"""

MLFLOW_SEARCH = """
import json, os, sys, time
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
t = time.perf_counter()
import mlflow
imported = time.perf_counter() - t
mlflow.set_tracking_uri("sqlite:///" + sys.argv[1])
t1 = time.perf_counter()
frame = mlflow.search_runs(experiment_ids=[sys.argv[2]], max_results=100000)
search = time.perf_counter() - t1
print(json.dumps({"seconds": time.perf_counter() - t, "search": search, "import": imported, "rows": len(frame)}))
"""

# MLflow 3.17's tables, as far as a reader needs them (used only when mlflow is not installed).
FALLBACK_SCHEMA = """
CREATE TABLE experiments (experiment_id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(256) NOT NULL,
  artifact_location VARCHAR(256), lifecycle_stage VARCHAR(32), creation_time BIGINT, last_update_time BIGINT,
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL);
CREATE TABLE runs (run_uuid VARCHAR(32) NOT NULL PRIMARY KEY, name VARCHAR(250), source_type VARCHAR(20),
  source_name VARCHAR(500), entry_point_name VARCHAR(50), user_id VARCHAR(256), status VARCHAR(9),
  start_time BIGINT, end_time BIGINT, source_version VARCHAR(50), lifecycle_stage VARCHAR(20),
  artifact_uri VARCHAR(200), experiment_id INTEGER, deleted_time BIGINT);
CREATE TABLE params ("key" VARCHAR(250) NOT NULL, value VARCHAR(8000) NOT NULL, run_uuid VARCHAR(32) NOT NULL,
  PRIMARY KEY ("key", run_uuid));
CREATE INDEX index_params_run_uuid ON params (run_uuid);
CREATE TABLE tags ("key" VARCHAR(250) NOT NULL, value VARCHAR(8000), run_uuid VARCHAR(32) NOT NULL,
  PRIMARY KEY ("key", run_uuid));
CREATE INDEX index_tags_run_uuid ON tags (run_uuid);
CREATE TABLE metrics ("key" VARCHAR(250) NOT NULL, value FLOAT NOT NULL, timestamp BIGINT NOT NULL,
  run_uuid VARCHAR(32) NOT NULL, step BIGINT DEFAULT '0' NOT NULL, is_nan BOOLEAN DEFAULT '0' NOT NULL,
  PRIMARY KEY ("key", timestamp, step, run_uuid, value, is_nan));
CREATE INDEX index_metrics_run_uuid ON metrics (run_uuid);
CREATE INDEX index_metrics_run_uuid_key_step ON metrics (run_uuid, "key", step);
CREATE TABLE latest_metrics ("key" VARCHAR(250) NOT NULL, value FLOAT NOT NULL, timestamp BIGINT,
  step BIGINT NOT NULL, is_nan BOOLEAN NOT NULL, run_uuid VARCHAR(32) NOT NULL, PRIMARY KEY ("key", run_uuid));
CREATE INDEX index_latest_metrics_run_uuid ON latest_metrics (run_uuid);
INSERT INTO experiments VALUES (0, 'Default', 'mlruns/0', 'active', 0, 0, 'default');
INSERT INTO experiments VALUES (1, 'bench', 'mlruns/1', 'active', 0, 0, 'default');
"""


def python_has_mlflow(python: str) -> str | None:
    """The mlflow version importable by `python`, or None."""
    try:
        out = subprocess.run(
            [python, "-c", "import mlflow; print(mlflow.__version__)"], capture_output=True, text=True, timeout=300
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def run_json(python: str, code: str, *args: str, env: dict[str, str] | None = None, cwd: Path = REPO) -> dict:
    """Run `code` in a fresh `python` and return the JSON object it printed last."""
    out = subprocess.run([python, "-c", code, *args], capture_output=True, text=True, env=env, cwd=cwd)
    if out.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def build_store(db: Path, runs: int, steps: int, mlflow_python: str | None) -> str:
    """Create the database and fill it; returns the experiment id the runs are in."""
    if mlflow_python:
        info = run_json(mlflow_python, MLFLOW_SCHEMA, str(db), cwd=db.parent)  # its ./mlruns goes there
        experiment_id = str(info["experiment_id"])
    else:
        with sqlite3.connect(db) as con:
            con.executescript(FALLBACK_SCHEMA)
        experiment_id = "1"
    rng = random.Random(7)
    con = sqlite3.connect(db)
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA cache_size = -400000")
    start = 1_700_000_000_000
    with con:
        for chunk in range(0, runs, 500):
            run_rows, param_rows, tag_rows, metric_rows, latest_rows = [], [], [], [], []
            for i in range(chunk, min(chunk + 500, runs)):
                rid = uuid.UUID(int=rng.getrandbits(128)).hex
                t0 = start + i * 60_000
                status = "FINISHED" if i % 50 else "FAILED"
                run_rows.append(
                    (
                        rid,
                        f"run-{i}",
                        "LOCAL",
                        "train.py",
                        "",
                        "bench",
                        status,
                        t0,
                        t0 + 50_000,
                        "",
                        "active",
                        f"{db.parent}/mlruns/{experiment_id}/{rid}/artifacts",
                        int(experiment_id),
                    )
                )
                param_rows += [(f"p{j}", str(rng.randint(0, 1000)), rid) for j in range(N_PARAMS)]
                tag_rows += [
                    ("mlflow.runName", f"run-{i}", rid),
                    ("mlflow.user", "bench", rid),
                    ("mlflow.source.name", "train.py", rid),
                    ("mlflow.source.type", "LOCAL", rid),
                    ("stage", "bench", rid),
                ]
                for j in range(N_METRICS):
                    value = 0.0
                    for step in range(steps):
                        value = rng.random()
                        metric_rows.append((f"m{j}", value, t0 + step * 100, rid, step, 0))
                    latest_rows.append((f"m{j}", value, t0 + (steps - 1) * 100, steps - 1, 0, rid))
            con.executemany(
                "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status,"
                " start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                run_rows,
            )
            con.executemany('INSERT INTO params ("key", value, run_uuid) VALUES (?, ?, ?)', param_rows)
            con.executemany('INSERT INTO tags ("key", value, run_uuid) VALUES (?, ?, ?)', tag_rows)
            con.executemany(
                'INSERT INTO metrics ("key", value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)',
                metric_rows,
            )
            con.executemany(
                'INSERT INTO latest_metrics ("key", value, timestamp, step, is_nan, run_uuid)'
                " VALUES (?, ?, ?, ?, ?, ?)",
                latest_rows,
            )
    con.close()
    return experiment_id


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=100, help="points per metric (10 metrics a run)")
    ap.add_argument(
        "--mlflow-python", default=sys.executable, help="an interpreter that can import mlflow (default: this one)"
    )
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes per cold figure")
    ap.add_argument("--keep", help="build the store in this folder and keep it (reused when it exists)")
    a = ap.parse_args()

    mlflow_version = python_has_mlflow(a.mlflow_python)
    mlflow_python = a.mlflow_python if mlflow_version else None
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="bench-mlflow-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "mlflow.db"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    try:
        t = time.perf_counter()
        if db.exists() and a.keep:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
                experiment_id = str(
                    con.execute("SELECT experiment_id FROM experiments WHERE name = 'bench'").fetchone()[0]
                )
            built = "reused"
        else:
            experiment_id = build_store(db, a.runs, a.steps, mlflow_python)
            built = f"built in {time.perf_counter() - t:.0f} s"
        size_mb = db.stat().st_size / 1e6
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            n_runs = con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

        cold, cached = [], []
        for _ in range(a.repeat):
            cache = Path(tempfile.mkdtemp(prefix="cache-", dir=work))
            run_env = dict(env, XDG_CACHE_HOME=str(cache))
            first = run_json(sys.executable, OURS_COLD, str(db), env=run_env)
            cold.append(first["seconds"])
            cached.append(run_json(sys.executable, OURS_COLD, str(db), env=run_env)["seconds"])
            shutil.rmtree(cache, ignore_errors=True)
        rows = first["rows"]
        refresh = run_json(
            sys.executable,
            OURS_REFRESH,
            str(db),
            env=dict(env, XDG_CACHE_HOME=str(Path(tempfile.mkdtemp(prefix="cache-", dir=work)))),
        )

        search = None
        if mlflow_python:
            search = run_json(mlflow_python, MLFLOW_SEARCH, str(db), experiment_id, env=env, cwd=work)

        print(
            f"MLflow SQLite store: {n_runs} runs ({N_PARAMS} params, {N_METRICS} metrics x {a.steps} steps each),"
            f" {size_mb:.0f} MB, {built}; mlflow {mlflow_version or 'not installed'}"
        )
        print(f"{'measurement':72} {'seconds':>9} {'vs ours':>9}")
        ours = median(cold)
        lines = [
            (f"ours: open_store().runs_frame(), fresh process, no index ({rows} rows)", ours, None),
            ("ours: the same, fresh process, index cached", median(cached), None),
            ("ours: refresh(), nothing changed", refresh["idle"], None),
            ("ours: runs_frame() again, nothing changed", refresh["frame"], None),
            ("ours: refresh() after one new metric row (re-query)", refresh["one_change"], None),
        ]
        if search is not None:
            lines.append(
                (
                    f"mlflow.search_runs, fresh process incl. import ({search['rows']} rows)",
                    search["seconds"],
                    search["seconds"] / ours,
                )
            )
            lines.append(("mlflow.search_runs call alone", search["search"], search["search"] / ours))
        for label, seconds, ratio in lines:
            print(f"{label:72} {seconds:9.3f} {'' if ratio is None else f'{ratio:8.1f}x':>9}")
        if search is None:
            print("(install mlflow, or pass --mlflow-python, to compare with mlflow.search_runs)")
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
