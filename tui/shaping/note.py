"""How a run's note is drawn: as Markdown while that stays cheap, else as plain text, cut.

A note comes from `tracktui note`, a W&B run's notes or a tracking server's
`mlflow.note.content`: anyone can write a 200 x 200 table or a megabyte into one. Textual's
Markdown widget mounts a widget per block (each paragraph, list item and table cell) on the
UI thread, a few milliseconds each: a 20 x 20 table took about 2 s here, a 200 x 200 one froze
the app for 30 s+ at 1.5 GB. So a note is drawn as Markdown only within the bounds below;
past them it is shown as plain text (safe, cut at `PLAIN_CHARS`) under a line saying why.
`plan_note` parses with markdown-it and belongs in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass

from .sanitize import printable_block

MARKDOWN_CHARS = 20_000
"""A longer note is not parsed as Markdown."""
MARKDOWN_BLOCKS = 150
"""Blocks (paragraphs, headings, list items, table cells …) drawn as Markdown at most."""
TABLE_ROWS = 30
TABLE_COLUMNS = 12
TABLE_CELLS = 120
"""A Markdown table is drawn up to this many rows, columns and cells (each table)."""
PLAIN_CHARS = 16_000
"""Plain text shown at most; the rest is left out, with a line saying how much."""


@dataclass(frozen=True)
class NotePlan:
    """What to draw: `markdown` (safe text) or, when it is None, `plain` under the line `why`."""

    markdown: str | None
    plain: str = ""
    why: str = ""


def plan_note(note: str) -> NotePlan:
    """The note as Markdown when it is within the bounds, else as plain text and why."""
    why = _too_big(note)
    if why is None:
        return NotePlan(printable_block(note))
    plain = printable_block(note[:PLAIN_CHARS])
    if len(note) > PLAIN_CHARS:
        why += f"; the first {PLAIN_CHARS:,} of {len(note):,} characters are shown"
        plain += f"\n… note cut here: {len(note) - PLAIN_CHARS:,} more characters"
    return NotePlan(None, plain, why)


def _too_big(note: str) -> str | None:
    """Why `note` is not drawn as Markdown, or None when it can be."""
    if len(note) > MARKDOWN_CHARS:
        return f"Shown as plain text: {len(note):,} characters (Markdown is drawn up to {MARKDOWN_CHARS:,})"
    from markdown_it import MarkdownIt

    blocks = rows = columns = cells = 0
    for token in MarkdownIt("gfm-like").parse(note):
        if not token.type.endswith("_open") or token.type in ("thead_open", "tbody_open", "tr_open"):
            if token.type == "tr_open":
                rows += 1
                columns = 0
            continue
        blocks += 1
        if token.type == "table_open":
            rows = cells = 0
        elif token.type in ("th_open", "td_open"):
            cells += 1
            columns += 1
            if rows > TABLE_ROWS or columns > TABLE_COLUMNS or cells > TABLE_CELLS:
                return (
                    f"Shown as plain text: a table too big to draw (Markdown tables are drawn up to "
                    f"{TABLE_ROWS} rows, {TABLE_COLUMNS} columns and {TABLE_CELLS} cells)"
                )
        if blocks > MARKDOWN_BLOCKS:
            return f"Shown as plain text: more than {MARKDOWN_BLOCKS} blocks (paragraphs, list items, table cells)"
    return None
