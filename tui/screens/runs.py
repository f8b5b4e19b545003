"""The screen people live in: the runs table with its filter line and experiments list."""

from __future__ import annotations

import threading
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from store import RunStore

from ..messages import (
    ForwardsWorkerFailures,
    ReloadRequested,
    StoreLoaded,
    StoreMissing,
    StoreProgress,
    ViewSettingsChanged,
)
from ..session import Session
from ..shaping.columns import ColumnChoice
from ..shaping.runs_view import RunsView
from ..shaping.sanitize import printable
from ..theme import theme_style
from ..widgets.fitted_line import FittedLine
from ..widgets.runs_table import RunsTable
from .runs_filter import FilterActions, FilterInput
from .runs_marks import RunsMarks

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


AGE_SECONDS = 5.0
"""How often the ages on screen (`3m ago`) are redrawn: a quiet store is not re-listed, yet its ages advance."""
PREPARE_AFTER = 0.5
"""Seconds after a listing is shown before its sort and filter columns are prepared (`_prepare_view`)."""


class RunsScreen(ForwardsWorkerFailures, FilterActions):
    """Table of runs; keys sort, filter, mark, and open the other screens.

    It knows the store through the `Session` it is made with and the `StoreLoaded` messages
    the app's poll worker sends; it publishes its settings (`ViewSettingsChanged`) for that
    worker, and asks for a reload with `ReloadRequested`. It never reaches into the app.
    """

    CSS_PATH = "runs.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        # The footer shows these in this order and must fit 80 columns: the keys used most
        # first, then `?` (every other key) and `q`; the rest are in `?` and the palette.
        Binding("enter", "open_detail", "Detail", show=False, id="runs.detail", tooltip="Everything about this run"),
        Binding("slash", "filter", "Filter", id="runs.filter",
                tooltip="Filter runs: free text, or expressions like mse < 5 and degree >= 2"),
        Binding("space", "mark", "Mark", id="runs.mark", tooltip="Mark or unmark this run (for compare and plots)"),
        Binding("s", "sort", "Sort", id="runs.sort", tooltip="Sort by the column under the cursor; again to reverse"),
        Binding("left_square_bracket", "sort(False)", "Sort ascending", show=False, id="runs.sort_ascending",
                tooltip="Sort by the column under the cursor, smallest first (visidata's [)"),
        Binding("right_square_bracket", "sort(True)", "Sort descending", show=False, id="runs.sort_descending",
                tooltip="Sort by the column under the cursor, largest first (visidata's ])"),
        Binding("c", "compare", "Compare", id="runs.compare",
                tooltip="Diff the marked runs (one marked: it and this run; none: the previous run and this one)"),
        Binding("p", "charts", "Plot", id="runs.charts", tooltip="Metric curves of the marked runs, or of this run"),
        Binding("question_mark", "app.help", "Keys", id="runs.help", tooltip="Every key of this screen"),
        Binding("q", "app.quit", "Quit", id="runs.quit", tooltip="Quit tracktui"),
        Binding("a", "artifacts", "Artifacts", show=False, id="runs.artifacts",
                tooltip="This run's artifacts (two marked: compare a file across them)"),
        Binding("e", "toggle_experiments", "Experiments", show=False, id="runs.experiments",
                tooltip="Show the table for one experiment"),
        Binding("C", "pick_columns", "Columns", show=False, id="runs.columns",
                tooltip="Show, hide and reorder columns"),
        Binding("R", "reset_columns", "Reset columns to automatic", show=False, id="runs.reset_columns",
                tooltip="Back to the columns that vary"),
        Binding("v", "toggle_all_columns", "All columns", show=False, id="runs.all_columns",
                tooltip="All columns, or only those that vary"),
        Binding("m", "cycle_metric_stat", "Last/min/max", show=False, id="runs.metric_stat",
                tooltip="Metric columns show the last, min or max value"),
        Binding("M", "cycle_column_stat", "This metric: last/min/max/best", show=False, id="runs.column_stat",
                tooltip="The metric column under the cursor shows its last, min, max or best value"),
        Binding("w", "toggle_sparklines", "Sparklines", show=False, id="runs.sparklines",
                tooltip="Metric cells start with a sparkline of the run's history (read for the rows on screen)"),
        Binding("u", "clear_marks", "Unmark all", show=False, id="runs.unmark", tooltip="Unmark every run"),
        Binding("ctrl+a", "mark_all", "Mark all in view", show=False, id="runs.mark_all",
                tooltip="Mark every run the filter shows (on a group row: that group's runs)"),
        Binding("exclamation_mark", "next_attention", "Next run needing a look", show=False, id="runs.attention",
                tooltip="Jump to the next run flagged ! (NaN or inf in a metric, gone quiet, just failed or crashed)"),
        Binding("i", "media", "Images", show=False, id="runs.media",
                tooltip="Images logged per step (log_image) of the marked runs, or of this run"),
        Binding("o", "group_by_column", "Group by this column", show=False, id="runs.group",
                tooltip="Group runs by the column under the cursor (again: stop grouping by it)"),
        Binding("O", "group_by", "Group by…", show=False, id="runs.group_by",
                tooltip="Group runs by columns you name (lr, tags.stage, status, parent); empty: no grouping"),
        Binding("x", "cycle_group_stat", "Group rows: mean/min/max/median", show=False, id="runs.group_stat",
                tooltip="What group rows show per metric: mean ± std, min, max or median"),
        Binding("z", "toggle_all_groups", "Collapse/expand all groups", show=False, id="runs.collapse_all",
                tooltip="Collapse every group, or expand them all (enter on a group row: that one)"),
        Binding("B", "best_per_group", "Best per group", show=False, id="runs.best",
                tooltip="Only the best run of each group by the sort column (again: all runs)"),
        Binding("T", "top_per_group", "Top 3 per group", show=False, id="runs.top",
                tooltip="Only the best 3 runs of each group by the sort column (again: all runs)"),
        Binding("t", "edit_tags", "Edit tags", show=False, id="runs.tags",
                tooltip="Add, change or remove tags of this run or the marked runs"),
        Binding("N", "edit_note", "Write a note", show=False, id="runs.note",
                tooltip="A Markdown note on this run or the marked runs"),
        Binding("r", "rename", "Rename run", show=False, id="runs.rename", tooltip="Give this run a new name"),
        Binding("d", "delete", "Delete to trash", show=False, id="runs.delete",
                tooltip="Move this run or the marked runs to the store's trash (asks first)"),
        Binding("D", "restore", "Restore from trash", show=False, id="runs.restore",
                tooltip="Bring back the runs just deleted, or the deleted runs here; else list the trash"),
        Binding("V", "pick_view", "Views…", show=False, id="runs.views",
                tooltip="Pick a saved view, or reset the view to automatic"),
        Binding("S", "save_view", "Save view as…", show=False, id="runs.save_view",
                tooltip="Name this view (filter, sort, columns, grouping, statistics) to pick it again"),
        Binding("L", "models", "Models", show=False, id="runs.models",
                tooltip="Registered models, their versions and source runs; logged models"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="runs.clear_filter",
                tooltip="Clear the filter, or close the experiments list"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.store: RunStore | None = None
        """The store, once the app's first poll has opened it."""
        self.view = RunsView(now=session.now(), group_keys=None)
        self.experiments: dict[str, int] = {}
        self.total = 0
        self._good_filter = ""
        self._refresh_error = False
        self._search_notice: str | None = None
        self.column_views: dict[str, ColumnChoice] = {}
        """Experiment selection ("" for all runs) → what the user changed in the column picker."""
        self._views_to_save: dict[str, dict[str, list[str]]] = {}
        self._save_lock = threading.Lock()
        self._experiments_key: tuple[object, ...] | None = None
        self.named_views: dict[str, dict[str, object]] = {}
        self._views_ready = False
        self._sparks_in_flight: set[tuple[str, str]] = set()
        self._pending_view: dict[str, object] | None = None
        """The last view, read but not yet applied (it waits for the first listing)."""
        self._last_view_timer: Timer | None = None
        self._last_saved: dict[str, object] | None = None
        self._list_inside_filter = False
        """The experiments list was opened while the filter was open: escape closes the list first."""
        self.kept_marks = RunsMarks(self)
        """Marks kept across restarts; `!`."""

    def compose(self) -> ComposeResult:
        yield Static(id="store-bar")
        with Horizontal(id="main"):
            yield OptionList(id="experiments")
            with Vertical(id="table-pane"):
                yield RunsTable(self.view, id="runs")
                yield Static(id="welcome")
                yield Static(id="loading")
        with Vertical(id="filter-bar"):
            yield FilterInput(self._filter_entered,
                              placeholder="filter: text, or  metrics.mse < 5 and params.degree >= 2", id="filter",
                        select_on_focus=False)
            yield Static(id="filter-error")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#experiments").display = False
        self.query_one("#filter-bar").display = False
        self.query_one("#welcome").display = False
        self.query_one("#loading", Static).update(Text(f"Reading {printable(self.session.where)} …"))
        self._load_column_views()
        self._update_bar()
        self.query_one(RunsTable).focus()
        self.set_interval(AGE_SECONDS, lambda: self.table.refresh_ages(self.session.now()))
        self.kept_marks.read()

    # -- data in ---------------------------------------------------------------------------

    def on_store_loaded(self, message: StoreLoaded) -> None:
        """Swap in the view the poll worker made; here only what the rows on screen need.

        On 100,000 runs, filtering, sorting, choosing columns and finding the cursor's run
        take a second; all of it happened in the worker (`RunsView.from_settings`).
        """
        table = self.query_one(RunsTable)
        keep = table.current_run
        self.store = message.store
        self.view.deleted_listed = bool(getattr(message.store, "include_deleted", False))
        if message.view is not None and message.settings == self.view.settings():
            self.view = table.view = message.view  # computed in the worker: nothing to do here
            view = message.view
            self.set_timer(PREPARE_AFTER, lambda: self._prepare_view(view))
        elif message.view is not None and len(self.view.frame):
            # The user changed sort or filter while the worker ran: the table keeps its view, and
            # the worker makes the next one with the settings published now.
            self._publish_settings()
            self.post_message(ReloadRequested())
            return
        else:  # the first listing
            self.view.now = self.session.now()
            self.view.set_frame(message.frame)
        self.experiments = message.experiments
        self._say_what_the_search_left_out(message.store)
        self.total = len(message.frame)
        self.query_one("#loading").display = False
        empty = self.total == 0
        self.query_one("#welcome").display = empty
        table.display = not empty
        if empty:
            root = printable(self.session.where)
            self.query_one("#welcome", Static).update(Text(WELCOME.format(root=root)))
        key = (tuple(message.experiments.items()), self.total)
        if key != self._experiments_key:  # a live refresh every 2 s must not rebuild the list under the user
            self._experiments_key = key
            self._update_experiments()
        table.attention = message.attention
        self.kept_marks.keep_listed(message.frame)
        table.reload(keep_run=keep)
        self._show_refresh_error()
        self._update_bar()
        if self._pending_view is not None:
            self._restore_last_view()
        self._publish_settings()

    def _say_what_the_search_left_out(self, store: RunStore) -> None:
        """A folder search that did not search everything says so once, and the bar keeps saying it."""
        from store.multi import MultiStore

        notice = store.notice if isinstance(store, MultiStore) else None
        if notice and notice != self._search_notice:
            self.notify(f"Runs there may be missing: {printable(notice)}", title="Folder search cut short",
                        severity="warning", timeout=20, markup=False)
        self._search_notice = notice

    def _prepare_view(self, view: RunsView) -> None:
        """Name sort codes and free-text columns of a new listing, made in a worker a moment after the
        table painted it: made in the poll worker, or right after the paint, they held the interpreter
        (a few tenths of a second on 100,000 runs) while the first paint and the first keys waited."""
        if view is not self.view:
            return  # a newer listing or change came meanwhile; its own turn prepares it
        self.run_worker(view.prepare, thread=True, group="runs-prepare", description="Preparing the runs table",
                        exit_on_error=False)

    def _publish_settings(self) -> None:
        """Tell the app's poll worker what to build the next view with; remember it as the last view."""
        self.post_message(ViewSettingsChanged(self.view.settings()))
        self._schedule_last_view_save()

    def _show_refresh_error(self) -> None:
        """A filter that stopped applying after a refresh says why; the table keeps what it matched."""
        error = self.query_one("#filter-error", Static)
        if self.view.filter_error is not None:
            error.update(Text(f"{self.view.filter_error} — the store changed; showing the runs it matched before",
                              style="bold"))
            error.display = True
            self.query_one("#filter-bar").display = True
            self._refresh_error = True
        elif self._refresh_error:
            error.display = False
            self._refresh_error = False

    def on_store_progress(self, message: StoreProgress) -> None:
        self.query_one("#loading", Static).update(Text(printable(message.text)))

    def on_store_missing(self, message: StoreMissing) -> None:
        self.query_one("#loading").display = False
        self.query_one(RunsTable).display = False
        welcome = self.query_one("#welcome", Static)
        welcome.display = True
        text = Text(WELCOME.format(root=message.path))
        if message.error:
            text = Text(f"{message.error}\n\n", style="bold") + text
        welcome.update(text)
        self._update_bar()

    def _update_bar(self) -> None:
        table = self.query_one(RunsTable)
        running = self.view.running
        # (text, priority): at 80 columns the least needed give way first, the count and sort last
        count = f"{len(self.view.positions)}/{self.total} run{'s' if self.total != 1 else ''}"
        parts: list[tuple[str, int]] = [(count, 0)]
        if running:
            parts.append((f"{running} running", 2))
        if table.marks:
            parts.append((f"{len(table.marks)} marked", 2))
        why = table.attention.get(table.current_run or "")
        if why or table.attention:
            parts.append((f"! {printable(why)}" if why else f"{len(table.attention)} need a look (!)", 1))
        if self.view.experiment is not None:
            parts.append((f"experiment: {printable(self.view.experiment)}", 3))
        if self.view.metric_stat != "last":
            parts.append((f"metrics: {self.view.metric_stat}", 4))
        grouped = self.view.grouped
        if grouped is not None:
            stat = "mean ± std" if self.view.group_stat == "mean" else self.view.group_stat
            pick = {0: "", 1: ", best of each"}.get(self.view.pick, f", top {self.view.pick} of each")
            parts.append((f"{len(grouped.labels)} groups ({stat}{pick})", 3))
        if not self.view.choice.is_automatic:
            parts.append(("columns: picked (R: automatic)", 5))
        if self.view.sort_key:
            parts.append((f"sort: {self.view.sort_key} {'▼' if self.view.sort_descending else '▲'}", 1))
        if self._search_notice:
            parts.append(("not every folder searched", 4))
        kind = self.store.kind if self.store is not None else "tracktui"
        line = [(Text(f" {kind} ", style="bold reverse"), 0)]
        line += [(Text((" · " if i else " ") + text, style="bold"), rank) for i, (text, rank) in enumerate(parts)]
        stale = getattr(self.store, "stale", "")  # a tracking server that failed: the listing is the cached one
        if stale:
            warning = theme_style(self.app, "warning", bold=True)
            line.append((Text(f"  stale listing: {printable(stale)}", style=warning), 0))
        line.append((Text(f"  {printable(self.session.where)}", style="dim"), 9))
        self.query_one("#store-bar", Static).update(FittedLine(line))

    def _update_experiments(self) -> None:
        options = self.query_one("#experiments", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_option(Option(Text(f"all ({self.total})"), id="\0all"))
        for name, count in self.experiments.items():
            options.add_option(Option(Text(f"{printable(name)} ({count})"), id=name))
        if highlighted is not None and highlighted < options.option_count:
            options.highlighted = highlighted

    # -- actions ---------------------------------------------------------------------------

    def _refresh_table(self, keep: str | None = None) -> None:
        self.table.reload(keep_run=keep or self.table.current_run)
        self._update_bar()
        self._publish_settings()

    def action_mark(self) -> None:
        self.table.toggle_mark()
        self.table.action_cursor_down()
        self.kept_marks.changed()

    def action_clear_marks(self) -> None:
        self.table.marks.clear()
        self.table.refresh()
        self.kept_marks.changed()

    def action_mark_all(self) -> None:
        self.kept_marks.mark_all()

    def action_next_attention(self) -> None:
        self.kept_marks.next_attention()

    @on(RunsTable.CursorMoved)
    def _cursor_moved(self) -> None:
        if self.table.attention:
            self._update_bar()  # the bar says why the cursor's run is flagged

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
        self._refresh_table(keep)

    @on(RunsTable.HeaderClicked)
    def _header_clicked(self, event: RunsTable.HeaderClicked) -> None:
        self._sort_by(event.column)

    def action_toggle_experiments(self) -> None:
        """Show and focus the list; if it is shown but not focused, focus it; if focused, hide it."""
        options = self.query_one("#experiments", OptionList)
        if options.display and options.has_focus:
            options.display = False
            self.set_focus(self.table)
        else:
            if not options.display:
                self._list_inside_filter = bool(self.query_one("#filter-bar").display)
            options.display = True
            if options.highlighted is None and options.option_count:
                options.highlighted = 0
            self.set_focus(options)

    def action_clear_filter(self) -> None:
        """Escape closes the innermost thing first: the experiments list when it has the focus or
        was opened after the filter (picking an experiment leaves it open), else the filter."""
        options = self.query_one("#experiments", OptionList)
        if options.display and (options.has_focus or self._list_inside_filter):
            options.display = False
            self.set_focus(self.table)
            return
        super().action_clear_filter()

    @on(OptionList.OptionSelected, "#experiments")
    def _experiment_chosen(self, event: OptionList.OptionSelected) -> None:
        chosen = event.option.id
        keep = self.table.current_run
        self.view.experiment = None if chosen == "\0all" else chosen
        self.view.choice = self.column_views.get(self._selection, ColumnChoice()).copy()
        self.view.update()
        self._refresh_table(keep)
        self.set_focus(self.table)

    def action_toggle_all_columns(self) -> None:
        self.view.show_all_columns = not self.view.show_all_columns
        self.view.update()
        self._refresh_table()
        self.notify("Showing all columns" if self.view.show_all_columns else "Showing columns that vary",
                    timeout=2)
