"""A classic hex dump (offset, bytes in hex, printable ASCII) of the first bytes of a file."""

from __future__ import annotations

HEX_DUMP_BYTES = 512
"""How much of an opaque file the preview dumps."""


def hex_dump(data: bytes, *, offset: int = 0, width: int = 16) -> list[str]:
    """One line per `width` bytes: `00000010  89 50 4e 47 0d 0a 1a 0a  00 00 00 0d 49 48 44 52  |.PNG........IHDR|`.

    Bytes outside printable ASCII show as `.` in the right-hand column, so the text can
    never carry a control sequence.
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
