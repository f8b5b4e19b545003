"""`tracktui ls`: the runs of a store for scripts; `--filter/--sort/--columns/--limit/--group` use the app's engine.

The rows are chosen by `RunsView` with the app's filter language, sorted as the table sorts,
and grouped by `shaping.grouping`, so a script sees what the app shows. Every output goes
through `tables` (the Rich table, TSV, CSV) or `write_json_lines`, so every text from the
store is made printable.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import pandas as pd

from store import RunStore

from ..shaping.column_cells import cell_text
from ..shaping.columns import column_label
from ..shaping.filter_expr import FilterError, parse_filter, resolve_field, status_hint
from ..shaping.formatting import format_value
from ..shaping.grouping import COUNT, Groups, aggregate_column, group_runs, resolve_group_keys, sort_by_keys
from ..shaping.runs_view import RunsView
from ..shaping.sanitize import printable
from .json_lines import json_text_rows, params_reader, write_columns

GROUP_STATS = ("mean", "std", "min", "max")
"""What `ls --group` prints per metric."""


@dataclass
class Selection:
    frame: pd.DataFrame
    """The chosen runs, in order, every column."""
    columns: list[str] | None
    """The columns asked for with --columns (resolved), or None for the default."""
    hint: str | None
    """Why nothing matched, when a status equality names a status no run has."""


def split_keys(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def sort_spec(text: str | None, columns: Sequence[str]) -> list[tuple[str, bool]]:
    """`mse,-lr` -> [("metrics.mse", False), ("params.lr", True)]: a leading `-` sorts descending."""
    spec = []
    for part in split_keys(text):
        descending = part.startswith("-")
        name = part.lstrip("-+").strip()
        spec.append((resolve_field(name, columns), descending))
    return spec


def select_runs(
    frame: pd.DataFrame,
    filter_text: str = "",
    sort: str | None = None,
    columns: str | None = None,
    limit: int | None = None,
    now: float | None = None,
) -> Selection:
    """The runs `ls` prints: filtered and sorted by the app's `RunsView`, then cut to `limit`.

    Raises FilterError for a bad filter, sort key or column name.
    """
    view = RunsView(frame=frame, now=time.time() if now is None else now)
    if filter_text.strip():
        view.set_filter(filter_text)
    names = list(view.frame.columns)
    spec = sort_spec(sort, names)
    positions = view.positions
    if len(spec) == 1:
        view.sort_key, view.sort_descending = spec[0]
        view.update()
        positions = view.positions
    elif spec:
        positions = positions[sort_by_keys(view.frame.iloc[positions], spec)]
    if limit is not None:
        if limit < 0:
            raise FilterError("--limit takes a count of zero or more")
        positions = positions[:limit]
    chosen = view.frame.iloc[positions].reset_index(drop=True)
    wanted = [resolve_field(name, names) for name in split_keys(columns)] if columns else None
    hint = None
    if filter_text.strip() and not len(chosen):
        hint = status_hint(parse_filter(filter_text, names), view.frame)
    return Selection(chosen, wanted, hint)


def groups_of(frame: pd.DataFrame, group: str, metrics: Sequence[str] | None = None, sort: str | None = None) -> Groups:
    """Groups of `frame` by the comma-separated `group` keys, with `GROUP_STATS` of each metric
    (or of `metrics`), sorted by `sort` (a group column, or a metric: its mean)."""
    keys = resolve_group_keys(split_keys(group), list(frame.columns))
    metric_columns = [m for m in (metrics or []) if m.startswith("metrics.")] or None
    groups = group_runs(frame, keys, metric_columns, GROUP_STATS)
    spec: list[tuple[str, bool]] = []
    for part in split_keys(sort):
        descending = part.startswith("-")
        name = part.lstrip("-+").strip()
        if name in groups.table.columns:
            spec.append((name, descending))
            continue
        column = resolve_field(name, [*frame.columns, COUNT])
        spec.append((aggregate_column(column, "mean") if column.startswith("metrics.") else column, descending))
    missing = [c for c, _ in spec if c not in groups.table.columns]
    if missing:
        raise FilterError(f"groups cannot be sorted by {missing[0]}: not a group key, count or metric")
    if spec:
        groups = groups.reordered(sort_by_keys(groups.table, spec))
    return groups


def write_json_lines(
    table: pd.DataFrame,
    out: IO[str],
    keep: Sequence[str] | None = None,
    raw_params: Callable[[str], dict[str, Any]] | None = None,
) -> None:
    """One JSON object per row of a frame (the `keep` columns, else all): `json_lines.write_columns` of
    its columns as Python values, missing ones as None."""
    names = [str(c) for c in (keep if keep is not None else table.columns)]
    write_columns({name: _json_list(table[name]) for name in names}, out, raw_params)


def json_text_params(table: pd.DataFrame, columns: Sequence[str]) -> set[int]:
    """`json_lines.json_text_rows` of a frame's `columns`."""
    return json_text_rows({name: _json_list(table[name]) for name in columns})


