"""`tracktui demo`'s first screen at 80x24 tells a story: several metrics, with values in most rows."""

from __future__ import annotations

from pathlib import Path

import pytest

import tui.app
from tests.app_helpers import demo_app, settle, table_lines
from tui.cli import main
from tui.widgets.runs_table import RunsTable


async def test_the_demo_opens_on_a_table_of_several_filled_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    opened: list[Path] = []

    class NotRun:
        return_code = 0

        def run(self) -> None:
            pass

    def capture(path: Path, **kwargs: object) -> NotRun:
        opened.append(Path(path))
        return NotRun()

    monkeypatch.setattr(tui.app, "make_app", capture)
    assert main(["demo", str(tmp_path / "demo")]) == 0
    assert len(opened) == 1
    app = demo_app(opened[0])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        header = table_lines(app)[0]
        view = app.screen.query_one(RunsTable).view
        shown = [c for c in view.columns if c.key.startswith("metrics.") and c.label in header]
        assert len(shown) >= 3, header  # on screen, not scrolled off to the right
        metric_at = [i for i, c in enumerate(view.columns) if c in shown]
        filled = [row for row in range(view.row_count) if any(view.cells(row)[i].strip() for i in metric_at)]
        assert view.row_count >= 8 and len(filled) >= 0.8 * view.row_count
