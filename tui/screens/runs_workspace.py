"""The runs screen's workspace (`W`): charts, system metrics, console and images beside a narrowed table.

`RunsWorkspace` is one of the runs screen's parts: the screen hands it `W` and the workspace's
keys, the cursor and marks as they change, and each new listing. The widget (`Workspace`) draws;
this part narrows the table to status, name and the sort column beside it, tells the widget which
runs are listed, and keeps per store whether the workspace and each of its panes is shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..settings import load_workspace, save_workspace
from ..shaping.workspace import TABLE_SHARE, listing_runs, narrow_width, narrowed_keys
from ..widgets.workspace import Workspace

if TYPE_CHECKING:
    from .runs import RunsScreen


class RunsWorkspace:
    """Bound in `RunsScreen.BINDINGS` (`W`; `>`/`<`, `Y`, `K`, `I` while the workspace is shown)."""

    def __init__(self, screen: RunsScreen) -> None:
        self.screen = screen
        self._listed: tuple[object, object] = (None, None)
        """The frame and rows in view the workspace was last told of (compared by identity)."""

    @property
    def widget(self) -> Workspace:
        return self.screen.query_one(Workspace)

    def load(self) -> None:
        """Show the workspace and its panes as the user left them on this store."""
        self._show(self.widget.restore(load_workspace(self.screen.session.store_path)))

    def toggle(self) -> None:
        self._show(not self.widget.display)
        self._save()

    def command(self, name: str, *args: int) -> None:
        self.widget.command(name, *args)
        if name != "page":
            self._save()

    def acts(self, action: str) -> bool:
        """The workspace's page and pane keys act (and are listed) only while it is shown."""
        return action != "workspace" or bool(self.widget.display)

    def _show(self, shown: bool) -> None:
        """Shown, the table narrows to status, name and the sort column (the cursor goes to it)."""
        self.widget.display = shown
        target = self._narrow_table()
        if shown and target is not None:
            self.screen.table.cursor_column = target
        self.screen.refresh_bindings()
        self.follow(live=True)

    def _narrow_table(self) -> int | None:
        """The table's width and columns beside the workspace (all of them without); the column the
        cursor goes to."""
        view = self.screen.view
        width, target = narrow_width([(c.key, c.width) for c in view.columns], view.sort_key)
        shown = bool(self.widget.display)
        pane = self.screen.query_one("#table-pane")
        pane.styles.width, pane.styles.max_width = (width, TABLE_SHARE) if shown else (None, None)
        # No runs yet: the workspace says what to do; the welcome's code, squeezed beside it, did not read.
        pane.display = not (shown and self.screen.store is not None and self.screen.total == 0)
        keys = narrowed_keys([c.key for c in view.columns], view.sort_key) if shown else ()
        table = self.screen.table
        table.narrow(keys)
        current = table.current_column
        if keys and target is not None and (current is None or current.key not in keys):
            table.cursor_column = target  # on a column no longer drawn (a view restored, sorted elsewhere)
        return target

    def _save(self) -> None:
        data, screen = self.widget.settings(), self.screen

        def write() -> None:
            with screen.saved_views.lock:
                save_workspace(screen.session.store_path, data)

        screen.run_worker(
            write, thread=True, group="views-save", description="Saving the workspace", exit_on_error=False
        )

    def follow(self, live: bool = False) -> None:
        """The marks, the cursor and (`live`) a new listing, to the workspace when it is shown. The
        rows in view are listed again whenever they changed (a filter, a sort), not only on a new
        listing: the running or newest runs drawn are those of the rows shown."""
        if not self.widget.display:
            return
        screen = self.screen
        view = screen.view
        self._narrow_table()  # every change of view: a sort arrives from the worker after its key
        moved = self._listed[0] is not view.frame or self._listed[1] is not view.positions
        if screen.store is not None and (live or moved):
            self._listed = (view.frame, view.positions)
            self.widget.set_listing(screen.store, *listing_runs(view.frame, view.positions), screen.total)
        self.widget.follow(list(screen.table.marks), screen.table.current_run, live)
