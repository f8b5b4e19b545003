"""Per-column statistics of metric columns: `mse` by its min while `acc` shows its max.

The store gives a frame with one statistic for every metric (`runs_frame("min")`); a column
with its own statistic takes its values from that statistic's frame, matched by run id. The
app's poll worker does this with the rest of the view, so the UI thread never waits for it.
`best` is min or max by the metric's direction (the diff's rule; unknown: the last value).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, cast

from .diff import infer_direction

if TYPE_CHECKING:
    import pandas as pd
else:
    from .lazy_modules import pd

COLUMN_STATS = ("last", "min", "max", "best")


def source_stat(column: str, stat: str) -> str:
    """The store statistic that `stat` reads for this metric column (`best` -> min or max)."""
    if stat != "best":
        return stat
    direction = infer_direction(column[len("metrics.") :] if column.startswith("metrics.") else column)
    return {"higher": "max", "lower": "min"}.get(direction or "", "last")


def apply_column_stats(
    frame: pd.DataFrame,
    column_stats: Mapping[str, str],
    frame_for: Callable[[str], pd.DataFrame],
    base_stat: str = "last",
    available: Sequence[str] = ("last", "min", "max"),
) -> pd.DataFrame:
    """`frame` (holding `base_stat` of every metric) with each column of `column_stats` holding its own
    statistic, read from `frame_for(stat)`; statistics the store does not keep are left as they are."""
    wanted: dict[str, list[str]] = {}
    for column, stat in column_stats.items():
        source = source_stat(column, stat)
        if column in frame.columns and source != base_stat and source in available:
            wanted.setdefault(source, []).append(column)
    if not wanted:
        return frame
    out = frame.copy()
    for stat, columns in wanted.items():
        other = frame_for(stat)
        if "run_id" not in other.columns:
            continue
        other = other.drop_duplicates("run_id").set_index("run_id")
        for column in columns:
            if column in other.columns:
                out[column] = out["run_id"].map(other[column]).astype(float)
    return cast(pd.DataFrame, out)
