"""The listing of an MLflow tracking server, kept between processes as one columnar file.

A server's listing costs the server about a minute at 10,000 runs, so it is kept in the
user's cache folder (`~/.cache/tracktui/server-<hash>.npz`, never in anyone's store) as a
`ColumnTable` (store/ours/column_index.py, the table our own store's index uses): opening from it
costs a numpy load and a frame built column by column, with no record made per run.

Beside our record fields the table holds what the server reader needs of an MLflow run, as
columns the frame ignores: `mlflow.experiment_id`, `mlflow.deleted`, `mlflow.artifact_uri`,
and `system_tags.<key>`. What the incremental poll needs (url, experiments, last poll,
last full sync) is the table's `meta`, saved in the same file, so the two
can never disagree. The file is only a cache: one of another version, of another server, or
not sound in any way is ignored, and the server is listed again.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from store.base import RunRecord
from store.ours.column_file import load_table, save_table, saved_meta
from store.ours.column_index import INDEX_STATS, PRESENT, ColumnTable, absent_stat
from store.ours.column_values import BOOL, NONE, STR, ValueColumn
from store.ours.index import CacheFile, remove_stale_temporaries
from store.ours.layout import cache_root

if TYPE_CHECKING:
    import numpy as np

KIND = "mlflow-server"
CACHE_FORMAT = 1
"""Bumped when the meta or the extra columns change meaning; an older file is listed again."""
EXPERIMENT_ID = "mlflow.experiment_id"
DELETED = "mlflow.deleted"
ARTIFACT_URI = "mlflow.artifact_uri"
SYSTEM_TAGS = "system_tags."
PARENT_TAG = "mlflow.parentRunId"
LOCK_SECONDS = 5.0


def server_key(url: str) -> str:
    return hashlib.sha1(url.encode()).hexdigest()[:16]


def runs_table(records: Sequence[RunRecord], now: float) -> ColumnTable:
    """The table of server records (`mlflow_rest.record_from_json`), newest first, with the server's columns."""
    for rec in records:
        rec["parent"] = (rec.get("system_tags") or {}).get(PARENT_TAG) or None
    table = ColumnTable.from_records([rec["run_id"] for rec in records], [[] for _ in records], now, records, 0)
    values = table.values
    values[EXPERIMENT_ID] = ValueColumn.from_values([rec.get("experiment_id") for rec in records])
    values[DELETED] = ValueColumn.from_values([bool(rec.get("deleted")) for rec in records])
    values[ARTIFACT_URI] = ValueColumn.from_values([(rec.get("mlflow") or {}).get("artifact_uri") for rec in records])
    system: dict[str, list[Any]] = {}
    for row, rec in enumerate(records):
        for key, text in (rec.get("system_tags") or {}).items():
            system.setdefault(key, [None] * len(records))[row] = text
    for key, column in system.items():
        values[SYSTEM_TAGS + key] = ValueColumn.from_values(column)
    return table.newest_first()


def server_record(table: ColumnTable, row: int) -> RunRecord:
    """The record of one row, in the shape `record_from_json` made it (metrics: the latest value only)."""
    rec: dict[str, Any] = dict(table.record(row))
    rec["metrics"] = {
        key: {"last": None if math.isnan(m["last"]) else m["last"], "min": None, "max": None, "count": None}
        for key, m in rec["metrics"].items()
    }
    rec["system_tags"] = {
        name[len(SYSTEM_TAGS) :]: col.value(row)
        for name, col in table.values.items()
        if name.startswith(SYSTEM_TAGS) and col.kind[row] != NONE
    }
    rec["experiment_id"] = table.values[EXPERIMENT_ID].value(row)
    rec["deleted"] = bool(table.values[DELETED].value(row))
    rec["mlflow"] = {
        "artifact_uri": table.values[ARTIFACT_URI].value(row),
        "source_type": None,
        "source_name": None,
        "entry_point_name": None,
        "source_version": None,
    }
    return rec  # type: ignore[return-value]


