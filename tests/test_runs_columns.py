"""Columns of the runs table in the real app: metrics first, labels that need no colour, the picker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import pytest
from textual.widgets import OptionList

import store
from tests.app_helpers import demo_app, demo_store, screen_text, settle, table_lines
from tui.screens.columns import ColumnsScreen
from tui.widgets.runs_table import RunsTable


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "tracktui" / "views.json"


@pytest.fixture
def demo(tmp_path: Path, config: Path) -> Path:
    return demo_store(tmp_path / "demo")


async def highlight(app, row: int) -> None:
    """Put the picker's cursor on `row` (j pressed `row` times, without the wait per key)."""
    app.screen.query_one(OptionList).highlighted = row


def keys(app) -> list[str]:
    return [c.key for c in app.screen.query_one(RunsTable).view.columns]


async def test_first_screen_at_80x24_shows_a_metric_with_six_varying_params(tmp_path: Path, config: Path) -> None:
    """Failed before: params came first, and six of them filled the screen."""
    root = tmp_path / "s"
    for i in range(4):
        with store.start_run(experiment="sweep", name=f"run-{i}", root=root) as run:
            run.log_params(
                {
                    "learning_rate": 10**-i,
                    "batch_size": 16 * (i + 1),
                    "optimizer": ["adam", "sgd"][i % 2],
                    "weight_decay": 0.1 * i,
                    "dropout": 0.05 * i,
                    "hidden_units": 64 * (i + 1),
                }
            )
            run.log_metric("val_loss", 1.0 / (i + 1))
    app = demo_app(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        header = table_lines(app)[0]
        assert header.split()[:3] == ["status", "name", "val_loss"]


async def test_shared_names_are_told_apart_without_colour(
    tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    root = tmp_path / "s"
    for i in range(3):
        with store.start_run(experiment="sched", name=f"run-{i}", root=root) as run:
            run.log_params({"lr": 0.1 * (i + 1)})
            run.log_metric("lr", 0.01 * (i + 1))
            run.set_tag("lr", f"schedule-{i}")
    app = demo_app(root)
    async with app.run_test(size=(120, 24)) as pilot:
        await settle(pilot)
        assert table_lines(app)[0].split()[:5] == ["status", "name", "m:lr", "p:lr", "t:lr"]


async def test_metric_stat_is_in_the_headers(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        header = table_lines(app)[0]
        assert "mse (min)" in header and "accuracy (min)" in header
        await pilot.press("m", "m")
        await settle(pilot)
        assert "mse" in table_lines(app)[0].split() and "(last)" not in table_lines(app)[0]


async def test_picker_enter_without_changes_hides_nothing_anywhere(demo: Path, config: Path) -> None:
    """Failed before: C then enter in one experiment saved the other experiments' columns as hidden."""
    app = demo_app("demo")
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        assert "params.n_estimators" in keys(app)
        await pilot.press("e", "down", "down", "enter")  # poly-regression: no n_estimators there
        await pilot.press("C")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("e", "up", "up", "enter")  # all runs again
        await pilot.pause()
        assert "params.n_estimators" in keys(app)
    app = demo_app("demo")
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        assert "params.n_estimators" in keys(app)
        assert "n_estimators" in table_lines(app)[0]


async def test_hiding_a_column_is_remembered_per_selection_and_reset_brings_it_back(demo: Path, config: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e", "down", "down", "enter")  # poly-regression
        await pilot.press("C")
        await pilot.pause()
        assert "r reset to automatic" in screen_text(app)
        row = [key for key, _ in cast(ColumnsScreen, app.screen).items].index("metrics.mse")
        await highlight(app, row)
        await pilot.press("space", "enter")
        await settle(pilot)
        assert "metrics.mse" not in keys(app)
        await pilot.press("e", "up", "up", "enter")  # all runs: their own columns, untouched
        await pilot.pause()
        assert "metrics.mse" in keys(app)
    saved = json.loads(config.read_text())
    views = next(iter(saved.values()))["columns_by_experiment"]
    assert views == {"poly-regression": {"shown": [], "hidden": ["metrics.mse"], "order": []}}
    app = demo_app("demo")
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        assert "metrics.mse" in keys(app)
        await pilot.press("e", "down", "down", "enter")
        await pilot.pause()
        assert "metrics.mse" not in keys(app)
        await pilot.press("R")
        await settle(pilot)
        assert "metrics.mse" in keys(app)
        assert any("back to automatic" in n.message for n in app._notifications)
    assert next(iter(json.loads(config.read_text()).values()))["columns_by_experiment"] == {}


async def test_reset_from_the_picker_and_the_palette(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        await pilot.press("C", "space", "enter")  # hide the first column (status)
        await settle(pilot)
        assert "status" not in keys(app)
        await pilot.press("C", "r")
        await settle(pilot)
        assert "status" in keys(app)
        await pilot.press("C", "space", "enter")
        await settle(pilot)
        await pilot.press("ctrl+p", *"reset")
        await settle(pilot)
        assert "columns to automatic" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert "status" in keys(app)


async def test_picker_shows_columns_that_do_not_vary_when_asked(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        assert "params.epochs" not in keys(app)  # 30 wherever it is logged
        await pilot.press("C")
        await pilot.pause()
        row = [key for key, _ in cast(ColumnsScreen, app.screen).items].index("params.epochs")
        await highlight(app, row)
        await pilot.pause()
        assert "[ ] params.epochs  does not vary" in screen_text(app)
        await pilot.press("space", "enter")
        await settle(pilot)
        assert "params.epochs" in keys(app)
        assert "columns: picked (R: automatic)" in screen_text(app)
        await pilot.press("C")
        await pilot.pause()
        row = [key for key, _ in cast(ColumnsScreen, app.screen).items].index("params.epochs")
        await highlight(app, row)
        await pilot.pause()
        assert "[x] params.epochs  shown by you" in screen_text(app)


async def test_picker_says_why_a_machine_metric_is_hidden(tmp_path: Path, config: Path) -> None:
    """Issue 22.12: the picker labelled hidden `system/…` metrics "does not vary" although they
    varied: they are hidden because they are machine metrics, which `v` shows."""
    root = tmp_path / "s"
    for i, cpu in enumerate((40.0, 10.0)):
        with store.start_run(experiment="e", name=f"r{i}", root=root, system_metrics_interval=0) as run:
            run.log_metric("loss", 0.5 + i)
            run.log_metric("system/cpu_percent", cpu)
            run.log_params({"epochs": 3})
    app = demo_app(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "metrics.system/cpu_percent" not in keys(app)
        await pilot.press("C")
        await pilot.pause()
        text = screen_text(app)
        assert "[ ] metrics.system/cpu_percent  machine metric (v)" in text
        assert "[ ] params.epochs  does not vary" in text
