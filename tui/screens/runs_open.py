"""The runs screen's ways out: the detail, compare, charts, images and artifacts of the runs
the user chose (marked in view, or the cursor's), each opened as its own screen.

A mixin the runs screen inherits; screens are imported where they open, so the runs screen
loads fast and the screens stay independent.
"""

from __future__ import annotations

from textual import on, work

from ..messages import (
    ArtifactsRead,
)
from ..widgets.runs_table import RunsTable
from .runs_columns import ColumnActions


class OpenActions(ColumnActions):
    """Bound in `RunsScreen.BINDINGS` (`enter`, `c`, `p`, `i`, `a`)."""

    def action_open_detail(self) -> None:
        group = self.table.current_group
        if group is not None:
            self._toggle_group(self.view.group_label(group))
        else:
            self._open_detail(self.table.current_run)

    @on(RunsTable.Activated)
    def _run_activated(self, event: RunsTable.Activated) -> None:
        self._open_detail(event.run_id)

    def _open_detail(self, run_id: str | None) -> None:
        if run_id is None or self.store is None:
            return
        from .detail import DetailScreen

        run_ids = [str(r) for r in self.view.visible_frame()["run_id"]]
        detail = DetailScreen(self.store, run_id, run_ids, poll_seconds=self.session.poll_seconds)
        self.app.push_screen(detail, self._detail_closed)

    def _detail_closed(self, run_id: str | None) -> None:
        """Back from the detail: the cursor goes to the run it showed last (after `n`/`N`)."""
        row = self.view.row_of(run_id)
        if row is not None:
            self.table.cursor_row = row

    def _chosen_runs(self) -> list[str]:
        """Marked runs in the order they were marked; none marked: the previous run in the table, then this one."""
        if self.table.marks:
            return list(self.table.marks)
        row = self.table.cursor_row
        rows = (row - 1, row) if row > 0 else (row, row + 1)
        ids = [self.view.run_id_at(r) for r in rows]
        return [r for r in ids if r is not None]

    def _runs_to_compare(self) -> tuple[list[str], str | None]:
        """The runs `c` diffs, and a note when marks were left out.

        Marks the filter or the experiment hides are left out (a diff of runs the user cannot
        see surprises), and the note says how many. With exactly one marked run in view and the
        cursor on another, those two are compared; with none marked, the previous run and this one.
        """
        marks = list(self.table.marks)
        if not marks:
            return self._chosen_runs(), None
        in_view = [run_id for run_id in marks if self.view.row_of(run_id) is not None]
        hidden = len(marks) - len(in_view)
        note = f"{len(marks)} marked, {hidden} not in view: left out" if hidden else None
        current = self.table.current_run
        if len(in_view) == 1 and current is not None and current != in_view[0]:
            in_view.append(current)
        return in_view, note

    def action_compare(self) -> None:
        runs, note = self._runs_to_compare()
        if len(runs) < 2 or self.store is None:
            message = "Compare needs two runs: mark them with space"
            self.notify(f"{note}. {message}" if note else message, severity="warning")
            return
        from .diff import DiffScreen

        self.app.push_screen(DiffScreen(self.store, runs, note=note))

    def action_charts(self) -> None:
        if self._open_group_charts():
            return
        runs = self._chosen_runs() if self.table.marks else [r for r in [self.table.current_run] if r]
        if not runs or self.store is None:
            return
        from .charts import ChartsScreen

        self.app.push_screen(ChartsScreen(self.store, runs, frame=self.view.visible_frame()))

    def action_media(self) -> None:
        runs = self._chosen_runs() if self.table.marks else [r for r in [self.table.current_run] if r]
        if runs and self.store is not None:
            from .media import MediaScreen

            self.app.push_screen(MediaScreen(self.store, runs))

    def action_models(self) -> None:
        if self.store is not None:
            from .models import ModelsScreen

            self.app.push_screen(ModelsScreen(self.store, self.view.frame, self.view.sort_key))

    def action_artifacts(self) -> None:
        """This run's artifacts; with exactly two runs marked, those two, to compare a file across them."""
        run_id = self.table.current_run
        marks = list(self.table.marks)
        if len(marks) == 2:
            first, other = (marks if run_id != marks[1] else marks[::-1])
            self.open_artifacts(first, other)
            return
        if len(marks) > 2:
            self.notify("Artifacts compare two runs; showing this run alone", timeout=3)
        if run_id is not None:
            self.open_artifacts(run_id, None)

    @work(thread=True, exclusive=True, group="open-artifacts", exit_on_error=False, description="Opening artifacts")
    def open_artifacts(self, run_id: str, other_id: str | None) -> None:
        if self.store is None:
            return
        detail = self.store.run(run_id)
        other = self.store.run(other_id) if other_id else None
        self.post_message(ArtifactsRead(detail, other))

    @on(ArtifactsRead)
    def _artifacts_read(self, message: ArtifactsRead) -> None:
        from .artifacts import ArtifactsScreen

        self.app.push_screen(ArtifactsScreen(message.detail, other=message.other))
