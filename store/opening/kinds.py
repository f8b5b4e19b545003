"""The one registry of store kinds: how each is recognised, opened, and found in a searched folder.

Opening a path (`store/opening/detect.py`), searching a folder for stores (`store/opening/discover.py`) and
`tracktui ls` all go through `KINDS`, so adding a format is its reader module plus one `Kind`
line here (and a fixture in tests/test_kinds.py, which checks every registered kind).

A kind answers two questions about a path, with cheap checks (names and a few stats):

- `is_store`: is this path, named by the user, a store by itself (our store, an `mlruns/`, a
  database file)? The first kind in `KINDS` that says yes opens it; any other folder is searched.
- `is_run` (search): is this folder, or file with `on_files`, one run of this kind, or with
  `whole` a whole store? A whole store is a source by itself and is not searched inside;
  otherwise the run's parent folder is the source (its reader lists the runs beside it) and the
  search goes on inside the run (a Hugging Face output folder holds TensorBoard logs, a DVCLive
  folder holds DVCLive folders). `reach` is how many folder levels below a source its reader
  finds runs, so one source is not listed again inside another of the same kind.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from store.base import RunStore
from store.errors import NotAStoreError, StoreError
from store.ours import layout


@dataclass(frozen=True)
class Kind:
    """One kind of store: its name (`RunStore.kind`), how it is recognised and how it is opened."""

    name: str
    open: Callable[[str, bool], RunStore]
    """(path or URL, include_deleted) -> its reader; may raise `StoreError` saying why not."""
    is_store: Callable[[Path], bool] | None
    """Whether a path the user named is a store by itself, opened without a search (a whole folder
    store, a database file); None: a folder of this kind named by the user is found by the search."""
    is_run: Callable[[Path], bool] | None = None
    """Search: whether a folder (a file with `on_files`) is one run, or a whole store; None: never searched for."""
    whole: bool = False
    on_files: bool = False
    reach: int = 1
    run_parts: frozenset[str] = frozenset()
    """A run folder's own subfolders, which hold no other runs: the search does not enter them."""
    owns: frozenset[str] = frozenset()
    """Folders beside a store file that are its own (an MLflow database's artifact roots): a search
    looks at them (an `mlruns/` there may be a file store) but does not go inside."""
    schemes: tuple[str, ...] = ()
    """URL schemes this kind is opened from (its `is_store` is not asked about local paths then)."""

    @property
    def searched(self) -> bool:
        """Whether a folder search finds stores of this kind (can be a child of a searched folder)."""
        return self.is_run is not None


def _tracktui(spec: str, include_deleted: bool) -> RunStore:
    from store.ours.reader import TrackStore

    return TrackStore(Path(spec), include_deleted=include_deleted)


def _has_marker(path: Path) -> bool:
    return (path / layout.STORE_MARKER).is_file()


def _looks_like_tracktui(root: Path) -> bool:
    """A store whose marker was lost still has `<experiment>/<run>/meta.json` folders."""
    if _has_marker(root):
        return True
    try:
        for exp in os.scandir(root):
            if exp.is_dir() and not exp.name.startswith("."):
                for run in os.scandir(exp.path):
                    return os.path.exists(os.path.join(run.path, layout.META))
    except OSError:
        return False
    return False


def _mlflow_file(spec: str, include_deleted: bool) -> RunStore:
    from store.formats.mlflow.file import MlflowFileStore

    return MlflowFileStore(Path(spec), include_deleted=include_deleted)


def looks_like_mlruns(root: Path) -> bool:
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


def _mlflow_sql(spec: str, include_deleted: bool) -> RunStore:
    from store.formats.mlflow.sql import MlflowSqlStore

    return MlflowSqlStore(Path(spec), include_deleted=include_deleted)


def readable_mlflow_db(path: Path) -> bool:
    """Whether `path` is an MLflow database; an SQLite file that cannot be read now (locked by a
    writer, truncated, damaged) is an error that says so, not "without MLflow's tables"."""
    from store.formats.mlflow.sql import is_mlflow_db

    if not path.is_file():
        return False
    try:
        return is_mlflow_db(path)
    except StoreError as exc:
        raise NotAStoreError(f"{exc} (an SQLite database; MLflow's tables could not be read)") from exc


