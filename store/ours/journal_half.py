"""The later half of a long listing journal, parsed by a child process while this one parses the first half.

The app's first open of a store after a sweep folds the listing journal (store/ours/journal.py)
into its first listing. At 100,000 runs that parse and the columns made of it are about 2 s of
CPU held under one GIL: the longest step of the open, while the app's folders are stat'ed by
another child in a fraction of that (`TrackStore._fold_first_listing`, `trust_folders`). So the
second core parses the journal's later half: the child makes the column table of its rows with
the same code (`journal.read_in_chunks`, `ColumnTable.from_records`) and writes it as an index
file does (store/ours/column_file.py), which this process loads in a few tens of ms and folds
as it folds its own chunks. Nothing is trusted more for it: a row is folded only where it
names its run's folder as it is now, whichever process parsed it.

A child that cannot start, fails, or takes too long leaves its half to this process.
The child is a fresh `python -c` (as `store.formats.tailed.read_in_pool`'s are): it imports
numpy and msgspec, ~0.15 s, so only a journal of HALF_FROM bytes or more to read is split.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from typing import Any

from store.ours import journal
from store.process import child_env

HALF_FROM = 16 * 1024 * 1024
"""Journal bytes to read before a child pays for its start: about 15,000 runs' rows, 0.3 s of parsing."""
CHILD_SECONDS = 60.0
"""How long the child may take (beyond `CHILD_SECONDS_A_MB` a megabyte) before its half is read here."""
CHILD_SECONDS_A_MB = 0.5
TABLE = "table.npz"
KIND = "journal-half"
"""The kind its table file is written and checked as."""
CHILD = (
    "import sys; sys.path.remove('') if '' in sys.path else None; "
    "from store.ours.journal_half import child_main; child_main()"
)
"""`python -c` puts the working folder first on the path: a `store` package there (the user's own) is not ours."""


class Half:
    """A child parsing the later half of some journals (`start`); `result` waits for its table."""

    def __init__(self, proc: subprocess.Popen[bytes], folder: str, cuts: dict[str, tuple[int, int, int, int]]) -> None:
        self._proc, self._folder, self._cuts = proc, folder, cuts
        self.stops = {name: (ino, cut) for name, (ino, _, cut, _) in cuts.items()}
        """Where this process stops reading each journal: the child reads on from there (or, if it failed, this one)."""

    def result(self, width: int) -> tuple[Any, journal.Offsets] | None:
        """The child's table and how far it read each journal; None when it failed (its half is read here)."""
        from store.ours.column_file import load_table

        size = sum(end - cut for _, _, cut, end in self._cuts.values())
        try:
            code = self._proc.wait(timeout=CHILD_SECONDS + CHILD_SECONDS_A_MB * size / 2**20)
            loaded = load_table(os.path.join(self._folder, TABLE), KIND, width) if code == 0 else None
        except (subprocess.TimeoutExpired, OSError):
            loaded = None
        finally:
            self.cancel()
        if loaded is None:
            return None
        table = loaded[0]
        offsets: journal.Offsets = {}
        for name, (ino, _, _, _) in self._cuts.items():
            done = table.meta.get(name)
            if type(done) is not int:
                return None  # a half not read to its end is read here, whole
            offsets[name] = (ino, done)
        return table, offsets

    def cancel(self) -> None:
        """Stop the child if it still runs, and remove its folder."""
        import shutil

        try:
            self._proc.kill()
            self._proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self._folder, ignore_errors=True)


def start(root: str, since: Mapping[str, tuple[int, int]], width: int, read_at: float) -> Half | None:
    """A child parsing the later half of each journal of `root` with HALF_FROM bytes or more to read since
    `since`; None when there is none, or no child could be started."""
    cuts = journal.halves(root, since, HALF_FROM)
    if not cuts:
        return None
    try:
        folder = tempfile.mkdtemp(prefix="tracktui-journal-")
    except OSError:
        return None
    job = {
        "root": root,
        "ranges": [[name, ino, cut, end] for name, (ino, _, cut, end) in cuts.items()],
        "width": width,
        "read_at": read_at,
        "out": os.path.join(folder, TABLE),
    }
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=child_env(),
            close_fds=True,
        )
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(job).encode())  # a few hundred bytes: the pipe takes them at once
        proc.stdin.close()
    except (OSError, ValueError):
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        return None
    return Half(proc, folder, cuts)


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
    """The child: the job (JSON) on stdin; writes the table of its rows to the job's `out`, with how far it
    read each journal in the table's `meta` (name -> offset)."""
    from store.ours.column_file import save_table
    from store.ours.column_index import ColumnTable

    job = json.loads(sys.stdin.read())
    root, width, read_at = str(job["root"]), int(job["width"]), float(job["read_at"])
    met = _Met()
    tables: list[ColumnTable] = []

    def take(rows: list[int], sigs: list[list[int]], records: list[Any]) -> None:
        tables.append(ColumnTable.from_records([met.units[row] for row in rows], sigs, read_at, records, width))

    done: dict[str, int] = {}
    for name, ino, cut, end in job["ranges"]:
        offsets = journal.read_in_chunks(root, met, {name: (ino, cut)}, width, take, {name: (ino, end)}, [name])
        if offsets.get(name, (None, 0))[0] == ino:
            done[name] = offsets[name][1]
    table = ColumnTable.concat(tables) if tables else ColumnTable.empty(width)
    table.meta = done
    save_table(table, str(job["out"]), KIND)
