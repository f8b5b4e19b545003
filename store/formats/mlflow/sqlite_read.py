"""SQLite files read without holding up their writers: short-lived read-only connections, errors in words.

MLflow's SQLite database uses a rollback journal, not WAL: while any reader holds a read
transaction, a training script's commit waits, and gives up with "database is locked"
after its busy timeout. So every read here opens the file with `mode=ro`, runs one
set-based statement per table (each its own short implicit transaction, fetched whole),
and closes the connection; nothing is ever held between calls.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from store.errors import StoreError

__all__ = ["BUSY_TIMEOUT", "connect_readonly", "is_sqlite_file", "reading", "sql_text"]

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT = 5.0
"""Seconds a read waits for a writer's commit to finish before giving up."""


def is_sqlite_file(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection that never creates or changes a file next to the database.

    Text that is not UTF-8 reads with U+FFFD for the bad bytes: one odd value, not a failed query.
    """
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    con = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, isolation_level=None)
    con.text_factory = sql_text
    return con


@contextmanager
def reading(path: Path) -> Iterator[sqlite3.Connection]:
    """A short-lived read-only connection; every `sqlite3.Error` on the way (the file vanished,
    is locked, is damaged, is not a database) comes out as `StoreError` saying which. So does
    the UnicodeDecodeError sqlite3 raises for SQLite's message about a damaged schema that quotes its bad bytes."""
    try:
        con = connect_readonly(path)
    except sqlite3.Error as exc:
        raise StoreError(_explain(exc, path)) from exc
    try:
        yield con
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        raise StoreError(_explain(exc, path)) from exc
    finally:
        con.close()


def _rows(con: sqlite3.Connection, sql: str, args: Iterable[Any] = ()) -> list[dict[str, Any]]:
    cur = con.execute(sql, tuple(args))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def sql_text(value: Any) -> str:
    """A value as text: NULL is empty, a blob or non-UTF-8 text is decoded with U+FFFD for bad bytes."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _explain(exc: sqlite3.Error | UnicodeDecodeError, path: Path) -> str:
    """What went wrong, in words a user can act on: vanished, locked, damaged, not a database."""
    if isinstance(exc, UnicodeDecodeError):
        return f"{path} is damaged (its schema holds bytes that are not text); restore it from a copy"
    text = str(exc)
    code = getattr(exc, "sqlite_errorname", "") or ""
    if not path.exists():
        return f"{path} no longer exists"
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text or "busy" in text:
        return f"{path} stayed locked by a writer for {BUSY_TIMEOUT:.0f} s; try again"
    if code.startswith("SQLITE_READONLY") or "readonly" in text.replace("-", "").replace(" ", ""):
        return (
            f"{path} has an unfinished transaction from a writer that crashed; opening it once "
            f"with MLflow (or `sqlite3 {path.name} 'PRAGMA quick_check'`) rolls it back"
        )
    if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text or "not a database" in text:
        return f"{path} is damaged (truncated or overwritten: {text}); restore it from a copy"
    if code.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return f"{path} cannot be opened for reading ({text})"
    return f"cannot read {path} as an MLflow database: {text}"
