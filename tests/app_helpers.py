"""Helpers for driving the real app: a fixed demo store, a fixed clock, reading the screen."""

from __future__ import annotations

import atexit
import html
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App
from textual.keys import _character_to_key
from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerState

from tui.app import TrackApp, make_app
from tui.demo import make_demo
from tui.screens.detail import DetailScreen
from tui.widgets.runs_table import RunsTable

NOW = 1_795_000_000.0  # a fixed "now" (2026-11-18), so "3h ago" reads the same on every run


_DEMO_TEMPLATE: list[Path] = []


def demo_store(root: Path) -> Path:
    """A fresh copy of the demo store at `root`. The demo is written once per test session
    (about a second) and copied for each test, so tests can change their copy freely."""
    if not _DEMO_TEMPLATE:
        folder = tempfile.mkdtemp(prefix="tracktui-demo-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = Path(folder) / "demo"
        make_demo(template, now=NOW)
        _DEMO_TEMPLATE.append(template)
    shutil.copytree(_DEMO_TEMPLATE[0], root, symlinks=True)
    return root


def demo_app(path: str | Path, **kwargs: object) -> TrackApp:
    return make_app(path, clock=lambda: NOW, poll_seconds=0, **kwargs)


async def settle(pilot: Pilot[Any]) -> None:
    """Let workers finish and their messages be handled."""
    for _ in range(2):
        await _workers_done(pilot.app)
        await pilot.pause()


async def _workers_done(app: Any) -> None:
    """Every worker finished. A worker cancelled meanwhile (an exclusive worker replaced by a newer
    one) makes `wait_for_complete` raise `WorkerCancelled` (a full-suite failure in
    test_media_screen): its result is dropped anyway, so wait for the others only."""
    for _ in range(50):
        live = [w for w in app.workers if w.state != WorkerState.CANCELLED]
        if not live:
            return
        try:
            await app.workers.wait_for_complete(live)
            return
        except WorkerCancelled:
            continue


async def burst(pilot: Pilot[None], *keys: str) -> None:
    """Send all keys before the app handles any of them, then wait until it has."""
    app = pilot.app
    assert app._driver is not None
    for key in keys:
        character = key if len(key) == 1 else {"space": " ", "slash": "/"}.get(key)
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        event = events.Key(key, character)
        event.set_sender(app)
        app._driver.send_message(event)
    await settle(pilot)


async def open_detail(pilot: Pilot[None], run_id: str) -> DetailScreen:
    """Open a run's detail screen, as enter does, and wait until it has read the run."""
    app = pilot.app
    assert isinstance(app, TrackApp) and app.store is not None
    app.push_screen(DetailScreen(app.store, run_id))
    await settle(pilot)
    assert isinstance(app.screen, DetailScreen)
    return app.screen


def screen_text(app: App[Any]) -> str:
    """All text on screen, as a user would read it (styles dropped)."""
    svg = app.export_screenshot()
    parts = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    return html.unescape("".join(parts)).replace("\xa0", " ")


def bar_text(app: TrackApp) -> str:
    """The runs screen's title bar, every part of it (the screen shows what fits)."""
    from textual.widgets import Static

    content = app.screen.query_one("#store-bar", Static).content
    plain = getattr(content, "plain", None)
    return plain() if callable(plain) else str(plain if plain is not None else content)


def table_lines(app: TrackApp) -> list[str]:
    """The runs table's visible lines, header first, exactly as drawn."""
    table = app.screen.query_one(RunsTable)
    return [table.render_line(y).text.rstrip() for y in range(table.scrollable_content_region.height)]


def shown_names(app: TrackApp) -> list[str]:
    table = app.screen.query_one(RunsTable)
    view = table.view
    return [str(view.frame.at[int(p), "name"]) for p in view.positions]


def table(app: TrackApp) -> RunsTable:
    return app.screen.query_one(RunsTable)


def move_to_column(app: TrackApp, key: str) -> None:
    keys = [c.key for c in table(app).view.columns]
    table(app).cursor_column = keys.index(key)
