"""The listing cache: records of runs kept between processes, so a cold start reads only what changed.

Three shapes, each a `CacheFile` (where it lives: `index_path`, in the store when it is ours
and writable, else in the user's cache folder; saved at most every INDEX_SAVE_INTERVAL
seconds, rewritten atomically, never trusted: every entry is validated on load and a bad one
costs a re-read):

- `UnitIndex`, for other tools' runs kept as folders of files (MLflow's file store, W&B,
  TensorBoard, the file formats): one JSON entry per run folder ("unit") with a stat
  signature that changes with its files.
- `ColumnCache`, for our own store: the listing as a `ColumnTable` in `.npz` files, a base
  plus a journal of the runs changed since, and when the files were last all stat'ed.
- `SnapshotIndex`, for a store read in bulk (MLflow's SQLite database): one signature of the
  whole store and the records of its last query, as JSON.

Each is only a cache: deleting it never changes an answer. `remove_stale_temporaries` tidies
what a killed save left. `FolderRunStore` is the `RunStore` part that lists through a
`UnitIndex` or a `ColumnCache`; a kind of it only scans and reads folders.
"""

from __future__ import annotations

import abc
import hashlib
import json
import os
import time
from collections.abc import Callable, Container, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any, TypedDict

from store import safe_read
from store.base import RunRecord, RunStore, damaged_record, valid_record
from store.errors import RunNotFoundError
from store.ours import atomic, layout

INDEX_VERSION = 5
"""4: a run's signature covers its folder (curation edits are new files), and records carry `parent`."""
INDEX_SAVE_INTERVAL = 30.0
"""A live store changes every few seconds; rewriting a large index that often would cost more than it saves."""
STALE_TEMPORARY_SECONDS = 300.0
"""An index temporary this old belongs to a save that was killed (a save takes well under a second)."""
FULL_SCAN_NOTE_SECONDS = 60.0
"""A full scan alone makes the index worth saving when the saved note of the last one is this old."""
RACY_SECONDS = 2.0
"""A folder changed this close to when we read it may change again within the same mtime tick."""


class IndexEntry(TypedDict):
    """One run folder as last read: its signature, when it was read, and its record."""

    sig: list[int]
    read_at: float
    record: RunRecord


def index_path(root: Path, kind: str, in_store: bool, suffix: str = ".json") -> Path:
    """`<root>/.tracktui-index<suffix>` for a writable store of ours, else a file in the user's cache folder."""
    if in_store and os.access(root, os.W_OK):
        return root / f".tracktui-index{suffix}"
    digest = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:16]
    return layout.cache_root() / f"index-{kind}-{digest}{suffix}"


class CacheFile:
    """Where an index lives, and saving it at most every INDEX_SAVE_INTERVAL seconds while it changes."""

    def __init__(self, root: Path, kind: str, in_store: bool) -> None:
        self.root = root
        self.kind = kind
        self.in_store = in_store
        self.dirty = False
        self.saved_at = 0.0

    @property
    def path(self) -> Path:
        return index_path(self.root, self.kind, self.in_store)

    def _read_payload(self) -> dict[str, Any] | None:
        """The file's JSON object when it is of this version and kind; None when missing or corrupt."""
        try:
            data = safe_read.read_json(self.path, cap=None, depth=None)  # callers validate each entry
        except (OSError, ValueError, RecursionError):
            return None
        if not isinstance(data, dict) or data.get("version") != INDEX_VERSION or data.get("kind") != self.kind:
            return None
        return data

    def load(self) -> None:
        """Read the file into memory; a missing or corrupt one leaves the cache empty."""
        raise NotImplementedError

    def _payload(self) -> dict[str, Any]:
        """What `save` writes beside the version and kind."""
        raise NotImplementedError

    def save(self) -> None:
        """Write the cache now; a read-only store without a cache folder just re-reads next time."""
        self.saved_at = time.time()
        self.dirty = False
        path = self.path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            body = {"version": INDEX_VERSION, "kind": self.kind, **self._payload()}
            atomic.atomic_write_text(path, json.dumps(body, separators=(",", ":")), fsync=False)
        except (OSError, TypeError, ValueError, RecursionError):
            pass
        remove_stale_temporaries(path)

    def save_if_due(self, now: float) -> None:
        if self.dirty and (self.saved_at == 0.0 or now - self.saved_at > INDEX_SAVE_INTERVAL):
            self.save()


