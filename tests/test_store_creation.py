"""Run creation is cheap (issue 17) without giving up what a crash or a power loss keeps."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

import store
from store import process
from store.ours import atomic, durable, layout, run_folder
from tests.children import run_python


def test_git_is_asked_once_per_process_and_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for cmd in (
        ["init", "-q"],
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x"],
    ):
        subprocess.run(["git", *cmd], cwd=tmp_path, check=True, capture_output=True)
    calls: list[str] = []
    real = subprocess.run

    def counting(args: list[str], *a: Any, **kw: Any) -> subprocess.CompletedProcess[str]:
        if args and args[0] == "git":
            calls.append(os.getcwd())
        return real(args, *a, **kw)

    monkeypatch.setattr(subprocess, "run", counting)
    monkeypatch.setattr(process, "_git_facts", {})
    monkeypatch.chdir(tmp_path)
    for _ in range(3):
        store.start_run(experiment="e", root=tmp_path / "s").finish()
    assert len(calls) == 3  # rev-parse HEAD, the branch, status: once for the three runs
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.chdir(other)
    store.start_run(experiment="e", root=tmp_path / "s").finish()
    assert len(calls) == 6 and set(calls[3:]) == {str(other)}
    commits = {
        store.open_store(tmp_path / "s").run(rid).facts["git_commit"]
        for rid in store.open_store(tmp_path / "s").run_ids()
    }
    assert len(commits) == 1 and None not in commits


def test_start_run_writes_no_summary_and_a_reader_still_knows_the_run(tmp_path: Path) -> None:
    run = store.start_run(experiment="e", root=tmp_path / "s", system_metrics_interval=0, flush_interval=60)
    try:
        assert not (run.path / layout.SUMMARY).exists()
        frame = store.open_store(tmp_path / "s").runs_frame()
        assert frame["status"].tolist() == ["running"] and frame["run_id"].tolist() == [run.id]
    finally:
        run.finish()
    assert json.loads((run.path / layout.SUMMARY).read_text())["metrics"] == {}


def test_a_run_of_another_host_without_a_summary_is_crashed_once_its_creation_is_stale(tmp_path: Path) -> None:
    """A writer on another machine that died before its first flush left no heartbeat: its
    creation time stands in for it, so the run does not stay `running` forever."""
    run = store.start_run(experiment="e", root=tmp_path / "s", system_metrics_interval=0, flush_interval=60)
    run.finish()
    (run.path / layout.SUMMARY).unlink()
    meta = json.loads((run.path / layout.META).read_text())
    meta.update(status="running", ended=None, host="elsewhere", created=time.time() - 10 * layout.HEARTBEAT_STALE)
    (run.path / layout.META).write_text(json.dumps(meta))
    assert store.open_store(tmp_path / "s").runs_frame()["status"].tolist() == ["crashed"]
    meta["created"] = time.time()
    (run.path / layout.META).write_text(json.dumps(meta))
    assert store.open_store(tmp_path / "s").runs_frame()["status"].tolist() == ["running"]


def test_writes_are_fsynced_soon_after_not_while_the_script_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync_now = durable.sync_now
    monkeypatch.setattr(durable, "sync_now", lambda: None)  # the thread's syncs, not the test's
    if durable._thread is not None:  # an earlier test's thread may be inside the real sync_now: let it end
        durable._wake.set()
        durable._thread.join()
        durable._wake.clear()
    store.start_run(experiment="e", root=tmp_path / "s", system_metrics_interval=0).finish()  # makes the store
    sync_now()
    synced: list[int] = []
    real = os.fsync

    def counted_fsync(fd: int) -> None:
        synced.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", counted_fsync)
    with store.start_run(experiment="e", root=tmp_path / "s", system_metrics_interval=0) as run:
        run.log_metric("loss", 1.0)
        run.log_params({"lr": 0.1})
    assert synced == []
    pending = set(durable._pending)
    for name in (layout.META, layout.SUMMARY, layout.PARAMS, f"{layout.METRICS_DIR}/loss.f64"):
        assert str(run.path / name) in pending
    assert {str(run.path), str(run.path.parent)} <= pending  # the folders hold the new names
    (tmp_path / "gone").write_text("x")
    durable.soon(tmp_path / "gone")
    (tmp_path / "gone").unlink()
    sync_now()
    assert len(synced) == len(pending) and not durable._pending


def test_pending_fsyncs_are_done_at_exit(tmp_path: Path) -> None:
    proc = run_python(f"""
import atexit, os
synced = []
atexit.register(lambda: print("synced", len(synced), flush=True))  # before durable's: runs after it
from store.ours import durable
durable.SYNC_DELAY = 3600.0
real = os.fsync
os.fsync = lambda fd: synced.append(fd) or real(fd)
open({str(tmp_path / "f")!r}, "w").write("x")
durable.soon({str(tmp_path / "f")!r}, {str(tmp_path)!r})
""")
    assert proc.returncode == 0
    assert proc.stdout is not None and b"synced 2" in proc.stdout.read()


def test_a_leftover_made_by_another_process_is_removed_once_old(tmp_path: Path) -> None:
    """The experiment folder is listed only when someone else changed it; a leftover that
    appears between two of our creations is still found and, once old, removed."""
    root = tmp_path / "s"
    store.start_run(experiment="e", root=root, system_metrics_interval=0).finish()
    store.start_run(experiment="e", root=root, system_metrics_interval=0).finish()  # the folder state is known
    left = root / "e" / f".{layout.new_run_id()}{atomic.TEMP_SUFFIX}"
    (left / layout.METRICS_DIR).mkdir(parents=True)  # a creation killed in another process
    store.start_run(experiment="e", root=root, system_metrics_interval=0).finish()
    assert left.exists()
    os.utime(left, (0, 0))
    store.start_run(experiment="e", root=root, system_metrics_interval=0).finish()
    assert not left.exists()
    assert len(store.open_store(root).runs_frame()) == 4


def test_an_unchanged_experiment_folder_is_not_listed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "s"
    store.start_run(experiment="e", root=root, system_metrics_interval=0).finish()
    listed: list[str] = []
    real = os.listdir

    def counted_listdir(p: str) -> list[str]:
        listed.append(os.fspath(p))
        return real(p)

    monkeypatch.setattr(os, "listdir", counted_listdir)
    for _ in range(3):
        store.start_run(experiment="e", root=root, system_metrics_interval=0).finish()
    assert str(root / "e") not in listed
    assert run_folder._seen[str(root / "e")][0] is not None
