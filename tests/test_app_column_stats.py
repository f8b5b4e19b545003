"""Per-column statistics of metric columns (M), driven through the real app."""

from __future__ import annotations

from pathlib import Path

import pytest

import store
from tests.app_helpers import demo_app, settle
from tui.widgets.runs_table import RunsTable


def table(app) -> RunsTable:
    return app.runs_screen.query_one(RunsTable)


def column(app, key: str) -> dict[str, float]:
    view = table(app).view
    frame = view.frame.dropna(subset=[key])
    return dict(zip(frame["name"], frame[key]))


async def test_each_metric_column_keeps_its_own_statistic(demo: Path) -> None:
    reader = store.open_store(demo)
    mins = reader.runs_frame("min").set_index("name")
    maxes = reader.runs_frame("max").set_index("name")
    lasts = reader.runs_frame("last").set_index("name")
    app = demo_app("demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        keys = [c.key for c in table(app).view.columns]
        table(app).cursor_column = keys.index("metrics.val/acc")
        await pilot.press("M")  # last -> min
        await settle(pilot)
        labels = {c.key: c.label for c in table(app).view.columns}
        assert labels["metrics.val/acc"] == "val/acc (min)" and labels["metrics.val/loss"] == "val/loss"
        assert column(app, "metrics.val/acc") == pytest.approx(mins["metrics.val/acc"].dropna().to_dict())
        assert column(app, "metrics.val/loss") == pytest.approx(lasts["metrics.val/loss"].dropna().to_dict())
        assert mins["metrics.val/acc"].dropna().to_dict() != lasts["metrics.val/acc"].dropna().to_dict()
        await pilot.press("M", "M")  # -> max -> best: higher is better for an accuracy, so the max
        await settle(pilot)
        labels = {c.key: c.label for c in table(app).view.columns}
        assert labels["metrics.val/acc"] == "val/acc (best)"
        assert column(app, "metrics.val/acc") == pytest.approx(maxes["metrics.val/acc"].dropna().to_dict())
        assert maxes["metrics.val/acc"].dropna().to_dict() != lasts["metrics.val/acc"].dropna().to_dict()
        await pilot.press("M")  # -> last: back to the global statistic
        await settle(pilot)
        assert table(app).view.column_stats == {}
        assert column(app, "metrics.val/acc") == pytest.approx(lasts["metrics.val/acc"].dropna().to_dict())


async def test_sparklines_in_metric_cells_for_the_rows_on_screen(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(160, 12)) as pilot:  # 10 rows: some runs stay off screen
        await settle(pilot)
        before = {c.key: c.width for c in table(app).view.columns}
        await pilot.press("w")
        await settle(pilot)
        await pilot.pause()
        await settle(pilot)
        view = table(app).view
        assert view.sparklines
        widths = {c.key: c.width for c in view.columns}
        assert widths["metrics.val/loss"] >= before["metrics.val/loss"] + 9 and widths["name"] == before["name"]
        lines = "\n".join(app_lines(app))
        assert any(block in lines for block in "▁▂▃▄▅▆▇█")
        sparks = {key: table(app).sparks.get(key) for key in table(app).sparks.keys()}  # noqa: SIM118 - an LRUCache, not a dict
        assert sparks and all(key[1].startswith("metrics.") for key in sparks)
        asked = {run for run, _ in sparks}
        shown = {view.run_id_at(row) for row in range(10)}
        assert asked <= shown  # only rows on screen were read
        assert not table(app)._wanted  # nothing more to read: they are cached
        await pilot.press("w")
        assert {c.key: c.width for c in table(app).view.columns}["metrics.val/loss"] == before["metrics.val/loss"]


def app_lines(app) -> list[str]:
    t = table(app)
    return [t.render_line(y).text for y in range(t.scrollable_content_region.height)]
