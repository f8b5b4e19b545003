"""A long listing journal parsed by two child processes, a half each, while this one waits for them.

The app's first open of a store after a sweep folds the listing journal (store/ours/journal.py)
into its first listing. At 100,000 runs that parse and the columns made of it are about 2 s of
CPU: the longest step of the open, once the run folders are stat'ed by another child in a
fraction of that (`TrackStore._fold_first_listing`, `trust_folders`). So each core parses half:
a child makes the column table of its rows with the same code (`journal.read_in_chunks`,
`ColumnTable.from_records`, each run's newest row) and writes it as an index file is written
(store/ours/column_file.py) into a file with no name, its stdout, which this process loads in a
few tens of ms and folds as it would its own chunks. Nothing is trusted more for it: a row is
folded only where it names its run's folder as it is now.

Why children, and not this process, for both halves: a parse leaves this process's memory
pinned by the few objects that outlive it (each run's id and name, allocated among the parse's
garbage): parsing half the 100,000 here grew it by ~60 MB, where the loaded table of that half
costs 31 MB. And the app's UI thread then shares this process's GIL with nothing heavy.

They start once the newest runs are painted (`TrackStore._sync`), at the default priority: before,
they took the cores that paint needed; niced, a busy machine (a training on every core) starved
them while this process waited. A child that cannot start, fails, or takes too long leaves its
half to this process. Each is a fresh `python -c` (as `store.formats.tailed.read_in_pool`'s are)
that imports numpy and msgspec, ~0.15 s, so only journals with HALF_FROM bytes or more to read
are parsed this way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from typing import IO, Any

from store.ours import journal

HALF_FROM = 16 * 1024 * 1024
"""Journal bytes to read before children pay for their start: about 15,000 runs' rows, 0.3 s of parsing."""
CHILD_SECONDS = 60.0
"""How long a child may take (beyond `CHILD_SECONDS_A_MB` a megabyte) before its half is read here."""
CHILD_SECONDS_A_MB = 0.5
KIND = "journal-half"
"""The kind its table file is written and checked as."""
CHILD = "import sys; sys.path[0] = sys.argv[1]; from store.ours.journal_half import child_main; child_main()"
"""`python -c` puts the working folder first on the path: the folder holding this `store` takes its place
(a `store` package in the working folder, the user's own, is not ours; nor is one installed elsewhere)."""
HOME = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
"""The folder holding this `store` package: the children import it from there."""


Range = tuple[str, int, int, int]
"""A part of one journal: its name, its inode, where the part starts and where it ends (bytes)."""
ReadHere = Callable[[Mapping[str, tuple[int, int]], Mapping[str, tuple[int, int]], list[str]], journal.Offsets]
"""`journal.read_in_chunks` of some journals from `since` up to `stops`, only those named, into the listing."""


class Halves:
    """Two children parsing the two halves of each long journal (`start`); `tables` waits for theirs."""

    def __init__(self, root: str, cuts: dict[str, tuple[int, int, int, int]], width: int, read_at: float) -> None:
        self.stops = {name: (ino, begin) for name, (ino, begin, _, _) in cuts.items()}
        """Where this process stops reading each journal: at the start of what the children read."""
        self._cuts = cuts
        halves = (
            [(name, ino, begin, cut) for name, (ino, begin, cut, _) in cuts.items()],
            [(name, ino, cut, end) for name, (ino, _, cut, end) in cuts.items()],
        )
        self._children = [_Child(root, ranges, width, read_at) for ranges in halves]

    def tables(self, width: int, read_here: ReadHere) -> tuple[list[Any], journal.Offsets]:
        """The children's tables (of every run their halves name), and how far each journal is now read; the
        half of a child that failed is read here instead (`read_here`), its rows going where this process's go.

        A journal counts as read up to the end of its first half only if that half was read whole."""
        tables: list[Any] = []
        reached: dict[str, int] = {}
        for child in self._children:
            got = child.result(width)
            if got is not None:
                tables.append(got[0])
            for name, ino, at, end in child.ranges:
                done = got[1].get(name) if got is not None else None
                if done is None:
                    done = read_here({name: (ino, at)}, {name: (ino, end)}, [name]).get(name, (ino, at))[1]
                if reached.get(name, at) == at:  # read whole up to here: the next read starts where this stopped
                    reached[name] = done if done == end or child is self._children[-1] else -1
        cuts = self._cuts.items()
        return tables, {name: (ino, reached[name]) for name, (ino, *_) in cuts if reached.get(name, -1) >= 0}

    def cancel(self) -> None:
        for child in self._children:
            child.cancel()


