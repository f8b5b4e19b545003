"""The columnar listing of our store: one array per field, kept between processes as numpy files
(their saving, loading and checks are in column_file.py), and its records by run id (`TableRecords`).

At 100,000 runs a listing of Python dicts is ~10M objects (a second to decode, ~1 GB);
here a run is one row of typed arrays (floats, ints, and strings as codes into one
vocabulary per column), so loading costs in proportion to bytes, and the runs frame is
built column by column without touching a record. Records (`RunRecord` dicts) are made
only for the few runs a caller asks about.

Why numpy and not Arrow/Feather: measured on this machine (tests/perf/bench_scale.py), reading
the same 100,000-run table is about as fast either way once pandas is imported, but pyarrow
is a 40 MB dependency that costs ~0.2 s to import, and installing it switches pandas 3's
string columns to Arrow storage for the whole app. Param columns mix ints, floats, strings and
bools in one column (ints must stay ints), which numpy's kind+value arrays hold directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any, cast

from store.base import RunRecord
from store.frame import EXTRA_COLUMNS, assemble_runs_frame, runs_columns
from store.ours.column_values import NONE, STR, ValueColumn

if TYPE_CHECKING:
    import pandas as pd


STRING_FIELDS = ("run_id", "experiment", "name", "status", "reason", "host", "user", "parent", "nonfinite")
FLOAT_FIELDS = ("created", "ended", "heartbeat", "last_logged", "log_interval")
INT_FIELDS = ("pid", "pid_start")
INDEX_STATS = ("last", "min", "max")
"""What the index keeps of each metric's summary: the figures a listing shows (the rest is in summary.json)."""
PRESENT = "present"
"""Beside INDEX_STATS, a bool array: the run has the metric (its figures may all be NaN)."""
STAT_ARRAYS = (*INDEX_STATS, PRESENT)


