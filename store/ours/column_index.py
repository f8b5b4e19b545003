"""The columnar listing of our store: one array per field, kept between processes as numpy files.

At 100,000 runs a listing of Python dicts is ~10M objects (a second to decode, ~1 GB);
here a run is one row of typed arrays (floats, ints, and strings as codes into one
vocabulary per column), so loading costs in proportion to bytes, and the runs frame is
built column by column without touching a record. Records (`RunRecord` dicts) are made
only for the few runs a caller asks about.

On disk (`.tracktui-index.npz`, an uncompressed `np.savez` of a few 2-D blocks, read with `allow_pickle=False`):
a base file holding every run, and a small journal (`.tracktui-index.journal.npz`) of the
runs changed or removed since, so a live store appends to the journal and rewrites the base
only when the journal has grown to an eighth of it. Both are written to a temporary and
renamed, and neither is trusted: every array's shape, dtype and codes are checked on load,
and anything wrong discards that file (its runs are then read from their folders again).
Deleting either never changes an answer.

Why numpy and not Arrow/Feather: measured on this machine (tests/perf/bench_scale.py), reading
the same 100,000-run table is about as fast either way once pandas is imported, but pyarrow
is a 40 MB dependency that costs ~0.2 s to import, and installing it switches pandas 3's
string columns to Arrow storage for the whole app. Param columns mix ints, floats, strings and
bools in one column (ints must stay ints), which numpy's kind+value arrays hold directly.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from store import safe_read
from store.base import RunRecord
from store.frame import EXTRA_COLUMNS, assemble_runs_frame, runs_columns
from store.ours.column_values import BIG, BOOL, FLOAT, INT, NONE, STR, ValueColumn

if TYPE_CHECKING:
    import pandas as pd

COLUMN_INDEX_VERSION = 4
"""3: columns packed into a few 2-D arrays (`kinds`, `f`, `i`, `s`, `floats`, `stats`, `present`);
4: a run's `last_logged`, `log_interval` and `nonfinite` (`store.frame.log_facts`)."""

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
        cls, units: list[str], sigs: Sequence[Sequence[int]], read_at: float, records: Sequence[RunRecord], width: int
    ) -> ColumnTable:
        import numpy as np

        n = len(records)
        sig = np.array(sigs, dtype=np.int64).reshape(n, width)
        # One pass over the records, each record's dicts walked once while they are in the CPU's cache:
        # at 100,000 records a pass a field (`[rec.get(f) for rec in records]`, 40 of them) waited on
        # memory for most of a first listing's second.
        base: dict[str, list[Any]] = {f: [] for f in (*STRING_FIELDS, *INT_FIELDS, *FLOAT_FIELDS)}
        taking = [(f, column.append) for f, column in base.items()]
        groups: dict[str, dict[str, list[Any]]] = {"params": {}, "tags": {}, "inputs": {}}
        taking_groups = list(groups.items())
        found: dict[str, tuple[list[int], list[Any], list[Any], list[Any]]] = {}
        for row, rec in enumerate(records):
            get: Any = rec.get
            for f, take in taking:
                take(get(f))
            for group, columns in taking_groups:
                for key, value in (get(group) or {}).items():
                    column = columns.get(key)
                    if column is None:
                        column = columns[key] = [None] * n
                    column[row] = value
            for key, summary in (get("metrics") or {}).items():
                got = found.get(key)
                if got is None:
                    got = found[key] = ([], [], [], [])
                got[0].append(row)
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
        return cls(list(units), sig, np.full(n, read_at), values, floats, stats)

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
        return ColumnTable(
            [self.units[r] for r in rows.tolist()],
            self.sig[rows],
            self.read_at[rows],
            {k: c.take(rows) for k, c in self.values.items()},
            {k: a[rows] for k, a in self.floats.items()},
            {k: {s: a[rows] for s, a in d.items()} for k, d in self.stats.items()},
        )

    def newest_first(self) -> ColumnTable:
        """The rows by `created`, newest first (unknown last), as the runs frame shows them.

        Kept in this order so that making the frame needs no reordering of its object columns
        (pandas' take of 40 object columns costs half a second at 100,000 runs; numpy's of these
        typed arrays, a few milliseconds).
        """
        import numpy as np

        created = self.floats["created"] if len(self) else np.zeros(0)
        order = np.argsort(-np.nan_to_num(created, nan=-np.inf), kind="stable")
        return self if (order == np.arange(len(order))).all() else self.take(order)

    def append(self, other: ColumnTable) -> ColumnTable:
        """This table's rows, then `other`'s, over the union of their columns."""
        return ColumnTable.concat([self, other])

    @staticmethod
    def concat(tables: Sequence[ColumnTable]) -> ColumnTable:
        """The rows of each table after another, over the union of their columns (at once: appending
        one at a time would copy the rows, and walk the vocabularies, once per table)."""
        import numpy as np

        tables = [t for t in tables if len(t)] or list(tables[:1])
        if len(tables) == 1:
            return tables[0]
        lengths = [len(t) for t in tables]
        names = dict.fromkeys(k for t in tables for k in t.values)
        values = {k: ValueColumn.concat([t.values.get(k) for t in tables], lengths) for k in names}
        floats = {k: np.concatenate([t.floats[k] for t in tables]) for k in FLOAT_FIELDS}
        stats: dict[str, dict[str, Any]] = {}
        for key in dict.fromkeys(k for t in tables for k in t.stats):
            parts = [(t.stats.get(key), n) for t, n in zip(tables, lengths)]
            stats[key] = {
                s: np.concatenate([got[s] if got else absent_stat(s, n) for got, n in parts]) for s in STAT_ARRAYS
            }
        return ColumnTable(
            [u for t in tables for u in t.units],
            np.concatenate([t.sig for t in tables]),
            np.concatenate([t.read_at for t in tables]),
            values,
            floats,
            stats,
        )

    def drop_empty_columns(self) -> None:
        """Forget params/tags/metrics no row holds any more (their runs were removed)."""
        for name in [
            k for k, c in self.values.items() if k.startswith(("params.", "tags.", "inputs.")) and not c.kind.any()
        ]:
            del self.values[name]
        for key in [k for k, d in self.stats.items() if not d[PRESENT].any()]:
            del self.stats[key]

    # -- files ----------------------------------------------------------------------------

    def save(self, path: str, kind: str, removed: Iterable[str] = (), mode: int = 0o666) -> None:
        """Write the table (and, for a journal, the units it removes) as one `.npz`, atomically; `mode`
        before the umask (0o600 for a copy of someone else's data)."""
        import numpy as np

        n = len(self)
        columns: list[dict[str, Any]] = []
        blocks: dict[str, list[Any]] = {"f": [], "i": [], "s": []}
        for name, col in self.values.items():
            spec: dict[str, Any] = {"name": name, "vocab": col.vocab}
            for part, block in blocks.items():
                array = getattr(col, part)
                spec[part] = None if array is None else len(block)
                if array is not None:
                    block.append(array)
            columns.append(spec)
        metrics = list(self.stats)
        # A few 2-D blocks, not an array a column: loading an npz member costs ~1 ms of zip and header work.
        arrays: dict[str, Any] = {
            "sig": self.sig,
            "read_at": self.read_at,
            "kinds": _stack([c.kind for c in self.values.values()], np.int8, n),
            "f": _stack(blocks["f"], np.float64, n),
            "i": _stack(blocks["i"], np.int64, n),
            "s": _stack(blocks["s"], np.int32, n),
            "floats": _stack([self.floats.get(f, np.full(n, np.nan)) for f in FLOAT_FIELDS], np.float64, n),
            "stats": _stack([self.stats[k][s] for k in metrics for s in INDEX_STATS], np.float64, n),
            "present": _stack([self.stats[k][PRESENT] for k in metrics], bool, n),
        }
        head = {
            "version": COLUMN_INDEX_VERSION,
            "kind": kind,
            "units": self.units,
            "values": columns,
            "metrics": metrics,
            "removed": sorted(removed),
            "meta": self.meta,
        }
        arrays["head"] = np.frombuffer(json.dumps(head, separators=(",", ":")).encode(), dtype=np.uint8)
        tmp = f"{os.path.dirname(path)}/.{os.path.basename(path)}.{os.getpid()}.tmp"
        try:
            with open(tmp, "wb", opener=lambda name, flags: os.open(name, flags, mode)) as fh:
                if mode != 0o666:
                    os.fchmod(fh.fileno(), mode)  # a temporary a killed save left keeps its own mode
                np.savez(fh, **arrays)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    @classmethod
    def load(cls, path: str, kind: str, width: int) -> tuple[ColumnTable, list[str]] | None:
        """The table in `path` and the units it removes; None when missing, of another version, or not sound.

        The file is a cache anyone could have replaced, so it is read within bounds before anything is
        decoded: members stored, not compressed (`np.savez` never compresses, and a 2 MB compressed
        member can expand to gigabytes), and each no larger than the run count it claims allows
        (see `_read_arrays`). Anything else is refused, and the caller rebuilds the index.
        """
        try:
            with os.fdopen(safe_read.open_regular(path), "rb") as fh, zipfile.ZipFile(fh) as zf:
                head, arrays = _read_arrays(zf, width)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError, MemoryError):
            return None  # UnsafeFileError is an OSError; a deeply nested head is a ValueError
        try:
            if head.get("version") != COLUMN_INDEX_VERSION or head.get("kind") != kind:
                return None
            table = cls._checked(arrays, head, width)
            meta = head.get("meta")
            table.meta = meta if isinstance(meta, dict) else {}
            return table, head["removed"]
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            return None

    @classmethod
    def _checked(cls, arrays: dict[str, Any], head: dict[str, Any], width: int) -> ColumnTable:
        """The table the arrays hold; ValueError when anything is not as `save` wrote it."""
        import numpy as np

        units = head["units"]
        n = len(units)
        if not all(type(u) is str for u in units) or len(set(units)) != n:
            raise ValueError("units")
        if not all(type(u) is str for u in head["removed"]):
            raise ValueError("removed")

        def array(name: str, dtype: Any, shape: tuple[int, ...] = (n,)) -> Any:
            a = arrays[name]
            if a.dtype != np.dtype(dtype) or a.shape != shape:
                raise ValueError(name)
            return a

        sig, read_at = array("sig", np.int64, (n, width)), array("read_at", np.float64)
        specs, metrics = head["values"], head["metrics"]
        kinds = array("kinds", np.int8, (len(specs), n))
        if kinds.size and (kinds.min() < NONE or kinds.max() > BIG):
            raise ValueError("kind")
        blocks = {p: arrays[p] for p in ("f", "i", "s")}
        for p, dtype in (("f", np.float64), ("i", np.int64), ("s", np.int32)):
            used = sorted(spec[p] for spec in specs if spec[p] is not None)
            if not all(type(u) is int for u in used):
                raise ValueError(f"{p} rows")
            array(p, dtype, (len(used), n))
            if used != list(range(len(used))):
                raise ValueError(f"{p} rows")
        values: dict[str, ValueColumn] = {}
        for j, spec in enumerate(specs):
            name, vocab = spec["name"], spec["vocab"]
            if type(name) is not str or name in values:
                raise ValueError("column name")
            got = {p: blocks[p][spec[p]] for p in ("f", "i", "s") if spec[p] is not None}
            kind = kinds[j]
            if "s" in got:
                if not isinstance(vocab, list) or not all(type(w) is str for w in vocab):
                    raise ValueError("vocab")
                used = got["s"][(kind == STR) | (kind == BIG)]
                if len(used) and (used.min() < 0 or used.max() >= len(vocab)):
                    raise ValueError("codes")
                if any(not vocab[c].lstrip("-").isdigit() for c in set(got["s"][kind == BIG].tolist())):
                    raise ValueError("big int")
            for p, k in (("s", (STR, BIG)), ("f", (FLOAT,)), ("i", (INT, BOOL))):
                if p not in got and np.isin(kind, k).any():
                    raise ValueError("missing part")
            values[name] = ValueColumn(kind, got.get("f"), got.get("i"), got.get("s"), vocab if "s" in got else None)
        if any(f not in values for f in (*STRING_FIELDS, *INT_FIELDS)):
            raise ValueError("fields")
        packed = array("floats", np.float64, (len(FLOAT_FIELDS), n))
        floats = dict(zip(FLOAT_FIELDS, packed))
        if not all(type(k) is str for k in metrics) or len(set(metrics)) != len(metrics):
            raise ValueError("metrics")
        figures = array("stats", np.float64, (len(INDEX_STATS) * len(metrics), n))
        present = array("present", bool, (len(metrics), n))
        stats = {
            k: {**{s: figures[len(INDEX_STATS) * j + i] for i, s in enumerate(INDEX_STATS)}, PRESENT: present[j]}
            for j, k in enumerate(metrics)
        }
        table = cls(units, sig, read_at, values, floats, stats)
        bad = table.unsound_rows()
        return table.take(np.flatnonzero(~bad)) if bad.any() else table

    def unsound_rows(self) -> Any:
        """Rows whose values a reader could not have written (a tampered file): they are read again."""
        import numpy as np

        bad = np.zeros(len(self), dtype=bool)
        for f in ("run_id", "experiment", "name", "status"):
            bad |= self.values[f].kind != STR
        for f in ("reason", "parent"):
            bad |= ~np.isin(self.values[f].kind, (NONE, STR))
        for f in INT_FIELDS:
            bad |= ~np.isin(self.values[f].kind, (NONE, INT))
        for name, col in self.values.items():
            if name.startswith(("tags.", "inputs.")):
                bad |= ~np.isin(col.kind, (NONE, STR))
        for a in self.floats.values():
            bad |= ~(np.isnan(a) | (np.abs(a) < 1e13))
        return bad | ~np.isfinite(self.read_at)


