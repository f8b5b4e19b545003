"""`ls --json` writes JSON column-wise through a fast path: the same bytes as `json.dumps` of each row.

The reference is the earlier writer, kept here as it was: each row a dict of the columns'
Python values, `json.dumps(row, default=str, allow_nan=False)`, and on a ValueError (an
infinity, a NaN inside a list) the row again with every non-finite number as null.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import store
from tui.cli import main
from tui.commands import json_lines
from tui.commands.json_lines import _finite
from tui.commands.ls import _json_list, json_text_params, write_json_lines


def rows_as_before(table: pd.DataFrame, raw_params: Any = None) -> str:
    """The earlier writer, a `json.dumps` a row (tui/commands/ls.py before the column-wise fast path; the rows
    whose list and dict params are restored are found as they were, by `json_text_params`)."""
    columns = [str(c) for c in table.columns]
    lists = [_json_list(table[c]) for c in columns]
    restore = json_text_params(table, columns) if raw_params is not None else set()
    run_ids = table["run_id"].tolist() if restore else []
    out = []
    for i, values in enumerate(zip(*lists)):
        record = dict(zip(columns, values))
        if i in restore:
            for key, value in raw_params(str(run_ids[i])).items():
                if isinstance(value, (list, dict)) and f"params.{key}" in record:
                    record[f"params.{key}"] = value
        try:
            line = json.dumps(record, default=str, allow_nan=False)
        except ValueError:
            line = json.dumps(_finite(record), default=str)
        out.append(line + "\n")
    return "".join(out)


ODD_PARAMS: list[dict[str, Any]] = [
    {
        "lr": float("nan"),
        "wd": float("inf"),
        "neg": float("-inf"),
        "big": 2**70,
        "small": -(2**63),
        "tiny": 5e-324,
        "text": 'λ 日本 🎉 \x1b[31mred\x1b[0m "q" \\ \u202e',
        "100%": "50% off",
        "flag": True,
        "none": None,
        "nested": {"deep": {"er": 1.5}, "list": [1, float("nan"), {"a": "b"}]},
        "grid": [float("inf"), 1],
    },
    {"lr": 0.1, "big": 3, "text": "plain", "flag": False, "100%": 7, "mixed": 1},
    {"lr": 1e300, "wd": -0.0, "mixed": "one", "text": "[not json", "nested": {"deep": {"er": "x"}}},
]


@pytest.fixture
def odd_store(tmp_path: Path) -> Path:
    return write_odd_store(tmp_path / "odd")


def write_odd_store(root: Path) -> Path:
    """Three runs of ODD_PARAMS, with odd names, tags and metrics."""
    for i, params in enumerate(ODD_PARAMS):
        with store.start_run(experiment="e ✓", name=f'run "{i}"\n', root=root) as run:
            run.log_params(params)
            run.set_tags({"note": "ünïcode ☃", "i": str(i)})
            run.log_metrics({"loss": [float("inf"), float("nan"), 1.25][i], f"only{i}": 1.0})
    return root


@pytest.mark.parametrize("chunk", [2_000, 2], ids=["one-chunk", "chunks-of-2"])
def test_ls_json_writes_the_bytes_json_dumps_wrote_on_a_store_of_odd_values(
    odd_store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(json_lines, "JSON_CHUNK", chunk)
    reader = store.open_store(odd_store)
    frame = reader.runs_frame()
    out = io.StringIO()
    write_json_lines(frame, out, None, lambda run_id: reader.run(run_id).flat_params)
    got = out.getvalue()
    assert got == rows_as_before(frame, lambda run_id: reader.run(run_id).flat_params)
    assert main(["ls", str(odd_store), "--json"]) == 0
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == [
        {k: v for k, v in json.loads(line).items() if k != "params.none"} for line in got.splitlines()
    ]
    rows = [json.loads(line) for line in got.splitlines()]
    assert len(rows) == 3 and "NaN" not in got and "Infinity" not in got
    first = next(r for r in rows if r["params.big"] == 2**70)
    assert first["params.nested.list"] == [1, None, {"a": "b"}] and first["params.100%"] == "50% off"
    assert first["params.tiny"] == 5e-324 and first["params.lr"] is None and first["metrics.loss"] is None


def test_the_fast_path_gives_json_dumps_bytes_for_every_kind_of_column() -> None:
    frame = pd.DataFrame(
        {
            "run_id": ["a", "b", "c", "d"],
            "floats": [1.5, float("nan"), float("inf"), -0.0],
            "ints": np.array([1, -(2**62), 0, 7], dtype=np.int64),
            "bools": [True, False, True, False],
            "nullable": pd.array([1, None, 3, 4], dtype="Int64"),
            "mixed": pd.Series([1, 2.5, "x", None], dtype=object),
            "numpy scalars": pd.Series([np.float64(0.5), np.int64(3), np.bool_(True), math.pi], dtype=object),
            "when": pd.to_datetime(pd.Series([0.0, 1.0, None, 3.0]), unit="s"),
            'key "%s" ✓': pd.Series(["%d", "%%", "\x00", "\ud800"], dtype=object),
            "strings": pd.array(["x", None, "z", "ü"], dtype="string"),
        }
    )
    out = io.StringIO()
    write_json_lines(frame, out)
    assert out.getvalue() == rows_as_before(frame)
    out = io.StringIO()
    write_json_lines(frame, out, keep=["ints", 'key "%s" ✓'])
    assert out.getvalue() == rows_as_before(frame[["ints", 'key "%s" ✓']])
    empty = io.StringIO()
    write_json_lines(frame.iloc[:0], empty)
    assert empty.getvalue() == ""


def test_ls_json_is_the_same_from_the_listing_journal_as_from_the_run_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first listing parses the listing journal with msgspec, and with json where msgspec refuses
    (NaN, infinities): either way the bytes of a listing read from the runs' files."""
    from store.ours import journal

    root = write_odd_store(tmp_path / "odd")
    for i in range(3):  # rows msgspec parses
        with store.start_run(experiment="plain", name=f"plain {i}", root=root) as run:
            run.log_params({"lr": 0.1 * i, "big": 2**70 + i, "tiny": 5e-324, "text": 'ünï\\"☃'})
            run.log_metric("loss", 0.5 + i)
    assert len(journal.journal_names(str(root))) == 1
    monkeypatch.setattr(journal, "CHUNK", 512)  # about a row a chunk: the odd ones and the plain apart

    def listed(also_journals: bool) -> str:
        for path in root.glob(".tracktui-*"):
            if also_journals or "journal" not in path.name:
                path.unlink()
        assert main(["ls", str(root), "--json"]) == 0
        return capsys.readouterr().out

    folded = listed(also_journals=False)
    assert folded.count("\n") == 6 and "plain 2" in folded
    assert folded == listed(also_journals=True)


