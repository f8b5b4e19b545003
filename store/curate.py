"""Curating runs of a tracktui store: tags, notes, names, the trash. See "Curation" in FORMAT.md.

Tags, notes and names are edits (`store/ours/edits.py`): each is a new small file in the run
folder, so they need no lock, never fight a writer (one that is running now, or one that
resumes the run later and folds them in), and two people editing at once both keep their
edit. Deleting moves the run folder into `<store>/.trash/` while holding the run's lock,
so a writer cannot resume it half-way; restoring moves it back the same way; purging
removes trashed runs older than an age. A live run (its writer alive) is never renamed,
deleted or restored over.

MLflow stores are read-only here: every function takes a `RunStore` and refuses any other
kind than tracktui's with `ReadOnlyStoreError`.
"""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from store import safe_read
from store.base import RunStore
from store.errors import ReadOnlyStoreError, RunLiveError, RunLockedError, RunNotFoundError, StoreError
from store.ours import atomic, journal, layout, stored_values
from store.ours.edits import write_edit
from store.ours.lock import lock_held, read_lock, release_lock, take_lock
from store.process import hostname, user

F = TypeVar("F", bound=Callable[..., Any])


def plain_errors(change: F) -> F:
    """A change whose file operation fails (no permission, a full disk, a file where a folder should be)
    raises StoreError in one line of plain words naming the path, not a Python `[Errno N]` text."""

    @functools.wraps(change)
    def checked(*args: Any, **kwargs: Any) -> Any:
        try:
            return change(*args, **kwargs)
        except OSError as exc:
            where = f" at {exc.filename}" if exc.filename else ""
            raise StoreError(
                f"{change.__name__.replace('_', ' ')} failed{where}: {safe_read.describe(exc)}; "
                f"check the store folder (free space, permissions)"
            ) from None

    return checked  # type: ignore[return-value]


def writable_root(store: RunStore) -> Path:
    """The store's folder, if tracktui may change it; `ReadOnlyStoreError` for an MLflow store."""
    if not can_curate(store):
        what = {
            "multi": "several stores in one table",
            "mlflow-file": "an MLflow store",
            "mlflow-sql": "an MLflow store",
        }.get(store.kind, f"a {store.kind} store")
        tool = "MLflow" if store.kind.startswith("mlflow") else "the tool that wrote them"
        raise ReadOnlyStoreError(f"{store.root} is {what}, which tracktui opens read-only; change its runs with {tool}")
    return Path(store.root)


def can_curate(store: RunStore) -> bool:
    """Whether runs of this store can be tagged, renamed, deleted (the app greys its keys out if not)."""
    return store.kind == "tracktui"


def _search(folder: Path, run_id: str) -> Path | None:
    """`<folder>/<experiment-folder>/<run_id>` if some experiment holds it (hidden folders skipped).

    Links count as folders here, so that one is found and then refused by `inside_store` with a
    message, rather than reported as no run at all.
    """
    try:
        experiments = [e for e in os.scandir(folder) if _is_dir(e) and not e.name.startswith(".")]
    except OSError:
        return None
    for exp in experiments:
        candidate = Path(exp.path) / run_id
        if candidate.is_symlink() or candidate.is_dir():
            return candidate
    return None


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a symlink loop
        return entry.is_symlink()


def inside_store(root: Path, path: Path) -> Path:
    """`path` (made by joining names to `root`) if no symbolic link lies between the store's folder and
    it, else StoreError: nothing tracktui moves, writes or deletes may lead out of the store.

    Resolved and compared, as `git` does with a worktree: the real path must be the store's real
    path plus the same names. `path` need not exist yet (a destination).
    """
    rel = os.path.relpath(path, root)
    real_root = os.path.realpath(root)
    if rel == ".." or rel.startswith(f"..{os.sep}") or os.path.realpath(path) != os.path.join(real_root, rel):
        hop = next((p for p in [path, *path.parents] if p.is_symlink()), path)
        target = os.readlink(hop) if hop.is_symlink() else os.path.realpath(path)
        raise StoreError(
            f"{hop} is a symbolic link (to {target}); tracktui never moves, writes or deletes "
            f"through one: replace it with the folder itself"
        )
    return path


