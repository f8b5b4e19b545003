"""The numbers of the record files of many run folders, taken on the other core while this one parses.

A first listing with no index checks each listing-journal row against its run's files: four
stats a run, 1.6 s of a 100,000-run listing, most of it in the kernel. Parsing the journal
needs none of them, so a large listing has a child process take them (`start`) while it
parses, and compares the rows with them afterwards. The child is this file run as a script
(`python -I -S file_stats.py NAME...`, the standard library only: it starts in ~15 ms): it
reads NUL-separated folder paths on stdin (a temporary file) and writes, for each folder and each NAME, the
file's `size, mtime_ns, ctime_ns` as native int64 to its stdout, a temporary file (a pipe
would stall it until the parser came to read). `numbers` is the same work done here.

The numbers are those `journal._now` takes for one run: `-1, 0, 0` for a file that is not
there, UNKNOWN for one that could not be stat'ed (a row never matches it: the run is read).
The name "" takes the folder's own numbers (`stat("folder/")`).
"""

from __future__ import annotations

import os
import sys
from array import array
from collections.abc import Sequence
from typing import IO, Any

UNKNOWN = (-3, 0, 0)
"""A file's numbers when it could not be stat'ed (no size is negative but the -1 of a missing file)."""
CHILD = os.path.abspath(__file__)
"""The script the child runs: this file."""
CHILD_SECONDS = 30.0
"""How long the child may take beyond `CHILD_SECONDS_A_FOLDER` a folder before its numbers are taken here."""
CHILD_SECONDS_A_FOLDER = 0.001
REAP_SECONDS = 5.0
"""How long a killed child is waited for."""


def numbers(folders: Sequence[str], names: Sequence[str]) -> array[int]:
    """`size, mtime_ns, ctime_ns` of each of `names` in each folder, one after another (see the module's doc)."""
    stat = os.stat
    out: array[int] = array("q")
    add = out.extend
    seps = [os.sep + name for name in names]
    for folder in folders:
        for sep in seps:
            try:
                st = stat(folder + sep)
                add((st.st_size, st.st_mtime_ns, st.st_ctime_ns))
            except (FileNotFoundError, NotADirectoryError):
                add((-1, 0, 0))
            except (OSError, ValueError):
                add(UNKNOWN)
    return out


def numbers_array(folders: Sequence[str], names: Sequence[str]) -> Any:
    """`numbers` as an int64 array of one row a folder, taken here (writable: it is the array's own buffer)."""
    import numpy as np

    return np.frombuffer(numbers(folders, names), dtype=np.int64).reshape(len(folders), 3 * len(names))


class Taking:
    """The child taking the numbers of some folders (`start`); `result` waits for them."""

    def __init__(self, proc: Any, out: IO[bytes], count: int, width: int) -> None:
        self._proc, self._out, self._count, self._width = proc, out, count, width

    def cancel(self) -> None:
        """Stop the child, whose numbers are not wanted after all (nothing, once `result` has them)."""
        self._stop()
        self._out.close()

    def _stop(self) -> None:
        """Kill the child and reap it, waiting a bounded time: one stuck in a stat of a hung network mount
        cannot be reaped, and is left to the system rather than hang this process."""
        import subprocess

        try:
            self._proc.kill()
            self._proc.wait(timeout=REAP_SECONDS)
        except (OSError, subprocess.TimeoutExpired):
            pass

    def result(self) -> Any:
        """The numbers as an int64 array of one row a folder, or None when the child failed (take them here)."""
        import subprocess

        import numpy as np

        size = 8 * self._count * self._width
        try:
            try:
                code = self._proc.wait(timeout=CHILD_SECONDS + CHILD_SECONDS_A_FOLDER * self._count)
            except subprocess.TimeoutExpired:
                self._stop()
                return None
            self._out.seek(0)
            data = self._out.read(size + 1)  # no more than the numbers asked for, whatever the child wrote
        except OSError:
            return None
        finally:
            self._out.close()
        if code != 0 or len(data) != size:
            return None
        return np.frombuffer(data, dtype=np.int64).reshape(self._count, self._width)


def start(folders: Sequence[str], names: Sequence[str]) -> Taking | None:
    """A child taking `numbers(folders, names)`; None when one cannot be started (take them here).

    The folders are handed over in a temporary file, not a pipe: a child that never reads them
    (hung at its start) must not block this process in a write; `Taking.result` bounds the wait."""
    import subprocess
    import tempfile

    try:
        out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to `Taking`, which closes it
    except OSError:
        return None
    try:
        with tempfile.TemporaryFile() as given:
            given.write(os.fsencode("\0".join(folders)))  # one encode: 100,000 of them cost 30 ms
            given.seek(0)
            proc = subprocess.Popen(
                [sys.executable, "-I", "-S", CHILD, *names],
                stdin=given,
                stdout=out,
                stderr=subprocess.DEVNULL,
                close_fds=True,
            )
    except (OSError, ValueError):  # no child
        out.close()
        return None
    return Taking(proc, out, len(folders), 3 * len(names))


def _child() -> None:
    data = sys.stdin.buffer.read()
    folders = [os.fsdecode(folder) for folder in data.split(b"\0")] if data else []
    sys.stdout.buffer.write(numbers(folders, sys.argv[1:]).tobytes())


if __name__ == "__main__":
    _child()
