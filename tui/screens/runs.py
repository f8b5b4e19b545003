"""The screen people live in: the runs table with its filter line and experiments list."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Static

from store import RunStore

from ..messages import (
    ArtifactsRead,
    ColumnViewsLoaded,
    FirstListed,
    ForwardsWorkerFailures,
    SparksRead,
    StoreLoaded,
    StoreMissing,
    StoreProgress,
    ViewSettingsChanged,
    ViewsLoaded,
)
from ..session import Session
from ..shaping.first_listing import FirstListing
from ..shaping.runs_view import RunsView
from ..shaping.sanitize import printable
from ..widgets.runs_bar import RunsBar
from ..widgets.runs_table import RunsTable
from ..widgets.workspace import Workspace
from .runs_columns import RunsColumns
from .runs_curation import RunsCuration
from .runs_experiments import RunsExperiments
from .runs_filter import FilterInput, RunsFiltering, ViewComputed
from .runs_grouping import RunsGrouping
from .runs_keys import RUNS_BINDINGS
from .runs_listings import RunsListings
from .runs_marks import RunsMarks
from .runs_open import RunsOpening
from .runs_saved_views import SavedViews
from .runs_workspace import RunsWorkspace

AGE_SECONDS = 5.0
"""How often the ages on screen (`3m ago`) are redrawn: a quiet store is not re-listed, yet its ages advance."""


class RunsScreen(ForwardsWorkerFailures, Screen[None]):
    """Table of runs; keys sort, filter, mark, and open the other screens.

    The screen holds the store, the view, the table and the bar; each family of keys is a part
    it holds (`filtering`, `opening`, `columns`, `grouping`, `saved_views`, `curation`,
    `experiments`, `marking`, each in its `runs_*.py`), and each `action_*` here hands its key to the part
    that owns it, so `BINDINGS` (`runs_keys.py`) is the one table of keys and a key leads to one file; the poll
    worker's listings go to `listings` (`runs_listings.py`).

    It knows the store through the `Session` it is made with and the `StoreLoaded` messages
    the app's poll worker sends; it publishes its settings (`ViewSettingsChanged`) for that
    worker, and asks for a reload with `ReloadRequested`. It never reaches into the app.
    """

    CSS_PATH = "runs.tcss"

    BINDINGS: ClassVar[list[BindingType]] = RUNS_BINDINGS

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.store: RunStore | None = None
        """The store, once the app's first poll has opened it."""
        self.first_store: RunStore | None = None
        """The store whose first rows are shown before its frame is in (`first_listing`): the bar names its kind."""
        self._view: RunsView | None = None
        self.total = 0
        self.filtering = RunsFiltering(self)
        self.opening = RunsOpening(self)
        self.columns = RunsColumns(self)
        self.grouping = RunsGrouping(self)
        self.saved_views = SavedViews(self)
        self.curation = RunsCuration(self)
        self.experiments = RunsExperiments(self)
        self.marking = RunsMarks(self)
        self.workspace = RunsWorkspace(self)
        self.listings = RunsListings(self)

    @property
    def view(self) -> RunsView:
        """The view the keys change, made on first use: a small store's first rows are a `FirstListing`
        in the table, drawn before pandas is imported (the table shows this view once a frame is in)."""
        if self._view is None:
            self._view = RunsView(now=self.session.now(), group_keys=None)
            self._view.choice = self.columns.choice()  # the picks read before the view was made
        return self._view

    @view.setter
    def view(self, view: RunsView) -> None:
        self._view = view

    @property
    def view_made(self) -> bool:
        return self._view is not None

    def compose(self) -> ComposeResult:
        yield RunsBar(id="store-bar")
        with Horizontal(id="main"):
            yield OptionList(id="experiments")
            with Vertical(id="table-pane"):
                yield RunsTable(FirstListing(now=self.session.now()), id="runs")
                yield Static(id="welcome")
                yield Static(id="loading")
            yield Workspace(id="workspace")
        with Vertical(id="filter-bar"):
            yield FilterInput(
                self.filtering.entered,
                placeholder="filter: text, or  metrics.mse < 5 and params.degree >= 2",
                id="filter",
                select_on_focus=False,
            )
            yield Static(id="filter-error")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#experiments").display = False
        self.query_one("#filter-bar").display = False
        self.query_one("#welcome").display = False
        self.query_one("#loading", Static).update(Text(f"Reading {printable(self.session.where)} …"))
        self.columns.load_views()
        self.marking.read()
        self.workspace.load()
        self.update_bar()
        self.query_one(RunsTable).focus()
        self.set_interval(AGE_SECONDS, lambda: self.table.refresh_ages(self.session.now()))

    # -- data in ---------------------------------------------------------------------------

    def on_store_loaded(self, message: StoreLoaded) -> None:
        self.listings.loaded(message)

    def publish_settings(self) -> None:
        """Tell the app's poll worker what to build the next view with; remember it as the last view."""
        self.post_message(ViewSettingsChanged(self.view.settings()))
        self.saved_views.schedule_last_view_save()

    def on_first_listed(self, message: FirstListed) -> None:
        self.listings.first_listed(message)

    def on_store_progress(self, message: StoreProgress) -> None:
        self.listings.progress(message)

    def on_store_missing(self, message: StoreMissing) -> None:
        self.listings.missing(message)

    def update_bar(self) -> None:
        table = self.table
        self.query_one(RunsBar).show(
            self._view or table.shown,  # before the frame is in: the first rows, or nothing yet
            total=self.total,
            marked=len(table.marks),
            store=self.store if self.store is not None else self.first_store,
            where=self.session.where,
            attention=table.attention,
            current=table.current_run,
        )

    # -- the table, for every part -----------------------------------------------------------

    @property
    def table(self) -> RunsTable:
        return self.query_one(RunsTable)

    def refresh_table(self, keep: str | None = None) -> None:
        """Redraw the table from the view (the cursor stays on `keep`, default its run) and publish the settings."""
        self.table.reload(keep_run=keep or self.table.current_run)
        self.update_bar()
        self.publish_settings()

    def show_view(self, view: RunsView) -> None:
        """Show `view`, made in a worker; the cursor stays on its run, or its group row."""
        keep, label = self.table.current_run, self.grouping.current_group_label()
        self.view = self.table.view = view
        self.refresh_table(keep)
        self.grouping.to_group_row(label)

    # -- keys of the screen itself: marks and sort ------------------------------------------

    def action_mark(self) -> None:
        self.table.toggle_mark()
        self.table.action_cursor_down()
        self.marking.changed()
        self.workspace.follow()

    def action_clear_marks(self) -> None:
        self.table.marks.clear()
        self.table.refresh()
        self.marking.changed()
        self.workspace.follow()

    def action_mark_all(self) -> None:
        self.marking.mark_all()
        self.workspace.follow()

    def action_next_attention(self) -> None:
        self.marking.next_attention()

    def action_sort(self, descending: bool | None = None) -> None:
        """`s` sorts by the cursor's column and reverses on a second press; `[` and `]` pick the direction."""
        column = self.table.current_column
        if column is not None:
            self._sort_by(column.key, descending)

    def _sort_by(self, key: str, descending: bool | None = None) -> None:
        """The cursor stays on its run (the table scrolls to it); `g` goes to the top."""
        keep = self.table.current_run
        if descending is None:
            self.view.set_sort(key)
        else:
            self.view.sort_key, self.view.sort_descending = key, descending
            self.view.update()
        self.refresh_table(keep)

    @on(RunsTable.HeaderClicked)
    def _header_clicked(self, event: RunsTable.HeaderClicked) -> None:
        self._sort_by(event.column)

    # -- keys the parts own: one line each ------------------------------------------------------

    def action_open_detail(self) -> None:
        self.opening.open_detail_or_group()

    def action_filter(self) -> None:
        self.filtering.open()

    def action_clear_filter(self) -> None:
        if not self.experiments.close_first():
            self.filtering.clear()

    def action_toggle_experiments(self) -> None:
        self.experiments.toggle()

    def action_compare(self) -> None:
        self.opening.compare()

    def action_charts(self) -> None:
        self.opening.charts()

    def action_artifacts(self) -> None:
        self.opening.artifacts()

    def action_pick_columns(self) -> None:
        self.columns.pick_columns()

    def action_reset_columns(self) -> None:
        self.columns.reset_columns()

    def action_toggle_all_columns(self) -> None:
        self.columns.toggle_all_columns()

    def action_cycle_metric_stat(self) -> None:
        self.columns.cycle_metric_stat()

    def action_cycle_column_stat(self) -> None:
        self.columns.cycle_column_stat()

    def action_toggle_sparklines(self) -> None:
        self.columns.toggle_sparklines()

    def action_media(self) -> None:
        self.opening.media()

    def action_group_by_column(self) -> None:
        self.grouping.group_by_column()

    def action_group_by(self) -> None:
        self.grouping.group_by()

    def action_cycle_group_stat(self) -> None:
        self.grouping.cycle_group_stat()

    def action_toggle_all_groups(self) -> None:
        self.grouping.toggle_all_groups()

    def action_best_per_group(self) -> None:
        self.grouping.best_per_group()

    def action_top_per_group(self) -> None:
        self.grouping.top_per_group()

    def action_edit_tags(self) -> None:
        self.curation.edit_tags()

    def action_edit_note(self) -> None:
        self.curation.edit_note()

    def action_rename(self) -> None:
        self.curation.rename()

    def action_delete(self) -> None:
        self.curation.delete()

    def action_restore(self) -> None:
        self.curation.restore()

    def action_pick_view(self) -> None:
        self.saved_views.pick_view()

    def action_save_view(self) -> None:
        self.saved_views.save_view()

    def action_models(self) -> None:
        self.opening.models()

    def action_toggle_workspace(self) -> None:
        self.workspace.toggle()

    def action_workspace(self, command: str, *args: int) -> None:
        self.workspace.command(command, *args)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.workspace.acts(action)

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """Extra command palette entries: each saved view, and the automatic one."""
        return self.saved_views.palette_commands()

    # -- messages the parts own ---------------------------------------------------------------

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filtering.changed(event)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.filtering.entered(event.value)

    @on(ViewComputed)
    def _view_computed(self, message: ViewComputed) -> None:
        self.filtering.view_computed(message)

    @on(RunsTable.CursorMoved)
    def _cursor_moved(self) -> None:
        if self.table.attention:
            self.update_bar()  # the bar says why the cursor's run is flagged
        self.workspace.follow()

    @on(RunsTable.Activated)
    def _run_activated(self, event: RunsTable.Activated) -> None:
        self.opening.open_detail(event.run_id)

    @on(ArtifactsRead)
    def _artifacts_read(self, message: ArtifactsRead) -> None:
        self.opening.artifacts_read(message)

    @on(RunsTable.GroupActivated)
    def _group_activated(self, event: RunsTable.GroupActivated) -> None:
        self.grouping.toggle_group(event.label)

    @on(RunsTable.SparksWanted)
    def _sparks_wanted(self, event: RunsTable.SparksWanted) -> None:
        self.columns.sparks_wanted(event)

    @on(SparksRead)
    def _sparks_read(self, message: SparksRead) -> None:
        self.columns.sparks_read(message)

    @on(ColumnViewsLoaded)
    def _column_views_loaded(self, message: ColumnViewsLoaded) -> None:
        self.columns.column_views_loaded(message)

    @on(OptionList.OptionSelected, "#experiments")
    def _experiment_chosen(self, event: OptionList.OptionSelected) -> None:
        self.experiments.chosen(event)

    @on(ViewsLoaded)
    def _views_loaded(self, message: ViewsLoaded) -> None:
        self.saved_views.views_loaded(message)

    def on_unmount(self) -> None:
        self.saved_views.unmounted()
        self.marking.unmounted()
