"""How many terminal cells a string takes, without importing a terminal library.

The runs view sizes its columns in plain code (tests call it without the app), so it cannot
use Rich's measure. East Asian wide and full-width characters take two cells, combining marks
none; the rest one. Close enough to size a column; the widget draws with Rich's own measure.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


@lru_cache(maxsize=4096)
def _char_width(ch: str) -> int:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def cell_len(text: str) -> int:
    """Cells `text` takes in a terminal (ASCII: its length)."""
    if text.isascii():
        return len(text)
    return sum(_char_width(ch) for ch in text)
