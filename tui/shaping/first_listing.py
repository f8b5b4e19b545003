"""The runs table's first rows, made from the store's records in plain Python, before pandas is imported.

Importing pandas and numpy takes longer than starting Textual and reading a dozen runs together,
so the first paint of a small store does without them: `first_listing` lays the records out as
`RunsView` lays out their frame with the settings the app starts with (newest first, the columns
that vary, each as wide as its widest cell, the same cell texts), and the table draws it. The
frame-backed view then replaces it in place: the same rows in the same order under the same
columns, so nothing moves. Keys wait meanwhile (`TrackApp` holds them), so this view only has to
be drawn, not sorted or filtered.

A store whose frame is not made from its records one to one (ours keeps its listing as columns;
MLflow's SQL store and a tracking server build theirs), one with nested runs (grouped by parent
at start), more than `FIRST_LISTING_MAX` runs or `FIRST_LISTING_CELLS` cells gets no first
listing: the frame is the first paint there, as before.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from store import RunStore
from store.frame import EXTRA_COLUMNS, natural_key
from store.writing.system_metrics import is_system_metric

from .column_cells import FIXED_WIDTHS, cell_text, fit_width
from .columns import (
    EXTRAS,
    PARENT_COLUMNS,
    SOURCE,
    Column,
    ColumnChoice,
    column_kind,
    column_labels,
    default_order,
    varying_lists,
)
from .formatting import cell_width

FIRST_LISTING_MAX = 500
"""Up to this many runs a first listing is laid out in plain Python (a few milliseconds at 500);
above, where the frame's columnar work pays, the frame is the first paint."""

FIRST_LISTING_CELLS = 50_000
"""Nor when runs times columns pass this (a few runs with 10,000 params each)."""

Row = dict[str, Any]


@dataclass
class FirstListing:
    """What the runs table and the bar read of a `RunsView`, for the first rows only (no sort, filter or groups)."""

    rows: list[Row] = field(default_factory=list)
    """The runs, newest first, as {column: value} with the value the frame would hold."""
    columns: list[Column] = field(default_factory=list)
    now: float = 0.0
    sort_key: str | None = None
    sort_descending: bool = False
    sparklines: bool = False
    empty_hint: str | None = None
    experiment: str | None = None
    metric_stat: str = "last"
    grouped: None = None
    group_stat: str = "mean"
    pick: int = 0
    choice: ColumnChoice = field(default_factory=ColumnChoice)

    def __post_init__(self) -> None:
        self.frame = self.rows
        """The table asks the frame's length (an empty table says why)."""
        self.positions = range(len(self.rows))
        self.running = sum(1 for row in self.rows if row["status"] == "running")
        self._cells: dict[int, list[str]] = {}

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def run_id_at(self, row: int) -> str | None:
        return str(self.rows[row]["run_id"]) if 0 <= row < len(self.rows) else None

    def shown_ids(self) -> list[str]:
        """Run ids of the rows shown, in order (what `ctrl+a` marks before the frame is in)."""
        return [str(row["run_id"]) for row in self.rows]

    def row_of(self, run_id: str | None) -> int | None:
        return next((i for i, row in enumerate(self.rows) if row["run_id"] == run_id), None)

    def status_at(self, row: int) -> str:
        return str(self.rows[row]["status"])

    def cells(self, row: int) -> list[str]:
        texts = self._cells.get(row)
        if texts is None:
            values = self.rows[row]
            texts = self._cells[row] = [cell_text(c.key, values.get(c.key), self.now) for c in self.columns]
        return texts

    def set_now(self, now: float, rows: range) -> bool:
        """Ages as of `now`: the cells are made again when next drawn."""
        self.now, self._cells = now, {}
        return True

    def group_at(self, row: int) -> int | None:
        return None

    def group_label(self, group: int) -> str:
        return ""

    def group_run_ids(self, group: int) -> list[str]:
        return []


def first_listing(store: RunStore, now: float) -> FirstListing | None:
    """The first rows of `store` (refreshed), or None where the frame must make them (see the module)."""
    if type(store)._build_frame is not RunStore._build_frame:
        return None
    return listing_of(store.records(), store.status_of, now)


