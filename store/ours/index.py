"""The listing cache: records of runs kept between processes, so a cold start reads only what changed.

Three shapes, each a `CacheFile` (where it lives: `index_path`, in the store when it is ours
and writable, else in the user's cache folder; saved at most every INDEX_SAVE_INTERVAL
seconds, rewritten atomically, never trusted: every entry is validated on load and a bad one
costs a re-read):

- `UnitIndex`, for other tools' runs kept as folders of files (MLflow's file store, W&B,
  TensorBoard, the file formats): one JSON entry per run folder ("unit") with a stat
  signature that changes with its files.
- `ColumnCache` (store/ours/column_cache.py), for our own store: the listing as a `ColumnTable`
  in `.npz` files, a base plus a journal of the runs changed since, and when the files were last
  all stat'ed.
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
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from store import safe_read
from store.base import RunRecord, RunStore, damaged_record, valid_record
from store.errors import RunNotFoundError
from store.ours import atomic, layout

if TYPE_CHECKING:
    from store.ours.column_cache import ColumnCache

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
    except (Exception, RecursionError) as exc:  # noqa: BLE001 - the listing must survive any one run
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
