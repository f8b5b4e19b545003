"""DiffScreen driven with the pilot: layout of rows, only-differences, flipping, export."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, cast

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

import store
from tests.screen_harness import ScreenHarness, settle_until
from tests.test_diff_shaping import RUNS, make_compare_store
from tui.screens.diff import DiffScreen
from tui.shaping.diff import DiffRow


class DiffHarness(ScreenHarness):
    """Stands in for the main app: opens the diff over a blank screen, as `c` does."""

    def __init__(self, st: store.RunStore, run_ids: list[str]) -> None:
        super().__init__(lambda: DiffScreen(st, run_ids))


async def settle(app: App[Any], pilot: Pilot[Any]) -> None:
    await settle_until(app, pilot, lambda screen: isinstance(screen, DiffScreen) and screen.runs_read)


@pytest.fixture
def compare(tmp_path: Path) -> tuple[store.RunStore, list[str]]:
    ids = make_compare_store(tmp_path / "store")
    return store.open_store(tmp_path / "store"), ids


def row_keys(table: DataTable[Any]) -> list[str]:
    return [str(r.key.value) for r in table.ordered_rows]


def cell_plain(table: DataTable[Any], row: str, column: int) -> str:
    return table.get_cell_at(table.get_cell_coordinate(row, table.ordered_columns[column].key)).plain


async def test_diff_shows_sections_runs_and_only_differences(compare: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare
    app = DiffHarness(st, ids)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, DiffScreen)
        table = screen.query_one("#diff-table", DataTable)
        labels = [c.label.plain for c in table.ordered_columns]
        assert labels == ["field", "baseline (ref)", "degree-2", "[bold red]degree-3[/]"]
        assert table.fixed_columns == 1
        # 25 fields > 20: only differences by default.
        assert screen.only_diff is True
        keys = row_keys(table)
        assert keys[0] == "section:params"
        assert "params.seed" not in keys and "params.model.degree" in keys
        assert keys.index("section:metrics") < keys.index("section:tags") < keys.index("section:facts")

        await pilot.press("d")
        assert screen.only_diff is False
        keys = row_keys(table)
        assert "params.seed" in keys and "facts.host" in keys
        assert cell_plain(table, "params.seed", 0).startswith("  seed")
        assert cell_plain(table, "params.model.degree", 0).startswith("≠ model.degree")

        loss = cell_plain(table, "metrics.train/loss.last", 2)
        assert loss == "1.5 -0.5 (-25.0%) ✓"
        assert cell_plain(table, "metrics.train/loss.last", 3) == "3 +1 (+50.0%)"

        await pilot.press("d")
        assert "params.seed" not in row_keys(table)


async def test_cursor_row_full_value_and_flip(compare: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare
    app = DiffHarness(st, ids)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, DiffScreen)
        table = screen.query_one("#diff-table", DataTable)
        table.move_cursor(row=table.get_row_index("metrics.train/loss.last"), column=0)
        await pilot.pause()
        detail = screen.query_one("#diff-detail", Static)
        assert "lower is better" in str(detail.render())
        assert screen.cursor_row() is not None and cast(DiffRow, screen.cursor_row()).metric == "train/loss"

        await pilot.press("f")
        assert screen.overrides == {"train/loss": "higher"}
        assert screen.query_one("#diff-table", DataTable).get_row_index("metrics.train/loss.last") >= 0
        assert screen.diff is not None
        assert screen.diff.row("metrics.train/loss.last").best == [False, False, True]
        assert "higher is better" in str(detail.render())
        assert cast(DiffRow, screen.cursor_row()).key == "metrics.train/loss.last", "the cursor stays on the row"

        table.move_cursor(row=table.get_row_index("facts.command"), column=2)
        await pilot.pause()
        assert str(detail.render()).endswith("degree-2: python train.py --run=1")


def screen_text(table: DataTable[Any]) -> str:
    return "\n".join(strip.text for strip in table.render_lines(table.scrollable_content_region.reset_offset))


async def test_80_columns_scroll_by_whole_runs_with_markers_and_the_field_column_fixed(
    compare: tuple[store.RunStore, list[str]],
) -> None:
    """Issue 12: runs that do not fit are never cut silently: `◀ n more ▶` says how many are
    hidden, and l/h (or the arrows) slide the runs after the reference one whole run at a time."""
    st, ids = compare
    app = DiffHarness(st, ids)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, DiffScreen)
        table = screen.query_one("#diff-table", DataTable)
        more = screen.query_one("#diff-more", Static)
        table.move_cursor(row=table.get_row_index("metrics.train/loss.last"), column=0)
        await pilot.press("f")  # the third run becomes the best: its cell ends with ✓
        assert [c.key.value for c in table.ordered_columns] == ["field", "run-0", "run-1"]
        assert more.display and str(more.render()).rstrip().endswith("1 more ▶")
        assert "◀" not in str(more.render())
        assert table.scroll_x == 0 and table.virtual_size.width <= table.scrollable_content_region.width, (
            "only whole columns are shown: nothing to scroll inside the table"
        )

        await pilot.press("l", "right", "l")
        await pilot.pause()
        assert [c.key.value for c in table.ordered_columns] == ["field", "run-0", "run-2"], (
            "the reference stays beside the field column"
        )
        assert table.cursor_coordinate.column == 2 and screen.cursor_run() == 2
        assert str(more.render()).startswith("◀ 1 more") and "▶" not in str(more.render())
        shown = screen_text(table)
        assert "3 +1 (+50.0%) ✓" in shown, "the last run's whole cell, ✓ included, is on screen"
        assert "train/loss" in shown, "the field column stays put"
        assert "python train.py --run=1" not in str(screen.query_one("#diff-detail", Static).render())

        await pilot.press("h", "left")
        await pilot.pause()
        assert [c.key.value for c in table.ordered_columns] == ["field", "run-0", "run-1"]
        assert screen.cursor_run() == 0
        await pilot.press("left", "left")
        await pilot.pause()
        assert screen.cursor_run() == -1 and table.cursor_coordinate.column == 0


async def test_compact_modes_fit_four_runs_in_80_columns(tmp_path: Path) -> None:
    runs = [dict(RUNS[i % len(RUNS)], name=f"run-{i}") for i in range(4)]
    ids = make_compare_store(tmp_path / "store", runs)
    app = DiffHarness(store.open_store(tmp_path / "store"), ids)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, DiffScreen)
        table = screen.query_one("#diff-table", DataTable)
        assert len(table.columns) < 5, "values and deltas: four runs do not fit"
        await pilot.press("m")
        await pilot.pause()
        assert screen.mode == "values" and len(table.columns) == 5
        assert not screen.query_one("#diff-more", Static).display, "every run fits: no markers"
        assert cell_plain(table, "metrics.train/loss.last", 3) == "3"
        await pilot.press("m")
        await pilot.pause()
        assert screen.mode == "deltas" and len(table.columns) == 5
        assert cell_plain(table, "metrics.train/loss.last", 1) == "2", "the reference shows its value"
        assert cell_plain(table, "metrics.train/loss.last", 3) == "+50.0%"
        assert "run-3" in screen_text(table)
        await pilot.press("m")
        await pilot.pause()
        assert screen.mode == "full"


def test_fit_window_keeps_the_anchor_and_fills_the_room() -> None:
    from tui.widgets.diff_table import fit_window

    assert fit_window([10, 10, 10], 100, 0, None) == (0, 3)
    assert fit_window([10, 10, 10], 25, 0, None) == (0, 2)
    assert fit_window([10, 10, 10], 25, 0, 2) == (1, 2)
    assert fit_window([10, 10, 10], 25, 2, None) == (1, 2), "room left: an earlier run comes back"
    assert fit_window([50, 10], 20, 0, None) == (0, 1), "one run is always shown"
    assert fit_window([], 20, 0, None) == (0, 0)


async def test_flip_on_a_non_metric_row_only_warns(compare: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare
    app = DiffHarness(st, ids)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, DiffScreen)
        table = screen.query_one("#diff-table", DataTable)
        table.move_cursor(row=table.get_row_index("params.model.degree"), column=1)
        await pilot.press("f")
        assert screen.overrides == {}
        assert any("metric row" in n.message for n in app._notifications)


async def test_long_values_are_cut_and_shown_whole_below(tmp_path: Path) -> None:
    long_note = "a very long note " * 10
    runs = [dict(RUNS[0]), dict(RUNS[1])]
    runs[1]["params"] = {**RUNS[1]["params"], "note": long_note}
    ids = make_compare_store(tmp_path / "store", runs)
    app = DiffHarness(store.open_store(tmp_path / "store"), ids)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, DiffScreen)
        table = screen.query_one("#diff-table", DataTable)
        shown = cell_plain(table, "params.note", 2)
        assert len(shown) <= 24 and shown.endswith("…")
        table.move_cursor(row=table.get_row_index("params.note"), column=2)
        await pilot.pause()
        assert long_note.strip() in str(screen.query_one("#diff-detail", Static).render())


async def test_export_writes_markdown_and_csv_and_copies(
    compare: tuple[store.RunStore, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    st, ids = compare
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    app = DiffHarness(st, ids)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("enter")  # the prompt offers the current folder
        await settle(app, pilot)
        md_files = list(out.glob("tracktui-diff-*.md"))
        csv_files = list(out.glob("tracktui-diff-*.csv"))
        assert len(md_files) == 1 and len(csv_files) == 1
        markdown = md_files[0].read_text(encoding="utf-8")
        assert markdown.startswith("| field | baseline | degree-2 | [bold red]degree-3[/] |")
        assert "| train/loss | 2 | 1.5 -0.5 (-25.0%) ✓ | 3 +1 (+50.0%) |" in markdown
        assert "| seed |" not in markdown, "only differences were shown, so only they are exported"
        assert app.clipboard == markdown
        rows = list(csv.reader(csv_files[0].open(encoding="utf-8")))
        assert rows[0] == ["section", "field", "differs", "baseline", "degree-2", "[bold red]degree-3[/]"]
        assert ["params", "model.degree", "yes", "1", "2", "3"] in rows
        assert any("copied to the clipboard" in n.message for n in app._notifications)


async def test_escape_closes_and_unknown_run_shows_error(compare: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare
    app = DiffHarness(st, [ids[0], "no-such-run"])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, DiffScreen)
        assert "Could not read the runs" in str(screen.query_one("#diff-title", Static).render())
        await pilot.press("escape")
        assert not isinstance(app.screen, DiffScreen)


def _snapshot_app(tmp_path: Path) -> DiffHarness:
    ids = make_compare_store(tmp_path / "store")
    return DiffHarness(store.open_store(tmp_path / "store"), ids)


def test_snapshot_diff_80x24(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(_snapshot_app(tmp_path), terminal_size=(80, 24), run_before=settle_snapshot)


def test_snapshot_diff_compact_four_runs_80x24(snap_compare: Any, tmp_path: Path) -> None:
    runs = [dict(RUNS[i % len(RUNS)], name=f"run-{i}") for i in range(4)]
    ids = make_compare_store(tmp_path / "store", runs)
    app = DiffHarness(store.open_store(tmp_path / "store"), ids)
    assert snap_compare(app, press=["m", "m", "l", "l"], terminal_size=(80, 24), run_before=settle_snapshot)


def test_snapshot_diff_all_rows_120x40(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(
        _snapshot_app(tmp_path),
        press=["d", "down", "down", "right", "right"],
        terminal_size=(120, 40),
        run_before=settle_snapshot,
    )


async def settle_snapshot(pilot: Pilot[Any]) -> None:
    await settle(pilot.app, pilot)


EVIL_NAME = "\x1b]0;PWNED\x07evil"
"""A run name that would set the terminal's window title if it reached the terminal raw."""