class ColumnTable:
    """Runs as rows: their folder (`units`), signature, when read, and every record field as a column.

    Columns are named `run_id`, ..., `params.<key>`, `tags.<key>`, and `metrics.<key>` (then
    `stats[<key>]` holds float arrays of `INDEX_STATS`).
    """

    def __init__(
        self,
        units: list[str],
        sig: Any,
        read_at: Any,
        values: dict[str, ValueColumn],
        floats: dict[str, Any],
        stats: dict[str, dict[str, Any]],
    ) -> None:
        self.units, self.sig, self.read_at = units, sig, read_at
        self.values, self.floats, self.stats = values, floats, stats
        self.meta: dict[str, Any] = {}
        """Small JSON-able state a cache keeps beside its rows (saved in the head; not kept by `take`/`append`)."""

    def __len__(self) -> int:
        return len(self.units)

    @classmethod
    def empty(cls, width: int) -> ColumnTable:
        import numpy as np

        return cls([], np.zeros((0, width), dtype=np.int64), np.zeros(0), {}, {}, {})

    @classmethod
    def from_records(
        cls, units: list[str], sigs: Sequence[Sequence[int]], read_at: float, records: Sequence[Any], width: int
    ) -> ColumnTable:
        """The table of `records`: `RunRecord` dicts, or all msgspec structs of them (a first listing's journal
        rows, `journal._take_rows`), read by attribute."""
        import numpy as np

        n = len(records)
        sig = np.array(sigs, dtype=np.int64).reshape(n, width)
        # One pass over the records, each record's dicts walked once while they are in the CPU's cache:
        # at 100,000 records a pass a field (`[rec.get(f) for rec in records]`, 40 of them, or a C loop
        # a field: `itemgetter`, `zip`) waited on memory for most of a first listing's second.
        structs = bool(records) and not isinstance(records[0], dict)
        base: dict[str, list[Any]] = {f: [] for f in (*STRING_FIELDS, *INT_FIELDS, *FLOAT_FIELDS)}
        taking = [column.append for column in base.values()]
        fields = attrgetter(*base) if structs else None
        groups: dict[str, dict[str, list[Any]]] = {g: {} for g in GROUPS}
        found: dict[str, tuple[list[int], list[Any], list[Any], list[Any]]] = {}
        for row, rec in enumerate(records):
            if fields is not None:
                for take, value in zip(taking, fields(rec)):
                    take(value)
                in_groups = (rec.params, rec.tags, rec.inputs)
                metrics = rec.metrics.items()
            else:
                get: Any = rec.get
                for take, f in zip(taking, base):
                    take(get(f))
                in_groups = (get("params"), get("tags"), get("inputs"))
                metrics = (get("metrics") or {}).items()
            for columns, cells in zip(groups.values(), in_groups):
                for key, value in (cells or {}).items():
                    column = columns.get(key)
                    if column is None:
                        column = columns[key] = [None] * n
                    column[row] = value
            for key, summary in metrics:
                got = found.get(key)
                if got is None:
                    got = found[key] = ([], [], [], [])
                got[0].append(row)
                if fields is not None:
                    got[1].append(summary.last)
                    got[2].append(summary.min)
                    got[3].append(summary.max)
                else:
                    got[1].append(summary.get("last"))
                    got[2].append(summary.get("min"))
                    got[3].append(summary.get("max"))
        values = {f: ValueColumn.from_values(base[f]) for f in (*STRING_FIELDS, *INT_FIELDS)}
        floats = {f: np.array(base[f], dtype=float) for f in FLOAT_FIELDS}  # None is NaN
        for group, columns in groups.items():
            values.update((f"{group}.{key}", ValueColumn.from_values(column)) for key, column in columns.items())
        stats: dict[str, dict[str, Any]] = {}
        for key, (rows, *figures) in found.items():
            at = np.array(rows, dtype=np.int64)
            arrays = stats[key] = {PRESENT: np.zeros(n, dtype=bool)}
            arrays[PRESENT][at] = True
            for s, got_figures in zip(INDEX_STATS, figures):
                arrays[s] = np.full(n, np.nan)
                arrays[s][at] = _figures(got_figures)
        table = cls(list(units), sig, np.full(n, read_at), values, floats, stats)
        table.drop_empty_columns()  # a key logged only as None is no column, as in an updated index
        return table

    def record(self, row: int) -> RunRecord:
        """The listing record of one row, as the folder's reader made it (metrics: INDEX_STATS only)."""
        import math

        rec: dict[str, Any] = {f: self.values[f].value(row) for f in (*STRING_FIELDS, *INT_FIELDS)}
        rec.update((f, None if math.isnan(v := float(self.floats[f][row])) else v) for f in FLOAT_FIELDS)
        params: dict[str, Any] = {}
        tags: dict[str, Any] = {}
        inputs: dict[str, Any] = {}
        for name, col in self.values.items():
            if col.kind[row] == NONE:
                continue
            if name.startswith("params."):
                params[name[7:]] = col.value(row)
            elif name.startswith("tags."):
                tags[name[5:]] = col.value(row)
            elif name.startswith("inputs."):
                inputs[name[7:]] = col.value(row)
        metrics: dict[str, dict[str, Any]] = {}
        for key, arrays in self.stats.items():
            if arrays[PRESENT][row]:
                metrics[key] = {s: float(arrays[s][row]) for s in INDEX_STATS}
        rec.update(params=params, tags=tags, metrics=metrics, inputs=inputs)
        return rec  # type: ignore[return-value]

    def take(self, rows: Any) -> ColumnTable:
        """These rows (an int64 array), without the key columns none of them holds: a table never has one
        (`drop_empty_columns`), so that a listing's columns do not depend on which rows it was made from."""
        table = ColumnTable(
            [self.units[r] for r in rows.tolist()],
            self.sig[rows],
            self.read_at[rows],
            {k: c.take(rows) for k, c in self.values.items()},
            {k: a[rows] for k, a in self.floats.items()},
            {k: {s: a[rows] for s, a in d.items()} for k, d in self.stats.items()},
        )
        table.drop_empty_columns()
        return table

    def newest_first(self) -> ColumnTable:
        """The rows by `created`, newest first (unknown last), as the runs frame shows them.

        Kept in this order so that making the frame needs no reordering of its object columns
        (pandas' take of 40 object columns costs half a second at 100,000 runs; numpy's of these
        typed arrays, a few milliseconds).
        """
        order = _newest_order(self.floats["created"]) if len(self) else None
        return self if order is None else self.take(order)

    def append(self, other: ColumnTable) -> ColumnTable:
        """This table's rows, then `other`'s, over the union of their columns."""
        return ColumnTable.concat([self, other])

    @staticmethod
    def concat(
        tables: Sequence[ColumnTable],
        newest_first: bool = False,
        consume: bool = False,
        rows: Sequence[Any] | None = None,
    ) -> ColumnTable:
        """The rows of each table after another, over the union of their columns (at once: appending
        one at a time would copy the rows, and walk the vocabularies, once per table).

        With `newest_first`, the rows in `newest_first`'s order, each column put in that order as it is
        made: memory holds the rows twice (the tables and the result), not three times as a concat
        and then a take would (a first listing's 100,000 runs: 30 MB less at its peak). With `consume`
        (tables nothing reads again), each column of the tables is let go as soon as the result's is
        made, so memory holds the rows about once (two children's halves of 100,000 runs: +49 -> +28 MB).
        `rows` (one an int64 array, or None for all, per table) takes only those rows of each, a column at
        a time: a take of a table first held a copy of all its columns at once (a journal child's half
        of 100,000 runs with a few edited runs not folded: +40 MB at a first open's peak)."""
        import numpy as np

        picks = list(rows) if rows is not None else [None] * len(tables)
        chosen = [(t, r) for t, r in zip(tables, picks) if (len(t) if r is None else len(r))]
        chosen = chosen or list(zip(tables, picks))[:1]
        tables = [t for t, _ in chosen]
        picks = [r for _, r in chosen]
        if len(tables) == 1 and picks[0] is None:
            return tables[0].newest_first() if newest_first else tables[0]

        def picked(array: Any, pick: Any) -> Any:
            return array if pick is None else array[pick]

        created = np.concatenate([picked(t.floats["created"], r) for t, r in zip(tables, picks)])
        order = _newest_order(created) if newest_first else None

        def arranged(array: Any) -> Any:
            return array if order is None else array[order]

        lengths = [len(t) if r is None else len(r) for t, r in zip(tables, picks)]
        names = dict.fromkeys(k for t in tables for k in t.values)
        values = {}
        for k in names:
            got = [t.values.get(k) for t in tables]
            column = ValueColumn.concat(
                [c if c is None or r is None else c.take(r) for c, r in zip(got, picks)], lengths
            )
            values[k] = column if order is None else column.take(order)
            if consume:
                for t in tables:
                    t.values.pop(k, None)
        floats = {
            k: arranged(np.concatenate([picked(t.floats[k], r) for t, r in zip(tables, picks)])) for k in FLOAT_FIELDS
        }
        stats: dict[str, dict[str, Any]] = {}
        for key in dict.fromkeys(k for t in tables for k in t.stats):
            parts = [(t.stats.get(key), n, r) for t, n, r in zip(tables, lengths, picks)]
            stats[key] = {
                s: arranged(np.concatenate([picked(got[s], r) if got else absent_stat(s, n) for got, n, r in parts]))
                for s in STAT_ARRAYS
            }
            if consume:
                del parts
                for t in tables:
                    t.stats.pop(key, None)
        units = [u for t, r in zip(tables, picks) for u in (t.units if r is None else [t.units[i] for i in r.tolist()])]
        table = ColumnTable(
            units if order is None else [units[row] for row in order.tolist()],
            arranged(np.concatenate([picked(t.sig, r) for t, r in zip(tables, picks)])),
            arranged(np.concatenate([picked(t.read_at, r) for t, r in zip(tables, picks)])),
            values,
            floats,
            stats,
        )
        if any(r is not None for r in picks):
            table.drop_empty_columns()  # as `take` does
        return table

    def drop_empty_columns(self) -> None:
        """Forget params/tags/metrics no row holds (their runs were removed, or they were logged only as None)."""
        for name in [
            k for k, c in self.values.items() if k.startswith(("params.", "tags.", "inputs.")) and not c.kind.any()
        ]:
            del self.values[name]
        for key in [k for k, d in self.stats.items() if not d[PRESENT].any()]:
            del self.stats[key]