def run_ids(table: ColumnTable) -> list[str]:
    return table.values["run_id"].objects().tolist() if len(table) else []


def deleted_rows(table: ColumnTable) -> np.ndarray:
    import numpy as np

    if not len(table):
        return np.zeros(0, dtype=bool)
    column = table.values[DELETED]
    return (column.kind == BOOL) & (column.i != 0) if column.i is not None else np.zeros(len(table), dtype=bool)


def merge(table: ColumnTable, fresh: ColumnTable) -> ColumnTable:
    """`table` with the runs of `fresh` replaced or added, newest first."""
    import numpy as np

    if not len(fresh):
        return table
    replaced = set(run_ids(fresh))
    keep = np.array([rid not in replaced for rid in run_ids(table)], dtype=bool)
    kept = table if keep.all() else table.take(np.flatnonzero(keep))
    return kept.append(fresh).newest_first()


def with_statuses(table: ColumnTable, statuses: Iterable[str]) -> ColumnTable:
    """The same rows with another status column (what a listing with deleted runs shows)."""
    values = dict(table.values)
    values["status"] = ValueColumn.from_values(list(statuses))
    return ColumnTable(table.units, table.sig, table.read_at, values, table.floats, table.stats)


def _sound(table: ColumnTable) -> bool:
    """The server's columns are as `runs_table` writes them (a tampered file is listed again)."""
    import numpy as np

    values = table.values
    if any(name not in values for name in (EXPERIMENT_ID, DELETED, ARTIFACT_URI)):
        return False
    if run_ids(table) != table.units or not (values[DELETED].kind == BOOL).all():
        return False
    text_columns = [
        values[EXPERIMENT_ID],
        values[ARTIFACT_URI],
        *(col for name, col in values.items() if name.startswith(SYSTEM_TAGS)),
    ]
    return all(np.isin(col.kind, (NONE, STR)).all() for col in text_columns)


class ServerCache(CacheFile):
    """One server's listing as a `ColumnTable`, with what the incremental poll needs in its `meta`."""

    def __init__(self, url: str) -> None:
        super().__init__(Path(url), KIND, in_store=False)
        self.url = url
        self.table = ColumnTable.empty(0)
        self.experiments: dict[str, list[str]] = {}
        """id -> [name, lifecycle_stage]."""
        self.polled_at = 0.0
        self.full_at = 0.0

    @property
    def path(self) -> Path:
        return cache_root() / f"server-{server_key(self.url)}.npz"

    @property
    def folder(self) -> Path:
        """Where this server's downloaded artifacts go."""
        return cache_root() / f"server-{server_key(self.url)}"

    def load(self) -> None:
        """Read the file; anything missing, old or unsound leaves the cache empty (the server is listed again)."""
        loaded = load_table(str(self.path), KIND, 0)
        if loaded is None:
            return
        table = loaded[0]
        meta = table.meta
        experiments = meta.get("experiments")
        times = [
            float(t)
            for k in ("polled_at", "full_at")
            if isinstance(t := meta.get(k), (int, float)) and not isinstance(t, bool) and math.isfinite(t)
        ]
        if (
            meta.get("format") != CACHE_FORMAT
            or meta.get("url") != self.url
            or meta.get("rows") != len(table)
            or len(times) != 2
            or not isinstance(experiments, dict)
            or not all(
                isinstance(v, list) and len(v) == 2 and all(type(x) is str for x in v) for v in experiments.values()
            )
            or not _sound(table)
        ):
            return
        self.table, self.experiments = table, experiments
        self.polled_at, self.full_at = times

    def save(self) -> None:
        """Write the whole table (atomically, readable by its owner only: it is a copy of someone's server),
        unless another process saved a listing polled later (an open app must not undo `ls --resync`).

        The check and the write hold a lock file beside the cache, so two processes saving at once
        cannot both pass the check. A cache folder that cannot be written just costs a listing next time.
        """
        self.saved_at = time.time()
        self.dirty = False
        path = self.path
        self.table.meta = {
            "format": CACHE_FORMAT,
            "url": self.url,
            "rows": len(self.table),
            "experiments": self.experiments,
            "polled_at": self.polled_at,
            "full_at": self.full_at,
        }
        try:
            private_folder(path.parent)
            with _locked(path.with_suffix(".lock")):
                if saved_poll(path) <= self.polled_at:
                    save_table(self.table, str(path), KIND, mode=0o600)
            path.with_suffix(".json").unlink(missing_ok=True)  # the record cache of before the columns
        except (OSError, ValueError, TypeError, OverflowError):
            pass
        remove_stale_temporaries(path)

    def replace(self, table: ColumnTable) -> set[str]:
        """Take a full listing; the run ids added, changed or removed."""
        old, self.table = self.table, table
        new_ids = run_ids(table)
        gone = set(run_ids(old)) - set(new_ids)
        return gone | {rid for rid, differs in zip(new_ids, changed_rows(old, table).tolist()) if differs}

    def update(self, fresh: ColumnTable) -> set[str]:
        """Take the runs of an incremental poll; the run ids that changed."""
        changed = {rid for rid, differs in zip(run_ids(fresh), changed_rows(self.table, fresh).tolist()) if differs}
        if changed:
            self.table = merge(self.table, fresh)
        return changed


