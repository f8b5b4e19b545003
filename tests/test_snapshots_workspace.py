"""SVG snapshots of the runs screen's workspace on the demo store (80x24 and 160x48).

Review changes with `pytest --snapshot-update` only after reading the report's diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.app_helpers import demo_app, settle

SIZES = [(80, 24), (160, 48)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_workspace(snap_compare, demo: Path, size: tuple[int, int]) -> None:
    """Three classifiers marked, the cursor on a fourth: its curves highlighted, the others dimmed."""

    async def ready(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("W", "j", "j", "space", "space", "space")
        await settle(pilot)
        await settle(pilot)

    assert snap_compare(demo_app("demo"), run_before=ready, terminal_size=size)
