"""A classic hex dump (offset, bytes in hex, printable ASCII) of the first bytes of a file."""

from __future__ import annotations

HEX_DUMP_BYTES = 512
"""How much of an opaque file the preview dumps."""
ROW_CHOICES = (16, 8, 4)
"""Bytes per row a dump may use, widest first; the last one is used however narrow the space."""


def hex_dump(data: bytes, *, offset: int = 0, width: int = 16) -> list[str]:
    """One line per `width` bytes: `00000010  89 50 4e 47 0d 0a 1a 0a  00 00 00 0d 49 48 44 52  |.PNG........IHDR|`.

    Bytes outside printable ASCII show as `.` in the right-hand column, so the text can
    never carry a control sequence. No line is longer than `row_width(width)` characters.
    """
    if width <= 0:
        raise ValueError("width must be positive")
    half = width // 2
    lines = []
    for start in range(0, len(data), width):
        row = data[start : start + width]
        cells = [f"{b:02x}" for b in row] + ["  "] * (width - len(row))
        hex_part = " ".join(cells[:half]) + "  " + " ".join(cells[half:]) if half else " ".join(cells)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in row)
        lines.append(f"{offset + start:08x}  {hex_part}  |{text}|")
    return lines


def row_width(width: int) -> int:
    """How many characters a full `hex_dump` line takes for `width` bytes per row."""
    return 8 + 2 + 3 * width - (0 if width // 2 else 1) + 2 + width + 2


def bytes_per_row(columns: int) -> int:
    """The most bytes per row (16, 8 or 4) whose dump lines fit in `columns` characters."""
    return next((n for n in ROW_CHOICES if row_width(n) <= columns), ROW_CHOICES[-1])
