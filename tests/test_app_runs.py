"""The runs screen driven through the real app with the Pilot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import cast

import pytest
from textual.widgets import Input, OptionList

import store
from store import RunDetail
from tests.app_helpers import (
    NOW,
    demo_app,
    move_to_column,
    screen_text,
    settle,
    shown_names,
    table,
    table_lines,
)
from tests.children import REPO
from tui.cli import main as cli_main
from tui.screens.columns import ColumnsScreen
from tui.screens.detail import DetailScreen
from tui.screens.runs import RunsScreen
from tui.widgets.runs_table import RunsTable

POLY = ["degree-1", "degree-2", "degree-3", "degree-10"]


async def test_table_shows_runs_with_status_and_counts(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "10/10 runs" in text
        lines = table_lines(app)
        assert lines[0].split()[:5] == ["status", "name", "accuracy", "f1_macro", "mse"]  # metrics first
        assert "‼ crashed" in lines[1] and "rf-oom" in lines[1]
        assert "✗ failed" in lines[2] and "rf-broken" in lines[2]
        assert any("degree-2" in line and "✓ finished" in line for line in lines)
        assert "21h ago" in table(app).view.cells(0)  # created: after the metrics, params and tags


async def test_sort_numeric_then_reverse_missing_last(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        move_to_column(app, "params.degree")
        await pilot.press("s")
        assert shown_names(app)[:4] == POLY  # 1, 2, 3, 10: numbers, not text ("10" < "2")
        assert "degree▲" in table_lines(app)[0]
        await pilot.press("s")
        assert shown_names(app)[:4] == POLY[::-1]
        assert "degree▼" in table_lines(app)[0]
        assert set(shown_names(app)[4:]) == {"rf-oom", "rf-broken", "rf-wide", "rf-shallow", "rf-deep", "rf-baseline"}


async def test_click_on_header_sorts(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        header = table_lines(app)[0]
        await pilot.click(RunsTable, offset=(header.index("name") + 1, 0))
        await pilot.pause()
        names = shown_names(app)
        assert names == sorted(names, key=str.lower)


async def test_filter_expression_then_bad_expression_then_escape(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"mse < 1")
        await pilot.pause()
        assert sorted(shown_names(app)) == ["degree-2", "degree-3"]
        assert "2/10 runs" in screen_text(app)
        app.screen.query_one("#filter", Input).value = "mse < 1 and ("  # pasted in one go
        await pilot.pause()
        assert sorted(shown_names(app)) == ["degree-2", "degree-3"]  # unchanged
        error = screen_text(app)
        assert "^ unbalanced parenthesis" in error
        await pilot.press("escape")
        await pilot.pause()
        assert len(shown_names(app)) == 10
        assert not app.screen.query_one("#filter-bar").display


async def test_free_text_filter_matches_names_and_tags(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"tuning")
        await pilot.pause()
        assert sorted(shown_names(app)) == ["rf-broken", "rf-deep", "rf-oom", "rf-shallow", "rf-wide"]
        await pilot.press("enter")
        assert isinstance(app.focused, RunsTable)


async def test_marks_survive_sort_and_filter(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        first, second = shown_names(app)[:2]
        await pilot.press("space", "space")
        assert "2 marked" in screen_text(app)
        await pilot.press("slash", *"rf-oom")
        await pilot.press("enter")
        await pilot.pause()
        assert shown_names(app) == ["rf-oom"]
        move_to_column(app, "name")
        await pilot.press("s", "escape")
        await pilot.pause()
        marked_names = {table(app).view.frame.set_index("run_id").at[r, "name"] for r in table(app).marks}
        assert marked_names == {first, second}
        assert "2 marked" in screen_text(app)
        marked_lines = [line for line in table_lines(app) if line.startswith("●")]
        assert len(marked_lines) == 2


async def test_detail_and_back_keeps_cursor(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j")
        run_id = table(app).current_run
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        text = screen_text(app)
        assert "rf-wide" in text and "gpu-box-1" in text and "3f2a9c1d" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        assert table(app).current_run == run_id and table(app).cursor_row == 2


async def test_detail_of_failed_run_shows_traceback_and_params_tree(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        text = screen_text(app)
        assert "failed" in text and "ValueError: max_depth must be >= 1" in text
        await pilot.press("2")
        await pilot.pause()
        assert "max_depth = -1" in screen_text(app)
        await pilot.press("3")
        await pilot.pause()
        assert "train/loss" in screen_text(app)


async def test_experiments_list_narrows_the_table(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        text = screen_text(app)
        assert "all (10)" in text and "poly-regression (4)" in text and "iris-classification (6)" in text
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert sorted(shown_names(app)) == sorted(POLY)
        assert "experiment: poly-regression" in screen_text(app)


async def test_only_varying_columns_then_all_then_metric_stat(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        keys = [c.key for c in table(app).view.columns]
        assert "params.degree" in keys and "metrics.mse" in keys
        assert "params.epochs" not in keys  # 30 wherever it is logged: says nothing
        await pilot.press("e", "down", "down", "enter")
        await pilot.pause()
        keys = [c.key for c in table(app).view.columns]
        assert "params.model.type" not in keys  # "polyfit" for every poly run
        await pilot.press("v")
        assert "params.model.type" in [c.key for c in table(app).view.columns]
        await pilot.press("v", "e", "up", "up", "enter")
        await pilot.pause()
        frame = table(app).view.frame.set_index("name")
        last = frame.at["rf-wide", "metrics.val/loss"]
        await pilot.press("m")
        await settle(pilot)
        frame = table(app).view.frame.set_index("name")
        assert frame.at["rf-wide", "metrics.val/loss"] < last  # min of a rising val loss
        assert "metrics: min" in screen_text(app)


async def test_column_picker_hides_and_remembers(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await pilot.pause()
        assert "[x] experiment" in screen_text(app)
        row = [key for key, _ in cast(ColumnsScreen, app.screen).items].index("experiment")
        await pilot.press(*["down"] * row, "space", "J", "enter")
        await pilot.pause()
        keys = [c.key for c in table(app).view.columns]
        assert "experiment" not in keys
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "experiment" not in [c.key for c in table(app).view.columns]


async def test_live_run_from_another_process_appears_without_moving_cursor(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "j", "space")
        cursor_run = table(app).current_run
        marks = set(table(app).marks)
        move_to_column(app, "name")
        await pilot.press("s")
        await pilot.press("j", "j")
        cursor_run = table(app).current_run
        code = f"""
            import store, sys
            run = store.start_run(experiment="live", name="aaa-live", root={str(demo)!r})
            run.log_metric("loss", 0.5)
            run.flush()
            print(run.id, flush=True)
            sys.stdin.readline()
            run.log_metric("loss", 0.25)
            run.finish()
        """
        proc = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=dict(os.environ, PYTHONPATH=str(REPO)),
        )
        assert proc.stdout is not None and proc.stdin is not None
        live_id = proc.stdout.readline().decode().strip()
        app.poll()
        await settle(pilot)
        assert "aaa-live" in shown_names(app)
        assert shown_names(app)[0] == "aaa-live"  # still sorted by name
        assert table(app).current_run == cursor_run and set(table(app).marks) == marks
        assert "1 running" in screen_text(app)
        proc.stdin.write(b"go\n")
        proc.stdin.flush()
        assert proc.wait(timeout=30) == 0
        app.poll()
        await settle(pilot)
        frame = table(app).view.frame.set_index("run_id")
        assert frame.at[live_id, "status"] == "finished" and frame.at[live_id, "metrics.loss"] == 0.25
        assert table(app).current_run == cursor_run


async def test_missing_store_shows_how_to_log_a_first_run(tmp_path: Path) -> None:
    app = demo_app(tmp_path / "nothing-yet")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "No runs here yet" in text and "store.start_run" in text


async def test_empty_store_then_first_run_appears(tmp_path: Path) -> None:
    root = tmp_path / "s"
    app = demo_app(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "No runs here yet" in screen_text(app)
        with store.start_run(experiment="first", name="hello", root=root) as run:
            run.log_metric("loss", 1.0)
        app.poll()
        await settle(pilot)
        assert "hello" in shown_names(app) and "No runs here yet" not in screen_text(app)


async def test_damaged_run_is_shown_as_damaged(demo: Path) -> None:
    meta = next(demo.glob("poly-regression/*/meta.json"))
    meta.write_text("{ not json")
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        lines = table_lines(app)
        assert sum("⚠ damaged" in line for line in lines) == 1
        assert len(shown_names(app)) == 10


async def test_store_text_is_never_markup(tmp_path: Path) -> None:
    root = tmp_path / "s"
    with store.start_run(experiment="[red]exp[/]", name="[bold red]x[/]", root=root) as run:
        run.set_tag("note", "\x1b[31mred\x1b[0m")
        run.log_params({"[b]p[/b]": "[i]v[/i]"})
    app = demo_app(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        text = screen_text(app)
        assert "[bold red]x[/]" in text and "[red]exp[/]" in text and "[i]v[/i]" in text
        assert "␛[31mred␛[0m" in text
        await pilot.press("enter")
        await settle(pilot)
        assert "[bold red]x[/]" in screen_text(app)


async def test_help_and_command_palette(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        assert "Keys" in text and "Filter" in text and "Mark" in text and "command palette" in text
        await pilot.press("escape", "ctrl+p")
        await pilot.pause()
        assert type(app.screen).__name__ == "CommandPalette"


async def test_vim_keys_and_pages(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("G")
        assert table(app).cursor_row == 9
        await pilot.press("g")
        assert table(app).cursor_row == 0
        await pilot.press("j", "j", "k")
        assert table(app).cursor_row == 1
        await pilot.press("pagedown")
        assert table(app).cursor_row == 9


def test_cli_not_a_store_exits_with_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.txt").write_text("hello")
    assert cli_main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not a tracktui store" in err and "Traceback" not in err


def test_cli_ls_json_and_csv(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["ls", str(demo), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 10 and {r["name"] for r in rows} >= set(POLY)
    assert cli_main(["ls", str(demo), "--csv"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("run_id,experiment,name,status")
    assert cli_main(["ls", str(demo)]) == 0
    assert "degree-2" in capsys.readouterr().out


def test_created_time_is_relative_to_clock() -> None:
    assert NOW > 0


async def test_columns_shrinking_under_the_cursor_does_not_crash(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table(app).cursor_column = len(table(app).view.columns) - 1
        await pilot.press("slash", *"rf-")
        await pilot.pause()
        assert table(app).cursor_column == len(table(app).view.columns) - 1
        assert len(shown_names(app)) == 6


async def test_bad_expression_puts_back_the_last_good_one(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"degree")
        await pilot.pause()
        assert len(shown_names(app)) == 4  # a search for the word
        await pilot.press(*" <")
        await pilot.pause()
        assert len(shown_names(app)) == 4  # the search was the last good one: kept, not every run
        assert "^" in screen_text(app)
        app.screen.query_one("#filter", Input).value = "mse <"
        await pilot.press(*" 1 and deg")
        await pilot.pause()
        assert sorted(shown_names(app)) == ["degree-2", "degree-3"]
        assert "not a comparison" in screen_text(app)


async def test_horizontal_scroll_stops_at_column_boundaries(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(len(table(app).view.columns)):
            await pilot.press("l")
            header = table_lines(app)[0]
            fixed = table(app).spans.fixed_width
            labels = [c.label for c in table(app).view.columns]
            first_visible = header[fixed:].split()[0].rstrip("▲▼")
            assert first_visible in labels, header


async def test_vim_keys_work_in_lists_and_escape_closes_experiments(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        options = app.screen.query_one("#experiments", OptionList)
        assert options.highlighted == 0
        await pilot.press("j", "j")
        assert options.highlighted == 2
        await pilot.press("k")
        assert options.highlighted == 1
        await pilot.press("escape")
        assert not options.display and isinstance(app.focused, RunsTable)


async def test_help_lists_hidden_keys_once(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        for what in ("Unmark all", "All columns", "Last/min/max", "Columns", "Experiments"):
            assert what in text
        assert text.count("Quit") == 1


async def test_compare_without_marks_uses_previous_run(demo: Path) -> None:
    from tui.screens.diff import DiffScreen

    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j")
        previous, current = table(app).view.run_id_at(1), table(app).current_run
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, DiffScreen) and app.screen.run_ids == [previous, current]


async def test_theme_is_remembered(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.theme = "textual-light"
        await pilot.pause()
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "textual-light"


def test_ls_into_a_closed_pipe_is_quiet(demo: Path) -> None:
    script = (
        f"import sys; sys.argv = ['tracktui', 'ls', {str(demo)!r}, '--json']; "
        "from tui.cli import main; sys.exit(main())"
    )
    proc = subprocess.run(
        f'{sys.executable} -c "{script}" | head -1', shell=True, capture_output=True, text=True, cwd=REPO
    )
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["name"] == "rf-oom"


def test_ls_json_keeps_int_params(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["ls", str(demo), "--json"]) == 0
    rows = {r["name"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows["rf-wide"]["params.epochs"] == 30 and isinstance(rows["rf-wide"]["params.epochs"], int)
    assert rows["degree-2"]["params.epochs"] is None


async def test_escape_codes_in_status_and_odd_times_do_not_reach_the_terminal(tmp_path: Path) -> None:
    root = tmp_path / "s"
    with store.start_run(experiment="e", name="evil", root=root) as run:
        pass
    with store.start_run(experiment="e", name="fine", root=root):
        pass
    meta = json.loads((run.path / "meta.json").read_text())
    meta.update(created=1e20, name="\x1b]0;PWNED\x07evil")
    (run.path / "meta.json").write_text(json.dumps(meta))
    app = demo_app(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        lines = table_lines(app)
        assert any("␛]0;PWNED␇evil" in line for line in lines)
        assert not any("\x1b" in line or "\x07" in line for line in lines)
        assert "fine" in shown_names(app)


async def test_escape_clearing_the_filter_keeps_the_cursor_on_its_run(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"degree >= 2", "enter", "j")
        run_id = table(app).current_run
        await pilot.press("escape")
        await pilot.pause()
        assert len(shown_names(app)) == 10 and table(app).current_run == run_id


async def test_show_all_keeps_the_pickers_order(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await pilot.pause()
        keys = [key for key, _ in cast(ColumnsScreen, app.screen).items]
        lr = keys.index("params.lr")
        await pilot.press(*["j"] * lr, *["K"] * (lr - 1), "enter")  # lr up to second place
        await pilot.pause()
        assert [c.key for c in table(app).view.columns][1] == "params.lr"
        await pilot.press("v", "v")
        assert [c.key for c in table(app).view.columns][1] == "params.lr"


async def test_diff_reference_is_the_first_run_marked(demo: Path) -> None:
    from tui.screens.diff import DiffScreen

    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("G", "space", "k", "k", "space")
        first = table(app).view.run_id_at(9)
        second = table(app).view.run_id_at(7)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, DiffScreen) and app.screen.run_ids == [first, second]


async def test_artifacts_with_two_marks_compare_those_two(demo: Path) -> None:
    from tui.screens.artifacts import ArtifactsScreen

    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("space", "space", "j")  # marks rows 0 and 1, cursor on row 3
        marked = list(table(app).marks)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ArtifactsScreen)
        assert [app.screen.detail.run_id, cast(RunDetail, app.screen.other).run_id] == marked


async def test_escape_closes_the_experiments_list_after_a_pick(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e", "j", "enter")
        options = app.screen.query_one("#experiments")
        assert options.display and isinstance(app.focused, RunsTable)
        await pilot.press("escape")
        assert not options.display


async def test_crashed_run_detail_shows_last_seen_and_duration(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # rf-oom, the crashed run, is on top
        await settle(pilot)
        text = screen_text(app)
        assert "crashed" in text and "last seen" in text and "11m40s" in text
