"""The readers of other tools' runs (store/formats/) on files those tools wrote (tests/data/foreign/),
plus the same files still being written, cut off, and of a run that stopped early."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import cast

import pytest

from store import NotAStoreError, open_store
from tests.foreign_children import copy_data

DATA = Path(__file__).parent / "data" / "foreign"
OLD = time.time() - 3600


def copy(name: str, tmp_path: Path) -> Path:
    """A copy of a data folder whose files are an hour old (an hour-old run is not running)."""
    return copy_data(name, tmp_path, OLD)


def values(store: object, run_id: str, key: str) -> list[float]:
    frame = store.history(run_id, [key])  # type: ignore[attr-defined]
    return [float(v) for v in frame["value"]]


# -- DVCLive ------------------------------------------------------------------------------------


def test_dvclive_folder_written_by_dvclive(tmp_path: Path) -> None:
    root = copy("dvclive", tmp_path)
    store = open_store(root / "project-a")
    assert store.kind == "dvclive"
    (rec,) = store.records()
    assert rec["name"] == "project-a" and store.status_of(rec) == "finished"
    assert rec["params"] == {"lr": 0.01, "model.layers": 3, "model.act": "relu", "epochs": 4}
    assert rec["metrics"]["test_acc"]["last"] == 0.91  # logged with plot=False: only in metrics.json
    assert rec["metrics"]["val/acc"]["last"] == pytest.approx(0.9)
    assert values(store, rec["run_id"], "train/loss") == pytest.approx([math.exp(-e) for e in range(4)])
    detail = store.run(rec["run_id"])
    assert detail.artifacts_dir is not None and (detail.artifacts_dir / "plots/images/pred.png").is_file()
    assert rec["reason"] is None


def test_dvclive_run_still_being_written_and_truncated_summary(tmp_path: Path) -> None:
    run = copy("dvclive", tmp_path) / "project-a" / "dvclive"
    with open(run / "plots/metrics/train/loss.tsv", "a") as fh:
        fh.write("4\t0.01")  # a row dvclive is in the middle of writing
    summary = (run / "metrics.json").read_text()
    (run / "metrics.json").write_text(summary[: len(summary) // 2])
    store = open_store(run)
    (rec,) = store.records()
    assert store.status_of(rec) == "running"  # its files changed just now
    assert values(store, rec["run_id"], "train/loss") == pytest.approx([math.exp(-e) for e in range(4)])
    assert "loss.tsv: last line cut off" in (rec["reason"] or "")
    assert "metrics.json" in (rec["reason"] or "")
    assert "test_acc" not in rec["metrics"]


# -- Lightning CSVLogger --------------------------------------------------------------------------


def test_lightning_csv_logs_written_by_lightning(tmp_path: Path) -> None:
    root = copy("lightning", tmp_path)
    store = open_store(root / "lightning_logs")
    assert store.kind == "lightning-csv"
    records = sorted(store.records(), key=lambda r: r["name"])
    assert [r["name"] for r in records] == ["version_0", "version_1"]
    assert [r["params"]["lr"] for r in records] == [0.05, 0.01]
    assert all(r["experiment"] == "lightning_logs" and store.status_of(r) == "finished" for r in records)
    history = store.history(records[0]["run_id"])
    assert set(history["key"].unique()) == {"epoch", "train_loss", "val_loss"}
    val = history[history["key"] == "val_loss"]
    assert len(val) == 3 and val["step"].is_monotonic_increasing  # one validation a epoch, three epochs


def test_lightning_csv_truncated_row_and_live_run(tmp_path: Path) -> None:
    version = copy("lightning", tmp_path) / "lightning_logs" / "version_0"
    whole = open_store(version.parent)
    (full,) = [r for r in whole.records() if r["name"] == "version_0"]
    val, train = values(whole, full["run_id"], "val_loss"), values(whole, full["run_id"], "train_loss")
    text = (version / "metrics.csv").read_text()
    (version / "metrics.csv").write_text(text[:-7])  # cut inside the last row (the last epoch's val_loss)
    store = open_store(version)
    (rec,) = store.records()
    assert store.status_of(rec) == "running"
    assert "metrics.csv: last line cut off" in (rec["reason"] or "")
    assert values(store, rec["run_id"], "val_loss") == val[:-1]
    assert values(store, rec["run_id"], "train_loss") == train


def test_test_tube_csv_without_a_step_column_steps_by_row_with_meta_tags_as_params(tmp_path: Path) -> None:
    """Old code: every point at step -1 (so one point a metric in charts), no params, the files' mtimes as times."""
    store = open_store(copy("testtube", tmp_path) / "default")
    (rec,) = store.records()
    assert rec["params"] == {"lr": 0.02, "layers": 4, "optimizer": "adam", "use_bn": True}
    history = store.history(rec["run_id"], ["loss", "val_acc"])
    loss, val = history[history["key"] == "loss"], history[history["key"] == "val_acc"]
    assert list(loss["step"]) == [0, 1, 2, 3, 4, 5] and list(val["step"]) == [1, 3, 5]  # row numbers
    assert rec["metrics"]["loss"]["last"] == pytest.approx(0.1667) and rec["metrics"]["epoch"]["max"] == 2
    assert rec["created"] == pytest.approx(1570115363.123456)  # created_at, UTC
    assert cast(float, rec["ended"]) - cast(float, rec["created"]) == pytest.approx(150)
    assert loss["time"].iloc[-1] == pytest.approx(1570115513.123456)


