"""Reading artifact folders and files defensively: listing, safe opening, hashing, comparing.

Everything here blocks on disk and is meant to run in a worker thread. Failures a user
can meet (a broken symlink, a FIFO, a folder where a file was expected, no permission)
raise `UnreadableArtifact` with a message to show as it is.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from store.safe_read import kind_of_mode

from .data_diff import document_changes, folder_changes, table_changes
from .kinds import HEAD_BYTES, ArtifactKind, detect_kind, human_size

HASH_CHUNK = 1024 * 1024
DIFF_MAX_BYTES = 4 * 1024 * 1024
"""Text files bigger than this are compared by size and hash, not diffed line by line."""
DIFF_MAX_LINES = 20_000


class UnreadableArtifact(Exception):
    """An artifact that cannot be previewed; the message says why, for the user."""


@dataclass(frozen=True)
class ArtifactEntry:
    """One file or folder in an artifact tree, with what `lstat`/`stat` said about it."""

    path: Path
    name: str
    is_dir: bool
    size: int | None
    mtime: float | None
    link_target: str | None = None
    problem: str | None = None
    """Why this entry cannot be opened (broken symlink, FIFO, ...), or None."""
    remote: bool = False
    """Listed on a tracking server but not in the local cache yet: `path` is where it will be once fetched."""


MAX_LINK_HOPS = 40
"""As many symlink hops as Linux follows before it gives up (ELOOP)."""


def link_chain(path: Path) -> tuple[list[str], str | None]:
    """Every hop of the symlink chain starting at `path`, as each link spells it, and what ends
    the chain early: `a loop`, `missing`, `unreadable link`, or None when it reaches a real file."""
    hops: list[str] = []
    seen: set[str] = set()
    current = path
    for _ in range(MAX_LINK_HOPS):
        try:
            target = os.readlink(current)
        except OSError:
            return hops, "unreadable link"
        hops.append(target)
        current = current.parent / target
        key = os.path.normpath(os.path.join(os.path.realpath(current.parent), current.name))
        if key in seen:
            return hops, "a loop"
        seen.add(key)
        if not os.path.lexists(current):
            return hops, "missing"
        if not os.path.islink(current):
            return hops, None
    return hops, f"more than {MAX_LINK_HOPS} hops"


def describe_link(path: Path) -> str:
    """`a → b → c` for a chain of links, naming every hop, with why it ends if it breaks."""
    hops, end = link_chain(path)
    text = " → ".join(hops) or "?"
    return f"{text} ({end})" if end else text


def entry_for(path: Path, name: str | None = None) -> ArtifactEntry:
    """Describe `path` without following it into trouble: broken links and special files get a `problem`."""
    name = name or path.name
    try:
        lst = path.lstat()
    except OSError as exc:
        return ArtifactEntry(path, name, False, None, None, problem=f"cannot stat: {exc.strerror or exc}")
    target = None
    if stat.S_ISLNK(lst.st_mode):
        target = describe_link(path)
        try:
            st = path.stat()
        except OSError:
            return ArtifactEntry(path, name, False, None, lst.st_mtime, target, problem=f"broken symlink to {target}")
    else:
        st = lst
    if stat.S_ISDIR(st.st_mode):
        return ArtifactEntry(path, name, True, None, st.st_mtime, target)
    problem = None if stat.S_ISREG(st.st_mode) else f"{kind_of_mode(st.st_mode)}: not opened, reading it could block"
    return ArtifactEntry(path, name, False, st.st_size, st.st_mtime, target, problem)


def list_folder(path: Path) -> list[ArtifactEntry]:
    """A folder's entries, folders first, then by name. Raises UnreadableArtifact when it cannot be listed."""
    try:
        with os.scandir(path) as it:
            names = [e.name for e in it]
    except PermissionError as exc:
        raise UnreadableArtifact(f"permission denied listing {path}") from exc
    except FileNotFoundError as exc:
        raise UnreadableArtifact(f"nothing here: {path} does not exist") from exc
    except NotADirectoryError as exc:
        raise UnreadableArtifact(f"{path} is not a folder") from exc
    except OSError as exc:
        raise UnreadableArtifact(f"cannot list {path}: {exc.strerror or exc}") from exc
    entries = [entry_for(path / n, n) for n in names]
    return sorted(entries, key=lambda e: (not e.is_dir, e.name.lower(), e.name))


