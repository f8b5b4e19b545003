"""A view of the runs table as plain JSON: filter, experiment, sort, columns, grouping, metric statistics.

The runs screen saves the last one per store automatically and named ones when asked
(`tui/settings.py`, in the user's config folder); this module turns a `RunsView`'s choices
into JSON and back. Reading is tolerant: a hand-edited or older entry gives what can be read.
"""

from __future__ import annotations

from typing import Any

from .column_stats import COLUMN_STATS
from .columns import ColumnChoice
from .grouped_view import GROUP_STATS
from .runs_view import RunsView

AUTOMATIC: dict[str, Any] = {}
"""The view with nothing chosen: every run, unsorted, columns that vary, no grouping (or by parent)."""


def view_to_json(view: RunsView) -> dict[str, Any]:
    return {
        "filter": view.filter_text,
        "experiment": view.experiment,
        "sort": view.sort_key,
        "descending": view.sort_descending,
        "all_columns": view.show_all_columns,
        "columns": view.choice.to_json(),
        "group": list(view.group_keys) if view.group_keys is not None else None,
        "group_stat": view.group_stat,
        "collapsed": sorted(view.collapsed),
        "pick": view.pick,
        "metric_stat": view.metric_stat,
        "column_stats": dict(view.column_stats),
        "sparklines": view.sparklines,
    }


def apply_view_json(view: RunsView, data: object, metric_stats: tuple[str, ...] = ("last", "min", "max")) -> None:
    """Set `view`'s choices from `data` (missing or odd entries: the automatic value); the
    filter only as text (`view.filter_text`): the caller applies it, since it may not parse."""
    data = data if isinstance(data, dict) else {}

    def text(name: str) -> str | None:
        value = data.get(name)
        return value if isinstance(value, str) and value else None

    view.filter_text = text("filter") or ""
    view.experiment = text("experiment")
    view.sort_key = text("sort")
    view.sort_descending = data.get("descending") is True
    view.show_all_columns = data.get("all_columns") is True
    view.choice = ColumnChoice.from_json(data.get("columns"))
    group = data.get("group")
    view.group_keys = tuple(str(k) for k in group) if isinstance(group, list) else None
    stat = data.get("group_stat")
    view.group_stat = stat if stat in GROUP_STATS else "mean"
    collapsed = data.get("collapsed")
    view.collapsed = {str(c) for c in collapsed} if isinstance(collapsed, list) else set()
    pick = data.get("pick")
    view.pick = pick if isinstance(pick, int) and not isinstance(pick, bool) and 0 <= pick <= 1000 else 0
    metric_stat = data.get("metric_stat")
    view.metric_stat = metric_stat if metric_stat in metric_stats else "last"
    view.sparklines = data.get("sparklines") is True
    column_stats = data.get("column_stats")
    view.column_stats = (
        {str(k): v for k, v in column_stats.items() if v in COLUMN_STATS} if isinstance(column_stats, dict) else {}
    )
