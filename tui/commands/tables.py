"""The runs table for `tracktui ls`: as a Rich table for a terminal, as tab-separated lines for
pipes, as CSV; the app draws its own, lazily.

`ls` prints every row, so it must only ever handle the columns it prints: `shown_columns`
picks them in one pass over the frame (a run with 10,000 params is 10,000 columns), and the
table is capped at `TABLE_MAX_COLUMNS` data columns, metrics first, with a line naming the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

import pandas as pd
from rich.table import Table
from rich.text import Text

from ..shaping.columns import column_kind, data_columns, distinct_count, varying
from ..shaping.formatting import format_exact, format_timestamp, is_missing
from ..shaping.runs_view import RunsView
from ..shaping.sanitize import FORMULA_STARTS, csv_cell, printable
from ..shaping.status import status_look

TABLE_MAX_COLUMNS = 40
"""Params, metrics and tags shown in the `ls` table at most; more is not a table one can read."""

SHORT_FRAME = 2000
"""Up to this many runs, `shown_columns` works on plain lists; above, with pandas."""

_KIND_PRIORITY = {"metric": 0, "param": 1, "tag": 2}


def runs_rich_table(view: RunsView, title: Text | None = None) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold", box=None, pad_edge=False)
    for col in view.columns:
        table.add_column(
            Text(col.label),
            justify="right" if col.numeric else "left",
            no_wrap=True,
            min_width=col.width,
            overflow="ellipsis",
        )
    for row in range(view.row_count):
        status = view.status_at(row)
        cells = [
            Text(text, style=status_look(status).console_style if col.key == "status" else "")
            for col, text in zip(view.columns, view.cells(row))
        ]
        table.add_row(*cells)
    return table


def shown_columns(frame: pd.DataFrame) -> list[str]:
    """The columns the runs table shows by default (what `runs_view.varying` keeps: a param,
    metric or the experiment goes when it is empty everywhere or the same in every run that has
    it, if two or more do), in the table's order. A short frame (a few runs, maybe with
    10,000 params) is checked on plain lists: a pandas call per column would take seconds.
    A tall one (100,000 runs, tens of columns) is what pandas does best."""
    skipped = ("run_id", "ended", "host", "user", "reason")
    keys = [k for k in data_columns(frame) if k in frame.columns and k not in skipped]
    if not len(frame):
        return keys
    if len(frame) > SHORT_FRAME:
        return varying(frame, keys)
    kept = []
    data = frame[keys].to_numpy(dtype=object)
    for j, key in enumerate(keys):
        kind = column_kind(key)
        if kind == "base" and key != "experiment":
            kept.append(key)
            continue
        values = [v for v in data[:, j] if not is_missing(v)]
        if not values:
            continue
        if kind != "tag" and len(values) >= 2 and distinct_count(values) <= 1:
            continue
        kept.append(key)
    return kept


def cap_columns(keys: Sequence[str], limit: int = TABLE_MAX_COLUMNS) -> tuple[list[str], list[str]]:
    """At most `limit` params/metrics/tags of `keys`, metrics first, then params, then tags
    (each in their order); returns (kept in the original order, left out)."""
    data = [k for k in keys if column_kind(k) != "base"]
    if len(data) <= limit:
        return list(keys), []
    ranked = sorted(range(len(data)), key=lambda i: (_KIND_PRIORITY[column_kind(data[i])], i))
    chosen = {data[i] for i in ranked[:limit]}
    return [k for k in keys if column_kind(k) == "base" or k in chosen], [k for k in data if k not in chosen]


def write_tsv(frame: pd.DataFrame, keys: Sequence[str], out: IO[str]) -> None:
    """Tab-separated lines: a header of column keys (`params.lr`, `metrics.mse`, as in `--csv`),
    then one line per run, every value whole. Status is its word, times are local
    `YYYY-MM-DD HH:MM:SS`, durations seconds. Tabs, newlines and every other control character
    in a value show as visible symbols (`printable`), so a line is always one run and a field
    never holds a tab."""
    out.write("\t".join(printable(k) for k in keys) + "\n")
    cells = [_tsv_column(key, frame[key]) for key in keys]
    for start in range(0, len(frame), 10_000):  # a line at a time would be a Python call per cell
        out.write("".join("\t".join(row) + "\n" for row in zip(*(c[start : start + 10_000] for c in cells))))


def _tsv_column(key: str, column: pd.Series) -> list[str]:
    """One column's cells as `write_tsv` writes them, without a Python call per cell where it can.

    At 100,000 runs x 37 columns a call per cell was most of `tracktui ls`: floats (metrics,
    float params) are `repr`'d in C, times are formatted as arrays, and other values (text and
    ints that repeat across a sweep) are formatted once per distinct value.
    """
    import numpy as np

    values = column.to_numpy(dtype=object) if column.dtype.kind not in "fiu" else column.to_numpy()
    if key in ("created", "ended"):
        return _tsv_times(values.astype(float))
    if values.dtype.kind in "iu":
        return list(map(str, values.tolist()))
    if values.dtype.kind == "f":
        return _tsv_floats(values)
    cells = values.tolist()
    out = [""] * len(cells)
    floats = [i for i, v in enumerate(cells) if type(v) is float]
    if floats:
        for i, text in zip(floats, _tsv_floats(np.array([cells[i] for i in floats], dtype=float))):
            out[i] = text
    made: dict[tuple[type, Any], str] = {}
    for i, value in enumerate(cells):
        if value is None or type(value) is float or is_missing(value):
            continue
        memo = (type(value), value)
        known = made.get(memo)
        out[i] = known if known is not None else made.setdefault(memo, printable(plain_value(value)))
    return out


def _tsv_floats(values: Any) -> list[str]:
    """`format_exact` of every float of an array, blank for NaN (done on the array: `ls` at 100,000 runs)."""
    import numpy as np

    texts: list[str] = list(map(repr, values.tolist()))
    with np.errstate(invalid="ignore"):
        whole = np.flatnonzero((values == np.floor(values)) & (np.abs(values) < 1e16))
    for i in whole.tolist():
        texts[i] = str(int(values[i]))
    for i in np.flatnonzero(np.isnan(values)).tolist():
        texts[i] = ""
    return texts


def _tsv_times(values: Any) -> list[str]:
    """`format_timestamp` of every time of an array (local, to the second), blank for NaN.

    As arrays: the local offset is looked up once per distinct quarter hour (every zone's offset
    changes on one: DST in Newfoundland starts at 05:30 UTC), and numpy writes the text. Times
    outside 1970–2286 take the one-at-a-time path.
    """
    import time as _time

    import numpy as np

    out = [""] * len(values)
    with np.errstate(invalid="ignore"):
        usual = np.flatnonzero((values >= 0) & (values < 1e10))
    odd = np.flatnonzero(~np.isnan(values) & ~np.isin(np.arange(len(values)), usual))
    if len(usual):
        secs = np.floor(values[usual]).astype(np.int64)
        quarters, where = np.unique(secs // 900, return_inverse=True)
        offsets = np.array([_time.localtime(int(q) * 900).tm_gmtoff for q in quarters.tolist()], dtype=np.int64)
        local = (secs + offsets[where]).astype("datetime64[s]")
        texts = np.char.replace(np.datetime_as_string(local, unit="s"), "T", " ").tolist()
        for i, text in zip(usual.tolist(), texts):
            out[i] = text
    for i in odd.tolist():
        out[i] = format_timestamp(float(values[i]))
    return out


def plain_value(value: Any) -> str:
    """A cell of `tracktui ls`'s TSV: numbers by `format_exact` (every digit), anything else as
    `str` gives it. Not `format_value(exact=True)`: that writes lists and dicts as JSON, where the
    TSV writes them as Python does."""
    return format_exact(value) if isinstance(value, (bool, int, float)) else str(value)


def write_csv(frame: pd.DataFrame, out: IO[str]) -> None:
    """The whole frame as CSV (as pandas writes it), every text cell and header made safe by
    `printable` (no escape code, C1 control or bidi override from the store reaches the
    terminal or the file) and `csv_cell` (no cell runs as a spreadsheet formula)."""
    data = frame.to_numpy(dtype=object)
    unsafe = sorted({j for row in data for j, v in enumerate(row) if isinstance(v, str) and _unsafe(v)})
    safe = frame.copy(deep=False) if unsafe else frame
    for j in unsafe:
        safe.isetitem(j, [csv_cell(printable(v)) if isinstance(v, str) else v for v in data[:, j]])
    if any(_unsafe(str(c)) for c in frame.columns):
        safe = safe.set_axis([csv_cell(printable(str(c))) for c in frame.columns], axis=1)
    safe.to_csv(out, index=False)


def _unsafe(text: str) -> bool:
    return not text.isprintable() or text.startswith(FORMULA_STARTS)