def _json_list(col: pd.Series) -> list[Any]:
    """A column as Python values, NaN and other missing values as None."""
    values = col.to_numpy(dtype=object) if col.dtype.kind not in "biuf" else col.to_numpy()
    missing = np.flatnonzero(pd.isna(values)) if col.dtype.kind not in "biu" else ()
    result: list[Any] = values.tolist()
    for i in missing:
        result[i] = None
    return result


def with_run_name(frame: pd.DataFrame, keys: Sequence[str]) -> list[str]:
    """`keys` led by the run's name, and its id when two runs share a name: a printed table row
    says which run it is whatever `--columns` asked for. (TSV, CSV and JSON print what was asked.)"""
    lead = [k for k in ("name",) if k in frame.columns and k not in keys]
    names = frame["name"] if "name" in frame.columns else None
    if "run_id" in frame.columns and "run_id" not in keys and (names is None or names.duplicated().any()):
        lead.insert(0, "run_id")
    return [*lead, *keys]


def print_table(table: pd.DataFrame, keys: Sequence[str], title: str) -> None:
    """An aligned Rich table of `keys`, cells formatted as the runs table formats them.

    The title is a line of its own above the table: as the table's title Rich wraps it to the
    table's width, a few characters when two narrow columns are asked for.
    """
    from rich.console import Console
    from rich.measure import Measurement
    from rich.table import Table
    from rich.text import Text

    view = RunsView(now=time.time())
    rich_table = Table(header_style="bold", box=None, pad_edge=False)
    numeric = [pd.api.types.is_numeric_dtype(table[k].dtype) or k in ("created", "duration") for k in keys]
    for key, right in zip(keys, numeric):
        label = key if key.count(".") > 1 else column_label(key)  # metrics.mse.mean says what it is
        rich_table.add_column(Text(printable(label)), justify="right" if right else "left", no_wrap=True)
    for row in table[list(keys)].to_numpy(dtype=object):
        rich_table.add_row(*(Text(_cell(view, k, v)) for k, v in zip(keys, row)))
    console = Console(file=sys.stdout)
    width = Measurement.get(console, console.options.update_width(1_000_000), rich_table).maximum
    wide = Console(file=sys.stdout, width=max(console.width, width))
    wide.print(Text(title), soft_wrap=True)
    wide.print(rich_table)


def _cell(view: RunsView, key: str, value: Any) -> str:
    if key in ("status", "created", "ended", "duration"):
        return cell_text(key, value, view.now)
    return format_value(value)  # missing is "", text made printable