def _mlflow_db_in_search(path: Path) -> bool:
    """`mlflow.db` is listed even when it cannot be read now (it is then a damaged row saying why)."""
    if path.suffix != ".db":
        return False
    try:
        return readable_mlflow_db(path)
    except StoreError:
        return path.name == "mlflow.db"


def _server(spec: str, include_deleted: bool) -> RunStore:
    from store.remote.rest import MlflowServerStore

    return MlflowServerStore(spec, include_deleted=include_deleted)


def _trackio_db(path: Path) -> bool:
    from store.formats import trackio

    return path.suffix == trackio.DB_SUFFIX and trackio.is_trackio_db(path)


def _reader(module: str, cls: str) -> Callable[[str, bool], RunStore]:
    """Opening with `formats.<module>.<cls>(path)`, imported only then (readers we do not own are read-only)."""

    def open_(spec: str, include_deleted: bool) -> RunStore:
        store: RunStore = getattr(importlib.import_module(f"store.formats.{module}"), cls)(Path(spec))
        return store

    return open_


def _check(module: str, function: str) -> Callable[[Path], bool]:
    """`formats.<module>.<function>(path)`, imported when first asked."""

    def check(path: Path) -> bool:
        return bool(getattr(importlib.import_module(f"store.formats.{module}"), function)(path))

    return check


def _tensorboard(spec: str, include_deleted: bool) -> RunStore:
    from store import extras
    from store.formats.tb_events import TB_MODULE
    from store.formats.tb_store import EXTRA, WHAT, TensorBoardStore

    extras.require(TB_MODULE, EXTRA, f"{spec} is {WHAT}")
    return TensorBoardStore(Path(spec))


def _tensorboard_run(path: Path) -> bool:
    from store.formats.tb_events import is_event_file

    try:
        return any(is_event_file(e.name) for e in os.scandir(path))
    except OSError:
        return False


KINDS: tuple[Kind, ...] = (
    Kind("mlflow-server", _server, None, schemes=("http://", "https://")),
    Kind("tracktui", _tracktui, _looks_like_tracktui, _has_marker, whole=True),
    Kind("mlflow-file", _mlflow_file, looks_like_mlruns, looks_like_mlruns, whole=True),
    Kind(
        "mlflow-sql",
        _mlflow_sql,
        readable_mlflow_db,
        _mlflow_db_in_search,
        whole=True,
        on_files=True,
        owns=frozenset({"mlruns", "mlartifacts"}),
    ),
    Kind("trackio", _reader("trackio", "TrackioStore"), _check("trackio", "is_trackio_db"), _trackio_db, on_files=True),
    Kind(
        "lightning-csv",
        _reader("lightning_csv", "LightningCsvStore"),
        None,
        _check("lightning_csv", "is_version_dir"),
        reach=4,
    ),
    Kind(
        "hf-trainer", _reader("hf_trainer", "TrainerStateStore"), None, _check("hf_trainer", "is_output_dir"), reach=4
    ),
    Kind(
        "dvclive",
        _reader("dvclive", "DvcLiveStore"),
        None,
        _check("dvclive", "is_dvclive_dir"),
        reach=4,
        run_parts=frozenset({"plots", "artifacts"}),
    ),
    Kind(
        "wandb",
        _reader("wandb_store", "WandbStore"),
        None,
        _check("wandb_store", "is_run_folder"),
        run_parts=frozenset({"files", "logs", "tmp"}),
    ),
    Kind("tensorboard", _tensorboard, None, _tensorboard_run, reach=8),
)
"""Every kind, in the order a named path or a searched folder is tried."""


def kind_named(name: str) -> Kind:
    for kind in KINDS:
        if kind.name == name:
            return kind
    raise KeyError(name)


def url_kind(spec: str) -> Kind | None:
    """The kind opened from a URL like `spec`, or None for a local path."""
    return next((kind for kind in KINDS if kind.schemes and spec.startswith(kind.schemes)), None)


def whole_store_kind(path: Path) -> Kind | None:
    """The kind of a folder that is one whole store by itself (ours, an `mlruns/`), opened without a search."""
    return next(
        (
            kind
            for kind in KINDS
            if kind.whole and not kind.on_files and kind.is_store is not None and kind.is_store(path)
        ),
        None,
    )


def file_kind(path: Path) -> Kind | None:
    """The kind of a store that is one file (an SQLite database); `NotAStoreError` when it cannot be read."""
    return next((kind for kind in KINDS if kind.on_files and kind.is_store is not None and kind.is_store(path)), None)
