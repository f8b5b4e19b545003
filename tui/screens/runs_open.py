"""The runs screen's ways out: the detail, compare, charts, images and artifacts of the runs
the user chose (marked in view, or the cursor's), each opened as its own screen.

`RunsOpening` is one of the runs screen's parts (the screen's `action_*` hand these keys to it); screens
are imported where they open, so the runs screen
loads fast and the screens stay independent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..messages import ArtifactsRead

if TYPE_CHECKING:
    from .runs import RunsScreen


class RunsOpening:
    """Bound in `RunsScreen.BINDINGS` (`enter`, `c`, `p`, `i`, `a`, `L`)."""

    def __init__(self, screen: RunsScreen) -> None:
        self.screen = screen

    def open_detail_or_group(self) -> None:
        """Enter: the detail of the cursor's run; on a group row, collapse or expand that group."""
        group = self.screen.table.current_group
        if group is not None:
            self.screen.grouping.toggle_group(self.screen.view.group_label(group))
        else:
            self.open_detail(self.screen.table.current_run)

    def open_detail(self, run_id: str | None) -> None:
        if run_id is None or self.screen.store is None:
            return
        from .detail import DetailScreen

        run_ids = [str(r) for r in self.screen.view.visible_frame()["run_id"]]
        detail = DetailScreen(self.screen.store, run_id, run_ids, poll_seconds=self.screen.session.poll_seconds)
        self.screen.app.push_screen(detail, self.detail_closed)

    def detail_closed(self, run_id: str | None) -> None:
        """Back from the detail: the cursor goes to the run it showed last (after `n`/`N`)."""
        row = self.screen.view.row_of(run_id)
        if row is not None:
            self.screen.table.cursor_row = row

    def _chosen_runs(self) -> list[str]:
        """Marked runs in the order they were marked; none marked: the previous run in the table, then this one."""
        if self.screen.table.marks:
            return list(self.screen.table.marks)
        row = self.screen.table.cursor_row
        rows = (row - 1, row) if row > 0 else (row, row + 1)
        ids = [self.screen.view.run_id_at(r) for r in rows]
        return [r for r in ids if r is not None]

    def _runs_to_compare(self) -> tuple[list[str], str | None]:
        """The runs `c` diffs, and a note when marks were left out.

        Marks the filter or the experiment hides are left out (a diff of runs the user cannot
        see surprises), and the note says how many. With exactly one marked run in view and the
        cursor on another, those two are compared; with none marked, the previous run and this one.
        """
        marks = list(self.screen.table.marks)
        if not marks:
            return self._chosen_runs(), None
        in_view = [run_id for run_id in marks if self.screen.view.row_of(run_id) is not None]
        hidden = len(marks) - len(in_view)
        note = f"{len(marks)} marked, {hidden} not in view: left out" if hidden else None
        current = self.screen.table.current_run
        if len(in_view) == 1 and current is not None and current != in_view[0]:
            in_view.append(current)
        return in_view, note

    def compare(self) -> None:
        runs, note = self._runs_to_compare()
        if len(runs) < 2 or self.screen.store is None:
            message = "Compare needs two runs: mark them with space"
            self.screen.notify(f"{note}. {message}" if note else message, severity="warning")
            return
        from .diff import DiffScreen

        self.screen.app.push_screen(DiffScreen(self.screen.store, runs, note=note))

    def charts(self) -> None:
        if self.screen.grouping.open_group_charts():
            return
        runs = self._chosen_runs() if self.screen.table.marks else [r for r in [self.screen.table.current_run] if r]
        if not runs or self.screen.store is None:
            return
        from .charts import ChartsScreen

        self.screen.app.push_screen(ChartsScreen(self.screen.store, runs, frame=self.screen.view.visible_frame()))

    def media(self) -> None:
        runs = self._chosen_runs() if self.screen.table.marks else [r for r in [self.screen.table.current_run] if r]
        if runs and self.screen.store is not None:
            from .media import MediaScreen

            self.screen.app.push_screen(MediaScreen(self.screen.store, runs))

    def models(self) -> None:
        if self.screen.store is not None:
            from .models import ModelsScreen

            view = self.screen.view
            self.screen.app.push_screen(ModelsScreen(self.screen.store, view.frame, view.sort_key))

    def artifacts(self) -> None:
        """This run's artifacts; with exactly two runs marked, those two, to compare a file across them."""
        run_id = self.screen.table.current_run
        marks = list(self.screen.table.marks)
        if len(marks) == 2:
            first, other = marks if run_id != marks[1] else marks[::-1]
            self._open_artifacts(first, other)
            return
        if len(marks) > 2:
            self.screen.notify("Artifacts compare two runs; showing this run alone", timeout=3)
        if run_id is not None:
            self._open_artifacts(run_id, None)

    def _open_artifacts(self, run_id: str, other_id: str | None) -> None:
        """Read the run (and the other) in a worker; `ArtifactsRead` brings them back to `artifacts_read`."""
        store = self.screen.store
        if store is None:
            return

        def read() -> None:
            detail = store.run(run_id)
            other = store.run(other_id) if other_id else None
            self.screen.post_message(ArtifactsRead(detail, other))

        self.screen.run_worker(
            read,
            thread=True,
            exclusive=True,
            group="open-artifacts",
            exit_on_error=False,
            description="Opening artifacts",
        )

    def artifacts_read(self, message: ArtifactsRead) -> None:
        from .artifacts import ArtifactsScreen

        self.screen.app.push_screen(ArtifactsScreen(message.detail, other=message.other))
