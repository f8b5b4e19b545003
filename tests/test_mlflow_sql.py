"""MLflow SQLite store (`mlflow.db`): the real database from the fixtures, changed with sqlite3 for edge cases."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path
from typing import cast

import pytest

import store
from store.base import RunRecord
from store.formats.mlflow.sql import MlflowSqlStore
from tests.mlflow_fixtures import expected_runs, sql_exec, tree_snapshot, unpack
from tests.sqlite_damage import break_schema_text

BASE = ["run_id", "experiment", "name", "status", "created", "ended", "duration"]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return unpack(tmp_path) / "sqlite" / "mlflow.db"


@pytest.fixture
def expected() -> dict[str, dict]:
    return expected_runs("sqlite")


def by_name(frame):
    return frame.set_index("name")


def test_open_store_detects_the_database(db: Path) -> None:
    for path in (db, str(db), f"sqlite:///{db}", db.parent):
        s = store.open_store(path)
        assert isinstance(s, MlflowSqlStore) and s.kind == "mlflow-sql"
        assert s.root == db


def test_sqlite_url_with_a_relative_path(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(db.parent.parent)
    assert store.open_store("sqlite:///sqlite/mlflow.db").runs_frame().shape[0] == 8


def test_lists_every_run_with_its_name_params_and_latest_metrics(db: Path, expected: dict) -> None:
    frame = store.open_store(db).runs_frame()
    live = {n: r for n, r in expected.items() if r.get("lifecycle") != "deleted"}
    assert sorted(frame["name"]) == sorted(live)
    rows = by_name(frame)
    for name, run in live.items():
        row = rows.loc[name]
        assert row["run_id"] == run["run_id"]
        for key, value in run.get("params", {}).items():
            assert row[f"params.{key}"] == value
        for key, value in run.get("metrics", {}).items():
            assert row[f"metrics.{key}"] == pytest.approx(value)
    assert rows.loc["rf-broken", "status"] == "failed"
    assert set(rows.loc[[n for n in live if n != "rf-broken"], "status"]) == {"finished"}
    assert rows.loc["poly-degree-1", "experiment"] == "Default"
    assert rows.loc["rf-baseline", "experiment"] == "iris-classification"
    assert (rows["user"] == "root").all() and (rows["duration"] > 0).all()


def test_both_kinds_list_the_same_runs_with_the_same_columns(db: Path) -> None:
    sql = store.open_store(db).runs_frame()
    files = store.open_store(db.parent.parent / "filestore" / "mlruns").runs_frame()
    assert list(sql.columns) == list(files.columns)
    assert list(sql.columns[:7]) == BASE and list(sql.columns[-3:]) == ["host", "user", "reason"]
    assert list(sql["name"]) == list(files["name"])
    for col in [c for c in sql.columns if c.startswith("metrics.")]:
        assert sql[col].fillna(-1).tolist() == pytest.approx(files[col].fillna(-1).tolist())


def test_deleted_run_is_hidden_unless_asked_for(db: Path, expected: dict) -> None:
    deleted = expected["rf-deleted"]["run_id"]
    s = store.open_store(db)
    assert deleted not in set(s.runs_frame()["run_id"]) and deleted not in s.run_ids()
    with pytest.raises(store.RunNotFoundError):
        s.run(deleted)
    shown = store.open_store(db, include_deleted=True)
    assert by_name(shown.runs_frame()).loc["rf-deleted", "run_id"] == deleted
    assert shown.run(deleted).facts["lifecycle_stage"] == "deleted"


def test_a_deleted_experiment_hides_its_runs(db: Path) -> None:
    sql_exec(db, ("UPDATE experiments SET lifecycle_stage = 'deleted' WHERE name = 'iris-classification'", ()))
    assert set(store.open_store(db).runs_frame()["experiment"]) == {"Default"}
    assert "iris-classification" in store.open_store(db, include_deleted=True).experiments()


def test_detail_metrics_facts_artifacts_and_logged_model(db: Path, expected: dict) -> None:
    run = expected["rf-baseline"]
    detail = store.open_store(db).run(run["run_id"])
    assert detail.params == run["params"] and detail.tags == {"stage": "baseline"}
    loss = detail.metrics["loss"]
    assert loss["last"] == pytest.approx(run["metrics"]["loss"])
    assert loss["count"] == 50 and loss["last_step"] == 49 and loss["min"] <= loss["last"] <= loss["max"]
    assert detail.facts["note"] == "First baseline from the seed notebook."
    assert detail.facts["source"] == "/home/ml/project/make_fixtures.py"
    assert "mlflow.runName" in detail.facts["system_tags"]
    assert run["artifact_uri"].startswith("/home/ml/")
    assert detail.artifacts_dir == db.parent / "mlruns" / "1" / run["run_id"] / "artifacts"
    assert (cast(Path, detail.artifacts_dir) / "eval" / "report.txt").is_file()

    poly = expected["poly-degree-3"]
    models = store.open_store(db).run(poly["run_id"]).extra_artifacts
    assert models == {"model: model": db.parent / "mlruns" / "0" / "models" / poly["model_id"] / "artifacts"}
    assert (models["model: model"] / "MLmodel").is_file()


def test_history_of_the_50_step_loss(db: Path, expected: dict) -> None:
    run = expected["rf-shallow"]
    s = store.open_store(db)
    hist = s.history(run["run_id"], ["loss"])
    assert list(hist.columns) == ["key", "step", "time", "value"]
    assert list(hist["step"]) == list(range(50)) and set(hist["key"]) == {"loss"}
    assert hist["value"].iloc[-1] == pytest.approx(run["metrics"]["loss"])
    assert set(s.history(run["run_id"])["key"]) == {"accuracy", "f1_macro", "loss"}
    assert s.history(run["run_id"], []).empty


def test_refresh_picks_up_a_new_metric_row_and_a_new_run(
    db: Path, expected: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = expected["rf-wide"]["run_id"]
    s = store.open_store(db)
    s.runs_frame()
    queries: list[object] = []
    real = MlflowSqlStore._query_records

    def counted_query(self: MlflowSqlStore, run_id: str | None = None) -> dict[str, RunRecord]:
        queries.append(run_id)
        return real(self, run_id)

    monkeypatch.setattr(MlflowSqlStore, "_query_records", counted_query)
    assert s.refresh() == set() and queries == []  # nothing changed: not even a query

    sql_exec(
        db,
        ("INSERT INTO metrics VALUES ('loss', 0.015, 1895325114397, ?, 50, 0)", (rid,)),
        (
            "UPDATE latest_metrics SET value = 0.015, step = 50, timestamp = 1895325114397"
            " WHERE run_uuid = ? AND key = 'loss'",
            (rid,),
        ),
    )
    assert s.refresh() == {rid}
    assert by_name(s.runs_frame()).loc["rf-wide", "metrics.loss"] == 0.015
    assert len(s.history(rid, ["loss"])) == 51

    new = "f" * 32
    sql_exec(
        db,
        (
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status,"
            " start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id)"
            " VALUES (?, 'fresh', 'LOCAL', '', '', 'me', 'SCHEDULED', 1895325114000, NULL, '', 'active',"
            " 'mlruns/1/ffff/artifacts', 1)",
            (new,),
        ),
        ("INSERT INTO tags VALUES ('mlflow.runName', 'fresh', ?)", (new,)),
    )
    assert s.refresh() == {new}
    row = by_name(s.runs_frame()).loc["fresh"]
    assert row["status"] == "running" and math.isnan(row["ended"])  # SCHEDULED has not ended


def test_nan_is_stored_as_zero_with_is_nan_and_read_back_as_nan(db: Path, expected: dict) -> None:
    rid = expected["rf-wide"]["run_id"]
    sql_exec(
        db,
        ("INSERT INTO metrics VALUES ('loss', 0, 1895325114397, ?, 60, 1)", (rid,)),
        ("UPDATE latest_metrics SET value = 0, step = 60, is_nan = 1 WHERE run_uuid = ? AND key = 'loss'", (rid,)),
    )
    s = store.open_store(db)
    assert math.isnan(by_name(s.runs_frame()).loc["rf-wide", "metrics.loss"])
    assert math.isnan(s.history(rid, ["loss"])["value"].iloc[-1])
    loss = s.run(rid).metrics["loss"]
    assert loss["last"] is None and loss["min"] > 0 and loss["count"] == 51


def test_without_latest_metrics_the_latest_is_the_largest_step_time_value(db: Path, expected: dict) -> None:
    rid = expected["rf-baseline"]["run_id"]
    sql_exec(
        db,
        ("DROP TABLE latest_metrics", ()),
        ("INSERT INTO metrics VALUES ('late', 5.0, 100, ?, 3, 0)", (rid,)),
        ("INSERT INTO metrics VALUES ('late', 7.0, 50, ?, 9, 0)", (rid,)),
        ("INSERT INTO metrics VALUES ('late', 6.0, 200, ?, 9, 0)", (rid,)),
    )
    rows = by_name(store.open_store(db).runs_frame())
    assert rows.loc["rf-baseline", "metrics.late"] == 6.0
    assert rows.loc["rf-baseline", "metrics.loss"] == pytest.approx(expected["rf-baseline"]["metrics"]["loss"])


def test_without_latest_metrics_a_writer_is_not_locked_out_while_the_history_is_scanned(
    db: Path, expected: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pass in Python over the whole history runs after the statement has ended, so a training
    script can commit to the database meanwhile (a live cursor would hold the read lock)."""
    import store.formats.mlflow.sql as mlflow_sql

    rid = expected["rf-baseline"]["run_id"]
    sql_exec(db, ("DROP TABLE latest_metrics", ()))
    real = mlflow_sql._latest_from_history
    committed: list[bool] = []

    def scan_while_writing(rows):
        writer = sqlite3.connect(db, timeout=0)  # fail at once rather than wait for the lock
        try:
            with writer:
                writer.execute("INSERT INTO metrics VALUES ('during', 1.0, 100, ?, 0, 0)", (rid,))
            committed.append(True)
        finally:
            writer.close()
        return real(rows)

    monkeypatch.setattr(mlflow_sql, "_latest_from_history", scan_while_writing)
    rows = by_name(store.open_store(db).runs_frame())
    assert committed == [True]
    assert rows.loc["rf-baseline", "metrics.loss"] == pytest.approx(expected["rf-baseline"]["metrics"]["loss"])