class UnitIndex(CacheFile):
    """Per-folder entries, each re-read when its signature changes (or was read too close to a change)."""

    def __init__(self, root: Path, kind: str, in_store: bool) -> None:
        super().__init__(root, kind, in_store)
        self.entries: dict[str, IndexEntry] = {}
        self._units: dict[str, str] | None = None

    def load(self) -> None:
        data = self._read_payload()
        entries = data.get("entries") if data is not None else None
        # Valid JSON with one odd value must cost one re-read, not the listing.
        self.entries = (
            {unit: entry for unit, entry in entries.items() if valid_entry(entry)} if isinstance(entries, dict) else {}
        )
        self._units = None

    def records(self) -> Iterator[RunRecord]:
        return (entry["record"] for entry in self.entries.values())

    def unit_of(self, run_id: str) -> str | None:
        """The folder (relative to the root) a run's record was read from."""
        if self._units is None:
            self._units = {entry["record"]["run_id"]: unit for unit, entry in self.entries.items()}
        return self._units.get(run_id)

    def _payload(self) -> dict[str, Any]:
        return {"entries": self.entries}

    def update(
        self,
        scanned: Mapping[str, list[int]],
        read: Callable[[str], RunRecord],
        sig_time: Callable[[list[int]], float],
        now: float,
    ) -> set[str]:
        """Bring the entries in line with `scanned` (unit -> signature); the run ids added, changed or removed.

        An entry is trusted when its signature is the same and it was read more than
        RACY_SECONDS after the files' last change (`sig_time`), since a change within the
        same mtime tick would not show in the signature.
        """
        changed: set[str] = set()
        entries = self.entries
        for unit in list(entries):
            if unit not in scanned:
                changed.add(entries.pop(unit)["record"]["run_id"])
                self.dirty = True
        for unit, sig in scanned.items():
            entry = entries.get(unit)
            if entry is not None and entry["sig"] == sig and entry["read_at"] - sig_time(sig) > RACY_SECONDS:
                continue
            record = read(unit)
            if entry is None or entry["record"] != record:
                changed.add(record["run_id"])
            entries[unit] = {"sig": sig, "read_at": now, "record": record}
            self.dirty = True
        if self.dirty:
            self._units = None
        return changed