def _newest_order(created: Any) -> Any:
    """The order of rows created at `created`, newest first (unknown last); None when they are in it already."""
    import numpy as np

    order = np.argsort(-np.nan_to_num(created, nan=-np.inf), kind="stable")
    return None if (order == np.arange(len(order))).all() else order


def _figures(values: list[Any]) -> Any:
    """`_figure` of each value, as a float array (all floats, the usual case: in one numpy call)."""
    import numpy as np

    if _FLOAT.issuperset(map(type, values)):
        return np.array(values, dtype=float)
    return np.array([_figure(v) for v in values], dtype=float)


_FLOAT = frozenset({float})


GROUPS = ("params", "tags", "inputs")
"""The record fields that are dicts of cells, each key a column `<group>.<key>`."""


def _figure(value: Any) -> float:
    """A metric's figure from a summary as a float: NaN for anything but a number a float can hold."""
    if type(value) is float:
        return value
    return float(value) if type(value) is int and abs(value) < 2**1023 else math.nan


def absent_stat(stat: str, n: int) -> Any:
    """A metric's `stat` array for `n` rows that do not have the metric (NaN figures, not present)."""
    import numpy as np

    return np.zeros(n, dtype=bool) if stat == PRESENT else np.full(n, np.nan)


def table_log_facts(table: ColumnTable) -> dict[str, tuple[float, float, str]]:
    """`RunStore.log_facts` of a table: only its rows that say `running` or hold NaN or ±inf."""
    import numpy as np

    if not len(table):
        return {}
    values, floats = table.values, table.floats
    nonfinite = values["nonfinite"].objects()
    rows = np.flatnonzero((values["status"].objects() == "running") | (nonfinite != None))  # noqa: E711
    run_ids = values["run_id"]
    return {
        run_ids.value(row): (
            float(floats["last_logged"][row]),
            float(floats["log_interval"][row]),
            nonfinite[row] or "",
        )
        for row in rows.tolist()
    }


