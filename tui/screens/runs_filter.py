"""The runs screen's filter line: typing, applying, clearing; on a big table, typing filters in a worker.

On 100,000 runs one filter costs a tenth of a second or more, too much for every key: from
`FILTER_IN_WORKER_RUNS` runs on, a filter is applied `FILTER_PAUSE` seconds after the last key,
computed in a worker on a copy of the view (`RunsView.fork`), and a result for an older text
is dropped (the newest text wins). Enter applies the text at once, so keys typed after it
(`j`, `c`, enter) act on the rows it shows. `RunsFiltering` is one of the runs screen's parts (the
screen's `action_*` hand `/` and escape to it); `FilterInput` is the line itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from rich.text import Text
from textual import events
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static

from ..shaping.filter_expr import Filter, FilterError, parse_filter
from ..shaping.runs_view import RunsView
from ..shaping.view_settings import ViewSettings

if TYPE_CHECKING:
    from .runs import RunsScreen

FILTER_PAUSE = 0.15
"""Seconds after the last key before a typed filter applies on a big table."""


@dataclass
class ViewComputed(Message):
    """A view a worker made from a fork of the table's view (see `RunsFiltering.change_in_worker`)."""

    job: int
    view: RunsView
    base: ViewSettings
    """The table's settings when the job started: a result made from other settings is stale."""
    change: Callable[[RunsView], None]
    description: str
    done: Callable[[], None] | None = None
    """Called once the table shows the result (a grouping's notes)."""
    grouping: bool = False
    """A grouping's job: dropped only for a newer grouping, so a filter applied meanwhile keeps it."""


