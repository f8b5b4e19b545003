"""The runs table grouped: which rows are group rows, which runs sit under each, in what order.

`RunsView` calls `group_rows` from `update()`, so the work is done where the rest of the view
is built: in the app's poll worker for refreshes, and on the UI thread only for a key the user
pressed (tens of milliseconds at 10,000 runs; `tests/perf/bench_app.py`). It uses the grouping
engine (`grouping.py`) and adds what the table needs: an order of rows where a group row comes
before its runs, collapsed groups without their runs, best or top N runs per group.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .formatting import format_value, is_missing
from .grouping import PARENT_COLUMNS, Groups, aggregate_column, group_runs, top_per_group
from .sanitize import printable

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:
    from .lazy_modules import np, pd

GROUP_STATS = ("mean", "min", "max", "median")
"""What group rows show per metric, cycled by the user; `mean` shows `mean ± std`."""
NO_PARENT = "top level"


@dataclass
class GroupedRows:
    groups: Groups
    rows: np.ndarray
    """The table's rows: a frame position (>= 0) for a run, `-(g + 1)` for the row of group g."""
    positions: np.ndarray
    """Every run in view, group after group (collapsed groups included, runs not picked left out)."""
    labels: list[str]
    """Per group: `lr=0.1 · seed=3`, safe to draw; it also names the group for collapsing."""
    members: list[np.ndarray]
    """Per group: its runs' frame positions, in table order."""
    note: str | None = None
    """Why best/top N could not apply (no sort column), or None."""


def stats_for(stat: str) -> tuple[str, ...]:
    return ("mean", "std") if stat == "mean" else (stat,)


def group_labels(groups: Groups, parent_names: Mapping[str, str]) -> list[str]:
    """Per group: `lr=0.1 · seed=3` (a parent run: `under NAME`), safe to draw; a column at a time."""
    columns: list[list[str]] = []
    for key in groups.keys:
        values = groups.table[key].tolist()
        if key in PARENT_COLUMNS:
            columns.append(
                [NO_PARENT if is_missing(v) else f"under {printable(parent_names.get(str(v), str(v)))}" for v in values]
            )
            continue
        name = printable(key.split(".", 1)[1] if "." in key else key)
        columns.append([f"{name}={'—' if is_missing(v) else format_value(v)}" for v in values])
    return [" · ".join(parts) for parts in zip(*columns)] if columns else []


