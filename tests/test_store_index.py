"""The reader's rooms (issue 11): an abstract RunStore, a per-folder index, a snapshot of a database."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import store
from store.base import RunStore
from store.formats.mlflow.sql import MlflowSqlStore
from store.ours.column_cache import ColumnCache
from store.ours.column_file import load_table
from store.ours.index import SnapshotIndex
from tests.mlflow_fixtures import unpack


def test_a_store_kind_must_implement_the_listing_and_the_run_readers() -> None:
    with pytest.raises(TypeError, match="abstract"):
        RunStore(Path("."))  # type: ignore[abstract]


def test_our_store_lists_through_a_column_index_of_run_folders(tmp_path: Path) -> None:
    with store.start_run(experiment="e", root=tmp_path) as run:
        run.log_metric("m", 1.0)
    s = store.open_store(tmp_path)
    s.runs_frame()
    s.save_index()
    assert isinstance(s._cache, ColumnCache) and s._cache.table.units == [f"e/{run.id}"]
    loaded = load_table(str(tmp_path / ".tracktui-index.npz"), "tracktui", s._cache.width)
    assert loaded is not None and loaded[0].units == [f"e/{run.id}"]


def test_the_sql_store_keeps_one_snapshot_and_does_not_query_an_unchanged_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = unpack(tmp_path) / "sqlite" / "mlflow.db"
    first = store.open_store(db)
    rows = len(first.runs_frame())
    assert isinstance(first, MlflowSqlStore) and isinstance(first._cache, SnapshotIndex)
    first._cache.read_at += 10  # as if read long after the last commit (the racy-mtime rule)
    first.save_index()
    data = json.loads(Path(str(first.index_path())).read_text())
    assert set(data) == {"version", "kind", "sig", "read_at", "records"}  # no per-run "units"

    def no_query(self: MlflowSqlStore, run_id: str | None = None) -> dict:
        raise AssertionError("queried an unchanged database")

    monkeypatch.setattr(MlflowSqlStore, "_query_records", no_query)
    assert len(store.open_store(db).runs_frame()) == rows
    os.utime(db)  # a commit: the signature changes, so the next open queries again
    with pytest.raises(AssertionError, match="unchanged"):
        store.open_store(db).runs_frame()


def test_a_tampered_snapshot_is_queried_again(tmp_path: Path) -> None:
    db = unpack(tmp_path) / "sqlite" / "mlflow.db"
    first = store.open_store(db)
    rows = len(first.runs_frame())
    first.save_index()
    path = Path(str(first.index_path()))
    data = json.loads(path.read_text())
    some = next(iter(data["records"]))
    data["records"][some]["created"] = "yesterday"
    path.write_text(json.dumps(data))
    frame = store.open_store(db).runs_frame()
    assert len(frame) == rows and frame["created"].dtype == float
