"""The screen people live in: the runs table with its filter line and experiments list."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
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
from ..widgets.workspace import WORKSPACE_BINDINGS, Workspace
from .runs_columns import RunsColumns
from .runs_curation import RunsCuration
from .runs_experiments import RunsExperiments
from .runs_filter import FilterInput, RunsFiltering, ViewComputed
from .runs_grouping import RunsGrouping
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
    that owns it, so `BINDINGS` is the one table of keys and a key leads to one file; the poll
    worker's listings go to `listings` (`runs_listings.py`).

    It knows the store through the `Session` it is made with and the `StoreLoaded` messages
    the app's poll worker sends; it publishes its settings (`ViewSettingsChanged`) for that
    worker, and asks for a reload with `ReloadRequested`. It never reaches into the app.
    """

    CSS_PATH = "runs.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        # The footer shows these in this order and must fit 80 columns: the keys used most
        # first, then `?` (every other key) and `q`; the rest are in `?` and the palette.
        Binding("enter", "open_detail", "Detail", show=False, id="runs.detail", tooltip="Everything about this run"),
        Binding(
            "slash",
            "filter",
            "Filter",
            id="runs.filter",
            tooltip="Filter runs: free text, or expressions like mse < 5 and degree >= 2",
        ),
        Binding("space", "mark", "Mark", id="runs.mark", tooltip="Mark or unmark this run (for compare and plots)"),
        Binding("s", "sort", "Sort", id="runs.sort", tooltip="Sort by the column under the cursor; again to reverse"),
        Binding(
            "left_square_bracket",
            "sort(False)",
            "Sort ascending",
            show=False,
            id="runs.sort_ascending",
            tooltip="Sort by the column under the cursor, smallest first (visidata's [)",
        ),
        Binding(
            "right_square_bracket",
            "sort(True)",
            "Sort descending",
            show=False,
            id="runs.sort_descending",
            tooltip="Sort by the column under the cursor, largest first (visidata's ])",
        ),
        Binding(
            "c",
            "compare",
            "Compare",
            id="runs.compare",
            tooltip="Diff the marked runs (one marked: it and this run; none: the previous run and this one)",
        ),
        Binding("p", "charts", "Plot", id="runs.charts", tooltip="Metric curves of the marked runs, or of this run"),
        Binding("question_mark", "app.help", "Keys", id="runs.help", tooltip="Every key of this screen"),
        Binding("q", "app.quit", "Quit", id="runs.quit", tooltip="Quit tracktui"),
        Binding(
            "a",
            "artifacts",
            "Artifacts",
            show=False,
            id="runs.artifacts",
            tooltip="This run's artifacts (two marked: compare a file across them)",
        ),
        Binding(
            "e",
            "toggle_experiments",
            "Experiments",
            show=False,
            id="runs.experiments",
            tooltip="Show the table for one experiment",
        ),
        Binding(
            "C", "pick_columns", "Columns", show=False, id="runs.columns", tooltip="Show, hide and reorder columns"
        ),
        Binding(
            "R",
            "reset_columns",
            "Reset columns to automatic",
            show=False,
            id="runs.reset_columns",
            tooltip="Back to the columns that vary",
        ),
        Binding(
            "v",
            "toggle_all_columns",
            "All columns",
            show=False,
            id="runs.all_columns",
            tooltip="All columns, or only those that vary",
        ),
        Binding(
            "m",
            "cycle_metric_stat",
            "Last/min/max",
            show=False,
            id="runs.metric_stat",
            tooltip="Metric columns show the last, min or max value",
        ),
        Binding(
            "M",
            "cycle_column_stat",
            "This metric: last/min/max/best",
            show=False,
            id="runs.column_stat",
            tooltip="The metric column under the cursor shows its last, min, max or best value",
        ),
        Binding(
            "w",
            "toggle_sparklines",
            "Sparklines",
            show=False,
            id="runs.sparklines",
            tooltip="Metric cells start with a sparkline of the run's history (read for the rows on screen)",
        ),
        Binding("u", "clear_marks", "Unmark all", show=False, id="runs.unmark", tooltip="Unmark every run"),
        Binding(
            "ctrl+a",
            "mark_all",
            "Mark all in view",
            show=False,
            id="runs.mark_all",
            tooltip="Mark every run the filter shows (on a group row: that group's runs)",
        ),
        Binding(
            "exclamation_mark",
            "next_attention",
            "Next run needing a look",
            show=False,
            id="runs.attention",
            tooltip="Jump to the next run flagged ! (NaN or inf in a metric, gone quiet, just failed or crashed)",
        ),
        Binding(
            "i",
            "media",
            "Images",
            show=False,
            id="runs.media",
            tooltip="Images logged per step (log_image) of the marked runs, or of this run",
        ),
        Binding(
            "o",
            "group_by_column",
            "Group by this column",
            show=False,
            id="runs.group",
            tooltip="Group runs by the column under the cursor (again: stop grouping by it)",
        ),
        Binding(
            "O",
            "group_by",
            "Group by…",
            show=False,
            id="runs.group_by",
            tooltip="Group runs by columns you name (lr, tags.stage, status, parent); empty: no grouping",
        ),
        Binding(
            "x",
            "cycle_group_stat",
            "Group rows: mean/min/max/median",
            show=False,
            id="runs.group_stat",
            tooltip="What group rows show per metric: mean ± std, min, max or median",
        ),
        Binding(
            "z",
            "toggle_all_groups",
            "Collapse/expand all groups",
            show=False,
            id="runs.collapse_all",
            tooltip="Collapse every group, or expand them all (enter on a group row: that one)",
        ),
        Binding(
            "B",
            "best_per_group",
            "Best per group",
            show=False,
            id="runs.best",
            tooltip="Only the best run of each group by the sort column (again: all runs)",
        ),
        Binding(
            "T",
            "top_per_group",
            "Top 3 per group",
            show=False,
            id="runs.top",
            tooltip="Only the best 3 runs of each group by the sort column (again: all runs)",
        ),
        Binding(
            "t",
            "edit_tags",
            "Edit tags",
            show=False,
            id="runs.tags",
            tooltip="Add, change or remove tags of this run or the marked runs",
        ),
        Binding(
            "N",
            "edit_note",
            "Write a note",
            show=False,
            id="runs.note",
            tooltip="A Markdown note on this run or the marked runs",
        ),
        Binding("r", "rename", "Rename run", show=False, id="runs.rename", tooltip="Give this run a new name"),
        Binding(
            "d",
            "delete",
            "Delete to trash",
            show=False,
            id="runs.delete",
            tooltip="Move this run or the marked runs to the store's trash (asks first)",
        ),
        Binding(
            "D",
            "restore",
            "Restore from trash",
            show=False,
            id="runs.restore",
            tooltip="Bring back the runs just deleted, or the deleted runs here; else list the trash",
        ),
        Binding(
            "V",
            "pick_view",
            "Views…",
            show=False,
            id="runs.views",
            tooltip="Pick a saved view, or reset the view to automatic",
        ),
        Binding(
            "S",
            "save_view",
            "Save view as…",
            show=False,
            id="runs.save_view",
            tooltip="Name this view (filter, sort, columns, grouping, statistics) to pick it again",
        ),
        Binding(
            "L",
            "models",
            "Models",
            show=False,
            id="runs.models",
            tooltip="Registered models, their versions and source runs; logged models",
        ),
        Binding(
            "escape",
            "clear_filter",
            "Clear filter",
            show=False,
            id="runs.clear_filter",
            tooltip="Clear the filter, or close the experiments list",
        ),
        *WORKSPACE_BINDINGS,
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.store: RunStore | None = None
        """The store, once the app's first poll has opened it."""
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
            store=self.store,
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