def private_folder(folder: Path) -> None:
    """Make the cache folder and `folder` in it (itself or a folder of it) if missing, for their owner only
    (0700: what they hold was read from a server with credentials); an existing one keeps its mode."""
    root = cache_root()
    root.parent.mkdir(parents=True, exist_ok=True)
    for level in dict.fromkeys((root, folder)):
        level.mkdir(mode=0o700, exist_ok=True)


def saved_poll(path: Path) -> float:
    """When the listing saved at `path` was polled (its meta's `polled_at`); 0.0 when none can be read."""
    polled = saved_meta(str(path)).get("polled_at")
    return float(polled) if isinstance(polled, (int, float)) and math.isfinite(polled) else 0.0


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` between processes (freed when the holder exits, even by SIGKILL);
    TimeoutError after LOCK_SECONDS (a holder that hangs must not hang every other process)."""
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + LOCK_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{path.name} is held by another process") from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)


def changed_rows(old: ColumnTable, new: ColumnTable) -> np.ndarray:
    """For each row of `new`, whether `old` lacks its run or holds it otherwise.

    Compared column by column: at 10,000 runs a record per run and a comparison of each
    costs seconds (a full re-sync runs hourly in the app's poll), this some milliseconds.
    """
    import numpy as np

    n = len(new)
    rows = dict(zip(run_ids(old), range(len(old))))
    was = np.fromiter((rows.get(rid, -1) for rid in run_ids(new)), dtype=np.int64, count=n)
    differs = was < 0
    if not n or differs.all():
        return differs
    mine = old.take(np.where(differs, 0, was))
    none = np.full(n, None, dtype=object)
    for name in {**mine.values, **new.values}:
        a = mine.values[name].objects() if name in mine.values else none
        b = new.values[name].objects() if name in new.values else none
        same_type = np.fromiter(map(type, a), dtype=object, count=n) == np.fromiter(map(type, b), dtype=object, count=n)
        differs |= (a != b) | ~same_type  # True and 1 are equal in Python, not here
    for key in {**mine.stats, **new.stats}:
        for stat in (*INDEX_STATS, PRESENT):
            a = mine.stats[key][stat] if key in mine.stats else absent_stat(stat, n)
            b = new.stats[key][stat] if key in new.stats else absent_stat(stat, n)
            differs |= _unequal(a, b)
    for field in mine.floats:
        differs |= _unequal(mine.floats[field], new.floats[field])
    return differs


def _unequal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise a != b, where NaN equals NaN."""
    import numpy as np

    if a.dtype == bool:
        return cast(np.ndarray, a != b)
    return cast(np.ndarray, ~((a == b) | (np.isnan(a) & np.isnan(b))))
