"""SVG snapshots of the runs table, the filter with an error, run detail (80x24 and 120x40) and the workspace.

Review changes with `pytest --snapshot-update` only after reading the report's diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.app_helpers import demo_app, settle

SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_runs_table(snap_compare, demo: Path, size: tuple[int, int]) -> None:
    async def ready(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("j", "space", "j", "j", "space")

    assert snap_compare(demo_app("demo"), run_before=ready, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_filter_with_error(snap_compare, demo: Path, size: tuple[int, int]) -> None:
    async def ready(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("slash", *"mse < 1 and (deg")

    assert snap_compare(demo_app("demo"), run_before=ready, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_run_detail(snap_compare, demo: Path, size: tuple[int, int]) -> None:
    async def ready(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("j", "j", "enter")
        await settle(pilot)

    assert snap_compare(demo_app("demo"), run_before=ready, terminal_size=size)


def test_column_picker(snap_compare, demo: Path) -> None:
    async def ready(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("C", "G")  # the bottom: columns hidden because they do not vary, with why
        await pilot.pause()

    assert snap_compare(demo_app("demo"), run_before=ready, terminal_size=(80, 24))


def test_grouped_table(snap_compare, demo: Path) -> None:
    """Grouped by status, sorted by train/loss: group rows with count and mean ± std, runs under them."""

    async def ready(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("O", *"status", "enter")
        await settle(pilot)
        await pilot.press("l", "l", "l", "s", "g")

    assert snap_compare(demo_app("demo"), run_before=ready, terminal_size=(80, 24))


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_workspace(snap_compare, demo: Path, size: tuple[int, int]) -> None:
    """The workspace (W): three classifiers marked, the cursor on a fourth, its curves highlighted."""

    async def ready(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("W", "j", "j", "space", "space", "space")
        await settle(pilot)
        await settle(pilot)

    assert snap_compare(demo_app("demo"), run_before=ready, terminal_size=size)
