"""The first open after a sweep (no index yet) lists exactly what a full scan lists, and cheaply.

A sweep is written by real processes through the logging API; "a full scan" is every run
folder read by the careful path (`_scan` stats every file, `_read_record` without a
signature to fill), which is what any listing must agree with. The index and the listing
journal (rows the writers append) are caches: deleting them, resuming a run, rewriting a file
in place, copying runs and journals in from another store or killing a writer at any point
never makes a listing differ from that.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import store
from store import safe_read
from store.ours import column_cache, journal
from store.ours.reader import TrackStore
from store.ours.table_update import _as_indexed, _same_text
from tests.children import REPO, stat_child_always, stat_child_script

SWEEP = """
import sys
import store

root, worker, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(runs):
    run = store.start_run(experiment=f"sweep-{i % 3}", name=f"w{worker}-r{i}", root=root)
    run.log_params({f"p{j}": (i * j) % 7 for j in range(5)} | {"lr": 0.1 / (i + 1)})
    for step in range(3):
        run.log_metrics({f"m{k}": (i + step) * (k + 1) * 0.5 for k in range(4)}, step=step)
    run.set_tags({"worker": str(worker), "seed": str(i)})
    run.finish()
    print(run.id, flush=True)
"""


def write_sweep(root: Path, workers: int, runs: int) -> list[str]:
    """`workers` real processes each writing `runs` finished runs into `root` at once; the ids they printed."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SWEEP, str(root), str(w), str(runs)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for w in range(workers)
    ]
    ids: list[str] = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
        ids += out.decode().split()
    return ids


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    """The sweep where its writers left it (its journal rows match its files: one test may use it),
    a copy of it (whose rows match nothing: a copy's files have new ctimes), and the run ids."""
    root = tmp_path_factory.mktemp("sweep") / "store"
    ids = write_sweep(root, workers=4, runs=250)
    copy = root.parent / "copy"
    shutil.copytree(root, copy, symlinks=True)
    return root, copy, ids


@pytest.fixture(scope="module")
def sweep(written: tuple[Path, Path, list[str]]) -> tuple[Path, list[str]]:
    return written[1], written[2]


@pytest.fixture
def fresh(sweep: tuple[Path, list[str]], tmp_path: Path) -> Path:
    """A copy of the sweep with no index, as a writer leaves it."""
    root = tmp_path / "store"
    shutil.copytree(sweep[0], root, symlinks=True)
    for index in root.glob(".tracktui-index*"):
        index.unlink()
    return root


def journals(root: Path) -> list[Path]:
    return sorted(root.glob(f"{journal.PREFIX}*{journal.SUFFIX}"))


def drop_index(root: Path, also_journals: bool = False) -> None:
    for index in [*root.glob(".tracktui-index*"), *(journals(root) if also_journals else [])]:
        index.unlink()


def folded(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], int]:
    """`listed(root)`, and how many runs it read from their files (the rest came from journal rows)."""
    with counted_reads(monkeypatch) as reads:
        got = listed(root)
    return got, len(reads)


@contextmanager
def counted_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The units the reader reads from their files meanwhile."""
    from store.ours import reader as reader_module

    reads: list[str] = []
    real = vars(reader_module)["read_record"]  # the name the reader calls, patched below

    def counting(root_text: str, unit: str, sig: list[int] | None = None) -> Any:
        reads.append(unit)
        return real(root_text, unit, sig)

    monkeypatch.setattr(reader_module, "read_record", counting)
    try:
        yield reads
    finally:
        monkeypatch.setattr(reader_module, "read_record", real)


def count_syscalls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """From now on, how many times `os.stat` and `os.open` are called (until `monkeypatch.undo()`)."""
    calls = {"stat": 0, "open": 0}
    real_stat, real_open = os.stat, os.open

    def counting_stat(*args: Any, **kw: Any) -> os.stat_result:
        calls["stat"] += 1
        return real_stat(*args, **kw)

    def counting_open(*args: Any, **kw: Any) -> int:
        calls["open"] += 1
        return real_open(*args, **kw)

    monkeypatch.setattr(os, "stat", counting_stat)
    monkeypatch.setattr(os, "open", counting_open)
    return calls


def change_behind_its_back(root: Path, resume: str, rewrite: str, tmp_path: Path) -> Path:
    """Resume one run (a metric and a tag), rewrite another's params.json in place, and copy in the runs
    of a second store of five (written by a real process; returned)."""
    run = store.start_run(resume=resume, root=root)
    run.log_metric("m0", 99.0, step=10)
    run.set_tags({"resumed": "yes"})
    run.finish()
    params = next(iter(root.glob(f"*/{rewrite}"))) / "params.json"
    text = params.read_bytes()
    with open(params, "r+b") as fh:  # in place: the folder does not change, the file does
        fh.write(text.replace(b'"p0": 0', b'"p0": 9'))
    other = tmp_path / "other"
    write_sweep(other, workers=1, runs=5)
    for exp in other.iterdir():
        if exp.is_dir():
            shutil.copytree(exp, root / exp.name, dirs_exist_ok=True)  # as `cp -r` or rsync of a second store
    return other


def full_scan(root: Path) -> dict[str, Any]:
    """Every run as the careful path reads it: run id -> record."""
    reader = TrackStore(root)
    records = (reader._read_record_safely(unit) for unit in reader._scan())
    return {rec["run_id"]: rec for rec in records}


def listed(root: Path) -> dict[str, Any]:
    """What a new process's listing gives (through the index when there is one), run id -> record."""
    reader = store.open_store(root)
    try:
        records = reader.records()
        ids = [rec["run_id"] for rec in records]
        assert len(ids) == len(set(ids)), "a run listed twice"
        return {rec["run_id"]: rec for rec in records}
    finally:
        reader.save_index()
        reader.close()


