"""A run's console: what its stdout and stderr printed, kept in the run folder.

Written append-only as raw bytes (ANSI codes and `\\r` included), so a crash loses at most
what was not yet read from the pipe, and a reader never sees a rewritten file. The head
is kept up to `max_bytes - tail_bytes`; past that a marker line is written and only the
*end* of the output is kept, in two alternating tail segments, because the last lines
before a crash are what one looks for. See "Console" in FORMAT.md.

Capturing what a process prints (the pump, ptys) into a `ConsoleLog` is `console_capture.py`'s job.

`final_lines` turns the stored bytes into what a terminal would have left on screen for
each line (the last state of a `\\r` progress bar); sanitizing for display is the
reader's job (`tui.shaping.formatting.printable`).

Beside each console file a small side index (`console.times.txt`, `console.tail.<n>.times.txt`)
says when its bytes were written and from which stream: one `<offset> <time> <o|e|->` line
whenever the stream changes or `TIME_RESOLUTION` has passed, so the console itself stays plain
text for `tail -f` and costs one short write per burst of output. `timed_lines` reads both.
"""

from __future__ import annotations

import bisect
import os
import re
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from store import safe_read
from store.ours import atomic

CONSOLE = "console.log"
TAIL_PATTERN = re.compile(r"^console\.tail\.(\d+)\.log$")
MAX_BYTES = 64 * 1024 * 1024
"""Default cap of a run's console: head plus tail."""
TAIL_BYTES = 8 * 1024 * 1024
"""Of the cap, how much of the end of the output is kept once the head is full."""
MAX_BYTES_ENV = "TRACKTUI_CONSOLE_MAX_BYTES"
FSYNC_INTERVAL = 1.0
TIME_RESOLUTION = 0.1
"""Seconds between two time marks of one stream: the lines of a burst share its first time."""
TIMES_SUFFIX = ".times.txt"
STREAMS = ("o", "e", "-")
"""stdout, stderr, or not known (both through one pty or one pipe: a terminal would not tell either)."""
CAP_MARKER = "\n[tracktui: console output past {head} bytes was cut here; what follows is the end of the output]\n"


def tail_name(n: int) -> str:
    return f"console.tail.{n}.log"


def times_path(part: Path) -> Path:
    """The side index of a console file: `console.log` -> `console.times.txt`."""
    return part.with_name(part.name.removesuffix(".log") + TIMES_SUFFIX)


def default_max_bytes() -> int:
    try:
        return max(1024, int(os.environ.get(MAX_BYTES_ENV, MAX_BYTES)))
    except ValueError:
        return MAX_BYTES


