"""The run lock: one writer per run, and a dead writer's lock can be taken over.

Kept apart from `writer.py` because it is a protocol between processes (possibly on other
hosts) that must be reasoned about on its own; see "Lock" in FORMAT.md.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from . import format as fmt
from .errors import RunLockedError
from .process import hostname, pid_alive, process_start

LOCK_GRACE = 10.0
"""A lock file too new to have its contents yet (or unreadable) counts as held for this long."""


def take_lock(run_path: Path, run_id: str) -> None:
    """O_EXCL create works on local disks and NFSv3+; a lock whose writer is dead is taken over.

    A takeover replaces the lock with a rename and reads it back: of two processes taking
    over the same stale lock at once, only the one whose lock survives goes on.
    """
    lock = run_path / fmt.LOCK
    owner = {"host": hostname(), "pid": os.getpid(), "pid_start": process_start(os.getpid()),
             "time": time.time()}
    body = fmt.dumps(owner)
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body)
        return
    current = read_lock(lock)
    if lock_held(current, lock, run_path):
        who = f"pid {current.get('pid')} on {current.get('host')}" if current else "another process"
        raise RunLockedError(f"run {run_id} is being written by {who}; wait for it to finish, or stop that process")
    fmt.atomic_write_text(lock, body)
    if read_lock(lock) != json.loads(body):
        raise RunLockedError(f"run {run_id} was taken over by another writer at the same moment")


def release_lock(run_path: Path) -> None:
    (run_path / fmt.LOCK).unlink(missing_ok=True)


def read_lock(lock: Path) -> dict[str, Any] | None:
    try:
        data = fmt.read_json(lock)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def lock_held(owner: dict[str, Any] | None, lock: Path, run_path: Path) -> bool:
    pid = owner.get("pid") if owner else None
    if owner is None or not isinstance(pid, int) or isinstance(pid, bool):
        try:
            return time.time() - lock.stat().st_mtime < LOCK_GRACE
        except OSError:
            return False
    if owner.get("host") == hostname():
        start = owner.get("pid_start")
        return pid_alive(pid, start if isinstance(start, int) else None)
    try:
        heartbeat = float(fmt.read_json(run_path / fmt.SUMMARY).get("heartbeat", 0))
    except (OSError, ValueError, TypeError, AttributeError):
        return False
    return time.time() - heartbeat < fmt.HEARTBEAT_STALE
