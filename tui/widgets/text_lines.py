"""The lines a `LazyText` shows: already in memory (`MemoryLines`) or read from a file on demand
(`FileLines`), sanitized and highlighted the same way.

Artifact text is data: every line goes through `printable_block` (escape codes and other control
characters become visible symbols) and is never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from textual.content import Content

from ..artifacts.files import open_regular
from ..artifacts.line_index import MAX_LINE_BYTES, LineIndex, read_lines
from ..shaping.sanitize import printable_block

DisplayLine = tuple[Content, int]
"""A line ready to draw, and how many bytes of it were cut off (0 for whole lines)."""


def to_display_lines(texts: Sequence[str], language: str | None) -> list[Content]:
    """Sanitize and (when `language` is known) highlight lines together, one Content each."""
    clean = [printable_block(t) for t in texts]
    if not language or not clean:
        return [Content(t) for t in clean]
    from textual.highlight import highlight  # pygments: not loaded for the first screen

    lines = highlight("\n".join(clean), language=language).split("\n", allow_blank=True)
    if len(lines) != len(clean):
        return [Content(t) for t in clean]
    return lines


def decode(data: bytes) -> tuple[str, bool]:
    """Text from bytes, and whether any were not valid UTF-8 (those show as U+FFFD)."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), True


class MemoryLines:
    """Lines already in memory: a small file, a diff, a message."""

    needs_io = False
    complete = True

    def __init__(self, lines: list[DisplayLine]) -> None:
        self.lines = lines
        self.max_width = max((c.cell_length + (12 if cut else 0) for c, cut in lines), default=0)

    @classmethod
    def from_text(cls, text: str, language: str | None = None) -> MemoryLines:
        raw = text.split("\n")
        if raw and raw[-1] == "":
            raw.pop()
        cut = [len(t) - MAX_LINE_BYTES if len(t) > MAX_LINE_BYTES else 0 for t in raw]
        raw = [t[:MAX_LINE_BYTES].removesuffix("\r") for t in raw]
        return cls(list(zip(to_display_lines(raw, language), cut)))

    @property
    def line_count(self) -> int:
        return len(self.lines)

    def read(self, start: int, count: int) -> list[DisplayLine]:
        return self.lines[start : start + count]


class FileLines:
    """A file on disk behind a `LineIndex`; `read` does disk I/O and belongs in a worker."""

    needs_io = True

    def __init__(self, path: Path, language: str | None) -> None:
        self.path = path
        self.language = language
        self.index = LineIndex()
        self.saw_invalid_utf8 = False

    @property
    def line_count(self) -> int:
        return self.index.line_count

    @property
    def complete(self) -> bool:
        return self.index.complete

    @property
    def max_width(self) -> int:
        return min(self.index.max_line_bytes, MAX_LINE_BYTES + 12)

    def texts_after_file(self) -> list[str]:
        """Lines shown after the file's own, for search (none here; a capped console has its kept end)."""
        return []

    def read(self, start: int, count: int) -> list[DisplayLine]:
        with open_regular(self.path) as fh:
            raw = read_lines(fh, self.index, start, count)
        texts = []
        for data, _ in raw:
            text, bad = decode(data)
            self.saw_invalid_utf8 |= bad
            texts.append(text)
        return list(zip(to_display_lines(texts, self.language), (cut for _, cut in raw)))
