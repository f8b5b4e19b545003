"""How values look in a cell: numbers to a sensible width, times relative to now.

`printable` lives in `sanitize` (the one sanitizer); it is re-exported here for callers that
still import it from this module.
"""

from __future__ import annotations

import json
import math
import unicodedata
from datetime import datetime, timezone
from typing import Any

from .sanitize import printable as printable


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
    """A number as every screen shows it (runs table, detail, diff, chart titles and readouts).

    Integers (and whole floats under 1e9) as such; otherwise 5 significant digits between 1e-4
    and 1e6, 3 in exponent form outside. Five digits tell apart the metrics people compare
    (0.12345 vs 0.12346) while a cell stays within about 10 characters, so the runs table
    keeps narrow columns; where a smaller difference matters the diff's delta shows it, and
    exports keep every digit (`format_exact`).
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == int(value) and abs(value) < 1e9:
        return str(int(value))
    if 1e-4 <= abs(value) < 1e6:
        return f"{value:.5g}"
    return f"{value:.3g}"


def format_exact(value: float) -> str:
    """A number with every digit it has (the shortest text that reads back as the same float),
    for exports; whole floats without `.0`, `nan`/`inf` spelled out."""
    if isinstance(value, (bool, int)) or not math.isfinite(value):
        return format_number(value)
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(float(value))


def long_int_text(value: int) -> str:
    """What is shown for an int too long to print (Python refuses `str` past 4,300 digits, and
    no one reads thousands of digits): its size and last hex digits, to tell two apart."""
    digits = int(value.bit_length() * 0.30103) + 1
    return f"<an integer of about {digits:,} digits, 0x{abs(value) & 0xFFFF_FFFF:08x} at the end>"


def format_value(value: Any, exact: bool = False) -> str:
    """Any param, metric or tag value as text, made safe: missing (None, NaN) is empty, numbers
    by `format_number` (every digit with `exact`), lists and dicts as compact JSON."""
    if is_missing(value):
        return ""
    if isinstance(value, (bool, int, float)):
        return format_exact(value) if exact else format_number(value)
    if isinstance(value, (dict, list, tuple)):
        return printable(json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": ")))
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


def format_timestamp(timestamp: float | None, *, seconds: bool = True, utc: bool = False) -> str:
    """`YYYY-MM-DD HH:MM:SS` (without `:SS` unless `seconds`), local time unless `utc`;
    empty for a missing time."""
    if timestamp is None or is_missing(timestamp):
        return ""
    fmt = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    try:
        when = datetime.fromtimestamp(timestamp, timezone.utc) if utc else datetime.fromtimestamp(timestamp)
        return when.strftime(fmt)
    except (OverflowError, OSError, ValueError):
        return f"? ({timestamp!r})"


def format_file_stamp(timestamp: float) -> str:
    """`YYYYMMDD-HHMMSS` in local time: for file names that sort by when they were written."""
    return datetime.fromtimestamp(timestamp).strftime("%Y%m%d-%H%M%S")


def format_clock(timestamp: float, span: float = 0.0) -> str:
    """A local clock time as precise as a range of `span` seconds needs: `HH:MM:SS` up to ten
    minutes, `HH:MM` up to a day, `MM-DD HH:MM` beyond (chart ticks and the cursor readout)."""
    fmt = "%m-%d %H:%M" if span > 86400 else "%H:%M" if span > 600 else "%H:%M:%S"
    try:
        return datetime.fromtimestamp(timestamp).strftime(fmt)
    except (OverflowError, OSError, ValueError):
        return "?"


def allot_widths(widths: list[int], priorities: list[int], room: int, least: int = 4) -> list[int]:
    """How many cells each part of a one-line title gets so all fit in `room`: the parts of the
    highest priority number give way first, each cut down (the caller ends it with `…`) to no
    fewer than `least` cells, else dropped (0); parts of priority 0 give way last. A title cut
    at the right edge lost its most useful end (the run id, `(1/4)`, the sort); this keeps it."""
    given = list(widths)
    over = sum(given) - room
    for i in sorted(range(len(given)), key=lambda i: (-priorities[i], -i)):
        if over <= 0:
            break
        keep = given[i] - over
        given[i] = keep if keep >= least else 0
        over -= widths[i] - given[i]
    return given
