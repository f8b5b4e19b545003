"""How a store's files are written so a reader never sees half of one, and read back.

Temporaries beside their target (`write_temp`) renamed into place (`atomic_write_text`,
`copy_file_atomic`), history records appended at a known size (`append_records`), and removing
temporaries a killed writer left (`remove_stale_temporaries`). `FORMAT.md`, "Atomic replacement", says why.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import time
from pathlib import Path
from typing import Any

from store import safe_read

from .layout import HISTORY_RECORD_SIZE
from .stored_values import dumps

FILE_MODE = 0o666
"""Mode asked for every file the store creates; the umask takes off the rest (0644 under 022).
Not `tempfile.mkstemp`, which makes 0600 files that teammates cannot read."""

TEMP_SUFFIX = ".tmp"
STALE_TEMP_AGE = 3600.0
"""A temporary older than this (seconds) belongs to a writer that was killed mid-write."""


def temp_path(path: Path) -> Path:
    """A temporary name beside `path`: `.<name>.<random>.tmp`, which every reader skips."""
    return path.parent / f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}"


def create_temp(path: Path, mode: int = FILE_MODE) -> tuple[int, Path]:
    """Create a fresh temporary beside `path` (O_EXCL, mode under the umask): fd and name."""
    while True:
        tmp = temp_path(path)
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), mode), tmp
        except FileExistsError:
            continue


def remove_stale_temporaries(folder: Path, max_age: float = STALE_TEMP_AGE, recursive: bool = False) -> list[Path]:
    """Delete `.<name>.<random>.tmp` files (and such run folders) older than `max_age` seconds.

    A process killed between creating a temporary and renaming it (an index save, an atomic
    write, an artifact copy, a run being created) leaves one behind; nothing else ever
    removes it. Young ones are left alone: their writer may still be at work. Returns what
    was removed. Errors (a file gone meanwhile, no permission) are ignored: this is tidying.
    """
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        try:
            if entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX):
                if now - entry.stat(follow_symlinks=False).st_mtime < max_age:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
                removed.append(Path(entry.path))
            elif recursive and entry.is_dir(follow_symlinks=False):
                removed += remove_stale_temporaries(Path(entry.path), max_age, recursive=True)
        except OSError:
            continue
    return removed


def write_temp(path: Path, text: str, fsync: bool = True, mode: int = FILE_MODE) -> Path:
    """A finished temporary beside `path` holding `text` (fsynced if asked), for the caller to
    rename or link into place and then remove; nothing is left behind if writing fails.
    The one home of the temporary write behind `atomic_write_text` and `lock.create_exclusive`."""
    fd, tmp = create_temp(path, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def atomic_write_text(path: Path, text: str, fsync: bool = True, mode: int = FILE_MODE) -> None:
    """Replace `path` so that a reader sees the old file or the new one, never half of one (created with `mode`)."""
    tmp = write_temp(path, text, fsync, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, obj: Any, fsync: bool = True) -> None:
    atomic_write_text(path, dumps(obj), fsync=fsync)


def read_json(path: Path) -> Any:
    return safe_read.read_json(path)  # regular files only, capped and depth-checked: a store file is never trusted


def append_records(path: Path, data: bytes, expected_size: int | None, fsync: bool = True) -> int:
    """Append whole history records to `path`, all or nothing in effect; the new size.

    A write that fails part-way (ENOSPC after some bytes, a signal) is cut back to where it
    started, so the file never holds a torn record that later appends would follow. The
    file is also cut to `expected_size` (what this writer knows it wrote), or to a record
    boundary, before appending: a cut that failed last time is repaired now.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        start = os.fstat(fd).st_size
        keep = start - start % HISTORY_RECORD_SIZE if expected_size is None else min(expected_size, start)
        if keep != start:
            os.ftruncate(fd, keep)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if fsync:
                os.fsync(fd)
        except BaseException:
            try:
                os.ftruncate(fd, keep)
            except OSError:
                pass  # the next append cuts it (expected_size)
            raise
        return keep + len(data)
    finally:
        os.close(fd)


def copy_file_atomic(src: str | os.PathLike[str], dest: str | os.PathLike[str]) -> str:
    """Copy `src` to `dest` through a temporary in dest's folder, then rename it into place."""
    target = Path(dest)
    mode = 0o777 if os.stat(src).st_mode & stat.S_IXUSR else FILE_MODE
    fd, tmp = create_temp(target, mode)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out, 1 << 20)
        shutil.copystat(src, tmp, follow_symlinks=True)
        os.chmod(tmp, mode & ~umask())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return str(target)


def umask() -> int:
    """The process umask: from /proc on Linux, else by setting and restoring it (racy with threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
