"""Finding every store of every kind in a folder that is not one store (`tracktui ~/work`).

A breadth-first walk over the kinds in `store/opening/kinds.py`, bounded in depth and time. A folder
that is a whole store (ours, an `mlruns/`) is one source and is not entered; a folder (or
database file) that is one run of a kind makes its parent folder a source of that kind, and the
walk goes on inside it, so a Hugging Face output folder's TensorBoard logs, the DVCLive folders
inside a DVCLive folder and Lightning's CSV and TensorBoard logs in one `version_0` are all
found. One folder can be a source of several kinds (each is a source of its own); a source whose
runs a source of its kind above it lists already is left out, so no run is listed twice. A
run's own parts (`Kind.run_parts`) and an MLflow database's artifact roots (`Kind.owns`) are not
entered.

Symlinked folders are followed once, after the real folders (a folder reached twice, such as
W&B's `latest-run` link or a symlink loop, is searched once); hidden folders and the usual heavy
ones (virtual environments, `node_modules`) are not entered. What was not searched (folders
deeper than `MAX_DEPTH`, the rest when `TIME_BUDGET` ran out, folders that could not be read)
is said by `Found.notice()`, which the app and `tracktui ls` show; what was found by then is opened.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from store.opening.kinds import KINDS, Kind, kind_named

MAX_DEPTH = 5
"""Folder levels searched below the root (`~/work/project/outputs/lightning_logs/version_0` is four)."""
TIME_BUDGET = 10.0
"""Seconds the search may take; what was found by then is opened, and the notice says it stopped."""
PROGRESS_EVERY = 0.25
SKIPPED = frozenset({"node_modules", "__pycache__", "site-packages", "venv", "env", "wandb-cache"})
_Folder = tuple[Path, "Path | None", frozenset[str]]
"""A folder to search: its path, the symlink it was reached through (or None), the subfolders it skips."""


@dataclass(frozen=True)
class FoundSource:
    """One source a search found: a path and the kind to open it as."""

    path: str
    kind: str
    linked: bool = False
    """Reached through a symlinked folder (readers do not follow links, so a source above it does not list it)."""


@dataclass
class Found:
    """What a search found: sources in the order found, and how much was searched and left out."""

    root: Path
    sources: list[FoundSource] = field(default_factory=list)
    folders: int = 0
    seconds: float = 0.0
    cut_short: str | None = None
    """Why the search stopped before searching everything (time, depth), or None."""
    unreadable: list[str] = field(default_factory=list)
    """Folders that could not be listed (permissions, a disk gone)."""

    @property
    def specs(self) -> list[str]:
        return [source.path for source in self.sources]

    def one_kind(self) -> str | None:
        """The kind of every source when all are of one kind of run folders whose reader, opened on
        the root, lists them all (a TensorBoard logdir, Lightning's `save_dir`), else None."""
        names = {source.kind for source in self.sources}
        if len(names) != 1 or any(source.linked for source in self.sources):
            return None
        kind = kind_named(names.pop())
        depth = len(self.root.parts)
        if kind.whole or any(len(Path(s.path).parts) - depth + 1 > kind.reach for s in self.sources):
            return None
        return kind.name

    def summary(self) -> str:
        stores = f"{len(self.sources)} store{'s' if len(self.sources) != 1 else ''}"
        text = f"searched {self.folders:,} folders in {self.seconds:.1f} s, found {stores}"
        return f"{text}; {self.notice()}" if self.notice() else text

    def notice(self) -> str | None:
        """One line on what the search left out, or None when it searched everything."""
        parts = [self.cut_short] if self.cut_short else []
        if self.unreadable:
            many = len(self.unreadable)
            parts.append(
                f"{many} folder{'s' if many != 1 else ''} could not be read ({self.unreadable[0]}"
                f"{', …' if many > 1 else ''})"
            )
        return "; ".join(parts) or None


@dataclass
class _Search:
    """The walk's state: what is found, which real folders were seen, which links wait."""

    found: Found
    budget: float
    deadline: float
    timed_out: bool = False
    seen: set[tuple[int, int]] = field(default_factory=set)
    """(device, inode) of each folder searched: a folder reached again through a link is not searched again."""

    def out_of_time(self, where: Path) -> bool:
        """Whether the budget ran out (checked before each folder and file is looked at, so one folder
        of 100,000 entries cannot outlast it); the first time, says where the search stopped."""
        if time.monotonic() <= self.deadline:
            return False
        if not self.timed_out:
            self.timed_out = True
            said = f"the {self.budget:g} s search budget ran out: {where} and what came after it were not searched"
            self.found.cut_short = f"{self.found.cut_short}; {said}" if self.found.cut_short else said
        return True

    def first_visit(self, path: Path) -> bool:
        try:
            st = os.stat(path)
        except OSError:
            return False
        key = (st.st_dev, st.st_ino)
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def add(self, path: Path, kind: Kind, link: Path | None) -> None:
        """`path` as a source of `kind` (once)."""
        source = FoundSource(str(path), kind.name, link is not None)
        if source not in self.found.sources:
            self.found.sources.append(source)

    def drop_covered(self) -> None:
        """Leave out a source whose runs a source of its kind above it lists already (its reader finds runs
        `reach` levels down, never through a link, so what lies behind a link stays a source of its own);
        two links to one folder are one source."""
        real = {source: Path(os.path.realpath(source.path)) for source in self.found.sources}
        kept: list[FoundSource] = []
        for source in sorted(self.found.sources, key=lambda s: (len(real[s].parts), s.linked)):
            reach = kind_named(source.kind).reach
            if not any(
                other.kind == source.kind
                and (
                    real[other] == real[source]
                    or (
                        real[other] in real[source].parents
                        and len(real[source].parts) - len(real[other].parts) + 1 <= reach
                    )
                )
                for other in kept
            ):
                kept.append(source)
        self.found.sources = [source for source in self.found.sources if source in kept]

    def classify(self, path: Path, is_dir: bool, root: bool, link: Path | None) -> frozenset[str] | None:
        """Note what `path` is a source of. For a folder: None when the walk does not go inside it, else
        the names of its subfolders it skips there (a run's own parts); for a file: the folders beside
        it that its store owns (an MLflow database's artifact root), or None."""
        inside: frozenset[str] = frozenset()
        for kind in KINDS:
            if not kind.searched or kind.on_files == is_dir:
                continue
            assert kind.is_run is not None
            try:
                hit = kind.is_run(path)
            except OSError:
                continue
            if not hit:
                continue
            if kind.whole:
                self.add(path, kind, link)
                return None if is_dir else kind.owns
            self.add(path if root or path == link else path.parent, kind, link)
            inside |= kind.run_parts
        return inside if is_dir else None


def find_stores(
    root: Path, max_depth: int = MAX_DEPTH, budget: float = TIME_BUDGET, progress: Callable[[str], object] | None = None
) -> Found:
    """Every store at or below `root`, by breadth-first search over every kind."""
    found = Found(root)
    start = time.monotonic()
    search = _Search(found, budget, start + budget)
    last_said = start - PROGRESS_EVERY  # say so at once: the first folder may be the slow one
    search.first_visit(root)
    inside = search.classify(root, True, True, None)
    level: list[_Folder] = [(root, None, inside)] if inside is not None else []
    links: list[tuple[Path, int]] = []
    depth = 0
    while level or links:
        if not level:  # the real folders are done: now each symlinked folder not reached already
            depth = min(d for _, d in links)
            level = []
            for linked, _ in links:
                if search.out_of_time(linked):
                    break
                if _is_loop(linked) or not search.first_visit(linked):
                    continue
                inside = search.classify(linked, True, False, linked)
                if inside is not None:
                    level.append((linked, linked, inside))
            links = []
            continue
        if depth >= max_depth:
            deeper = next((folder for folder, _, inside in level if _has_subfolder(folder, inside)), None)
            if deeper is not None:
                found.cut_short = f"folders deeper than {max_depth} levels were not searched (such as in {deeper})"
            level = []  # symlinked folders higher up are still searched
            continue
        following: list[_Folder] = []
        for folder, link, inside in level:
            if search.out_of_time(folder):
                following, links = [], []
                break
            now = time.monotonic()
            if progress is not None and now - last_said > PROGRESS_EVERY:
                last_said = now
                progress(f"Searching {folder} … {found.folders:,} folders, {len(found.sources)} stores found")
            found.folders += 1
            following += _children(search, folder, link, inside, depth, links)
        level = following
        depth += 1
    search.drop_covered()
    found.seconds = time.monotonic() - start
    return found


def _children(
    search: _Search, folder: Path, link: Path | None, inside: frozenset[str], depth: int, links: list[tuple[Path, int]]
) -> list[_Folder]:
    """Classify what `folder` holds; the real subfolders to search next (symlinked ones go to `links`)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        search.found.unreadable.append(f"{folder}: {exc.strerror or type(exc).__name__}")
        return []
    files: list[Path] = []
    folders: list[Path] = []
    for entry in entries:
        if entry.name.startswith(".") or entry.name in SKIPPED or entry.name in inside:
            continue
        try:
            is_link, is_dir = entry.is_symlink(), entry.is_dir()
            is_file = not is_dir and entry.is_file()
        except OSError:
            continue
        if is_link and is_dir:
            links.append((Path(entry.path), depth + 1))
        elif is_dir:
            folders.append(Path(entry.path))
        elif is_file:
            files.append(Path(entry.path))
    owned: frozenset[str] = frozenset()
    following: list[_Folder] = []
    for path in files:
        if search.out_of_time(path):
            return following
        owned |= search.classify(path, False, False, link) or frozenset()
    for path in folders:
        if search.out_of_time(path):
            return following
        if search.first_visit(path):
            within = search.classify(path, True, False, link)
            if within is not None and path.name not in owned:
                following.append((path, link, within))
    return following


def _is_loop(link: Path) -> bool:
    """A link to a folder it sits in (`up -> ..`): following it would search outside the folder named, then loop."""
    target = Path(os.path.realpath(link))
    here = Path(os.path.realpath(link.parent))
    return target == here or target in here.parents


def _has_subfolder(folder: Path, inside: frozenset[str]) -> bool:
    """Whether a folder at the depth limit holds a folder the search would have entered."""
    try:
        return any(
            not e.name.startswith(".") and e.name not in SKIPPED and e.name not in inside and e.is_dir()
            for e in os.scandir(folder)
        )
    except OSError:
        return False