def table_frame(table: ColumnTable, statuses: Mapping[str, str], stat: str) -> pd.DataFrame:
    """The runs frame of a table, the same frame `build_runs_frame` makes of its records.

    `statuses` are the inferred statuses of runs that say `running` (see `RunStore.status_of`).
    """
    return assemble_runs_frame(*_frame_parts(table, statuses, stat))


def table_columns(table: ColumnTable, statuses: Mapping[str, str], stat: str) -> dict[str, Any]:
    """`table_frame`'s columns in its order, each a list or a 1-D numpy array of its rows, newest first,
    without pandas (`RunStore.runs_columns`)."""
    import numpy as np

    columns, order = runs_columns(*_frame_parts(table, statuses, stat))
    if order is not None and not (order == np.arange(len(order))).all():  # a table is kept newest first
        columns = {
            name: np.asarray(col, dtype=None if isinstance(col, np.ndarray) else object)[order]
            for name, col in columns.items()
        }
    return columns


def _frame_parts(table: ColumnTable, statuses: Mapping[str, str], stat: str) -> tuple[Any, ...]:
    """The arguments of `assemble_runs_frame` (and `runs_columns`) for a table."""
    import numpy as np

    values = table.values
    status = values["status"].objects()
    if statuses:
        run_ids = values["run_id"]
        for row in np.flatnonzero(status == "running").tolist():
            status[row] = statuses.get(run_ids.value(row)) or status[row]
    base = {f: values[f].objects().tolist() for f in ("run_id", "experiment", "name", *EXTRA_COLUMNS)}
    base["status"] = status.tolist()
    params = {name[7:]: col.objects() for name, col in values.items() if name.startswith("params.")}
    tags = {name[5:]: col.objects().tolist() for name, col in values.items() if name.startswith("tags.")}
    inputs = {name[7:]: col.objects() for name, col in values.items() if name.startswith("inputs.")}
    metrics = {key: arrays[stat] for key, arrays in table.stats.items()}  # NaN where a run lacks it
    parent = values["parent"]
    parents = parent.objects() if (parent.kind == STR).any() else None
    floats = table.floats
    return base, floats["created"], floats["ended"], floats["heartbeat"], params, metrics, tags, parents, None, inputs


class TableRecords(Mapping[str, RunRecord]):
    """The listed runs by id over a column table: a record is made only when one is asked for."""

    def __init__(self, table: Any) -> None:
        self._table = table
        self._rows: dict[str, int] = (
            {rid: row for row, rid in enumerate(table.values["run_id"].objects().tolist())} if len(table) else {}
        )

    def __getitem__(self, run_id: str) -> RunRecord:
        return cast(RunRecord, self._table.record(self._rows[run_id]))

    def __contains__(self, run_id: object) -> bool:
        return run_id in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)