def test_statuses_map_onto_ours(db: Path, expected: dict) -> None:
    for name, status in (("rf-wide", "KILLED"), ("rf-shallow", "RUNNING")):
        sql_exec(db, ("UPDATE runs SET status = ? WHERE run_uuid = ?", (status, expected[name]["run_id"])))
    rows = by_name(store.open_store(db).runs_frame())
    assert rows.loc["rf-wide", "status"] == "killed" and rows.loc["rf-shallow", "status"] == "running"


def test_reading_never_writes_and_never_holds_a_lock(db: Path, expected: dict) -> None:
    before = tree_snapshot(db.parent)
    s = store.open_store(db, include_deleted=True)
    s.runs_frame()
    for run in expected.values():
        s.run(run["run_id"]).history()
    s.refresh()
    assert tree_snapshot(db.parent) == before  # no -journal, no -wal, no index beside the db
    assert not cast(Path, s.index_path()).is_relative_to(db.parent)
    writer = sqlite3.connect(db, timeout=0)  # a training script: it must get the write lock at once
    try:
        writer.execute("BEGIN EXCLUSIVE")
        writer.execute("UPDATE runs SET name = name")
        writer.execute("COMMIT")
    finally:
        writer.close()


def test_a_locked_database_keeps_the_last_listing(db: Path, expected: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    import store.formats.mlflow.sqlite_read as sqlite_read

    monkeypatch.setattr(sqlite_read, "BUSY_TIMEOUT", 0.05)
    s = store.open_store(db)
    before = s.runs_frame()
    sql_exec(db, ("UPDATE runs SET status = 'KILLED' WHERE run_uuid = ?", (expected["rf-wide"]["run_id"],)))
    writer = sqlite3.connect(db, timeout=0)
    writer.execute("BEGIN EXCLUSIVE")  # a writer in the middle of a long commit
    try:
        assert s.refresh() == set()
        assert list(s.runs_frame()["status"]) == list(before["status"])
    finally:
        writer.execute("COMMIT")
        writer.close()
    assert s.refresh() == {expected["rf-wide"]["run_id"]}
    assert by_name(s.runs_frame()).loc["rf-wide", "status"] == "killed"


def test_an_sqlite_file_that_is_not_mlflow_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE things (x)")
    with pytest.raises(store.NotAStoreError, match="without MLflow's tables"):
        store.open_store(other)
    with pytest.raises(store.NotAStoreError, match="does not exist"):
        store.open_store(f"sqlite:///{tmp_path}/missing.db")


# -- damage and odd values (issue 10 items 12, 16; issue 9 item 11) ----------------------------


def test_a_locked_database_is_reported_as_locked_not_as_not_mlflow(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Old code: "an SQLite database without MLflow's tables". The lock is held by a real child process."""
    import subprocess
    import sys

    import store.formats.mlflow.sqlite_read as sqlite_read

    monkeypatch.setattr(sqlite_read, "BUSY_TIMEOUT", 0.05)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None);"
            " c.execute('BEGIN EXCLUSIVE'); print('held', flush=True); sys.stdin.readline()",
            str(db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        with pytest.raises(store.StoreError, match="locked by a writer") as info:
            store.open_store(db)
        assert "without MLflow's tables" not in str(info.value)
    finally:
        holder.kill()
        holder.wait(timeout=10)
    assert len(store.open_store(db).runs_frame()) > 0


@pytest.mark.parametrize("size", [100, 4096, 100_000])
def test_a_truncated_database_is_reported_as_damaged(db: Path, size: int) -> None:
    """Old code: "an SQLite database without MLflow's tables" (and an SQLite error out of the listing)."""
    with open(db, "r+b") as fh:
        fh.truncate(size)
    with pytest.raises(store.StoreError, match="is damaged") as info:
        store.open_store(db).runs_frame()
    assert "without MLflow's tables" not in str(info.value)


def test_a_database_that_vanishes_after_opening_says_so(db: Path, expected: dict) -> None:
    s = store.open_store(db)
    s.runs_frame()
    rid = expected["rf-wide"]["run_id"]
    db.unlink()
    with pytest.raises(store.StoreError, match="no longer exists"):
        s.history(rid)


def test_odd_values_in_sql_damage_a_field_not_the_listing_or_history(db: Path, expected: dict) -> None:
    """Old code: ValueError/TypeError/OverflowError out of runs_frame() and history()."""
    rid, other = expected["rf-wide"]["run_id"], expected["rf-shallow"]["run_id"]
    sql_exec(
        db,
        ("INSERT INTO metrics VALUES ('loss', 0.5, 1895325114397, ?, 'step five', 0)", (rid,)),
        ("INSERT INTO metrics VALUES ('loss', X'00ff', 1895325114398, ?, 61, 0)", (rid,)),
        ("INSERT INTO metrics VALUES ('loss', 0.25, 1e300, ?, 62, 0)", (rid,)),
        ("INSERT INTO metrics VALUES ('loss', 0.125, 1895325114399, ?, 1e300, 0)", (rid,)),
        ("UPDATE latest_metrics SET value = 'lots' WHERE run_uuid = ? AND key = 'loss'", (rid,)),
        ("UPDATE latest_metrics SET step = X'01' WHERE run_uuid = ? AND key = 'accuracy'", (rid,)),
        ("UPDATE runs SET start_time = ?, end_time = 'later' WHERE run_uuid = ?", ("9" * 400, rid)),
        ("UPDATE params SET value = X'ff00' WHERE run_uuid = ?", (rid,)),
    )
    s = store.open_store(db)
    rows = by_name(s.runs_frame())
    assert len(rows) == len([r for r in expected.values() if r.get("lifecycle") != "deleted"])
    wide = rows.loc["rf-wide"]
    assert wide["status"] == "finished" and math.isnan(wide["created"]) and math.isnan(wide["metrics.loss"])
    assert "start_time is not a time" in wide["reason"] and "metric loss has an unreadable" in wide["reason"]
    assert not isinstance(rows.loc["rf-shallow", "reason"], str)
    hist = s.history(rid, ["loss"])
    assert len(hist) == 50 and hist["value"].notna().all()  # the 4 odd rows are left out
    assert s.run(rid).status == "finished" and len(s.history(other)) > 0


def test_points_of_one_step_keep_their_logging_order(db: Path, expected: dict) -> None:
    """As MLflow's file store reads them (file order). Old code sorted one step's points by timestamp,
    so points logged with explicit, non-increasing timestamps came back reordered."""
    rid = expected["rf-wide"]["run_id"]
    sql_exec(
        db,
        *[
            ("INSERT INTO metrics VALUES ('again', ?, ?, ?, 7, 0)", (value, 1895325114397 + ms, rid))
            for value, ms in ((5.0, 300), (1.0, 100), (3.0, 200), (4.0, 200))
        ],
    )
    sql_exec(db, ("INSERT INTO metrics VALUES ('again', 9.0, 1895325114000, ?, 6, 0)", (rid,)))
    hist = store.open_store(db).history(rid, ["again"])
    assert list(hist["value"]) == [9.0, 5.0, 1.0, 3.0, 4.0]  # by step, then as logged


def test_deleted_runs_have_a_deleted_status(db: Path, expected: dict) -> None:
    """Old code: the deleted run showed as `finished`, like an active one."""
    from tests.test_mlflow_file import assert_deleted_runs_look_deleted

    assert_deleted_runs_look_deleted(store.open_store(db, include_deleted=True), expected["rf-deleted"]["run_id"])


@pytest.mark.parametrize("stat", ["min", "max"])
def test_min_and_max_are_listed_when_asked_as_the_file_store_lists_them(
    db: Path, stat: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17: min/max come from one chunked pass over every point, only when a frame of them is asked for."""
    s = store.open_store(db)
    assert s.metric_stats == ("last", "min", "max")
    monkeypatch.setattr(type(s), "EXTREMES_CHUNK", 7)  # many chunks, combined here
    sql = s.runs_frame(stat)
    files = store.open_store(db.parent.parent / "filestore" / "mlruns").runs_frame(stat)
    assert list(sql.columns) == list(files.columns) and list(sql["name"]) == list(files["name"])
    metrics = [c for c in sql.columns if c.startswith("metrics.")]
    assert metrics and any(sql[c].notna().any() for c in metrics)
    for col in metrics:
        assert sql[col].fillna(-1).tolist() == pytest.approx(files[col].fillna(-1).tolist()), col
    assert not sql[metrics].equals(s.runs_frame("last")[metrics])


@pytest.mark.parametrize("status", ["9" * 5000, "²", "RUNNING" * 1000], ids=["5000-digits", "superscript", "long-name"])
def test_a_status_past_the_int_text_limit_damages_one_run_not_the_listing(
    db: Path, expected: dict, status: str
) -> None:
    """Old code: `ValueError: Exceeds the limit (4300 digits)` (and for `²` `invalid literal`) out of runs_frame()."""
    rid = expected["rf-wide"]["run_id"]
    con = sqlite3.connect(db)
    try:
        with con:
            con.execute("PRAGMA ignore_check_constraints = 1")  # MLflow's CHECK would refuse it; a hand edit need not
            con.execute("UPDATE runs SET status = ? WHERE run_uuid = ?", (status, rid))
    finally:
        con.close()
    rows = by_name(store.open_store(db).runs_frame())
    assert rows.loc["rf-wide", "status"] == "damaged"
    reason = rows.loc["rf-wide", "reason"]
    assert reason.startswith("unknown MLflow run status") and len(reason) < 120
    assert rows.loc["rf-shallow", "status"] == "finished"


def test_a_damaged_schema_is_reported_as_damaged_and_odd_text_is_one_odd_value(db: Path, expected: dict) -> None:
    """Old code: UnicodeDecodeError out of open_store (past every `except sqlite3.Error`), and a param whose
    text is not UTF-8 made the whole listing fail ("Could not decode to UTF-8")."""
    rid = expected["rf-wide"]["run_id"]
    sql_exec(
        db,
        (
            "UPDATE params SET value = CAST(X'41ff42' AS TEXT) WHERE run_uuid = ? AND rowid = "
            "(SELECT min(rowid) FROM params WHERE run_uuid = ?)",
            (rid, rid),
        ),
    )
    rows = by_name(store.open_store(db).runs_frame())
    assert rows.loc["rf-wide", "status"] == "finished"
    assert "A\ufffdB" in set(rows.loc["rf-wide"].astype(str))
    break_schema_text(db)
    with pytest.raises(store.StoreError, match="is damaged"):
        store.open_store(db).runs_frame()


def test_an_artifact_location_too_long_for_a_file_name_is_a_missing_folder_not_a_failed_run(
    db: Path, expected: dict
) -> None:
    """Old code: `OSError: [Errno 36] File name too long` out of run() (Path.exists raises it)."""
    rid = expected["rf-wide"]["run_id"]
    sql_exec(
        db,
        ("UPDATE runs SET artifact_uri = ? WHERE run_uuid = ?", ("9" * 5000, rid)),
        ("UPDATE logged_models SET artifact_location = ?", ("9" * 5000,)),
    )
    s = store.open_store(db)
    assert by_name(s.runs_frame()).loc["rf-wide", "status"] == "finished"
    detail = s.run(rid)
    assert detail.status == "finished" and detail.artifacts_dir is not None and len(str(detail.artifacts_dir)) > 5000
