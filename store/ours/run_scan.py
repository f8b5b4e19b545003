"""Finding a store's run folders and their stat signatures, with as few syscalls as Python allows.

A listing of 100,000 runs is mostly per-file overhead (see the "Index" section of FORMAT.md),
so these work on text paths and reuse what a directory listing already said.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Container, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

PENDING = -2
"""A file's size in a signature not taken yet (no stat returns it): the read fills it in, or it is read again."""


def plain_file(entry: os.DirEntry[str]) -> bool:
    """Whether a listing says this is a regular file itself (not a symbolic link): no syscall on most systems."""
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False


def maybe_folder(entry: os.DirEntry[str]) -> bool:
    """A folder, or an entry whose kind cannot be known (a symbolic link loop): not a plain file."""
    try:
        return entry.is_dir()
    except OSError:
        return True


def list_run_folders(
    root: Path, prefix: str, folders: list[str], linked_out: set[str], real_root: str, odd: dict[str, str]
) -> None:
    """Every run folder under `root` as its unit, from directory listings alone (no stat).

    A folder's path is the store's root joined with its unit (`paths`), but for the units in `odd`
    (unit -> path): an experiment listed as a run of its own name at the experiment's own path. Units
    alone, not (unit, path) pairs: at 100,000 runs the pairs held 16 MB more through every scan.

    An entry that cannot be told a folder or not (a symbolic link loop, no permission) is
    taken as one: reading it fails, so it is listed as one damaged row and the rest lists.
    A bad entry among the experiments is listed as a run of its own name. A symbolic link
    (an experiment or a run folder) that leads out of the store (`real_root`, its real path)
    is neither listed through nor read: its unit goes into `linked_out` (one damaged row).
    """
    try:
        experiments = [e for e in os.scandir(root) if not e.name.startswith(".") and maybe_folder(e)]
    except OSError:  # gone, not a folder, a loop itself: nothing listed from it
        return
    for exp in experiments:
        if leads_out(exp, real_root):
            unit = f"{prefix}{exp.name}/{exp.name}"
            linked_out.add(unit)
            folders.append(unit)
            odd[unit] = exp.path
            continue
        try:
            runs = list(os.scandir(exp.path))
        except FileNotFoundError:
            continue
        except OSError:
            folders.append(f"{prefix}{exp.name}/{exp.name}")  # at `exp/exp`, as the unit says
            continue
        for run in runs:
            if not run.name.startswith(".") and maybe_folder(run):
                unit = f"{prefix}{exp.name}/{run.name}"
                if leads_out(run, real_root):
                    linked_out.add(unit)
                folders.append(unit)


def leads_out(entry: os.DirEntry[str], real_root: str) -> bool:
    """Whether `entry` is a symbolic link whose target is outside the store at `real_root` (free for
    every other entry: a listing says what is a link without a syscall)."""
    try:
        if not entry.is_symlink():
            return False
    except OSError:
        return False
    return os.path.commonpath([real_root, os.path.realpath(entry.path)]) != real_root


def paths(root: str, units: Sequence[str], odd: Mapping[str, str]) -> Iterator[str]:
    """The path of each run folder of `units` (see `list_run_folders`)."""
    base = root + os.sep
    get = odd.get
    return (get(unit) or base + unit for unit in units)


def folder_times(root: str, folders: Sequence[str], odd: Mapping[str, str]) -> Any:
    """`[mtime_ns, ctime_ns]` of each run folder, one row each; `-1, -1` for one gone while we looked."""
    import numpy as np

    stat = os.stat
    flat: array[int] = array("q")
    add = flat.extend  # int64s, made a numpy array once: an item set of a numpy row per folder cost 10 % more
    for path in paths(root, folders, odd):
        try:
            st = stat(path)
        except (FileNotFoundError, NotADirectoryError):
            add((-1, -1))
            continue
        except OSError:  # a loop, no permission: kept, as `signatures` keeps it
            add((0, 0))
            continue
        add((st.st_mtime_ns, st.st_ctime_ns))
    return np.array(flat, dtype=np.int64).reshape(len(folders), 2)


def signatures(
    root: str,
    folders: Sequence[str],
    names: Sequence[str],
    known: Container[str] | None = None,
    odd: Mapping[str, str] | None = None,
) -> tuple[list[str], array[int]]:
    """The run folders (units) still there, and their signatures one after another: `[0, mtime_ns,
    ctime_ns]` of the folder, then `[size, mtime_ns, ctime_ns]` of each of `names` (`-1, 0, 0` absent).

    A folder not in `known` (None: all are) is about to be read whole, so its files are not
    stat'ed here: their numbers are PENDING, and the read fills them in from its own fstat.
    """
    stat = os.stat
    pending = [PENDING, 0, 0] * len(names)
    units: list[str] = []
    flat: array[int] = array("q")  # int64s, not a Python int each: 1.5 M of them at 100,000 runs, ~60 MB
    for unit, path in zip(folders, paths(root, folders, odd or {})):
        try:
            folder = stat(path)
        except (FileNotFoundError, NotADirectoryError):
            continue  # deleted while we looked
        except OSError:  # a symbolic link loop, no permission: a damaged row, read once
            units.append(unit)
            flat.extend([0, 0, 0] + [-1, 0, 0] * len(names))
            continue
        # The folder's own times catch new files in it (curation edits are new files).
        sig = [0, folder.st_mtime_ns, folder.st_ctime_ns]
        if known is not None and unit not in known:
            units.append(unit)
            flat.extend(sig + pending)
            continue
        base = path + os.sep
        for name in names:
            try:
                st = stat(base + name)
                sig += (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            except (OSError, ValueError):
                sig += (-1, 0, 0)
        units.append(unit)
        flat.extend(sig)
    return units, flat
