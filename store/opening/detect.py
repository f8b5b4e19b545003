"""Opening any store from a path or URL, so `open_store` and the CLI take any of them.

What each kind is and how it is recognised lives in one registry, `store/opening/kinds.py`: a tracktui
store, an MLflow file store (`mlruns/`) or SQLite database (a file, `sqlite:///relative/path.db`
or `sqlite:////absolute/path.db`), an MLflow tracking server's `http(s)://` URL, and the other
tools' runs in `store/formats/`. Several paths are one table (`store/opening/multi.py`); any other folder
(a project folder holding `mlflow.db`, `~/work`) is searched for every store in it (`store/opening/discover.py`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlparse

from store.base import RunStore
from store.errors import NotAStoreError
from store.opening import kinds
from store.ours import layout
from store.ours.reader import TrackStore

SQLITE_PREFIX = "sqlite:///"
EXPECTED = (
    "a tracktui store (a folder with {marker}), an MLflow file store (an `mlruns/` folder of "
    "numbered experiment folders with meta.yaml) or an MLflow SQLite database (`mlflow.db`, "
    "or `sqlite:///path/to/mlflow.db`), or an MLflow tracking server URL (http://host:5000)"
)


def open_any(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    include_deleted: bool = False,
    progress: Callable[[str], object] | None = None,
) -> RunStore:
    """The reader for whatever store `path` names. `include_deleted` also lists deleted runs.

    A list of paths (and URLs) is one table of them all (`store/opening/multi.py`). A folder that is not
    one whole store (ours, an `mlruns/`) is searched for every store of every kind in it
    (`store/opening/discover.py`), telling `progress` what it is doing: one found (and nothing left
    out) opens as itself, several open as one table with a `source` column.
    """
    if not isinstance(path, (str, os.PathLike)):
        specs = [os.fspath(p) for p in path]
        if len(specs) == 1:
            return open_any(specs[0], include_deleted, progress)
        return _many(specs, include_deleted)
    remote = kinds.url_kind(os.fspath(path))
    if remote is not None:
        return remote.open(os.fspath(path), include_deleted)
    root = _local_path(os.fspath(path))
    expected = EXPECTED.format(marker=layout.STORE_MARKER)
    if (root / layout.STORE_MARKER).is_file():
        return TrackStore(root, include_deleted=include_deleted)
    if not root.exists():
        raise NotAStoreError(f"{root} does not exist; pass an existing store: {expected}, or log a run there first")
    if root.is_file():
        from store.formats.mlflow.sqlite_read import is_sqlite_file

        kind = kinds.file_kind(root)
        if kind is not None:
            return kind.open(str(root), include_deleted)
        what = "an SQLite database without MLflow's tables" if is_sqlite_file(root) else "a file"
        raise NotAStoreError(f"{root} is {what}; expected {expected}")
    kind = kinds.whole_store_kind(root)
    if kind is not None:
        return kind.open(str(root), include_deleted)
    from store.opening.discover import find_stores

    found = find_stores(root, progress=progress)
    if len(found.sources) == 1 and found.notice() is None:
        return kinds.kind_named(found.sources[0].kind).open(found.specs[0], include_deleted)
    alone = found.one_kind()
    if alone is not None and found.notice() is None:  # as `tensorboard --logdir root` would list them
        return kinds.kind_named(alone).open(str(root), include_deleted)
    if found.sources:
        return _many(found.specs, include_deleted, root, [s.kind for s in found.sources], found.notice())
    raise NotAStoreError(f"{root} is not {expected}, nor holds one ({found.summary()})")


def _many(
    specs: Sequence[str],
    include_deleted: bool,
    root: Path | None = None,
    kinds_of: Sequence[str | None] | None = None,
    notice: str | None = None,
) -> RunStore:
    from store.opening.multi import MultiStore

    def opener(spec: str, kind: str | None) -> RunStore:
        if kind is None:
            return open_any(spec, include_deleted)
        return kinds.kind_named(kind).open(spec, include_deleted)

    return MultiStore(specs, opener, root=root, kinds=kinds_of, notice=notice)


def _local_path(text: str) -> Path:
    """A path from a path, a `sqlite:///` URL (three slashes: relative; four: absolute) or a `file:` URI."""
    if text.startswith(SQLITE_PREFIX):
        return Path(text[len(SQLITE_PREFIX) :]).expanduser()
    if text.startswith("sqlite:"):
        raise NotAStoreError(f"{text} is not a local SQLite URL; use sqlite:///relative.db or sqlite:////abs.db")
    if text.startswith("file:"):
        from urllib.request import url2pathname  # http.client, ssl, email: not for every start

        return Path(url2pathname(urlparse(text).path)).expanduser()
    return Path(text).expanduser()
