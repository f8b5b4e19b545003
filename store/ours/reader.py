"""Reading tracktui's own store format (see FORMAT.md)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from store.base import RunDetail, RunRecord
from store.frame import history_frame
from store.ours import file_stats, journal, journal_half, layout
from store.ours.column_cache import ColumnCache
from store.ours.edits import NOTE_FACT, apply_edits, read_edits
from store.ours.history_files import read_histories
from store.ours.index import FolderRunStore, read_safely
from store.ours.inputs import read_inputs
from store.ours.machine import read_machine
from store.ours.partial_listing import PartialListing
from store.ours.run_record import RECORD_FILES, read_files, read_record
from store.ours.run_record import _cell as _cell  # the old home of the one param-cell rule
from store.ours.run_scan import PENDING, folder_times, list_run_folders, signatures
from store.ours.run_scan import paths as run_paths
from store.ours.table_update import rows_of
from store.process import cores, release_freed_memory
from store.record_checks import damaged_record

if TYPE_CHECKING:
    import pandas as pd

    from store.model_entities import RegisteredModel


class Scan(NamedTuple):
    """A scan's run folders (units) and their signatures, one row each; from a quick scan, also the table's row
    of each (-1: new) and which of them it took unchanged from the table (`table_update.update_table`)."""

    units: list[str]
    sig: Any
    rows: Any = None
    matched: Any = None


class TrackStore(FolderRunStore):
    """A tracktui store folder: `<root>/<experiment>/<run_id>/`."""

    kind = "tracktui"

    RECORD_FILES = RECORD_FILES
    WIDTH = 3 + 3 * len(RECORD_FILES)
    """Numbers in a run's signature: its folder's three, then three a record file."""

    def __init__(self, root: Path, include_deleted: bool = False) -> None:
        super().__init__(root)
        self.include_deleted = include_deleted
        """Also list the runs in the trash (`tracktui rm`), with status `deleted`."""
        self._cache = self._columns = ColumnCache(root, self.kind, in_store=True, width=self.WIDTH)
        self._root_text = os.fspath(root)
        self._linked_out: set[str] = set()
        """Run folders (units) that are symbolic links out of the store, from the last listing."""
        self._odd_paths: dict[str, str] = {}
        """Run folders whose path is not the root joined with their unit (`run_scan.list_run_folders`)."""
        self._full_scan_at = 0.0
        self._scanned_at = -1e9
        self._scan_cost = 0.0
        self._first: PartialListing | None = None
        """The first listing while it is read (`_fold_first_listing`)."""
        self._prefetched: tuple[list[str], file_stats.Taking | None] | None = None
        """The run folders listed before the index was read, and the stat child taking half their numbers (`_load`)."""

    def _load(self) -> None:
        """Read the index; a listing that is not the app's (the app paints the index before any scan) lists
        the run folders first and, in a large store, has the stat child take half their numbers while
        the index is read, for the quick scan that likely follows (`_folder_times`)."""
        if not self.cache_first and self._columns.path.exists():
            folders = self._run_folders()
            self._prefetched = (folders, self._take_numbers(self._paths(folders[len(folders) // 2 :]), ("",)))
        super()._load()

    def _scan(self) -> dict[str, list[int]]:
        """Each run folder with `[0, mtime_ns, ctime_ns]` of the folder itself, then `[size, mtime_ns, ctime_ns]`
        of each of RECORD_FILES (`-1, 0, 0` when absent).

        The files themselves, not only their folder: a rewrite in place (an editor, `rsync
        --inplace`) changes a file but not the folder it sits in; the folder's times catch new
        files in it (curation edits).
        """
        scan = self._scan_arrays()
        return dict(zip(scan.units, scan.sig.tolist()))

    def _scan_arrays(
        self, lazy: bool = False, folders: list[str] | None = None, taking: file_stats.Taking | None = None
    ) -> Scan:
        """`_scan` as run folders and an int64 array of their signatures, one row each (and what a quick scan
        matched: `Scan`); with `lazy`, the files of a folder the index does not hold are left PENDING (see
        `run_scan.signatures`), for the read to fill in.

        On one thread: with the folders in the kernel's cache a stat is ~3 µs of mostly
        Python, and threads only fight over the GIL (100,000 runs: 1.7 s on one thread,
        3.5 s on four, measured on 2 cores).
        """
        import numpy as np

        folders = self._run_folders() if folders is None else folders
        width = self.WIDTH
        if not self._quick_scan_allowed(time.time()):
            if taking is not None:
                taking.cancel()
            held_units = set(self._columns.table.units) if lazy else None
            units, flat = signatures(self._root_text, folders, self.RECORD_FILES, held_units, self._odd_paths)
            return Scan(units, np.frombuffer(flat, dtype=np.int64).reshape(len(units), width))  # no copy: 12 MB
        # A quick scan: one stat a folder, compared with the table's signatures as arrays.
        table = self._columns.table
        times = self._folder_times(folders, taking)
        there = np.flatnonzero(times[:, 0] >= 0)
        rows = rows_of(table, [folders[i] for i in there.tolist()])
        known = np.flatnonzero(rows >= 0)
        old = table.sig[rows[known], 1:3]  # the folders' times only: not every number of every run (12 MB)
        same = np.zeros(len(there), dtype=bool)
        same[known] = (
            (old[:, 0] == times[there[known], 0])
            & (old[:, 1] == times[there[known], 1])
            & ~table.values["status"].holds_text("running")[rows[known]]
        )
        stale = np.flatnonzero(~same)  # new, changed or running: their files are stat'ed
        held = {folders[i] for i in there[stale[rows[stale] >= 0]].tolist()} if lazy else None  # in the table
        found, flat = signatures(
            self._root_text, [folders[i] for i in there[stale].tolist()], self.RECORD_FILES, held, self._odd_paths
        )
        still = set(found)
        stale_there = np.array([folders[i] in still for i in there[stale].tolist()], dtype=bool)
        sig = np.zeros((len(there), width), dtype=np.int64)
        sig[same] = table.sig[rows[same]]
        sig[stale[stale_there]] = np.frombuffer(flat, dtype=np.int64).reshape(len(found), width)
        keep = same.copy()  # `same` stays what was taken from the table unchanged
        keep[stale] = stale_there
        if keep.all():
            return Scan([folders[i] for i in there.tolist()], sig, rows, same)
        return Scan([folders[i] for i in there[keep].tolist()], sig[keep], rows[keep], same[keep])

    def _folder_times(self, folders: list[str], taking: file_stats.Taking | None = None) -> Any:
        """`run_scan.folder_times`, its second half taken by a child process (`_take_numbers`, or `taking`,
        started by `_load`) meanwhile: a quick scan of 100,000 runs is mostly these stats (0.3 s of
        syscalls), which two cores halve."""
        import numpy as np

        half = len(folders) // 2
        if taking is None:
            taking = self._take_numbers(self._paths(folders[half:]), ("",))
        if taking is None:
            return folder_times(self._root_text, folders, self._odd_paths)
        mine = folder_times(self._root_text, folders[:half], self._odd_paths)
        theirs = taking.result()
        if theirs is None:
            return np.concatenate([mine, folder_times(self._root_text, folders[half:], self._odd_paths)])
        times = theirs[:, 1:].copy()
        times[theirs[:, 0] == -1] = -1  # gone, as `folder_times` says it
        times[theirs[:, 0] == file_stats.UNKNOWN[0]] = 0  # could not be stat'ed: kept, and read
        return np.concatenate([mine, times])

    def _run_folders(self) -> list[str]:
        """Every run folder as its unit, the trash's too when it is listed; notes the ones that are symbolic
        links out of the store (`_linked_out`) and those whose path is not the root joined with the unit."""
        folders: list[str] = []
        linked_out: set[str] = set()
        odd: dict[str, str] = {}
        real_root = os.path.realpath(self._root_text)
        list_run_folders(self.root, "", folders, linked_out, real_root, odd)
        if self.include_deleted:
            list_run_folders(self.root / layout.TRASH_DIR, f"{layout.TRASH_DIR}/", folders, linked_out, real_root, odd)
        self._linked_out, self._odd_paths = linked_out, odd
        return folders

    def _paths(self, units: list[str]) -> list[str]:
        """The paths of these run folders (`run_scan.paths`)."""
        return list(run_paths(self._root_text, units, self._odd_paths))

    def _quick_scan_allowed(self, now: float) -> bool:
        """Whether this scan may check run folders alone (a quick scan), or must stat their files too.

        A store of QUICK_SCAN_FROM runs or more is scanned in full (five stats a run) every
        FULL_SCAN_SECONDS; in between, a run folder whose own times are as they were keeps
        its files' signature without stat'ing them (one stat a run). Every writer's change and
        every curation edit is a new file or a rename, which changes the folder's times (rsync
        too: it writes a temporary and renames it), so only a rewrite in place of a finished
        run's file (an editor that overwrites, `rsync --inplace`) waits for the next full scan.
        Runs that say `running` are always scanned in full.

        The first listing of a process is quick too when the index says a full scan was done
        less than TRUST_FOLDERS_SECONDS ago (by any process): at 100,000 runs that is 0.3 s
        instead of 1.7 s of a start. The next refresh then scans in full.
        """
        first = self._full_scan_at == 0.0  # the first listing of this process
        if len(self._columns.table) < QUICK_SCAN_FROM:
            self._full_scan_at = now
            if len(self._columns.table) == 0:  # an index being built: the scan about to be done is full
                self._columns.scanned_in_full(now)
            return False
        if first and 0.0 <= now - self._columns.full_scan_at < TRUST_FOLDERS_SECONDS:
            self._full_scan_at = now - FULL_SCAN_SECONDS  # the next refresh scans in full
            return True
        if first or now - self._full_scan_at > FULL_SCAN_SECONDS:
            self._full_scan_at = now
            self._columns.scanned_in_full(now)  # so that another process may trust folders for a while
            return False
        return True

    def _sync(self, now: float) -> set[str]:
        """Re-read what changed; a store whose scan takes long is scanned at most SCAN_SHARE of the time.

        At 100,000 runs a scan is a second or more of a worker thread that shares the GIL with
        the UI: polled every two seconds, it would leave the UI thread half the time. So a
        refresh within `cost / SCAN_SHARE` of the end of the last scan answers "nothing
        changed". Only stores of QUICK_SCAN_FROM runs or more: a small one is always scanned.
        """
        table = self._columns.table
        if self.cache_first and not self.served_from_cache and len(table) >= QUICK_SCAN_FROM:
            # The app's first paint: even one stat a run is 0.3-0.6 s at 100,000 runs; its next poll scans.
            self.served_from_cache = True
            return set(table.values["run_id"].objects().tolist())
        if len(table) >= QUICK_SCAN_FROM and time.monotonic() - self._scanned_at < self._scan_cost / SCAN_SHARE:
            return set()
        import numpy as np

        started = time.monotonic()
        listed, self._prefetched = self._prefetched, None
        folders, taking = listed if listed is not None else (None, None)
        whole = halves = None
        trusting = False
        try:
            if not len(table):  # the first listing with no index
                if taking is not None:  # started for a quick scan (`_load`): this lists in full
                    taking.cancel()
                    taking = None
                trusting = self.cache_first and not self.served_from_cache  # the app's: its next refresh checks
                folders = self._run_folders() if folders is None else folders
                if self.listing_progress is not None and len(folders) > FIRST_BATCH:
                    self._paint_newest(folders, now)
                if trusting and cores() >= 2:  # not before the newest runs' paint: they would take its cores
                    halves = journal_half.start(self._root_text, self._columns.journal_read, self.WIDTH, now)
                whole = self._take_numbers(self._paths(folders), ("",) if trusting else ("", *self.RECORD_FILES))
                trusting = trusting and whole is not None
            if folders and whole is not None:  # a child stats the folders (and their files): none is stat'ed here
                units = folders
                pending = dict(zip(units, range(len(units))))
                if trusting:
                    table = self._fold_first_listing(units, None, pending, now, whole, True, halves)
                    self.served_from_cache = True  # so the app refreshes at once: that scan is full (below)
                    self._full_scan_at = now - 2 * FULL_SCAN_SECONDS
                    self._columns.full_scan_at = 0.0  # nor may an index saved before it say one was made
                else:
                    self._quick_scan_allowed(time.time())  # this is a full scan: noted as one
                    table = self._fold_first_listing(units, None, pending, now, whole)
                changed = self._columns.first_listing(table)
            else:
                scan = self._scan_arrays(lazy=True, folders=folders, taking=taking)
                units, sig = scan.units, scan.sig
                pending = (
                    {units[row]: row for row in np.flatnonzero(sig[:, 3] == PENDING).tolist()} if len(units) else {}
                )
                if pending and not len(table):
                    table = self._fold_first_listing(units, sig, pending, now, halves=halves)
                    changed = self._columns.first_listing(table)
                else:
                    read = self._reader(units, sig, pending)
                    changed = self._columns.update_arrays(units, sig, read, now, scan.rows, scan.matched)
        finally:
            self._first = None
            for child in (taking, whole, halves):  # ended already, unless something above raised
                if child is not None:
                    child.cancel()
        if len(self._columns.table) >= QUICK_SCAN_FROM:
            release_freed_memory()  # the scan's and the reads' arrays, a few tens of MB at 100,000 runs
        self._scanned_at = time.monotonic()
        self._scan_cost = 0.0 if trusting else self._scanned_at - started  # a check due at once is not put off
        return changed

    def _reader(self, units: list[str], sig: Any, pending: dict[str, int]) -> Callable[[str], RunRecord]:
        """The read of a run for `update_arrays`: a `pending` one (its files not stat'ed by the scan)
        folded from its newest listing-journal row if that is still its files', else read from them."""
        rows = self._columns.journal_rows(pending) if pending else {}

        def read(unit: str) -> RunRecord:
            row = pending.get(unit)
            if row is None or unit in self._linked_out:
                return self._read_record_safely(unit)
            files = sig[row].tolist()  # a file the read could not stat stays PENDING: read again next time
            record = journal.fold(rows.get(unit), os.path.join(self._root_text, unit), self.RECORD_FILES, files)
            if record is None:
                record = read_safely(lambda u: self._read_record(u, files), unit)
            sig[row] = files
            return record

        return read

    def _fold_first_listing(
        self,
        units: list[str],
        sig: Any,
        pending: dict[str, int],
        now: float,
        whole: file_stats.Taking | None = None,
        trust_folders: bool = False,
        halves: journal_half.Halves | None = None,
    ) -> Any:
        """A first listing with no index: the journals' rows parsed a chunk at a time, each chunk's records made
        columns at once (memory never holds every run's records: 660 -> 330 MB at 100,000 runs), a row folded
        where it names its run's files as they are now; then the runs no row matched read from their files,
        newest first, a batch at a time.

        With `whole` (a child stat'ing each run folder and its files while the journals are parsed, from
        `_sync`), `sig` is None: the numbers all come from it, and a folder gone meanwhile is
        not listed. Without it (a small store, one core), the files of the runs with a row are stat'ed here.

        With `trust_folders` (the app's first open, whose next refresh scans every file), the child stats
        the folders alone, and a row is folded where its folder's numbers are the folder's now, as a quick
        scan trusts a folder (`_quick_scan_allowed`): every writer's change and curation edit renames a
        file into the folder. A row that says `running` has its files stat'ed too. A 100,000-run first
        open then takes 100,000 stats instead of 500,000, and the parse has the second core to itself.

        The app's first open (`listing_progress`) is this same listing: the runs folded, then each batch read,
        are told to it, so it paints the runs read so far (`partial_frame`) after the newest (`_paint_newest`).
        """
        import numpy as np

        from store.ours.column_index import ColumnTable

        width = self.WIDTH
        report = self.listing_progress if len(pending) > FIRST_BATCH else None
        first = self._first if report is not None and self._first is not None else PartialListing(width)
        self._first = first

        def add(table: ColumnTable) -> None:
            first.add(table)
            if report is not None:
                report(first.read, len(units))

        parts: list[tuple[Any, ColumnTable]] = []

        def hold(rows: list[int], sigs: list[list[int]], records: list[Any]) -> None:
            table = ColumnTable.from_records([units[row] for row in rows], sigs, now, records, width)
            parts.append((np.array(rows, dtype=np.int64), table))

        linked_out = self._linked_out
        foldable = {unit: row for unit, row in pending.items() if unit not in linked_out} if linked_out else pending
        for theirs in self._columns.read_journals(foldable, width, hold, halves):  # the children's: runs listed here
            at = np.fromiter((foldable.get(unit, -1) for unit in theirs.units), dtype=np.int64, count=len(theirs))
            keep = np.flatnonzero(at >= 0)
            if len(keep):
                parts.append((at[keep], theirs if len(keep) == len(theirs) else theirs.take(keep)))
        folded = np.zeros(len(units), dtype=bool)  # folded, or gone: not read
        if whole is not None:
            sig, gone = self._whole_numbers(units, whole)
            folded |= gone
        # A row that names another folder (a copied store's, with other ctimes) is not looked at further.
        heads = [(table.sig[:, :3] == sig[rows, :3]).all(axis=1) for rows, table in parts]
        trusted = [  # a row taken on its folder's numbers alone (not one that says running)
            same & ~table.values["status"].holds_text("running") if trust_folders else np.zeros_like(same)
            for (_, table), same in zip(parts, heads)
        ]
        if whole is not None and not trust_folders:
            files = sig[:, 3:].copy()  # `sig` takes the folded rows' signatures below
        else:
            files = self._files_now(units, [rows[h & ~t] for (rows, _), h, t in zip(parts, heads, trusted)])
        while parts:
            (rows, table), same, trust = parts.pop(0), heads.pop(0), trusted.pop(0)
            match = same & ~folded[rows] & (trust | (table.sig[:, 3:] == files[rows]).all(axis=1))
            keep = np.flatnonzero(match)
            if len(keep):
                folded[rows[keep]] = True
                sig[rows[keep]] = table.sig[keep]
                first.add(table, None if len(keep) == len(table) else keep)  # not a take: a copy of a half at once
                if report is not None and halves is None:  # the table fills a journal chunk at a time
                    report(first.read, len(units))
        if report is not None and halves is not None and first.read:  # once for the two children's halves: a paint
            report(first.read, len(units))  # between them cost a frame of half the runs (~35 MB, 0.5 s)
        rest = sorted(np.flatnonzero(~folded).tolist(), key=lambda row: units[row].rpartition("/")[2], reverse=True)
        batch = FIRST_BATCH if report is not None else READ_BATCH
        for start in range(0, len(rest), batch):
            rows = rest[start : start + batch]
            records = []
            for row in rows:
                files_now = sig[row].tolist()  # a file the read could not stat stays PENDING: read again next time
                records.append(read_safely(partial(self._read_record, sig=files_now), units[row]))
                sig[row] = files_now
            add(ColumnTable.from_records([units[row] for row in rows], sig[rows], now, records, width))
        return first.whole()

    def _take_numbers(self, folders: list[str], names: tuple[str, ...]) -> file_stats.Taking | None:
        """A child process taking `file_stats.numbers(folders, names)` while this one parses, for a listing of
        CHILD_FROM runs or more on a machine of two cores or more; None: they are taken here.

        However busy the machine: the child does only what this process would (the stats), and its
        start is ~20 ms, so at worst it costs that; with a core free, 1.6-2 s at 100,000 runs."""
        if len(folders) < CHILD_FROM or cores() < 2:
            return None
        return file_stats.start(folders, names)

    def _whole_numbers(self, units: list[str], taking: file_stats.Taking) -> tuple[Any, Any]:
        """Every run's signature from the numbers of its folder and files (`_take_numbers` with the name "":
        the folder itself; or of its folder alone, the files then PENDING for a read to stat), taken here if
        the child failed, as `run_scan.signatures` takes them; and which folders are gone."""
        import numpy as np

        names = ("", *self.RECORD_FILES)
        numbers = taking.result()
        if numbers is not None and numbers.shape[1] == 3:  # the folders alone (`trust_folders`): the reads stat files
            sig = np.zeros((len(units), self.WIDTH), dtype=np.int64)
            sig[:, :3] = numbers
            sig[:, 3::3] = PENDING
            sig[sig[:, 0] == file_stats.UNKNOWN[0], :3] = 0
        else:
            sig = file_stats.numbers_array(self._paths(units), names) if numbers is None else numbers.copy()
        gone = sig[:, 0] == -1
        sig[sig[:, 0] == file_stats.UNKNOWN[0]] = [0, 0, 0] + [-1, 0, 0] * len(self.RECORD_FILES)  # read once: damaged
        sig[:, 0] = 0  # a folder's signature starts 0, mtime, ctime
        return sig, gone

    def _files_now(self, units: list[str], wanted: list[Any]) -> Any:
        """The numbers of the record files of the rows `wanted` (arrays of rows: those with a journal row that
        names their folder as it is), stat'ed here; one row a run of `units`, `file_stats.UNKNOWN` elsewhere."""
        import numpy as np

        files = np.empty((len(units), self.WIDTH - 3), dtype=np.int64)
        files[:] = file_stats.UNKNOWN * len(self.RECORD_FILES)
        if wanted:
            asked = np.zeros(len(units), dtype=bool)
            asked[np.concatenate(wanted)] = True
            rows = np.flatnonzero(asked)  # not np.unique: it imports numpy.ma (25 ms)
            files[rows] = file_stats.numbers_array(
                self._paths([units[row] for row in rows.tolist()]), self.RECORD_FILES
            )
        return files

    def _paint_newest(self, folders: list[str], now: float) -> None:
        """The FIRST_PAINT newest runs read from their files and told to `listing_progress`, before the
        stat of every run folder and the read of the listing journals (a second or more at 100,000
        runs); they stay painted until `_fold_first_listing` reads them again."""
        import numpy as np

        from store.ours.column_index import ColumnTable

        assert self.listing_progress is not None
        newest = sorted(folders, key=lambda unit: unit.rpartition("/")[2], reverse=True)[:FIRST_PAINT]
        width = self.WIDTH
        units, flat = signatures(self._root_text, newest, self.RECORD_FILES, (), self._odd_paths)
        sig: Any = np.array(flat, dtype=np.int64).reshape(len(units), width)
        records = []
        for row, unit in enumerate(units):
            files = sig[row].tolist()
            records.append(read_safely(partial(self._read_record, sig=files), unit))
            sig[row] = files
        self._first = PartialListing(width, ColumnTable.from_records(units, sig, now, records, width))
        self.listing_progress(len(units), len(folders))

    def partial_frame(self, metric_stat: str = "last") -> pd.DataFrame:
        from store.ours.column_index import table_frame

        if self._first is None:
            return super().partial_frame(metric_stat)
        return table_frame(self._first.table(), self._statuses, metric_stat)

    def partial_records(self) -> list[RunRecord]:
        if self._first is None:
            return []
        table = self._first.table()
        return [table.record(row) for row in range(len(table))]

    def _sig_time(self, sig: list[int]) -> float:
        """The latest mtime of the record's files (ctime can only be "now", it would never settle)."""
        return max(sig[1::3]) / 1e9

    # -- the listing, from columns (see store/ours/column_index.py) -----------------------------

    def _listing(self) -> Mapping[str, RunRecord]:
        from store.ours.column_index import TableRecords

        return TableRecords(self._columns.table)

    def _running_records(self) -> Iterator[RunRecord]:
        table = self._columns.table
        if not len(table):
            return iter(())
        status = table.values["status"].objects()
        return (table.record(row) for row in (status == "running").nonzero()[0].tolist())

    def _build_frame(self, metric_stat: str) -> pd.DataFrame:
        from store.ours.column_index import table_frame

        if not len(self._columns.table):
            return super()._build_frame(metric_stat)
        return table_frame(self._columns.table, self._statuses, metric_stat)

    def runs_columns(self) -> dict[str, Any] | None:
        import numpy as np

        from store.ours.column_index import table_columns

        with self._lock:
            self._ensure_loaded()
            if not len(self._columns.table):
                return None
            columns = table_columns(self._columns.table, self._statuses, "last")
        running = np.flatnonzero(np.array(columns["status"], dtype=object) == "running")
        if len(running):  # as `runs_frame`: a run still running has its duration up to now
            columns["duration"][running] = time.time() - columns["created"][running]
        return columns

    def log_facts(self) -> dict[str, tuple[float, float, str]]:
        from store.ours.column_index import table_log_facts

        with self._lock:
            self._ensure_loaded()
            return table_log_facts(self._columns.table)

    def _ids_named(self, name: str) -> list[str]:
        table = self._columns.table
        if not len(table):
            return []
        names = table.values["name"].objects()
        return cast("list[str]", table.values["run_id"].objects()[names == name].tolist())

    def experiments(self) -> dict[str, int]:
        import numpy as np

        with self._lock:
            self._ensure_loaded()
            table = self._columns.table
            if not len(table):
                return {}
            names, counts = np.unique(table.values["experiment"].objects().astype(str), return_counts=True)
            return dict(sorted(zip(names.tolist(), counts.tolist())))

    def _read_record(self, unit: str, sig: list[int] | None = None) -> RunRecord:
        """The listing record of a run folder; `sig` as in `run_record.read_files`. A folder that is a
        symbolic link out of the store is not read (a store's runs never lead elsewhere: FORMAT.md)."""
        if unit in self._linked_out:
            experiment, run_id = unit.split("/")[-2:]
            return damaged_record(run_id, experiment, "a symbolic link to a folder outside the store: not read")
        return read_record(self._root_text, unit, sig)

    def run(self, run_id: str) -> RunDetail:
        """One run read fresh from disk (not from the index), with the full metadata."""
        unit = self._unit_of(run_id)
        path = self.root / unit
        record = self._read_record_safely(unit)
        if unit in self._linked_out:  # nothing behind the link is read: no files, no artifacts
            return RunDetail(
                run_id=run_id,
                experiment=record["experiment"],
                name=record["name"],
                status=record["status"],
                created=None,
                ended=None,
                error=record["reason"],
                store=self,
            )
        meta, params, _, _, _, _ = read_files(path)
        git = meta.get("git")
        git = git if isinstance(git, dict) else {}
        command = meta.get("command")
        facts = {
            "host": meta.get("host"),
            "user": meta.get("user"),
            "pid": meta.get("pid"),
            "command": " ".join(map(str, command)) if isinstance(command, list) else command,
            "cwd": meta.get("cwd"),
            "python": meta.get("python"),
            "git_commit": git.get("commit"),
            "git_branch": git.get("branch"),
            "git_dirty": git.get("dirty"),
            "path": str(path),
            "parent": meta.get("parent"),
            "exit_code": meta.get("exit_code"),  # runs of `tracktui run`
            **read_machine(path),
        }
        note = apply_edits("", {}, read_edits(path))[2]
        note = note if note is not None else meta.get(NOTE_FACT)
        if isinstance(note, str) and note:
            facts[NOTE_FACT] = note
        status = record["status"] if record["status"] != "running" else self.status_of(record)
        return RunDetail(
            run_id=run_id,
            experiment=record["experiment"],
            name=record["name"],
            status=status,
            created=record["created"],
            ended=record["ended"],
            params=params,
            tags=record["tags"],
            metrics=record["metrics"],
            facts=facts,
            error=record["reason"] or meta.get("error"),
            last_seen=record["heartbeat"],
            artifacts_dir=path / layout.ARTIFACTS_DIR,
            store=self,
            inputs=read_inputs(path),
        )

    def models(self) -> list[RegisteredModel]:
        from store.ours.registry import read_models  # our registry (store/ours/registry.py)

        return read_models(self.root)

    def history(self, run_id: str, keys: Iterable[str] | None = None) -> pd.DataFrame:
        """Long frame `key, step, time, value` of the run's metric points, in logged order per key."""
        unit = self._unit_of(run_id)
        if unit in self._linked_out:  # a symbolic link out of the store: nothing behind it is read
            return history_frame([])
        return read_histories(self.root / unit / layout.METRICS_DIR, keys)


SCAN_SHARE = 0.2
"""At most this share of the time goes to scanning a large store (see `TrackStore._sync`)."""
QUICK_SCAN_FROM = 5000
FULL_SCAN_SECONDS = 30.0
TRUST_FOLDERS_SECONDS = 600.0
"""How long after a full scan (by any process) a first listing may check run folders alone."""


READ_BATCH = 5000
"""Runs a first listing reads from their files before it makes them columns (`_fold_first_listing`)."""
FIRST_BATCH = 500
"""Runs a first listing with no index reads from their files between two reports to `listing_progress`
(a few tens of ms); a store with fewer runs is listed without reports."""
FIRST_PAINT = 100
"""The newest runs a first listing with no index reports before it looks at the others (a screenful)."""
CHILD_FROM = 20_000
"""A first listing of this many runs or more takes their files' numbers in a child process (`file_stats`):
at 100,000 runs the child's start (~20 ms) buys 1.6 s of stats done on the other core."""
