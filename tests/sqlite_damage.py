"""Damage to an SQLite file as a bad disk or a partial copy leaves it, for the readers of other tools' databases."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def break_schema_text(db: Path) -> None:
    """Overwrite a byte in the middle of one index's CREATE statement with 0xFF.

    SQLite then refuses every query with "malformed database schema ... near" the bad byte, and
    Python's sqlite3 raises that message as UnicodeDecodeError, not as `sqlite3.Error` (checked
    here on a plain connection, so a test built on this cannot pass for want of the damage).
    """
    con = sqlite3.connect(db)
    try:
        sqls = [row[0] for row in con.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")]
    finally:
        con.close()
    original = db.read_bytes()
    for sql in sqls:
        text = sql.encode()
        if original.count(text) != 1:
            continue
        data = bytearray(original)
        data[original.index(text) + len(text) // 2] = 0xFF
        db.write_bytes(bytes(data))
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            con.execute("SELECT name FROM sqlite_master")
        except UnicodeDecodeError:
            return
        except sqlite3.Error:
            pass
        finally:
            con.close()
    db.write_bytes(original)
    raise AssertionError(f"no damage to an index statement of {db} made sqlite3 raise UnicodeDecodeError")
