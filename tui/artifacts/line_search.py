"""Which lines of a text hold a search term, for a viewer's `/`, `n`/`N`, found without holding the file.

A file is scanned once in large chunks (cut at a line end, so a match never straddles two
chunks); each chunk is searched with `bytes.find`, and a match's line number is the newlines
before it, the same count `LineIndex` uses, so the numbers address the viewer's lines. After
a match the scan jumps to the next line: each line is listed once however often it matches.
Matching is smart-case, like vim's `smartcase`: a term in lower case matches any case (ASCII
letters), a term with a capital matches exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

from .line_index import CHUNK_BYTES

if TYPE_CHECKING:
    import numpy as np
else:
    from ..shaping.lazy_modules import np

MAX_MATCHES = 1_000_000
"""Matching lines kept (8 MB); past this the count shows as "1,000,000+"."""


def ignores_case(term: str) -> bool:
    return term == term.lower()


def match_spans(text: str, term: str) -> list[tuple[int, int]]:
    """Where `term` occurs in one displayed line (character offsets), for highlighting."""
    if not term:
        return []
    flags = re.IGNORECASE if ignores_case(term) else 0
    return [(m.start(), m.end()) for m in re.finditer(re.escape(term), text, flags)]


@dataclass
class LineMatches:
    """The lines holding a term, in order; `capped` when more matched than are kept."""

    term: str
    lines: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    capped: bool = False
    complete: bool = True

    @property
    def count(self) -> int:
        return len(self.lines)


def search_texts(texts: Sequence[str], term: str) -> LineMatches:
    """Lines of an in-memory text holding `term` (smart-case)."""
    if not term:
        return LineMatches(term)
    if ignores_case(term):
        needle = term.lower()
        found = [i for i, text in enumerate(texts) if needle in text.lower()]
    else:
        found = [i for i, text in enumerate(texts) if term in text]
    capped = len(found) > MAX_MATCHES
    return LineMatches(term, np.asarray(found[:MAX_MATCHES], dtype=np.int64), capped)


def search_file(
    fh: BinaryIO,
    term: str,
    *,
    chunk_bytes: int = CHUNK_BYTES,
    cancelled: Callable[[], bool] = lambda: False,
    progress: Callable[[int, int], None] = lambda scanned, found: None,
) -> LineMatches:
    """Lines of the file `fh` (read from where it stands) holding `term`, UTF-8 encoded.

    `progress(bytes scanned, lines found)` is called after each chunk; when `cancelled()` turns
    true the scan stops and what it found so far comes back with `complete` False.
    """
    result = LineMatches(term)
    if not term:
        return result
    fold = ignores_case(term)
    needle = (term.lower() if fold else term).encode("utf-8")
    found: list[int] = []
    line_base = 0
    scanned = 0
    carry = b""
    while True:
        if cancelled():
            result.complete = False
            break
        data = fh.read(chunk_bytes)
        at_end = not data
        chunk = carry + data
        cut = len(chunk) if at_end else chunk.rfind(b"\n") + 1
        if cut == 0 and not at_end:
            if len(chunk) < 4 * chunk_bytes:  # one very long line so far: read on
                carry = chunk
                continue
            cut = len(chunk)
        body, carry = chunk[:cut], chunk[cut:]
        haystack = body.lower() if fold else body
        pos = haystack.find(needle)
        counted_to, line = 0, line_base
        while pos >= 0 and len(found) <= MAX_MATCHES:
            line += haystack.count(b"\n", counted_to, pos)
            found.append(line)
            end = haystack.find(b"\n", pos)
            if end < 0:
                break
            counted_to = end
            pos = haystack.find(needle, end + 1)
        line_base += haystack.count(b"\n")
        scanned += len(body)
        progress(scanned, len(found))
        if at_end or len(found) > MAX_MATCHES:
            break
    result.capped = len(found) > MAX_MATCHES
    result.lines = np.asarray(found[:MAX_MATCHES], dtype=np.int64)
    return result