class _Child:
    """One child parsing some ranges of journals into a table, written to a temporary file with no name (its
    stdout): nothing is left behind however either process ends."""

    def __init__(self, root: str, ranges: list[Range], width: int, read_at: float) -> None:
        self.ranges = ranges
        self._proc: subprocess.Popen[bytes] | None = None
        self._out: IO[bytes] | None = None
        try:
            self._out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by `cancel`
            self._proc = subprocess.Popen(
                [sys.executable, "-c", CHILD, HOME],
                stdin=subprocess.PIPE,
                stdout=self._out,
                stderr=subprocess.DEVNULL,
                close_fds=True,
            )
            assert self._proc.stdin is not None
            job = {"root": root, "ranges": ranges, "width": width, "read_at": read_at}
            self._proc.stdin.write(json.dumps(job).encode())  # a few hundred bytes: the pipe takes them at once
            self._proc.stdin.close()
        except (OSError, ValueError):
            self.cancel()

    def result(self, width: int) -> tuple[Any, dict[str, int]] | None:
        """The child's table, and where it stopped in each journal it read to the end of its range; None
        when it failed (its ranges are then read here)."""
        from store.ours.column_file import read_table

        if self._proc is None or self._out is None:
            return None
        size = sum(end - at for _, _, at, end in self.ranges)
        try:
            code = self._proc.wait(timeout=CHILD_SECONDS + CHILD_SECONDS_A_MB * size / 2**20)
            self._out.seek(0)
            loaded = read_table(self._out, KIND, width) if code == 0 else None
        except (subprocess.TimeoutExpired, OSError):
            loaded = None
        finally:
            self.cancel()
        if loaded is None:
            return None
        table = loaded[0]
        done = {name: table.meta.get(name) for name, *_ in self.ranges}
        return table, {name: at for name, at in done.items() if type(at) is int}

    def cancel(self) -> None:
        """Stop the child if it still runs, and close its output."""
        if self._proc is not None:
            try:
                self._proc.kill()
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self._out is not None:
            self._out.close()


def start(root: str, since: Mapping[str, tuple[int, int]], width: int, read_at: float) -> Halves | None:
    """Two children parsing the halves of each journal of `root` with HALF_FROM bytes or more to read since
    `since`; None when there is none."""
    cuts = journal.halves(root, since, HALF_FROM)
    if not cuts:
        return None
    return Halves(root, cuts, width, read_at)


class _Met(dict[str, int]):
    """The child's units: every unit is asked for (the parent drops the rows of runs it does not list),
    each numbered as it is met, as `read_in_chunks` numbers a row by its run's place in the scan."""

    def __init__(self) -> None:
        super().__init__()
        self.units: list[str] = []

    def __missing__(self, unit: str) -> int:
        self.units.append(unit)
        row = self[unit] = len(self.units) - 1
        return row

    def __contains__(self, unit: object) -> bool:
        return True

    def __len__(self) -> int:
        return sys.maxsize


def child_main() -> None:
    """The child: the job (JSON) on stdin; writes the table of its rows to the job's `out`, with where it
    stopped in each journal it read to the end of its range in the table's `meta` (name -> offset)."""
    import numpy as np

    from store.ours.column_file import write_table
    from store.ours.column_index import ColumnTable

    job = json.loads(sys.stdin.read())
    root, width, read_at = str(job["root"]), int(job["width"]), float(job["read_at"])
    met = _Met()
    tables: list[ColumnTable] = []

    def take(rows: list[int], sigs: list[list[int]], records: list[Any]) -> None:
        tables.append(ColumnTable.from_records([met.units[row] for row in rows], sigs, read_at, records, width))

    done: dict[str, int] = {}
    for name, ino, at, end in job["ranges"]:
        offsets = journal.read_in_chunks(root, met, {name: (ino, at)}, width, take, {name: (ino, end)}, [name])
        if offsets.get(name, (None, 0))[0] == ino:
            done[name] = offsets[name][1]
    table = ColumnTable.concat(tables) if tables else ColumnTable.empty(width)
    newest = dict(zip(table.units, range(len(table))))  # a run's row of a later chunk is newer
    if len(newest) < len(table):  # its rows in two chunks (created, then finished): an older never folds
        table = table.take(np.fromiter(sorted(newest.values()), dtype=np.int64, count=len(newest)))
    table.meta = done
    with open(sys.stdout.fileno(), "wb", closefd=False) as out:
        write_table(table, out, KIND)