class ColumnCache(CacheFile):
    """Our store's listing as a `ColumnTable`, saved as a base file plus a journal of what changed since.

    A save writes only the journal (the runs re-read or gone since the base was written) until
    the journal holds an eighth of the runs; then it rewrites the base and drops the journal.
    """

    SUFFIX = ".npz"
    JOURNAL_SUFFIX = ".journal.npz"

    def __init__(self, root: Path, kind: str, in_store: bool, width: int) -> None:
        super().__init__(root, kind, in_store)
        from store.ours.column_index import ColumnTable

        self.width = width
        self.table = ColumnTable.empty(width)
        self._journal: set[str] = set()
        """Units re-read since the base file was written."""
        self._removed: set[str] = set()
        """Units gone since the base file was written."""
        self._base_sound = False
        self._units: dict[str, str] | None = None
        self.full_scan_at = 0.0
        """When the store's files were last all stat'ed (by any process whose index save we read)."""
        self._saved_full_scan_at = 0.0
        self.journal_read: dict[str, tuple[int, int]] = {}
        """How far the listing journals have been folded into this table (store/ours/journal.py)."""

    @property
    def path(self) -> Path:
        return index_path(self.root, self.kind, self.in_store, self.SUFFIX)

    def scanned_in_full(self, now: float) -> None:
        """Note a full scan; it is saved with the next save, or alone when the saved note is a minute old."""
        self.full_scan_at = now
        if now - self._saved_full_scan_at > FULL_SCAN_NOTE_SECONDS:
            self.dirty = True

    @property
    def journal_path(self) -> Path:
        return index_path(self.root, self.kind, self.in_store, self.JOURNAL_SUFFIX)

    def load(self) -> None:
        import numpy as np

        from store.ours.column_index import ColumnTable

        loaded = ColumnTable.load(str(self.path), self.kind, self.width)
        self._base_sound = loaded is not None
        self._journal, self._removed = set(), set()
        self._units = None
        self.full_scan_at = self._saved_full_scan_at = 0.0
        self.journal_read = {}
        if loaded is None:
            self.table = ColumnTable.empty(self.width)
            return
        table = loaded[0]
        journal = ColumnTable.load(str(self.journal_path), self.kind, self.width)
        self.full_scan_at = max(_scan_note(table), _scan_note(journal[0]) if journal is not None else 0.0)
        self.journal_read = _journal_note((journal[0] if journal is not None else table).meta)
        self._saved_full_scan_at = self.full_scan_at
        if journal is not None:
            changes, removed = journal
            drop = set(removed) | set(changes.units)
            keep = np.array([r for r, u in enumerate(table.units) if u not in drop], dtype=np.int64)
            table = table.take(keep).append(changes) if len(keep) < len(table) else table.append(changes)
            self._journal, self._removed = set(changes.units), set(removed)
        self.table = table.newest_first()

    def update(
        self,
        scanned: Mapping[str, list[int]],
        read: Callable[[str], RunRecord],
        sig_time: Callable[[list[int]], float],
        now: float,
    ) -> set[str]:
        """As `UnitIndex.update`; `sig_time` is not used: the rows' times are taken from the signatures
        all at once (`table_update.vector_sig_time`, the same rule as `TrackStore._sig_time`)."""
        import numpy as np

        units = list(scanned)
        sig = np.array([scanned[u] for u in units], dtype=np.int64).reshape(len(units), self.width)
        return self.update_arrays(units, sig, read, now)

    def update_arrays(self, units: list[str], sig: Any, read: Callable[[str], RunRecord], now: float) -> set[str]:
        """Bring the table in line with a scan (`units`, one row of `sig` each); the run ids added, changed, removed."""
        from store.ours.table_update import update_table

        self.table, changed, reread, gone = update_table(self.table, units, sig, read, now, RACY_SECONDS)
        if reread or gone:
            self.dirty = True
            self._units = None
            self._journal = (self._journal | reread) - gone
            self._removed = (self._removed | gone) - reread
        return changed

    def first_listing(self, table: Any) -> set[str]:
        """A first listing's table of every run (`TrackStore._read_first_listing`), taken as `update_arrays` would."""
        self.table, self.dirty, self._units = table.newest_first(), True, None
        self._journal |= set(table.units)
        self._removed -= set(table.units)
        return set(table.values["run_id"].objects().tolist()) if len(table) else set()

    def journal_rows(self, units: Container[str]) -> Any:
        """The listing journals' rows of `units` (runs this table does not hold) appended since the last fold."""
        from store.ours import journal

        rows, self.journal_read = journal.read_rows(os.fspath(self.root), units, self.journal_read)
        return rows

    def fold_journals(
        self,
        units: Mapping[str, int],
        sig: Any,
        names: tuple[str, ...],
        take: Callable[[list[int], list[RunRecord]], None],
    ) -> None:
        """`journal.fold_in_chunks` of `units` from where this table's last fold stopped."""
        from store.ours import journal

        root = os.fspath(self.root)
        self.journal_read = journal.fold_in_chunks(
            root, units, self.journal_read, partial(os.path.join, root), names, sig, take
        )

    def records(self) -> Iterator[RunRecord]:
        return (self.table.record(row) for row in range(len(self.table)))

    def unit_of(self, run_id: str) -> str | None:
        if self._units is None:
            self._units = (
                dict(zip(self.table.values["run_id"].objects().tolist(), self.table.units)) if len(self.table) else {}
            )
        return self._units.get(run_id)

    def save(self) -> None:
        """Write the journal, or the base when there is none sound or the journal has grown large."""
        import numpy as np

        self.saved_at = time.time()
        self.dirty = False
        table = self.table
        path, journal_path = self.path, self.journal_path
        scanned = self.full_scan_at
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not self._base_sound or len(self._journal) + len(self._removed) > max(256, len(table) // 8):
                table.meta = {"full_scan_at": scanned, "journal_read": self.journal_read}
                table.save(str(path), self.kind)
                self._base_sound = True
                self._journal, self._removed = set(), set()
                journal_path.unlink(missing_ok=True)
            elif not self._journal and not self._removed and scanned == self._saved_full_scan_at:
                journal_path.unlink(missing_ok=True)
            else:  # an empty journal still carries the note of a full scan
                rows = np.array([r for r, u in enumerate(table.units) if u in self._journal], dtype=np.int64)
                journal = table.take(rows)
                journal.meta = {"full_scan_at": scanned, "journal_read": self.journal_read}
                journal.save(str(journal_path), self.kind, self._removed)
            self._saved_full_scan_at = scanned
        except (OSError, ValueError, TypeError, OverflowError):
            pass
        remove_stale_temporaries(path)
        remove_stale_temporaries(journal_path)


def _scan_note(table: Any) -> float:
    """When a loaded index file says its store was last stat'ed in full (0: it does not say, or says nonsense)."""
    note = table.meta.get("full_scan_at")
    return float(note) if type(note) in (int, float) and 0 < note < 1e11 else 0.0


def _journal_note(meta: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """How far a loaded index file says the listing journals were folded; what is not sound is dropped
    (a journal then read from its start costs time, never an answer)."""
    note = meta.get("journal_read")
    if not isinstance(note, dict):
        return {}
    return {
        name: (at[0], at[1])
        for name, at in note.items()
        if type(name) is str and isinstance(at, list) and len(at) == 2 and all(type(x) is int for x in at)
    }


class SnapshotIndex(CacheFile):
    """The records of one bulk read of the whole store, with the store's signature at that read."""

    def __init__(self, root: Path, kind: str, in_store: bool) -> None:
        super().__init__(root, kind, in_store)
        self.sig: list[int] | None = None
        self.read_at = 0.0
        self.records: dict[str, RunRecord] = {}

    def load(self) -> None:
        data = self._read_payload()
        if data is None:
            return
        sig, read_at, records = data.get("sig"), data.get("read_at"), data.get("records")
        if (
            not isinstance(sig, list)
            or not all(type(x) is int for x in sig)
            or not isinstance(read_at, _NUMBER)
            or isinstance(read_at, bool)
            or not isinstance(records, dict)
        ):
            return
        # One odd record makes the snapshot untrustworthy as a whole: it is re-queried.
        if all(valid_record(rec) and rec["run_id"] == rid for rid, rec in records.items()):
            self.sig, self.read_at, self.records = sig, float(read_at), records

    def _payload(self) -> dict[str, Any]:
        return {"sig": self.sig, "read_at": self.read_at, "records": self.records}

    def replace(self, sig: list[int], records: dict[str, RunRecord], now: float) -> set[str]:
        """Take a new bulk read; the run ids added, changed or removed."""
        old = self.records
        changed = {rid for rid, rec in old.items() if records.get(rid) != rec}
        changed |= {rid for rid in records if rid not in old}
        self.sig, self.read_at, self.records = sig, now, records
        self.dirty = True
        return changed


def remove_stale_temporaries(path: Path, now: float | None = None) -> int:
    """Remove `.<index name>.*.tmp` files beside `path` older than STALE_TEMPORARY_SECONDS; return how many.

    A save killed between writing its temporary and renaming it leaves a file as large as
    the index; nothing else would ever remove it. Young ones may belong to a save going on
    in another process, so they stay.
    """
    now = time.time() if now is None else now
    prefixes = (f".{path.name}.", f"{path.name}.")  # `atomic_write_text` names them `.<name>.<random>.tmp`
    removed = 0
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return 0
    for entry in entries:
        if not (entry.name.startswith(prefixes) and entry.name.endswith(".tmp")):
            continue
        try:
            if (
                entry.is_file(follow_symlinks=False)
                and now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMPORARY_SECONDS
            ):
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue
    return removed


_NUMBER = (int, float)


def valid_entry(entry: Any) -> bool:
    """Whether an index entry has the shape this code wrote: `{"sig": [int...], "read_at": float, "record": {...}}`."""
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("sig"), list)
        and all(type(x) is int for x in entry["sig"])
        and type(entry.get("read_at")) in _NUMBER
        and valid_record(entry.get("record"))
    )


