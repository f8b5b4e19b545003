"""What a push remembers between runs: the mapping of each run onto the server, and the store's push lock.

Each run's server-side id and what of it was sent (metric points per key, artifact sizes,
dataset inputs) is kept in a mapping: `mlflow-push.json` in the run's folder for a tracktui
store (see store/FORMAT.md), a file in the user's cache folder for stores we do not own, so a
store we do not own is never written. It is rewritten after every batch, so an interrupted
push resumes where it stopped, and a second push of an unchanged run sends nothing.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from store import safe_read
from store.base import RunDetail, RunStore
from store.errors import StoreError
from store.ours import atomic, layout
from store.remote.rest import server_key

MAP_FILE = "mlflow-push.json"
PRIVATE = 0o600
"""Progress files and the lock: they name the servers a user pushes to."""


def map_path(store: RunStore, detail: RunDetail, url: str) -> Path:
    """Where a run's push mapping lives: its folder for our stores, the cache folder for others."""
    if store.kind_of(detail.run_id) == "tracktui" and detail.artifacts_dir is not None:
        return detail.artifacts_dir.parent / MAP_FILE
    digest = hashlib.sha1(f"{store.root}\0{detail.run_id}".encode()).hexdigest()[:16]
    return _cache_dir() / f"{server_key(url)}-{digest}.json"


def _cache_dir() -> Path:
    """`<cache>/push`, the user's alone (0700)."""
    folder = layout.cache_root() / "push"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _read_all(path: Path) -> dict[str, Any]:
    """The mapping file, bounded and regular files only; empty when missing or damaged (the server is asked)."""
    try:
        data = safe_read.read_json(path)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_map(path: Path, url: str) -> dict[str, Any]:
    entry = _read_all(path).get(url)
    return entry if isinstance(entry, dict) and isinstance(entry.get("run_id"), str) else {}


def write_map(path: Path, url: str, entry: dict[str, Any]) -> None:
    data = _read_all(path)
    data[url] = entry
    atomic.atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True), fsync=False, mode=PRIVATE)


@contextmanager
def push_lock(store: RunStore) -> Iterator[None]:
    """Hold the store's push lock: an flock on `<cache>/push/<store digest>.lock`, which holds the pid.

    The kernel drops an flock when its holder dies, even by SIGKILL, so a killed push never
    leaves a stale lock. It lives in the cache, not the store, as a store may not be ours.
    """
    digest = hashlib.sha1(str(Path(store.root).resolve()).encode()).hexdigest()[:16]
    try:
        path = _cache_dir() / f"{digest}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE)
    except OSError as exc:
        raise StoreError(
            f"cannot create the push lock in {layout.cache_root() / 'push'} ({exc.strerror}); "
            "set XDG_CACHE_HOME to a folder you can write"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = f"pid {int(safe_read.read_text(path, cap=64))}"
            except (OSError, ValueError):
                holder = "pid unknown"
            raise StoreError(
                f"another push of this store is running ({holder}); wait for it to finish, or stop it"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)
