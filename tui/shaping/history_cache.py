"""The charts' histories, read once per (run, metric) and turned into charts in a worker.

Plain code (no Textual, no Rich): the charts screen runs it in a thread worker and hands in
the worker's `cancelled`, so a request replaced by a newer one stops reading early.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .curves import METRIC_AXIS, ChartRequest, ChartsResult, RunInfo, Series, series_from_history
from .system_charts import related_metrics, system_chart

if TYPE_CHECKING:
    from store import RunStore


PREFETCH_MAX_KEYS = 50
"""Opening charts reads the runs' histories ahead in bulk up to this many keys; past it, only the charted ones."""


class HistoryCache:
    """Series by (run id, metric); runs in `req.reload` (the running ones) are read again."""

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self.series: dict[tuple[str, str], Series] = {}
        self.prefetched: set[tuple[str, str]] = set()
        """(run, metric) histories `read_infos` had the store read ahead: not asked for in bulk again."""
        self.keys: dict[str, list[str]] = {}
        """Metric keys by run, as last read: what a machine metric's pane may draw beside it."""

    def read_infos(self, run_ids: Sequence[str]) -> dict[str, RunInfo]:
        """`read_info` of each run. After the first, the others' histories of the first's metrics are
        read in one go (runs compared mostly share their keys): a tracking server's run detail reads
        the histories of its metrics for min, max and count, one request each otherwise."""
        infos: dict[str, RunInfo] = {}
        for i, run_id in enumerate(run_ids):
            infos[run_id] = self.read_info(run_id)
            if i == 0 and len(run_ids) > 1 and 0 < len(infos[run_id].keys) <= PREFETCH_MAX_KEYS:
                self.store.prefetch_histories(list(run_ids[1:]), infos[run_id].keys)
                self.prefetched.update((r, k) for r in run_ids[1:] for k in infos[run_id].keys)
        return infos

    def read_info(self, run_id: str) -> RunInfo:
        """A run's name, status, metric keys and points per metric (the chart opens on results)."""
        detail = self.store.run(run_id)
        counts = {k: int(v.get("count") or 0) for k, v in detail.metrics.items()}
        self.keys[run_id] = sorted(detail.metrics)
        return RunInfo(run_id, detail.name, detail.status, sorted(detail.metrics), counts)

    def charts(
        self, req: ChartRequest, infos: dict[str, RunInfo], cancelled: Callable[[], bool] = lambda: False
    ) -> ChartsResult:
        """Read what is not cached yet (or to reload) and build every chart of `req`."""
        x_metric = req.axis[len(METRIC_AXIS) :] if req.axis.startswith(METRIC_AXIS) else None
        known = {k for r in req.run_ids for k in self.keys.get(r, ())}
        members = {m: [k for k in related_metrics(m, known) if k == m or k not in req.metrics] for m in req.metrics}
        wanted = list(dict.fromkeys(k for keys in members.values() for k in keys))
        wanted = [*wanted, x_metric] if x_metric is not None else wanted
        missing_by_run = {
            run_id: [m for m in wanted if (run_id, m) not in self.series or run_id in req.reload]
            for run_id in req.run_ids
        }
        missing_by_run = {run_id: keys for run_id, keys in missing_by_run.items() if keys}
        ahead = {
            run_id: keys
            for run_id, keys in missing_by_run.items()
            if run_id in req.reload or any((run_id, m) not in self.prefetched for m in keys)
        }
        if len(ahead) > 1:  # one bulk read for every run, where the store can (a tracking server)
            self.store.prefetch_histories(list(ahead), list(dict.fromkeys(m for keys in ahead.values() for m in keys)))
        for run_id, missing in missing_by_run.items():
            if cancelled():  # a newer request replaced this one; its result is dropped anyway
                break
            loaded = series_from_history(self.store.history(run_id, missing))
            for m in missing:
                self.series[(run_id, m)] = loaded.get(m) or Series.empty()
        names = {r: infos[r].name if r in infos else req.names.get(r, r) for r in req.run_ids}
        x_series = (
            {r: self.series.get((r, x_metric)) or Series.empty() for r in req.run_ids} if x_metric is not None else None
        )
        runs = [(r, names[r]) for r in req.run_ids]
        charts = [
            system_chart(
                metric, members[metric], runs, lambda r, m: self.series.get((r, m)) or Series.empty(), req, x_series
            )
            for metric in req.metrics
        ]
        return ChartsResult(charts, infos)
