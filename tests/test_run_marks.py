"""The runs table's mark wears the run's session colour: the same as the charts' legend and the diff header."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest
from rich.segment import Segment
from rich.text import Text

from tests.app_helpers import demo_app, settle, table
from tui.app import TrackApp
from tui.screens.charts import ChartsScreen
from tui.shaping.curves import DISTINCT_MARKERS, marker_glyph
from tui.shaping.run_colors import COLORBLIND, run_colors
from tui.widgets.run_legend import RunLegend, theme_palette


def mark_segment(app: TrackApp, run_id: str) -> Segment:
    """The mark gutter's segment on `run_id`'s row, as drawn."""
    runs = table(app)
    row = runs.view.row_of(run_id)
    assert row is not None
    line = runs.render_line(row + 1 - int(runs.scroll_offset.y))  # + 1: the header
    return next(iter(line))


def mark_rgb(segment: Segment) -> tuple[int, int, int]:
    assert segment.style is not None and segment.style.color is not None
    triplet = segment.style.color.get_truecolor()
    return triplet.red, triplet.green, triplet.blue


async def test_marks_wear_the_colour_the_charts_legend_gives_each_run(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("space", "j", "j", "space")
        first, second = list(table(app).marks)
        palette = theme_palette(app.theme_variables)
        colours = run_colors(app).colors([first, second], palette)
        assert colours[0] != colours[1]
        assert mark_segment(app, first).text.strip() == "●"
        assert [mark_rgb(mark_segment(app, first)), mark_rgb(mark_segment(app, second))] == colours
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ChartsScreen)
        legend = cast(Text, app.screen.query_one(RunLegend).render())
        styles = {str(span.style) for span in legend.spans}
        assert {f"rgb({r},{g},{b})" for r, g, b in colours} <= styles
        await pilot.press("b")  # the colour-blind palette, chosen in the charts
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        slots = [run_colors(app).slot(r) for r in (first, second)]
        assert [mark_rgb(mark_segment(app, r)) for r in (first, second)] == [COLORBLIND[s] for s in slots]


async def test_under_no_color_a_mark_is_the_runs_own_chart_marker(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = demo_app("demo")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert app.no_color
        await pilot.press("space", "j", "space", "j", "space")
        marks = list(table(app).marks)
        glyphs = [mark_segment(app, r).text.strip() for r in marks]
        assert len(set(glyphs)) == 3, glyphs
        assert glyphs == [marker_glyph(DISTINCT_MARKERS[run_colors(app).slot(r)]) for r in marks]
