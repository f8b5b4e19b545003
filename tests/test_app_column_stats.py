"""Per-column statistics of metric columns (M), driven through the real app."""

from __future__ import annotations

from pathlib import Path

import pytest

import store
from tests.app_helpers import demo_app, demo_store, settle
from tui.widgets.runs_table import RunsTable


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return demo_store(tmp_path / "demo")


def table(app) -> RunsTable:  # type: ignore[no-untyped-def]
    return app.runs_screen.query_one(RunsTable)


def column(app, key: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
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
