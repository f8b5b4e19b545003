"""Telling store kinds apart from a path, so `open_store` and the CLI take any of them.

Accepted: a tracktui store folder; an MLflow file store (an `mlruns/` folder, or any folder
of numbered experiment folders holding `meta.yaml`); an MLflow SQLite database (a file,
`sqlite:///relative/path.db` or `sqlite:////absolute/path.db`); and a project folder that
holds `mlflow.db` or `mlruns/`, which is what `mlflow ui` would have been run from; an MLflow
tracking server's `http://` or `https://` URL (read through its REST API); the other tools'
runs in `store/readers/` (DVCLive, Lightning CSV, trainer_state.json, trackio, W&B run folders,
TensorBoard logs); several stores at once (`store/multi.py`), and a folder that holds stores
(`store/discover.py`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

from . import format as fmt
from .base import RunStore
from .errors import NotAStoreError, StoreError
from .reader import TrackStore

SQLITE_PREFIX = "sqlite:///"
EXPECTED = (
    "a tracktui store (a folder with {marker}), an MLflow file store (an `mlruns/` folder of "
    "numbered experiment folders with meta.yaml) or an MLflow SQLite database (`mlflow.db`, "
    "or `sqlite:///path/to/mlflow.db`), or an MLflow tracking server URL (http://host:5000)"
)


def open_any(path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], include_deleted: bool = False,
             progress: Callable[[str], object] | None = None) -> RunStore:
    """The reader for whatever store `path` names. `include_deleted` also lists deleted runs.

    A list of paths (and URLs) is one table of them all (`store/multi.py`); a folder that is
    no store but holds some (`~/work`) is searched for them (`store/discover.py`), telling
    `progress` what it is doing.
    """
    if not isinstance(path, (str, os.PathLike)):
        specs = [os.fspath(p) for p in path]
        if len(specs) == 1:
            return open_any(specs[0], include_deleted, progress)
        return _many(specs, include_deleted)
    if os.fspath(path).startswith(("http://", "https://")):
        from .mlflow_rest import MlflowServerStore

        return MlflowServerStore(os.fspath(path), include_deleted=include_deleted)
    root = _local_path(os.fspath(path))
    expected = EXPECTED.format(marker=fmt.STORE_MARKER)
    if (root / fmt.STORE_MARKER).is_file():
        return TrackStore(root, include_deleted=include_deleted)
    if not root.exists():
        raise NotAStoreError(
            f"{root} does not exist; pass an existing store: {expected}, or log a run there first")
    if root.is_file():
        from .mlflow_sql import MlflowSqlStore, is_sqlite_file

        if _readable_mlflow_db(root):
            return MlflowSqlStore(root, include_deleted=include_deleted)
        from .readers import open_reader

        reader = open_reader(root)
        if reader is not None:
            return reader
        what = "an SQLite database without MLflow's tables" if is_sqlite_file(root) else "a file"
        raise NotAStoreError(f"{root} is {what}; expected {expected}")
    if _looks_like_tracktui(root):
        return TrackStore(root, include_deleted=include_deleted)
    if _looks_like_mlruns(root):
        from .mlflow_file import MlflowFileStore

        return MlflowFileStore(root, include_deleted=include_deleted)
    db = root / "mlflow.db"
    if db.is_file():
        from .mlflow_sql import MlflowSqlStore

        if _readable_mlflow_db(db):
            return MlflowSqlStore(db, include_deleted=include_deleted)
    if (root / "mlruns").is_dir() and _looks_like_mlruns(root / "mlruns"):
        from .mlflow_file import MlflowFileStore

        return MlflowFileStore(root / "mlruns", include_deleted=include_deleted)
    from .readers import open_reader

    reader = open_reader(root)
    if reader is not None:
        return reader
    from .discover import find_stores

    found = find_stores(root, progress=progress)
    if found.specs:
        return _many(found.specs, include_deleted, root)
    raise NotAStoreError(f"{root} is not {expected}, nor holds one ({found.summary()})")


def holds_store(root: Path) -> bool:
    """Whether `root` itself is a store of a kind we read (cheap checks only: names and a few stats)."""
    if root.is_file():
        from .readers.trackio import is_trackio_db

        return root.suffix == ".db" and (is_trackio_db(root) or _quiet(_readable_mlflow_db, root))
    if (root / fmt.STORE_MARKER).is_file() or _looks_like_mlruns(root) or (root / "mlruns").is_dir():
        return True
    if (root / "mlflow.db").is_file() and _quiet(_readable_mlflow_db, root / "mlflow.db"):
        return True
    from .readers import reader_kind

    return reader_kind(root) is not None


def _quiet(check: Callable[[Path], bool], path: Path) -> bool:
    try:
        return check(path)
    except StoreError:
        return False


def _many(specs: Sequence[str], include_deleted: bool, root: Path | None = None) -> RunStore:
    from .multi import MultiStore

    return MultiStore(specs, lambda spec: open_any(spec, include_deleted), root=root)


def _readable_mlflow_db(path: Path) -> bool:
    """Whether `path` is an MLflow database; an SQLite file that cannot be read now (locked by a
    writer, truncated, damaged) is an error that says so, not "without MLflow's tables"."""
    from .mlflow_sql import is_mlflow_db

    try:
        return is_mlflow_db(path)
    except StoreError as exc:
        raise NotAStoreError(f"{exc} (an SQLite database; MLflow's tables could not be read)") from exc


def _local_path(text: str) -> Path:
    """A path from a path, a `sqlite:///` URL (three slashes: relative; four: absolute) or a `file:` URI."""
    if text.startswith(SQLITE_PREFIX):
        return Path(text[len(SQLITE_PREFIX):]).expanduser()
    if text.startswith("sqlite:"):
        raise NotAStoreError(f"{text} is not a local SQLite URL; use sqlite:///relative.db or sqlite:////abs.db")
    if text.startswith("file:"):
        return Path(url2pathname(urlparse(text).path)).expanduser()
    return Path(text).expanduser()


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


def _looks_like_mlruns(root: Path) -> bool:
    """An MLflow file store: a numbered experiment folder with meta.yaml, or a folder named
    `mlruns` with no numbered folders at all (empty, or every experiment in `.trash/`).

    An SQL store's artifact root is also called `mlruns/`, but its numbered folders have no
    meta.yaml, so it is not taken for a file store.
    """
    try:
        numbered = [e for e in os.scandir(root) if e.name.isdigit() and e.is_dir()]
    except OSError:
        return False
    if any(os.path.isfile(os.path.join(e.path, "meta.yaml")) for e in numbered):
        return True
    return root.name == "mlruns" and not numbered