LIST_AND_MEASURE = """
import resource, sys
from pathlib import Path
from store.formats.lightning_csv import LightningCsvStore
store = LightningCsvStore(Path(sys.argv[1]))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
(rec,) = store.records()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(after - before, rec["metrics"]["loss"]["count"], rec["metrics"]["loss"]["last"])
"""


def test_a_big_lightning_csv_lists_in_bounded_memory(tmp_path: Path) -> None:
    """Old code read the whole file and kept every point as Python objects to list it: its peak grew by
    ~50 MB for this 8 MB file (a 377 MB CSV took 2.6 GB). Now a line at a time, summaries only: ~0 MB."""
    version = tmp_path / "lightning_logs" / "version_0"
    version.mkdir(parents=True)
    columns = ["epoch", "loss", "lr", "grad_norm", "acc", "val_loss", "val_acc", "step"]
    rows = 200_000
    with (version / "metrics.csv").open("w") as fh:
        fh.write(",".join(columns) + "\n")
        for i in range(rows):
            fh.write(
                f"{i // 1000},{1 / (i + 1):.9f},0.00{i % 97},{(i * 7) % 13}.{i % 1000:03d},0.{i % 9999:04d},,,{i}\n"
            )
    size_mb = (version / "metrics.csv").stat().st_size / 2**20
    done = subprocess.run(
        [sys.executable, "-c", LIST_AND_MEASURE, str(version.parent)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    grown_kb, count, last = done.stdout.split()
    assert int(count) == rows and float(last) == pytest.approx(1 / rows, rel=1e-3)
    assert int(grown_kb) / 1024 < max(12.0, size_mb), (grown_kb, size_mb)


# -- Hugging Face trainer_state.json --------------------------------------------------------------


def test_trainer_state_written_by_transformers(tmp_path: Path) -> None:
    root = copy("hf", tmp_path)
    store = open_store(root)
    assert store.kind == "hf-trainer"
    (rec,) = store.records()
    assert rec["name"] == "run-lr0.05" and store.status_of(rec) == "finished"
    assert rec["params"]["max_steps"] == 24 and rec["params"]["train_batch_size"] == 8
    assert rec["metrics"]["best_metric"]["last"] == pytest.approx(1.9755430221557617)
    assert rec["tags"]["best_checkpoint"] == "checkpoint-24"
    assert rec["metrics"]["eval_loss"]["count"] == 6 and rec["metrics"]["train_runtime"]["count"] == 1
    assert values(store, rec["run_id"], "loss")[0] == pytest.approx(6.558505058288574)
    detail = store.run(rec["run_id"])
    assert detail.facts["best_global_step"] == 24 and detail.facts["state_file"] == "trainer_state.json"


def test_trainer_state_being_rewritten_falls_back_to_the_newest_checkpoint(tmp_path: Path) -> None:
    run = copy("hf", tmp_path) / "run-lr0.05"
    text = (run / "trainer_state.json").read_text()
    (run / "trainer_state.json").write_text(text[:1000])  # Trainer rewrites it in place
    store = open_store(run)
    (rec,) = store.records()
    assert store.run(rec["run_id"]).facts["state_file"] == "checkpoint-24/trainer_state.json"
    assert "trainer_state.json unreadable or cut off" in (rec["reason"] or "")
    assert store.status_of(rec) == "finished"  # checkpoint-24 is global_step == max_steps
    assert rec["metrics"]["eval_loss"]["count"] == 6


def test_trainer_stopped_short_of_max_steps_is_crashed(tmp_path: Path) -> None:
    run = copy("hf", tmp_path) / "run-lr0.05"
    (run / "trainer_state.json").unlink()
    shutil.rmtree(run / "checkpoint-24")
    store = open_store(run)
    (rec,) = store.records()
    assert store.status_of(rec) == "crashed"  # checkpoint-20 of 24 steps, untouched for an hour


# -- trackio ----------------------------------------------------------------------------------


def test_trackio_database_written_by_trackio(tmp_path: Path) -> None:
    root = copy("trackio", tmp_path)
    store = open_store(root / "demo-proj.db")
    assert store.kind == "trackio"
    records = sorted(store.records(), key=lambda r: r["name"])
    assert [r["name"] for r in records] == ["lr-0.001", "lr-0.01"]
    assert records[1]["params"] == {"lr": 0.01, "model.layers": 2, "epochs": 5}
    assert all(r["experiment"] == "demo-proj" and store.status_of(r) == "finished" for r in records)
    assert values(store, records[1]["run_id"], "train/loss") == pytest.approx([math.exp(-s) for s in range(5)])
    folder = open_store(root)  # trackio's own folder (TRACKIO_DIR) opens too
    assert sorted(r["name"] for r in folder.records()) == ["lr-0.001", "lr-0.01"]


WRITER = """
import sqlite3, sys, json
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
row = ("live", "2026-11-30T12:00:00+00:00", "live-run", 0, json.dumps({"loss": 1.0}))
conn.execute("INSERT INTO configs (run_id, run_name, config, created_at) VALUES (?, ?, ?, ?)",
             ("live", "live-run", json.dumps({"lr": 0.1}), "2026-11-30T12:00:00+00:00"))
conn.execute("INSERT INTO metrics (run_id, timestamp, run_name, step, metrics) VALUES (?, ?, ?, ?, ?)", row)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO metrics (run_id, timestamp, run_name, step, metrics) VALUES (?, ?, ?, ?, ?)",
             ("live", "2026-11-30T12:00:01+00:00", "live-run", 1, json.dumps({"loss": 0.5})))
print("holding", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
print("committed", flush=True)
sys.stdin.readline()
"""


def test_trackio_read_while_its_writer_holds_a_write_transaction(tmp_path: Path) -> None:
    """The reader sees what is committed, never waits for the writer, and never blocks it."""
    db = copy("trackio", tmp_path) / "demo-proj.db"
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "holding"
        store = open_store(db)
        assert values(store, "live", "loss") == [1.0]
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "committed"  # our read did not hold it up
        assert "live" in store.refresh()
        assert values(store, "live", "loss") == [1.0, 0.5]
        assert store.run("live").params == {"lr": 0.1}
    finally:
        child.kill()
        child.wait()


def test_trackio_truncated_database_is_one_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "cut.db"
    db.write_bytes((DATA / "trackio" / "demo-proj.db").read_bytes()[:4096])
    with pytest.raises(NotAStoreError) as info:
        open_store(db)
    assert "\n" not in str(info.value) and "cut.db" in str(info.value)


def test_a_cut_off_database_in_trackios_folder_lists_as_damaged(tmp_path: Path) -> None:
    root = copy("trackio", tmp_path)
    (root / "other.db").write_bytes((root / "demo-proj.db").read_bytes()[:4096])
    (root / "notes.db").write_bytes(b"not sqlite at all")
    store = open_store(root)
    damaged = [r for r in store.records() if store.status_of(r) == "damaged"]
    assert [r["name"] for r in damaged] == ["other"] and "other.db unreadable" in (damaged[0]["reason"] or "")
    assert len(store.records()) == 3


def test_trackio_reader_never_writes(tmp_path: Path) -> None:
    db = copy("trackio", tmp_path) / "demo-proj.db"
    before = db.read_bytes()
    store = open_store(db)
    for rec in store.records():
        store.history(rec["run_id"])
        store.run(rec["run_id"])
    assert db.read_bytes() == before
    assert sorted(p.name for p in db.parent.iterdir()) == ["demo-proj.db"]


def test_a_damaged_trackio_database_is_one_damaged_row_and_the_rest_lists(tmp_path: Path) -> None:
    """Old code: UnicodeDecodeError out of open_store of the folder and of every folder above it, and one
    row of text that is not UTF-8 made the whole database one damaged row ("Could not decode to UTF-8")."""
    import sqlite3

    from tests.sqlite_damage import break_schema_text

    root = copy("trackio", tmp_path)
    shutil.copy(root / "demo-proj.db", root / "other.db")
    break_schema_text(root / "other.db")
    con = sqlite3.connect(root / "demo-proj.db")
    with con:
        con.execute(
            "UPDATE metrics SET metrics = CAST(X'7b226c6f7373ff223a20317d' AS TEXT) "
            "WHERE id = (SELECT min(id) FROM metrics)"
        )
    con.close()
    for path in (root, tmp_path):
        store = open_store(path)
        by_name = {r["name"]: r for r in store.records()}
        assert sorted(by_name) == ["lr-0.001", "lr-0.01", "other"], path
        assert store.status_of(by_name["other"]) == "damaged" and "other.db" in (by_name["other"]["reason"] or "")
        assert {store.status_of(by_name[n]) for n in ("lr-0.001", "lr-0.01")} == {"finished"}


def test_a_run_of_one_file_never_has_a_negative_duration(tmp_path: Path) -> None:
    """Old code: created was the file's `st_mtime`, ended its `st_mtime_ns / 1e9`, which round apart
    (-2.4e-7 s at this time); trackio's config written after its last point did the same."""
    run = copy("hf", tmp_path) / "run-lr0.05"
    for checkpoint in ("checkpoint-20", "checkpoint-24"):
        shutil.rmtree(run / checkpoint)
    state = run / "trainer_state.json"
    for ns in range(1_764_500_000_000_000_000, 1_764_500_000_000_100_000, 1237):
        os.utime(state, ns=(ns, ns))
        if state.stat().st_mtime > ns / 1e9:
            break
    else:
        pytest.fail("no time found where st_mtime rounds above st_mtime_ns / 1e9")
    (rec,) = open_store(run).records()
    assert rec["ended"] is not None and rec["created"] is not None and rec["ended"] - rec["created"] >= 0
    db = copy("trackio", tmp_path) / "demo-proj.db"
    import sqlite3

    con = sqlite3.connect(db)
    with con:
        con.execute("UPDATE configs SET config = '{}', created_at = '2030-01-01T00:00:00+00:00'")
    con.close()
    for rec in open_store(db).records():
        assert rec["ended"] is not None and rec["ended"] - cast(float, rec["created"]) >= 0


HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
"""


def test_a_locked_trackio_database_in_its_folder_is_one_row_that_says_locked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Old code: the folder was "not a store" (the schema could not be read, so the file was not taken
    for trackio's). A real child process holds the exclusive lock, as a writer's commit does."""
    from store.formats import trackio

    monkeypatch.setattr(trackio, "BUSY_TIMEOUT", 0.05)
    root = copy("trackio", tmp_path)
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(root / "demo-proj.db")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "locked"
        store = open_store(root)
        (rec,) = store.records()
        assert store.status_of(rec) == "damaged" and "locked by a writer" in (rec["reason"] or "")
    finally:
        child.kill()
        child.wait()
    store.refresh()
    assert sorted(r["name"] for r in store.records()) == ["lr-0.001", "lr-0.01"]