def listing_of(records: Sequence[Any], status_of: Callable[[Any], str], now: float) -> FirstListing | None:
    """The first rows of these records (`first_listing`, or the newest runs a long first listing reads
    before the rest: `RunStore.partial_records`), or None where the frame must make them."""
    if not records or len(records) > FIRST_LISTING_MAX:
        return None
    fields = [[*(r.get("params") or {}), *(r.get("metrics") or {}), *(r.get("tags") or {})] for r in records]
    if sum(map(len, fields)) > FIRST_LISTING_CELLS:
        return None  # thousands of params: the frame's columnar checks pay there
    if len(records) * len({key for keys in fields for key in keys}) > FIRST_LISTING_CELLS:
        return None
    rows = [_row(record, status_of(record)) for record in records]
    if any(row.get(key) for row in rows for key in PARENT_COLUMNS):
        return None  # grouped by parent at start: the frame's grouping makes those rows
    rows.sort(key=lambda row: -row["created"] if not math.isnan(row["created"]) else math.inf)
    return FirstListing(rows, _columns(rows, now), now)


def _row(record: Any, status: str) -> Row:
    """One record as the frame's row holds it (`store.frame.build_runs_frame`): missing times are NaN,
    metrics their last value as a float (NaN when not a number), params and tags as logged."""
    times = {key: _seconds(record.get(key)) for key in ("created", "ended", "heartbeat")}
    end = times["heartbeat"] if math.isnan(times["ended"]) else times["ended"]
    duration = time.time() - times["created"] if status == "running" else end - times["created"]
    row: Row = {key: record.get(key) for key in ("run_id", "experiment", "name", *EXTRA_COLUMNS)}
    row |= {"status": status, "created": times["created"], "ended": times["ended"], "duration": duration}
    parent = record.get("parent") or (record.get("system_tags") or {}).get("mlflow.parentRunId")
    row |= {"parent": parent, SOURCE: record.get("source")} if parent or record.get("source") else {}
    row |= {f"params.{k}": v for k, v in (record.get("params") or {}).items()}
    for key, summary in (record.get("metrics") or {}).items():
        value = summary.get("last")
        row[f"metrics.{key}"] = float(value) if isinstance(value, (int, float)) else math.nan
    row |= {f"tags.{k}": v for k, v in (record.get("tags") or {}).items()}
    return row


def _seconds(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else math.nan


def _columns(rows: Sequence[Row], now: float) -> list[Column]:
    """`RunsView._choose_columns` with the starting settings: every column that varies, in the default order."""
    found: dict[str, None] = {}
    for row in rows:
        found.update(dict.fromkeys(k for k in row if column_kind(k) != "base"))
    groups = [
        sorted((k for k in found if k.startswith(p)), key=lambda k: natural_key(k.split(".", 1)[1]))
        for p in ("params.", "metrics.", "tags.")
    ]
    present = ["run_id", "experiment", "name", "status", "created", "ended", "duration", *EXTRA_COLUMNS]
    if any(row.get(SOURCE) for row in rows):
        present.insert(1, SOURCE)
    keys = [k for k in default_order([*present, *(k for g in groups for k in g)]) if k not in EXTRAS]
    keys = [k for k in keys if not is_system_metric(k)]
    checked = [k for k in keys if column_kind(k) != "base" or k == "experiment"]
    values = {k: [row.get(k, math.nan if column_kind(k) == "metric" else None) for row in rows] for k in keys}
    keys = varying_lists({k: values[k] for k in checked}, keys)
    labels = column_labels(default_order(present + [k for g in groups for k in g]))
    return [_column(key, labels[key], values[key], now) for key in keys]


def _column(key: str, label: str, values: list[Any], now: float) -> Column:
    """`FrameMeasures` on plain values: every cell measured (a first listing is short)."""
    numeric = key in ("created", "duration", "ended") or _numbers(key, values)
    header = cell_width(label) + 1  # +1: the sort arrow
    if key in FIXED_WIDTHS:
        width = max(header, FIXED_WIDTHS[key])
    else:
        width = fit_width(key, header, max((cell_width(cell_text(key, v, now)) for v in values), default=0))
    return Column(key, label, width, numeric, column_kind(key))


def _numbers(key: str, values: list[Any]) -> bool:
    """`holds_numbers` of the frame's column: a metric column is floats; any other all numbers (not flags)."""
    if column_kind(key) == "metric":
        return True
    present = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return bool(present) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present)
