"""Column actions of the runs screen: which columns show and what metric cells hold.

`v`, `m`, `M`, `w`, `C`, `R`: the column picker's choices per experiment selection (kept in the
user's config folder), the metric statistic per column, and sparklines read off the UI thread.
`RunsColumns` is one of the runs screen's parts (the screen's `action_*` hand these keys to it); the
choosing itself is plain code in `tui/shaping/runs_view.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from store.base import METRIC_STATS
from store.writing.system_metrics import is_system_metric

from ..messages import (
    ColumnViewsLoaded,
    ReloadRequested,
    SparksRead,
    ViewsLoaded,
)
from ..settings import load_column_views, load_views, save_column_views
from ..shaping.column_stats import COLUMN_STATS
from ..shaping.columns import EXTRAS, SPARK_WIDTH, ColumnChoice, column_label
from ..shaping.sanitize import printable
from ..shaping.spark_cells import spark_cells

if TYPE_CHECKING:
    from ..widgets.runs_table import RunsTable
    from .runs import RunsScreen


class RunsColumns:
    """Bound in `RunsScreen.BINDINGS`."""

    def __init__(self, screen: RunsScreen) -> None:
        self.screen = screen
        self.column_views: dict[str, ColumnChoice] = {}
        """Experiment selection ("" for all runs) → what the user changed in the column picker."""
        self._views_to_save: dict[str, dict[str, list[str]]] = {}
        self._sparks_in_flight: set[tuple[str, str]] = set()

    def cycle_metric_stat(self) -> None:
        stats = self.screen.store.metric_stats if self.screen.store is not None else METRIC_STATS
        if len(stats) < 2:
            self.screen.notify("This store keeps only the latest value of each metric", severity="warning")
            return
        current = self.screen.view.metric_stat
        self.screen.view.metric_stat = stats[(stats.index(current) + 1) % len(stats)] if current in stats else stats[0]
        self.screen.publish_settings()
        self.screen.post_message(ReloadRequested())
        self.screen.notify(f"Metric columns show the {self.screen.view.metric_stat} value", timeout=2)

    def cycle_column_stat(self) -> None:
        """The cursor's metric column: last -> min -> max -> best (by its direction) -> last …"""
        column = self.screen.table.current_column
        if column is None or column.kind != "metric":
            self.screen.notify("Put the cursor on a metric column first", severity="warning")
            return
        available = self.screen.store.metric_stats if self.screen.store is not None else METRIC_STATS
        stats = [s for s in COLUMN_STATS if s in available or (s == "best" and {"min", "max"} <= set(available))]
        current = self.screen.view.column_stats.get(column.key, self.screen.view.metric_stat)
        following = stats[(stats.index(current) + 1) % len(stats)] if current in stats else stats[0]
        if following == self.screen.view.metric_stat:
            self.screen.view.column_stats.pop(column.key, None)
        else:
            self.screen.view.column_stats[column.key] = following
        self.screen.publish_settings()
        self.screen.post_message(ReloadRequested())  # the poll worker reads that statistic's values
        self.screen.notify(f"{column_label(column.key)} shows its {following} value", timeout=2)

    def toggle_sparklines(self) -> None:
        self.screen.view.sparklines = not self.screen.view.sparklines
        keep = self.screen.table.current_run
        self.screen.view.update()
        self.screen.table.reload(keep_run=keep)
        self.screen.publish_settings()
        self.screen.notify("Sparklines in metric cells" if self.screen.view.sparklines else "No sparklines", timeout=2)

    def toggle_all_columns(self) -> None:
        self.screen.view.show_all_columns = not self.screen.view.show_all_columns
        self.screen.view.update()
        self.screen.refresh_table()
        self.screen.notify(
            "Showing all columns" if self.screen.view.show_all_columns else "Showing columns that vary", timeout=2
        )

    def sparks_wanted(self, event: RunsTable.SparksWanted) -> None:
        """Read the histories of the runs on screen in a worker; each (run, metric) is read once at a time."""
        todo = {key: text for key, text in event.wanted.items() if key not in self._sparks_in_flight}
        if not todo or self.screen.store is None:
            return
        self._sparks_in_flight.update(todo)
        store = self.screen.store

        def read() -> None:
            sparks: dict[tuple[str, str], tuple[str, str]] = {}
            try:
                sparks = spark_cells(store, todo, SPARK_WIDTH)
            finally:
                self.screen.post_message(SparksRead(sparks, frozenset(todo)))

        self.screen.run_worker(
            read,
            thread=True,
            group="sparks",
            exit_on_error=False,
            description="Reading metric histories for sparklines",
        )

    def sparks_read(self, message: SparksRead) -> None:
        self._sparks_in_flight.difference_update(message.asked)
        self.screen.table.set_sparks(message.sparks)

    # -- columns ---------------------------------------------------------------------------

    def choice(self) -> ColumnChoice:
        """The user's column pick for the experiments shown (automatic when none)."""
        return self.column_views.get(self._selection, ColumnChoice()).copy()

    def load_views(self) -> None:
        """Read the column picks and the saved views (`SavedViews`) in a worker; each comes back as a message."""
        path = self.screen.session.store_path

        def load() -> None:
            views = {name: ColumnChoice.from_json(data) for name, data in load_column_views(path).items()}
            self.screen.post_message(ColumnViewsLoaded(views))
            last, named = load_views(path)
            self.screen.post_message(ViewsLoaded(last, named))

        self.screen.run_worker(
            load, thread=True, group="views-load", exit_on_error=False, description="Reading your views"
        )

    def column_views_loaded(self, message: ColumnViewsLoaded) -> None:
        self.column_views = {**message.views, **self.column_views}  # a pick made while loading wins
        if self.screen.view_made:  # else the view is made with them (the first rows wait for no pandas)
            self.use_column_view()

    def _save_column_views(self) -> None:
        """Writes the newest views in a worker: of two saves racing, the one that writes last writes the latest."""

        def save() -> None:
            with self.screen.saved_views.lock:
                save_column_views(self.screen.session.store_path, self._views_to_save)

        self.screen.run_worker(
            save, thread=True, group="views-save", exit_on_error=False, description="Saving your column picks"
        )

    @property
    def _selection(self) -> str:
        return self.screen.view.experiment or ""

    def use_column_view(self, keep: str | None = None) -> None:
        """Columns as the user left them for this experiment selection (automatic if never touched);
        the cursor stays on `keep` (default: its run)."""
        self.screen.view.choice = self.choice()
        self.screen.view.update()
        self.screen.refresh_table(keep)

    def keep_choice(self, choice: ColumnChoice) -> None:
        """Remember `choice` for this experiment selection (a view being applied), without writing it."""
        self.column_views[self._selection] = choice.copy()
        if choice.is_automatic:
            self.column_views.pop(self._selection, None)

    def _set_column_view(self, choice: ColumnChoice) -> None:
        if choice.is_automatic:
            self.column_views.pop(self._selection, None)
        else:
            self.column_views[self._selection] = choice
        self.use_column_view()
        self._views_to_save = {name: c.to_json() for name, c in self.column_views.items()}
        self._save_column_views()

    def pick_columns(self) -> None:
        """The picker lists the columns shown, then the others; only what the user changes is kept."""
        from .columns import RESET, ColumnsScreen

        shown = [c.key for c in self.screen.view.columns]
        hidden = [c for c in self.screen.view.all_columns() if c not in shown]
        before = [(c, True) for c in shown] + [(c, False) for c in hidden]
        choice = self.screen.view.choice
        notes = {c: "hidden by you" for c in hidden if c in choice.hidden}
        notes.update({c: "shown by you" for c in shown if c in choice.shown})
        # Machine metrics are hidden unasked, whether they vary or not; `v` shows them.
        notes.update(
            {
                c: "machine metric (v)" if is_system_metric(c) else "does not vary"
                for c in hidden
                if c not in choice.hidden and c in self.screen.view.frame.columns and c not in EXTRAS
            }
        )

        def chosen(result: list[tuple[str, bool]] | str | None) -> None:
            if result == RESET:
                self.reset_columns()
            elif isinstance(result, list):
                self._set_column_view(self.screen.view.choice.after_picker(before, result))

        self.screen.app.push_screen(ColumnsScreen(shown, hidden, notes), chosen)

    def reset_columns(self) -> None:
        self._set_column_view(ColumnChoice())
        where = f" for {printable(self._selection)}" if self._selection else ""
        self.screen.notify(f"Columns{where} back to automatic: the ones that vary, metrics first", timeout=3)
