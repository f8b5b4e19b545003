"""The run lock: one writer per run, and a dead writer's lock can be taken over, by one taker.

Kept apart from `writer.py` because it is a protocol between processes (possibly on other
hosts, over NFS) that must be reasoned about on its own. See "Lock" in FORMAT.md.

Every file here is created whole with `link()`: its content is written to a temporary
first and then linked to its name, which fails if the name exists. That is atomic on local
disks and on NFS (where a lost reply is told apart by the temporary's link count), and a
lock is never seen empty. Taking over a stale lock goes through a marker named after the
stale lock's content: of many processes that find the same dead writer's lock, only the one
that creates the marker may replace the lock, and only if the lock still holds that content.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from store import safe_read
from store.errors import RunLockedError
from store.ours import atomic, layout, stored_values
from store.process import hostname, pid_alive, process_start

LOCK_GRACE = 10.0
"""A lock file too new to have its contents yet (or unreadable) counts as held for this long.
Our own locks are never empty (they are linked into place whole); older writers' could be."""

MARKER_SUFFIX = ".takeover"
LOCK_CAP = 65536
"""A lock holds a few dozen bytes of JSON; a larger file is unreadable (and counts as held while young)."""
_MAX_ROUNDS = 20


def take_lock(run_path: Path, run_id: str, fsync: bool = True) -> None:
    """Become the one writer of the run at `run_path`, or raise `RunLockedError`.

    A lock whose owner is alive is refused; one whose owner is dead (same host: pid gone or
    reused; other host: heartbeat older than `HEARTBEAT_STALE`) is taken over atomically.
    `fsync=False` for a lock that need not outlive a power loss (one in a run folder being
    created: every writer on the host dies with the power, and an empty lock counts as stale).
    """
    lock = run_path / layout.LOCK
    body = stored_values.dumps(
        {"host": hostname(), "pid": os.getpid(), "pid_start": process_start(os.getpid()), "time": time.time()}
    )
    for _ in range(_MAX_ROUNDS):
        if create_exclusive(lock, body, fsync):
            break
        text = _read_text(lock)
        if text is None:
            continue  # released between our create and our read: create it again
        owner = _parse(text)
        if lock_held(owner, lock, run_path):
            who = f"pid {owner.get('pid')} on {owner.get('host')}" if owner else "another process"
            raise RunLockedError(f"run {run_id} is being written by {who}; wait for it to finish, or stop that process")
        if _take_over(lock, text, body, run_id):
            break
    else:
        raise RunLockedError(f"run {run_id}: its lock kept changing hands; try again")
    for marker in run_path.glob(f"{layout.LOCK}.*{MARKER_SUFFIX}"):
        # Ours now: every marker names an older lock content, so no taker can act on it.
        marker.unlink(missing_ok=True)


def release_lock(run_path: Path) -> None:
    """Remove the lock if it is still ours (a wrongful takeover must not be undone by us)."""
    lock = run_path / layout.LOCK
    owner = _parse(_read_text(lock) or "")
    if owner is None or (owner.get("pid") == os.getpid() and owner.get("host") == hostname()):
        lock.unlink(missing_ok=True)


def _take_over(lock: Path, stale: str, body: str, run_id: str) -> bool:
    """Replace the lock holding `stale` with `body`; False if another taker changed it first.

    The marker `lock.<hash of the stale content>.takeover` is created exclusively, so for
    one stale content one taker at a time may act, and it acts only if the lock still holds
    that content (a taker that finished before us has replaced it, and content with a pid
    and a time never repeats). A taker that died holding a marker is stepped over with a
    marker one level further (named after both contents).
    """
    identity = stale
    for _ in range(_MAX_ROUNDS):
        marker = lock.with_name(f"{layout.LOCK}.{hashlib.sha1(identity.encode()).hexdigest()[:16]}{MARKER_SUFFIX}")
        if create_exclusive(marker, body):
            break
        holder_text = _read_text(marker)
        if holder_text is None:
            return False  # its taker finished meanwhile: look at the lock again
        holder = _parse(holder_text)
        if _marker_held(holder, marker):
            who = f"pid {holder.get('pid')} on {holder.get('host')}" if holder else "another process"
            raise RunLockedError(f"run {run_id} is being taken over by {who} (its writer died); try again later")
        identity += holder_text
    else:
        raise RunLockedError(f"run {run_id}: too many takers died taking over its lock; remove {lock}* by hand")
    try:
        if _read_text(lock) != stale:
            return False
        atomic.atomic_write_text(lock, body)
        return True
    finally:
        marker.unlink(missing_ok=True)


def create_exclusive(path: Path, text: str, fsync: bool = True) -> bool:
    """Create `path` holding `text`, whole, only if it does not exist; False if it does.

    `link()` of a finished temporary instead of `O_EXCL` plus a write: the file never exists
    empty, and it is atomic on NFS too, where a retransmitted link whose first reply was
    lost reports EEXIST although it worked (the temporary's link count then says 2).
    """
    tmp = atomic.write_temp(path, text, fsync)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return os.stat(tmp).st_nlink == 2
    finally:
        tmp.unlink(missing_ok=True)
    return True


def read_lock(lock: Path) -> dict[str, Any] | None:
    return _parse(_read_text(lock) or "")


def _read_text(path: Path) -> str | None:
    try:
        return safe_read.read_text(path, cap=LOCK_CAP)  # never a FIFO or device, never more than a lock holds
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return ""


def _parse(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _owner_pid(owner: dict[str, Any] | None) -> int | None:
    pid = owner.get("pid") if owner else None
    return pid if isinstance(pid, int) and not isinstance(pid, bool) else None


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return float("inf")


def lock_held(owner: dict[str, Any] | None, lock: Path, run_path: Path) -> bool:
    """Whether the writer named in a lock is alive (see the module docstring)."""
    pid = _owner_pid(owner)
    if owner is None or pid is None:
        return _age(lock) < LOCK_GRACE
    if owner.get("host") == hostname():
        start = owner.get("pid_start")
        return pid_alive(pid, start if isinstance(start, int) else None)
    try:
        heartbeat = float(atomic.read_json(run_path / layout.SUMMARY).get("heartbeat", 0))
    except (OSError, ValueError, TypeError, AttributeError):
        return False
    return time.time() - heartbeat < layout.HEARTBEAT_STALE


def _marker_held(holder: dict[str, Any] | None, marker: Path) -> bool:
    """Whether the taker named in a marker may still be at work (a takeover takes milliseconds)."""
    pid = _owner_pid(holder)
    if holder is None or pid is None:
        return _age(marker) < LOCK_GRACE
    if holder.get("host") == hostname():
        start = holder.get("pid_start")
        return pid_alive(pid, start if isinstance(start, int) else None)
    return _age(marker) < layout.HEARTBEAT_STALE
