"""Which runs and which metrics the runs screen's workspace draws: plain functions, no Textual.

The workspace watches training beside the table. It draws the marked runs; with none marked,
the running ones (what a user watching a sweep wants); with none running, the newest few. The
run under the table's cursor is always drawn too (highlighted), so moving the cursor shows
that run against the others at once. The metrics are every non-system metric of those runs,
results first (`metric_tier`), so the first page is the one users read; `system/…` metrics
go to the system pane.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from store.writing.system_metrics import is_system_metric

from .column_spans import GUTTER
from .curves import RunInfo
from .formatting import cell_width
from .metric_order import metric_tier

MAX_RUNS = 12
"""At most this many runs are drawn (the first marked, running or newest); more are not legible."""
NEWEST = 4
"""With nothing marked or running, this many of the newest runs."""
MAX_METRICS = 24
"""At most this many metric charts (pages of them); the charts screen lists every metric."""


@dataclass(frozen=True)
class WorkspaceRuns:
    """The runs to draw, in order, and why (said in the workspace's title)."""

    run_ids: tuple[str, ...]
    reason: str
    """"marked", "running", "newest" or "" (no runs)."""
    cursor: str | None
    """The run under the table's cursor: highlighted, and the one the console and images follow."""
    cursor_added: bool = False
    """The cursor's run is drawn though it is not one of the marked, running or newest runs."""


def choose_runs(
    marked: Sequence[str], running: Sequence[str], newest: Sequence[str], cursor: str | None, limit: int = MAX_RUNS
) -> WorkspaceRuns:
    """Marked runs, else running runs, else the `NEWEST` newest (`newest` newest first); the
    cursor's run is added when it is not among them, so the grid always shows it."""
    if marked:
        picked, reason = list(marked), "marked"
    elif running:
        picked, reason = list(running), "running"
    else:
        picked, reason = list(newest[:NEWEST]), "newest" if newest else ""
    picked = list(dict.fromkeys(picked))[:limit]
    added = cursor is not None and cursor not in picked
    if cursor is not None and added:
        picked = [*picked[: limit - 1], cursor]
    return WorkspaceRuns(tuple(picked), reason, cursor, added)


def choose_metrics(infos: Iterable[RunInfo], limit: int = MAX_METRICS) -> tuple[list[str], list[str]]:
    """(metric charts, system charts) for these runs: results first, then the others, then
    schedules (`lr`, `epoch`), each by points logged then name; the `system/…` metrics by name."""
    points: dict[str, int] = {}
    for info in infos:
        for key in info.keys:
            points[key] = max(points.get(key, 0), info.counts.get(key, 0))
    metrics = sorted((k for k in points if not is_system_metric(k)), key=lambda k: (metric_tier(k), -points[k], k))
    system = sorted(k for k in points if is_system_metric(k))
    return metrics[:limit], system[:limit]


def listing_runs(frame: pd.DataFrame, positions: npt.NDArray[np.int64] | None = None) -> tuple[list[str], list[str]]:
    """(running run ids in the listing's order, the `NEWEST` newest run ids newest first) of the
    runs shown (`positions`: the rows the filter keeps), from the listing's columns at once
    (each poll calls it on the UI thread: about 5 ms for 100,000 runs)."""
    if frame.empty or "run_id" not in frame.columns:
        return [], []
    ids = frame["run_id"].to_numpy()
    if positions is not None:
        ids = ids[positions]
    running: list[str] = []
    if "status" in frame.columns:
        status = frame["status"].to_numpy()
        running = [str(r) for r in ids[(status if positions is None else status[positions]) == "running"]]
    if "created" not in frame.columns:
        return running, [str(r) for r in ids[:NEWEST]]
    created = pd.to_numeric(frame["created"], errors="coerce").to_numpy(dtype=np.float64)
    created = np.nan_to_num(created if positions is None else created[positions], nan=0.0)
    top = np.argpartition(-created, NEWEST)[:NEWEST] if created.size > NEWEST else np.arange(created.size)
    top = top[np.lexsort((top, -created[top]))]  # newest first; ties in listing order
    return running, [str(r) for r in ids[top]]


def pane_choice(saved: Mapping[str, object] | None, defaults: Mapping[str, bool]) -> dict[str, bool]:
    """Which panes are shown: the saved choice where it names a known pane with a bool, else the default."""
    saved = saved or {}
    return {name: bool(saved[name]) if isinstance(saved.get(name), bool) else shown for name, shown in defaults.items()}


TABLE_SHARE = "45%"
"""The most of the screen's width the narrowed table takes (a CSS `max-width`, so a resize keeps it):
the charts keep the most room."""


NARROW_STATUS = 1
"""The status column beside the workspace when it must give way: its glyph (the colour stays)."""
NARROW_NUMBER = 11
"""A number column beside the workspace when it must give way: `format_number`'s widest value."""
NARROW_NAME = 8
"""The fewest cells a name is cut to before the sort column gives way too."""


def narrowed_keys(keys: Sequence[str], sort_key: str | None) -> tuple[str, ...]:
    """The columns the table keeps beside the workspace, in the table's order: status, name and
    the sort column (a multi-store's source goes: the name tells runs apart, the table says more)."""
    kept = {"status", "name", sort_key}
    return tuple(key for key in keys if key in kept)


def narrow_width(columns: Sequence[tuple[str, int]], sort_key: str | None) -> tuple[int, int | None]:
    """Cells the runs table asks for beside the workspace (status, name and the sort column as
    measured, the mark gutter and the scrollbar; the pane's `TABLE_SHARE` may give it fewer, and
    `fit_narrowed` then fits them), and the column the cursor goes to: the sort column, else the
    name. `columns` are (key, width)."""
    keys = [key for key, _ in columns]
    kept = narrowed_keys(keys, sort_key)
    target = keys.index(sort_key) if sort_key in kept else keys.index("name") if "name" in keys else None
    used = GUTTER + sum(width + GUTTER for key, width in columns if key in kept)
    return max(20, used + 2), target


def fit_narrowed(columns: Sequence[tuple[str, int, bool]], room: int) -> list[int]:
    """Widths of the narrowed table's (key, measured width, numeric) columns in `room` cells
    (the mark gutter left out). As measured when they fit; else the status gives way to its
    glyph, a number column to its widest value, then the name down to `NARROW_NAME` (the table
    cuts it in the middle, keeping the end that tells `…-lr2e-5` from `…-lr5e-5`), and only then
    the others (their cells end in `…`, never in a digit that reads as a whole value)."""
    widths = [width for _, width, _ in columns]

    def over() -> int:
        return sum(width + GUTTER for width in widths) - room

    for i, (key, width, numeric) in enumerate(columns):
        if key == "status" and over() > 0:
            widths[i] = NARROW_STATUS
        elif numeric and key != "name" and over() > 0:
            widths[i] = min(width, NARROW_NUMBER)
    for i, (key, _, _) in enumerate(columns):
        if key == "name" and over() > 0:
            widths[i] = max(NARROW_NAME, widths[i] - over())
    for i, (key, _, _) in enumerate(columns):
        if key not in ("status", "name") and over() > 0:
            widths[i] = max(3, widths[i] - over())
    return widths


def cut_middle(text: str, width: int) -> str:
    """`text` in at most `width` cells, cut in the middle with `…`: the start and, longer, the end
    (run names differ at the end: `sweep-lr1e-3`, `sweep-lr3e-4`, `version_12`)."""
    if cell_width(text) <= width:
        return text
    if width < 3:
        return text[:width]
    head = (width - 1) // 3
    tail = text[::-1]
    end = ""
    for ch in tail:
        if cell_width(end) + cell_width(ch) > width - 1 - head:
            break
        end = ch + end
    start = ""
    for ch in text:
        if cell_width(start) + cell_width(ch) > width - 1 - cell_width(end):
            break
        start += ch
    return f"{start}…{end}"
