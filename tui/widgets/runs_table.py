"""A virtual table of runs: it draws only the rows on screen, straight from a `RunsView`.

Textual's DataTable measures every cell when rows are added, which takes seconds for
10,000 runs; this widget's cost per frame is the visible rows only. Cell text is never
parsed as markup: it goes into Segments as-is (after `printable`).
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..shaping.column_spans import ColumnSpans
from ..shaping.columns import Column
from ..shaping.first_listing import FirstListing
from ..shaping.runs_view import RunsView
from .runs_table_lines import RunsTableLines


class RunsTable(ScrollView, can_focus=True):
    """Runs as rows; a cursor row and a cursor column; marked rows and runs needing a look flagged on the left."""

    DEFAULT_CSS = """
    RunsTable { background: $surface; scrollbar-gutter: stable; }
    RunsTable > .runs-table--header { text-style: bold; background: $panel; color: $foreground; }
    RunsTable > .runs-table--header-param { text-style: bold; background: $panel; color: $text-secondary; }
    RunsTable > .runs-table--header-metric { text-style: bold; background: $panel; color: $text-accent; }
    RunsTable > .runs-table--header-cursor { text-style: bold reverse; }
    RunsTable > .runs-table--cursor { background: $block-cursor-blurred-background; }
    RunsTable:focus > .runs-table--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
    }
    RunsTable > .runs-table--cursor-cell { text-style: bold underline; }
    RunsTable > .runs-table--marked { background: $primary 20%; }
    RunsTable > .runs-table--mark { color: $warning; text-style: bold; }
    RunsTable > .runs-table--attention { color: $error; text-style: bold; }
    RunsTable > .runs-table--running { color: $primary; }
    RunsTable > .runs-table--finished { color: $success; }
    RunsTable > .runs-table--failed { color: $error; }
    RunsTable > .runs-table--killed { color: $warning; }
    RunsTable > .runs-table--crashed { color: $error; text-style: bold reverse; }
    RunsTable > .runs-table--damaged { color: $warning; text-style: bold reverse; }
    RunsTable > .runs-table--deleted { color: $text-muted; text-style: strike; }
    RunsTable > .runs-table--dim { color: $text-muted; }
    RunsTable > .runs-table--group { background: $boost; color: $text-accent; text-style: bold; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "runs-table--header",
        "runs-table--header-param",
        "runs-table--header-metric",
        "runs-table--header-cursor",
        "runs-table--cursor",
        "runs-table--cursor-cell",
        "runs-table--marked",
        "runs-table--mark",
        "runs-table--running",
        "runs-table--finished",
        "runs-table--failed",
        "runs-table--killed",
        "runs-table--crashed",
        "runs-table--damaged",
        "runs-table--deleted",
        "runs-table--dim",
        "runs-table--group",
        "runs-table--attention",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        # j/k/g/G come from the app's vim bindings (`tui.keymap.VIM_BINDINGS`), which call these actions.
        Binding("down", "cursor_down", "Down", show=False, id="runs.down"),
        Binding("up", "cursor_up", "Up", show=False, id="runs.up"),
        Binding("left,h", "cursor_left", "Left", show=False, id="runs.left"),
        Binding("right,l", "cursor_right", "Right", show=False, id="runs.right"),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False, id="runs.page_down"),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="runs.page_up"),
        Binding("home", "first", "Top", show=False, id="runs.top"),
        Binding("end", "last", "Bottom", show=False, id="runs.bottom"),
        Binding("enter", "activate", show=False, id="runs.activate"),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True)
    cursor_column: reactive[int] = reactive(1)

    class CursorMoved(Message):
        """The cursor is on another run (or None when the table is empty)."""

        def __init__(self, run_id: str | None) -> None:
            super().__init__()
            self.run_id = run_id

    class HeaderClicked(Message):
        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

    class Activated(Message):
        """Enter or a double click on a run."""

        def __init__(self, run_id: str) -> None:
            super().__init__()
            self.run_id = run_id

    class SparksWanted(Message):
        """Sparklines the visible rows need: (run id, metric column) -> the cell's value when asked."""

        def __init__(self, wanted: dict[tuple[str, str], str]) -> None:
            super().__init__()
            self.wanted = wanted

    class GroupActivated(Message):
        """Enter or a double click on a group row: it collapses or expands."""

        def __init__(self, label: str) -> None:
            super().__init__()
            self.label = label

    def __init__(self, view: RunsView | FirstListing, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.shown = view
        """What is drawn: the screen's view, or before its frame is in, a small store's first rows."""
        self.marks: dict[str, None] = {}
        """Marked run ids in the order they were marked (the first is a diff's reference)."""
        self.attention: dict[str, str] = {}
        """Runs that need a look -> why (`shaping.attention`): flagged beside the mark."""
        self.spans = ColumnSpans()
        self.sparks: LRUCache[tuple[str, str], tuple[str, str]] = LRUCache(4096)
        """(run id, metric column) -> (the cell's value it was drawn for, sparkline)."""
        self._wanted: dict[tuple[str, str], str] = {}
        self._lost_run: str | None = None
        """The run the cursor was on when a change hid it (a filter being typed): the cursor goes
        back to it when a later change shows it again, unless the user moved the cursor meanwhile."""
        self._reloading = False
        self.narrowed: tuple[str, ...] = ()
        """The only columns drawn, fitted to the table's width (the workspace beside it); () for all."""
        self.lines = RunsTableLines(self)

    @property
    def view(self) -> RunsView:
        """The screen's view shown; LookupError while the first rows are (nothing but drawing reads them)."""
        if isinstance(self.shown, FirstListing):
            raise LookupError("the runs table shows its first rows: the frame's view is not in yet")
        return self.shown

    @view.setter
    def view(self, view: RunsView | FirstListing) -> None:
        self.shown = view

    def narrow(self, keys: tuple[str, ...]) -> None:
        """Draw only the columns `keys` (status, name and the sort column), fitted to the width with
        no sideways scroll; () draws every column again."""
        if keys != self.narrowed:
            self.narrowed = keys
            self.reload(self.current_run)

    def set_sparks(self, sparks: dict[tuple[str, str], tuple[str, str]]) -> None:
        for key, value in sparks.items():
            self.sparks[key] = value
        self.refresh()

    def _spark(self, run_id: str | None, key: str, text: str) -> str:
        """The cached sparkline (a stale one while a new one is read); a missing or stale one is asked for."""
        if run_id is None:
            return ""
        cached = self.sparks.get((run_id, key))
        if cached is None or cached[0] != text:
            if not self._wanted:
                self.call_after_refresh(self._ask_sparks)
            self._wanted[(run_id, key)] = text
        return cached[1] if cached is not None else ""

    def _ask_sparks(self) -> None:
        wanted, self._wanted = self._wanted, {}
        if wanted:
            self.post_message(self.SparksWanted(wanted))

    # -- data ------------------------------------------------------------------------------

    def reload(self, keep_run: str | None = None) -> None:
        """Call after the view changed; keeps the cursor on `keep_run` when it is still shown.

        A run a change hid is remembered: typing `rf-x` hides every run, and the backspace
        after it must find the run the cursor was on, not the row number it was left at."""
        self.spans.lay_out(col.width for col in self.shown.columns)
        lost = self._lost_run
        if lost is not None and self.shown.row_of(lost) is not None:
            keep_run, self._lost_run = lost, None
        row = self.shown.row_of(keep_run) if keep_run else None
        if row is None and keep_run is not None and lost is None:
            self._lost_run = keep_run
        count = self.shown.row_count
        self.virtual_size = Size(0 if self.narrowed else self.spans.total_width, count + 1)
        # Clamp the column first: setting the row fires a watcher that scrolls to the cursor cell.
        self.cursor_column = min(self.cursor_column, max(0, len(self.shown.columns) - 1))
        self._reloading = True
        try:
            self.cursor_row = min(row if row is not None else self.cursor_row, max(0, count - 1))
        finally:
            self._reloading = False
        self._scroll_cursor_into_view()
        self.refresh()

    def refresh_ages(self, now: float) -> None:
        """Redraw the age cells on screen as of `now` (a cheap timer calls this; no re-listing)."""
        top = int(self.scroll_offset.y)
        if self.shown.set_now(now, range(top, top + self.scrollable_content_region.height)):
            self.refresh()

    @property
    def current_run(self) -> str | None:
        return self.shown.run_id_at(self.cursor_row)

    @property
    def current_column(self) -> Column | None:
        cols = self.shown.columns
        return cols[self.cursor_column] if 0 <= self.cursor_column < len(cols) else None

    @property
    def current_group(self) -> int | None:
        """The group whose row the cursor is on, or None on a run."""
        return self.shown.group_at(self.cursor_row)

    def toggle_mark(self) -> None:
        """Mark or unmark the cursor's run; on a group row, all its runs (unmark if all were marked)."""
        group = self.current_group
        if group is not None:
            runs = self.shown.group_run_ids(group)
            if runs and all(r in self.marks for r in runs):
                for run_id in runs:
                    self.marks.pop(run_id, None)
            else:
                self.marks.update(dict.fromkeys(runs))
            self.refresh()
            return
        current = self.current_run
        if current is None:
            return
        run_id = current
        if run_id in self.marks:
            del self.marks[run_id]
        else:
            self.marks[run_id] = None
        self.refresh()

    def mark_all(self) -> int:
        """Mark every run in view (the rows the filter and experiment leave), or on a group row that
        group's runs; how many were not marked before."""
        group = self.current_group
        ids = self.shown.shown_ids()  # the first rows' own, before the frame's view is in
        runs = self.shown.group_run_ids(group) if group is not None else list(map(str, ids))
        before = len(self.marks)
        self.marks.update(dict.fromkeys(runs))
        self.refresh()
        return len(self.marks) - before

    # -- drawing ---------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            return self.lines.header(width, base)
        row = y - 1 + int(self.scroll_offset.y)
        if row >= self.shown.row_count:
            if row == 0 and self.shown.frame is not None and len(self.shown.frame):
                note = "  No runs match. Escape clears the filter; e picks another experiment."
                if self.shown.empty_hint:
                    note = f"  No runs match: {self.shown.empty_hint}"
                return Strip([Segment(note, self.get_component_rich_style("runs-table--dim"))]).adjust_cell_length(
                    width, base
                )
            return Strip.blank(width, base)
        return self.lines.row(row, width, base)

    # -- cursor ----------------------------------------------------------------------------

    def watch_cursor_row(self, old: int, new: int) -> None:
        if not self._reloading:
            self._lost_run = None  # the user chose another row
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.CursorMoved(self.current_run))

    def watch_cursor_column(self) -> None:
        self._scroll_cursor_into_view()
        self.refresh()

    def on_resize(self) -> None:
        """Narrowed (the workspace beside it, a smaller terminal), the table still shows the cursor's cell."""
        self._scroll_cursor_into_view()

    def _scroll_cursor_into_view(self) -> None:
        height = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_offset.y)
        y = top
        if self.cursor_row < top:
            y = self.cursor_row
        elif self.cursor_row >= top + height:
            y = self.cursor_row - height + 1
        x = 0 if self.narrowed else int(self.scroll_offset.x)
        if self.spans.scrolls(self.cursor_column) and not self.narrowed:
            x = self.spans.scroll_showing(self.cursor_column, x, self.scrollable_content_region.width)
        self.scroll_to(x=max(0, x), y=max(0, y), animate=False, immediate=True)

    def action_cursor_down(self) -> None:
        self.cursor_row = min(self.cursor_row + 1, max(0, self.shown.row_count - 1))

    def action_cursor_up(self) -> None:
        self.cursor_row = max(self.cursor_row - 1, 0)

    def action_cursor_left(self) -> None:
        self.cursor_column = self._next_column(-1)

    def action_cursor_right(self) -> None:
        self.cursor_column = self._next_column(1)

    def _next_column(self, by: int) -> int:
        """The column left (-1) or right (1) of the cursor's, among the narrowed ones when narrowed."""
        last = max(0, len(self.shown.columns) - 1)
        if not self.narrowed:
            return min(max(self.cursor_column + by, 0), last)
        kept = [i for i, c in enumerate(self.shown.columns) if c.key in self.narrowed]
        ahead = [i for i in kept if (i - self.cursor_column) * by > 0]
        return (min(ahead) if by > 0 else max(ahead)) if ahead else self.cursor_column

    def action_page_down(self) -> None:
        page = max(1, self.scrollable_content_region.height - 2)
        self.cursor_row = min(self.cursor_row + page, max(0, self.shown.row_count - 1))

    def action_page_up(self) -> None:
        page = max(1, self.scrollable_content_region.height - 2)
        self.cursor_row = max(self.cursor_row - page, 0)

    def action_first(self) -> None:
        self.cursor_row = 0

    def action_last(self) -> None:
        self.cursor_row = max(0, self.shown.row_count - 1)

    def on_click(self, event: events.Click) -> None:
        meta = event.style.meta
        if "header" in meta:
            keys = [c.key for c in self.shown.columns]
            if meta["header"] in keys:
                self.cursor_column = keys.index(meta["header"])
            self.post_message(self.HeaderClicked(meta["header"]))
        elif "row" in meta:
            self.cursor_row = int(meta["row"])
            if event.chain == 2:
                self.action_activate()

    def action_activate(self) -> None:
        """Enter, as a binding and not a `key_enter` handler.

        Bindings run when a key has bubbled up to the app, `key_` handlers when it reaches
        this widget, which is earlier. With `j j enter` in one burst (a fast typist, SSH),
        a `key_enter` saw the cursor before the two moves. The message carries the run, so
        whoever handles it later acts on the run the cursor was on when enter was pressed.
        """
        group = self.current_group
        if group is not None:
            self.post_message(self.GroupActivated(self.shown.group_label(group)))
        elif self.current_run:
            self.post_message(self.Activated(self.current_run))
