"""Our own store's listing cache: the listing as a `ColumnTable` (store/ours/column_index.py) in
`.npz` files, a base plus a journal of the runs changed since, and when the files were last all
stat'ed; one of the `CacheFile` shapes of store/ours/index.py.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store.base import RunRecord
from store.ours.index import FULL_SCAN_NOTE_SECONDS, RACY_SECONDS, CacheFile, index_path, remove_stale_temporaries

if TYPE_CHECKING:
    from store.ours.journal_half import Halves

__all__ = ["ColumnCache"]


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

        from store.ours.column_file import load_table
        from store.ours.column_index import ColumnTable

        loaded = load_table(str(self.path), self.kind, self.width)
        self._base_sound = loaded is not None
        self._journal, self._removed = set(), set()
        self._units = None
        self.full_scan_at = self._saved_full_scan_at = 0.0
        self.journal_read = {}
        if loaded is None:
            self.table = ColumnTable.empty(self.width)
            return
        table = loaded[0]
        journal = load_table(str(self.journal_path), self.kind, self.width)
        self.full_scan_at = max(_scan_note(table), _scan_note(journal[0]) if journal is not None else 0.0)
        self.journal_read = _journal_note((journal[0] if journal is not None else table).meta)
        self._saved_full_scan_at = self.full_scan_at
        if journal is not None:
            changes, removed = journal
            drop = set(removed) | set(changes.units)
            keep = np.array([r for r, u in enumerate(table.units) if u not in drop], dtype=np.int64)
            self._journal, self._removed = set(changes.units), set(removed)
            picks = [keep if len(keep) < len(table) else None, None]  # taken a column at a time, in one pass
            self.table = ColumnTable.concat([table, changes], newest_first=True, rows=picks)
        else:
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

    def update_arrays(
        self,
        units: list[str],
        sig: Any,
        read: Callable[[str], RunRecord],
        now: float,
        rows: Any = None,
        matched: Any = None,
    ) -> set[str]:
        """Bring the table in line with a scan (`units`, one row of `sig` each, and what a quick scan matched:
        `table_update.update_table`); the run ids added, changed, removed."""
        from store.ours.table_update import update_table

        self.table, changed, reread, gone = update_table(self.table, units, sig, read, now, RACY_SECONDS, rows, matched)
        if reread or gone:
            self.dirty = True
            self._units = None
            self._journal = (self._journal | reread) - gone
            self._removed = (self._removed | gone) - reread
        return changed

    def first_listing(self, table: Any) -> set[str]:
        """A first listing's table of every run (`TrackStore._fold_first_listing`), taken as `update_arrays` would:
        every run re-read, so the next save writes the base (not a set of every unit noted for a journal)."""
        self.table, self.dirty, self._units = table.newest_first(), True, None
        self._base_sound = False
        self._journal, self._removed = set(), set()
        return set(table.values["run_id"].objects().tolist()) if len(table) else set()

    def journal_rows(self, units: Collection[str]) -> Any:
        """The listing journals' rows of `units` (runs this table does not hold) appended since the last fold."""
        from store.ours import journal

        rows, self.journal_read = journal.read_rows(os.fspath(self.root), units, self.journal_read)
        return rows

    def read_journals(
        self,
        units: Mapping[str, int],
        width: int,
        take: Callable[[list[int], list[list[int]], list[Any]], None],
        halves: Halves | None = None,
    ) -> list[Any]:
        """`journal.read_in_chunks` of `units` from where this table's last read of the journals stopped; with
        `halves`, the long ones are parsed by its two children meanwhile (store/ours/journal_half.py).
        Returns the children's tables (of every run their halves name); a half whose child failed is read here."""
        from store.ours import journal

        root = os.fspath(self.root)
        read = journal.read_in_chunks(root, units, self.journal_read, width, take, halves.stops if halves else None)
        tables: list[Any] = []
        if halves is not None:

            def read_here(since: Any, stops: Any, only: list[str]) -> journal.Offsets:
                return journal.read_in_chunks(root, units, since, width, take, stops, only)

            tables, offsets = halves.tables(width, read_here)
            read.update(offsets)
        self.journal_read = read
        return tables

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

        from store.ours.column_file import save_table

        self.saved_at = time.time()
        self.dirty = False
        table = self.table
        path, journal_path = self.path, self.journal_path
        scanned = self.full_scan_at
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not self._base_sound or len(self._journal) + len(self._removed) > max(256, len(table) // 8):
                table.meta = {"full_scan_at": scanned, "journal_read": self.journal_read}
                save_table(table, str(path), self.kind)
                self._base_sound = True
                self._journal, self._removed = set(), set()
                journal_path.unlink(missing_ok=True)
            elif not self._journal and not self._removed and scanned == self._saved_full_scan_at:
                journal_path.unlink(missing_ok=True)
            else:  # an empty journal still carries the note of a full scan
                rows = np.array([r for r, u in enumerate(table.units) if u in self._journal], dtype=np.int64)
                journal = table.take(rows)
                journal.meta = {"full_scan_at": scanned, "journal_read": self.journal_read}
                save_table(journal, str(journal_path), self.kind, self._removed)
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
