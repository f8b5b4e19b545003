"""The detail's first view: the run's own metrics first, machine metrics counted, names on one line."""

from __future__ import annotations

from pathlib import Path

import store
from tests.app_helpers import demo_app, screen_text, settle
from tui.screens.detail import DetailScreen

LONG = "validation/per_class/accuracy_of_the_rarest_class_in_the_held_out_split"


async def test_overview_keeps_system_metrics_out_and_long_names_on_one_line(tmp_path: Path) -> None:
    """Found by hand on a live sweep: `system/cpu_percent` wrapped over two lines in the
    overview and pushed the run's own metrics off an 80x24 screen."""
    root = tmp_path / "s"
    with store.start_run(experiment="e", name="r", root=root, system_metrics_interval=0) as run:
        run.log_params({"lr": 0.1})
        for step in range(3):
            run.log(
                {"loss": 1.0 / (step + 1), LONG: 0.5, "system/cpu_percent": 50.0, "system/disk_read_mb_s": 1.0},
                step=step,
            )
    app = demo_app(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        text = screen_text(app)
        assert "metrics (2)" in text and "loss" in text
        assert "system/cpu_p" not in text and "+ 2 system metrics" in text
        assert "validation/per_class" in text and "…" in text
        assert "rarest_class_in_the_held_out_split" not in text, "a long name is cut, never wrapped"
