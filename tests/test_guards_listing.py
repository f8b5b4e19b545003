"""A listing survives what a hostile store holds: symbolic link loops, an index whose head is nested
thousands deep or whose members are zip bombs, bad curation edits. One damaged row or one skipped
file each, in one line of plain words; the rest lists."""

from __future__ import annotations

import io
import json
import os
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

import store
from store.ours.column_file import load_table
from tui.cli import main


def _store(root: Path, n: int = 2) -> list[str]:
    ids = []
    for i in range(n):
        with store.start_run(experiment="exp", name=f"run{i}", root=root, system_metrics_interval=0) as run:
            run.log_metrics({"loss": 1.0 / (i + 1)})
            run.set_tags({"team": "a"})
            ids.append(run.id)
    return ids


def _ls(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, dict[str, str]]:
    code = main(["ls", str(root), "--json", "--columns", "run_id,status,reason,tags.team", *extra])
    out = capsys.readouterr().out
    assert code == 0
    return {row["run_id"]: row for row in map(json.loads, out.splitlines())}


def test_symlink_loops_are_damaged_rows_and_the_rest_lists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], first_listing: str
) -> None:
    root = tmp_path / "store"
    good, looped_meta = _store(root)
    (root / "store-loop").symlink_to("store-loop")  # beside the experiments
    (root / "exp" / "exp-loop").symlink_to("exp-loop")  # beside the runs
    (root / "exp" / looped_meta / "meta.json").unlink()
    (root / "exp" / looped_meta / "meta.json").symlink_to("meta.json")  # in a run
    (root / "exp" / good / "metrics" / "loss.f64").rename(root / "exp" / good / "metrics" / "real.f64")
    (root / "exp" / good / "metrics" / "loss.f64").symlink_to("loss.f64")
    (root / ".trash").symlink_to(".trash")
    rows = _ls(root, capsys, "--deleted")
    assert rows[good]["status"] == "finished"
    for damaged in (looped_meta, "store-loop", "exp-loop"):
        assert rows[damaged]["status"] == "damaged", rows
        assert "symbolic links" in rows[damaged]["reason"] and "Errno" not in rows[damaged]["reason"]
    reader = store.open_store(root)
    assert set(reader.history(good)["key"]) == {"real"}, "a looped history has no points, the others read"
    assert reader.run("exp-loop").status == "damaged"


