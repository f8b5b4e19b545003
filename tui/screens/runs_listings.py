"""The runs screen's listings in: the view the app's poll worker made, its progress, a missing store.

`RunsListings` is one of the runs screen's parts: the screen's `on_store_*` handlers hand the poll
worker's messages to it. It swaps in what the worker made and shows the welcome or loading text;
the filtering, sorting and column choosing of 100,000 runs already happened in the worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from store.process import release_freed_memory

from ..messages import FirstListed, FrameShown, ReloadRequested, StoreLoaded, StoreMissing, StoreProgress
from ..shaping.first_listing import FirstListing
from ..shaping.runs_view import RunsView
from ..shaping.sanitize import printable
from ..widgets.runs_bar import RunsBar
from ..widgets.runs_table import RunsTable

if TYPE_CHECKING:
    from .runs import RunsScreen

WELCOME = """\
No runs here yet.

Log a first run from Python:

    import store
    with store.start_run(experiment="hello", root="{root}") as run:
        run.log_params({{"lr": 0.1}})
        for step in range(100):
            run.log_metric("loss", 1 / (step + 1))

It appears here as soon as it starts. Or try `tracktui demo`.
"""

PREPARE_AFTER = 0.5
"""Seconds after a listing is shown before its sort and filter columns are prepared (`prepare`)."""


class RunsListings:
    """Handles `StoreLoaded`, `StoreProgress` and `StoreMissing` for the screen."""

    def __init__(self, screen: RunsScreen) -> None:
        self.screen = screen
        self._shown = False
        """Whether a listing's view has been shown (the keys held before it are pressed once it is)."""

    def loaded(self, message: StoreLoaded) -> None:
        """Swap in the view the poll worker made; here only what the rows on screen need.

        On 100,000 runs, filtering, sorting, choosing columns and finding the cursor's run
        take a second; all of it happened in the worker (`RunsView.from_settings`).
        """
        screen = self.screen
        table = screen.query_one(RunsTable)
        keep = table.current_run
        partial = message.reading is not None
        first_rows = isinstance(table.shown, FirstListing)  # replaced below: keys held meanwhile may act then
        screen.query_one(RunsBar).reading = message.reading
        if partial and message.settings != screen.view.settings() and len(screen.view.frame):
            # The user sorted or filtered the runs shown while the rest is read: the next batch is made
            # with the settings published now (no new poll: this one is still reading).
            screen.publish_settings()
            screen.update_bar()
            return
        screen.store = message.store
        screen.view.deleted_listed = bool(getattr(message.store, "include_deleted", False))
        if message.view is not None and message.settings == screen.view.settings():
            screen.view = table.view = message.view  # computed in the worker: nothing to do here
            view = message.view
            if not partial:  # a partial listing's view is replaced soon: its codes would be made for nothing
                screen.set_timer(PREPARE_AFTER, lambda: self.prepare(view))
        elif message.view is not None and len(screen.view.frame):
            # The user changed sort or filter while the worker ran: the table keeps its view, and
            # the worker makes the next one with the settings published now.
            screen.publish_settings()
            screen.post_message(ReloadRequested())
            return
        else:  # the first listing
            screen.view.now = screen.session.now()
            screen.view.set_frame(message.frame)
            table.view = screen.view  # it held the first rows (`first_listed`), or none
        if first_rows or not self._shown:  # the keys held meanwhile act on it now
            self._shown = True
            screen.post_message(FrameShown())
        screen.query_one(RunsBar).search_notice(message.store)
        screen.total = len(message.frame)
        screen.query_one("#loading").display = False
        empty = screen.total == 0
        screen.query_one("#welcome").display = empty
        table.display = not empty
        if empty:
            root = printable(screen.session.where)
            screen.query_one("#welcome", Static).update(Text(WELCOME.format(root=root)))
        screen.experiments.listed(message.experiments, screen.total)
        table.attention = message.attention
        if not partial:  # marks of runs not read yet stay
            screen.marking.keep_listed(message.frame)
        table.reload(keep_run=keep)
        screen.filtering.show_refresh_error()
        screen.update_bar()
        if partial:
            return  # the last view, and the charts of the runs, once every run is read
        screen.saved_views.restore_last_view()
        screen.publish_settings()
        screen.workspace.follow(live=True)

    def first_listed(self, message: FirstListed) -> None:
        """Paint a small store's first rows, made without pandas, then ask for the frame that replaces them.

        The frame's view shows the same rows, order and columns, so the swap moves nothing; keys
        wait for it (the app holds them). Not when a key already changed the view: its settings
        are not those the rows were laid out with."""
        screen = self.screen
        if not screen.view_made and screen.store is None:
            table, listing = screen.table, message.listing
            table.view = listing
            table.attention = message.attention
            screen.first_store = message.store
            screen.total = listing.row_count
            screen.query_one("#loading").display = False
            table.display = True
            table.reload()
            bar = screen.query_one(RunsBar)
            bar.reading = message.reading
            bar.show(
                listing,
                total=listing.row_count,
                marked=0,
                store=message.store,
                where=screen.session.where,
                attention=table.attention,
                current=table.current_run,
            )
        if message.reading is None:  # else the listing goes on: its frame comes with the next batch
            screen.call_after_refresh(screen.post_message, ReloadRequested())

    def prepare(self, view: RunsView) -> None:
        """Name sort codes and free-text columns of a new listing, made in a worker a moment after the
        table painted it: made in the poll worker, or right after the paint, they held the interpreter
        (a few tenths of a second on 100,000 runs) while the first paint and the first keys waited.

        Not for the runs a first listing has read so far: at up to half of 100,000 runs, their codes
        were made while the whole listing was being read and built, the peak of a first open, and
        dropped with the view a moment later."""
        if view is not self.screen.view:
            return  # a newer listing or change came meanwhile; its own turn prepares it

        def prepare() -> None:
            view.prepare()
            release_freed_memory()  # its passes over 100,000 runs leave tens of MB freed

        self.screen.run_worker(
            prepare, thread=True, group="runs-prepare", description="Preparing the runs table", exit_on_error=False
        )

    def progress(self, message: StoreProgress) -> None:
        bar = self.screen.query_one(RunsBar)
        if message.reading is not None:
            if bar.reading is not None:  # not after the complete listing, which may come first
                bar.reading = message.reading
                self.screen.update_bar()
            return
        self.screen.query_one("#loading", Static).update(Text(printable(message.text)))

    def missing(self, message: StoreMissing) -> None:
        screen = self.screen
        screen.query_one("#loading").display = False
        screen.query_one(RunsTable).display = False
        welcome = screen.query_one("#welcome", Static)
        welcome.display = True
        text = Text(WELCOME.format(root=message.path))
        if message.error:
            text = Text(f"{message.error}\n\n", style="bold") + text
        welcome.update(text)
        screen.update_bar()
