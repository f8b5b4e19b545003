"""Benchmark: opening charts of many runs of a tracking server, histories in bulk or run by run;
and streaming one big artifact into the cache.

    python tests/perf/bench_server_charts.py [--runs 40] [--metrics 3] [--steps 500] [--artifact-mb 128]

Needs mlflow importable (the `[bench]` extra); starts a real `mlflow server` on loopback. The charts
figure is what the charts screen's worker does on opening (`HistoryCache.read_infos`, then the first
chart's `charts`), from a fresh store each time (no history in memory): as it is (bulk through
`prefetch_histories`), and with `prefetch_histories` turned into the base class's no-op (one request
per run and metric, as before). Medians of 3; the history requests each made are counted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from tests.mlflow_server import start_server  # noqa: E402


def fill(url: str, runs: int, metrics: int, steps: int) -> list[str]:
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient(url)
    exp = client.create_experiment("bench-charts")
    ids = []
    for i in range(runs):
        rid = client.create_run(exp, run_name=f"r{i}").info.run_id
        points = [
            Metric(f"m{k}", (i + 1) / (s + 1) + k, 1_700_000_000_000 + s, s)
            for k in range(metrics)
            for s in range(steps)
        ]
        for j in range(0, len(points), 1000):
            client.log_batch(rid, metrics=points[j : j + 1000])
        client.set_terminated(rid)
        ids.append(rid)
    return ids


def open_charts(url: str, ids: list[str], bulk: bool) -> tuple[float, int]:
    from store import open_store
    from tui.shaping.curves import ChartRequest
    from tui.shaping.history_cache import HistoryCache
    from tui.shaping.metric_order import default_metrics

    store: Any = open_store(url)
    store.refresh()
    if not bulk:  # as before the charts asked for bulk reads: the store's own per-run reads only
        one_run = store.prefetch_histories
        store.prefetch_histories = lambda run_ids, keys: one_run(run_ids, keys) if len(run_ids) == 1 else None
    asked = []
    get = store.client.get

    def counting(endpoint: str, params: Any = None, ajax: bool = False) -> Any:
        if "history" in endpoint:
            asked.append(endpoint)
        return get(endpoint, params, ajax)

    store.client.get = counting
    t = time.perf_counter()
    cache = HistoryCache(store)
    infos = cache.read_infos(ids)
    req = ChartRequest(
        run_ids=ids,
        metrics=default_metrics(infos.values()),
        axis="step",
        log_y=False,
        smoothing=0.0,
        buckets=120,
        colors=[(200, 80, 80)],
        faint=[(90, 40, 40)],
    )
    cache.charts(req, infos)
    return time.perf_counter() - t, len(asked)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--metrics", type=int, default=3)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--artifact-mb", type=int, default=128)
    args = parser.parse_args()
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="bench-cache-")
    server = start_server(Path(tempfile.mkdtemp(prefix="bench-server-")))
    try:
        ids = fill(server.url, args.runs, args.metrics, args.steps)
        print(f"{args.runs} runs x {args.metrics} metrics x {args.steps} steps on {server.url}")
        print(f"{'opening charts':<28} {'seconds':>8} {'history requests':>17}")
        for bulk in (True, False):
            results = [open_charts(server.url, ids, bulk) for _ in range(3)]
            print(
                f"{'bulk' if bulk else 'run by run':<28} {statistics.median(r[0] for r in results):>8.2f} "
                f"{results[0][1]:>17}"
            )
        from mlflow import MlflowClient

        from store import open_store
        from store.remote.artifacts import RemoteFile

        big = Path(tempfile.mkdtemp()) / "big.bin"
        with open(big, "wb") as fh:
            fh.truncate(args.artifact_mb << 20)  # sparse here; the server stores and serves every byte
        MlflowClient(server.url).log_artifact(ids[0], str(big))
        store: Any = open_store(server.url)
        store.refresh()
        remote = store.remote_artifacts(ids[0])
        t = time.perf_counter()
        path = remote.download(RemoteFile("big.bin", args.artifact_mb << 20))
        seconds = time.perf_counter() - t
        assert path is not None and path.stat().st_size == args.artifact_mb << 20
        rate = args.artifact_mb / seconds
        print(f"{'artifact download':<28} {seconds:>8.2f}  {args.artifact_mb} MB, {rate:.0f} MB/s")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
