"""Where the lines of a big text file start, found without ever holding the file in memory.

The idea is toolong's: a background thread walks the file once in large chunks and
remembers line offsets; a viewer then reads only the few lines it shows. To keep memory
flat even for files with tens of millions of lines, only every `STRIDE`-th line start is
kept (a checkpoint); reading line *n* seeks to the checkpoint before it and skips at most
`STRIDE - 1` lines. A 500 MB log of 80-byte lines needs about 1.5 MB of checkpoints.

`LineIndex.feed` takes the file's bytes chunk by chunk (in order), so a worker can build
the index incrementally and a viewer can show the lines indexed so far while it runs.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    import numpy as np
else:
    from ..shaping.lazy_modules import np


STRIDE = 32
"""Keep the start offset of every STRIDE-th line."""
CHUNK_BYTES = 8 * 1024 * 1024
"""How much of the file one indexing step reads."""
FIRST_CHUNK_BYTES = 256 * 1024
"""The first step is small so the first screenful can show at once."""
MAX_LINE_BYTES = 4096
"""Longer lines are cut here when read for display; the rest is skipped, not read into memory."""


class LineIndex:
    """Sparse line offsets of one file, built from its bytes in order.

    Thread-safety: one thread feeds, others may call `locate`/`read_lines` at the same
    time; they see the lines indexed so far (`line_count` only grows after the
    checkpoints it depends on exist).
    """

    def __init__(self, stride: int = STRIDE) -> None:
        self.stride = stride
        self.checkpoints = array("Q", [0])
        self.newlines = 0
        """Newline bytes seen so far."""
        self.bytes_indexed = 0
        self.max_line_bytes = 0
        """The longest line seen so far, in bytes (without its newline)."""
        self.complete = False
        self._last_newline = -1
        self._line_count = 0

    @property
    def line_count(self) -> int:
        """Lines known so far: complete lines, plus a final line without a newline once complete."""
        return self._line_count

    def feed(self, chunk: bytes) -> None:
        """Index the next `chunk` of the file."""
        if not chunk:
            return
        base = self.bytes_indexed
        found = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
        if len(found):
            positions = found + base
            first = (-self.newlines - 1) % self.stride
            starts = positions[first :: self.stride] + 1
            self.checkpoints.frombytes(starts.astype(np.uint64).tobytes())
            previous = np.empty(len(positions), dtype=np.int64)
            previous[0] = self._last_newline
            previous[1:] = positions[:-1]
            longest = int((positions - previous).max()) - 1
            self.max_line_bytes = max(self.max_line_bytes, longest)
            self._last_newline = int(positions[-1])
            self.newlines += len(positions)
        self.bytes_indexed = base + len(chunk)
        self.max_line_bytes = max(self.max_line_bytes, self.bytes_indexed - self._last_newline - 1)
        self._line_count = self.newlines

    def finish(self) -> None:
        """Mark the end of the file: a last line without a trailing newline now counts."""
        if self.bytes_indexed > self._last_newline + 1:
            self._line_count = self.newlines + 1
        else:
            self._line_count = self.newlines
        self.complete = True

    def locate(self, line: int) -> tuple[int, int]:
        """The byte offset of the checkpoint at or before `line`, and how many lines to skip from it."""
        if line < 0 or line >= max(self._line_count, 1):
            raise IndexError(f"line {line} is outside the {self._line_count} lines indexed")
        return self.checkpoints[line // self.stride], line % self.stride


def build_index(
    fh: BinaryIO,
    index: LineIndex,
    *,
    chunk_bytes: int = CHUNK_BYTES,
    cancelled: Callable[[], bool] = lambda: False,
) -> Iterator[LineIndex]:
    """Feed `fh` into `index` chunk by chunk, yielding after each chunk (for progress).

    Stops early, leaving the index incomplete, when `cancelled()` turns true.
    """
    size = min(FIRST_CHUNK_BYTES, chunk_bytes)
    while not cancelled():
        chunk = fh.read(size)
        size = chunk_bytes
        if not chunk:
            index.finish()
            yield index
            return
        index.feed(chunk)
        yield index


def index_file(path: str | os.PathLike[str], *, chunk_bytes: int = CHUNK_BYTES) -> LineIndex:
    """Index a whole file at once (for tests and small files)."""
    index = LineIndex()
    with open(path, "rb") as fh:
        for _ in build_index(fh, index, chunk_bytes=chunk_bytes):
            pass
    return index


def read_lines(
    fh: BinaryIO, index: LineIndex, start: int, count: int, *, max_bytes: int = MAX_LINE_BYTES
) -> list[tuple[bytes, int]]:
    """Lines `start` .. `start + count - 1` (those that exist) as (bytes, bytes cut off).

    Line endings (`\\n`, `\\r\\n`) are removed. A line longer than `max_bytes` comes back
    cut to `max_bytes` with the number of bytes skipped; the skipped part is read in
    small pieces and dropped, so one enormous line never lands in memory.
    """
    end = min(start + count, index.line_count)
    if start >= end:
        return []
    offset, skip = index.locate(start)
    fh.seek(offset)
    out: list[tuple[bytes, int]] = []
    line_no = start - skip
    while line_no < end:
        head = fh.readline(max_bytes + 1)
        if not head:
            break
        dropped = 0
        if not head.endswith(b"\n") and len(head) > max_bytes:
            dropped = len(head) - max_bytes
            head = head[:max_bytes]
            while True:
                rest = fh.readline(64 * 1024)
                if not rest:
                    break
                if rest.endswith(b"\n"):
                    dropped += len(rest) - 1
                    break
                dropped += len(rest)
        if line_no >= start:
            if head.endswith(b"\n"):
                head = head[:-1]
            if head.endswith(b"\r"):
                head = head[:-1]
            out.append((head, dropped))
        line_no += 1
    return out