def ls_command(reader: RunStore, args: argparse.Namespace) -> int:
    """`tracktui ls` once the store is open: the runs as a table, TSV, CSV or JSON lines; `--filter`,
    `--sort`, `--columns`, `--limit` and `--group` go through the app's engine (`select_runs`)."""
    frame = reader.runs_frame()
    _say_what_the_search_left_out(reader)
    from .tables import TABLE_MAX_COLUMNS, cap_columns, runs_rich_table, shown_columns, write_csv, write_tsv

    columns: list[str] | None = None
    if args.filter or args.sort or args.columns or args.limit is not None or args.group:
        try:
            grouped = bool(args.group)
            selection = select_runs(
                frame, args.filter, None if grouped else args.sort, args.columns, None if grouped else args.limit
            )
            if selection.hint:
                print(f"tracktui ls: {printable(selection.hint)}", file=sys.stderr)
            if grouped:
                return _print_groups(reader, selection.frame, args, selection.columns)
        except FilterError as exc:
            print(f"tracktui ls: {printable(exc.message)}", file=sys.stderr)
            return 2
        frame, columns = selection.frame, selection.columns
    if args.csv:
        write_csv(frame[columns] if columns else frame, sys.stdout)
        return 0
    if args.json:
        _print_json_lines(reader, frame, columns)
        return 0
    if columns:
        if args.tsv or not (args.table or sys.stdout.isatty()):
            write_tsv(frame, columns, sys.stdout)
        else:
            print_table(frame, with_run_name(frame, columns), _title(reader, len(frame), "run"))
        return 0
    keys = shown_columns(frame)
    if args.tsv or not (args.table or sys.stdout.isatty()):
        write_tsv(frame, keys, sys.stdout)
        return 0
    from rich.console import Console
    from rich.measure import Measurement
    from rich.text import Text

    from ..shaping.columns import BASE_SHOWN

    keys, left_out = cap_columns(keys)
    # The view only ever sees the columns printed: measuring 10,000 columns it would then
    # hide took most of the 13-22 s that `ls` took on a run with 10,000 params.
    base = [c for c in frame.columns if c in ("run_id", *BASE_SHOWN)]
    view = RunsView(frame=frame[[*base, *(k for k in keys if k not in base)]], now=time.time())
    title = Text(_title(reader, len(frame), "run"))
    table = runs_rich_table(view, title=title)
    console = Console()
    # Measured without the terminal's cap (80 columns when piped with --table): wide tables
    # print wide, for a pager or `less -S`; squeezing would cut every column to nothing.
    width = Measurement.get(console, console.options.update_width(1_000_000), table).maximum
    wide = Console(width=max(console.width, width))
    wide.print(table)
    if left_out:
        names = ", ".join(printable(k) for k in left_out[:3])
        more = f"{len(left_out):,} more column{'s' if len(left_out) != 1 else ''} not shown"
        wide.print(
            Text(
                f"{more} (the table shows {TABLE_MAX_COLUMNS}, metrics first): {names}"
                f"{', …' if len(left_out) > 3 else ''}; --tsv, --csv or --json print them all",
                style="dim",
            ),
            soft_wrap=True,
        )
    return 0


def _say_what_the_search_left_out(reader: RunStore) -> None:
    """A folder search cut short (depth, time, unreadable folders) is one line on stderr, never silent."""
    from store.opening.multi import MultiStore

    if isinstance(reader, MultiStore) and reader.notice:
        print(f"tracktui ls: not every folder was searched: {printable(reader.notice)}", file=sys.stderr)


def _title(reader: RunStore, count: int, what: str) -> str:
    return f"{printable(str(reader.root))} — {count} {what}{'s' if count != 1 else ''}"


def _print_groups(reader: RunStore, frame: pd.DataFrame, args: argparse.Namespace, metrics: list[str] | None) -> int:
    """`ls --group`: one row per group of the selected runs (see `groups_of`)."""
    from .tables import write_csv, write_tsv

    table = groups_of(frame, args.group, metrics, args.sort).table
    if args.limit is not None:
        if args.limit < 0:
            raise FilterError("--limit takes a count of zero or more")
        table = table.iloc[: args.limit]
    if args.csv:
        write_csv(table, sys.stdout)
    elif args.json:
        write_json_lines(table, sys.stdout)
    elif args.tsv or not (args.table or sys.stdout.isatty()):
        write_tsv(table, list(table.columns), sys.stdout)
    else:
        print_table(table, list(table.columns), _title(reader, len(table), "group"))
    return 0


def _print_json_lines(reader: RunStore, frame: pd.DataFrame, keep: list[str] | None = None) -> None:
    """One JSON object per run, every column; lists and dicts logged as params stay JSON values
    (the listing holds them as JSON text, so those runs' params are read back whole). JSON
    escapes every control character (ensure_ascii), so nothing in it can act on a terminal."""
    write_json_lines(frame, sys.stdout, keep, params_reader(reader))
