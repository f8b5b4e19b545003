"""A metric's summary (last, min, max, count) folded from its history points.

The writer keeps `summary.json` with `merge_summary`; a resumed run rebuilds it from the
history files (`summarise_histories`), which are the truth after a crash.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from store import safe_read

from .layout import HISTORY_FIELDS, HISTORY_RECORD_SIZE, HISTORY_SUFFIX, metric_key


def merge_summary(old: dict[str, Any] | None, arr: Any) -> dict[str, Any]:
    """Fold new points into a metric's summary. 'last' is the point with the greatest step."""
    import numpy as np

    values = arr["value"]
    real = values[~np.isnan(values)]
    idx = int(np.flatnonzero(arr["step"] == arr["step"].max())[-1])
    new = {
        "last": float(values[idx]),
        "last_step": int(arr["step"][idx]),
        "last_time": float(arr["time"][idx]),
        "min": float(real.min()) if real.size else float("nan"),
        "max": float(real.max()) if real.size else float("nan"),
        "count": int(values.size),
        "nonfinite": int(values.size - np.isfinite(values).sum()),
    }
    if not old:
        return new
    merged = dict(old)
    merged["count"] = int(old.get("count", 0)) + new["count"]
    merged["nonfinite"] = int(old.get("nonfinite") or 0) + new["nonfinite"]
    for name, pick in (("min", min), ("max", max)):
        vals = [v for v in (old.get(name), new[name]) if v is not None and v == v]
        merged[name] = pick(vals) if vals else float("nan")
    if new["last_step"] >= old.get("last_step", -(2**62)):
        merged.update(last=new["last"], last_step=new["last_step"], last_time=new["last_time"])
    return merged


def summarise_histories(metrics_dir: Path) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """Every metric's summary, and each history's size in bytes, from the history files.

    For a resumed run: `summary.json` is written after the appends, so a crash can leave it
    a flush behind them, and numbering resumed steps from it duplicated steps and miscounted
    forever. The history files are the truth. A record torn by the crash is cut off here, so
    new points start on a record boundary.
    """
    import numpy as np

    dtype = np.dtype(list(HISTORY_FIELDS))
    summaries: dict[str, dict[str, Any]] = {}
    sizes: dict[str, int] = {}
    for path in sorted(metrics_dir.glob(f"*{HISTORY_SUFFIX}")):
        raw = safe_read.read_bytes(path, cap=None)  # a FIFO or device here fails the resume, never hangs it
        size = len(raw) - len(raw) % HISTORY_RECORD_SIZE
        if size != len(raw):
            os.truncate(path, size)
        key = metric_key(path.name)
        sizes[key] = size
        if size:
            summaries[key] = merge_summary(None, np.frombuffer(raw, dtype=dtype, count=size // HISTORY_RECORD_SIZE))
    return summaries, sizes
