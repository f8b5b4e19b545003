"""Power-loss durability off the logging thread: fsync a run's files soon, not while the script waits.

A crash of the writing process (kill -9, OOM, an exception) never needs an fsync: what was
written is in the kernel's page cache and reaches the disk anyway. Only a power loss or a
kernel crash loses unsynced writes. So the writer writes (atomically, by rename) without
fsync and names the files here; one daemon thread per process fsyncs them, and the folders
that hold them (so new names and renames last too), every `SYNC_DELAY` seconds, and
whatever is still pending at interpreter exit. A file named twice before its sync is synced
once. See "Durability" in FORMAT.md.
"""

from __future__ import annotations

import atexit
import os
import threading

SYNC_DELAY = 1.0
"""Seconds a write may wait for its fsync: what a power loss can cost beyond a crash."""

_pending: dict[str, None] = {}
_lock = threading.Lock()
_wake = threading.Event()
_thread: threading.Thread | None = None


def soon(*paths: str | os.PathLike[str]) -> None:
    """Have `paths` (files or folders) fsynced within about SYNC_DELAY seconds, and before exit."""
    global _thread
    with _lock:
        for path in paths:
            _pending[os.fspath(path)] = None
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_loop, name="tracktui-fsync", daemon=True)
            _thread.start()


def sync_now() -> None:
    """fsync everything pending, files before folders; a path gone meanwhile is skipped."""
    with _lock:
        paths = list(_pending)
        _pending.clear()
    files: list[str] = []
    folders: list[str] = []
    for path in paths:
        (folders if os.path.isdir(path) else files).append(path)
    for path in (*files, *folders):
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            continue  # renamed over or removed: its successor was named too
        try:
            os.fsync(fd)
        except OSError:
            pass  # a file system without fsync on folders, or the disk failing: nothing better to do here
        finally:
            os.close(fd)


def _loop() -> None:
    while not _wake.wait(SYNC_DELAY):
        sync_now()


def _forget_in_child() -> None:
    """A forked child (a DataLoader worker) has no writes of its own pending, and no thread."""
    global _thread, _lock
    _lock = threading.Lock()  # another thread may have held it at the fork
    _pending.clear()
    _thread = None


atexit.register(sync_now)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)
