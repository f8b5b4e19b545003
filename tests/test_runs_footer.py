"""The runs screen's footer at 80 columns: every key it shows is whole, `?` among them."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tests.app_helpers import demo_app, screen_text, settle


async def test_footer_fits_80_columns_most_used_keys_first(demo: Path) -> None:
    """Failed before: `a Artifacts` and the palette hint overlapped `? Keys` at 80 columns."""
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        keys = list(app.screen.query_one(Footer).query(FooterKey))
        palette = [k for k in keys if k.has_class("-command-palette")]
        shown = [k for k in keys if not k.has_class("-command-palette")]
        assert [k.description for k in shown][:2] == ["Filter", "Mark"]
        assert {"Keys", "Quit"} <= {k.description for k in shown}
        right = palette[0].region.x if palette else 80
        assert all(k.region.right <= right for k in shown), [(k.description, k.region) for k in shown]
        footer = screen_text(app).splitlines()[-1]
        assert "? Keys" in footer and "q Quit" in footer


async def test_footer_shortcuts_do_not_duplicate_palette_entries(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert titles.count("Keys") == 1 and titles.count("Quit") == 1
        assert "Reset columns to automatic" in titles
