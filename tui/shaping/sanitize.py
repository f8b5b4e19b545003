"""The one sanitizer: text that came from a store or an artifact, made safe to draw or print.

Text from a store is data. A run name may hold escape codes (which would move the cursor, set
the window title or write the clipboard through OSC 52), C1 controls (`\\x9b` is a CSI on many
terminals), bidirectional overrides (which reorder what a reader sees) or Rich markup. Every
path that shows or writes such text (screens, `tracktui ls`, `tracktui diff`, exports, the
clipboard) goes through one of the functions here, so there is one place to get it right.
Markup is made harmless by the callers, which build `rich.text.Text` from these strings and
never parse them as markup.
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL_PICTURES = {c: chr(0x2400 + c) for c in range(32)}
_CONTROL_PICTURES[0x7F] = "\N{SYMBOL FOR DELETE}"
_BIDI_CONTROLS = frozenset(
    {0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F, 0x061C}
)
LINE_BREAK = " ⏎ "
"""How a line break shows in text that must stay on one line."""


def printable(text: str) -> str:
    """Text made safe to draw: nothing in it can move the cursor, set the window title or
    restyle the screen.

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


def printable_line(text: str) -> str:
    """One safe line: line breaks shown as `⏎`, every other control made visible."""
    return printable(text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", LINE_BREAK))


def printable_block(text: str, tab_size: int = 4) -> str:
    """Safe multi-line text (a traceback, a note, a text artifact): line breaks kept, tabs
    expanded, every other control made visible."""
    lines = text.replace("\r\n", "\n").split("\n")
    return "\n".join(printable(line.expandtabs(tab_size) if "\t" in line else line) for line in lines)


def printable_text(text: str, chunk: int = 4096) -> str:
    """Safe multi-line text for a value that may be huge (a diff cell, an export field): line
    breaks kept, tabs and every other control made visible. Long lines are checked in chunks,
    so only the parts that need it pay for the slow path."""
    lines = text.replace("\r\n", "\n").split("\n")
    return "\n".join(line if line.isprintable() else _printable_chunks(line, chunk) for line in lines)


def _printable_chunks(line: str, size: int) -> str:
    if len(line) <= size:
        return printable(line)
    return "".join(printable(line[i : i + size]) for i in range(0, len(line), size))


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A CSV cell starting with one of these is run as a formula by spreadsheets (OWASP's list)."""
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?inf")


def csv_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs: one that starts like a formula
    gets a leading `'`, as OWASP recommends. A number (`-0.5`, `+1e-3`) is not a formula
    and stays a number."""
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def cut(text: str, width: int) -> str:
    """`printable_line` of at most `width` characters, the rest replaced by `…`. Every character
    becomes at least one, so only the first `width + 1` are made safe (a 20 MB value costs nothing)."""
    line = printable_line(text[: width + 1])
    return line if len(line) <= width else line[: max(width - 1, 0)] + "…"
