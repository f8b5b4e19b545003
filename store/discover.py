"""Finding the stores in a folder that is not one (`tracktui ~/work`): every kind we read.

A breadth-first walk, bounded in depth and time, that stops at each store it finds (a store's
own folders are its reader's business) and never follows symlinks or enters hidden folders or
the usual heavy ones (virtual environments, `node_modules`). `progress` hears how far it got,
so the app can say so while a big home folder is searched.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

MAX_DEPTH = 5
"""Folder levels searched below the root (`~/work/project/outputs/lightning_logs/version_0` is four)."""
TIME_BUDGET = 10.0
"""Seconds the search may take; what was found by then is opened, and the summary says it stopped."""
PROGRESS_EVERY = 0.25
SKIPPED = frozenset({"node_modules", "__pycache__", "site-packages", "venv", "env", "wandb-cache"})


@dataclass
class Found:
    """What a search found: store paths in the order found, and how much was searched."""

    root: Path
    specs: list[str] = field(default_factory=list)
    folders: int = 0
    seconds: float = 0.0
    cut_short: str | None = None
    """Why the search stopped before searching everything (time, depth), or None."""

    def summary(self) -> str:
        stores = f"{len(self.specs)} store{'s' if len(self.specs) != 1 else ''}"
        text = f"searched {self.folders:,} folders in {self.seconds:.1f} s, found {stores}"
        return f"{text}; stopped early: {self.cut_short}" if self.cut_short else text


def find_stores(root: Path, max_depth: int = MAX_DEPTH, budget: float = TIME_BUDGET,
                progress: Callable[[str], object] | None = None) -> Found:
    """The stores under `root` (not `root` itself), by breadth-first search."""
    from .detect import holds_store

    found = Found(root)
    start = time.monotonic()
    last_said = start - PROGRESS_EVERY  # say so at once: the first folder may be the slow one
    level = [root]
    depth = 0
    while level:
        if depth >= max_depth:
            found.cut_short = f"folders deeper than {max_depth} levels were not searched"
            break
        following: list[Path] = []
        for folder in level:
            now = time.monotonic()
            if now - start > budget:
                found.cut_short = f"the {budget:.0f} s search budget ran out"
                following = []
                break
            if progress is not None and now - last_said > PROGRESS_EVERY:
                last_said = now
                progress(f"Searching {folder} … {found.folders:,} folders, {len(found.specs)} stores found")
            found.folders += 1
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith(".") or entry.name in SKIPPED:
                    continue
                path = Path(entry.path)
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                    is_db = not is_dir and entry.name.endswith(".db") and entry.is_file(follow_symlinks=False)
                except OSError:
                    continue
                if is_db and entry.name != "mlflow.db" and holds_store(path):
                    found.specs.append(str(path))
                elif is_dir:
                    if holds_store(path):
                        found.specs.append(str(path))
                    else:
                        following.append(path)
        level = following
        depth += 1
    found.seconds = time.monotonic() - start
    return found