def group_rows(
    frame: pd.DataFrame,
    positions: np.ndarray,
    keys: Sequence[str],
    *,
    sort_key: str | None = None,
    descending: bool = False,
    stat: str = "mean",
    collapsed: Collection[str] = (),
    pick: int = 0,
) -> GroupedRows:
    """Group the runs at `positions` (already filtered and sorted by `sort_key`) by `keys`.

    Groups are ordered by their aggregate of the sort column (a metric: its `stat`; a key
    column or anything the group table has: that), else by their key values; the runs inside
    keep `positions`' order. `pick` > 0 keeps the best `pick` runs of each group by the sort
    column, following the metric's direction (else the sort order).
    """
    metrics = [c for c in frame.columns if str(c).startswith("metrics.")]
    # Only the columns grouping reads: a copy of every column of 100,000 runs held ~30 MB while grouping.
    needed = [c for c in dict.fromkeys([*keys, *metrics, *([sort_key] if sort_key else [])]) if c in frame.columns]
    sub = frame[needed].iloc[positions].reset_index(drop=True)
    groups = group_runs(sub, keys, metrics, stats_for(stat))
    if sort_key:
        column = aggregate_column(sort_key, stat) if sort_key.startswith("metrics.") else sort_key
        if column in groups.table.columns:
            groups = groups.sorted_by(column, descending)
    note = None
    order: np.ndarray
    if pick and sort_key and sort_key in sub.columns:
        try:
            order = top_per_group(sub, groups, sort_key, pick)
        except ValueError:
            order = top_per_group(sub, groups, sort_key, pick, descending=descending)
    else:
        if pick:
            note = "best and top N pick by the sort column: sort by a metric first (s)"
        order = np.argsort(groups.codes, kind="stable") if len(groups.codes) else np.array([], dtype=np.int64)
    codes = groups.codes[order] if len(order) else np.array([], dtype=np.int64)
    bounds = np.searchsorted(codes, np.arange(1, len(groups)))
    members = [positions[part] for part in np.split(order, bounds)] if len(groups) else []
    parent_names: dict[str, str] = {}
    if any(k in PARENT_COLUMNS for k in keys) and "name" in frame.columns:
        parent_names = dict(zip(frame["run_id"].astype(str), frame["name"].astype(str)))
    labels = group_labels(groups, parent_names)
    hidden = set(collapsed)
    parts: list[np.ndarray] = []
    shown = np.concatenate(members).astype(np.int64) if members else np.array([], dtype=np.int64)
    if len(keys) == 1 and keys[0] in PARENT_COLUMNS:
        parts = _tree_parts(frame, groups, members, labels, hidden)
        every = _tree_parts(frame, groups, members, labels, set())
        shown = np.concatenate(every) if every else shown
        shown = shown[shown >= 0]
        rows = np.concatenate(parts) if parts else np.array([], dtype=np.int64)
    else:  # group rows inserted before each group's first run, whole arrays at a time
        closed = np.array([label in hidden for label in labels], dtype=bool)
        keep = ~closed[codes] if len(codes) else np.array([], dtype=bool)
        runs = positions[order[keep]].astype(np.int64) if len(order) else np.array([], dtype=np.int64)
        starts = np.searchsorted(codes[keep], np.arange(len(groups)))
        rows = np.insert(runs, starts, -(np.arange(len(groups), dtype=np.int64) + 1))
    return GroupedRows(groups, rows, shown, labels, members, note)


def _tree_parts(
    frame: pd.DataFrame, groups: Groups, members: list[np.ndarray], labels: list[str], hidden: set[str]
) -> list[np.ndarray]:
    """Rows of a tree by parent run: each top-level run, then (when it has children in view) the
    group row of its children with their aggregates, then the children; children whose parent is
    not in view come last, under their own group row."""
    key = groups.keys[0]
    parent_of_group = {
        str(groups.table.at[g, key]): g for g in range(len(groups)) if not is_missing(groups.table.at[g, key])
    }
    top = next((g for g in range(len(groups)) if is_missing(groups.table.at[g, key])), None)
    ids = frame["run_id"].to_numpy()
    parts: list[np.ndarray] = []
    placed: set[int] = set()

    def child_group(g: int) -> None:
        placed.add(g)
        parts.append(np.array([-(g + 1)], dtype=np.int64))
        if labels[g] not in hidden:
            parts.append(members[g].astype(np.int64))

    for position in members[top] if top is not None else []:
        parts.append(np.array([position], dtype=np.int64))
        g = parent_of_group.get(str(ids[position]))
        if g is not None:
            child_group(g)
    for g in range(len(groups)):
        if g != top and g not in placed:
            child_group(g)
    return parts


def group_cell(grouped: GroupedRows, group: int, key: str, stat: str, collapsed: bool) -> str:
    """The text of a group row's cell in column `key`."""
    table = grouped.groups.table
    if key == "status":
        count = int(table["count"].to_numpy()[group])
        shown = len(grouped.members[group])
        runs = f"{count} run{'s' if count != 1 else ''}" if shown == count else f"{shown}/{count} runs"
        return f"{'▸' if collapsed else '▾'} {runs}"
    if key == "name":
        return grouped.labels[group]
    if key in grouped.groups.keys:
        value = table.at[group, key]
        return "" if is_missing(value) else format_value(value)
    if key.startswith("metrics."):
        column = aggregate_column(key, stat)
        if column not in table.columns:
            return ""
        value = table.at[group, column]
        if is_missing(value):
            return ""
        if stat == "mean":
            spread = table.at[group, aggregate_column(key, "std")]
            return format_value(value) if is_missing(spread) else f"{format_value(value)} ± {format_value(spread)}"
        return format_value(value)
    return ""