def evil_runs() -> list[dict[str, Any]]:
    """The first two runs, the second named `EVIL_NAME` with a tag value that would turn text red."""
    runs = [dict(RUNS[0]), dict(RUNS[1])]
    runs[1]["name"] = EVIL_NAME
    runs[1]["tags"] = {"stage": "\x1b[31mred"}
    return runs


async def test_escape_codes_from_the_store_are_shown_not_sent(tmp_path: Path) -> None:
    ids = make_compare_store(tmp_path / "store", evil_runs())
    app = DiffHarness(store.open_store(tmp_path / "store"), ids)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, DiffScreen)
        table = screen.query_one("#diff-table", DataTable)
        assert table.ordered_columns[2].label.plain == "␛]0;PWNED␇evil"
        assert cell_plain(table, "tags.stage", 2) == "␛[31mred"
        table.move_cursor(row=table.get_row_index("tags.stage"), column=2)
        await pilot.pause()
        detail = str(screen.query_one("#diff-detail", Static).render())
        assert "␛]0;PWNED␇evil: ␛[31mred" in detail and "\x1b" not in detail
        shown = app.export_screenshot()
        assert "␛]0;PWNED␇evil" in shown and "␛[31mred" in shown
        assert "\x1b" not in shown and "\x07" not in shown


