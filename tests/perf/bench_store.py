"""Store benchmark: logging cost, cold open of a 10,000-run store, refresh, 1M-point history.

    python tests/perf/bench_store.py [--runs 10000] [--mlflow]

Prints a table with each figure against its target. Each timing is the median of several
repeats; the open figures come from fresh processes, as a user starting the app gets.
With `--mlflow` (needs `pip install -e '.[bench]'`) the same logging and history workload
also goes through MLflow's sqlite store and the ratios are printed beside ours.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

from make_big_store import make_store  # noqa: E402

import store  # noqa: E402

OPEN_SNIPPET = """
import json, resource, sys, time
t = time.perf_counter()
import store
frame = store.open_store(sys.argv[1]).runs_frame()
print(json.dumps({"seconds": time.perf_counter() - t, "rows": len(frame),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def median_time(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_logging(root: Path, n: int = 200_000) -> tuple[float, float]:
    with store.start_run(experiment="bench", root=root) as run:

        def one() -> None:
            for _i in range(n):
                run.log_metric("loss", 0.5)

        def five() -> None:
            for _i in range(n // 5):
                run.log({"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0, "e": 5.0})

        per_metric = median_time(one, 3) / n * 1e6
        per_log5 = median_time(five, 3) / (n // 5) * 1e6
    return per_metric, per_log5


def open_fresh(root: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", OPEN_SNIPPET, str(root)],
        capture_output=True,
        text=True,
        check=True,
        cwd=HERE.parent.parent,
    ).stdout
    return json.loads(out)


def bench_history(root: Path, points: int = 1_000_000) -> float:
    with store.start_run(experiment="hist", root=root, flush_interval=3600) as run:
        for i in range(points):
            run.log_metric("loss", float(i % 977))
        run_id = run.id
    detail = store.open_store(root).run(run_id)
    assert len(detail.history()) == points
    return median_time(lambda: detail.history(["loss"]), 5)


def bench_mlflow(tmp: Path, n: int = 2_000, points: int = 100_000) -> dict[str, float]:
    import mlflow
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri(f"sqlite:///{tmp / 'mlflow.db'}")
    client = MlflowClient()
    with mlflow.start_run() as run:
        t = time.perf_counter()
        for i in range(n):
            mlflow.log_metric("loss", 0.5, step=i)
        per_metric = (time.perf_counter() - t) / n * 1e6
        t = time.perf_counter()
        for i in range(n // 5):
            mlflow.log_metrics({"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0, "e": 5.0}, step=i)
        per_log5 = (time.perf_counter() - t) / (n // 5) * 1e6
        now = int(time.time() * 1000)
        for start in range(0, points, 1000):
            batch = [Metric("h", float(i), now, i) for i in range(start, start + 1000)]
            client.log_batch(run.info.run_id, metrics=batch)
    t = time.perf_counter()
    hist = client.get_metric_history(run.info.run_id, "h")
    history = (time.perf_counter() - t) * (1_000_000 / points)
    assert len(hist) == points
    return {"log_metric": per_metric, "log5": per_log5, "history": history}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--store", type=Path, default=Path(tempfile.gettempdir()) / "tracktui-bench-store")
    parser.add_argument("--mlflow", action="store_true", help="also run the workload through MLflow")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="tracktui-bench-"))
    try:
        per_metric, per_log5 = bench_logging(tmp / "log")
        big = make_store(args.store, args.runs)
        (big / ".tracktui-index.json").unlink(missing_ok=True)
        no_index = open_fresh(big)
        opens = [open_fresh(big) for _ in range(5)]
        warm = statistics.median(o["seconds"] for o in opens)
        peak = max(o["peak_mb"] for o in opens)
        reader = store.open_store(big)
        reader.runs_frame()
        for entry in reader._cache.entries.values():
            entry["read_at"] += 10  # the bench store was written long ago; skip the racy-mtime re-read
        no_change = median_time(reader.refresh, 5)
        victim = reader.run_ids()[0]

        def one_changed() -> None:
            run = store.start_run(resume=victim, root=big)
            run.log_metric("m0", 0.1)
            run.finish()
            t = time.perf_counter()
            changed = reader.refresh()
            one_changed.seconds.append(time.perf_counter() - t)  # type: ignore[attr-defined]
            assert victim in changed

        one_changed.seconds = []  # type: ignore[attr-defined]
        for _ in range(5):
            one_changed()
        one = statistics.median(one_changed.seconds)  # type: ignore[attr-defined]
        history = bench_history(tmp / "hist")
        ml = bench_mlflow(tmp / "ml") if args.mlflow else None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def vs(theirs: float, ours: float, unit: str, scale: float = 1.0) -> str:
        return f"{theirs * scale:.0f} {unit} ({theirs / ours:,.0f}x slower)"

    rows = [
        ("log_metric, per call", f"{per_metric:.2f} µs", "≤ 2 µs", ml and vs(ml["log_metric"], per_metric, "µs")),
        ("log of 5 keys, per call", f"{per_log5:.2f} µs", "", ml and vs(ml["log5"], per_log5, "µs")),
        (f"open {no_index['rows']} runs, no index (fresh process)", f"{no_index['seconds']:.2f} s", "", None),
        (f"open {no_index['rows']} runs, with index (fresh process)", f"{warm:.2f} s", "≤ 1.5 s", None),
        ("peak memory of that open", f"{peak:.0f} MB", "≤ 400 MB", None),
        ("refresh(), nothing changed", f"{no_change * 1000:.0f} ms", "≤ 200 ms", None),
        ("refresh(), one run changed", f"{one * 1000:.0f} ms", "", None),
        (
            "load a 1,000,000-point history",
            f"{history * 1000:.0f} ms",
            "≤ 500 ms",
            ml and vs(ml["history"], history, "ms", 1000) + ", scaled from 100k",
        ),
    ]
    header = ("measure", "tracktui", "target") + (("mlflow sqlite (same workload)",) if ml else ())
    widths = [max(len(str(r[i] or "")) for r in [header, *rows]) for i in range(len(header))]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c or "").ljust(w) for c, w in zip(row[: len(header)], widths)))


if __name__ == "__main__":
    main()
