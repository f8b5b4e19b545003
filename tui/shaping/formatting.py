"""How values look in a cell: numbers to a sensible width, times relative to now, text made safe.

Text from a store is data: `printable` turns control characters (escape codes included)
into visible symbols so a run name can never restyle or corrupt the terminal.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import datetime
from typing import Any

_CONTROL_PICTURES = {c: chr(0x2400 + c) for c in range(32)}
_CONTROL_PICTURES[0x7F] = "\N{SYMBOL FOR DELETE}"
_BIDI_CONTROLS = {0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F}


def printable(text: str) -> str:
    """Text from a store or an artifact, made safe to draw: nothing in it can move the cursor,
    set the window title or restyle the screen.

    C0 controls become their Unicode control pictures (ESC -> ␛, newline -> ␊); C1 controls,
    bidirectional overrides and other unprintables show as `<U+XXXX>`.
    """
    if text.isprintable():
        return text
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if code in _CONTROL_PICTURES:
            out.append(_CONTROL_PICTURES[code])
        elif 0x80 <= code <= 0x9F or code in _BIDI_CONTROLS:
            out.append(f"<U+{code:04X}>")
        elif ch.isprintable() or unicodedata.category(ch) in ("Zs", "Co"):
            out.append(ch)
        else:
            out.append(f"<U+{code:04X}>")
    return "".join(out)


def cell_width(text: str) -> int:
    """Terminal cells `text` takes: 2 for wide East Asian characters, 0 for combining marks.

    Close enough to what the terminal draws to size columns; the table widget itself
    crops and pads with the exact measure when it draws.
    """
    if text.isascii():
        return len(text)
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_number(value: float) -> str:
    """A float in about 10 characters: integers as such, else 5 significant digits."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == int(value) and abs(value) < 1e9:
        return str(int(value))
    if 1e-4 <= abs(value) < 1e6:
        return f"{value:.5g}"
    return f"{value:.3g}"


def format_value(value: Any) -> str:
    """Any param, metric or tag value as cell text."""
    if is_missing(value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_number(value)
    return printable(str(value))


def format_duration(seconds: float | None) -> str:
    if seconds is None or is_missing(seconds) or not math.isfinite(seconds):
        return ""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def format_ago(timestamp: float | None, now: float) -> str:
    """'3h ago', the way people say it; a short date once it is more than a week back."""
    if timestamp is None or is_missing(timestamp) or not math.isfinite(timestamp):
        return ""
    delta = now - timestamp
    if delta < 0:
        return "just now" if delta > -60 else format_timestamp(timestamp)
    for limit, unit, size in ((60, "s", 1), (3600, "m", 60), (86400, "h", 3600), (7 * 86400, "d", 86400)):
        if delta < limit:
            return "just now" if unit == "s" and delta < 10 else f"{int(delta // size)}{unit} ago"
    try:
        then = datetime.fromtimestamp(timestamp)
        return then.strftime("%d %b" if then.year == datetime.fromtimestamp(now).year else "%b %Y")
    except (OverflowError, OSError, ValueError):
        return "?"


def format_timestamp(timestamp: float | None) -> str:
    if timestamp is None or is_missing(timestamp):
        return ""
    try:
        return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return f"? ({timestamp!r})"
