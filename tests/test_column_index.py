"""Our store's columnar listing (issue 17): the same frame as from records, a journal of changes, never trusted."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import store
from store.frame import build_runs_frame
from store.ours.column_file import load_table, save_table
from store.ours.column_index import ColumnTable
from store.ours.column_values import ValueColumn


def mixed_store(root: Path) -> list[str]:
    """Runs whose params mix ints, floats, bools, text, None and nested values, with tags, a child and a damaged run."""
    ids = []
    values: list[object] = [1, 2.5, True, "adam", None, [1, 2], 2**40]
    for i, value in enumerate(values):
        with store.start_run(experiment=f"e{i % 2}", name=f"r{i}", root=root) as run:
            run.log_params({"x": value, "only_some": i} if i % 3 else {"x": value})
            run.log_metric("loss", 1.0 / (i + 1))
            if i == 2:
                run.log_metric("nan_metric", float("nan"))
            run.set_tag("t", f"tag{i % 2}")
            if i % 2:
                run.log_input("train.csv", digest=f"d{i}")
        ids.append(run.id)
    child = store.start_run(experiment="e0", name="child", root=root)
    meta = next(root.glob(f"*/{child.id}")) / "meta.json"
    child.finish()
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "parent": ids[0]}))
    damaged = next(root.glob(f"*/{ids[4]}")) / "params.json"
    damaged.write_text("{not json")
    return ids


def test_the_column_frame_is_the_frame_records_make(tmp_path: Path) -> None:
    mixed_store(tmp_path)
    s = store.open_store(tmp_path)
    for stat in ("last", "min", "max"):
        from_columns = s.runs_frame(stat)
        from_records = build_runs_frame(s.records(), s.status_of, stat)
        from_records.loc[from_records["status"] == "running", "duration"] = from_columns["duration"]
        pd.testing.assert_frame_equal(from_columns, from_records)
    frame = s.runs_frame()
    assert frame["params.x"].map(type).value_counts().to_dict() == {
        int: 2,
        float: 1,
        bool: 1,
        str: 2,
        type(None): 2,
    }  # [1, 2] is its JSON text; the child has none
    assert "parent" in frame.columns and (frame["status"] == "damaged").sum() == 1
    assert sorted(frame["inputs.train.csv"].dropna()) == ["d1", "d3", "d5"]  # the index keeps inputs too


def test_a_saved_index_gives_the_same_frame_and_deleting_it_changes_nothing(tmp_path: Path) -> None:
    mixed_store(tmp_path)
    first = store.open_store(tmp_path)
    expected = first.runs_frame()
    first.save_index()
    again = store.open_store(tmp_path)
    assert again.runs_frame().drop(columns="duration").equals(expected.drop(columns="duration"))
    for path in tmp_path.glob(".tracktui-index*"):
        path.unlink()
    assert store.open_store(tmp_path).runs_frame().drop(columns="duration").equals(expected.drop(columns="duration"))


def test_changes_go_to_a_journal_and_the_base_is_rewritten_rarely(tmp_path: Path) -> None:
    ids = [store.start_run(experiment="e", name=f"r{i}", root=tmp_path) for i in range(3)]
    for run in ids:
        run.finish()
    past = time.time() - 100
    for path in [*tmp_path.glob("*/*/*"), *tmp_path.glob("*/*")]:  # read long after written: trusted
        os.utime(path, (past, past))
    first = store.open_store(tmp_path)
    first.runs_frame()
    first.save_index()
    base = tmp_path / ".tracktui-index.npz"
    journal = tmp_path / ".tracktui-index.journal.npz"
    base_bytes = base.read_bytes()
    assert not journal.exists()
    new = store.start_run(experiment="e", name="new", root=tmp_path)
    new.finish()
    gone = next(tmp_path.glob(f"*/{ids[0].id}"))
    for path in sorted(gone.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    gone.rmdir()
    assert first.refresh() == {new.id, ids[0].id}
    first.save_index()
    assert journal.exists() and base.read_bytes() == base_bytes  # appended, not rewritten
    loaded = load_table(str(journal), "tracktui", 15)
    assert loaded is not None and loaded[0].units == [f"e/{new.id}"] and loaded[1] == [f"e/{ids[0].id}"]
    names = set(store.open_store(tmp_path).runs_frame()["name"])
    assert names == {"r1", "r2", "new"}
    journal.write_bytes(b"PK\x03\x04 torn")
    assert set(store.open_store(tmp_path).runs_frame()["name"]) == names


def test_value_columns_keep_python_types_through_concat_and_take() -> None:
    a = ValueColumn.from_values([1, "x", None])
    b = ValueColumn.from_values([2.5, True, "y"])
    both = ValueColumn.concat([a, None, b], [3, 2, 3])
    got = both.objects().tolist()
    assert got == [1, "x", None, None, None, 2.5, True, "y"]
    assert [type(v) for v in got] == [int, str, type(None), type(None), type(None), float, bool, str]
    assert both.take([7, 0]).objects().tolist() == ["y", 1]


def test_a_concat_newest_first_is_the_concat_then_put_newest_first() -> None:
    def table(runs: list[tuple[str, float | None, dict[str, Any]]]) -> ColumnTable:
        records = [
            {"run_id": unit.split("/")[1], "experiment": "e", "name": unit, "status": "finished", "created": created,
             "params": params, "metrics": {"loss": {"last": created or 0.0, "min": 0.0, "max": 1.0}} if created else {}}
            for unit, created, params in runs
        ]  # fmt: skip
        return ColumnTable.from_records([unit for unit, _, _ in runs], [[0, 0, 0]] * len(runs), 5.0, records, 3)

    parts = [
        table([("e/a", 2.0, {"lr": 1}), ("e/b", None, {"opt": "sgd"})]),
        table([]),
        table([("e/c", 3.0, {"lr": 0.5}), ("e/d", 1.0, {})]),
        table([("e/f", 3.0, {"opt": "adam"})]),
    ]
    made, expected = ColumnTable.concat(parts, newest_first=True), ColumnTable.concat(parts).newest_first()
    assert made.units == expected.units == ["e/c", "e/f", "e/a", "e/d", "e/b"]
    assert [made.record(row) for row in range(len(made))] == [expected.record(row) for row in range(len(expected))]
    assert ColumnTable.concat(parts[2:3], newest_first=True).units == ["e/c", "e/d"]


def test_a_partial_listing_keeps_its_parts_when_putting_them_together_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """Failed before (found in review): `whole` dropped the parts before joining them, so a join that raised (a
    MemoryError in a progressive paint) lost those runs from the listing without a word."""
    from store.ours.partial_listing import PartialListing

    listing = PartialListing(3)
    for unit in ("e/a", "e/b"):
        record = {"run_id": unit[2:], "experiment": "e", "name": unit, "status": "finished", "created": 1.0}
        listing.add(ColumnTable.from_records([unit], [[0, 0, 0]], 5.0, [record], 3))
    real = ColumnTable.concat

    def failing(*args: Any, **kwargs: Any) -> ColumnTable:
        raise MemoryError

    monkeypatch.setattr(ColumnTable, "concat", staticmethod(failing))
    with pytest.raises(MemoryError):
        listing.whole()
    monkeypatch.setattr(ColumnTable, "concat", staticmethod(real))
    assert sorted(listing.whole().units) == ["e/a", "e/b"]


def test_a_saved_table_loads_the_same_whatever_its_texts_hold(tmp_path: Path) -> None:
    """The head is written by msgspec, or by json where msgspec refuses (a lone surrogate, as a folder
    name read with `surrogateescape` gives): either way the table loads as it was."""
    names = ["plain", "caf\u00e9", "bad\udcff", "\u2603 snow"]
    records = [
        {"run_id": f"r{i}", "experiment": "e", "name": name, "status": "finished", "created": float(i),
         "params": {"opt": name}, "tags": {}, "metrics": {}}
        for i, name in enumerate(names)
    ]  # fmt: skip
    table = ColumnTable.from_records([f"e/r{i}" for i in range(4)], [[0, 0, 0]] * 4, 5.0, records, 3)
    for kept in (names, names[:2]):
        path = str(tmp_path / f"index-{len(kept)}.npz")
        part = table.take(np.arange(len(kept)))
        save_table(part, path, "tracktui", removed=["e/gone"])
        loaded = load_table(path, "tracktui", 3)
        assert loaded is not None and loaded[1] == ["e/gone"]
        assert [loaded[0].record(row) for row in range(len(kept))] == [part.record(row) for row in range(len(kept))]


def _settled_large_store(root: Path, monkeypatch: pytest.MonkeyPatch, n: int) -> tuple[list[Any], float]:
    """`n` finished runs whose files last changed 100 s ago, in a store counted as large (quick scans)."""
    import store.ours.reader as reader

    monkeypatch.setattr(reader, "QUICK_SCAN_FROM", 1)
    monkeypatch.setattr(reader, "SCAN_SHARE", 1e9)  # never skip a scan here
    runs = [store.start_run(experiment="e", name=f"r{i}", root=root) for i in range(n)]
    for run in runs:
        run.finish()
    past = time.time() - 100
    for path in [*root.glob("*/*/*"), *root.glob("*/*")]:
        os.utime(path, (past, past))
    return runs, past


def test_a_quick_scan_sees_new_files_and_runs_and_a_full_scan_sees_rewrites_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_listing: str
) -> None:
    """Large stores stat only run folders between full scans (issue 17): a rewrite in place waits for the next."""
    import store.ours.reader as reader

    runs, past = _settled_large_store(tmp_path, monkeypatch, 2)
    s = store.open_store(tmp_path)
    s.runs_frame()
    s._cache.table.read_at += 10  # type: ignore[union-attr]
    _rewrite_in_place(next(tmp_path.glob(f"*/{runs[0].id}")) / "meta.json", "renamed", past + 5)
    new = store.start_run(experiment="e", name="new", root=tmp_path)
    new.finish()
    assert s.refresh() == {new.id}, "the new run at once; the rewrite in place not yet"
    monkeypatch.setattr(reader, "FULL_SCAN_SECONDS", -1.0)
    assert s.refresh() == {runs[0].id}
    assert set(s.runs_frame()["name"]) == {"renamed", "r1", "new"}


def test_a_store_whose_scan_is_slow_is_scanned_less_often(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 17: at 100,000 runs a scan every poll would hold the GIL the UI thread needs."""
    import store.ours.reader as reader

    monkeypatch.setattr(reader, "QUICK_SCAN_FROM", 1)
    store.start_run(experiment="e", name="a", root=tmp_path).finish()
    s = store.open_store(tmp_path)
    s.runs_frame()
    s._scan_cost = 3600.0  # type: ignore[attr-defined]  # as if the last scan had taken an hour
    new = store.start_run(experiment="e", name="b", root=tmp_path)
    new.finish()
    assert s.refresh() == set()
    s._scan_cost = 0.0  # type: ignore[attr-defined]
    assert s.refresh() == {new.id}


