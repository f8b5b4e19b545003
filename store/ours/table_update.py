"""Bringing the column listing in line with a scan of the store: which runs to trust, re-read, or drop.

The signatures of every run are compared as arrays (see `update_table`); a record read again is
compared with the row it replaces as the index would give it back (`_as_indexed`), so that a
listing reports as changed only runs that are.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from itertools import repeat
from typing import Any, cast

from store.base import RunRecord
from store.ours.column_index import FLOAT_FIELDS, INDEX_STATS, INT_FIELDS, STRING_FIELDS, ColumnTable


def vector_sig_time(sig: Any) -> Any:
    """When each row's files last changed (seconds): the latest mtime of `[size, mtime_ns, ctime_ns]` triples."""
    return sig[:, 1::3].max(axis=1) / 1e9 if sig.shape[1] else sig[:, :0].sum(axis=1)


UpdateResult = tuple[ColumnTable, set[str], set[str], set[str]]


def rows_of(table: ColumnTable, units: Sequence[str]) -> Any:
    """The table row of each of `units` (-1 for a unit it does not hold), an int64 array."""
    import numpy as np

    row_of = dict(zip(table.units, range(len(table))))
    return np.fromiter(map(row_of.get, units, repeat(-1)), dtype=np.int64, count=len(units))


def update_table(
    table: ColumnTable,
    units: list[str],
    sig: Any,
    read: Callable[[str], RunRecord],
    now: float,
    racy: float,
    rows: Any = None,
    matched: Any = None,
) -> UpdateResult:
    """Bring `table` in line with a scan (`units` and their signatures, one row of `sig` each): the new
    table (newest run first), the run ids added/changed/removed, and the units re-read and gone (for the journal).

    Signatures are compared as one array: at 100,000 runs a Python comparison per run would
    cost more than the rest of the listing. `read` may fill in its unit's row of `sig` (a first
    listing takes the files' numbers from the read itself); the rows are taken after the reads.
    `rows` is `rows_of(table, units)` when the scan has it already (a quick scan matched folders to rows), and
    `matched` says which of them it took unchanged from the table: only their read time is checked.
    """
    import numpy as np

    rows = rows_of(table, units) if rows is None else rows
    known = rows >= 0
    keep = np.zeros(len(table), dtype=bool)
    keep[rows[known]] = True
    gone_rows = np.flatnonzero(~keep).tolist()
    gone = {table.units[r] for r in gone_rows}
    changed = {table.values["run_id"].value(r) for r in gone_rows}
    trusted = np.zeros(len(units), dtype=bool)
    if known.any() and sig.shape[1] == table.sig.shape[1]:
        old = rows[known]
        now_sig = sig if known.all() else sig[known]  # all known, the usual refresh: not copied (12 MB a 100,000)
        same = table.read_at[old] - vector_sig_time(now_sig) > racy
        check = np.flatnonzero(~matched[known]) if matched is not None else slice(None)
        for j in range(sig.shape[1]):  # a number at a time: the rows' whole signatures gathered were 12 MB a 100,000
            same[check] &= table.sig[old[check], j] == now_sig[check, j]
        trusted[known] = same
    stale_at = np.flatnonzero(~trusted)
    if not len(stale_at) and not gone:
        return table, changed, set(), gone
    stale = [units[k] for k in stale_at.tolist()]
    records = [read(unit) for unit in stale]
    for row, rec in zip(rows[stale_at].tolist(), records):
        if row < 0 or _same_text(table.record(row)) != _same_text(_as_indexed(rec)):
            changed.add(rec["run_id"])
        if row >= 0:
            keep[row] = False
    fresh = ColumnTable.from_records(stale, sig[stale_at], now, records, sig.shape[1])
    result = (table.take(np.flatnonzero(keep)) if not keep.all() else table).append(fresh)
    return result.newest_first(), changed, set(stale), gone


def _same_text(rec: Any) -> str:
    """A record as text for comparing (NaN equals NaN here, unlike in a dict comparison)."""
    return json.dumps(rec, sort_keys=True, default=str)


def _as_indexed(rec: RunRecord) -> dict[str, Any]:
    """A record as the index gives it back: the fields it keeps, metrics as floats of INDEX_STATS."""
    out: dict[str, Any] = {f: rec.get(f) for f in (*STRING_FIELDS, *INT_FIELDS, *FLOAT_FIELDS)}
    for f in FLOAT_FIELDS:
        if out[f] is not None:
            out[f] = float(out[f])
    for group in ("params", "tags", "inputs"):  # a value of None is no cell (`ColumnTable.record`)
        cells: dict[str, Any] = cast(dict[str, Any], rec.get(group)) or {}
        out[group] = {k: v for k, v in cells.items() if v is not None}
    out["metrics"] = {
        k: {s: float(v) if isinstance(v := m.get(s), (int, float)) else float("nan") for s in INDEX_STATS}
        for k, m in (rec.get("metrics") or {}).items()
    }
    return out
