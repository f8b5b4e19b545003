"""The runs screen's curation keys: tags, notes, names and the trash, on the cursor run or the marked runs.

`RunsCuration` is one of the runs screen's parts (the screen's `action_*` hand these keys to it).
Every store write runs in a worker, and every failure (an MLflow store, a live run, a
name that cannot be stored) goes the app's one failure way (`WorkerFailed`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.message_pump import MessagePump

from store import RunStore, StoreError, curate
from store.curate import writable_root
from store.errors import ReadOnlyStoreError
from store.ours.reader import TrackStore

from ..messages import ReloadRequested, WorkerFailed
from ..shaping.sanitize import printable
from ..shaping.tags_text import common_tags

if TYPE_CHECKING:
    from .runs import RunsScreen


def writable(node: MessagePump, store: RunStore | None, what: str) -> bool:
    """Whether this store can be changed; if not, the store's reason goes the one failure way."""
    if store is None:
        return False
    try:
        writable_root(store)
    except ReadOnlyStoreError as exc:
        node.post_message(WorkerFailed(what, exc))
        return False
    return True


class RunsCuration:
    """Keys `t`, `N`, `r`, `d`, `D` of the runs screen (bound there)."""

    def __init__(self, screen: RunsScreen) -> None:
        self.screen = screen
        self.just_deleted: tuple[str, ...] = ()
        """The runs `d` deleted last in this session: `D` brings them back (undo) until it has."""

    def _targets(self) -> list[str]:
        """The marked runs in view, else the run under the cursor (or the cursor's group's runs)."""
        marked = [r for r in self.screen.table.marks if self.screen.view.row_of(r) is not None]
        if marked:
            return marked
        group = self.screen.table.current_group
        if group is not None:
            return self.screen.view.group_run_ids(group)
        run = self.screen.table.current_run
        return [run] if run else []

    def _writable(self, what: str) -> bool:
        return writable(self.screen, self.screen.store, what)

    def _run_names(self, run_ids: list[str]) -> str:
        if len(run_ids) == 1:
            row = self.screen.view.row_of(run_ids[0])
            position = int(self.screen.view.rows[row]) if row is not None else None
            name = str(self.screen.view.frame.at[position, "name"]) if position is not None else run_ids[0]
            return printable(name)
        return f"{len(run_ids)} runs"

    def _curate(
        self, description: str, run_ids: list[str], change: Callable[[RunStore, str], object], done: str
    ) -> None:
        """Apply `change` to each run in a worker; then reload. Failures go the one failure way."""
        store = self.screen.store
        if store is None or not run_ids:
            return

        def work() -> None:
            errors: list[Exception] = []
            for run_id in run_ids:
                try:
                    change(store, run_id)
                except (StoreError, ValueError, OSError) as exc:
                    errors.append(exc)
            self.screen.post_message(ReloadRequested())
            if len(errors) == 1 and len(run_ids) == 1:
                raise errors[0]
            if errors:
                raise StoreError(f"{len(errors)} of {len(run_ids)} runs not changed: {errors[0]}")
            self.screen.app.call_from_thread(self.screen.notify, done, timeout=3)

        self.screen.run_worker(work, thread=True, group="curate", description=description, exit_on_error=False)

    def edit_tags(self) -> None:
        runs = self._targets()
        if not runs or not self._writable("Editing tags"):
            return
        from .prompt import ask_tag_changes

        def apply(changed: dict[str, str], removed: list[str]) -> None:
            self._curate(
                "Editing tags",
                runs,
                lambda s, r: curate.set_tags(s, r, changed, removed),
                f"Tags of {self._run_names(runs)} changed",
            )

        ask_tag_changes(
            self.screen, f"Tags of {self._run_names(runs)}", common_tags(self.screen.view.frame, runs), apply
        )

    def edit_note(self) -> None:
        runs = self._targets()
        if not runs or not self._writable("Writing a note") or self.screen.store is None:
            return
        store = self.screen.store
        if len(runs) > 1:
            self._ask_note(runs, "")
            return

        def read() -> None:
            note = store.run(runs[0]).facts.get("note")
            self.screen.app.call_from_thread(self._ask_note, runs, note if isinstance(note, str) else "")

        self.screen.run_worker(
            read, thread=True, group="curate-read", description="Reading the note", exit_on_error=False
        )

    def _ask_note(self, runs: list[str], text: str) -> None:
        from .prompt import PromptScreen

        def chosen(result: str | None) -> None:
            if result is not None and result != text:
                self._curate(
                    "Writing a note",
                    runs,
                    lambda s, r: curate.set_note(s, r, result),
                    f"Note on {self._run_names(runs)} saved",
                )

        self.screen.app.push_screen(
            PromptScreen(
                f"Note on {self._run_names(runs)} (Markdown)",
                text,
                "ctrl+s saves, escape cancels; an empty note removes it",
                multiline=True,
            ),
            chosen,
        )

    def rename(self) -> None:
        run = self.screen.table.current_run
        if run is None or not self._writable("Renaming a run"):
            return
        from .prompt import PromptScreen

        name = self._run_names([run])

        def chosen(result: str | None) -> None:
            if result is not None and result.strip() and result.strip() != name:
                self._curate(
                    "Renaming a run",
                    [run],
                    lambda s, r: curate.rename(s, r, result),
                    f"{name} renamed to {printable(result.strip())}",
                )

        self.screen.app.push_screen(PromptScreen(f"Rename {name}", name), chosen)

    def delete(self) -> None:
        runs = [r for r in self._targets() if self._status(r) != "deleted"]
        if not runs or not self._writable("Deleting runs"):
            return
        from .prompt import ConfirmScreen

        def chosen(yes: bool | None) -> None:
            if yes:
                for run_id in runs:
                    self.screen.table.marks.pop(run_id, None)
                self.just_deleted = tuple(runs)
                self._curate(
                    "Deleting runs", runs, curate.delete, f"{self._run_names(runs)} moved to the trash: D brings back"
                )

        self.screen.app.push_screen(
            ConfirmScreen(f"Move {self._run_names(runs)} to the store's trash? (D brings back)"), chosen
        )

    def restore(self) -> None:
        """The deleted runs marked or under the cursor; else the runs `d` just deleted (undo); else list
        the trash in the table (status deleted), where `D` on a run restores it — all in this session."""
        runs = [r for r in self._targets() if self._status(r) == "deleted"]
        if not self._writable("Restoring runs"):
            return
        if not runs and self.just_deleted:
            runs, self.just_deleted = list(self.just_deleted), ()
        if runs:
            self._curate("Restoring runs", runs, curate.restore, f"{self._run_names(runs)} restored")
            return
        if isinstance(self.screen.store, TrackStore) and not self.screen.store.include_deleted:
            self.screen.store.include_deleted = True
            self.screen.view.deleted_listed = True
            self.screen.post_message(ReloadRequested())
            self.screen.notify("Deleted runs are listed now (⌫ deleted): D on one brings it back", timeout=4)
            return
        self.screen.notify("D brings back deleted runs (⌫): put the cursor on one or mark them", timeout=4)

    def _status(self, run_id: str) -> str:
        row = self.screen.view.row_of(run_id)
        return self.screen.view.status_at(row) if row is not None else ""