def _rewrite_in_place(meta: Path, name: str, when: float) -> None:
    """Overwrite a run's meta.json without a rename (an editor, `rsync --inplace`): the folder's times stay."""
    with open(meta, "r+", encoding="utf-8") as fh:
        data = json.loads(fh.read())
        fh.seek(0)
        fh.write(json.dumps({**data, "name": name}))
        fh.truncate()
    os.utime(meta, (when, when))


@pytest.mark.parametrize("note_age", [10.0, 10_000.0])
def test_a_first_listing_trusts_folders_only_after_a_recent_full_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, note_age: float, first_listing: str
) -> None:
    """Issue 17: a new process checks run folders alone when the index notes a full scan minutes ago;
    a rewrite in place is then seen by its next refresh. With an old note it scans in full at once."""
    import store.ours.reader as reader

    runs, past = _settled_large_store(tmp_path, monkeypatch, 3)
    first = store.open_store(tmp_path)
    first.runs_frame()
    first._cache.full_scan_at = time.time() - note_age  # type: ignore[union-attr]
    first._cache._base_sound = False  # type: ignore[union-attr]  # rewrite the base, so the note is the only one
    first._cache.save()  # type: ignore[union-attr]
    _rewrite_in_place(next(tmp_path.glob(f"*/{runs[0].id}")) / "meta.json", "renamed", past + 5)
    gone = next(tmp_path.glob(f"*/{runs[1].id}"))
    for child in gone.rglob("*"):
        if child.is_file():
            child.unlink()
    for child in sorted(gone.rglob("*"), reverse=True):
        child.rmdir()
    gone.rmdir()

    second = store.open_store(tmp_path)
    names = set(second.runs_frame()["name"])
    if note_age < reader.TRUST_FOLDERS_SECONDS:
        assert names == {"r0", "r2"}, "the gone run at once, the rewrite in place at the next refresh"
        assert second.refresh() == {runs[0].id}
    assert set(second.runs_frame()["name"]) == {"renamed", "r2"}