def _rewrite_index(path: Path, change: dict[str, bytes]) -> None:
    """The same index with some members' raw `.npy` bytes replaced (stored, as np.savez writes)."""
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members.update(change)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def _npy_header(count: int) -> bytes:
    """The `.npy` header of a float64 array of `count` values (the data is up to the caller)."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": (count,)})
    return buf.getvalue()


def _refused_peak(index: Path) -> int:
    """Bytes allocated at most while the index file is looked at and refused."""
    tracemalloc.start()
    try:
        assert load_table(str(index), "tracktui", 15) is None
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_deeply_nested_index_head_is_rebuilt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "store"
    ids = _store(root)
    assert set(_ls(root, capsys)) == set(ids)
    index = root / ".tracktui-index.npz"
    deep = ("[" * 200_000 + "]" * 200_000).encode()
    _rewrite_index(index, {"head.npy": _npy(np.frombuffer(deep, dtype=np.uint8))})
    assert set(_ls(root, capsys)) == set(ids)
    assert load_table(str(index), "tracktui", 15) is not None, "the index was written anew"


def test_a_zip_bomb_index_is_refused_before_it_is_inflated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "store"
    ids = _store(root)
    assert set(_ls(root, capsys)) == set(ids)
    index = root / ".tracktui-index.npz"
    with zipfile.ZipFile(index) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    bomb_size = 256 * 1024 * 1024
    info = zipfile.ZipInfo("read_at.npy")
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(index, "w", compresslevel=1) as zf:
        for name, data in members.items():
            if name != "read_at.npy":
                zf.writestr(name, data)
        with zf.open(info, "w", force_zip64=True) as fh:
            fh.write(_npy_header(bomb_size // 8))
            zeros = bytes(1 << 20)
            for _ in range(bomb_size >> 20):
                fh.write(zeros)
    assert index.stat().st_size < 2 * 1024 * 1024, "a small file that inflates to 256 MB"
    peak = _refused_peak(index)
    assert peak < 16 * 1024 * 1024, f"{peak / 2**20:.0f} MB allocated to look at a bomb"
    assert set(_ls(root, capsys)) == set(ids), "refused, then rebuilt"
    assert load_table(str(index), "tracktui", 15) is not None


def test_an_array_that_claims_more_than_it_holds_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "store"
    ids = _store(root)
    _ls(root, capsys)
    index = root / ".tracktui-index.npz"
    liar = _npy_header(4_000_000_000) + bytes(16)
    _rewrite_index(index, {"read_at.npy": liar})
    peak = _refused_peak(index)
    assert peak < 16 * 1024 * 1024
    assert set(_ls(root, capsys)) == set(ids)


def test_a_bad_edit_file_is_skipped_and_named_and_the_run_keeps_its_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "store"
    run_id, other = _store(root)
    folder = root / "exp" / run_id
    assert main(["tag", str(root), run_id, "team=b"]) == 0
    (folder / "edit.00000000000000000001-0000000a.json").write_text("[" * 5000 + "]" * 5000)
    (folder / "edit.00000000000000000002-0000000b.json").write_text("{not json")
    (folder / "edit.00000000000000000003-0000000c.json").write_bytes(b'{"name": "\xff"}')
    os.mkfifo(folder / "edit.00000000000000000004-0000000d.json")
    (root / "exp" / other / "meta.json").write_text("{not json")
    capsys.readouterr()
    rows = _ls(root, capsys)
    row = rows[run_id]
    assert row["status"] == "finished" and row["tags.team"] == "b", row
    reason = row["reason"]
    for bad in ("0000000a", "0000000b", "0000000c", "0000000d"):
        assert f"-{bad}.json skipped" in reason, reason
    assert "nested deeper than 100 levels" in reason and "not valid JSON" in reason and "FIFO" in reason
    damaged = rows[other]["reason"]
    assert rows[other]["status"] == "damaged" and damaged.startswith("meta.json is unreadable: not valid JSON")
    for text in (reason, damaged):
        assert "\n" not in text and "Error" not in text and "Traceback" not in text, text


async def test_the_app_lists_a_store_with_symlink_loops(tmp_path: Path) -> None:
    """The app showed 0 runs when a loop sat among the experiments; now the loop is one damaged row."""
    from tests.app_helpers import demo_app, demo_store, screen_text, settle, shown_names

    root = demo_store(tmp_path / "demo")
    (root / "store-loop").symlink_to("store-loop")
    (root / ".trash").symlink_to(".trash")
    app = demo_app(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "11/11 runs" in screen_text(app)
        assert "store-loop" in shown_names(app) and "rf-oom" in shown_names(app)


async def test_a_run_named_with_a_lone_surrogate_is_listed_and_the_rest_too(tmp_path: Path) -> None:
    """Failed before (found in review): a meta.json naming its run `"bad\\ud800"` (valid JSON, no UTF-8 text)
    made Arrow refuse the whole frame, so neither `runs_frame()` nor the app listed any run."""
    from tests.app_helpers import demo_app, screen_text, settle, shown_names

    root = tmp_path / "store"
    _store(root, n=3)
    [meta] = [p for p in root.glob("exp/*/meta.json") if '"run1"' in p.read_text()]
    meta.write_text(meta.read_text().replace('"run1"', '"bad\\ud800"'))
    frame = store.open_store(root).runs_frame("last")
    assert sorted(frame["name"]) == ["bad\ufffd", "run0", "run2"]
    app = demo_app(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "3/3 runs" in screen_text(app)
        assert {"run0", "run2", "bad\ufffd"} <= set(shown_names(app))
