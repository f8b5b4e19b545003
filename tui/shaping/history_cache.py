"""The charts' histories, read once per (run, metric) and turned into charts in a worker.

Plain code (no Textual, no Rich): the charts screen runs it in a thread worker and hands in
the worker's `cancelled`, so a request replaced by a newer one stops reading early.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .curves import METRIC_AXIS, ChartRequest, ChartsResult, RunInfo, Series, build_chart, series_from_history

if TYPE_CHECKING:
    from store import RunStore


class HistoryCache:
    """Series by (run id, metric); runs in `req.reload` (the running ones) are read again."""

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self.series: dict[tuple[str, str], Series] = {}

    def read_info(self, run_id: str) -> RunInfo:
        """A run's name, status, metric keys and points per metric (the chart opens on results)."""
        detail = self.store.run(run_id)
        counts = {k: int(v.get("count") or 0) for k, v in detail.metrics.items()}
        return RunInfo(run_id, detail.name, detail.status, sorted(detail.metrics), counts)

    def charts(self, req: ChartRequest, infos: dict[str, RunInfo],
               cancelled: Callable[[], bool] = lambda: False) -> ChartsResult:
        """Read what is not cached yet (or to reload) and build every chart of `req`."""
        x_metric = req.axis[len(METRIC_AXIS):] if req.axis.startswith(METRIC_AXIS) else None
        wanted = [*req.metrics, x_metric] if x_metric is not None else req.metrics
        for run_id in req.run_ids:
            if cancelled():  # a newer request replaced this one; its result is dropped anyway
                break
            missing = [m for m in wanted if (run_id, m) not in self.series or run_id in req.reload]
            if missing:
                loaded = series_from_history(self.store.history(run_id, missing))
                for m in missing:
                    self.series[(run_id, m)] = loaded.get(m) or Series.empty()
        names = {r: infos[r].name if r in infos else req.names.get(r, r) for r in req.run_ids}
        x_series = ({r: self.series.get((r, x_metric)) or Series.empty() for r in req.run_ids}
                    if x_metric is not None else None)
        charts = [build_chart(metric, [(r, names[r], self.series.get((r, metric)) or Series.empty())
                                       for r in req.run_ids], req, x_series)
                  for metric in req.metrics]
        return ChartsResult(charts, infos)