async def test_export_and_clipboard_of_hostile_text_are_inert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: the .md, the .csv and the OSC 52 clipboard payload held the escape codes raw."""
    from tests.test_diff_shaping import UNSAFE, hostile_runs

    ids = make_compare_store(tmp_path / "store", hostile_runs())
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    app = DiffHarness(store.open_store(tmp_path / "store"), ids)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        files = sorted(out.glob("tracktui-diff-*"))
        assert [f.suffix for f in files] == [".csv", ".md"]
        for text in (*(f.read_text(encoding="utf-8") for f in files), app.clipboard):
            assert not any(ch in text for ch in UNSAFE), [ch for ch in UNSAFE if ch in text]
            assert "␛]0;PWNED␇" in text and "[red]x[/]" in text
        notes = " ".join(n.message for n in app._notifications)
        assert not any(ch in notes for ch in UNSAFE)


async def test_a_huge_value_is_cut_with_its_size_below_the_table(tmp_path: Path) -> None:
    """Before: the whole 5 MB value went into the cell's escaping and the detail line."""
    runs = [dict(RUNS[0]), dict(RUNS[1])]
    runs[1]["tags"] = {"blob": "abcdefghi\n" * 500_000}
    ids = make_compare_store(tmp_path / "store", runs)
    app = DiffHarness(store.open_store(tmp_path / "store"), ids)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, DiffScreen)
        table = screen.query_one("#diff-table", DataTable)
        assert cell_plain(table, "tags.blob", 2) == "abcdefghi ⏎ abcdefghi ⏎…"
        table.move_cursor(row=table.get_row_index("tags.blob"), column=2)
        await pilot.pause()
        detail = str(screen.query_one("#diff-detail", Static).render())
        assert "… (5,000,000 characters)" in detail and len(detail) < 2000


