"""`tracktui diff`: the same diff printed with Rich or as JSON, and clear errors for bad refs."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console

import store
from test_diff_shaping import RUNS, make_compare_store
from tui.diff_cli import diff_command


@pytest.fixture
def compare(tmp_path: Path) -> tuple[store.RunStore, list[str]]:
    ids = make_compare_store(tmp_path / "store")
    return store.open_store(tmp_path / "store"), ids


def console(width: int = 160) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=width, color_system=None, force_terminal=False), buf


def test_table_by_names_and_prefixes(compare: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare
    con, buf = console()
    code = diff_command(st, ["baseline", ids[1][:20], "[bold red]degree-3[/]"], only_diff=False, as_json=False,
                        console=con)
    out = buf.getvalue()
    assert code == 0
    assert "baseline (ref)" in out and "degree-2" in out
    assert "[bold red]degree-3[/]" in out, "names are printed literally, not as markup"
    loss = next(line for line in out.splitlines() if "train/loss " in line and "(m" not in line)
    assert "1.5 -25.0% ✓" in loss and "3 +50.0%" in loss, "the short delta: the percentage"
    assert any("seed" in line for line in out.splitlines())
    assert "15 of 25 fields differ" in out


def test_only_diff_hides_equal_rows(compare: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare
    con, buf = console()
    assert diff_command(st, ids, only_diff=True, as_json=False, console=con) == 0
    out = buf.getvalue()
    assert "model.degree" in out
    assert not any(" seed " in line for line in out.splitlines())


def test_80_columns_keep_each_check_mark_beside_its_value(tmp_path: Path) -> None:
    runs = [dict(spec) for spec in RUNS]
    runs[1]["acc"] = [0.5, 0.7, 0.8, 0.76381442915732]
    ids = make_compare_store(tmp_path / "store", runs)
    con, buf = console(width=80)
    assert diff_command(store.open_store(tmp_path / "store"), ids, only_diff=True, as_json=False,
                        console=con) == 0
    lines = buf.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    cells = [cell.strip() for line in lines for cell in line.split("│")]
    assert "0.763814 +9.1% ✓" in cells
    assert "✓" not in cells, "a ✓ never wraps onto a line of its own"
    marked = [cell for cell in cells if cell.endswith("✓")]
    assert len(marked) == 8 and all(re.fullmatch(r"[\d.]+( [+-][\d.]+%)? ✓", cell) for cell in marked), marked
    assert "1m30s" in cells and "2m30s" in cells, "durations as the runs table shows them"


def test_json_keeps_every_digit(tmp_path: Path) -> None:
    runs = [dict(spec) for spec in RUNS[:2]]
    runs[1]["acc"] = [0.5, 0.7, 0.8, 0.76381442915732]
    ids = make_compare_store(tmp_path / "store", runs)
    con, buf = console(width=80)
    assert diff_command(store.open_store(tmp_path / "store"), ids, only_diff=True, as_json=True, console=con) == 0
    data = json.loads(buf.getvalue())
    acc = next(r for r in data["rows"] if r["key"] == "metrics.val_acc.last")
    assert acc["values"] == [0.7, 0.76381442915732]


def test_json(compare: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare
    con, buf = console()
    assert diff_command(st, ids[:2], only_diff=True, as_json=True, console=con) == 0
    data = json.loads(buf.getvalue())
    assert [r["name"] for r in data["runs"]] == ["baseline", "degree-2"]
    assert all(row["differs"] for row in data["rows"])
    loss = next(r for r in data["rows"] if r["key"] == "metrics.train/loss.last")
    assert loss["values"] == [2.0, 1.5] and loss["better"] == [None, True]


def test_unknown_ref_is_exit_code_2(compare: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare
    con, buf = console()
    assert diff_command(st, [ids[0], "nope"], only_diff=False, as_json=False, console=con) == 2
    assert "no run with id, id prefix or name 'nope'" in buf.getvalue()


def test_ambiguous_prefix_is_exit_code_2(compare: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare
    con, buf = console()
    common = ids[0][:4]
    assert all(i.startswith(common) for i in ids)
    assert diff_command(st, [ids[0], common], only_diff=False, as_json=False, console=con) == 2
    assert "matches 3 runs" in buf.getvalue()


def test_one_ref_is_not_enough(compare: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare
    con, buf = console()
    assert diff_command(st, [ids[0]], only_diff=False, as_json=False, console=con) == 2
    assert "at least two runs" in buf.getvalue()


def test_escape_codes_from_the_store_are_printed_as_symbols(tmp_path: Path) -> None:
    runs = [dict(RUNS[0]), dict(RUNS[1])]
    runs[1]["name"] = "\x1b]0;PWNED\x07evil"
    runs[1]["tags"] = {"stage": "\x1b[31mred"}
    ids = make_compare_store(tmp_path / "store", runs)
    st = store.open_store(tmp_path / "store")
    con, buf = console()
    assert diff_command(st, ids, only_diff=False, as_json=False, console=con) == 0
    out = buf.getvalue()
    assert "␛]0;PWNED␇evil" in out and "␛[31mred" in out
    assert "\x1b" not in out and "\x07" not in out

    con, buf = console()
    assert diff_command(st, ids, only_diff=False, as_json=True, console=con) == 0
    out = buf.getvalue()
    assert "\x1b" not in out and "\x07" not in out
    data = json.loads(out)  # JSON keeps the exact text, escaped the JSON way
    assert data["runs"][1]["name"] == "\x1b]0;PWNED\x07evil"
    stage = next(r for r in data["rows"] if r["key"] == "tags.stage")
    assert stage["values"] == ["baseline", "\x1b[31mred"]


def test_json_escapes_c1_controls_and_bidi_overrides() -> None:
    from tui.diff_cli import json_text

    data = {"name": "a\x9b31mb\u202ec café \U0001F600", "n": [0.76381442915732]}
    shown = json_text(data).plain
    assert "\x9b" not in shown and "\u202e" not in shown and "\\u009b" in shown and "\\u202e" in shown
    assert "café 😀" in shown, "printable non-ASCII stays as it is"
    assert json.loads(shown) == data
