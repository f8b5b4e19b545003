"""`tracktui ls --filter/--sort/--columns/--limit/--group`: the app's engine, for scripts.

The rows are chosen by `RunsView` with the app's filter language, sorted as the table sorts,
and grouped by `shaping.grouping`, so a script sees what the app shows. Output goes through
the same writers as plain `ls` (`tables.write_tsv`, `write_csv`, JSON lines), so every text
from the store is made printable.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import pandas as pd

from .shaping.columns import column_label
from .shaping.filter_expr import FilterError, parse_filter, resolve_field, status_hint
from .shaping.formatting import format_value
from .shaping.grouping import COUNT, Groups, aggregate_column, group_runs, resolve_group_keys, sort_by_keys
from .shaping.runs_view import RunsView
from .shaping.sanitize import printable

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


def select_runs(frame: pd.DataFrame, filter_text: str = "", sort: str | None = None,
                columns: str | None = None, limit: int | None = None, now: float | None = None) -> Selection:
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


def groups_of(frame: pd.DataFrame, group: str, metrics: Sequence[str] | None = None,
              sort: str | None = None) -> Groups:
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


def json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return json_value(value.item())
    return value


def write_json_lines(table: pd.DataFrame, out: IO[str], keep: Sequence[str] | None = None,
                     raw_params: Callable[[str], dict[str, Any]] | None = None) -> None:
    """One JSON object per row (the `keep` columns, else all); NaN is null; JSON escapes every control character.

    Column by column: each column becomes one list of Python values with missing values as
    None, each value is encoded to its JSON text by its type (C functions: `float.__repr__`,
    the encoder's string escaper), and a row is one `join` of its columns' texts. A row with
    a value of another type, or (with `raw_params`, run id -> its flat params) a param cell
    holding a list or dict as JSON text, is written by `json.dumps` of the row (`_row_text`),
    which gives the same bytes for the plain types: `json.dumps` a row cost most of
    `ls --json` at 100,000 runs.
    """
    columns = [str(c) for c in (keep if keep is not None else table.columns)]
    lists = [_json_list(table[c]) for c in columns]
    restore = json_text_params(table, columns) if raw_params is not None else set()
    run_ids = table["run_id"].tolist() if restore else []
    row = "{" + ", ".join(f"{_encode_text(name).replace('%', '%%')}: %s" for name in columns) + "}\n"
    for at in range(0, len(table) if columns else 0, JSON_CHUNK):  # the texts of a chunk of rows at a time
        slow = {i - at for i in restore if at <= i < at + JSON_CHUNK}
        texts = [_encoded(values[at:at + JSON_CHUNK], slow) for values in lists]
        lines = [row % cells for cells in zip(*texts)]
        for i in slow:
            record = dict(zip(columns, (values[at + i] for values in lists)))
            if at + i in restore and raw_params is not None:
                for key, value in raw_params(str(run_ids[at + i])).items():
                    if isinstance(value, (list, dict)) and f"params.{key}" in record:
                        record[f"params.{key}"] = value
            lines[i] = _row_text(record) + "\n"
        out.write("".join(lines))


JSON_CHUNK = 2_000
"""Rows encoded at a time by `write_json_lines`: their texts are held, not the whole listing's."""


def json_text_params(table: pd.DataFrame, columns: Sequence[str]) -> set[int]:
    """The rows with a param cell of text that starts like a JSON list or object (a list or dict
    logged as a param, which the listing holds as its JSON text)."""
    rows: set[int] = set()
    for name in columns:
        col = table[name]
        if name.startswith("params.") and (col.dtype == object or pd.api.types.is_string_dtype(col.dtype)):
            try:  # `.str` gives NaN for the cells that are not text
                starts = col.str[:1].isin(("[", "{")).to_numpy()
            except AttributeError:  # no text at all in this column
                continue
            rows.update(np.flatnonzero(starts).tolist())
    return rows


def _row_text(record: dict[str, Any]) -> str:
    """One row as `json.dumps` writes it; infinities (and NaN inside a list) as null, as JSON has neither."""
    try:
        return json.dumps(record, default=str, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(record), default=str)


def _float_text(value: float) -> str:
    return float.__repr__(value) if math.isfinite(value) else "null"


_encode_text: Callable[[str], str] = json.encoder.encode_basestring_ascii  # the C one where there is one
_ENCODERS: dict[type, Callable[[Any], str]] = {
    str: _encode_text, float: _float_text, int: int.__repr__, bool: lambda v: "true" if v else "false",
    type(None): lambda v: "null"}
"""The JSON text of a value of exactly these types, as `json.dumps` writes it (ensure_ascii, NaN as null)."""


def _encoded(values: list[Any], slow: set[int]) -> list[str]:
    """The JSON text of each value; a value of another type gives "" and its row joins `slow`."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        return list(map(_encode_text, values))
    if kinds <= {float, type(None)}:  # a metric, a time: NaN, infinities and None are all null
        texts = list(map(float.__repr__, values if kinds == {float} else
                         [math.nan if v is None else v for v in values]))
        if "n" in "".join(texts):  # `nan`, `inf`, `-inf`: a finite float's text has no n
            texts = ["null" if t[-1] in "nf" else t for t in texts]
        return texts
    if kinds <= _ENCODERS.keys():
        encoders = _ENCODERS
        return [encoders[type(v)](v) for v in values]
    texts = []
    for i, value in enumerate(values):
        encode = _ENCODERS.get(type(value))
        if encode is None:
            slow.add(i)
            texts.append("")
        else:
            texts.append(encode(value))
    return texts


def _json_list(col: pd.Series) -> list[Any]:
    """A column as Python values, NaN and other missing values as None."""
    values = col.to_numpy(dtype=object) if col.dtype.kind not in "biuf" else col.to_numpy()
    missing = np.flatnonzero(pd.isna(values)) if col.dtype.kind not in "biu" else ()
    result = values.tolist()
    for i in missing:
        result[i] = None
    return result


def _finite(value: Any) -> Any:
    """`value` with every NaN and infinity (in lists and dicts too) as None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    return json_value(value)


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
        return view.cell_text(key, value)
    return format_value(value)  # missing is "", text made printable
