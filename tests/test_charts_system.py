"""System metrics (`system/…`) are a section of their own in the charts and out of the table's columns."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import SelectionList

import store
from tests.app_helpers import demo_app, settle, table
from tests.test_charts_screen import ChartsHarness, open_charts, panes
from tui.shaping.curves import RunInfo
from tui.shaping.metric_order import default_metrics, system_last
from tui.widgets.metric_picker import SYSTEM_HEADING, SYSTEM_SECTION


def make_store(root: Path) -> list[str]:
    """Runs that sampled their machine far more often than they logged results."""
    ids = []
    for n in range(2):
        run = store.start_run(experiment="sys", name=f"run-{n}", root=root, system_metrics_interval=False)
        for step in range(50):
            run.log_metric("system/cpu_percent", 50.0 + step % 7, step=step)
            run.log_metric("system/memory_percent", 20.0 + n, step=step)
            if step % 10 == 0:
                run.log_metric("score", step * 0.1 + n, step=step)
                run.log_metric("lr", 0.1 / (step + 1), step=step)
        run.finish()
        ids.append(run.id)
    return ids


def test_default_metrics_leave_system_metrics_out_unless_nothing_else_was_logged() -> None:
    info = RunInfo(
        "a", "a", "finished", ["system/cpu_percent", "score", "lr"], {"system/cpu_percent": 500, "score": 5, "lr": 5}
    )
    assert default_metrics([info], 4) == ["score"], "a plain metric, not the longest (a system one)"
    only = RunInfo("b", "b", "finished", ["system/cpu_percent"], {"system/cpu_percent": 5})
    assert default_metrics([only], 4) == ["system/cpu_percent"]
    assert system_last(["system/a", "loss", "system/b", "acc"]) == ["loss", "acc", "system/a", "system/b"]


async def test_the_metric_list_shows_system_metrics_under_their_own_heading(tmp_path: Path) -> None:
    ids = make_store(tmp_path / "store")
    app = ChartsHarness(store.open_store(tmp_path / "store"), ids)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_charts(app, pilot)
        picker = screen.query_one("#metric-list", SelectionList)
        values = [picker.get_option_at_index(i).value for i in range(picker.option_count)]
        assert values == ["lr", "score", SYSTEM_SECTION, "system/cpu_percent", "system/memory_percent"]
        assert picker.get_option_at_index(2).disabled
        heading_row = 2 - int(picker.scroll_offset.y)
        assert picker.render_line(heading_row).text.strip() == SYSTEM_HEADING
        assert screen.selected == ["score"], "the opening grid shows no machine metric"
        picker.focus()
        await pilot.press("end", "space", "home", "space")  # a system metric first, then lr
        await settle(pilot)
        assert screen.selected == ["score", "lr", "system/memory_percent"], "in pick order, system panes last"
        assert list(panes(screen)) == ["score", "lr", "system/memory_percent"]


async def test_the_runs_table_leaves_system_metrics_out_of_its_columns(tmp_path: Path) -> None:
    make_store(tmp_path / "store")
    app = demo_app(tmp_path / "store")
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        keys = [c.key for c in table(app).view.columns]
        assert "metrics.score" in keys and not any(k.startswith("metrics.system/") for k in keys)


async def test_the_metric_list_names_system_metrics_as_their_panes_do_and_finds_the_raw_name(tmp_path: Path) -> None:
    """Failed before: the list showed `system/gpu.0.gpu` where the pane said `GPU 0 util %`."""
    with store.start_run(experiment="sys", name="wandb-like", root=tmp_path / "s", system_metrics_interval=0) as run:
        for step in range(3):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
            run.log_metric("system/gpu.0.gpu", 90.0, step=step)
            run.log_metric("system/proc.memory.rssMB", 2048.0, step=step)
    app = ChartsHarness(store.open_store(tmp_path / "s"), [run.id])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_charts(app, pilot)
        picker = screen.query_one("#metric-list", SelectionList)
        lines = [picker.render_line(y).text for y in range(picker.size.height)]
        assert any("GPU 0 util %" in line for line in lines), lines
        assert any("Process memory (" in line for line in lines), lines
        assert not any("system/" in line for line in lines), lines
        for search, found in (
            ("gpu.0", "system/gpu.0.gpu"),
            ("util", "system/gpu.0.gpu"),
            ("rssmb", "system/proc.memory.rssMB"),
        ):
            await pilot.press("slash", *search, "enter")
            await settle(pilot)
            values = [picker.get_option_at_index(i).value for i in range(picker.option_count)]
            assert found in values and "loss" not in values, (search, values)
            await pilot.press("escape")
            await settle(pilot)
