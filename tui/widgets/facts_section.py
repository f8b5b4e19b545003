"""The detail's Facts section: how a run was started and on what (command, machine, user and
host, Python) from `store.run_facts.fact_rows`, then whatever else its store knows.

Built from `RunDetail.facts`, which the detail's worker read; nothing here touches disk.
Every value is store text: sanitized (`printable`), never markup.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from store import RunDetail
from store.run_facts import FACT_KEYS, fact_rows

from ..shaping.sanitize import printable

SKIPPED = frozenset({"note", "executable"})
"""Shown elsewhere (the note) or saying little (the interpreter's path)."""


def facts_section(detail: RunDetail) -> Table:
    """A titled two-column table: the known facts in a fixed order, then the store's others."""
    table = Table(
        box=None, show_header=False, padding=0, pad_edge=False, title="Facts", title_justify="left", title_style="bold"
    )
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    rows: list[tuple[str, Any]] = [
        *fact_rows(detail.facts),
        ("run id", detail.run_id),
        ("experiment", detail.experiment),
    ]
    git = detail.facts.get("git_commit")
    if git:
        dirty = detail.facts.get("git_dirty")
        rows.append(("git", f"{git}{' (dirty)' if dirty else ''}  {detail.facts.get('git_branch') or ''}".strip()))
    for key, value in detail.facts.items():
        if key.startswith("git_") or key in FACT_KEYS or key in SKIPPED or value in (None, "", [], {}):
            continue
        if isinstance(value, dict):
            value = "  ".join(f"{k}={v}" for k, v in value.items())
        rows.append((key.replace("_", " "), value))
    width = max(len(label) for label, _ in rows) + 1  # a long value squeezes the table's own padding away
    for label, value in rows:
        table.add_row(Text(printable(label).ljust(width)), Text(printable(str(value))))
    return table
