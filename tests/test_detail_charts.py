"""Detail → charts: `enter` or `p` on a metric in the detail's metrics tab charts that metric."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import DataTable

import store
from tests.screen_harness import ScreenHarness, settle_until
from tests.test_diff_shaping import make_compare_store
from tui.screens.charts import ChartsScreen
from tui.screens.detail import DetailScreen


async def test_enter_or_p_on_a_metric_opens_the_charts_on_it(tmp_path: Path) -> None:
    ids = make_compare_store(tmp_path / "store")
    st = store.open_store(tmp_path / "store")
    app = ScreenHarness(lambda: DetailScreen(st, ids[1]))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle_until(app, pilot, lambda s: isinstance(s, DetailScreen) and s.detail is not None)
        await pilot.press("3", "down", "enter")
        await settle_until(app, pilot, lambda s: isinstance(s, ChartsScreen) and s.draws > 0)
        charts: Any = app.screen
        assert isinstance(charts, ChartsScreen) and charts.selected == ["val_acc"]
        assert charts.run_ids == [ids[1]]
        await pilot.press("escape")
        await settle_until(app, pilot, lambda s: isinstance(s, DetailScreen))
        table = app.screen.query_one("#metrics-table", DataTable)
        assert [str(r.key.value) for r in table.ordered_rows] == ["train/loss", "val_acc", "widgets"]
        await pilot.press("down", "p")
        await settle_until(app, pilot, lambda s: isinstance(s, ChartsScreen) and s.draws > 0)
        assert isinstance(app.screen, ChartsScreen) and app.screen.selected == ["widgets"]
        await pilot.press("escape", "1", "p")
        await settle_until(app, pilot, lambda s: isinstance(s, ChartsScreen) and s.draws > 0)
        assert app.screen.selected == ["train/loss", "val_acc"], "outside the metrics tab: the usual opening"
