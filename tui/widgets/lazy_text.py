"""A text viewer that opens files of any size at once and reads only the lines on screen.

Two sources feed it (text_lines.py). `MemoryLines` holds a small file (or a diff) already
highlighted. `FileLines` holds only a sparse `LineIndex` that a worker builds in the background;
the widget asks a second worker for the lines around the viewport and keeps a bounded
cache of them, so memory stays flat however big the file is. Until a window of lines
arrives its rows are drawn blank; nothing is read on the UI thread.

`search(term)` finds the lines holding a term in a worker (a file is scanned in chunks,
cancellable, with `SearchProgress` messages), highlights the term on screen, and `n`/`N`
step through the matching lines; a `SearchBar` (text_search.py) gives it a `/` prompt.

Artifact text is data: every line goes through `printable_block` (escape codes and other
control characters become visible symbols) and is never parsed as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.segment import Segment
from textual import work
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..artifacts.files import UnreadableArtifact, open_regular
from ..artifacts.line_index import build_index
from ..artifacts.line_search import LineMatches, match_spans, search_file, search_texts
from ..messages import (
    ForwardsWorkerFailures,
    LinesFetched,
    SearchDone,
    SearchProgress,
    TextFailed,
    TextIndexed,
    TextRead,
    post_result,
)
from .text_lines import DisplayLine, FileLines, MemoryLines, decode

if TYPE_CHECKING:
    import numpy as np
else:
    from ..shaping.lazy_modules import np

CACHE_LINES = 3000
"""Lines kept in memory around where the user has been."""
MAX_HIGHLIGHT_BYTES = 1024 * 1024
"""Files up to this size are read whole and highlighted in one go (multi-line strings colour right)."""


@dataclass
class _Window:
    generation: int
    start: int
    end: int


class LazyText(ForwardsWorkerFailures, ScrollView, can_focus=True):
    """Shows a `MemoryLines` or `FileLines` with line numbers, rendering only the visible rows."""

    DEFAULT_CSS = """
    LazyText {
        background: $surface;
        color: $foreground;
        & > .lazy-text--gutter { color: $text-muted; }
        & > .lazy-text--note { color: $text-warning; text-style: italic; }
        &:focus > .lazy-text--gutter { color: $text-primary; }
        & > .lazy-text--match { background: $warning 40%; }
        & > .lazy-text--current { background: $accent; color: $text; text-style: bold; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "lazy-text--gutter",
        "lazy-text--note",
        "lazy-text--match",
        "lazy-text--current",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        # The app's vim motions under their ids, so one keymap entry moves them everywhere; j/k are the app's.
        Binding("g", "go_top", "Top", id="vim.top", tooltip="Jump to the first line"),
        Binding(
            "G",
            "go_end",
            "End",
            id="vim.bottom",
            tooltip="Jump to the last line (follows the end while a big file is still being indexed)",
        ),
        Binding(
            "n",
            "next_match(1)",
            "Next match",
            id="text.next_match",
            tooltip="The next line holding the searched text (only while a search has matches)",
        ),
        Binding(
            "N",
            "next_match(-1)",
            "Prev match",
            id="text.previous_match",
            tooltip="The previous line holding the searched text",
        ),
    ]

    class MatchChanged(Message):
        """`n`/`N` moved to another match (a status line may say which)."""

    def __init__(
        self,
        source: MemoryLines | FileLines | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._source: MemoryLines | FileLines = source or MemoryLines([])
        self._generation = 0
        self._cache: LRUCache[int, DisplayLine] = LRUCache(CACHE_LINES)
        self._pending: _Window | None = None
        self._follow_end = False
        self.matches: LineMatches | None = None
        """The last search's matching lines (None: no search)."""
        self.match_at = -1
        """Which of `matches` is current (-1: none yet)."""

    # -- what callers use ------------------------------------------------------------------

    @property
    def source(self) -> MemoryLines | FileLines:
        return self._source

    @property
    def line_count(self) -> int:
        return self._source.line_count

    def on_mount(self) -> None:
        self._set_source(self._source)

    def open_file(self, path: Path, language: str | None, size: int) -> None:
        """Show `path`: read whole and highlighted when small, else indexed in the background."""
        self.clear_search()
        if size <= MAX_HIGHLIGHT_BYTES:
            self._load_small(path, language)
        else:
            source = FileLines(path, language)
            self._set_source(source)
            self._build_index(source, size)

    def grow(self, size: int) -> None:
        """The file shown grew to `size` bytes (a live console): index the new part in the background."""
        source = self._source
        if not isinstance(source, FileLines) or not source.complete or size <= source.index.bytes_indexed:
            return
        self._cache.discard(source.line_count - 1)  # a last line without its newline may go on
        source.index.complete = False
        self._build_index(source, size)

    @property
    def at_end(self) -> bool:
        return self.scroll_y >= self.max_scroll_y or self.line_count == 0

    def visible_text(self) -> list[str]:
        """The plain text of the rows on screen (gutter included), for tests and copying."""
        return ["".join(seg.text for seg in self.render_line(y)) for y in range(self.scrollable_content_region.height)]

    # -- sources -----------------------------------------------------------------------------

    def show_lines(self, lines: MemoryLines) -> None:
        """Show lines already in memory (built in a worker: highlighting is not free), from the top."""
        self.clear_search()
        self._set_source(lines)

    def _set_source(self, source: MemoryLines | FileLines) -> None:
        self._source = source
        self._generation += 1
        self._cache.clear()
        self._pending = None
        self._follow_end = False
        self._update_virtual_size()
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def _gutter_width(self) -> int:
        return len(f"{max(self._source.line_count, 1):,}".replace(",", "")) + 1

    def _update_virtual_size(self) -> None:
        width = self._gutter_width() + 1 + self._source.max_width
        self.virtual_size = Size(width, self._source.line_count)

    @work(
        thread=True,
        exclusive=True,
        group="lazy-text-open",
        exit_on_error=False,
        description="Reading a small text artifact",
    )
    def _load_small(self, path: Path, language: str | None) -> None:
        try:
            with open_regular(path) as fh:
                data = fh.read(MAX_HIGHLIGHT_BYTES + 1)
        except UnreadableArtifact as exc:
            self.post_message(TextFailed(self, str(exc)))
            return
        text, _ = decode(data)
        post_result(self, TextRead(MemoryLines.from_text(text, language)))

    def on_text_read(self, message: TextRead) -> None:
        message.stop()
        self._show_read(message.lines)

    def _show_read(self, lines: MemoryLines) -> None:
        """Lines a worker read, on the UI thread (a console view keeps following its end)."""
        self._set_source(lines)

    @work(
        thread=True,
        exclusive=True,
        group="lazy-text-index",
        exit_on_error=False,
        description="Indexing the lines of a big text artifact",
    )
    def _build_index(self, source: FileLines, size: int) -> None:
        from textual.worker import get_current_worker

        worker = get_current_worker()
        try:
            with open_regular(source.path) as fh:
                fh.seek(source.index.bytes_indexed)  # 0, or where the last pass stopped (`grow`)
                for index in build_index(fh, source.index, cancelled=lambda: worker.is_cancelled):
                    fraction = index.bytes_indexed / size if size else 1.0
                    self.post_message(TextIndexed(self, index.line_count, min(fraction, 1.0), index.complete))
        except (UnreadableArtifact, OSError) as exc:
            self.post_message(TextFailed(self, str(exc)))

    def on_text_indexed(self, event: TextIndexed) -> None:
        if event.viewer is not self:
            return
        self._update_virtual_size()
        if self._follow_end:
            self.scroll_end(animate=False, immediate=True)
            if event.complete:
                self._follow_end = False
        self.refresh()

    # -- fetching lines around the viewport ---------------------------------------------------

    def _request(self, line_no: int) -> None:
        pending = self._pending
        if pending is not None and pending.generation == self._generation and pending.start <= line_no < pending.end:
            return
        height = max(self.scrollable_content_region.height, 10)
        top = int(self.scroll_y)
        start = max(0, min(line_no, top) - height)
        end = max(line_no + 1, top + 2 * height)
        self._pending = _Window(self._generation, start, end)
        self._fetch(self._source, self._generation, start, end - start)

    @work(
        thread=True,
        exclusive=True,
        group="lazy-text-lines",
        exit_on_error=False,
        description="Reading the visible lines of a big text artifact",
    )
    def _fetch(self, source: MemoryLines | FileLines, generation: int, start: int, count: int) -> None:
        try:
            lines = source.read(start, count)
        except (UnreadableArtifact, OSError) as exc:
            self.post_message(TextFailed(self, str(exc)))
            return
        post_result(self, LinesFetched(generation, start, lines))

    def on_lines_fetched(self, message: LinesFetched) -> None:
        message.stop()
        self._deliver(message.generation, message.start, message.lines)

    def _deliver(self, generation: int, start: int, lines: list[DisplayLine]) -> None:
        if generation != self._generation:
            return
        cache = self._cache
        for offset, line in enumerate(lines):
            cache.discard(start + offset)  # LRUCache.set keeps an old value: a line read again replaces it
            cache.set(start + offset, line)
        if self._pending is not None and self._pending.start == start:
            self._pending = None
        self.refresh()

    def _line(self, line_no: int) -> DisplayLine | None:
        if not self._source.needs_io:
            lines = self._source.read(line_no, 1)
            return lines[0] if lines else None
        line = self._cache.get(line_no)
        if line is None:
            self._request(line_no)
        return line

    # -- drawing ----------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        line_no = scroll_y + y
        if line_no >= self._source.line_count:
            return Strip.blank(width, base)
        gutter_width = self._gutter_width()
        gutter_style = self.get_component_rich_style("lazy-text--gutter")
        gutter = Strip(
            [
                Segment(f"{line_no + 1:>{gutter_width - 1}} ", gutter_style),
                Segment("\N{BOX DRAWINGS LIGHT VERTICAL}", gutter_style),
            ],
            gutter_width + 1,
        )
        line = self._line(line_no)
        body_width = max(0, width - gutter_width - 1)
        if line is None:
            body = Strip.blank(body_width, base)
        else:
            content, cut = line
            if self.matches is not None and self.matches.term:
                content = self._highlighted(content, line_no)
            segments = content.render_segments(self.visual_style)
            if cut:
                note_style = self.get_component_rich_style("lazy-text--note")
                segments.append(Segment(f" … +{cut:,} bytes", note_style))
            body = Strip(segments).crop_extend(scroll_x, scroll_x + body_width, base)
        return Strip.join([gutter, body]).simplify()

    # -- keys ---------------------------------------------------------------------------------------

    def action_go_top(self) -> None:
        self._follow_end = False
        self.scroll_home(animate=False, immediate=True)

    def action_go_end(self) -> None:
        self._follow_end = not self._source.complete
        self.scroll_end(animate=False, immediate=True)

    def action_scroll_home(self, animate: bool = False, **_: object) -> None:
        self.action_go_top()

    def action_scroll_end(self, animate: bool = False, **_: object) -> None:
        self.action_go_end()

    def action_scroll_up(self) -> None:
        self._follow_end = False
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self._follow_end = False
        super().action_page_up()

    # -- search -------------------------------------------------------------------------------------

    def search(self, term: str) -> None:
        """Find the lines holding `term` in a worker; `SearchDone` jumps to the first one from the top
        of the screen. An empty term ends the search."""
        self.clear_search()
        if term:
            self.matches = LineMatches(term, complete=False)
            self._search(self._source, term)
        self.refresh()

    def clear_search(self) -> None:
        self.workers.cancel_group(self, "lazy-text-search")
        self.matches = None
        self.match_at = -1
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="lazy-text-search", exit_on_error=False, description="Searching a text")
    def _search(self, source: MemoryLines | FileLines, term: str) -> None:
        from textual.worker import get_current_worker

        worker = get_current_worker()
        if isinstance(source, MemoryLines):
            found = search_texts([content.plain for content, _ in source.lines], term)
        else:
            total = max(source.path.stat().st_size, 1)

            def progress(scanned: int, count: int) -> None:
                post_result(self, SearchProgress(self, term, min(scanned / total, 1.0), count))

            try:
                with open_regular(source.path) as fh:
                    found = search_file(fh, term, cancelled=lambda: worker.is_cancelled, progress=progress)
            except (UnreadableArtifact, OSError) as exc:
                self.post_message(TextFailed(self, str(exc)))
                return
            after = search_texts(source.texts_after_file(), term) if source.complete else None
            if after is not None and after.count:
                found.lines = np.concatenate([found.lines, after.lines + source.index.line_count])
        post_result(self, SearchDone(self, found))

    def on_search_done(self, message: SearchDone) -> None:
        if message.viewer is not self or self.matches is None or message.matches.term != self.matches.term:
            return
        self.matches = message.matches
        self.match_at = -1
        if message.matches.count:
            self.action_next_match(1)
        self.refresh_bindings()
        self.refresh()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`n`/`N` step through matches only while there are some; else they fall to the screen."""
        if action == "next_match":
            return self.matches is not None and self.matches.count > 0
        return True

    def action_next_match(self, delta: int) -> None:
        """Go to the next (`delta` 1) or previous (-1) matching line, wrapping around the ends."""
        matches = self.matches
        if matches is None or not matches.count:
            return
        if self.match_at < 0:
            top = int(self.scroll_y)
            first = int(np.searchsorted(matches.lines, top))
            self.match_at = first % matches.count if delta > 0 else (first - 1) % matches.count
        else:
            self.match_at = (self.match_at + delta) % matches.count
        line = int(matches.lines[self.match_at])
        self._follow_end = False
        height = self.scrollable_content_region.height
        if not int(self.scroll_y) <= line < int(self.scroll_y) + height:
            self.scroll_to(y=max(0, line - height // 3), animate=False, immediate=True)
        self.post_message(self.MatchChanged())
        self.refresh()

    @property
    def current_match_line(self) -> int | None:
        if self.matches is None or not 0 <= self.match_at < self.matches.count:
            return None
        return int(self.matches.lines[self.match_at])

    def _highlighted(self, content: Content, line_no: int) -> Content:
        assert self.matches is not None
        spans = match_spans(content.plain, self.matches.term)
        if not spans:
            return content
        current = line_no == self.current_match_line
        style = self.get_visual_style("lazy-text--current" if current else "lazy-text--match")
        for start, end in spans:
            content = content.stylize(style, start, end)
        return content
