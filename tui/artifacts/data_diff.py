"""Two artifacts compared as data, not as text: JSON/YAML by key, CSV/TSV by cell, folders by file.

A reordered config or a re-serialised JSON gives a long text diff and no changed value; a
table with one changed score gives one changed line among thousands. These functions say what
changed in the data: `~ optimizer.lr: 0.1 → 0.01`, `row 7, score: 0.5 → 0.7`, `only in this
run: plots/roc.png`. Every list is bounded; the caller shows the lines as they are (they are
made safe to draw where drawn).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

MAX_CHANGES = 500
MAX_VALUE = 60
MAX_FOLDER_FILES = 20_000


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def flatten(document: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of every leaf: `a.b`, `layers[2]`; an empty dict or list is a leaf."""
    if isinstance(document, dict) and document:
        for key, value in document.items():
            yield from flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(document, list) and document:
        for index, value in enumerate(document):
            yield from flatten(value, f"{prefix}[{index}]")
    else:
        yield prefix or "(root)", document


def document_changes(mine: Any, other: Any, limit: int = MAX_CHANGES) -> list[str]:
    """`~ path: a → b` for changed leaves, `- path: a` only in mine, `+ path: b` only in other."""
    a, b = dict(flatten(mine)), dict(flatten(other))
    out: list[str] = []
    for path in [*a, *(p for p in b if p not in a)]:
        if path in a and path in b:
            if a[path] != b[path] or type(a[path]) is not type(b[path]):
                out.append(f"~ {path}: {_short(a[path])} → {_short(b[path])}")
        elif path in a:
            out.append(f"- {path}: {_short(a[path])}")
        else:
            out.append(f"+ {path}: {_short(b[path])}")
    return _bounded(out, limit)


def table_changes(mine: str, other: str, delimiter: str, limit: int = MAX_CHANGES) -> list[str]:
    """Changed cells by row number and column name, columns and rows only in one of the tables."""
    rows_a = list(csv.reader(io.StringIO(mine, newline=""), delimiter=delimiter))
    rows_b = list(csv.reader(io.StringIO(other, newline=""), delimiter=delimiter))
    head_a, head_b = (rows_a[0] if rows_a else []), (rows_b[0] if rows_b else [])
    out = [f"- column {name}" for name in head_a if name not in head_b]
    out += [f"+ column {name}" for name in head_b if name not in head_a]
    shared = [name for name in head_a if name in head_b]
    at_a, at_b = {n: i for i, n in enumerate(head_a)}, {n: i for i, n in enumerate(head_b)}
    body_a, body_b = rows_a[1:], rows_b[1:]
    for number, (row_a, row_b) in enumerate(zip(body_a, body_b), start=1):
        for name in shared:
            cell_a = row_a[at_a[name]] if at_a[name] < len(row_a) else ""
            cell_b = row_b[at_b[name]] if at_b[name] < len(row_b) else ""
            if cell_a != cell_b:
                out.append(f"~ row {number}, {name}: {_short(cell_a)} → {_short(cell_b)}")
        if len(out) > limit:
            break
    if len(body_a) != len(body_b):
        more, sign = (len(body_a) - len(body_b), "-") if len(body_a) > len(body_b) else (len(body_b) - len(body_a), "+")
        out.append(
            f"{sign} {more:,} row{'s' if more != 1 else ''} "
            f"({len(body_a):,} rows in this run, {len(body_b):,} in the other)"
        )
    return _bounded(out, limit)


def folder_files(root: Path, cancelled: Callable[[], bool] = lambda: False) -> tuple[dict[str, int], bool]:
    """Relative path → size of every file under `root` (symlinks not followed), and whether the
    walk stopped early (too many files, or cancelled)."""
    files: dict[str, int] = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            try:
                files[os.path.relpath(path, root)] = os.lstat(path).st_size
            except OSError:
                continue
        if len(files) > MAX_FOLDER_FILES or cancelled():
            return files, True
    return files, False


def folder_changes(
    mine: Path, other: Path, cancelled: Callable[[], bool] = lambda: False, limit: int = MAX_CHANGES
) -> list[str]:
    """Files only in one of the two folders, and files in both whose sizes differ."""
    a, partial_a = folder_files(mine, cancelled)
    b, partial_b = folder_files(other, cancelled)
    out = [f"- only in this run: {p}" for p in sorted(a) if p not in b]
    out += [f"+ only in the other run: {p}" for p in sorted(b) if p not in a]
    out += [f"~ {p}: {a[p]:,} B → {b[p]:,} B" for p in sorted(a) if p in b and a[p] != b[p]]
    if partial_a or partial_b:
        out.append(f"… stopped listing after {MAX_FOLDER_FILES:,} files")
    return _bounded(out, limit)


def _bounded(lines: list[str], limit: int) -> list[str]:
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"… and {len(lines) - limit:,} more changes"]