def with_remote(entries: list[ArtifactEntry], folder: Path, remote: dict[str, int]) -> list[ArtifactEntry]:
    """A folder's local `entries` and, for names it lacks, the files a server lists there (`remote`: name ->
    size), in `list_folder`'s order. A local file of the same name is a cached copy, so it wins."""
    have = {e.name for e in entries}
    extra = [
        ArtifactEntry(folder / name, name, False, size, None, remote=True)
        for name, size in remote.items()
        if name not in have
    ]
    return sorted([*entries, *extra], key=lambda e: (not e.is_dir, e.name.lower(), e.name))


def open_regular(path: Path) -> BinaryIO:
    """Open a regular file for reading, refusing FIFOs, devices, folders and broken links without blocking."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError as exc:
        if os.path.islink(path):
            target = os.readlink(path)
            raise UnreadableArtifact(f"broken symlink: {path.name} points to {target}, which does not exist") from exc
        raise UnreadableArtifact(f"{path.name} does not exist (any more)") from exc
    except PermissionError as exc:
        raise UnreadableArtifact(f"permission denied: cannot read {path}") from exc
    except IsADirectoryError as exc:
        raise UnreadableArtifact(f"{path.name} is a folder, not a file") from exc
    except OSError as exc:
        raise UnreadableArtifact(f"cannot open {path.name}: {exc.strerror or exc}") from exc
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise UnreadableArtifact(f"{path.name} is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise UnreadableArtifact(f"{path.name} is {kind_of_mode(st.st_mode)}: not read, it could block forever")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_head(path: Path, n: int = HEAD_BYTES) -> tuple[bytes, os.stat_result]:
    """The first `n` bytes of a regular file and its stat."""
    with open_regular(path) as fh:
        try:
            return fh.read(n), os.fstat(fh.fileno())
        except OSError as exc:
            raise UnreadableArtifact(f"cannot read {path.name}: {exc.strerror or exc}") from exc


def sha256_file(path: Path, *, cancelled: Callable[[], bool] = lambda: False) -> str | None:
    """The file's SHA-256 as hex, read in 1 MB pieces; None if cancelled."""
    digest = hashlib.sha256()
    with open_regular(path) as fh:
        while chunk := fh.read(HASH_CHUNK):
            if cancelled():
                return None
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class ArtifactComparison:
    """What `d` shows: a unified diff, or facts about two files that cannot be diffed as text."""

    status: str
    """`identical`, `different`, `missing` (the other run lacks it) or `unreadable`."""
    message: str
    diff: list[str] = field(default_factory=list)
    facts: list[tuple[str, str, str]] = field(default_factory=list)
    """(what, this run, other run) rows for binaries or big files."""


def _data_changes(kind_a: ArtifactKind, kind_b: ArtifactKind, text_a: str, text_b: str) -> list[str] | None:
    """The changes as data for two JSON/YAML documents or two CSV/TSV tables, else None (also
    when one does not parse)."""
    if kind_a is not kind_b:
        return None
    if kind_a in (ArtifactKind.CSV, ArtifactKind.TSV):
        return table_changes(text_a, text_b, "," if kind_a is ArtifactKind.CSV else "\t")
    if kind_a not in (ArtifactKind.JSON, ArtifactKind.YAML):
        return None
    import yaml  # when two documents are compared, not with the runs table

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        if kind_a is ArtifactKind.JSON:
            return document_changes(json.loads(text_a), json.loads(text_b))
        return document_changes(yaml.load(text_a, Loader=loader), yaml.load(text_b, Loader=loader))
    except (ValueError, RecursionError, yaml.YAMLError):
        return None


def _size_fact(size: int) -> str:
    """`356 B`, or `1.5 KB (1,536 B)` when the short form rounds the exact size away."""
    short = human_size(size)
    return short if size < 1024 else f"{short} ({size:,} B)"