def same(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Equal run for run, as the index keeps a record (metrics as last, min and max; NaN equal to NaN)."""
    assert got.keys() == want.keys()
    for run_id, rec in want.items():
        assert _same_text(_as_indexed(got[run_id])) == _same_text(_as_indexed(rec)), run_id


def test_a_sweep_of_four_processes_lists_on_first_open_as_a_full_scan(
    fresh: Path, sweep: tuple[Path, list[str]], first_listing: str
) -> None:
    want = full_scan(fresh)
    assert sorted(want) == sorted(sweep[1]) and len(want) == 1000
    assert all(rec["status"] == "finished" and len(rec["metrics"]) == 4 for rec in want.values())
    # Four processes appended to one journal (one per host): every run has its rows, whole.
    [only] = journals(fresh)
    lines = [line for line in only.read_bytes().split(b"\n") if line]
    assert len(lines) == 2000 and all(line.startswith(b'{"u":') and line.endswith(b"}}") for line in lines)
    per_run = Counter(line[6 : line.index(b'"', 6)].decode().split("/")[1] for line in lines)
    assert per_run.keys() == want.keys() and set(per_run.values()) == {2}, "created, finished: two rows a run"
    same(listed(fresh), want)
    # The signatures the first open took from its reads are those a full scan takes: a later
    # open trusts every row (re-reads none) and still lists the same.
    reader = TrackStore(fresh)
    reader.records()
    table = reader._columns.table
    scanned = reader._scan()
    assert {unit: table.sig[row].tolist() for row, unit in enumerate(table.units)} == scanned
    same(listed(fresh), want)
    for index in fresh.glob(".tracktui-index*"):
        index.unlink()
    same(listed(fresh), want)


def test_a_first_open_folds_the_journal_rows_of_a_sweep_and_lists_as_a_full_scan(
    written: tuple[Path, Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = written[0]
    want = full_scan(root)
    assert sorted(want) == sorted(written[2])
    calls = count_syscalls(monkeypatch)
    got, reads = folded(root, monkeypatch)
    monkeypatch.undo()
    same(got, want)
    assert reads == 0, "every finished run's row still matches its files: none is read"
    assert calls["stat"] <= 5.1 * 1000 and calls["open"] <= 10, calls  # a run: five stats to check its row
    same(listed(root), want)  # through the index
    # Runs written after the index was saved: folded from the journal's tail (the index notes how far it read).
    [ours] = journals(root)
    noted = TrackStore(root)
    noted.records()
    assert noted._columns.journal_read[ours.name][1] == ours.stat().st_size
    # The sweep's last runs may have been indexed within RACY_SECONDS of their writes (a quick machine): a
    # listing re-reads those on purpose (test_column_index), which is not what this counts.
    monkeypatch.setattr(column_cache, "RACY_SECONDS", 0.0)
    write_sweep(root, workers=1, runs=3)
    want = full_scan(root)
    got, reads = folded(root, monkeypatch)
    same(got, want)
    assert reads == 0 and len(want) == 1003
    drop_index(root)
    got, reads = folded(root, monkeypatch)
    same(got, want)
    assert reads == 0
    # Changes behind the journal's back: its rows for these no longer match, so they are read.
    ids = sorted(want)
    other = change_behind_its_back(root, ids[0], ids[1], tmp_path)
    [ours], [theirs] = journals(root), journals(other)  # both written on this host
    shutil.copy(theirs, root / f"{journal.PREFIX}elsewhere{journal.SUFFIX}")  # as another host's journal
    want = full_scan(root)
    assert len(want) == 1008 and want[ids[0]]["tags"]["resumed"] == "yes" and want[ids[1]]["params"]["p0"] == 9
    drop_index(root)
    got, reads = folded(root, monkeypatch)
    same(got, want)
    assert reads == 1 + 5  # the rewritten run and the copies (new ctimes); the resumed run's newest row matches
    shutil.copy(theirs, ours)  # an rsync of the other store's journal over ours
    drop_index(root)
    same(listed(root), want)
    drop_index(root, also_journals=True)
    got, reads = folded(root, monkeypatch)
    same(got, want)
    assert reads == 1008


def test_resumed_rewritten_and_copied_in_runs_list_as_a_full_scan(fresh: Path, tmp_path: Path) -> None:
    listed(fresh)  # an index, then changes behind it
    first, second = sorted(full_scan(fresh))[:2]
    change_behind_its_back(fresh, first, second, tmp_path)
    want = full_scan(fresh)
    assert len(want) == 1005 and want[first]["tags"]["resumed"] == "yes"
    assert want[second]["params"]["p0"] == 9
    same(listed(fresh), want)
    for index in fresh.glob(".tracktui-index*"):
        index.unlink()
    same(listed(fresh), want)


def test_journal_rows_that_are_torn_forged_or_stale_are_never_folded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = tmp_path / "store"
    write_sweep(fresh, workers=1, runs=12)
    want = full_scan(fresh)
    [ours] = journals(fresh)
    lines = [line for line in ours.read_bytes().split(b"\n") if line]
    unit = lines[-1][6 : lines[-1].index(b'"', 6)].decode()
    row = json.loads(lines[-1])
    older = {k: v for k, v in row["r"].items() if k != "last_logged"}  # as a tracktui before that field wrote it
    forged = [
        dict(row, r={**row["r"], "run_id": "someone-else"}),
        dict(row, r={**row["r"], "created": "yesterday"}),
        dict(row, s=row["s"][:-1]),
        dict(row, r=older),
        dict(row, u="sweep-0/../../etc"),
    ]
    with open(ours, "ab") as fh:
        fh.write(lines[-3][:57])  # a writer killed inside its write: a torn row
    for bad in forged:  # rows no writer of this version wrote, for the last run, each in turn its newest
        with open(ours, "ab") as fh:
            fh.write(b"\n" + json.dumps(bad, separators=(",", ":")).encode() + b"\n")
            fh.write(b"\n{not json}\n" + lines[-4][:200])  # and a torn tail
        drop_index(fresh)
        got, reads = folded(fresh, monkeypatch)
        same(got, want)
        assert reads == 1, ("the run whose newest row is forged is read, every other row folded", bad)
    # A row that no longer matches its run's files (rewritten behind the journal's back): read.
    summary = fresh / unit / "summary.json"
    summary.write_bytes(summary.read_bytes().replace(b'"heartbeat": ', b'"heartbeat": 1'))
    drop_index(fresh)
    want = full_scan(fresh)
    got, reads = folded(fresh, monkeypatch)
    same(got, want)
    assert reads == 1 and got[unit.split("/")[1]]["heartbeat"] == want[unit.split("/")[1]]["heartbeat"]
    # A torn row is ended by the next row's leading newline: that next row still counts.
    ours.write_bytes(lines[-3][:57] + b"\n" + lines[-1] + b"\n" + lines[-5][:100])
    rows, offsets = journal.read_rows(str(fresh), {unit}, {})
    assert list(rows) == [unit] and rows[unit][0][1] == row["r"]
    assert offsets[ours.name][1] == 57 + 2 + len(lines[-1]), "the torn tail is left for the next read"


def test_journal_rows_parsed_as_structs_make_the_columns_dicts_make(tmp_path: Path) -> None:
    """A first listing parses journal rows into msgspec structs (a summary's missing figure is None there, an
    absent key in a dict); the columns are the same, and a row that does not fit the structs sends its
    batch through the dicts' path, not a different reading."""
    import pandas as pd

    from store.ours.column_index import ColumnTable, table_frame

    fresh = tmp_path / "store"
    write_sweep(fresh, workers=1, runs=5)
    [ours] = journals(fresh)
    rows = {(row := json.loads(line))["u"]: row for line in ours.read_bytes().split(b"\n") if line}
    odd = list(rows.values())
    metrics = odd[0]["r"]["metrics"]
    metrics["m0"] = {"last": 1.5}  # figures missing
    metrics["m1"] = {"last": 2, "min": None, "max": True}  # an int, a null, a bool
    odd[1]["r"]["params"] |= {"big": 2**70, "text": "[b]x\x1b", "none": None}
    odd[2]["r"]["tags"] = {}
    odd[2]["r"]["metrics"] = {}
    odd[3]["r"]["name"] = "r\u00e9sum\u00e9 \u2603"
    units = {unit: i for i, unit in enumerate(rows)}

    def parsed(batch: list[dict[str, Any]], structs: bool) -> tuple[ColumnTable, list[Any]]:
        data = b"".join(b"\n" + json.dumps(row, separators=(",", ":")).encode() + b"\n" for row in batch)
        newest: dict[str, Any] = {}
        journal._take_rows(data, units, newest, structs=structs)
        assert list(newest) == list(rows) and None not in newest.values()
        records = [record for _, record in newest.values()]
        table = ColumnTable.from_records(list(newest), [sig for sig, _ in newest.values()], 0.0, records, 15)
        return table, records

    def frames(table: ColumnTable) -> list[pd.DataFrame]:
        return [table_frame(table, {}, stat) for stat in ("last", "min", "max")]

    as_dicts, records = parsed(odd, structs=False)
    as_structs, records = parsed(odd, structs=True)
    assert not isinstance(records[0], dict), "the rows fit the structs"
    for got, want in zip(frames(as_structs), frames(as_dicts)):
        pd.testing.assert_frame_equal(got, want)
    metrics["m2"] = {"last": 0.5, "min": 0.1, "max": 0.9, "count": 3}  # a figure beside them: no struct holds it
    as_dicts, _ = parsed(odd, structs=False)
    as_structs, records = parsed(odd, structs=True)
    assert isinstance(records[0], dict), "the batch was parsed as dicts"
    for got, want in zip(frames(as_structs), frames(as_dicts)):
        pd.testing.assert_frame_equal(got, want)


def test_a_writer_killed_mid_sweep_leaves_no_run_hidden_or_listed_twice(tmp_path: Path) -> None:
    root = tmp_path / "store"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-c", SWEEP, str(root), "0", "100000"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    for _ in range(30):  # killed at some point inside its 31st run
        assert proc.stdout.readline()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    want = full_scan(root)
    assert len(want) >= 30
    same(listed(root), want)
    same(listed(root), want)  # and through the index it wrote


def test_writers_killed_at_random_points_never_hide_or_double_a_run_in_the_journal(tmp_path: Path) -> None:
    """Four writers share one journal; each is SIGKILLed at a random moment (inside a creation, a
    flush, a finish or an append), and one more writer appends after them."""
    root = tmp_path / "store"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    rng = random.Random(os.getpid())
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SWEEP, str(root), str(w), "100000"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        for w in range(4)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline()  # started writing
    for proc in procs:
        time.sleep(rng.uniform(0, 0.3))  # not a wait for a result: where the kill lands is the point
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    write_sweep(root, workers=1, runs=3)
    want = full_scan(root)
    assert len(want) >= 7
    for drop in (False, True):
        drop_index(root, also_journals=drop)
        same(listed(root), want)
        same(listed(root), want)


def test_a_first_open_costs_no_stat_per_file(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cost of a first open was per-file syscalls (5 stats a run to scan, 5 more to read): now
    a run costs one stat (its folder), one listing and one open a file. (A copy of a store: its
    journal rows name files with other ctimes, so none is checked further than its folder.)"""
    calls = count_syscalls(monkeypatch)
    reader = TrackStore(fresh)
    assert len(reader.records()) == 1000
    assert calls["stat"] <= 1.1 * 1000, calls
    assert calls["open"] <= 4.1 * 1000 + 10, calls


def test_a_file_listed_as_plain_but_swapped_for_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "summary.json"
    os.mkfifo(fifo)
    with pytest.raises(safe_read.UnsafeFileError, match="FIFO"):
        safe_read.read_listed(str(fifo))
    big = tmp_path / "params.json"
    big.write_bytes(b"[" * 50 + b"]" * 50)
    assert safe_read.read_listed(str(big))[0] == big.read_bytes()
    with pytest.raises(safe_read.UnsafeFileError, match="larger"):
        safe_read.read_listed(str(big), cap=10)
    with pytest.raises(ValueError, match="nested deeper"):
        safe_read.loads_json(b"[" * 101 + b"]" * 101)
    assert safe_read.loads_json(b"[" * 100 + b"]" * 100)


def test_a_row_too_large_for_one_append_is_written_as_read_this_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "store"
    with store.start_run(experiment="wide", name="wide", root=root) as run:
        run.log_params({f"param_{i:03d}": "x" * 20 for i in range(200)})  # a record of about 8 KB
        run.log_metric("loss", 0.5)
    with store.start_run(experiment="wide", name="narrow", root=root) as small:
        small.log_metric("loss", 0.25)
    [ours] = journals(root)
    data = ours.read_bytes()
    rows = [line for line in data.split(b"\n") if line]
    assert max(len(line) + 2 for line in rows) <= journal.ROW_BYTES
    assert json.loads(rows[1]) == {"u": f"wide/{run.id}"}, "the wide run's finish row: read this run"
    got, reads = folded(root, monkeypatch)
    same(got, full_scan(root))
    assert reads == 1 and len(got[run.id]["params"]) == 200


def test_a_first_listing_holds_a_chunk_of_journal_rows_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failed before: every run's parsed row was held until the whole listing was made (at 100,000 runs
    ~400 MB of a 660 MB peak); now each chunk's rows are folded into columns as it is parsed. Each run's
    two rows (created, finished) fall in different chunks here, and every run is still folded, not read.
    With no journal, every run's record was held until the listing was made; now a batch of them."""
    root = tmp_path / "store"
    write_sweep(root, workers=2, runs=400)
    want = full_scan(root)
    [ours] = journals(root)
    monkeypatch.setattr(journal, "CHUNK", 64 * 1024)
    peak = traced_peak(TrackStore(root).refresh)
    assert peak < 2.75 * ours.stat().st_size, (peak, ours.stat().st_size)  # holding every parsed row: 3.4x
    drop_index(root)
    got, reads = folded(root, monkeypatch)
    same(got, want)
    assert reads == 0
    # With no journal (a store written before it, or copied in), the runs read from their files are
    # made columns a batch at a time too.
    from store.ours import reader as reader_module

    monkeypatch.setattr(reader_module, "READ_BATCH", 100, raising=False)
    size = ours.stat().st_size
    drop_index(root, also_journals=True)
    peak = traced_peak(TrackStore(root).refresh)
    assert peak < 2.75 * size, (peak, size)  # every run's record held: 4x
    same(listed(root), want)


def traced_peak(call: Any) -> int:
    """The most memory Python held at once during `call()` (bytes, from tracemalloc)."""
    import tracemalloc

    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


CHILD_THAT_FAILS = {
    "killed": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
    "short": "import sys\nsys.stdin.buffer.read()\nsys.stdout.buffer.write(b'x' * 24)\n",
    "hung": "import time\ntime.sleep(60)\n",
}


def test_a_large_first_open_checks_its_rows_against_numbers_a_child_took(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failed before: a first open stat'ed each run's four record files itself, between parsing journal chunks
    (1.6 s of 100,000 runs). Now a listing of CHILD_FROM runs or more, on two cores, has a child process
    take them while it parses: here from any size, on any machine. The parent stats at most each run folder
    once and still lists exactly what a full scan lists, folding every row. A child that is SIGKILLed, writes too
    little or hangs costs only the stats then taken here, never an answer."""
    from store.ours import file_stats

    root = tmp_path / "store"
    write_sweep(root, workers=2, runs=60)
    want = full_scan(root)
    stat_child_always(monkeypatch)
    calls = count_syscalls(monkeypatch)
    got, reads = folded(root, monkeypatch)
    same(got, want)
    assert reads == 0 and len(want) == 120
    assert calls["stat"] <= 1.1 * 120 + 10, calls  # the folders; their files were stat'ed by the child
    monkeypatch.setattr(file_stats, "CHILD_SECONDS", 1.0)
    monkeypatch.setattr(file_stats, "CHILD_SECONDS_A_FOLDER", 0.0)
    for name, script in CHILD_THAT_FAILS.items():
        stat_child_script(monkeypatch, tmp_path, script)
        drop_index(root)
        calls["stat"] = 0
        got, reads = folded(root, monkeypatch)
        same(got, want)
        assert reads == 0, name
        assert calls["stat"] >= 5 * 120, (name, calls)  # taken here instead


def test_a_run_folder_gone_between_the_listing_and_its_stat_is_not_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_listing: str
) -> None:
    """A folder listed, then removed before it is stat'ed (`tracktui gc` meanwhile): not a run, and no
    damaged row, whether the stat is taken here or by the child."""
    root = tmp_path / "store"
    write_sweep(root, workers=1, runs=5)
    want = full_scan(root)
    listed_folders = TrackStore._run_folders

    def with_a_ghost(self: TrackStore) -> list[str]:
        return [*listed_folders(self), "sweep-0/20990101-000000000-gone"]

    monkeypatch.setattr(TrackStore, "_run_folders", with_a_ghost)
    got, reads = folded(root, monkeypatch)
    same(got, want)
    assert reads == 0


def test_a_scan_keeps_its_signatures_as_int64s_not_python_ints(tmp_path: Path) -> None:
    """Failed before: `signatures` gathered 15 numbers a run folder as Python ints in a list (~36 bytes
    each: ~60 MB of the app's peak when it re-checks 100,000 runs after a first open); now int64s."""
    import tracemalloc

    from store.ours.run_scan import signatures

    folders = []
    for i in range(1000):
        folder = tmp_path / "exp" / f"run{i}"
        folder.mkdir(parents=True)
        for name in TrackStore.RECORD_FILES:
            (folder / name).write_text("{}")
        folders.append(f"exp/run{i}")
    tracemalloc.start()
    try:
        units, flat = signatures(str(tmp_path), folders, TrackStore.RECORD_FILES)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(units) == 1000 and len(flat) == 15_000 and flat[3] == 2  # the first file's size: "{}"
    assert peak < 20 * 15_000, peak  # a list of Python ints: ~40 bytes a number


def test_a_stat_child_that_never_reads_its_folders_blocks_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failed before (hung): the folders went to the child through a pipe, so a child that never read them
    (stuck at its start) blocked the listing in the write of 100,000 paths. Now they are in a file, and
    the wait for the numbers is bounded: the caller takes them itself."""
    import threading

    from store.ours import file_stats

    stat_child_script(monkeypatch, tmp_path, CHILD_THAT_FAILS["hung"])
    monkeypatch.setattr(file_stats, "CHILD_SECONDS", 0.5)
    monkeypatch.setattr(file_stats, "CHILD_SECONDS_A_FOLDER", 0.0)
    folders = [str(tmp_path / f"{'x' * 100}{i}") for i in range(5000)]  # 500 KB: more than a pipe holds
    got: list[Any] = []
    worker = threading.Thread(
        target=lambda: got.append((taking := file_stats.start(folders, ("",))) and taking.result())
    )
    worker.daemon = True
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), "the listing waited on a child that never reads"
    assert got == [None], "a child that gives no numbers: they are taken here"


def test_an_experiment_linked_out_of_the_store_is_one_damaged_row_when_the_stat_child_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failed before (found by review): when the child failed, the stats taken here were of `root/unit`, and
    an experiment linked out of the store has the unit `evil/evil` at `root/evil`: it was taken as gone and
    left out, where a full scan lists it as one damaged row. Now the folders are stat'ed as listed."""
    root = tmp_path / "store"
    write_sweep(root, workers=1, runs=3)
    outside = tmp_path / "outside"
    (outside / "run1").mkdir(parents=True)
    os.symlink(outside, root / "evil")
    want = full_scan(root)
    assert want["evil"]["status"] == "damaged"
    drop_index(root)
    stat_child_always(monkeypatch)
    stat_child_script(monkeypatch, tmp_path, "import sys\nsys.exit(3)\n")
    same(listed(root), want)


def test_a_listing_that_fails_midway_leaves_no_stat_child_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by review: an error between the child's start and the use of its numbers left it running."""
    from store.ours import column_cache, file_stats

    root = tmp_path / "store"
    write_sweep(root, workers=1, runs=3)
    stat_child_always(monkeypatch)
    stat_child_script(monkeypatch, tmp_path, CHILD_THAT_FAILS["hung"])
    started: list[Any] = []
    real_start = file_stats.start

    def recording(folders: Any, names: Any) -> Any:
        taking = real_start(folders, names)
        started.append(taking)
        return taking

    def failing(*args: Any, **kw: Any) -> None:
        raise RuntimeError("a journal that cannot be read")

    monkeypatch.setattr(file_stats, "start", recording)
    monkeypatch.setattr(column_cache.ColumnCache, "read_journals", failing)
    with pytest.raises(RuntimeError):
        TrackStore(root).refresh()
    assert started and all(taking._proc.poll() is not None for taking in started), "the child still runs"


def apps_first_open(monkeypatch: pytest.MonkeyPatch, child: str | None = None) -> list[Any]:
    """The app's first open (`cache_first`, with its stat child and the journal's two children) at any size,
    on any machine; `child` replaces the journal children's program. What `journal_half.start` gave, returned."""
    from store.ours import journal_half

    stat_child_always(monkeypatch)
    monkeypatch.setattr(journal_half, "HALF_FROM", 0)
    if child is not None:
        monkeypatch.setattr(journal_half, "CHILD", child)
    started: list[Any] = []
    real_start = journal_half.start

    def recording(*args: Any) -> Any:
        half = real_start(*args)
        started.append(half)
        return half

    monkeypatch.setattr(journal_half, "start", recording)
    return started


def rewrite_p1_in_place(root: Path, run_id: str) -> None:
    """The run's params.json rewritten in place, p1 from 3 to 8: its folder keeps its times."""
    params = next(iter(root.glob(f"*/{run_id}"))) / "params.json"
    text = params.read_bytes()
    with open(params, "r+b") as fh:
        fh.write(text.replace(b'"p1": 3', b'"p1": 8'))


def apps_listing(root: Path) -> TrackStore:
    reader = TrackStore(root)
    reader.cache_first = True
    reader.refresh()
    return reader


def test_the_apps_first_open_trusts_run_folders_and_parses_the_journal_in_two_children(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failed before: the app's first open stat'ed every run's four record files (in a child) and parsed the
    whole journal here, 2 s of one core at 100,000 runs. Now, as a quick scan trusts a run folder whose
    times are as they were, a row is folded where its folder's numbers are the folder's now (running runs:
    their files too); two children parse a half of the journal each meanwhile. It lists exactly what a full
    scan lists, reading no run, and says it was not checked in full (`served_from_cache`)."""
    root = tmp_path / "store"
    write_sweep(root, workers=2, runs=60)
    want = full_scan(root)
    started = apps_first_open(monkeypatch)
    calls = count_syscalls(monkeypatch)
    got, reads, reader = folded_by(root, monkeypatch, apps_listing)
    same(got, want)
    assert reads == 0 and len(want) == 120
    assert calls["stat"] <= 10, calls  # neither folders nor files: the child took the folders' numbers
    assert len(started) == 1 and started[0] is not None and reader.served_from_cache
    assert all(child._out is not None and child._out.closed for child in started[0]._children)
    assert reader._columns.journal_read == read_to_the_end(root)


def test_a_file_rewritten_in_place_is_listed_as_it_is_by_the_refresh_after_the_apps_first_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rewrite in place of a finished run's file (an editor, `rsync --inplace`) keeps its folder's times,
    so the app's first open shows the run's journal row, as its first paint of an index shows the index
    unchecked; its next refresh, at once (however long the first listing took) and even in a large
    store, stats every file and lists the run as it is. A script's listing (`tracktui ls`) is right at once."""
    from store.ours import reader as reader_module

    root = tmp_path / "store"
    ids = write_sweep(root, workers=1, runs=12)
    rewrite_p1_in_place(root, ids[3])
    want = full_scan(root)
    assert want[ids[3]]["params"]["p1"] == 8
    apps_first_open(monkeypatch)
    monkeypatch.setattr(reader_module, "QUICK_SCAN_FROM", 5)  # scans put off after a long one, as at 100,000
    reader = apps_listing(root)
    assert reader.served_from_cache and reader._listing()[ids[3]]["params"]["p1"] == 3  # the journal's row
    assert ids[3] in reader.refresh()
    same({rec["run_id"]: rec for rec in reader.records()}, want)
    drop_index(root)
    same(listed(root), want)  # not the app's: every file checked before anything is listed


@pytest.mark.parametrize("child", ["killed", "exits", "hung", "empty"])
def test_journal_children_that_fail_leave_their_halves_to_be_read_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, child: str
) -> None:
    """Journal children that are SIGKILLed, exit with an error, hang or write no table cost only their halves
    parsed here afterwards: the same listing, no run read from its files, no child left running."""
    from store.ours import journal_half

    root = tmp_path / "store"
    write_sweep(root, workers=1, runs=40)
    want = full_scan(root)
    programs = {
        "killed": "import os, signal; os.kill(os.getpid(), signal.SIGKILL)",
        "exits": "raise SystemExit(3)",
        "hung": "import time; time.sleep(60)",
        "empty": "import sys; sys.stdin.read()",
    }
    started = apps_first_open(monkeypatch, programs[child])
    monkeypatch.setattr(journal_half, "CHILD_SECONDS", 1.0)
    monkeypatch.setattr(journal_half, "CHILD_SECONDS_A_MB", 0.0)
    got, reads, reader = folded_by(root, monkeypatch, apps_listing)
    same(got, want)
    assert reader._columns.journal_read == read_to_the_end(root)
    assert reads == 0 and len(started) == 1
    assert all(child._proc.poll() is not None for child in started[0]._children)


def read_to_the_end(root: Path) -> dict[str, tuple[int, int]]:
    """Where the next read of each journal starts once every row has been read."""
    return {path.name: (path.stat().st_ino, path.stat().st_size) for path in journals(root)}


def folded_by(root: Path, monkeypatch: pytest.MonkeyPatch, listing: Any) -> tuple[dict[str, Any], int, TrackStore]:
    """`listing(root)`'s records by run id, how many runs it read from their files, and the reader."""
    with counted_reads(monkeypatch) as reads:
        reader = listing(root)
    return {rec["run_id"]: rec for rec in reader.records()}, len(reads), reader


def test_a_real_writers_journal_over_several_chunks_is_parsed_by_the_children(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failed before (found in review): a writer notes a run when it starts and when it finishes, so a child's
    half of two chunks or more holds some run's two rows in two chunks; its table named that run twice, the
    index file's check refused it, and the half was parsed here after all. A child now keeps each run's
    newest row (an older never folds where the newest does not). The real child, the default chunk size."""
    import re

    from store.ours import journal_half

    source = tmp_path / "source"
    write_sweep(source, workers=1, runs=20)
    (written,) = journals(source)
    data = written.read_bytes()
    ids = set(re.findall(rb'"u":"[^"/]+/([^"]+)"', data))
    root = tmp_path / "store"
    root.mkdir()
    with open(root / written.name, "wb") as fh:  # over 3 chunks a half: the same rows under new run ids
        for copy in range(3 * journal.CHUNK // len(data) * 2 + 2):  # `copies`, below
            part = data
            for run_id in ids:
                part = part.replace(run_id, run_id + b"x%d" % copy)
            fh.write(part)
    monkeypatch.setattr(journal_half, "HALF_FROM", 0)
    halves = journal_half.start(str(root), {}, TrackStore.WIDTH, time.time())
    assert halves is not None
    here: list[Any] = []

    def read_here(*args: Any) -> journal.Offsets:
        here.append(args)
        return {}

    tables, offsets = halves.tables(TrackStore.WIDTH, read_here)
    assert here == [] and len(tables) == 2
    copies = 3 * journal.CHUNK // len(data) * 2 + 2
    assert len(set().union(*(table.units for table in tables))) == len(ids) * copies
    assert all(len(set(table.units)) == len(table) for table in tables)
    assert offsets == read_to_the_end(root)


def test_journal_children_leave_nothing_behind_when_the_app_is_killed(tmp_path: Path) -> None:
    """Failed before (found in review): a process killed while its journal children ran left their table files
    in the temporary folder for good. Their tables are now written to files with no name."""
    root = tmp_path / "store"
    write_sweep(root, workers=1, runs=30)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    code = (
        "import os, sys\n"
        "from store.ours import journal_half\n"
        "journal_half.HALF_FROM = 0\n"
        "halves = journal_half.start(sys.argv[1], {}, 15, 0.0)\n"
        "print(halves is not None, flush=True)\n"
        "os._exit(0)  # as a SIGKILL: nothing cleaned up\n"
    )
    env = dict(os.environ, TMPDIR=str(scratch), PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", code, str(root)], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "True", out.stderr
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(
        "journal_half" in proc.read_text(errors="replace")
        for proc in Path("/proc").glob("[0-9]*/cmdline")
        if proc.exists()
    ):
        time.sleep(0.1)  # the children finishing their tables
    assert sorted(scratch.rglob("*")) == []


def test_a_trusted_listing_never_saves_an_older_note_of_a_full_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failed before (found in review): the app listed an empty store (a full scan, noted), a sweep was moved
    in, the next listing trusted run folders, and the app quit before its check: the index it saved still
    said "scanned in full", so `tracktui ls` within ten minutes quick-scanned over rows no file check saw."""
    from store.ours import reader as reader_module
    from store.ours.index import RACY_SECONDS

    source = tmp_path / "source"
    ids = write_sweep(source, workers=1, runs=12)
    rewrite_p1_in_place(source, ids[3])
    root = tmp_path / "store"
    root.mkdir()
    apps_first_open(monkeypatch)
    monkeypatch.setattr(reader_module, "QUICK_SCAN_FROM", 5)
    app = apps_listing(root)  # the empty store
    assert not app.served_from_cache
    for entry in source.iterdir():
        entry.rename(root / entry.name)
    want = full_scan(root)
    time.sleep(RACY_SECONDS + 0.2)  # not a wait for a result: rows seconds old are re-read on purpose
    app.refresh()
    assert app.served_from_cache and app._listing()[ids[3]]["params"]["p1"] == 3
    app.save_index()  # quit before the check
    assert listed(root)[ids[3]]["params"]["p1"] == want[ids[3]]["params"]["p1"] == 8


def test_a_param_logged_only_as_none_lists_the_same_with_or_without_the_index(tmp_path: Path) -> None:
    """Deleting the index never changes an answer: a key logged only as None was a column of empties on a
    first open and no column once the index was updated, so `ls --json`'s keys changed between two calls."""
    root = tmp_path / "store"
    for params in ({"a": 1, "b": None}, {"a": 2}, {"a": 3, "c": None}):
        with store.start_run("e", root=root, system_metrics_interval=0) as run:
            run.log_params(params)

    def keys() -> list[str]:
        reader = store.open_store(root)
        try:
            columns = reader.runs_columns()
            assert columns is not None
            return list(columns)
        finally:
            reader.save_index()
            reader.close()

    first = keys()
    assert "params.a" in first and "params.b" not in first and "params.c" not in first
    assert keys() == first  # from the index
    with store.start_run("e", root=root, system_metrics_interval=0) as run:
        run.log_params({"a": 4, "b": None})
    assert keys() == first  # the index updated
    for index in root.glob(".tracktui-index*"):
        index.unlink()
    assert keys() == first
    assert all(rec["params"].get("b") is None for rec in full_scan(root).values())


def test_a_removed_runs_only_keys_are_no_columns_with_or_without_the_index(tmp_path: Path) -> None:
    """A table made by taking some rows of another (an index of a base and its journal, a first listing
    dropping stale journal rows) kept the columns only the rows left out held, as columns of empties."""
    from store import curate

    root = tmp_path / "store"
    ids = []
    for i in range(3):
        with store.start_run("e", name=f"r{i}", root=root, system_metrics_interval=0) as run:
            run.log_params({"a": i} | ({"only_gone": 1} if i == 1 else {}))
            if i == 1:
                run.log_metric("only_gone", 0.5)
            ids.append(run.id)
    past = time.time() - 100  # settled: not re-read as changed within the racy window
    for path in [*root.glob("e/*/*"), *root.glob("e/*")]:
        os.utime(path, (past, past))

    def keys() -> list[str]:
        reader = store.open_store(root)
        try:
            columns = reader.runs_columns()
            assert columns is not None
            return [k for k in columns if k.startswith(("params.", "metrics."))]
        finally:
            reader.save_index()
            reader.close()

    assert keys() == ["params.a", "params.only_gone", "metrics.only_gone"]  # a base index saved
    curate.delete(store.open_store(root), ids[1])
    assert keys() == ["params.a"]  # the removal saved as the base's journal
    assert sorted(p.name for p in root.glob(".tracktui-index*")) == [
        ".tracktui-index.journal.npz",
        ".tracktui-index.npz",
    ]
    assert keys() == ["params.a"]  # the base and its journal loaded
    for index in root.glob(".tracktui-index*"):
        index.unlink()
    assert keys() == ["params.a"]