class FilterInput(Input):
    """The filter line, where enter applies the filter and moves the focus before the next key is handled.

    In `/ lr > 1 enter j j` typed in one burst, the `j`s reach the app (or this input) before
    a `Submitted` message would be handled, and were typed into the filter. So enter does its
    work where it is handled: as the key arrives here (keys sent while this input had focus),
    or in the submit binding (keys sent to the table before `/` moved the focus, which the app
    types in here, see `TrackApp.on_key`). Keys that arrive after that go on up to the app,
    whose bindings then act on the filtered table."""

    def __init__(self, on_enter: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._entered = on_enter

    async def _on_key(self, event: events.Key) -> None:
        if self.screen.focused is not self:
            event.prevent_default()  # typed after enter: not text for this line (Input's handler skipped)
            return  # ... and it bubbles on to the app's bindings
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self._entered(self.value)
            return
        await super()._on_key(event)

    async def action_submit(self) -> None:
        self._entered(self.value)


class RunsFiltering:
    """`/`, typing in the filter line, enter there, and escape; the table is redrawn through the screen."""

    FILTER_IN_WORKER_RUNS = 20_000
    """From this many runs on, typed filters (and groupings, and views) wait for a pause and are computed
    in a worker."""

    def __init__(self, screen: RunsScreen) -> None:
        self.screen = screen
        self.good_filter = ""
        """The last text typed that parsed: the table keeps its runs while the text does not parse."""
        self._refresh_error = False
        self._filter_timer: Timer | None = None
        self._view_job = 0
        """The newest view job; a worker's result for an older one is dropped."""
        self._group_job = 0
        """The same for grouping: a grouping and a filter computed together both land, one redone on the other."""

    def in_worker(self) -> bool:
        """Whether the table is big enough that its changes are computed in a worker."""
        return len(self.screen.view.frame) >= self.FILTER_IN_WORKER_RUNS

    def open(self) -> None:
        """Open the filter line, focus it and select its text, so typing replaces it.

        Selected here, not by the input when its focus event comes: keys typed ahead of
        that event are typed into the input at once (see TrackApp.on_key), and a late
        select-all would make the next key replace them.
        """
        self.screen.query_one("#filter-bar").display = True
        filter_input = self.screen.query_one("#filter", Input)
        self.screen.set_focus(filter_input)
        filter_input.select_all()

    def changed(self, event: Input.Changed) -> None:
        """Apply as the user types; a bad expression shows why and the table keeps the last text that parsed.

        A search counts (words alone): after `degree`, `degree <` keeps the degree runs on screen
        rather than jumping back to every run until `degree < 3` parses.
        """
        if self._parse_typed(event.value) is False:
            self._set_filter(self.good_filter)
            return
        self.good_filter = event.value
        self._set_filter(event.value)

    def _parse_typed(self, text: str) -> Filter | Literal[False] | None:
        """The filter `text` says (None for none), or False after showing why it does not parse."""
        error = self.screen.query_one("#filter-error", Static)
        self._refresh_error = False
        try:
            parsed = parse_filter(text, list(self.screen.view.frame.columns)) if text.strip() else None
        except FilterError as exc:
            pointer = " " * (exc.position + 1) + "^ " if exc.position is not None else ""
            error.update(Text(f"{pointer}{exc.message}", style="bold"))
            error.display = True
            return False
        error.display = False
        return parsed

    def _set_filter(self, text: str, at_once: bool = False) -> None:
        """Show the runs `text` matches: now on a small table (or `at_once`), else after a pause, in a worker."""
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
        if at_once or not self.in_worker():
            self._view_job += 1  # a filter still computing for an older text must not land after this one
            if text == self.screen.view.filter_text:
                return
            keep = self.screen.table.current_run
            try:
                self.screen.view.set_filter(text)
            except FilterError:
                return  # the last good one no longer applies either (a refresh removed its field)
            self.screen.refresh_table(keep)
            return
        self._view_job += 1
        if text == self.screen.view.filter_text:
            return  # typed back to what is shown: nothing to compute, and older jobs are dropped
        self._filter_timer = self.screen.set_timer(
            FILTER_PAUSE, lambda: self.change_in_worker(lambda view: view.set_filter(text), "Filtering the runs")
        )

    def change_in_worker(
        self,
        change: Callable[[RunsView], None],
        description: str,
        done: Callable[[], None] | None = None,
        grouping: bool = False,
    ) -> None:
        """Apply `change` to a copy of the view in a worker; the table swaps to it if nothing newer of
        its kind (`grouping` or not) came (then `done` runs)."""
        if grouping:
            self._group_job += 1
            job = self._group_job
        else:
            self._filter_timer = None
            self._view_job += 1
            job = self._view_job
        base, view = self.screen.view.settings(), self.screen.view.fork()

        def work() -> None:
            try:
                change(view)
            except FilterError:
                return  # the store changed under a filter being typed: the next key or refresh says why
            view.prepare_rows()
            self.screen.post_message(ViewComputed(job, view, base, change, description, done, grouping))

        self.screen.run_worker(work, thread=True, group="runs-view", description=description, exit_on_error=False)

    def view_computed(self, message: ViewComputed) -> None:
        if message.job != (self._group_job if message.grouping else self._view_job):
            return  # a newer text (or enter, or escape; or grouping) came after this job started
        if message.view.frame is not self.screen.view.frame or message.base != self.screen.view.settings():
            # A refresh or another key (a sort, a grouping) changed the table meanwhile: redo it on that.
            self.change_in_worker(message.change, message.description, message.done, message.grouping)
            return
        self.screen.show_view(message.view)
        if message.done is not None:
            message.done()

    def entered(self, value: str) -> None:
        """Enter in the filter line: apply the text at once (keys after enter act on the rows it
        shows) and go back to the table; a text that does not parse stays, with why."""
        if self._parse_typed(value) is False:
            return
        self._set_filter(value, at_once=True)
        self.good_filter = self.screen.view.filter_text
        self.screen.set_focus(self.screen.table)
        if not self.screen.view.filter_text:
            self.screen.query_one("#filter-bar").display = False

    def show_text(self, text: str) -> None:
        """Put `text` in the filter line as the last good filter, without applying it (a view being applied does)."""
        self.good_filter = text
        filter_input = self.screen.query_one("#filter", Input)
        with filter_input.prevent(Input.Changed):
            filter_input.value = text
        self.screen.query_one("#filter-bar").display = bool(text)
        self.screen.query_one("#filter-error").display = False

    def show_refresh_error(self) -> None:
        """A filter that stopped applying after a refresh says why; the table keeps what it matched."""
        error = self.screen.query_one("#filter-error", Static)
        view = self.screen.view
        if view.filter_error is not None:
            error.update(
                Text(f"{view.filter_error} — the store changed; showing the runs it matched before", style="bold")
            )
            error.display = True
            self.screen.query_one("#filter-bar").display = True
            self._refresh_error = True
        elif self._refresh_error:
            error.display = False
            self._refresh_error = False

    def clear(self) -> None:
        """Escape: close the experiments list if it has focus, else clear and close the filter."""
        options = self.screen.query_one("#experiments", OptionList)
        filter_input = self.screen.query_one("#filter", Input)
        filter_open = bool(filter_input.value) or self.screen.query_one("#filter-bar").display
        if options.display and (options.has_focus or not filter_open):
            options.display = False
        elif filter_open:
            with filter_input.prevent(Input.Changed):
                filter_input.value = ""
            self.good_filter = ""
            self._set_filter("", at_once=True)
            self.screen.query_one("#filter-error").display = False
            self.screen.query_one("#filter-bar").display = False
        self.screen.set_focus(self.screen.table)
