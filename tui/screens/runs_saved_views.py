"""Saved views of the runs screen: the last view per store comes back, named views (`S`, `V`).

`SavedViews` is one of the runs screen's parts (the screen's `action_*` hand `S` and `V` to it); what a
view holds and how it is (de)serialised is plain code
in `tui/shaping/saved_views.py`, and where it is kept is `tui/settings.py`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.timer import Timer

from store.base import METRIC_STATS

from ..messages import ReloadRequested, ViewsLoaded
from ..settings import save_last_view, save_named_view
from ..shaping.filter_expr import FilterError, parse_filter
from ..shaping.runs_view import RunsView
from ..shaping.sanitize import printable
from ..shaping.saved_views import apply_view_json, view_to_json
from ..shaping.view_settings import ViewSettings

if TYPE_CHECKING:
    from .runs import RunsScreen

AUTOMATIC_VIEW = "\0automatic"


class SavedViews:
    """Bound in `RunsScreen.BINDINGS`; uses the screen's filter line and column views."""

    def __init__(self, screen: RunsScreen) -> None:
        self.screen = screen
        self.named_views: dict[str, dict[str, object]] = {}
        self.lock = threading.Lock()
        """Held while a setting is written (a view here, the column picks in `RunsColumns`)."""
        self._views_ready = False
        self._pending_view: dict[str, object] | None = None
        """The last view, read but not yet applied (it waits for the first listing)."""
        self._last_view_timer: Timer | None = None
        self._last_saved: dict[str, object] | None = None

    def _apply_view(self, data: dict[str, object], note: str | None = None) -> None:
        """Show the runs as `data` says; a filter that no longer parses is dropped, with a note.

        On a big table the rows are worked out in a worker (`RunsFiltering.change_in_worker`) and the table
        keeps its rows until they are ready: the last view comes back as a 100,000-run store opens.
        """
        stats = tuple(self.screen.store.metric_stats if self.screen.store is not None else METRIC_STATS)
        chosen = self.screen.view.fork()
        apply_view_json(chosen, data, stats)
        text = chosen.filter_text
        try:
            if text.strip():
                parse_filter(text, list(self.screen.view.frame.columns))
        except FilterError as exc:
            text = ""
            self.screen.notify(
                f"The view's filter no longer applies ({exc.message}); shown without it", severity="warning"
            )
        self.screen.filtering.show_text(text)
        self.screen.columns.keep_choice(chosen.choice)
        reread = chosen.metric_stat != self.screen.view.metric_stat

        def change(view: RunsView) -> None:
            apply_view_json(view, data, stats)
            view.set_filter(text)

        if self.screen.filtering.in_worker():
            self.screen.filtering.change_in_worker(change, "Applying the view")
        else:
            change(self.screen.view)
            self.screen.refresh_table(self.screen.table.current_run)
        if reread:
            self.screen.post_message(ReloadRequested())  # the store's values of the other statistic
        if note:
            self.screen.notify(note, timeout=3)

    def views_loaded(self, message: ViewsLoaded) -> None:
        self.named_views = dict(message.named)
        self._pending_view = message.last or {}
        if self.screen.store is not None:
            self.restore_last_view()

    def restore_last_view(self) -> None:
        """Take up where the user left, once the runs are there (a filter names their fields),
        unless they already chose something in this session; nothing when the views are not read yet."""
        if self._pending_view is None:
            return
        pending, self._pending_view = self._pending_view, None
        if pending and self.screen.view.settings() == ViewSettings():
            self._apply_view(pending)
        self._views_ready = True

    def schedule_last_view_save(self) -> None:
        if not self._views_ready:
            return  # before the last view is restored, saving would overwrite it with the defaults
        if self._last_view_timer is not None:
            self._last_view_timer.stop()
        self._last_view_timer = self.screen.set_timer(0.5, self._save_last_view)

    def _save_last_view(self) -> None:
        self._last_view_timer = None
        data = view_to_json(self.screen.view)
        if data == self._last_saved:
            return
        self._last_saved = data
        self.screen.run_worker(
            lambda: self._write_setting(save_last_view, data),
            thread=True,
            group="views-save",
            description="Saving the view",
            exit_on_error=False,
        )

    def _write_setting(self, save: Callable[..., None], *args: object) -> None:
        with self.lock:
            save(self.screen.session.store_path, *args)

    def unmounted(self) -> None:
        if self._last_view_timer is not None:  # quitting within the half second: save now
            self._last_view_timer.stop()
            data = view_to_json(self.screen.view)
            if data != self._last_saved:
                self._write_setting(save_last_view, data)

    def save_view(self) -> None:
        from .prompt import PromptScreen

        def chosen(name: str | None) -> None:
            name = (name or "").strip()
            if not name:
                return
            data = view_to_json(self.screen.view)
            self.named_views[name] = data
            self.screen.run_worker(
                lambda: self._write_setting(save_named_view, name, data),
                thread=True,
                group="views-save",
                description="Saving the view",
                exit_on_error=False,
            )
            self.screen.notify(f"View saved as {printable(name)} (V or ctrl+p picks it)", timeout=3)

        self.screen.app.push_screen(
            PromptScreen("Save this view as", "", "a name; the same name replaces that view"), chosen
        )

    def pick_view(self) -> None:
        from .prompt import PickScreen

        choices = [(AUTOMATIC_VIEW, "reset to automatic (every run, columns that vary, no grouping)")]
        choices += [(f"view:{name}", printable(name)) for name in sorted(self.named_views)]
        self.screen.app.push_screen(
            PickScreen("Views", choices, "enter picks; S saves the current view under a name"), self._view_chosen
        )

    def _view_chosen(self, choice: str | None) -> None:
        if choice == AUTOMATIC_VIEW:
            self.use_view(None)
        elif choice is not None and choice.startswith("view:"):
            self.use_view(choice[len("view:") :])

    def use_view(self, name: str | None) -> None:
        """Show the named view, or (None) the automatic one."""
        if name is None:
            self._apply_view({}, "View reset to automatic")
        elif name in self.named_views:
            self._apply_view(self.named_views[name], f"View {printable(name)}")

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """Extra command palette entries: each saved view, and the automatic one."""
        commands: list[tuple[str, str, Callable[[], object]]] = [
            (
                "View: reset to automatic",
                "Every run, unsorted, columns that vary, no grouping",
                lambda: self.use_view(None),
            )
        ]
        for name in sorted(self.named_views):
            commands.append((f"View: {printable(name)}", "A view you saved (S)", lambda name=name: self.use_view(name)))  # type: ignore[misc]
        return commands