def run_folder(root: Path, run_id: str) -> Path:
    """`<root>/<experiment-folder>/<run_id>` of a run that is not in the trash."""
    found = _search(root, run_id)
    if found is None:
        raise RunNotFoundError(f"no run {run_id!r} in {root}")
    return inside_store(root, found)


def trashed_folder(root: Path, run_id: str) -> Path:
    """`<root>/.trash/<experiment-folder>/<run_id>` of a deleted run."""
    found = _search(inside_store(root, root / layout.TRASH_DIR), run_id)
    if found is None:
        raise RunNotFoundError(f"no deleted run {run_id!r} in {root}; `tracktui ls --deleted {root}` lists them")
    return inside_store(root, found)


def live_writer(run_path: Path) -> str | None:
    """Who is writing the run (`pid N on HOST`), or None when no live writer holds its lock."""
    lock = run_path / layout.LOCK
    if not lock.exists():
        return None
    owner = read_lock(lock)
    if not lock_held(owner, lock, run_path):
        return None
    return f"pid {owner.get('pid')} on {owner.get('host')}" if owner else "another process"


def _edit(store: RunStore, run_id: str, edit: dict[str, Any], path: Path | None = None) -> Path:
    """Add an edit to the run's log, and the edited run's row to the listing journal: a row the writer appended
    is folded while the folder's times are those it names, and an edit made in the same tick of the
    file system's clock leaves them so (the journal's newest row of the run is then this one)."""
    root = writable_root(store)
    path = run_folder(root, run_id) if path is None else path
    written = write_edit(path, {**edit, "host": hostname(), "user": user()})
    journal.note_run(root, path)
    return written


@plain_errors
def set_tags(
    store: RunStore, run_id: str, tags: dict[str, Any] | None = None, remove: list[str] | tuple[str, ...] = ()
) -> None:
    """Add or change `tags` and remove the keys in `remove`; safe on a live run (see module doc)."""
    plain = {
        stored_values.text_value(layout.check_key(k, "tag key"), "tag key"): stored_values.text_value(
            str(v), f"tag {k!r}"
        )
        for k, v in (tags or {}).items()
    }
    gone = [layout.check_key(k, "tag key") for k in remove]
    if not plain and not gone:
        raise ValueError("no tags to set or remove")
    _edit(store, run_id, {"tags": plain, "remove_tags": gone})


@plain_errors
def set_note(store: RunStore, run_id: str, text: str) -> None:
    """Write the run's note (any text, several lines; empty clears it); safe on a live run."""
    _edit(store, run_id, {"note": stored_values.text_value(str(text), "note")})


@plain_errors
def rename(store: RunStore, run_id: str, name: str) -> None:
    """Give the run a new name; refused while its writer is alive (`RunLiveError`)."""
    name = stored_values.text_value(layout.check_key(name, "run name"), "run name").strip()
    path = run_folder(writable_root(store), run_id)
    who = live_writer(path)
    if who:
        raise RunLiveError(
            f"run {run_id} is live ({who} is writing it); a live run is not renamed: rename it when it has finished"
        )
    _edit(store, run_id, {"name": name}, path)


@plain_errors
def delete(store: RunStore, run_id: str) -> Path:
    """Move the run into the trash; its new folder. Refused while its writer is alive.

    The run's lock is held across the move, so a `start_run(resume=...)` at the same moment
    either fails to lock it (and the run is deleted) or locks it first (and this refuses).
    A crashed writer's stale lock is taken over like any writer would.
    """
    root = writable_root(store)
    src = run_folder(root, run_id)
    try:
        take_lock(src, run_id)
    except RunLockedError as exc:
        who = live_writer(src)
        reason = f"{who} is writing it" if who else str(exc)
        raise RunLiveError(
            f"run {run_id} is live ({reason}); a live run is not deleted: stop it or wait for it to finish"
        ) from None
    try:
        dest = inside_store(root, root / layout.TRASH_DIR / src.parent.name / run_id)
        dest.parent.mkdir(parents=True, exist_ok=True)
        inside_store(root, dest)  # made by someone else just now
        if dest.exists():
            raise StoreError(f"run {run_id} is already in the trash at {dest}; purge or restore that one first")
        os.rename(src, dest)
    except BaseException:
        release_lock(src)
        raise
    try:
        atomic.atomic_write_json(
            dest / layout.DELETED, {"time": time.time(), "host": hostname(), "user": user(), "pid": os.getpid()}
        )
    finally:
        release_lock(dest)
    return dest


