"""Curation of our store (store/curate.py): tags, notes, names as edit files; the trash.

Live-writer and concurrent-editor tests use real child processes: the bugs they guard
against (a writer overwriting an edit, two editors losing one edit) only happen across
processes.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

import store
from store import curate
from store.base import RunRecord
from store.errors import ReadOnlyStoreError, RunLiveError, RunNotFoundError
from store.ours import layout
from store.ours.reader import TrackStore
from tests.children import run_python
from tests.mlflow_fixtures import run_id as mlflow_run_id
from tests.mlflow_fixtures import write_experiment, write_run


def _finished_run(root: Path, name: str = "r1", **tags: str) -> str:
    with store.start_run(experiment="exp", name=name, root=root, system_metrics_interval=0) as run:
        run.log_metric("loss", 1.0)
        if tags:
            run.set_tags(tags)
    return run.id


def _record(root: Path, run_id: str, include_deleted: bool = False) -> RunRecord:
    reader = TrackStore(root, include_deleted=include_deleted)
    return next(r for r in reader.records() if r["run_id"] == run_id)


def test_tags_note_and_rename_show_in_a_reader(tmp_path: Path) -> None:
    rid = _finished_run(tmp_path, stage="draft", keep="yes")
    reader = store.open_store(tmp_path)
    reader.runs_frame()
    curate.set_tags(reader, rid, {"stage": "final", "owner": "ana"}, remove=["keep"])
    curate.set_note(reader, rid, "# why\nlr too high\n")
    curate.rename(reader, rid, "winner")
    assert reader.refresh() == {rid}, "an already open reader sees the edits on refresh"
    frame = reader.runs_frame()
    row = frame[frame.run_id == rid].iloc[0]
    assert row["name"] == "winner"
    assert row["tags.stage"] == "final" and row["tags.owner"] == "ana"
    assert "tags.keep" not in frame.columns
    detail = reader.run(rid)
    assert detail.facts["note"] == "# why\nlr too high\n"
    assert detail.tags == {"stage": "final", "owner": "ana"}
    assert json.loads((reader.root / "exp" / rid / layout.TAGS).read_text()) == {"stage": "draft", "keep": "yes"}, (
        "the writer's own file is untouched"
    )


def test_a_later_edit_of_the_same_key_wins_and_an_empty_note_clears(tmp_path: Path) -> None:
    rid = _finished_run(tmp_path)
    reader = store.open_store(tmp_path)
    curate.set_tags(reader, rid, {"k": "1"})
    curate.set_note(reader, rid, "first")
    curate.set_tags(reader, rid, {"k": "2"})
    curate.set_note(reader, rid, "")
    assert reader.run(rid).tags["k"] == "2"
    assert "note" not in reader.run(rid).facts


def test_resume_folds_edits_into_the_runs_files(tmp_path: Path) -> None:
    rid = _finished_run(tmp_path, stage="draft")
    reader = store.open_store(tmp_path)
    curate.set_tags(reader, rid, {"stage": "final"})
    curate.rename(reader, rid, "renamed")
    curate.set_note(reader, rid, "kept")
    with store.start_run(resume=rid, root=tmp_path, system_metrics_interval=0) as run:
        assert run.name == "renamed"
        run.set_tag("later", "x")
    folder = tmp_path / "exp" / rid
    assert not list(folder.glob("edit.*")), "folded edits are removed"
    assert json.loads((folder / layout.TAGS).read_text()) == {"stage": "final", "later": "x"}
    detail = store.open_store(tmp_path).run(rid)
    assert detail.name == "renamed" and detail.facts["note"] == "kept"
    assert detail.tags == {"stage": "final", "later": "x"}


def test_mlflow_stores_are_read_only(tmp_path: Path) -> None:
    exp = write_experiment(tmp_path / "mlruns", "0", "Default")
    write_run(exp, mlflow_run_id(1), "m1")
    reader = store.open_store(tmp_path / "mlruns")
    rid = reader.resolve("m1")
    assert not curate.can_curate(reader) and curate.can_curate(TrackStore(tmp_path))
    for action in (
        lambda: curate.set_tags(reader, rid, {"a": "b"}),
        lambda: curate.rename(reader, rid, "x"),
        lambda: curate.delete(reader, rid),
        lambda: curate.purge(reader, 0),
    ):
        with pytest.raises(ReadOnlyStoreError, match="read-only"):
            action()
    assert not list((tmp_path / "mlruns").rglob("edit.*"))


def test_delete_restore_and_purge(tmp_path: Path) -> None:
    keep, gone = _finished_run(tmp_path, "keep"), _finished_run(tmp_path, "gone")
    reader = store.open_store(tmp_path)
    trashed = curate.delete(reader, gone)
    assert trashed == tmp_path / ".trash" / "exp" / gone and (trashed / layout.DELETED).is_file()
    assert not (trashed / layout.LOCK).exists(), "no lock is left behind"
    reader.refresh()
    assert list(reader.runs_frame().run_id) == [keep]
    with_deleted = store.open_store(tmp_path, include_deleted=True)
    statuses = dict(zip(with_deleted.runs_frame().run_id, with_deleted.runs_frame().status))
    assert statuses == {keep: "finished", gone: "deleted"}
    with pytest.raises(FileNotFoundError):
        store.start_run(resume=gone, root=tmp_path)
    curate.restore(reader, gone)
    reader.refresh()
    assert set(reader.runs_frame().run_id) == {keep, gone}
    assert not (tmp_path / "exp" / gone / layout.DELETED).exists()
    curate.delete(reader, gone)
    assert curate.purge(reader, 3600) == [], "deleted just now: younger than an hour"
    assert curate.purge(reader, 3600, now=time.time() + 7200) == [gone]
    assert not (tmp_path / ".trash" / "exp").exists()
    with pytest.raises(RunNotFoundError):
        curate.restore(reader, gone)


def test_a_crashed_runs_stale_lock_does_not_stop_a_delete(tmp_path: Path) -> None:
    code = f"""
        import os, store
        run = store.start_run(experiment="exp", name="crash", root={str(tmp_path)!r}, system_metrics_interval=0)
        run.log_metric("loss", 1.0); run.flush()
        print(run.id, flush=True)
        os._exit(9)
    """
    proc = run_python(code)
    rid = proc.stdout.read().decode().strip() if proc.stdout else ""
    assert (tmp_path / "exp" / rid / layout.LOCK).exists()
    reader = store.open_store(tmp_path)
    assert reader.runs_frame().status.tolist() == ["crashed"]
    curate.delete(reader, rid)
    assert (tmp_path / ".trash" / "exp" / rid / "meta.json").is_file()


def _start_live_writer(root: Path) -> tuple[object, str]:
    ready = root / ".ready"
    code = f"""
        import pathlib, time, store
        run = store.start_run(experiment="exp", name="live", root={str(root)!r}, flush_interval=0.05,
                              system_metrics_interval=0)
        run.set_tag("writer", "0"); run.log_metric("loss", 1.0); run.flush()
        pathlib.Path({str(ready)!r}).write_text(run.id)
        step = 1
        while True:
            run.log_metric("loss", 1.0 / step)
            run.set_tag("writer", str(step))
            step += 1
            time.sleep(0.01)
    """
    proc = run_python(code, wait=False)
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "writer died"
        assert time.monotonic() < deadline, "writer did not start"
        time.sleep(0.02)
    return proc, ready.read_text()


def _wait_for(predicate: object, what: str) -> None:
    deadline = time.monotonic() + 20
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_live_run_is_tagged_safely_and_never_renamed_or_deleted(tmp_path: Path) -> None:
    """A real writer keeps logging and rewriting tags.json while we edit (up to a few seconds)."""
    proc, rid = _start_live_writer(tmp_path)
    try:
        reader = store.open_store(tmp_path)
        curate.set_tags(reader, rid, {"picked": "yes"})
        curate.set_note(reader, rid, "watch this one")
        with pytest.raises(RunLiveError, match=rf"run {rid} is live \(pid {proc.pid} .*not renamed"):  # type: ignore[attr-defined]
            curate.rename(reader, rid, "other")
        with pytest.raises(RunLiveError, match=r"is live .*not deleted"):
            curate.delete(reader, rid)
        folder = tmp_path / "exp" / rid
        assert folder.is_dir() and not (tmp_path / ".trash").exists()
        writer_tag = json.loads((folder / layout.TAGS).read_text())["writer"]
        _wait_for(
            lambda: json.loads((folder / layout.TAGS).read_text())["writer"] != writer_tag,
            "the writer goes on rewriting tags.json",
        )
        detail = store.open_store(tmp_path).run(rid)
        assert detail.status == "running" and detail.name == "live"
        assert detail.tags["picked"] == "yes" and "writer" in detail.tags, "both the edit and the writer's tags"
        assert detail.facts["note"] == "watch this one"
    finally:
        proc.send_signal(signal.SIGKILL)  # type: ignore[attr-defined]
        proc.wait(timeout=10)  # type: ignore[attr-defined]
    reader = store.open_store(tmp_path)
    assert reader.runs_frame().status.tolist() == ["crashed"]
    curate.rename(reader, rid, "dead")
    curate.delete(reader, rid)


def test_two_concurrent_editors_keep_every_edit(tmp_path: Path) -> None:
    rid = _finished_run(tmp_path)
    go = tmp_path / ".go"
    code = """
        import pathlib, time, store
        from store import curate
        reader = store.open_store({root!r})
        while not pathlib.Path({go!r}).exists():
            time.sleep(0.005)
        for i in range(30):
            curate.set_tags(reader, {rid!r}, {{f"{who}{{i}}": str(i), "last": {who!r}}})
    """
    procs = [
        run_python(code.format(root=str(tmp_path), go=str(go), rid=rid, who=who), wait=False) for who in ("a", "b")
    ]
    go.write_text("go")
    for proc in procs:
        assert proc.wait(timeout=60) == 0, proc.stderr.read().decode() if proc.stderr else ""
    tags = store.open_store(tmp_path).run(rid).tags
    assert {f"{w}{i}" for w in "ab" for i in range(30)} <= set(tags)
    assert tags["last"] in ("a", "b")
    assert len(list((tmp_path / "exp" / rid).glob("edit.*.json"))) == 60


def test_refusals_name_the_reason(tmp_path: Path) -> None:
    rid = _finished_run(tmp_path)
    reader = store.open_store(tmp_path)
    with pytest.raises(ValueError, match="control characters"):
        curate.rename(reader, rid, "bad\x1bname")
    with pytest.raises(ValueError, match="no tags"):
        curate.set_tags(reader, rid)
    with pytest.raises(RunNotFoundError):
        curate.set_tags(reader, "nope", {"a": "b"})
    assert not list((tmp_path / "exp" / rid).glob("edit.*"))
    assert os.listdir(tmp_path / "exp") == [rid]


def test_deleted_runs_have_the_status_deleted_in_mlflow_stores_too(tmp_path: Path) -> None:
    exp = write_experiment(tmp_path / "mlruns", "0", "Default")
    write_run(exp, mlflow_run_id(1), "kept")
    write_run(exp, mlflow_run_id(2), "binned", lifecycle="deleted")
    frame = store.open_store(tmp_path / "mlruns", include_deleted=True).runs_frame()
    assert dict(zip(frame.name, frame.status)) == {"kept": "finished", "binned": "deleted"}
    assert list(store.open_store(tmp_path / "mlruns").runs_frame().name) == ["kept"]


def test_edits_made_while_a_writer_resumes_and_folds_are_all_kept(tmp_path: Path) -> None:
    """An editor process tags the run 40 times while this process resumes it (and folds the
    edit log into tags.json) again and again: no edit is lost (a few seconds of real processes)."""
    rid = _finished_run(tmp_path)
    go, done = tmp_path / ".go", tmp_path / ".done"
    code = f"""
        import pathlib, time, store
        from store import curate
        reader = store.open_store({str(tmp_path)!r})
        while not pathlib.Path({str(go)!r}).exists():
            time.sleep(0.005)
        for i in range(40):
            curate.set_tags(reader, {rid!r}, {{f"k{{i}}": str(i)}})
            time.sleep(0.005)
        pathlib.Path({str(done)!r}).write_text("done")
    """
    editor = run_python(code, wait=False)
    go.write_text("go")
    resumes = 0
    while not done.exists() or resumes < 3:
        assert editor.poll() in (None, 0), editor.stderr.read().decode() if editor.stderr else ""
        with store.start_run(resume=rid, root=tmp_path, system_metrics_interval=0) as run:
            run.set_tag(f"w{resumes}", "x")
        resumes += 1
    assert editor.wait(timeout=60) == 0
    tags = store.open_store(tmp_path).run(rid).tags
    assert {f"k{i}" for i in range(40)} <= set(tags), "every edit survives the folds"
    assert {f"w{i}" for i in range(resumes)} <= set(tags), "and so does every tag the writer set"
    with store.start_run(resume=rid, root=tmp_path, system_metrics_interval=0):
        pass
    folder = tmp_path / "exp" / rid
    assert not list(folder.glob("edit.*")), "the last resume folded everything"
    assert {f"k{i}" for i in range(40)} <= set(json.loads((folder / layout.TAGS).read_text()))


def test_an_edit_made_long_after_the_index_was_saved_is_seen_by_a_fresh_reader(tmp_path: Path) -> None:
    """Edits are new files: the index must notice them although no record file changed."""
    rid = _finished_run(tmp_path, stage="draft")
    folder = tmp_path / "exp" / rid
    old = time.time() - 3600
    for path in [*folder.iterdir(), folder]:
        os.utime(path, (old, old))
    reader = store.open_store(tmp_path)
    reader.runs_frame()
    reader.save_index()
    curate.set_tags(reader, rid, {"stage": "final"})
    fresh = store.open_store(tmp_path).runs_frame()
    assert fresh[fresh.run_id == rid].iloc[0]["tags.stage"] == "final"


def test_an_edit_leaves_the_journals_newest_row_of_the_run_as_edited(tmp_path: Path) -> None:
    """A first open folds a run's newest journal row while its folder's times are those the row names. An edit
    made in the same tick of the file system's clock as the writer's finish row leaves those times as they
    were, so that row alone would list the run unedited: each edit appends the edited run's row."""
    from store.ours import journal

    rid = _finished_run(tmp_path, stage="draft")
    reader = store.open_store(tmp_path)
    curate.set_tags(reader, rid, {"stage": "final"})
    curate.rename(reader, rid, "winner")
    unit = f"exp/{rid}"
    rows, _ = journal.read_rows(str(tmp_path), {unit}, {})
    sig, record = rows[unit][-1]
    assert record["tags"]["stage"] == "final" and record["name"] == "winner"
    st = os.stat(tmp_path / unit)
    assert sig[1:3] == [st.st_mtime_ns, st.st_ctime_ns]  # the folder as the edit left it
    for index in tmp_path.glob(".tracktui-index*"):
        index.unlink()
    assert _record(tmp_path, rid)["tags"]["stage"] == "final"
