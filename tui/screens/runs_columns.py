"""Column actions of the runs screen: which columns show and what metric cells hold.

`v`, `m`, `M`, `w`, `C`, `R`: the column picker's choices per experiment selection (kept in the
user's config folder), the metric statistic per column, and sparklines read off the UI thread.
A mixin the runs screen inherits; the choosing itself is plain code in `tui/shaping/runs_view.py`.
"""

from __future__ import annotations

from textual import on, work

from store import RunStore
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
from ..widgets.runs_table import RunsTable
from .runs_saved_views import SavedViewActions


class ColumnActions(SavedViewActions):
    """Bound in `RunsScreen.BINDINGS`."""

    _views_to_save: dict[str, dict[str, list[str]]]
    _sparks_in_flight: set[tuple[str, str]]

    def _refresh_table(self, keep: str | None = None) -> None:
        raise NotImplementedError

    def action_cycle_metric_stat(self) -> None:
        stats = self.store.metric_stats if self.store is not None else METRIC_STATS
        if len(stats) < 2:
            self.notify("This store keeps only the latest value of each metric", severity="warning")
            return
        current = self.view.metric_stat
        self.view.metric_stat = stats[(stats.index(current) + 1) % len(stats)] if current in stats else stats[0]
        self._publish_settings()
        self.post_message(ReloadRequested())
        self.notify(f"Metric columns show the {self.view.metric_stat} value", timeout=2)

    def action_cycle_column_stat(self) -> None:
        """The cursor's metric column: last -> min -> max -> best (by its direction) -> last …"""
        column = self.table.current_column
        if column is None or column.kind != "metric":
            self.notify("Put the cursor on a metric column first", severity="warning")
            return
        available = self.store.metric_stats if self.store is not None else METRIC_STATS
        stats = [s for s in COLUMN_STATS if s in available or (s == "best" and {"min", "max"} <= set(available))]
        current = self.view.column_stats.get(column.key, self.view.metric_stat)
        following = stats[(stats.index(current) + 1) % len(stats)] if current in stats else stats[0]
        if following == self.view.metric_stat:
            self.view.column_stats.pop(column.key, None)
        else:
            self.view.column_stats[column.key] = following
        self._publish_settings()
        self.post_message(ReloadRequested())  # the poll worker reads that statistic's values
        self.notify(f"{column_label(column.key)} shows its {following} value", timeout=2)

    def action_toggle_sparklines(self) -> None:
        self.view.sparklines = not self.view.sparklines
        keep = self.table.current_run
        self.view.update()
        self.table.reload(keep_run=keep)
        self._publish_settings()
        self.notify("Sparklines in metric cells" if self.view.sparklines else "No sparklines", timeout=2)

    @on(RunsTable.SparksWanted)
    def _sparks_wanted(self, event: RunsTable.SparksWanted) -> None:
        """Read the histories of the runs on screen in a worker; each (run, metric) is read once at a time."""
        todo = {key: text for key, text in event.wanted.items() if key not in self._sparks_in_flight}
        if not todo or self.store is None:
            return
        self._sparks_in_flight.update(todo)
        self._read_sparks(self.store, todo)

    @work(thread=True, group="sparks", exit_on_error=False, description="Reading metric histories for sparklines")
    def _read_sparks(self, store: RunStore, todo: dict[tuple[str, str], str]) -> None:
        sparks: dict[tuple[str, str], tuple[str, str]] = {}
        try:
            sparks = spark_cells(store, todo, SPARK_WIDTH)
        finally:
            self.post_message(SparksRead(sparks, frozenset(todo)))

    @on(SparksRead)
    def _sparks_read(self, message: SparksRead) -> None:
        self._sparks_in_flight.difference_update(message.asked)
        self.table.set_sparks(message.sparks)

    # -- columns ---------------------------------------------------------------------------

    @work(thread=True, group="views-load", exit_on_error=False, description="Reading your views")
    def _load_column_views(self) -> None:
        views = {name: ColumnChoice.from_json(data)
                 for name, data in load_column_views(self.session.store_path).items()}
        self.post_message(ColumnViewsLoaded(views))
        last, named = load_views(self.session.store_path)
        self.post_message(ViewsLoaded(last, named))

    @on(ColumnViewsLoaded)
    def _column_views_loaded(self, message: ColumnViewsLoaded) -> None:
        self.column_views = {**message.views, **self.column_views}  # a pick made while loading wins
        self._use_column_view()

    @work(thread=True, group="views-save", exit_on_error=False, description="Saving your column picks")
    def _save_column_views(self) -> None:
        """Writes the newest views: of two saves racing, the one that writes last writes the latest."""
        with self._save_lock:
            save_column_views(self.session.store_path, self._views_to_save)

    @property
    def _selection(self) -> str:
        return self.view.experiment or ""

    def _use_column_view(self) -> None:
        """Columns as the user left them for this experiment selection (automatic if never touched)."""
        self.view.choice = self.column_views.get(self._selection, ColumnChoice()).copy()
        self.view.update()
        self._refresh_table()

    def _set_column_view(self, choice: ColumnChoice) -> None:
        if choice.is_automatic:
            self.column_views.pop(self._selection, None)
        else:
            self.column_views[self._selection] = choice
        self._use_column_view()
        self._views_to_save = {name: c.to_json() for name, c in self.column_views.items()}
        self._save_column_views()

    def action_pick_columns(self) -> None:
        """The picker lists the columns shown, then the others; only what the user changes is kept."""
        from .columns import RESET, ColumnsScreen

        shown = [c.key for c in self.view.columns]
        hidden = [c for c in self.view.all_columns() if c not in shown]
        before = [(c, True) for c in shown] + [(c, False) for c in hidden]
        choice = self.view.choice
        notes = {c: "hidden by you" for c in hidden if c in choice.hidden}
        notes.update({c: "shown by you" for c in shown if c in choice.shown})
        # Machine metrics are hidden unasked, whether they vary or not; `v` shows them.
        notes.update({c: "machine metric (v)" if is_system_metric(c) else "does not vary" for c in hidden
                      if c not in choice.hidden and c in self.view.frame.columns and c not in EXTRAS})

        def chosen(result: list[tuple[str, bool]] | str | None) -> None:
            if result == RESET:
                self.action_reset_columns()
            elif isinstance(result, list):
                self._set_column_view(self.view.choice.after_picker(before, result))

        self.app.push_screen(ColumnsScreen(shown, hidden, notes), chosen)

    def action_reset_columns(self) -> None:
        self._set_column_view(ColumnChoice())
        where = f" for {printable(self._selection)}" if self._selection else ""
        self.notify(f"Columns{where} back to automatic: the ones that vary, metrics first", timeout=3)
