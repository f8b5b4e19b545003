"""Grouping actions of the runs screen (`o`, `O`, `x`, `z`, `B`, `T`, enter on a group row).

`RunsGrouping` is one of the runs screen's parts (the screen's `action_*` hand these keys to it),
so that screen keeps coordination and each family of keys has its own room; the grouping itself
is plain code in `tui/shaping/grouping.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..shaping.filter_expr import FilterError
from ..shaping.group_curves import RunGroup
from ..shaping.grouped_view import GROUP_STATS
from ..shaping.grouping import resolve_group_keys
from ..shaping.runs_view import RunsView

if TYPE_CHECKING:
    from .runs import RunsScreen

TOP_N = 3
"""How many runs of each group `T` keeps."""


class RunsGrouping:
    """Bound in `RunsScreen.BINDINGS`; the table is redrawn through the screen."""

    def __init__(self, screen: RunsScreen) -> None:
        self.screen = screen

    def _regroup(self, change: Callable[[RunsView], None], note: str | None = None) -> None:
        """Apply a grouping change (`change` sets the view's grouping settings); the cursor stays
        on its run, or its group row.

        From `FILTER_IN_WORKER_RUNS` runs on, the groups are worked out in a worker on a copy
        of the view (grouping 100,000 runs took up to a second on the UI thread): keys pressed
        meanwhile act on the table shown, and the newest grouping wins (`RunsFiltering.change_in_worker`);
        a filter applied meanwhile keeps it (one of the two is made again on the other).
        """

        def regroup(view: RunsView) -> None:
            change(view)
            view.update()

        if self.screen.filtering.in_worker():
            self.screen.filtering.change_in_worker(
                regroup, "Grouping the runs", lambda: self._say_grouped(note), grouping=True
            )
            return
        keep, label = self.screen.table.current_run, self.current_group_label()
        regroup(self.screen.view)
        self.screen.refresh_table(keep)
        self.to_group_row(label)
        self._say_grouped(note)

    def current_group_label(self) -> str | None:
        group = self.screen.table.current_group
        return self.screen.view.group_label(group) if group is not None else None

    def to_group_row(self, label: str | None) -> None:
        """Put the cursor on the row of the group labelled `label`, if it is still shown."""
        row = self.screen.view.row_of_group(label) if label is not None else None
        if row is not None:
            self.screen.table.cursor_row = row

    def _say_grouped(self, note: str | None) -> None:
        if self.screen.view.grouped is not None and self.screen.view.grouped.note:
            self.screen.notify(self.screen.view.grouped.note, severity="warning", timeout=4)
        elif note:
            self.screen.notify(note, timeout=3)

    def group_by_column(self) -> None:
        column = self.screen.table.current_column
        if column is None:
            return
        keys = list(self.screen.view.effective_group_keys)
        if column.key in keys:
            keys.remove(column.key)
        elif column.key in ("created", "ended", "duration", "name", "run_id"):
            self.screen.notify(f"Runs are not grouped by {column.label}: every run has its own", severity="warning")
            return
        else:
            keys.append(column.key)
        self.set_group_keys(tuple(keys))

    def set_group_keys(self, keys: tuple[str, ...]) -> None:
        def change(view: RunsView) -> None:
            view.group_keys = keys
            view.collapsed = set()

        names = ", ".join(self.screen.view.label(k) for k in keys)
        self._regroup(change, f"Grouped by {names}" if keys else "Not grouped")

    def group_by(self) -> None:
        from .prompt import PromptScreen

        current = ", ".join(self.screen.view.effective_group_keys)

        def chosen(text: str | None) -> None:
            if text is None:
                return
            names = [n for n in text.replace(",", " ").split() if n]
            if not names:
                self.set_group_keys(())
                return
            try:
                keys = resolve_group_keys(names, list(self.screen.view.frame.columns))
            except FilterError as exc:
                self.screen.notify(exc.message, title="Cannot group", severity="error")
                return
            self.set_group_keys(tuple(keys))

        self.screen.app.push_screen(
            PromptScreen(
                "Group runs by",
                current,
                "columns, comma-separated: lr, tags.stage, status, experiment, parent; empty: no grouping",
            ),
            chosen,
        )

    def cycle_group_stat(self) -> None:
        if not self.screen.view.effective_group_keys:
            self.screen.notify("Group the runs first (o on a column)", severity="warning")
            return
        stat = GROUP_STATS[(GROUP_STATS.index(self.screen.view.group_stat) + 1) % len(GROUP_STATS)]

        def change(view: RunsView) -> None:
            view.group_stat = stat

        self._regroup(change, "Group rows show " + ("mean ± std" if stat == "mean" else stat))

    def toggle_all_groups(self) -> None:
        grouped = self.screen.view.grouped
        if grouped is None:
            return
        collapsed = set() if self.screen.view.collapsed else set(grouped.labels)

        def change(view: RunsView) -> None:
            view.collapsed = set(collapsed)

        self._regroup(change)

    def toggle_group(self, label: str) -> None:
        collapsed = self.screen.view.collapsed ^ {label}

        def change(view: RunsView) -> None:
            view.collapsed = set(collapsed)

        self._regroup(change)

    def _set_pick(self, pick: int) -> None:
        if not self.screen.view.effective_group_keys:
            self.screen.notify("Group the runs first (o on a column)", severity="warning")
            return
        chosen = 0 if self.screen.view.pick == pick else pick

        def change(view: RunsView) -> None:
            view.pick = chosen

        what = {0: "All runs of each group", 1: "The best run of each group"}.get(
            chosen, f"The best {chosen} runs of each group"
        )
        self._regroup(
            change,
            f"{what}"
            + (
                f" by {self.screen.view.label(self.screen.view.sort_key)}"
                if chosen and self.screen.view.sort_key
                else ""
            ),
        )

    def best_per_group(self) -> None:
        self._set_pick(1)

    def top_per_group(self) -> None:
        self._set_pick(TOP_N)

    def _chosen_groups(self) -> list[RunGroup]:
        """The groups the charts and scatter take as sets of runs: the groups whose runs are all
        marked (when every mark is in one), or, with nothing marked and the cursor on a group
        row, every group in view; else none (the charts take runs)."""
        grouped = self.screen.view.grouped
        if grouped is None:
            return []
        groups = [RunGroup(label, tuple(self.screen.view.group_run_ids(g))) for g, label in enumerate(grouped.labels)]
        groups = [g for g in groups if g.run_ids]
        marks = set(self.screen.table.marks)
        if marks:
            whole = [g for g in groups if marks.issuperset(g.run_ids)]
            covered = {r for g in whole for r in g.run_ids}
            return whole if whole and covered == marks else []
        return groups if self.screen.table.current_group is not None else []

    def open_group_charts(self) -> bool:
        """`p` on groups: each group's mean in a min–max band; False when no group is chosen."""
        groups = self._chosen_groups()
        if not groups or self.screen.store is None:
            return False
        from .charts import ChartsScreen

        charts = ChartsScreen(self.screen.store, [], frame=self.screen.view.visible_frame(), groups=groups)
        self.screen.app.push_screen(charts)
        return True
