"""Listing, refresh, the index cache, and damaged runs."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest

import store
from store.ours import layout
from tests.children import REPO

INDEX = ".tracktui-index.npz"


def tamper_index(root: Path, change: Callable[[dict[str, Any], dict[str, Any]], None]) -> None:
    """Rewrite the saved column index with `change(arrays, head)` applied, as a hostile or buggy program might."""
    path = root / INDEX
    with np.load(path, allow_pickle=False) as npz:
        arrays = {name: npz[name].copy() for name in npz.files}
    head = json.loads(arrays["head"].tobytes())
    change(arrays, head)
    arrays["head"] = np.frombuffer(json.dumps(head).encode(), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def column(head: dict[str, Any], name: str) -> int:
    return next(j for j, spec in enumerate(head["values"]) if spec["name"] == name)


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
        "run_id",
        "experiment",
        "name",
        "status",
        "created",
        "ended",
        "duration",
        "params.cfg.lr",
        "params.i",
        "metrics.loss",
        "tags.parity",
        "host",
        "user",
        "reason",
    ]
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
    s._cache.table.read_at += 10  # type: ignore[union-attr]  # pretend the reads happened long after the writes
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
    index = tmp_path / INDEX
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

    def wrong(arrays: dict[str, Any], head: dict[str, Any]) -> None:
        head["values"][column(head, "name")]["vocab"] = ["WRONG"] * 2
        arrays["sig"][:] = 1

    tamper_index(tmp_path, wrong)
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
    assert cast(Path, s.index_path()).parent == Path(os.environ["XDG_CACHE_HOME"]) / "tracktui"
    assert len(s.runs_frame()) == 1 and cast(Path, s.index_path()).exists()


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

    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
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
    meta = json.loads((run.path / layout.META).read_text())
    meta.update(status="running", host="elsewhere", ended=None)
    (run.path / layout.META).write_text(json.dumps(meta))
    summary = json.loads((run.path / layout.SUMMARY).read_text())
    (run.path / layout.SUMMARY).write_text(json.dumps({**summary, "heartbeat": 1.0}))
    assert store.open_store(tmp_path).runs_frame()["status"].tolist() == ["crashed"]
    (run.path / layout.SUMMARY).write_text(json.dumps({**summary, "heartbeat": 9e12}))
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


@pytest.mark.parametrize(
    "patch",
    [
        {"pid": "12x"},
        {"pid": 2**70},
        {"status": "exploded"},
        {"created": 1e20},
        {"pid_start": "x", "status": "running"},
    ],
)
def test_odd_metadata_never_hides_other_runs(tmp_path: Path, patch: dict[str, object]) -> None:
    ids = make_runs(tmp_path, 2)
    meta_path = next(tmp_path.glob(f"*/{ids[0]}/meta.json"))
    meta_path.write_text(json.dumps({**json.loads(meta_path.read_text()), **patch}))
    frame = store.open_store(tmp_path).runs_frame().set_index("run_id")
    assert len(frame) == 2 and frame.loc[ids[1], "status"] == "finished"
    if "status" in patch and patch["status"] == "exploded":
        assert frame.loc[ids[0], "status"] == "damaged" and "unknown status" in frame.loc[ids[0], "reason"]


# -- damage that used to take the whole listing down (issue 10 items 10, 11, 16) --------------

LIST_EVERYTHING = """
import json, sys, store
s = store.open_store(sys.argv[1])
frame = s.runs_frame()
out = {}
for rid in frame["run_id"]:
    detail = s.run(rid)
    out[rid] = {"status": detail.status, "error": detail.error, "points": len(s.history(rid))}
print(json.dumps(out))
"""


def list_in_child(root: Path, timeout: float = 30.0) -> dict[str, dict[str, object]]:
    """List, read and load the history of every run in a child process; SIGKILL it if it hangs."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LIST_EVERYTHING, str(root)],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()  # SIGKILL
        proc.communicate()
        pytest.fail(f"listing {root} did not finish within {timeout} s")
    assert proc.returncode == 0, err.decode()[-2000:]
    return json.loads(out)