def test_the_note_of_a_full_scan_survives_a_reopen_and_a_damaged_note_means_a_full_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    import store.ours.reader as reader
    from store.ours.column_file import load_table, save_table

    monkeypatch.setattr(reader, "QUICK_SCAN_FROM", 1)
    store.start_run(experiment="e", name="a", root=tmp_path).finish()
    before = time.time()
    store.open_store(tmp_path).runs_frame()
    reopened = store.open_store(tmp_path)
    reopened._cache.load()  # type: ignore[union-attr]
    assert reopened._cache.full_scan_at >= before  # type: ignore[union-attr]

    base = tmp_path / ".tracktui-index.npz"
    loaded = load_table(str(base), "tracktui", 15)
    assert loaded is not None
    for note in (float("nan"), "soon", -5.0, 1e300):
        loaded[0].meta = {"full_scan_at": note}
        save_table(loaded[0], str(base), "tracktui")
        (tmp_path / ".tracktui-index.journal.npz").unlink(missing_ok=True)
        again = store.open_store(tmp_path)
        again._cache.load()  # type: ignore[union-attr]
        assert again._cache.full_scan_at == 0.0, note  # type: ignore[union-attr]


def test_a_quick_scan_sees_a_file_replaced_with_an_older_time_as_rsync_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`rsync -t` writes a temporary, renames it over the file and gives it the sender's (older) time: the
    folder's times change, the file's time is older than the last read. The run's files are stat'ed and
    their signature compared, not only their times (a quick scan's own rows were taken as unchanged once)."""
    runs, past = _settled_large_store(tmp_path, monkeypatch, 3)
    s = store.open_store(tmp_path)
    s.runs_frame()
    s._cache.table.read_at += 10  # type: ignore[union-attr]  # read long after the files' last change
    meta = next(tmp_path.glob(f"*/{runs[1].id}")) / "meta.json"
    data = json.loads(meta.read_text())
    sent = meta.with_name(".meta.json.rsync-tmp")
    sent.write_text(json.dumps({**data, "name": "sent"}))
    os.utime(sent, (past - 50, past - 50))
    os.replace(sent, meta)
    assert s.refresh() == {runs[1].id}
    assert set(s.runs_frame()["name"]) == {"r0", "sent", "r2"}


def test_a_table_of_a_few_rows_taken_from_many_is_saved_with_their_texts_only(tmp_path: Path) -> None:
    """An index's journal holds the rows changed since its base, taken from the whole table: it wrote
    the whole table's vocabulary (every run's id and name: 4 MB for 200 runs of 100,000), decoded at
    every open. It is saved with the texts of its rows, and loads as the rows it was made of."""
    n = 2_000
    records: list[Any] = [
        {
            "run_id": f"id-{i:05d}",
            "experiment": "e",
            "name": f"name {i} ✓",
            "status": "finished",
            "created": float(i),
            "params": {"big": 2**70 + i, "mixed": [f"t{i}", 1.5, None][i % 3]},
            "tags": {"t": f"v{i % 7}"},
            "metrics": {},
        }
        for i in range(n)
    ]
    whole = ColumnTable.from_records([f"e/id-{i:05d}" for i in range(n)], [[0] * 15] * n, 1.0, records, 15)
    rows = np.array([1999, 5, 200, 7], dtype=np.int64)
    part = whole.take(rows)
    path = tmp_path / "part.npz"
    save_table(part, str(path), "tracktui")
    loaded = load_table(str(path), "tracktui", 15)
    assert loaded is not None
    assert [loaded[0].record(r) for r in range(4)] == [whole.record(r) for r in rows.tolist()]
    assert path.stat().st_size < 20_000  # the whole vocabulary: ~100 kB
    assert [len(loaded[0].values[k].vocab or []) for k in ("run_id", "name", "params.big")] == [4, 4, 4]


def test_a_concat_of_some_rows_of_each_table_is_a_concat_of_their_takes() -> None:
    """`concat(rows=...)` takes the rows a column at a time (a first open folds a journal child's half but
    for a few edited runs without a copy of the whole half): the same table as taking them first."""

    def table(start: int, n: int) -> ColumnTable:
        records: list[Any] = [
            {
                "run_id": f"id-{i}",
                "name": f"n{i}",
                "status": "finished",
                "created": float((i * 7) % 13),
                "params": {"p": i, **({"only_left_out": "x"} if i == 0 else {})},
                "tags": {},
                "metrics": {"m": {"last": i / 2, "min": 0.0, "max": i}} if i % 2 else {},
            }
            for i in range(start, start + n)
        ]
        return ColumnTable.from_records(
            [f"e/id-{i}" for i in range(start, start + n)], [[i] * 15 for i in range(n)], 1.0, records, 15
        )

    picks = [np.array([3, 1, 2], dtype=np.int64), None]
    got = ColumnTable.concat([table(0, 5), table(5, 4)], newest_first=True, consume=True, rows=picks)
    want = ColumnTable.concat([table(0, 5).take(picks[0]), table(5, 4)], newest_first=True)
    assert got.units == want.units and "params.only_left_out" not in got.values
    assert [got.record(r) for r in range(len(got))] == [want.record(r) for r in range(len(want))]
    assert (got.sig == want.sig).all()