def read_safely(read: Callable[[str], RunRecord], unit: str) -> RunRecord:
    """`read(unit)`, except that nothing a run's files hold can escape: one bad run is one damaged row."""
    try:
        record = read(unit)
        if valid_record(record):
            return record
        problem = "its files give a record of the wrong shape"
    except (Exception, RecursionError) as exc:  # the listing must survive any one run
        problem = f"unreadable: {safe_read.describe(exc)}"
    return damaged_record(unit.rsplit("/", 1)[-1], unit.rsplit("/", 1)[0] if "/" in unit else "", problem)


class FolderRunStore(RunStore):
    """A store whose runs are folders of files (ours, MLflow's file store, ...), listed through
    a `UnitIndex` (ours: a `ColumnCache`).

    A kind implements `_scan` (every run folder with a signature), `_read_record` and,
    when its signature does not start with an mtime in nanoseconds, `_sig_time`; it sets
    `self._cache` to its `UnitIndex` or `ColumnCache` in `__init__`.
    """

    _cache: UnitIndex | ColumnCache

    @abc.abstractmethod
    def _scan(self) -> dict[str, list[int]]:
        """Every run folder (relative to the root) with a cheap signature (stat numbers) that changes with it."""

    @abc.abstractmethod
    def _read_record(self, unit: str) -> RunRecord:
        """Read one run folder into a record; a damaged run gives status 'damaged' and a reason."""

    def _sig_time(self, sig: list[int]) -> float:
        """When the files behind a signature last changed (seconds); the default takes its first number."""
        return sig[0] / 1e9

    def _sync(self, now: float) -> set[str]:
        return self._cache.update(self._scan(), self._read_record_safely, self._sig_time, now)

    def _all_records(self) -> Iterator[RunRecord]:
        return self._cache.records()

    def _read_record_safely(self, unit: str) -> RunRecord:
        return read_safely(self._read_record, unit)

    def _unit_of(self, run_id: str) -> str:
        """The folder of a listed run; RunNotFoundError when it is not listed."""
        with self._lock:
            self._listed(run_id)
            unit = self._cache.unit_of(run_id)
        if unit is None:
            raise RunNotFoundError(f"no run {run_id!r} in {self.root}")
        return unit
