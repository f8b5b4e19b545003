"""`tracktui diff STORE RUN_A RUN_B [...]`: the diff screen's table, printed for scripts."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.highlighter import JSONHighlighter
from rich.table import Table
from rich.text import Text

from store import RunNotFoundError

from ..shaping.diff import (
    SECTION_TITLES,
    Diff,
    DiffRow,
    bounded,
    build_diff,
    format_delta,
    to_dict,
)
from ..shaping.sanitize import printable, printable_text

if TYPE_CHECKING:
    from store import RunStore

EXIT_OK = 0
EXIT_BAD_REF = 2


def diff_command(
    store: RunStore, refs: list[str], only_diff: bool, as_json: bool, console: Console | None = None
) -> int:
    """Print the diff of the runs named by `refs` (id, unique id prefix or unique name).

    The first run is the reference. Returns 0, or 2 with a message on stderr when a ref
    names no run (or several) or fewer than two refs are given.
    """
    console = console or Console()
    errors = Console(stderr=True) if console.file is sys.stdout else console
    if len(refs) < 2:
        errors.print(Text("tracktui diff: give at least two runs to compare (id, id prefix or name)"))
        return EXIT_BAD_REF
    run_ids: list[str] = []
    for ref in refs:
        try:
            run_ids.append(store.resolve(ref))
        except RunNotFoundError as exc:
            errors.print(Text(f"tracktui diff: {_shown(str(exc))}"))
            return EXIT_BAD_REF
    diff = build_diff([store.run(run_id) for run_id in run_ids])
    if as_json:
        data = to_dict(diff, only_diff=only_diff)
        if console.is_terminal:
            console.print(json_text(data), soft_wrap=True)
        else:  # to a pipe or file: no colours to add, so no 50 MB of Rich segments to build
            console.file.write(json_plain(data) + "\n")
        return EXIT_OK
    console.print(diff_table(diff, only_diff, field_width=max(FIELD_MIN_WIDTH, console.width // 3)))
    return EXIT_OK


def json_text(data: Any) -> Text:
    """`data` as indented, highlighted JSON, as `Console.print_json` prints it, except that a
    character `printable` would change (C1 controls, bidi overrides) is written as a `\\uXXXX`
    escape: the same JSON to a parser, but nothing in it can act on a terminal. (C0 controls,
    ESC and newlines inside strings, `json.dumps` escapes already; the
    newlines left are the indentation's.)"""
    plain = json_plain(data)
    text = JSONHighlighter()(plain) if len(plain) < HIGHLIGHT_LIMIT else Text(plain)
    text.no_wrap, text.overflow = True, None
    return text


HIGHLIGHT_LIMIT = 1_000_000
"""Longer JSON is printed without colours: highlighting 50 MB takes tens of seconds."""


def json_plain(data: Any) -> str:
    """The JSON text of `json_text`, without colours. Only lines holding a character that
    `printable` would change are rewritten character by character."""
    raw = json.dumps(data, indent=2, ensure_ascii=False)
    return "\n".join(line if line.isprintable() else _escape_unprintable(line) for line in raw.split("\n"))


def _escape_unprintable(line: str, size: int = 4096) -> str:
    chunks = (line[i : i + size] for i in range(0, len(line), size))
    return "".join(
        chunk if chunk.isprintable() else "".join(ch if printable(ch) == ch else _json_escape(ch) for ch in chunk)
        for chunk in chunks
    )


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code > 0xFFFF:  # a surrogate pair, as JSON spells characters beyond the BMP
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


FIELD_MIN_WIDTH = 16
"""The field column is at most a third of the width, but never narrower than this."""


def diff_table(diff: Diff, only_diff: bool, field_width: int | None = None) -> Table:
    """A Rich table: fields down, runs across, sections as bold rows, deltas coloured.

    The field column is at most `field_width` wide, a longer key cut with `…`: one
    200-character key would otherwise take the whole width (80 columns in a pipe) and leave
    the values none.

    Long plain values wrap within their column, but a value with a delta or a ✓ is one
    unbreakable line, and its delta is the short form, so three runs fit in 80 columns
    without a ✓ landing on a line of its own.
    """
    rows = diff.visible(only_diff)
    caption = (
        f"{len(rows)} of {len(diff.rows)} fields differ"
        if only_diff
        else f"{len(diff.differing)} of {len(diff.rows)} fields differ (marked ≠)"
    )
    table = Table(caption=caption + "; deltas against the first run; ✓ best", show_lines=False, header_style="bold")
    table.add_column("field", no_wrap=True, overflow="ellipsis", max_width=field_width)
    for i, run in enumerate(diff.runs):
        label = Text(_shown(run.name))
        if i == 0:
            label.append(" (ref)", style="dim")
        table.add_column(label, overflow="fold")
    section = None
    for row in rows:
        if row.section != section:
            section = row.section
            table.add_row(Text(SECTION_TITLES[section], style="bold underline"), end_section=False)
        table.add_row(_field_cell(row), *(_value_cell(row, i) for i in range(len(diff.runs))))
    if not rows:
        table.add_row(Text("no differences", style="dim"))
    return table


def _field_cell(row: DiffRow) -> Text:
    text = Text()
    text.append("≠ " if row.differs else "  ", style="bold yellow" if row.differs else "")
    text.append(_shown(row.field), style="bold" if row.differs else "")
    return text


def _value_cell(row: DiffRow, index: int) -> Text:
    text = Text(_shown(row.text(index)), style="bold" if row.differs else "")
    delta = format_delta(row, index, compact=True)
    if delta:
        better = row.better[index]
        text.append(f" {delta}", style="green" if better else "red" if better is False else "dim")
    if row.best and row.best[index]:
        text.append(" ✓", style="bold green")
    if delta or (row.best and row.best[index]):
        text.no_wrap, text.overflow = True, "ellipsis"
    return text


def _shown(text: str) -> str:
    """Store text as the table prints it: safe, line breaks kept (values wrap in their
    column), at most `SHOWN_CHARS` characters and the size of the rest."""
    return printable_text(bounded(text))
