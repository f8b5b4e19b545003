"""A stand-in app that opens one screen, and a bounded wait until that screen has settled.

The diff and charts screens are tested on their own, pushed the way the runs table
pushes them, without a store listing in between.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import WorkerCancelled, WorkerFailed


class ScreenHarness(App[None]):
    def __init__(self, make_screen: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        self.make_screen = make_screen

    def on_mount(self) -> None:
        # Pushed after the first refresh, as the real app does from its runs table: a screen
        # pushed while the app is still starting can miss its first layout.
        self.call_after_refresh(lambda: self.push_screen(self.make_screen()))


def footer_ready(app: App[Any]) -> bool:
    """The Footer fills in its keys asynchronously; a snapshot taken before that shows none."""
    footers = app.screen.query(Footer)
    return bool(footers) and bool(footers.first().query("FooterKey"))


async def settle_until(app: App[Any], pilot: Pilot[Any], ready: Callable[[Screen[Any]], bool]) -> None:
    """Wait until `ready(screen)` and no worker is busy (no sleeps: bounded polling)."""
    for _ in range(500):
        try:
            await app.workers.wait_for_complete()
        except (WorkerCancelled, WorkerFailed):  # replaced by a newer request, or reported on screen
            pass
        await pilot.pause()
        if footer_ready(app) and ready(app.screen) and all(w.is_finished for w in app.workers):
            await pilot.pause()
            if all(w.is_finished for w in app.workers):
                return
    raise AssertionError("the screen did not settle")
