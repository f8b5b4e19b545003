"""`tracktui diff`: the same diff printed with Rich or as JSON, and clear errors for bad refs."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console

import store
from tests.test_diff_shaping import RUNS, make_compare_store
from tui.commands.diff import diff_command


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
    code = diff_command(
        st, ["baseline", ids[1][:20], "[bold red]degree-3[/]"], only_diff=False, as_json=False, console=con
    )
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
    assert diff_command(store.open_store(tmp_path / "store"), ids, only_diff=True, as_json=False, console=con) == 0
    lines = buf.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    cells = [cell.strip() for line in lines for cell in line.split("│")]
    assert "0.76381 +9.1% ✓" in cells
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
    from tui.commands.diff import json_text

    data = {"name": "a\x9b31mb\u202ec café \U0001f600", "n": [0.76381442915732]}
    shown = json_text(data).plain
    assert "\x9b" not in shown and "\u202e" not in shown and "\\u009b" in shown and "\\u202e" in shown
    assert "café 😀" in shown, "printable non-ASCII stays as it is"
    assert json.loads(shown) == data


def test_a_huge_tag_prints_cut_with_its_size(tmp_path: Path) -> None:
    """Before: a 20 MB tag took 50 s (over 2 minutes here) and printed all of it, folded.
    5 MB tags here (about 2 s with writing the store); 20 MB now takes 1.3 s end to end."""
    runs = [dict(spec) for spec in RUNS[:2]]
    runs[0]["tags"] = {"blob": "abcdefghi " * 500_000}
    runs[1]["tags"] = {"blob": "abcdefghi " * 500_000 + "!"}
    ids = make_compare_store(tmp_path / "store", runs)
    st = store.open_store(tmp_path / "store")
    con, buf = console(width=100)
    assert diff_command(st, ids, only_diff=True, as_json=False, console=con) == 0
    out = buf.getvalue()
    assert "… (5,000,000" in out and "… (5,000,001" in out, "cut, with the size"
    assert "≠ blob" in out, "they differ, at the last character"
    assert len(out) < 20_000
    con, buf = console()
    assert diff_command(st, ids, only_diff=True, as_json=True, console=con) == 0
    blob = next(r for r in json.loads(buf.getvalue())["rows"] if r["key"] == "tags.blob")
    assert len(blob["values"][1]) == 5_000_001, "JSON keeps values whole"


def test_hostile_text_in_a_pipe(tmp_path: Path) -> None:
    """`tracktui diff ... | cat` and `--json | cat`: nothing from the store acts on the terminal,
    and JSON to a pipe has no colour codes."""
    import subprocess
    import sys

    from tests.test_diff_shaping import UNSAFE, hostile_runs

    make_compare_store(tmp_path / "store", hostile_runs())
    repo = Path(__file__).resolve().parent.parent
    ids = [p.name for p in sorted((tmp_path / "store" / "poly").iterdir())]
    for extra in ("", " --json"):
        proc = subprocess.run(
            f"{sys.executable} -m tui.cli diff {tmp_path / 'store'} {ids[0]} {ids[1]}{extra} | cat",
            shell=True,
            capture_output=True,
            text=True,
            cwd=repo,
        )
        assert proc.returncode == 0 and proc.stderr == "", proc.stderr
        assert not any(ch in proc.stdout for ch in UNSAFE)
        assert "[red]x[/]" in proc.stdout
    data = json.loads(proc.stdout)
    assert data["runs"][1]["name"].startswith("\x1b]0;PWNED\x07")


def test_a_long_key_in_a_pipe_leaves_room_for_the_values(tmp_path: Path) -> None:
    """Issue 21.12: one 200-character param key took the whole 80 columns of a pipe and every
    value column was squeezed to nothing. The field column is capped; the key is cut with `…`."""
    runs = [dict(spec) for spec in RUNS]
    long_key = "k" * 200
    for i, spec in enumerate(runs):
        spec["params"] = {**spec["params"], long_key: f"value-{i}"}
    ids = make_compare_store(tmp_path / "store", runs)
    con, buf = console(width=80)
    assert diff_command(store.open_store(tmp_path / "store"), ids, only_diff=False, as_json=False, console=con) == 0
    lines = buf.getvalue().splitlines()
    row = next(line for line in lines if "kkkk" in line)
    assert "value-0" in row and "value-1" in row and "value-2" in row, row
    assert "…" in row, "the cut key says it was cut"
    assert all(len(line) <= 80 for line in lines)
    seed = next(line for line in lines if " seed " in line)
    assert [c.strip() for c in seed.split("│")][2:5] == ["1", "1", "1"], "the other rows keep their values too"
