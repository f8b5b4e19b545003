"""Grouping actions of the runs screen (`o`, `O`, `x`, `z`, `B`, `T`, enter on a group row).

A mixin the runs screen inherits, so that screen keeps coordination and each family of actions
has its own room; the grouping itself is plain code in `tui/shaping/grouping.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on

from ..shaping.filter_expr import FilterError
from ..shaping.group_curves import RunGroup
from ..shaping.grouped_view import GROUP_STATS
from ..shaping.grouping import resolve_group_keys
from ..shaping.runs_view import RunsView
from ..widgets.runs_table import RunsTable
from .runs_curation import CurationActions

TOP_N = 3
"""How many runs of each group `T` keeps."""


class GroupingActions(CurationActions):
    """Bound in `RunsScreen.BINDINGS`; needs the screen's bar and settings publishing."""

    FILTER_IN_WORKER_RUNS: ClassVar[int]

    def _update_bar(self) -> None:
        raise NotImplementedError

    def _publish_settings(self) -> None:
        raise NotImplementedError

    def _change_in_worker(self, change: Callable[[RunsView], None], description: str,
                          done: Callable[[], None] | None = None, grouping: bool = False) -> None:
        raise NotImplementedError

    def _refresh_table(self, keep: str | None = None) -> None:
        raise NotImplementedError

    def _regroup(self, change: Callable[[RunsView], None], note: str | None = None) -> None:
        """Apply a grouping change (`change` sets the view's grouping settings); the cursor stays
        on its run, or its group row.

        From `FILTER_IN_WORKER_RUNS` runs on, the groups are worked out in a worker on a copy
        of the view (grouping 100,000 runs took up to a second on the UI thread): keys pressed
        meanwhile act on the table shown, and the newest grouping wins (`_change_in_worker`); a
        filter applied meanwhile keeps it (one of the two is made again on the other).
        """
        def regroup(view: RunsView) -> None:
            change(view)
            view.update()

        if len(self.view.frame) >= self.FILTER_IN_WORKER_RUNS:
            self._change_in_worker(regroup, "Grouping the runs", lambda: self._say_grouped(note), grouping=True)
            return
        keep, label = self.table.current_run, self._current_group_label()
        regroup(self.view)
        self._refresh_table(keep)
        self._to_group_row(label)
        self._say_grouped(note)

    def _current_group_label(self) -> str | None:
        group = self.table.current_group
        return self.view.group_label(group) if group is not None else None

    def _to_group_row(self, label: str | None) -> None:
        """Put the cursor on the row of the group labelled `label`, if it is still shown."""
        row = self.view.row_of_group(label) if label is not None else None
        if row is not None:
            self.table.cursor_row = row

    def _say_grouped(self, note: str | None) -> None:
        if self.view.grouped is not None and self.view.grouped.note:
            self.notify(self.view.grouped.note, severity="warning", timeout=4)
        elif note:
            self.notify(note, timeout=3)

    def action_group_by_column(self) -> None:
        column = self.table.current_column
        if column is None:
            return
        keys = list(self.view.effective_group_keys)
        if column.key in keys:
            keys.remove(column.key)
        elif column.key in ("created", "ended", "duration", "name", "run_id"):
            self.notify(f"Runs are not grouped by {column.label}: every run has its own", severity="warning")
            return
        else:
            keys.append(column.key)
        self._set_group_keys(tuple(keys))

    def _set_group_keys(self, keys: tuple[str, ...]) -> None:
        def change(view: RunsView) -> None:
            view.group_keys = keys
            view.collapsed = set()

        names = ", ".join(self.view.label(k) for k in keys)
        self._regroup(change, f"Grouped by {names}" if keys else "Not grouped")

    def action_group_by(self) -> None:
        from .prompt import PromptScreen

        current = ", ".join(self.view.effective_group_keys)

        def chosen(text: str | None) -> None:
            if text is None:
                return
            names = [n for n in text.replace(",", " ").split() if n]
            if not names:
                self._set_group_keys(())
                return
            try:
                keys = resolve_group_keys(names, list(self.view.frame.columns))
            except FilterError as exc:
                self.notify(exc.message, title="Cannot group", severity="error")
                return
            self._set_group_keys(tuple(keys))

        self.app.push_screen(PromptScreen(
            "Group runs by", current,
            "columns, comma-separated: lr, tags.stage, status, experiment, parent; empty: no grouping"), chosen)

    def action_cycle_group_stat(self) -> None:
        if not self.view.effective_group_keys:
            self.notify("Group the runs first (o on a column)", severity="warning")
            return
        stat = GROUP_STATS[(GROUP_STATS.index(self.view.group_stat) + 1) % len(GROUP_STATS)]

        def change(view: RunsView) -> None:
            view.group_stat = stat

        self._regroup(change, "Group rows show " + ("mean ± std" if stat == "mean" else stat))

    def action_toggle_all_groups(self) -> None:
        grouped = self.view.grouped
        if grouped is None:
            return
        collapsed = set() if self.view.collapsed else set(grouped.labels)

        def change(view: RunsView) -> None:
            view.collapsed = set(collapsed)

        self._regroup(change)

    def _toggle_group(self, label: str) -> None:
        collapsed = self.view.collapsed ^ {label}

        def change(view: RunsView) -> None:
            view.collapsed = set(collapsed)

        self._regroup(change)

    @on(RunsTable.GroupActivated)
    def _group_activated(self, event: RunsTable.GroupActivated) -> None:
        self._toggle_group(event.label)

    def _set_pick(self, pick: int) -> None:
        if not self.view.effective_group_keys:
            self.notify("Group the runs first (o on a column)", severity="warning")
            return
        chosen = 0 if self.view.pick == pick else pick

        def change(view: RunsView) -> None:
            view.pick = chosen

        what = {0: "All runs of each group", 1: "The best run of each group"}.get(
            chosen, f"The best {chosen} runs of each group")
        self._regroup(change, f"{what}" + (f" by {self.view.label(self.view.sort_key)}"
                                           if chosen and self.view.sort_key else ""))

    def action_best_per_group(self) -> None:
        self._set_pick(1)

    def action_top_per_group(self) -> None:
        self._set_pick(TOP_N)

    def _chosen_groups(self) -> list[RunGroup]:
        """The groups the charts and scatter take as sets of runs: the groups whose runs are all
        marked (when every mark is in one), or, with nothing marked and the cursor on a group
        row, every group in view; else none (the charts take runs)."""
        grouped = self.view.grouped
        if grouped is None:
            return []
        groups = [RunGroup(label, tuple(self.view.group_run_ids(g))) for g, label in enumerate(grouped.labels)]
        groups = [g for g in groups if g.run_ids]
        marks = set(self.table.marks)
        if marks:
            whole = [g for g in groups if marks.issuperset(g.run_ids)]
            covered = {r for g in whole for r in g.run_ids}
            return whole if whole and covered == marks else []
        return groups if self.table.current_group is not None else []

    def _open_group_charts(self) -> bool:
        """`p` on groups: each group's mean in a min–max band; False when no group is chosen."""
        groups = self._chosen_groups()
        if not groups or self.store is None:
            return False
        from .charts import ChartsScreen

        self.app.push_screen(ChartsScreen(self.store, [], frame=self.view.visible_frame(), groups=groups))
        return True
