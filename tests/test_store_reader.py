"""Listing, refresh, the index cache, and damaged runs."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import store
from store import format as fmt
from tests.children import REPO


def make_runs(root: Path, n: int, experiment: str = "e") -> list[str]:
    ids = []
    for i in range(n):
        with store.start_run(experiment=experiment, name=f"r{i}", root=root) as run:
            run.log_params({"i": i, "cfg": {"lr": 0.1 * (i + 1)}})
            run.log_metric("loss", 1.0 / (i + 1))
            run.set_tag("parity", "even" if i % 2 == 0 else "odd")
        ids.append(run.id)
    return ids


def test_runs_frame_columns_and_experiments(tmp_path: Path) -> None:
    make_runs(tmp_path, 3, "a")
    make_runs(tmp_path, 2, "b b")
    s = store.open_store(tmp_path)
    frame = s.runs_frame()
    assert len(frame) == 5
    assert list(frame.columns) == [
        "run_id", "experiment", "name", "status", "created", "ended", "duration",
        "params.cfg.lr", "params.i", "metrics.loss", "tags.parity", "host", "user", "reason"]
    assert s.experiments() == {"a": 3, "b b": 2}
    assert frame["created"].is_monotonic_decreasing


def test_metric_stat_columns(tmp_path: Path) -> None:
    with store.start_run(experiment="e", root=tmp_path) as run:
        for v in (3.0, 1.0, 2.0):
            run.log_metric("m", v)
    s = store.open_store(tmp_path)
    assert s.runs_frame("last")["metrics.m"][0] == 2.0
    assert s.runs_frame("min")["metrics.m"][0] == 1.0
    assert s.runs_frame("max")["metrics.m"][0] == 3.0
    with pytest.raises(ValueError):
        s.runs_frame("median")


def test_refresh_reports_only_what_changed(tmp_path: Path) -> None:
    ids = make_runs(tmp_path, 3)
    s = store.open_store(tmp_path)
    s.runs_frame()
    for entry in s._entries.values():  # pretend the reads happened long after the writes
        entry["read_at"] += 10
    assert s.refresh() == set()
    run = store.start_run(resume=ids[1], root=tmp_path)
    run.log_metric("loss", 0.01)
    run.finish()
    new = make_runs(tmp_path, 1, "f")
    assert s.refresh() == {ids[1], new[0]}
    assert s.runs_frame().set_index("run_id").loc[ids[1], "metrics.loss"] == 0.01


def test_index_is_an_optimisation_only(tmp_path: Path) -> None:
    make_runs(tmp_path, 4)
    first = store.open_store(tmp_path).runs_frame()
    index = tmp_path / ".tracktui-index.json"
    assert index.exists()
    cached = store.open_store(tmp_path).runs_frame()
    assert cached.equals(first)
    index.write_text("{garbage")
    assert store.open_store(tmp_path).runs_frame().equals(first)
    index.unlink()
    assert store.open_store(tmp_path).runs_frame().equals(first)


def test_stale_index_entry_is_reread(tmp_path: Path) -> None:
    ids = make_runs(tmp_path, 2)
    store.open_store(tmp_path).runs_frame()
    index = tmp_path / ".tracktui-index.json"
    data = json.loads(index.read_text())
    for entry in data["entries"].values():
        entry["record"]["name"] = "WRONG"
        entry["sig"] = [1, 1]
    index.write_text(json.dumps(data))
    assert set(store.open_store(tmp_path).runs_frame()["name"]) == {"r0", "r1"}
    assert len(ids) == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_store_keeps_index_in_cache(tmp_path: Path) -> None:
    make_runs(tmp_path / "s", 1)
    (tmp_path / "s").chmod(stat.S_IRUSR | stat.S_IXUSR)
    s = store.open_store(tmp_path / "s")
    assert len(s.runs_frame()) == 1 and not str(s.index_path()).startswith(str(tmp_path / "s"))


def test_read_only_store_index_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_runs(tmp_path, 1)
    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    s = store.open_store(tmp_path)
    assert s.index_path().parent == Path(os.environ["XDG_CACHE_HOME"]) / "tracktui"
    assert len(s.runs_frame()) == 1 and s.index_path().exists()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "missing", "list", "newer"])
def test_damaged_run_is_listed_and_others_are_not_hidden(tmp_path: Path, damage: str) -> None:
    ids = make_runs(tmp_path, 3)
    meta = next(tmp_path.glob(f"*/{ids[1]}/meta.json"))
    if damage == "garbage":
        meta.write_bytes(b"\x00\xff not json")
    elif damage == "truncated":
        meta.write_text(meta.read_text()[:40])
    elif damage == "missing":
        meta.unlink()
    elif damage == "list":
        meta.write_text("[1, 2]")
    else:
        meta.write_text(json.dumps({**json.loads(meta.read_text()), "version": 99}))
    s = store.open_store(tmp_path)
    frame = s.runs_frame().set_index("run_id")
    assert len(frame) == 3
    assert frame.loc[ids[1], "status"] == "damaged"
    assert "meta.json" in frame.loc[ids[1], "reason"] or "newer" in frame.loc[ids[1], "reason"]
    assert set(frame.drop(ids[1])["status"]) == {"finished"}
    assert s.run(ids[1]).status == "damaged"


def test_damaged_summary_and_params(tmp_path: Path) -> None:
    ids = make_runs(tmp_path, 2)
    run_dir = next(tmp_path.glob(f"*/{ids[0]}"))
    (run_dir / "summary.json").write_text('{"metrics": ')
    (run_dir / "params.json").write_text("nope")
    frame = store.open_store(tmp_path).runs_frame().set_index("run_id")
    assert frame.loc[ids[0], "status"] == "damaged"
    assert "summary.json" in frame.loc[ids[0], "reason"] and "params.json" in frame.loc[ids[0], "reason"]
    assert frame.loc[ids[1], "status"] == "finished"


def test_live_run_from_another_process_shows_running(tmp_path: Path) -> None:
    code = f"""
        import store, sys
        run = store.start_run(experiment="live", root={str(tmp_path)!r}, flush_interval=0.01)
        run.log_metric("x", 1.0)
        run.flush()
        print(run.id, flush=True)
        sys.stdin.readline()
        run.log_metric("x", 2.0)
        run.finish()
    """
    import textwrap
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=dict(os.environ, PYTHONPATH=str(REPO)),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdin is not None
    run_id = proc.stdout.readline().decode().strip()
    s = store.open_store(tmp_path)
    assert s.runs_frame()["status"].tolist() == ["running"]
    proc.stdin.write(b"go\n")
    proc.stdin.flush()
    assert proc.wait(timeout=30) == 0
    assert run_id in s.refresh()
    frame = s.runs_frame()
    assert frame["status"].tolist() == ["finished"] and frame["metrics.x"].tolist() == [2.0]


def test_other_host_with_stale_heartbeat_reads_crashed(tmp_path: Path) -> None:
    run = store.start_run(experiment="e", root=tmp_path)
    run.finish()
    meta = json.loads((run.path / fmt.META).read_text())
    meta.update(status="running", host="elsewhere", ended=None)
    (run.path / fmt.META).write_text(json.dumps(meta))
    summary = json.loads((run.path / fmt.SUMMARY).read_text())
    (run.path / fmt.SUMMARY).write_text(json.dumps({**summary, "heartbeat": 1.0}))
    assert store.open_store(tmp_path).runs_frame()["status"].tolist() == ["crashed"]
    (run.path / fmt.SUMMARY).write_text(json.dumps({**summary, "heartbeat": 9e12}))
    assert store.open_store(tmp_path).runs_frame()["status"].tolist() == ["running"]


def test_resolve_by_id_prefix_and_name(tmp_path: Path) -> None:
    ids = make_runs(tmp_path, 3)
    s = store.open_store(tmp_path)
    assert s.resolve(ids[0]) == ids[0]
    assert s.resolve(ids[0][:-2]) == ids[0]
    with pytest.raises(store.RunNotFoundError, match="matches 3 runs"):
        s.resolve(ids[0][:4])
    assert s.resolve("r1") == ids[1]
    with pytest.raises(store.RunNotFoundError, match="no run"):
        s.resolve("nope")


def test_not_a_store(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(store.NotAStoreError, match="not a tracktui store"):
        store.open_store(tmp_path)
    with pytest.raises(store.NotAStoreError, match="does not exist"):
        store.open_store(tmp_path / "missing")


def test_store_does_not_import_the_ui() -> None:
    code = "import sys, store; store.open_store; print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'tui')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("patch", [{"pid": "12x"}, {"pid": 2**70}, {"status": "exploded"}, {"created": 1e20},
                                   {"pid_start": "x", "status": "running"}])
def test_odd_metadata_never_hides_other_runs(tmp_path: Path, patch: dict[str, object]) -> None:
    ids = make_runs(tmp_path, 2)
    meta_path = next(tmp_path.glob(f"*/{ids[0]}/meta.json"))
    meta_path.write_text(json.dumps({**json.loads(meta_path.read_text()), **patch}))
    frame = store.open_store(tmp_path).runs_frame().set_index("run_id")
    assert len(frame) == 2 and frame.loc[ids[1], "status"] == "finished"
    if "status" in patch and patch["status"] == "exploded":
        assert frame.loc[ids[0], "status"] == "damaged" and "unknown status" in frame.loc[ids[0], "reason"]