HEAD_BASE_BYTES = 16 * 1024 * 1024
HEAD_BYTES_PER_RUN = 16 * 1024
"""The JSON head holds a run's unit, ids, names and distinct param texts: a few hundred bytes in practice."""
ARRAY_NAMES = ("sig", "read_at", "kinds", "f", "i", "s", "floats", "stats", "present")


def _read_arrays(zf: zipfile.ZipFile, width: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The head and the arrays of an index file, every member's size checked before it is read.

    The run count is first taken from the declared size of `read_at` (one float64 a run); the
    head may hold HEAD_BYTES_PER_RUN a run, and no array more than `n` rows of the widest block
    the head describes. ValueError for anything bigger, compressed or not an array of plain numbers.
    """
    infos = safe_read.stored_members(zf)
    head = _read_head(zf, infos)
    n = len(head["units"])
    rows = max(width, len(head["values"]), 3 * len(head["metrics"]), len(FLOAT_FIELDS), 1)
    cap = rows * max(n, 1) * 8
    return head, {name: safe_read.read_npy(zf, infos[f"{name}.npy"], cap) for name in ARRAY_NAMES}


def _read_head(zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo]) -> dict[str, Any]:
    """The head of an index file, no larger than HEAD_BYTES_PER_RUN a run of the size `read_at` declares."""
    runs = infos["read_at.npy"].file_size // 8
    text = safe_read.read_npy(zf, infos["head.npy"], HEAD_BASE_BYTES + HEAD_BYTES_PER_RUN * runs).tobytes()
    head = safe_read.loads_json(text, depth=None)  # deep nesting: ValueError; `_checked` checks the shape
    if (
        not isinstance(head, dict)
        or not isinstance(head.get("values"), list)
        or not isinstance(head.get("metrics"), list)
        or not isinstance(head.get("units"), list)
    ):
        raise ValueError("head")
    return head


def saved_meta(path: str) -> dict[str, Any]:
    """The `meta` of the table saved at `path`, its rows left unread (what a cache's state says costs no
    load of the cache); {} when the file cannot be read within `load`'s bounds."""
    try:
        with os.fdopen(safe_read.open_regular(path), "rb") as fh, zipfile.ZipFile(fh) as zf:
            meta = _read_head(zf, safe_read.stored_members(zf)).get("meta")
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError, MemoryError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _figures(values: list[Any]) -> Any:
    """`_figure` of each value, as a float array (all floats, the usual case: in one numpy call)."""
    import numpy as np

    if _FLOAT.issuperset(map(type, values)):
        return np.array(values, dtype=float)
    return np.array([_figure(v) for v in values], dtype=float)


_FLOAT = frozenset({float})


def _figure(value: Any) -> float:
    """A metric's figure from a summary as a float: NaN for anything but a number a float can hold."""
    if type(value) is float:
        return value
    return float(value) if type(value) is int and abs(value) < 2**1023 else math.nan


def _stack(rows: list[Any], dtype: Any, n: int) -> Any:
    """Equal-length 1-D arrays as the rows of one 2-D array (`(0, n)` for none)."""
    import numpy as np

    return np.stack(rows).astype(dtype, copy=False) if rows else np.zeros((0, n), dtype=dtype)


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
