"""Which metrics come first: results users read (loss, accuracy), then the rest, then schedules
and machine metrics, and the sampled system metrics (`system/…`) last, as their own section.

Plain functions (no Textual, no Rich): the charts screen opens on `default_metrics`, the metric
picker lists by `system_last`, the workspace pages its charts by `metric_tier`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from store.writing.system_metrics import is_system_metric

from .curves import RunInfo
from .direction import infer_direction

SCHEDULE_WORDS = frozenset(
    {
        "lr",
        "learning",
        "momentum",
        "epoch",
        "epochs",
        "step",
        "steps",
        "warmup",
        "wd",
        "decay",
        "beta1",
        "beta2",
        "temperature",
        "batch",
        "bs",
        "schedule",
        "scheduler",
    }
)
"""Words of metrics that record a setting as it changes (`lr`, `epoch`): drawn after the results."""
SYSTEM_WORDS = frozenset(
    {
        "time",
        "latency",
        "duration",
        "seconds",
        "secs",
        "sec",
        "ms",
        "memory",
        "mem",
        "bytes",
        "throughput",
        "gpu",
        "cpu",
        "util",
        "utilization",
    }
)
"""Words of metrics about the machine, not the model: drawn after the results."""


def metric_tier(key: str) -> int:
    """0 for results users read first (loss, accuracy, error, F1 … by `infer_direction`), 2 for
    schedules and machine metrics (`lr`, `epoch`, `gpu_util`), 3 for the sampled system metrics
    (`system/…`, their own section), 1 for the rest."""
    if is_system_metric(key):
        return 3
    words = {w for w in re.split(r"[^a-z0-9]+", key.lower()) if w}
    if words & SCHEDULE_WORDS or words & SYSTEM_WORDS:
        return 2
    return 0 if infer_direction(key) is not None else 1


def default_metrics(infos: Iterable[RunInfo], limit: int = 1) -> list[str]:
    """The metrics a chart opens on: up to `limit` results (loss/accuracy-like keys, most points
    first, then by name); when no key looks like one, the metric with the most points (a system
    metric only when the runs logged nothing else)."""
    best: dict[str, int] = {}
    for info in infos:
        for key in info.keys:
            best[key] = max(best.get(key, 0), info.counts.get(key, 0))
    ranked = sorted(best, key=lambda k: (metric_tier(k), -best[k], k))
    results = [k for k in ranked if metric_tier(k) == 0]
    return results[: max(1, limit)] if results else ranked[:1]


def system_last(keys: Iterable[str]) -> list[str]:
    """`keys` with the system metrics (`system/…`) moved after the others, each part in order:
    the metric list's and the grid's order, so machine metrics are a section of their own."""
    keys = list(keys)
    return [k for k in keys if not is_system_metric(k)] + [k for k in keys if is_system_metric(k)]
