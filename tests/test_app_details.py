"""Details a daily user hits at 80x24: escape order, restore in the session, fitting, toasts, images."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from rich.style import Style
from textual.widgets import Input

import store
from store import curate
from tests.app_helpers import demo_app, move_to_column, screen_text, settle, shown_names, table
from tui.screens.media import MediaScreen
from tui.widgets.runs_table import RunsTable


async def test_escape_after_picking_an_experiment_closes_the_list_and_keeps_the_filter(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"degree", "enter")
        await settle(pilot)
        await pilot.press("e", "j", "enter")
        await settle(pilot)
        options = app.screen.query_one("#experiments")
        assert options.display and isinstance(app.focused, RunsTable)
        await pilot.press("escape")
        await settle(pilot)
        assert not options.display
        assert app.screen.query_one("#filter", Input).value == "degree"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.query_one("#filter", Input).value == ""
        assert shown_names(app)


async def test_shift_d_right_after_d_brings_the_runs_back(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"degree-3", "enter")
        await settle(pilot)
        assert shown_names(app) == ["degree-3"]
        await pilot.press("d", "y")
        await settle(pilot)
        assert shown_names(app) == []
        await pilot.press("D")
        await settle(pilot)
        assert shown_names(app) == ["degree-3"]


async def test_shift_d_lists_the_trash_restores_and_the_empty_hint_says_the_trash_is_empty(demo: Path) -> None:
    runs = store.open_store("demo").runs_frame()
    curate.delete(store.open_store("demo"), str(runs.loc[runs["name"] == "degree-3", "run_id"].iloc[0]))
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"status = deleted", "enter")
        await settle(pilot)
        assert shown_names(app) == [] and "--deleted" in screen_text(app)
        await pilot.press("D")  # no deleted run here, nothing to undo: list the trash
        await settle(pilot)
        assert shown_names(app) == ["degree-3"]
        await pilot.press("D")  # on the deleted run: restore it
        await settle(pilot)
        assert shown_names(app) == []
        text = screen_text(app)
        assert "--deleted" not in text and "trash is empty" in text


async def test_images_of_four_runs_at_80x24_page_with_brackets_and_say_which(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        frame = app.store.runs_frame()
        names = ["rf-baseline", "rf-deep", "rf-shallow", "rf-wide"]
        screen = MediaScreen(app.store, [str(frame.loc[frame["name"] == n, "run_id"].iloc[0]) for n in names])
        await app.push_screen(screen)
        await settle(pilot)
        assert "runs 1–2 of 4 ([ ])" in screen_text(app)
        seen = [n for n in names if n in screen_text(app).split("\n", 1)[1]]
        await pilot.press("right_square_bracket")
        await settle(pilot)
        text = screen_text(app)
        assert "runs 3–4 of 4" in text
        seen += [n for n in names if n in text.split("\n", 1)[1]]
        assert sorted(seen) == sorted(names)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert "runs 1–2 of 4" in screen_text(app)


async def test_runs_title_at_80_columns_keeps_the_sort_and_cuts_the_rest(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("space", "space", "m", "m")  # two marked, metrics: max
        await settle(pilot)
        move_to_column(app, "metrics.accuracy")
        await pilot.press("s", "o")  # sorted and grouped by accuracy
        await settle(pilot)
        title = screen_text(app).split("\n")[0]
        assert "sort: metrics.accuracy ▲" in title and "2 marked" in title


def _long_run(root: Path) -> None:
    """Two runs of an experiment with a long name, long param values and metrics of 5 significant digits."""
    for name in ("distilbert", "distilbert-2"):
        with store.start_run(
            experiment="sst2-distilbert-finetuning-sweep", name=name, root=root, system_metrics_interval=0
        ) as run:
            run.log_params(
                {
                    "max_steps": 120,
                    "model.model_type": "distilbert",
                    "optimizer.name": "adamw",
                    "model.architectures": ["DistilBertForSequenceClassification"],
                }
            )
            for step, value in enumerate((0.8023151, 0.8720412, 0.4142337)):
                for metric in ("eval_accuracy", "train_samples_per_second", "best_metric", "learning_rate"):
                    run.log_metric(metric, value * (1e-5 if metric == "learning_rate" else 1), step=step)


async def test_detail_at_80_columns_keeps_the_run_id_and_position_and_never_cuts_a_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _long_run(tmp_path / "s")
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        run_id = table(app).current_run
        assert run_id is not None
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        header = text.split("\n")[0]
        assert run_id in header and header.rstrip().endswith("(1/2)") and "sst2-distil" in header and "…" in header
        assert "0.41423" in text and "0.87204" in text and "8.72e-06" in text
        assert not re.search(r"\d…", text)
        assert "distilbert" in text and "adamw" in text  # the params keep their values


async def test_the_cursor_on_a_group_row_highlights_the_whole_row(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        move_to_column(app, "experiment")
        await pilot.press("o", "g")  # grouped by experiment; the top row is a group's
        await settle(pilot)
        runs = table(app)
        assert runs.current_group is not None
        cursor = runs.get_component_rich_style("runs-table--cursor").bgcolor
        group = runs.get_component_rich_style("runs-table--group").bgcolor
        assert cursor is not None and cursor != group
        segments = [s for s in runs.lines.row(runs.cursor_row, runs.size.width, Style()) if s.text.strip()]
        row = [s for s in segments if s.style is not None and not s.style.underline]  # all but the cursor cell
        assert "6 runs" in "".join(s.text for s in row)
        assert all(s.style is not None and s.style.bgcolor == cursor for s in row)


async def test_charts_help_lists_each_key_once(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 70)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        keys: list[str] = []
        for line in screen_text(app).split("\n"):
            first = re.split(r"\s{2,}", line.strip("█ ▀▄"), maxsplit=1)[0]
            keys += [k for k in first.split(", ") if len(k) == 1]
        assert keys.count("g") == 1 and "x" in keys
        assert sorted({k for k in keys if k.isalpha() and keys.count(k) > 1}) == []


async def test_chart_x_axis_names_its_unit_at_80x24(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("x")  # time since the run started
        await settle(pilot)
        lines = screen_text(app).split("\n")
        axis = next(i for i, line in enumerate(lines) if "└" in line)
        assert re.search(r"time since start \((s|min|h)\)\s*$", lines[axis + 1])
        assert re.search(r"\b0\b", lines[axis + 1])  # the ticks keep their labels before it


async def test_a_toast_at_80x24_does_not_cover_the_cursor_row_at_the_bottom(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for i in range(30):
        with store.start_run(experiment="e", name=f"run-{i}", root=tmp_path / "s", system_metrics_interval=0) as run:
            run.log_metric("loss", 1 / (i + 1))
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("G", "v")  # the last row, then a toast ("Showing all columns")
        await settle(pilot)
        runs = table(app)
        cursor_y = runs.region.y + 1 + runs.cursor_row - int(runs.scroll_offset.y)
        assert cursor_y >= 18  # the cursor is at the bottom of the screen
        toasts = list(app.screen.query("Toast"))
        assert toasts and all(not t.region.y <= cursor_y < t.region.bottom for t in toasts)


def test_the_top_of_a_chart_y_axis_has_a_label() -> None:
    from tui.shaping.curves import ChartData, Curve
    from tui.widgets.braille_chart import render_chart

    x = np.arange(10, dtype=np.float64)
    y = 0.58 + x * (0.99315 - 0.58) / 9  # val/acc of rf-wide: the highest value is not a tick
    data = ChartData("val/acc", [Curve("a", "a", (255, 0, 0), x, y, 10, full_x=x, full_y=y)], "step")
    lines, _ = render_chart(data, 60, 20)
    top = lines[0].text
    assert re.match(r"\s*1 ┤", top), top