def test_columns_of_repeated_plain_and_exponent_values_give_json_dumps_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Repeated values are encoded once, plain text is written as it is and numbers by msgspec: none
    of it may change a byte (0.0 == -0.0 and True == 1 as dict keys, `1e-05` not `0.00001`)."""
    monkeypatch.setattr(json_lines, "JSON_CHUNK", 300)
    n = 1_800
    odd_texts = ['say "hi"', "a\x7fb", "back\\slash", "ü", "\x1b[31m", 'run, "x", \\ ü', '","']
    odd_floats = [1e16, -1e-5, 9.9e-5, 1e-4, 10.00001, 5e-324, 2.5e-7, 1.7976931348623157e308, 123.0, -0.0]
    columns: dict[str, Any] = {
        "run_id": [f"run-{i:04d}" for i in range(n)],
        "zeros": [(0.0, -0.0)[i % 2] for i in range(n)],
        "bool and int": [(True, 1, False, 0)[i % 4] for i in range(n)],
        "int and float": [(1, 1.0)[i % 2] for i in range(n)],
        "missing": [(None, math.nan, math.inf, -math.inf)[i % 4] for i in range(n)],
        "few floats": [odd_floats[i % 3] for i in range(n)],
        "floats": np.array([odd_floats[i % len(odd_floats)] * (1 + i / n) for i in range(n)]),
        "numbers": [(odd_floats[i % len(odd_floats)], i, None, 2**70 + i)[i % 4] for i in range(n)],
        "big ints": [2**70 + i % 3 for i in range(n)],
        "text": [odd_texts[i % 5] if i < 300 else f"plain {i}, {{x}}" for i in range(n)],
        "one odd text a chunk": [odd_texts[i // 300 - 1] if i % 300 == 7 else f"plain {i}" for i in range(n)],
        "few texts": [("a", None, '","', "ü")[i % 4] for i in range(n)],
        "flags": np.array([i % 3 == 0 for i in range(n)]),
        "ints": np.arange(n, dtype=np.int64) - 500,
    }
    out = io.StringIO()
    json_lines.write_columns(columns, out)
    names = list(columns)
    lists = [c.tolist() if isinstance(c, np.ndarray) else c for c in columns.values()]
    expected = "".join(json.dumps(_finite(dict(zip(names, row)))) + "\n" for row in zip(*lists))
    assert out.getvalue() == expected


def test_a_long_double_column_is_written_as_json_dumps_writes_it() -> None:
    """`tolist` keeps long doubles as numpy scalars: they are not taken for floats (msgspec refuses them)."""
    out = io.StringIO()
    columns: dict[str, Any] = {"run_id": ["a"], "x": np.array([1.5], dtype=np.longdouble)}
    json_lines.write_columns(columns, out)
    assert out.getvalue() == json.dumps({"run_id": "a", "x": np.longdouble(1.5)}, default=str) + "\n"


def test_the_second_half_written_by_a_forked_child_gives_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`write_in_two` (a child writes the second half meanwhile) gives `write_columns`'s bytes: with list
    params restored on both sides of the cut, chunks ending off the cut, and a child that fails (its half
    is written here) or a parent that fails (the child is killed and reaped, not left behind)."""
    root = write_odd_store(tmp_path / "odd")
    for i in range(7):
        with store.start_run(experiment="e ✓", name=f"plain {i}", root=root) as run:
            run.log_params({"lr": i / 10, "layers": [i, i + 1]})
    reader = store.open_store(root)
    columns = reader.runs_columns()
    assert columns is not None and len(columns["run_id"]) == 10
    raw = json_lines.params_reader(reader)
    whole = io.StringIO()
    json_lines.write_columns(columns, whole, raw)
    monkeypatch.setattr(json_lines, "SPLIT_FROM", 4)
    monkeypatch.setattr(json_lines, "JSON_CHUNK", 3)
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # pytest-xdist's own thread: unused here
    monkeypatch.setattr(json_lines, "cores", lambda: 2)
    forks: list[int] = []  # the children's pids
    fork = os.fork

    def counted_fork() -> int:
        pid = fork()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", counted_fork)
    split = io.StringIO()
    json_lines.write_in_two(columns, split, raw)
    assert split.getvalue() == whole.getvalue() and whole.getvalue().count("\n") == 10 and len(forks) == 1
    assert whole.getvalue().count('"params.layers": [') == 7  # restored as lists, on both sides of the cut

    parent, plain = os.getpid(), json_lines.write_columns

    def child_fails(columns: Any, out: Any, raw_params: Any = None, rows: range | None = None) -> None:
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        plain(columns, out, raw_params, rows)

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no such folder"))  # no temporary file to be had
    alone = io.StringIO()
    json_lines.write_in_two(columns, alone, raw)
    assert alone.getvalue() == whole.getvalue() and len(forks) == 1
    monkeypatch.undo()  # what follows forks again
    monkeypatch.setattr(json_lines, "SPLIT_FROM", 4)
    monkeypatch.setattr(json_lines, "JSON_CHUNK", 3)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(json_lines, "cores", lambda: 2)

    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")  # EAGAIN: a process limit reached

    monkeypatch.setattr(os, "fork", no_fork)
    alone = io.StringIO()
    json_lines.write_in_two(columns, alone, raw)
    assert alone.getvalue() == whole.getvalue()
    monkeypatch.setattr(os, "fork", counted_fork)

    monkeypatch.setattr(json_lines, "write_columns", child_fails)
    again = io.StringIO()
    json_lines.write_in_two(columns, again, raw)
    assert again.getvalue() == whole.getvalue()

    def parent_fails(columns: Any, out: Any, raw_params: Any = None, rows: range | None = None) -> None:
        if os.getpid() == parent:
            raise BrokenPipeError("the reader left")
        time.sleep(60)  # a child still writing

    monkeypatch.setattr(json_lines, "write_columns", parent_fails)
    with pytest.raises(BrokenPipeError):
        json_lines.write_in_two(columns, io.StringIO(), raw)
    assert len(forks) == 3
    with pytest.raises(ChildProcessError):
        os.waitpid(forks[-1], os.WNOHANG)  # killed and reaped: not left behind
