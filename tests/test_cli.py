"""The `tracktui` command itself: which paths open, which fail before the app starts, and what
`tracktui ls` prints (to a terminal, to a pipe, as JSON and CSV)."""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

import store
import tui.app
from tests.app_helpers import demo_store, screen_text, settle
from tui.cli import main


@pytest.fixture
def headless_app(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make `tracktui STORE` run the real app headless: it settles, the screen's text is
    recorded in the returned list, and it quits. An empty list: the app never started."""
    screens: list[str] = []
    real_make_app = tui.app.make_app

    async def look(pilot: Pilot[object]) -> None:
        await settle(pilot)
        screens.append(screen_text(pilot.app))
        pilot.app.exit()

    def make_app(*args: Any, **kwargs: Any) -> tui.app.TrackApp:
        app = real_make_app(*args, poll_seconds=0, **kwargs)
        app.run = functools.partial(app.run, headless=True, auto_pilot=look)  # type: ignore[method-assign]
        return app

    monkeypatch.setattr(tui.app, "make_app", make_app)
    return screens


def test_a_mistyped_store_path_fails_before_the_app_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], headless_app: list[str]
) -> None:
    """Before: the app opened on "No runs here yet" and exited 0."""
    demo_store(tmp_path / "runs-store")
    monkeypatch.chdir(tmp_path)
    assert main(["runs-stor"]) == 2
    assert headless_app == [], "the app never starts"
    err = capsys.readouterr().err
    assert "runs-stor does not exist" in err
    assert "did you mean runs-store?" in err, "a similar name next to it is suggested"
    assert main(["ls", "runs-stor"]) == 2
    assert "did you mean runs-store?" in capsys.readouterr().err


def test_the_env_store_must_exist_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], headless_app: list[str]
) -> None:
    monkeypatch.setenv("TRACKTUI_STORE", str(tmp_path / "nowhere"))
    assert main([]) == 2
    assert headless_app == []
    assert "nowhere does not exist" in capsys.readouterr().err


def test_plain_tracktui_before_the_first_run_shows_the_welcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, headless_app: list[str]
) -> None:
    """No path given and no ./tracktui-store yet: the welcome says how to log a first run."""
    monkeypatch.chdir(tmp_path)
    assert main([]) == 0
    assert "No runs here yet" in headless_app[0]


def test_an_existing_empty_folder_is_an_empty_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], headless_app: list[str]
) -> None:
    """Before: `ls` said "is not a tracktui store" and the app showed the same error."""
    empty = tmp_path / "new-store"
    empty.mkdir()
    assert main(["ls", str(empty), "--table"]) == 0
    out, err = capsys.readouterr()
    assert "0 runs" in out and "does not exist" not in err + out and "not a" not in err
    assert main([str(empty)]) == 0
    assert "No runs here yet" in headless_app[0]
    assert "not a tracktui store" not in headless_app[0]
    assert [p.name for p in empty.iterdir() if not p.name.startswith(".")] == [], "only the reader's index"
    with store.start_run(experiment="e", name="first", root=empty):
        pass
    assert main(["ls", str(empty), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "first"


def test_a_folder_that_is_not_a_store_still_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], headless_app: list[str]
) -> None:
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    assert main([str(tmp_path / "src")]) == 2
    assert headless_app == []
    assert "is not a tracktui store" in capsys.readouterr().err


# -- tracktui ls: to a pipe, to a terminal, JSON, CSV ---------------------------------------

REPO = Path(__file__).resolve().parent.parent
HOSTILE = "\x1b]0;PWNED\x07\x1b]52;c;aGVsbG8=\x07\x1b[2J\x9b31m\u202e[red]x[/]"
"""A terminal title, a clipboard write, a screen clear, a C1 CSI, a bidi override, Rich markup."""
UNSAFE = ("\x1b", "\x07", "\x9b", "\u202e")


def hostile_store(root: Path) -> list[str]:
    """Two runs whose name, params and tags hold escape codes (keys may not, the writer refuses)."""
    ids = []
    for i in range(2):
        with store.start_run(experiment="e", name=f"run-{i}", root=root) as run:
            run.log_params({"note": HOSTILE + str(i), "cfg": {"layers": [HOSTILE, i]}, "lr": 0.1 * (i + 1)})
            run.set_tag("stage", HOSTILE + str(i))
            run.log_metric("loss", 1.0 / (i + 1))
        meta = json.loads((run.path / "meta.json").read_text())
        meta["name"] = HOSTILE + f"run-{i}"
        (run.path / "meta.json").write_text(json.dumps(meta))
        ids.append(run.id)
    return ids


def assert_safe(text: str) -> None:
    assert not any(ch in text for ch in UNSAFE), [ch for ch in UNSAFE if ch in text]


def pipe(*args: str) -> str:
    """`python -m tui.cli ARGS | cat`: stdout is a real pipe, not a terminal."""
    command = " ".join([sys.executable, "-m", "tui.cli", *map(shlex.quote, args)]) + " | cat"
    proc = subprocess.run(
        command, shell=True, capture_output=True, text=True, cwd=REPO, env={**os.environ, "COLUMNS": "80"}
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return proc.stdout


def test_ls_into_a_pipe_prints_every_column_tab_separated(tmp_path: Path) -> None:
    """Before: an 80-column table with status, dates and every metric cut off."""
    demo = demo_store(tmp_path / "demo")
    lines = pipe("ls", str(demo)).splitlines()
    header = lines[0].split("\t")
    assert header[:2] == ["status", "name"]
    assert {"metrics.accuracy", "metrics.val/loss", "params.lr", "tags.stage", "created", "duration"} <= set(header)
    rows = [dict(zip(header, line.split("\t"))) for line in lines[1:]]
    assert len(rows) == 10 and all(len(line.split("\t")) == len(header) for line in lines)
    wide = next(r for r in rows if r["name"] == "rf-wide")
    assert wide["status"] == "finished" and wide["params.lr"] == "0.01"
    assert wide["metrics.accuracy"].startswith("0.98693475"), "every digit, not the table's five"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", wide["created"])
    assert max(map(len, lines)) > 80


def test_ls_table_when_asked_is_full_width_in_a_pipe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    demo = demo_store(tmp_path / "demo")
    assert main(["ls", str(demo), "--table"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "val/loss" in lines[1] and "stage" in lines[1], "every shown column, even past 80"
    assert max(len(line.rstrip()) for line in lines) > 80
    assert any(line.startswith("✓ finished  rf-wide") for line in lines)


def test_ls_json_keeps_lists_and_dicts_as_json_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: `"params.betas": "[0.9, 0.99]"`, a string."""
    root = tmp_path / "s"
    with store.start_run(experiment="e", name="a", root=root) as run:
        run.log_params(
            {
                "betas": [0.9, 0.99],
                "cfg": {"layers": [64, {"act": "relu"}], "none": {}},
                "text": "[1, 2]",
                "bad": float("nan"),
                "grid": [float("inf"), 1],
            }
        )
        run.log_metric("loss", float("inf"))
    assert main(["ls", str(root), "--json"]) == 0
    out = capsys.readouterr().out
    record = json.loads(out)
    assert record["params.betas"] == [0.9, 0.99]
    assert record["params.cfg.layers"] == [64, {"act": "relu"}]
    assert record["params.cfg.none"] == {}
    assert record["params.text"] == "[1, 2]", "a string that looks like JSON stays a string"
    assert record["params.grid"] == [None, 1] and record["params.bad"] is None
    assert record["metrics.loss"] is None, "JSON has no infinity"
    assert "Infinity" not in out and "NaN" not in out


def test_ls_output_of_hostile_names_params_and_tags_is_inert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: `ls --csv` wrote the escape codes raw (the title changed, the clipboard was written)."""
    root = tmp_path / "s"
    hostile_store(root)
    for fmt in ("--csv", "--tsv", "--table", "--json"):
        assert main(["ls", str(root), fmt]) == 0
        out = capsys.readouterr().out
        assert_safe(out)
        if fmt != "--json":
            assert "[red]x[/]" in out, "markup is printed literally"
            assert "␛]0;PWNED" in out or fmt == "--table", "escape codes show as visible symbols"
    assert main(["ls", str(root), "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0]["name"].startswith("␛]0;PWNED␇") and rows[0]["name"].endswith("<U+202E>[red]x[/]run-1")
    assert main(["ls", str(root), "--json"]) == 0
    first = json.loads(capsys.readouterr().out.splitlines()[0])
    assert first["name"] == HOSTILE + "run-1", "JSON escapes, and reads back exact"
    assert first["params.cfg.layers"] == [HOSTILE, 1]


def test_ls_of_a_run_with_thousands_of_params_caps_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: a table thousands of columns wide (10,000 params took 13-22 s; now about 1.5 s).
    2,000 params keep this test quick; the code path is the same."""
    root = tmp_path / "s"
    with store.start_run(experiment="e", name="wide", root=root) as run:
        run.log_params({f"p{i:04d}": i for i in range(2000)})
        run.log_metric("loss", 0.5)
    for i in range(2):
        with store.start_run(experiment="e", name=f"narrow-{i}", root=root) as run:
            run.log_params({"lr": i})
            run.log_metric("loss", float(i))
    assert main(["ls", str(root), "--table"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[1].split()
    assert header[:2] == ["status", "name"] and "loss" in header, "metrics are kept first"
    assert len(header) < 50
    assert "1,962 more columns not shown" in lines[-1] and "--json print them all" in lines[-1]
    assert main(["ls", str(root), "--tsv"]) == 0
    tsv = capsys.readouterr().out.splitlines()
    columns = tsv[0].split("\t")
    assert len(columns) == 2 + 2 + 2001 + 1 and columns.index("metrics.loss") < columns.index("params.lr"), (
        "every column, metrics before params as in the app"
    )


def test_ls_json_keeps_each_cells_type_column_by_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 17: the JSON lines are written a column at a time; ints, bools, text and missing cells keep their kind."""
    root = tmp_path / "s"
    for i, value in enumerate([3, True, "adam", 2.5]):
        with store.start_run(experiment="e", name=f"r{i}", root=root) as run:
            run.log_params({"x": value} if i else {"x": value, "only": 1})
            run.log_metric("loss", float(i))
    assert main(["ls", str(root), "--json", "--columns", "name,x,only,loss"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [list(r) for r in rows] == [["name", "params.x", "params.only", "metrics.loss"]] * 4
    by_name = {r["name"]: r for r in rows}
    assert [by_name[f"r{i}"]["params.x"] for i in range(4)] == [3, True, "adam", 2.5]
    assert type(by_name["r0"]["params.x"]) is int and by_name["r1"]["params.only"] is None
    assert by_name["r3"]["metrics.loss"] == 3.0


def test_ls_csv_cells_that_a_spreadsheet_would_run_are_quoted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 21.12: a run named `=HYPERLINK(…)` (or a param `+cmd`, `@SUM`, `-2+3`) was written
    as is, and a spreadsheet ran it. Such a cell now starts with `'` (as OWASP recommends);
    numbers, negative ones too, stay numbers."""
    root = tmp_path / "s"
    with store.start_run(
        experiment="e",
        name='=HYPERLINK("http://x","y")',
        root=root,
        params={"cmd": "+cmd|' /C calc'!A0", "at": "@SUM(A1)", "neg": "-2+3", "lr": "-0.5", "=key": 1},
    ) as run:
        run.log_metric("delta", -1.5)
    assert main(["ls", str(root), "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    row = rows[0]
    assert row["name"] == '\'=HYPERLINK("http://x","y")'
    assert row["params.cmd"] == "'+cmd|' /C calc'!A0" and row["params.at"] == "'@SUM(A1)"
    assert row["params.neg"] == "'-2+3"
    assert row["params.lr"] == "-0.5" and row["metrics.delta"] == "-1.5", "negative numbers are not formulas"
    assert "'params.=key" not in row and row["params.=key"] == "1", "a header that does not start with = stays"
