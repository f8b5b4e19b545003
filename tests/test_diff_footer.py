"""The diff's footer at 80 columns keeps `?` (issue 9 item 15: found by hand, it was missing)."""

from __future__ import annotations

from pathlib import Path

from tests.app_helpers import demo_app, screen_text, settle
from tui.screens.diff import DiffScreen


async def test_diff_footer_fits_80_columns_with_keys_visible(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "space", "space", "space", "c")
        await settle(pilot)
        assert isinstance(app.screen, DiffScreen)
        footer = screen_text(app).splitlines()[-1]
        assert "? Keys" in footer and "esc Back" in footer, footer
        await pilot.press("q")  # q goes back one screen (visidata's habit), Q quits
        await settle(pilot)
        assert not isinstance(app.screen, DiffScreen) and app.is_running