@plain_errors
def restore(store: RunStore, run_id: str) -> Path:
    """Move a deleted run back to its experiment; its folder again."""
    root = writable_root(store)
    src = trashed_folder(root, run_id)
    take_lock(src, run_id)
    try:
        dest = inside_store(root, root / src.parent.name / run_id)
        if os.path.lexists(dest):
            raise StoreError(f"a run {run_id} exists already at {dest}; it cannot be restored over it")
        dest.parent.mkdir(exist_ok=True)
        inside_store(root, dest)
        os.rename(src, dest)
    except BaseException:
        release_lock(src)
        raise
    try:
        (dest / layout.DELETED).unlink(missing_ok=True)
    finally:
        release_lock(dest)
    return dest


def deleted_at(path: Path) -> float:
    """When a trashed run was deleted: `deleted.json`, else the folder's mtime (a delete cut short)."""
    try:
        when = atomic.read_json(path / layout.DELETED).get("time")
        if isinstance(when, (int, float)) and not isinstance(when, bool):
            return float(when)
    except (OSError, ValueError, AttributeError):
        pass
    try:
        return path.stat().st_mtime
    except OSError:
        return time.time()


@plain_errors
def purge(store: RunStore, older_than: float, now: float | None = None, kept: list[str] | None = None) -> list[str]:
    """Remove for good the trashed runs deleted at least `older_than` seconds ago; their ids.

    Only folders that are runs (a `meta.json` or `deleted.json` file of their own) two levels
    inside the store's real `.trash` are removed: a symbolic link there (`.trash` itself, an
    experiment, a run) is refused or skipped, never followed, and the removal itself never
    follows a link (`shutil.rmtree` works by file descriptors here). What the user keeps
    outside the store is never touched, whatever the trash holds. What was left for being a
    link or not a run is named in `kept` (relative to the trash), so the user can look.

    Each run is first renamed to a hidden temporary (atomic: a `restore` at the same moment
    wins or loses whole), then removed; a removal cut short leaves a temporary that
    `atomic.remove_stale_temporaries` tidies later.
    """
    if older_than < 0:
        raise ValueError("older_than must be zero or more seconds")
    if not shutil.rmtree.avoids_symlink_attacks:
        raise StoreError(
            "this system cannot remove a folder without following the links in it; empty the store's .trash by hand"
        )
    root = writable_root(store)
    now = time.time() if now is None else now
    trash = root / layout.TRASH_DIR
    if not os.path.lexists(trash):
        return []
    inside_store(root, trash)
    purged: list[str] = []
    kept = [] if kept is None else kept
    for exp, real in _entries(trash):
        if not real:
            kept.append(exp.name)
            continue
        atomic.remove_stale_temporaries(exp)
        for run, real in sorted(_entries(exp)):
            if not real or not _is_run(run):
                kept.append(f"{exp.name}/{run.name}")
                continue
            if now - deleted_at(run) < older_than:
                continue
            doomed = exp / f".{run.name}.{secrets.token_hex(4)}{atomic.TEMP_SUFFIX}"
            try:
                os.rename(inside_store(root, run), doomed)
            except FileNotFoundError:
                continue  # restored or purged meanwhile
            shutil.rmtree(inside_store(root, doomed), ignore_errors=True)  # refuses a link put in its place
            purged.append(run.name)
        try:
            exp.rmdir()  # only when empty; only this folder in the trash, never one above it
        except OSError:
            pass
    return purged


def _entries(folder: Path) -> list[tuple[Path, bool]]:
    """The entries of `folder` (hidden ones skipped), each with whether it is a folder itself (not a link)."""
    try:
        return [
            (Path(e.path), e.is_dir(follow_symlinks=False)) for e in os.scandir(folder) if not e.name.startswith(".")
        ]
    except OSError:
        return []


def _is_run(path: Path) -> bool:
    """Whether a folder in the trash is a run: it holds its own `deleted.json` or `meta.json` (not links)."""
    return any(stat.S_ISREG(_lmode(path / name)) for name in (layout.DELETED, layout.META))


def _lmode(path: Path) -> int:
    try:
        return os.lstat(path).st_mode
    except OSError:
        return 0
