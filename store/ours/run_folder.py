"""Creating a run's folder: whole or not at all, cheaply enough for sweeps of short runs.

A folder made in place and a kill before its `meta.json` would leave a nameless `damaged`
run forever (readers list every folder of an experiment). So the folder is built as
`.<run-id>.tmp` (which readers skip) with its lock and meta, then renamed into place. A
creation killed half-way leaves that hidden folder; every later creation in the folder
removes such leftovers once they are old (`atomic.remove_stale_temporaries`).

Listing an experiment folder of 10,000 runs costs several milliseconds, more than the rest
of a creation, so a process lists a folder again only when someone else changed it: it
keeps the folder's (mtime, link count) after its own last creation there, and the young
leftovers it saw, which it re-checks by name. A link count that did not grow by exactly
our one folder means another process changed the folder meanwhile: the next creation
lists it again. File systems that do not count subfolders in the link count (btrfs) are
always listed.
"""

from __future__ import annotations

import os
import shutil
import stat
import time
from pathlib import Path
from typing import Any

from store.ours import atomic, durable, layout
from store.ours.lock import take_lock
from store.safe_names import plain_name

_seen: dict[str, tuple[tuple[int, int] | None, int, list[str]]] = {}
"""folder -> ((mtime_ns, nlink) after our last creation there or None, nlink before the creation
under way, young leftovers seen)."""


def create_run_folder(root: Path, final: Path, run_id: str, meta: dict[str, Any]) -> None:
    """Make `final` (a run folder under `root`) with its lock and `meta.json`, atomically.

    Nothing here waits for the disk: files are fsynced soon after (see store/ours/durable.py).
    """
    root.mkdir(parents=True, exist_ok=True)
    marker = root / layout.STORE_MARKER
    if not marker.exists():
        atomic.atomic_write_json(marker, {"format": "tracktui", "version": layout.FORMAT_VERSION})
    final.parent.mkdir(exist_ok=True)
    atomic.remove_stale_temporaries(root)  # left by killed index saves; a store root holds few entries
    _tidy(final.parent)
    temp = final.parent / f".{run_id}{atomic.TEMP_SUFFIX}"
    (temp / layout.METRICS_DIR).mkdir(parents=True)
    (temp / layout.ARTIFACTS_DIR).mkdir()
    take_lock(temp, run_id, fsync=False)
    atomic.atomic_write_json(temp / layout.META, meta, fsync=False)
    os.rename(temp, final)
    _created_in(final.parent)
    durable.soon(final / layout.META, final, final.parent)


def find_run(root: Path, run_id: str) -> Path:
    """The folder of run `run_id` in any experiment of the store; FileNotFoundError if none (or if the id,
    which may come from an env var, is no plain name: `../..` must not find a folder outside the store)."""
    for exp in root.iterdir() if root.is_dir() and plain_name(run_id) else ():
        candidate = exp / run_id
        if (candidate / layout.META).is_file():
            return candidate
    raise FileNotFoundError(f"no run {run_id!r} in store {root}; check the id with `tracktui ls {root}`")


def read_back(path: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """meta, params and tags of an existing run folder (to resume or attach to it)."""
    meta = atomic.read_json(path / layout.META)
    found: list[dict[str, Any]] = []
    for name in (layout.PARAMS, layout.TAGS):
        try:
            found.append(atomic.read_json(path / name))
        except FileNotFoundError:
            found.append({})
    return meta, found[0], found[1]


def _tidy(folder: Path) -> None:
    key = os.fspath(folder)
    st = os.stat(key)
    known = _seen.get(key)
    if known is not None and known[0] == (st.st_mtime_ns, st.st_nlink) and st.st_nlink >= 2:
        young = [name for name in known[2] if not _remove_if_stale(os.path.join(key, name))]
    else:
        young = _young_temporaries(key)
    _seen[key] = (None, os.stat(key).st_nlink, young)


def _created_in(folder: Path) -> None:
    key = os.fspath(folder)
    known = _seen.get(key)
    st = os.stat(key)
    if known is not None and st.st_nlink == known[1] + 1:
        _seen[key] = ((st.st_mtime_ns, st.st_nlink), st.st_nlink, known[2])
    else:
        _seen.pop(key, None)


def _young_temporaries(folder: str) -> list[str]:
    """Remove the stale leftovers in `folder` (as `atomic.remove_stale_temporaries`); the names of the young ones."""
    try:
        names = [n for n in os.listdir(folder) if n[:1] == "." and n.endswith(atomic.TEMP_SUFFIX)]
    except OSError:
        return []
    return [name for name in names if not _remove_if_stale(os.path.join(folder, name))]


def _remove_if_stale(path: str) -> bool:
    """Whether `path` is gone now: removed here as stale, or by someone else."""
    try:
        st = os.lstat(path)
        if time.time() - st.st_mtime < atomic.STALE_TEMP_AGE:
            return False
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except OSError:
        pass
    return not os.path.lexists(path)
