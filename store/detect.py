"""Telling store kinds apart from a path, so `open_store` and the CLI take any of them."""

from __future__ import annotations

import os
from pathlib import Path

from . import format as fmt
from .base import RunStore
from .errors import NotAStoreError
from .reader import TrackStore


def open_any(path: str | os.PathLike[str]) -> RunStore:
    text = os.fspath(path)
    root = Path(text).expanduser()
    if (root / fmt.STORE_MARKER).is_file():
        return TrackStore(root)
    if not root.exists():
        raise NotAStoreError(f"{root} does not exist; log a run there first or pass an existing store folder")
    if root.is_dir() and _looks_like_tracktui(root):
        return TrackStore(root)
    raise NotAStoreError(
        f"{root} is not a tracktui store (a folder with {fmt.STORE_MARKER})")


def _looks_like_tracktui(root: Path) -> bool:
    """A store whose marker was lost still has `<experiment>/<run>/meta.json` folders."""
    try:
        for exp in os.scandir(root):
            if exp.is_dir() and not exp.name.startswith("."):
                for run in os.scandir(exp.path):
                    return os.path.exists(os.path.join(run.path, fmt.META))
    except OSError:
        return False
    return False
