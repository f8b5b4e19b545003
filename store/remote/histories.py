"""A tracking server's metric histories, fetched in bulk and kept in memory by (run, key).

`get-history-bulk` takes up to BULK_RUNS runs a call; a key with HISTORY_CAP points or more (or a
server without that endpoint: an older or a proxied one) is paged through `get-history` run by run.
The reader (store/remote/rest.py) decides when to fetch and what a failure means.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from store.remote.answers import point
from store.remote.http import ServerClient, ServerError

HISTORY_CAP = 25_000
"""`get-history-bulk` returns at most this many points; a key with that many is paged through `get-history`."""
BULK_RUNS = 100
HISTORY_ENTRIES = 5000
"""(run, key) histories kept in memory; past this the memory cache starts over (they are re-fetched on demand)."""

Points = tuple[list[int], list[float], list[float]]
"""Steps, times (seconds) and values of one run's key, by step."""
Pages = Callable[[str, str, Mapping[str, Any], str], Iterator[dict[str, Any]]]


def bulk_jobs(run_ids: Sequence[str], keys: Iterable[str]) -> list[tuple[list[str], str]]:
    """The `get-history-bulk` calls that fetch `keys` of `run_ids`: one per key and BULK_RUNS runs."""
    return [
        (list(run_ids[i : i + BULK_RUNS]), key)
        for key in dict.fromkeys(keys)
        for i in range(0, len(run_ids), BULK_RUNS)
    ]


class ServerHistories:
    """The histories fetched so far; `fetch` may run in several threads at once."""

    def __init__(self, client: ServerClient, pages: Pages) -> None:
        self._client = client
        self._pages = pages
        self._points: dict[tuple[str, str], Points] = {}
        self._lock = threading.Lock()

    def has(self, run_id: str, key: str) -> bool:
        return (run_id, key) in self._points

    def parts(self, run_id: str, keys: Iterable[str]) -> list[tuple[str, list[int], list[float], list[float]]]:
        """(key, steps, times, values) of the `keys` of `run_id` fetched so far, in the order asked."""
        with self._lock:
            return [(k, *self._points[(run_id, k)]) for k in keys if (run_id, k) in self._points]

    def forget(self, run_ids: set[str]) -> None:
        """Drop the histories of `run_ids` (runs that changed: their points may have grown)."""
        with self._lock:
            for key in [k for k in self._points if k[0] in run_ids]:
                del self._points[key]

    def fetch(self, run_ids: list[str], key: str) -> None:
        """Fetch `key` of `run_ids` (one bulk call, else paged per run); ServerError when the server fails."""
        by_run: dict[str, list[tuple[int, int, float]]] = {rid: [] for rid in run_ids}
        try:
            data = self._client.get(
                "metrics/get-history-bulk",
                {"run_id": run_ids, "metric_key": key, "max_results": HISTORY_CAP},
                ajax=True,
            )
            points = (
                [p for p in data.get("metrics") or () if isinstance(p, dict)]
                if isinstance(data.get("metrics"), list)
                else []
            )
            complete = len(points) < HISTORY_CAP
        except ServerError as exc:
            if exc.status not in (400, 404, 405, 501):
                raise
            points, complete = [], False  # no bulk endpoint here (an older or a proxied server)
        if complete:
            for p in points:
                rid = p.get("run_id")
                if isinstance(rid, str) and rid in by_run:
                    by_run[rid].append(point(p))
        else:
            for rid in run_ids:
                by_run[rid] = [point(p) for p in self._paged(rid, key)]
        with self._lock:
            if len(self._points) > HISTORY_ENTRIES:
                self._points.clear()
            for rid, pts in by_run.items():
                good = sorted(((s, t, v) for s, t, v in pts if s is not None), key=lambda p: p[0])
                self._points[(rid, key)] = (
                    [s for s, _, _ in good],
                    [t / 1000.0 for _, t, _ in good],
                    [v for _, _, v in good],
                )

    def _paged(self, run_id: str, key: str) -> Iterator[Mapping[str, Any]]:
        args = {"run_id": run_id, "metric_key": key, "max_results": HISTORY_CAP}
        return self._pages("GET", "metrics/get-history", args, "metrics")