@pytest.mark.parametrize("name", ["meta.json", "params.json", "summary.json", "tags.json"])
def test_deeply_nested_json_damages_one_run_not_the_listing(tmp_path: Path, name: str) -> None:
    """Old code: RecursionError out of runs_frame() (the app showed 0 runs)."""
    ids = make_runs(tmp_path, 3)
    run_dir = next(tmp_path.glob(f"*/{ids[1]}"))
    (run_dir / name).write_text('{"a": ' * 5000 + "1" + "}" * 5000)
    s = store.open_store(tmp_path)
    frame = s.runs_frame().set_index("run_id")
    assert len(frame) == 3
    assert frame.loc[ids[1], "status"] == "damaged" and "nested deeper" in frame.loc[ids[1], "reason"]
    assert set(frame.drop(ids[1])["status"]) == {"finished"}
    assert s.run(ids[1]).status == "damaged" and len(s.history(ids[1])) == 1


def test_json_nested_just_under_the_stack_limit_is_damage_too(tmp_path: Path) -> None:
    """Parses, but flattening or saving it in the index would recurse past the stack (old code: RecursionError)."""
    ids = make_runs(tmp_path, 2)
    params = next(tmp_path.glob(f"*/{ids[0]}/params.json"))
    params.write_text('{"a": ' * 900 + "1" + "}" * 900)
    frame = store.open_store(tmp_path).runs_frame().set_index("run_id")
    assert frame.loc[ids[0], "status"] == "damaged" and frame.loc[ids[1], "status"] == "finished"


def _odd_read_at(arrays: dict[str, Any], head: dict[str, Any]) -> None:
    arrays["read_at"][0] = np.nan


def _odd_run_id(arrays: dict[str, Any], head: dict[str, Any]) -> None:
    arrays["kinds"][column(head, "run_id"), 0] = 2  # an int, where every run id is text


def _odd_name_code(arrays: dict[str, Any], head: dict[str, Any]) -> None:
    arrays["s"][head["values"][column(head, "name")]["s"], 0] = 10**6  # past the end of the vocabulary


def _odd_created(arrays: dict[str, Any], head: dict[str, Any]) -> None:
    arrays["floats"][0, 0] = np.inf  # `created`


def _odd_kind(arrays: dict[str, Any], head: dict[str, Any]) -> None:
    arrays["kinds"][column(head, "params.i"), 0] = 9


def _odd_sig_dtype(arrays: dict[str, Any], head: dict[str, Any]) -> None:
    arrays["sig"] = arrays["sig"].astype(float)


def _odd_vocab(arrays: dict[str, Any], head: dict[str, Any]) -> None:
    head["values"][column(head, "tags.parity")]["vocab"] = [5, 6]


def _odd_units(arrays: dict[str, Any], head: dict[str, Any]) -> None:
    head["units"] = head["units"][:1]


def _odd_block_row(arrays: dict[str, Any], head: dict[str, Any]) -> None:
    head["values"][column(head, "name")]["s"] = True  # a bool where a row of the `s` block is named


@pytest.mark.parametrize(
    "odd",
    [
        _odd_read_at,
        _odd_run_id,
        _odd_name_code,
        _odd_created,
        _odd_kind,
        _odd_sig_dtype,
        _odd_vocab,
        _odd_units,
        _odd_block_row,
    ],
)
def test_an_index_with_one_wrong_value_costs_a_reread(
    tmp_path: Path, odd: Callable[[dict[str, Any], dict[str, Any]], None]
) -> None:
    """A tampered or half-written index never reaches the listing: a bad row or file is read from the folders again."""
    make_runs(tmp_path, 3)
    expected = store.open_store(tmp_path).runs_frame()

    def trusted(arrays: dict[str, Any], head: dict[str, Any]) -> None:
        arrays["read_at"] += 100  # read long after the runs were written: trusted as is
        odd(arrays, head)

    tamper_index(tmp_path, trusted)
    assert store.open_store(tmp_path).runs_frame().equals(expected)


@pytest.mark.parametrize("replace", ["fifo", "dev-zero", "folder"])
@pytest.mark.parametrize("name", ["meta.json", "params.json", "summary.json", "metrics/loss.f64"])
def test_a_fifo_device_or_folder_in_place_of_a_run_file_never_blocks(tmp_path: Path, replace: str, name: str) -> None:
    """Old code: a FIFO blocked the listing forever, /dev/zero ate memory, a folder raised out of history()."""
    ids = make_runs(tmp_path, 3)
    target = next(tmp_path.glob(f"*/{ids[1]}")) / name
    target.unlink()
    if replace == "fifo":
        os.mkfifo(target)
    elif replace == "dev-zero":
        target.symlink_to("/dev/zero")
    else:
        target.mkdir()
    runs = list_in_child(tmp_path)
    assert set(runs) == set(ids)
    assert all(runs[rid]["status"] == "finished" for rid in (ids[0], ids[2]))
    if name.startswith("metrics/"):
        assert runs[ids[1]]["points"] == 0 and runs[ids[0]]["points"] == 1
    elif name == "meta.json":
        assert runs[ids[1]]["status"] == "damaged" and "regular file" in str(runs[ids[1]]["error"])