async def test_export_asks_where_and_names_both_files(
    compare: tuple[store.RunStore, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: `x` wrote straight into the current folder and named only the Markdown's path."""
    from tui.screens.export_prompt import ExportPrompt

    st, ids = compare
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    app = DiffHarness(st, ids)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("x")
        await pilot.pause()
        prompt = app.screen
        assert isinstance(prompt, ExportPrompt)
        assert f"(default: {here})" in str(prompt.query_one("#export-title", Static).render())
        folder = prompt.query_one("#export-folder", Input)
        assert folder.value == str(here)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DiffScreen) and list(here.iterdir()) == [], "escape writes nothing"
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one("#export-folder", Input).value = str(tmp_path / "reports" / "new")
        await pilot.press("enter")
        await settle(app, pilot)
        written = sorted((tmp_path / "reports" / "new").iterdir())
        assert [f.suffix for f in written] == [".csv", ".md"], "a missing folder is made"
        message = list(app._notifications)[-1].message
        assert str(written[0]) in message and str(written[1]) in message, message
        await pilot.press("x")
        await pilot.pause()
        assert app.screen.query_one("#export-folder", Input).value == str(tmp_path / "reports" / "new"), (
            "the next export offers the folder last written to"
        )


async def test_run_headers_wear_the_colours_the_charts_give_the_runs(compare: tuple[store.RunStore, list[str]]) -> None:
    """Issue 12: one colour per run for the session, in the charts and in the diff header."""
    from tests.test_charts_screen import panes
    from tui.screens.charts import ChartsScreen

    st, ids = compare
    app = DiffHarness(st, [ids[2], ids[0]])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("#diff-table", DataTable)
        headers = {c.key.value: c.label for c in table.ordered_columns}
        charts = ChartsScreen(st, ids, refresh_interval=3600)
        await app.push_screen(charts)
        await settle_until(app, pilot, lambda s: s is charts and charts.draws > 0)
        data = panes(charts)["train/loss"].data
        assert data is not None
        colour = {c.run_id: c.color for c in data.curves}
        for column, run_id in (("run-0", ids[2]), ("run-1", ids[0])):
            r, g, b = colour[run_id]
            assert f"rgb({r},{g},{b})" in str(headers[column].style)


async def test_a_diff_with_a_running_run_stays_live_and_says_so(
    compare: tuple[store.RunStore, list[str]], tmp_path: Path
) -> None:
    """Issue 22.12: the diff of a running run was a snapshot taken when it opened, with no word
    of it. It is now read again on the poll while a run runs, and the title says when it was read."""
    st, ids = compare
    run = store.start_run(experiment="poly", name="live", root=tmp_path / "store")
    try:
        run.log_metric("train/loss", 9.0, step=0)
        run.flush()
        # The poll's timer never fires in this test; it calls what the timer calls, when it wants.
        app = ScreenHarness(lambda: DiffScreen(st, [ids[0], run.id], refresh_seconds=3600))
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            screen = app.screen
            assert isinstance(screen, DiffScreen) and screen.diff is not None
            title = str(screen.query_one("#diff-title", Static).render())
            assert "1 running: live, read at " in title
            assert screen.diff.row("metrics.train/loss.last").values[1] == 9.0
            run.log_metric("train/loss", 7.0, step=1)
            run.flush()
            screen.load()
            await settle(app, pilot)
            assert screen.diff.row("metrics.train/loss.last").values[1] == 7.0
            table = screen.query_one("#diff-table", DataTable)
            assert cell_plain(table, "metrics.train/loss.last", 2).startswith("7")
    finally:
        run.finish()