class ConsoleLog:
    """Appends console bytes to a run folder; thread-safe; never raises for a full disk."""

    def __init__(self, run_path: Path, max_bytes: int | None = None, tail_bytes: int | None = None) -> None:
        self.run_path = run_path
        self.max_bytes = default_max_bytes() if max_bytes is None else max_bytes
        self.tail_bytes = min(TAIL_BYTES if tail_bytes is None else tail_bytes, self.max_bytes // 2)
        self.head_bytes = self.max_bytes - self.tail_bytes
        self._lock = threading.Lock()
        self._fd = self._open(run_path / CONSOLE)
        self._times_fd = self._open(times_path(run_path / CONSOLE))
        self._mark: tuple[float, str] | None = None
        self._size = os.fstat(self._fd).st_size
        self._tail_n = -1
        self._tail_size = 0
        if self._size >= self.head_bytes:  # a resumed run whose console was capped already
            tails = [int(m.group(1)) for name in os.listdir(run_path) if (m := TAIL_PATTERN.match(name))]
            os.close(self._fd)
            self._tail_n = max(tails, default=-1) + 1
            self._fd = self._open(run_path / tail_name(self._tail_n))
            self._new_times(run_path / tail_name(self._tail_n))
            if self._tail_n >= 2:
                _drop_part(run_path / tail_name(self._tail_n - 2))
        self._last_sync = time.monotonic()
        self._failed = False
        self.total = self._size
        """Bytes the command printed so far (kept or not)."""

    def moved(self, run_path: Path) -> None:
        """The run folder was renamed (into the experiment its script named): later segments go there."""
        with self._lock:
            self.run_path = run_path

    @staticmethod
    def _open(path: Path, truncate: bool = False) -> int:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        return os.open(path, flags | (os.O_TRUNC if truncate else 0), atomic.FILE_MODE)

    def write(self, data: bytes, stream: str = "-") -> None:
        """Append `data`, which `stream` printed (`o` stdout, `e` stderr, `-` not known)."""
        if not data:
            return
        with self._lock:
            if self._fd < 0:
                return
            self.total += len(data)
            try:
                self._write(data, stream)
                if time.monotonic() - self._last_sync >= FSYNC_INTERVAL:
                    os.fsync(self._fd)
                    self._last_sync = time.monotonic()
            except OSError as exc:
                if not self._failed:
                    self._failed = True
                    print(
                        f"tracktui: cannot keep the console of {self.run_path} ({exc}); output still shows "
                        f"in the terminal",
                        file=sys.stderr,
                        flush=True,
                    )

    def _write(self, data: bytes, stream: str) -> None:
        if self._tail_n < 0:
            room = self.head_bytes - self._size
            self._time_mark(self._size, stream)
            if len(data) <= room:
                write_all(self._fd, data)
                self._size += len(data)
                return
            write_all(self._fd, data[:room] + CAP_MARKER.format(head=self.head_bytes).encode())
            self._size = self.head_bytes
            data = data[room:]
            self._next_segment()
        segment = max(1, self.tail_bytes // 2)
        while data:
            room = segment - self._tail_size
            if room <= 0:
                self._next_segment()
                continue
            piece, data = data[:room], data[room:]
            self._time_mark(self._tail_size, stream)
            write_all(self._fd, piece)
            self._tail_size += len(piece)

    def _next_segment(self) -> None:
        """Start tail segment n+1 and drop n-1: the kept end is always the last one or two segments."""
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = -1
        self._tail_n += 1
        self._fd = self._open(self.run_path / tail_name(self._tail_n), truncate=True)
        self._new_times(self.run_path / tail_name(self._tail_n), truncate=True)
        self._tail_size = 0
        if self._tail_n >= 2:
            _drop_part(self.run_path / tail_name(self._tail_n - 2))

    def _new_times(self, part: Path, truncate: bool = False) -> None:
        if self._times_fd >= 0:
            os.close(self._times_fd)
        self._times_fd = self._open(times_path(part), truncate=truncate)
        self._mark = None

    def _time_mark(self, offset: int, stream: str) -> None:
        """Note when the bytes at `offset` of the current file came, if the stream changed or
        `TIME_RESOLUTION` passed. Times are a help, not the record: a failed write drops them."""
        now = time.time()
        if self._times_fd < 0 or (
            self._mark is not None and self._mark[1] == stream and now - self._mark[0] < TIME_RESOLUTION
        ):
            return
        self._mark = (now, stream)
        try:
            write_all(self._times_fd, f"{offset} {now:.3f} {stream}\n".encode())
        except OSError:
            os.close(self._times_fd)
            self._times_fd = -1

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                try:
                    os.fsync(self._fd)
                except OSError:
                    pass
                os.close(self._fd)
                self._fd = -1
            if self._times_fd >= 0:
                os.close(self._times_fd)
                self._times_fd = -1


def _drop_part(part: Path) -> None:
    part.unlink(missing_ok=True)
    times_path(part).unlink(missing_ok=True)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


# -- reading ------------------------------------------------------------------------------


def console_parts(run_path: Path, head_name: str = CONSOLE) -> list[Path]:
    """The files that hold a run's console, in order: the head, then the kept tail segments.

    `head_name` names another tool's single console file (W&B's `files/output.log`), which has no tails.
    """
    head = run_path / head_name
    if not head.exists():
        return []
    if head_name != CONSOLE:
        return [head]
    tails = sorted(
        (int(m.group(1)), run_path / name) for name in os.listdir(run_path) if (m := TAIL_PATTERN.match(name))
    )
    return [head, *(path for _, path in tails[-2:])]


def read_console(run_path: Path, head_name: str = CONSOLE, *, kept_end_only: bool = False) -> bytes:
    """The whole stored console; when capped, the older tail segment starts at a line boundary.
    `kept_end_only`: only the tail segments (empty when the console was never capped), for a
    reader that pages the head from disk."""
    chunks: list[bytes] = []
    for i, path in enumerate(console_parts(run_path, head_name)):
        if i == 0 and kept_end_only:
            continue
        try:
            data = safe_read.read_bytes(path, cap=None)  # regular files only: a FIFO would hang the reader
        except OSError:
            continue  # a segment dropped while we read, or not a regular file
        if i == 1 and len(console_parts(run_path)) == 3:
            cut = data.find(b"\n")
            data = data[cut + 1 :] if cut >= 0 else b""
        chunks.append(data)
    return b"".join(chunks)


def timed_lines(run_path: Path, head_name: str = CONSOLE) -> list[tuple[float | None, str, str]]:
    """`(time, stream, line)` of every line of the stored console, lines as `final_lines` gives
    them: when the line's first bytes were written and by which stream (`o`, `e`, `-`), from the
    side index; `(None, "-", line)` where there is none (a run from before it, another tool's file)."""
    parts = console_parts(run_path, head_name)
    out: list[tuple[float | None, str, str]] = []
    for i, path in enumerate(parts):
        try:
            data = safe_read.read_bytes(path, cap=None)
        except OSError:
            continue
        offsets, marks = _read_marks(path) if head_name == CONSOLE else ([], [])
        start = data.find(b"\n") + 1 if i == 1 and len(parts) == 3 else 0  # the older tail starts mid-line
        while start < len(data):
            end = data.find(b"\n", start)
            end = len(data) if end < 0 else end
            at = bisect.bisect_right(offsets, start) - 1
            when, stream = marks[at] if at >= 0 else (None, "-")
            out.append((when, stream, final_line(data[start:end].decode("utf-8", "replace"))))
            start = end + 1
    return out


def _read_marks(part: Path) -> tuple[list[int], list[tuple[float | None, str]]]:
    """The side index of `part`: offsets ascending, and (time, stream) at each; a damaged line is skipped."""
    try:
        text = safe_read.read_text(times_path(part), cap=safe_read.SMALL_FILE_CAP, errors="replace")
    except OSError:
        return [], []
    found: dict[int, tuple[float | None, str]] = {}
    for line in text.splitlines():
        fields = line.split(" ")
        if len(fields) != 3 or fields[2] not in STREAMS:
            continue
        try:
            offset, when = int(fields[0]), float(fields[1])
        except ValueError:
            continue
        found[offset] = (when if when == when else None, fields[2])
    offsets = sorted(found)
    return offsets, [found[o] for o in offsets]


def final_lines(text: str) -> list[str]:
    """Each line as a terminal leaves it: text after a `\\r` overwrites the line from its start.

    `a\\rb` is `b`, `100%\\r50` is `500%` (as on a screen), `x\\r\\n` is `x`. A trailing line without
    a newline is included. ANSI escape codes are left in (count as text here).
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [final_line(line) for line in lines]


def final_line(line: str) -> str:
    """One line (no `\\n`) as a terminal leaves it: see `final_lines`."""
    return _overlay(line) if "\r" in line else line


def _overlay(line: str) -> str:
    shown = ""
    for part in line.split("\r"):
        shown = part + shown[len(part) :]
    return shown


def iter_new_lines(chunks: Iterable[bytes]) -> Iterable[str]:
    """Complete lines from a stream of chunks (for following a live console)."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        *done, pending = pending.split(b"\n")
        for line in done:
            yield from final_lines(line.decode("utf-8", "replace"))
    if pending:
        yield from final_lines(pending.decode("utf-8", "replace"))