def test_history_skips_a_folder_where_a_history_file_should_be(tmp_path: Path) -> None:
    """Old code: IsADirectoryError out of history()."""
    with store.start_run(experiment="e", root=tmp_path) as run:
        run.log_metric("a", 1.0)
        run.log_metric("b", 2.0)
    (run.path / "metrics" / "a.f64").unlink()
    (run.path / "metrics" / "a.f64").mkdir()
    hist = store.open_store(tmp_path).history(run.id)
    assert list(hist["key"]) == ["b"]


# -- the index (issue 9 item 9, issue 10 item 8) -------------------------------------------


def test_an_in_place_rewrite_after_the_index_was_saved_is_seen(tmp_path: Path) -> None:
    """Old code: validated against the folder's mtime/ctime, which an in-place write leaves alone: old name forever."""
    ids = make_runs(tmp_path, 2)
    run_dir = next(tmp_path.glob(f"*/{ids[0]}"))
    past = time.time() - 100
    for path in [run_dir, *run_dir.iterdir()]:
        os.utime(path, (past, past))
    store.open_store(tmp_path).runs_frame()  # saves the index: read 100 s after the files last changed, trusted
    folder = run_dir.stat()
    meta = run_dir / "meta.json"
    data = json.loads(meta.read_text())
    with open(meta, "r+", encoding="utf-8") as fh:  # in place, as an editor or rsync --inplace does
        fh.write(json.dumps({**data, "name": "renamed"}, indent=1))
        fh.truncate()
    os.utime(meta, (past + 3, past + 3))  # more than 2 s after the files the index read, still long ago
    assert run_dir.stat().st_mtime_ns == folder.st_mtime_ns and run_dir.stat().st_ctime_ns == folder.st_ctime_ns
    frame = store.open_store(tmp_path).runs_frame().set_index("run_id")
    assert frame.loc[ids[0], "name"] == "renamed"
    (tmp_path / INDEX).unlink()
    assert store.open_store(tmp_path).runs_frame().set_index("run_id").equals(frame)


def test_an_index_save_removes_stale_temporaries_only(tmp_path: Path) -> None:
    """Old code: a killed save's temporary stayed forever."""
    make_runs(tmp_path, 1)
    stale = tmp_path / "..tracktui-index.npz.123.tmp"  # named as column_file.save_table names them
    young = tmp_path / "..tracktui-index.npz.456.tmp"
    other = tmp_path / ".other.json.abc.tmp"
    for path in (stale, young, other):
        path.write_text("x" * 1000)
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    store.open_store(tmp_path).save_index()
    assert not stale.exists() and young.exists() and other.exists()


def test_run_folders_linked_out_of_the_store_are_listed_damaged_and_never_read(
    tmp_path: Path, first_listing: str
) -> None:
    """A run folder or an experiment that is a symbolic link to a folder outside the store: one damaged
    row each, and nothing behind the link is read (old code listed the outside runs as the store's own,
    with their params, metrics and artifacts)."""
    outside, root = tmp_path / "elsewhere", tmp_path / "store"
    with store.start_run(experiment="secret", root=outside, params={"token": "abc"}) as run:
        run.log_metric("loss", 1.0)
    with store.start_run(experiment="mine", root=root) as own:
        own.log_metric("loss", 2.0)
    (root / "mine" / "linked-run").symlink_to(run.path)
    (root / "linked-exp").symlink_to(outside / "secret")
    inside_link = root / "mine" / "alias"
    inside_link.symlink_to(own.path)  # a link within the store is the store's own
    reader = store.open_store(root)
    records = {rec["run_id"]: rec for rec in reader.records()}
    assert records[own.id]["status"] == "finished" and records["alias"]["status"] == "finished"
    for rid in ("linked-run", "linked-exp"):
        assert records[rid]["status"] == "damaged" and "outside the store" in str(records[rid]["reason"])
        assert records[rid]["params"] == {} and records[rid]["metrics"] == {}
        detail = reader.run(rid)
        assert detail.params == {} and detail.artifacts_dir is None and detail.media() == {}
        assert reader.history(rid).empty
    assert run.id not in records, "the outside run is not listed under its own id"
