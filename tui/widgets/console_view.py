"""A run's console in the detail screen: each line in its final state, sanitized, live while running.

A console up to `SMALL_CONSOLE` bytes is read whole in a worker and shown as a terminal left
each line (`store.writing.console.final_lines`); a bigger one is paged lazily from disk like a big
artifact (its `\\r` progress updates then show as ␍ symbols), indexed in the background and
never read whole; when capped, its kept end (the tail segments, at most `TAIL_BYTES`) is read
whole and shown after the head (`PagedConsole`), last line without a newline included.
Running runs are looked at every `REFRESH_SECONDS`: a small console is
re-read when it grew, a big one has only its new bytes indexed; the view stays at the end
if it was there, and where it was if not. Search (`/`, `n`/`N`) is `LazyText`'s. `t` puts
before each line of a small console when it was printed and an `E` on stderr's lines, from the
console's side index (`store.writing.console.timed_lines`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.binding import Binding, BindingType

from store.writing.console import CONSOLE, console_parts, final_line, final_lines, read_console, timed_lines

from ..messages import KeptEndRead, TextRead, post_result
from ..shaping.formatting import format_clock
from .lazy_text import LazyText
from .text_lines import DisplayLine, FileLines, MemoryLines

if TYPE_CHECKING:
    from store.base import RunDetail

SMALL_CONSOLE = 8 * 1024 * 1024
REFRESH_SECONDS = 2.0


def has_console(run_path: Path, head_name: str = CONSOLE) -> bool:
    return (run_path / head_name).is_file()


def console_file(detail: RunDetail) -> tuple[Path, str] | None:
    """The run's folder and its console file's name in it, for runs that kept one (`tracktui run`,
    `capture_console=True`, or another tool's console its reader named, like W&B's output.log)."""
    path = detail.facts.get("path")
    if not path:
        return None
    kind = detail.store.kind_of(detail.run_id) if detail.store is not None else None
    other = detail.facts.get("console")
    head_name = os.path.relpath(str(other), str(path)) if kind != "tracktui" and other else CONSOLE
    if (kind == "tracktui" or other) and has_console(Path(str(path)), head_name):
        return Path(str(path)), head_name
    return None


class PagedConsole(FileLines):
    """A big console: the head file paged from disk, then the kept end of a capped console,
    which lives in other files (`console_parts`), read whole in a worker (`kept_end`)."""

    def __init__(self, head: Path) -> None:
        super().__init__(head, None)
        self.kept_end = MemoryLines([])

    @property
    def head_lines(self) -> int:
        return self.index.line_count

    @property
    def line_count(self) -> int:
        """The kept end counts once the head is indexed whole: it comes after the head's last line."""
        return self.head_lines + (self.kept_end.line_count if self.complete else 0)

    @property
    def max_width(self) -> int:
        return max(super().max_width, self.kept_end.max_width)

    def texts_after_file(self) -> list[str]:
        return [content.plain for content, _ in self.kept_end.lines]

    def read(self, start: int, count: int) -> list[DisplayLine]:
        head = self.head_lines
        lines = super().read(start, min(count, head - start)) if start < head else []
        return lines + self.kept_end.read(max(start - head, 0), count - len(lines))