def _describe(path: Path) -> tuple[bytes, os.stat_result]:
    return read_head(path)


def compare_artifacts(
    mine: Path,
    other: Path,
    *,
    label: str,
    mine_name: str,
    other_name: str,
    cancelled: Callable[[], bool] = lambda: False,
) -> ArtifactComparison:
    """Compare the same artifact (`label`, its relative path) in two runs: folders by their
    files, JSON/YAML by key and CSV/TSV by cell (then as text), other text as text, the rest
    by size and hash."""
    if not os.path.lexists(other):
        return ArtifactComparison("missing", f"{other_name} has no {label}")
    if os.path.isdir(mine) and not os.path.islink(mine) and os.path.isdir(other) and not os.path.islink(other):
        changes = folder_changes(mine, other, cancelled)
        if not changes:
            return ArtifactComparison("identical", f"{label}/ holds the same files, of the same sizes, in both runs")
        files = f"{len(changes):,} file{'s' if len(changes) != 1 else ''}"
        return ArtifactComparison(
            "different",
            f"{label}/ differs ({files})",
            diff=[f"# {label}/ compared by file: - this run, + the other run", *changes],
        )
    try:
        head_a, st_a = _describe(mine)
    except UnreadableArtifact as exc:
        return ArtifactComparison("unreadable", f"{mine_name}: {exc}")
    try:
        head_b, st_b = _describe(other)
    except UnreadableArtifact as exc:
        return ArtifactComparison("unreadable", f"{other_name}: {exc}")
    kind_a = detect_kind(mine.name, head_a, size=st_a.st_size).kind
    kind_b = detect_kind(other.name, head_b, size=st_b.st_size).kind
    textual = {
        ArtifactKind.TEXT,
        ArtifactKind.JSON,
        ArtifactKind.YAML,
        ArtifactKind.CSV,
        ArtifactKind.TSV,
        ArtifactKind.MLMODEL,
    }
    small = max(st_a.st_size, st_b.st_size) <= DIFF_MAX_BYTES
    if kind_a in textual and kind_b in textual and small:
        with open_regular(mine) as fa, open_regular(other) as fb:
            text_a = fa.read().decode("utf-8", errors="replace").splitlines()
            text_b = fb.read().decode("utf-8", errors="replace").splitlines()
        if text_a == text_b and st_a.st_size == st_b.st_size:
            return ArtifactComparison("identical", f"{label} is identical in both runs")
        diff = list(
            difflib.unified_diff(text_a, text_b, f"{mine_name}/{label}", f"{other_name}/{label}", lineterm="", n=3)
        )
        if len(diff) > DIFF_MAX_LINES:
            diff = [*diff[:DIFF_MAX_LINES], f"… diff cut at {DIFF_MAX_LINES:,} lines"]
        data = _data_changes(kind_a, kind_b, "\n".join(text_a), "\n".join(text_b))
        message = f"{label} differs ({len(diff):,} diff lines)"
        if data is not None:
            count = f"{len(data):,} change{'s' if len(data) != 1 else ''}"
            message = f"{label} differs as data ({count}) and as text ({len(diff):,} diff lines)"
            if not data:
                message = f"{label} holds the same data, written differently ({len(diff):,} diff lines)"
            diff = [
                f"# {label} compared as data: ~ changed, - this run only, + the other run only",
                *data,
                "",
                "# as text",
                *diff,
            ]
        return ArtifactComparison("different", message, diff=diff)
    hash_a = sha256_file(mine, cancelled=cancelled) or "?"
    hash_b = sha256_file(other, cancelled=cancelled) or "?"
    facts = [("size", _size_fact(st_a.st_size), _size_fact(st_b.st_size)), ("sha256", hash_a, hash_b)]
    same = hash_a == hash_b and st_a.st_size == st_b.st_size
    why = "" if kind_a in textual and kind_b in textual else " (binary: compared by size and hash)"
    if not small and kind_a in textual:
        why = f" (larger than {human_size(DIFF_MAX_BYTES)}: compared by size and hash)"
    return ArtifactComparison(
        "identical" if same else "different", f"{label} is {'identical' if same else 'different'}{why}", facts=facts
    )
