"""The tracktui App: owns the store reader, polls it off the UI thread, hosts the screens."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from store import NotAStoreError, RunStore, StoreError, open_store

from .freed_memory import arrow_through_system_allocator
from .keymap import RESYNC_BINDING, VIM_BINDINGS, known_binding_ids, load_keymap, unknown_ids_notice
from .messages import (
    FirstListed,
    FrameShown,
    ReloadRequested,
    StoreLoaded,
    StoreMissing,
    StoreProgress,
    ViewSettingsChanged,
    WorkerFailed,
)
from .screens.runs import RunsScreen
from .session import Session
from .settings import load_setting, save_setting
from .shaping.attention import AttentionWatch
from .shaping.column_stats import apply_column_stats
from .shaping.first_listing import first_listing, listing_of
from .shaping.models_view import RegistryColumns
from .shaping.runs_view import RunsView
from .shaping.sanitize import cut, printable_line
from .shaping.view_settings import ViewSettings

POLL_SECONDS = 2.0
CHECK_AFTER_CACHE_SECONDS = 0.3
"""After a first paint from the listing cache, the check follows this soon (not a whole poll interval later)."""
PARTIAL_SECONDS = 0.3
"""How often a first listing read with no index is painted as it grows (see `_paint_partial`)."""
RESYNC_NOT_NEEDED = "This store is re-read as it changes: nothing more to fetch. Refreshed now."


QUIT_ACTIONS = ("quit", "app.quit", "back_or_quit", "app.back_or_quit", "help_quit", "app.help_quit")
"""Actions a key pressed while the first rows are shown passes straight to (`TrackApp.on_event`)."""


class ListingAbandoned(Exception):
    """Raised into a first listing still being read when the app quits (see `_paint_partial`)."""


class TrackApp(App[None]):
    """Runs table first; detail, diff, charts and artifacts are pushed over it."""

    TITLE = "tracktui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "q",
            "back_or_quit",
            "Back one screen",
            show=False,
            id="screen.back",
            tooltip="Back one screen (as in visidata); on the runs table, quit",
        ),
        Binding(
            "Q",
            "quit",
            "Quit",
            show=False,
            id="app.quit",
            tooltip="Quit tracktui from any screen (lazygit's q: map app.quit to q, screen.back to another key)",
        ),
        Binding("question_mark", "help", "Keys", id="app.help", tooltip="Every key of this screen"),
        RESYNC_BINDING,
        *VIM_BINDINGS,
    ]

    VIM_ACTIONS: ClassVar[dict[str, tuple[str, ...]]] = {
        "down": ("cursor_down", "scroll_down"),
        "up": ("cursor_up", "scroll_up"),
        "first": ("first", "go_top", "scroll_top", "scroll_home"),
        "last": ("last", "go_end", "scroll_bottom", "scroll_end"),
    }
    """j/k/g/G for every list, tree and table, by calling the focused widget's own action."""

    def __init__(
        self,
        store_path: Path,
        *,
        store: RunStore | None = None,
        clock: Callable[[], float] | None = None,
        poll_seconds: float = POLL_SECONDS,
        include_deleted: bool = False,
        label: str = "",
    ) -> None:
        super().__init__()
        self.session = Session(store_path, clock or time.time, poll_seconds, label)
        self._store = store
        self.include_deleted = include_deleted
        self._view_settings = ViewSettings()
        """The runs screen's latest settings; the poll worker reads this reference once per poll."""
        self._polling = False
        self._checked_after_cache = False
        self._listed = False
        self._first_listed = "no"
        """A first listing without pandas: "no" before the first poll, "shown", then "replaced" by the frame."""
        self._held_keys: list[events.Key] | None = []
        """Keys pressed before the runs' view is on screen (a warm 100,000-run store takes a few seconds), or
        while a first listing is, pressed again once it is (`FrameShown`), or once the first poll found none."""
        self._closing = False
        self._next_partial = self._next_count = 0.0
        self._partial_rows = 0
        """The runs the last paint of a first listing showed (see `_paint_partial`)."""
        self.runs_screen = RunsScreen(self.session)
        self.registry_columns = RegistryColumns()
        self.attention = AttentionWatch()
        """Which runs need a look; used by the poll worker only."""

    @property
    def store_path(self) -> Path:
        return self.session.store_path

    @property
    def poll_seconds(self) -> float:
        return self.session.poll_seconds

    @property
    def store(self) -> RunStore:
        if self._store is None:
            raise RuntimeError("the store is not open yet")
        return self._store

    def on_mount(self) -> None:
        theme = load_setting("theme")
        if isinstance(theme, str) and theme in self.available_themes:
            self.theme = theme
        self.theme_changed_signal.subscribe(self, lambda theme: save_setting("theme", theme.name))
        self._apply_keymap()
        self.push_screen(self.runs_screen)
        self.poll(force=True)
        if self.poll_seconds > 0:
            self.set_interval(self.poll_seconds, self.poll)

    def _apply_keymap(self) -> None:
        """The user's keymap file; a broken one is one line of warning and the default keys.

        An entry whose id no binding has is named (with the closest id) and the others still apply.
        """
        keymap, problem = load_keymap()
        if problem:
            self.notify(printable_line(problem), title="Keymap ignored", severity="warning", timeout=10, markup=False)
        typo = unknown_ids_notice(keymap, known_binding_ids(type(self))) if keymap else None
        if typo:
            self.notify(printable_line(typo), title="Keymap: unknown id", severity="warning", timeout=10, markup=False)
        self.set_keymap(keymap)

    @on(ViewSettingsChanged)
    def _view_settings_changed(self, message: ViewSettingsChanged) -> None:
        self._view_settings = message.settings

    @on(ReloadRequested)
    def _reload_requested(self) -> None:
        self.poll(force=True)

    @on(FrameShown)
    def _frame_shown(self) -> None:
        if self._first_listed == "replaced" and self._held_keys is not None:
            self._press_held_keys()

    @work(thread=True, group="store-poll", exit_on_error=False, description="Reading the store")
    def poll(self, force: bool = False) -> None:
        """Re-read what changed and hand the runs screen a new frame (only when there is news).

        A timer tick while the previous poll still reads (a cold 10,000-run store, a slow
        disk) is skipped rather than queued behind it.
        """
        if self._polling and not force:
            return
        self._polling = True
        after_first_rows = self._first_listed == "shown"
        try:
            self._poll(force)
        except ListingAbandoned:
            pass  # the app is quitting
        finally:
            self._polling = False
            due = after_first_rows or self._first_listed == "no"  # the frame's view is in, or failed to come
            if due and self._held_keys is not None and not self._closing:
                self.call_from_thread(self._press_held_keys)

    def _poll(self, force: bool) -> set[str]:
        """One refresh; the ids of the runs it found added, changed or removed."""
        if self._store is None:
            if not self.store_path.exists():
                self.runs_screen.post_message(StoreMissing(str(self.store_path)))
                return set()
            try:
                self._store = open_store(
                    self.store_path,
                    include_deleted=self.include_deleted,
                    progress=lambda text: self.runs_screen.post_message(StoreProgress(text)),
                )
            except NotAStoreError as exc:
                self.runs_screen.post_message(StoreMissing(str(self.store_path), str(exc)))
                return set()
            self._store.cache_first = True  # a large store shows its saved listing at once; the next poll checks
            force = True
        settings = self._view_settings  # one snapshot for the whole poll, whatever the UI thread does meanwhile
        stale = getattr(self._store, "stale", "")
        if not self._listed:  # a first listing with no index is painted as it is read
            self._store.listing_progress = self._paint_partial
        try:
            changed = self._store.refresh()
            self._listed = True
        except StoreError:
            if self.runs_screen.is_mounted:  # the listing shown is stale: the bar says why
                self.call_from_thread(self.runs_screen.update_bar)
            raise
        finally:
            self._store.listing_progress = None
        force = force or stale != getattr(self._store, "stale", "")  # the bar's stale note comes or goes
        if self._first_listed == "no":
            listing = first_listing(self._store, self.session.now()) if settings == ViewSettings() else None
            if listing is not None:  # painted at once; the screen then asks for the frame (a poll)
                self._first_listed = "shown"
                attention = self.attention.check_rows(listing.rows, self._store.log_facts(), self.session.now())
                self.runs_screen.post_message(FirstListed(self._store, listing, attention))
                return changed
        self._first_listed = "replaced"
        frame = self._store.runs_frame(settings.metric_stat)
        if settings.column_stats:  # metric columns with a statistic of their own (M)
            frame = apply_column_stats(
                frame,
                dict(settings.column_stats),
                self._store.runs_frame,
                settings.metric_stat,
                self._store.metric_stats,
            )
        changed_models = self.registry_columns.apply(self._store, frame)  # `model`, `alias` columns
        running = bool(len(frame)) and bool((frame["status"] == "running").any())
        if force or changed or running or changed_models:
            view = RunsView.from_settings(settings, frame, self.session.now())
            attention = self.attention.check(frame, self._store.log_facts(), self.session.now())
            self.runs_screen.post_message(
                StoreLoaded(self._store, frame, self._store.experiments(), changed, view, settings, attention)
            )
        if self._store.served_from_cache and not self._checked_after_cache:
            self._checked_after_cache = True  # the listing shown came from the cache unchecked: check it now
            self.call_from_thread(self.set_timer, CHECK_AFTER_CACHE_SECONDS, self.poll)
        return changed

    def _paint_partial(self, read: int, total: int) -> None:
        """Hand the runs screen the runs a first listing has read so far (called by the store, in the poll worker).

        The first batch is painted at once (the newest runs); then at most every PARTIAL_SECONDS,
        or less often when making the frame and view took long, so the reading is not slowed much,
        and only when the runs read have doubled since the last paint and are at most half of all:
        the paints then cost about twice the last, and the frame on screen while the whole one is
        made is at most half as large (at 100,000 runs a frame is ~160 MB). The count goes on between.
        """
        if self._closing:  # the exit waits for the store's lock, held by this listing: stop reading
            raise ListingAbandoned
        started = time.monotonic()
        if started < self._next_partial or not 2 * self._partial_rows <= read <= total // 2:
            if started >= self._next_count:  # the bar's count, between two paints of the table
                self._next_count = started + PARTIAL_SECONDS
                self.runs_screen.post_message(StoreProgress("", reading=(read, total)))
            return
        store = self.store
        settings = self._view_settings  # the user may sort or filter the runs shown meanwhile
        if self._first_listed == "no" and settings == ViewSettings():  # the newest runs, before pandas is in
            listing = listing_of(store.partial_records(), store.status_of, self.session.now())
            if listing is not None:
                self._first_listed = "shown"
                self.runs_screen.post_message(FirstListed(store, listing, {}, reading=(read, total)))
        frame = store.partial_frame(settings.metric_stat)
        view = RunsView.from_settings(settings, frame, self.session.now())
        counts = frame["experiment"].fillna("").value_counts().sort_index()
        experiments = {str(name): int(count) for name, count in counts.items()}
        if self._first_listed == "shown":  # the keys held meanwhile act on its view, once shown (`FrameShown`):
            self._first_listed = "replaced"  # said before the view is posted, which the screen may show at once
        self.runs_screen.post_message(
            StoreLoaded(store, frame, experiments, set(), view, settings, reading=(read, total))
        )
        self._partial_rows = read
        self._next_partial = time.monotonic() + max(PARTIAL_SECONDS, 2 * (time.monotonic() - started))
        self._next_count = time.monotonic() + PARTIAL_SECONDS

    async def on_event(self, event: events.Event) -> None:
        held = self._held_keys  # the first rows are on screen, the view the keys act on is not
        if held is not None and isinstance(event, events.Key) and not event.is_forwarded and not self._quits(event.key):
            held.append(event)  # quitting never waits for it: the frame may be slow to come
            return
        await super().on_event(event)

    def _quits(self, key: str) -> bool:
        """Whether `key` is bound to quitting, here or on the screen shown (the keymap may move it)."""
        for node in (self, self.screen):
            for binding in node._bindings.key_to_bindings.get(key, []):
                if binding.action in QUIT_ACTIONS:
                    return True
        return False

    def _press_held_keys(self) -> None:
        """The keys pressed while the first listing was on screen, in order, now that its view is in."""
        held, self._held_keys = self._held_keys or [], None
        for key in held:
            self.post_message(events.Key(key.key, key.character))

    def action_resync(self) -> None:
        """Read every run again (a tracking server's incremental poll misses edits of old runs)."""
        if self._store is None:
            self.notify("The store is not open yet.", severity="warning")
            return
        self.resync()

    @work(thread=True, exclusive=True, group="store-resync", exit_on_error=False, description="Re-syncing the store")
    def resync(self) -> None:
        """The store's full re-sync, then one refresh that shows its result; the poll timer waits meanwhile."""
        store = self.store
        if not store.resync():
            self.call_from_thread(self.notify, RESYNC_NOT_NEEDED, title="Re-sync", timeout=4, markup=False)
            self.poll(force=True)
            return
        where = printable_line(cut(str(store), 80))
        self.call_from_thread(
            self.notify, f"Fetching every run again from {where}…", title="Re-sync", timeout=4, markup=False
        )
        self._polling = True
        try:
            changed = self._poll(force=True)
        finally:
            self._polling = False
        runs = len(store.run_ids())
        self.call_from_thread(
            self.notify,
            f"Re-synced {where}: {runs:,} runs, {len(changed):,} changed",
            title="Re-sync",
            timeout=6,
            markup=False,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The app's own workers fail the same way as everyone else's."""
        if event.state == WorkerState.ERROR:
            worker = event.worker
            self.report_failure(worker.description or worker.name, worker.error)

    @on(WorkerFailed)
    def _worker_failed(self, message: WorkerFailed) -> None:
        self.report_failure(message.description, message.error)

    def report_failure(self, description: str, error: BaseException | None) -> None:
        """The one kind of failure notification: what was being done, and why it failed, as plain text."""
        reason = "" if error is None else str(error) or type(error).__name__
        text = f"{description} failed: {reason}" if reason else f"{description} failed"
        self.notify(cut(text, 400), title="Something failed", severity="error", timeout=8, markup=False)

    def on_unmount(self) -> None:
        self._closing = True
        if self._store is not None:
            self._store.close()  # a worker waiting on a server ends now: the exit joins worker threads
            try:
                self._store.save_index()
            except OSError:
                pass

    def on_key(self, event: events.Key) -> None:
        """Text typed ahead of a focus change goes to the input that now has focus.

        Keys go to the widget focused when they arrive, but bindings run when they have
        bubbled back up to the app. In `/mse < 1` typed in one burst, `m`, `s`, `e`… were
        delivered to the table before `/` focused the filter input, and would run as
        actions here. An input stops every printable key it gets, so a printable key that
        reaches the app while an input has focus is one that input never saw: type it
        there now, as the input would, so a later `enter` submits the whole text.
        """
        focused = self.focused
        if isinstance(focused, Input) and event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            selection = focused.selection
            if selection.is_empty:
                focused.insert_text_at_cursor(event.character)
            else:
                focused.replace(event.character, *selection)

    def action_vim(self, motion: str) -> None:
        widget = self.focused
        if widget is None:
            return
        for name in self.VIM_ACTIONS[motion]:
            action = getattr(widget, f"action_{name}", None)
            if callable(action):
                action()
                return

    def action_back_or_quit(self) -> None:
        """`q`: one screen back, the way that screen's own back key leaves it; on the runs table, quit."""
        screen = self.screen
        if screen is self.runs_screen or len(self.screen_stack) <= 2:
            self.exit()
            return
        for name in ("back", "close"):
            leave = getattr(screen, f"action_{name}", None)
            if callable(leave):
                leave()
                return
        screen.dismiss()

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        keys = [
            self.get_key_display(b)
            for bindings in self._bindings.key_to_bindings.values()
            for b in bindings
            if b.id == RESYNC_BINDING.id
        ]
        yield SystemCommand(
            RESYNC_BINDING.description,
            f"Key: {', '.join(keys) or RESYNC_BINDING.key} · {RESYNC_BINDING.tooltip}",
            self.action_resync,
        )
        extra = getattr(screen, "palette_commands", None)
        if callable(extra):  # commands a screen has besides its keys (the runs screen's saved views)
            for title, help_text, callback in extra():
                yield SystemCommand(title, help_text, callback)
        for node, bindings_map in screen._binding_chain:
            if node is self:
                continue
            seen = set()
            for bindings in bindings_map.key_to_bindings.values():
                for binding in bindings:
                    if binding.action.startswith("app."):
                        continue  # a screen's shortcut to an app action (? and q in the footer's order)
                    if binding.description and binding.action not in seen:
                        seen.add(binding.action)
                        yield SystemCommand(
                            binding.description,
                            f"Key: {binding.key_display or binding.key}",
                            _runner(node, binding.action),
                        )


def _runner(node: object, action: str) -> Callable[[], object]:
    def run() -> object:
        return node.run_action(action)  # type: ignore[attr-defined]

    return run


def make_app(store_path: str | Path, **kwargs: object) -> TrackApp:
    """The one factory the CLI, tests and screenshot script all use."""
    arrow_through_system_allocator()
    if "://" in str(store_path):  # a server: Path() would fold its `//`
        kwargs.setdefault("label", str(store_path))
    return TrackApp(Path(store_path).expanduser(), **kwargs)  # type: ignore[arg-type]