class ConsoleView(LazyText):
    """`g`/`G` top/end (from LazyText); opens at the end, where a crash's last words are."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "t",
            "toggle_times",
            "Times",
            id="console.times",
            tooltip="Show or hide when each line was printed, and an E on the lines of stderr",
        ),
    ]

    def __init__(
        self,
        run_path: Path,
        live: bool,
        *,
        head_name: str = CONSOLE,
        timed: Callable[[], list[tuple[float | None, str, str]] | None] | None = None,
        id: str | None = None,
    ) -> None:
        """`timed`: another tool's console lines with times and streams, from its store (W&B's
        records), called in a worker; None or no answer: the console files' own (ours)."""
        super().__init__(id=id)
        self.timed = timed
        self.run_path = run_path
        self.head_name = head_name
        """The console file in the run folder: ours, or another tool's (W&B's `files/output.log`)."""
        self.follow_live = live
        self._seen_size = -1
        self._paged = False
        self._want_end = True
        """Scroll to the end once shown: a view read while its tab was hidden had no height to scroll."""
        self.show_times = False

    def on_mount(self) -> None:
        super().on_mount()
        self.reload()
        if self.follow_live:
            self.set_interval(REFRESH_SECONDS, self.reload)

    def _console_bytes(self) -> int:
        total = 0
        for part in console_parts(self.run_path, self.head_name):
            try:
                total += os.stat(part).st_size
            except OSError:
                continue
        return total

    def reload(self) -> None:
        size = self._console_bytes()
        if size == self._seen_size:
            return
        self._seen_size = size
        if size > SMALL_CONSOLE:
            head = self.run_path / self.head_name
            if not self._paged:
                self._paged = True
                self.clear_search()
                source = PagedConsole(head)
                self._set_source(source)
                self._build_index(source, _size_of(head))
                self.action_go_end()
                self._want_end = True
            else:
                at_end = self.at_end
                self.grow(_size_of(head))
                self._follow_end = at_end
            self._read_kept_end()
            return
        self._read_small()

    @work(
        thread=True,
        exclusive=True,
        group="console-kept-end",
        exit_on_error=False,
        description="Reading the kept end of a capped console",
    )
    def _read_kept_end(self) -> None:
        data = read_console(self.run_path, self.head_name, kept_end_only=True)
        lines = final_lines(data.decode("utf-8", "replace"))
        post_result(self, KeptEndRead(MemoryLines.from_text("\n".join(lines) + "\n" if lines else "")))

    def on_kept_end_read(self, message: KeptEndRead) -> None:
        message.stop()
        source = self.source
        if not isinstance(source, PagedConsole):
            return
        at_end = self.at_end
        source.kept_end = message.lines
        for line_no in [n for n in self._cache.keys() if n >= source.head_lines]:  # noqa: SIM118 (an LRUCache has no __iter__)
            self._cache.discard(line_no)
        self._update_virtual_size()
        self.refresh()
        if at_end and source.complete:
            self.scroll_end(animate=False, immediate=True)

    def action_toggle_times(self) -> None:
        if self._paged:
            self.app.notify(
                f"Times are shown for consoles up to {SMALL_CONSOLE // 2**20} MiB; this one is bigger",
                title="Console",
                timeout=3,
            )
            return
        self.show_times = not self.show_times
        self._seen_size = -1
        self.reload()

    @work(thread=True, exclusive=True, group="console-read", exit_on_error=False, description="Reading a console")
    def _read_small(self) -> None:
        if self.show_times:
            entries = self.timed() if self.timed is not None else None
            if entries is None:
                entries = timed_lines(self.run_path, self.head_name)
            lines = [timed_line(when, stream, final_line(line)) for when, stream, line in entries]
        else:
            lines = final_lines(read_console(self.run_path, self.head_name).decode("utf-8", "replace"))
        post_result(self, TextRead(MemoryLines.from_text("\n".join(lines) + "\n")))

    def _show_read(self, source: MemoryLines) -> None:
        at_end, y = self.at_end, self.scroll_y
        self._set_source(source)
        self._want_end = at_end
        if at_end:
            self.scroll_end(animate=False, immediate=True)
        else:
            self.scroll_to(y=y, animate=False, immediate=True)

    def on_show(self) -> None:
        if self._want_end:
            self.call_after_refresh(self._to_end_once_shown)

    def _to_end_once_shown(self) -> None:
        if self._want_end and self.max_scroll_y > 0:
            self._want_end = False
            self.scroll_end(animate=False, immediate=True)


def timed_line(when: float | None, stream: str, line: str) -> str:
    """`12:03:04 E line`: the local time the line was printed (`--:--:--` unknown), `E` for stderr."""
    clock = format_clock(when) if when is not None else "--:--:--"
    return f"{clock} {'E' if stream == 'e' else ' '} {line}"


def _size_of(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
