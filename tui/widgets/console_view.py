"""A run's console in the detail screen: each line in its final state, sanitized, live while running.

A console up to `SMALL_CONSOLE` bytes is read whole in a worker and shown as a terminal left
each line (`store.console.final_lines`); a bigger one is paged lazily from disk like a big
artifact (its `\\r` progress updates then show as ␍ symbols), indexed in the background and
never read whole. Running runs are looked at every `REFRESH_SECONDS`: a small console is
re-read when it grew, a big one has only its new bytes indexed; the view stays at the end
if it was there, and where it was if not. Search (`/`, `n`/`N`) is `LazyText`'s.
"""

from __future__ import annotations

import os
from pathlib import Path

from textual import work

from store.console import CONSOLE, console_parts, final_lines, read_console

from ..messages import TextRead, post_result
from .lazy_text import LazyText, MemoryLines

SMALL_CONSOLE = 8 * 1024 * 1024
REFRESH_SECONDS = 2.0


def has_console(run_path: Path) -> bool:
    return (run_path / CONSOLE).is_file()


class ConsoleView(LazyText):
    """`g`/`G` top/end (from LazyText); opens at the end, where a crash's last words are."""

    def __init__(self, run_path: Path, live: bool, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.run_path = run_path
        self.follow_live = live
        self._seen_size = -1
        self._paged = False
        self._want_end = True
        """Scroll to the end once shown: a view read while its tab was hidden had no height to scroll."""

    def on_mount(self) -> None:
        super().on_mount()
        self.reload()
        if self.follow_live:
            self.set_interval(REFRESH_SECONDS, self.reload)

    def _console_bytes(self) -> int:
        total = 0
        for part in console_parts(self.run_path):
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
            head = self.run_path / CONSOLE
            if not self._paged:
                self._paged = True
                self.open_file(head, None, _size_of(head))
                self.action_go_end()
                self._want_end = True
            else:
                at_end = self.at_end
                self.grow(_size_of(head))
                self._follow_end = at_end
            return
        self._read_small()

    @work(thread=True, exclusive=True, group="console-read", exit_on_error=False, description="Reading a console")
    def _read_small(self) -> None:
        text = read_console(self.run_path).decode("utf-8", "replace")
        post_result(self, TextRead(MemoryLines.from_text("\n".join(final_lines(text)) + "\n")))

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


def _size_of(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
