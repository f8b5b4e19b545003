"""A `LazyText` with a find prompt under it: `/` asks, Enter searches, `n`/`N` step, `esc` closes.

The search itself (a worker over the lines or the file, the highlighting, `n`/`N`) is the
text viewer's; this container only holds the prompt and the one status line saying how far
a search has got and which match is current, so any text viewer can be made searchable by
wrapping it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Static

from ..messages import SearchDone, SearchProgress
from ..shaping.sanitize import printable
from .lazy_text import LazyText


class SearchableText(Vertical):
    """`text` above a hidden prompt and a status line; `/` works while the text has focus."""

    DEFAULT_CSS = """
    SearchableText { height: 1fr; }
    SearchableText > LazyText { height: 1fr; }
    SearchableText > .text-search-input { height: 3; display: none; }
    SearchableText > .text-search-status { height: 1; display: none; background: $panel; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash",
            "open_search",
            "Find",
            id="text.search",
            tooltip="Search the text (smart case: lower case matches any case)",
        ),
        Binding(
            "escape",
            "close_search",
            "Close find",
            show=False,
            id="text.close_search",
            tooltip="Close the find prompt, or stop a search still running",
        ),
    ]

    def __init__(self, text: LazyText, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = text

    def compose(self) -> ComposeResult:
        yield self.text
        yield Input(placeholder="find: Enter searches, n/N step, esc closes", classes="text-search-input")
        yield Static(classes="text-search-status")

    @property
    def prompt(self) -> Input:
        return self.query_one(".text-search-input", Input)

    @property
    def status(self) -> Static:
        return self.query_one(".text-search-status", Static)

    def action_open_search(self) -> None:
        prompt = self.prompt
        prompt.display = True
        if self.text.matches is not None:
            prompt.value = self.text.matches.term
        prompt.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`esc` is ours only while the prompt is open or a search runs; else it goes back as usual."""
        if action == "close_search":
            searching = self.text.matches is not None and not self.text.matches.complete
            return self.prompt.display or searching
        return True

    def action_close_search(self) -> None:
        matches = self.text.matches
        if matches is not None and not matches.complete:
            self.text.workers.cancel_group(self.text, "lazy-text-search")
            self.text.matches = None
            self._show_status(Text(f"stopped searching for “{printable(matches.term)}”"))
        self.prompt.display = False
        self.text.focus()

    @on(Input.Submitted, ".text-search-input")
    def _find(self, event: Input.Submitted) -> None:
        event.stop()
        self.prompt.display = False
        self.text.focus()
        self.text.search(event.value)
        if event.value:
            self._show_status(Text(f"searching for “{printable(event.value)}” …"))
        else:
            self.status.display = False

    def on_search_progress(self, event: SearchProgress) -> None:
        event.stop()
        if self.text.matches is None or event.term != self.text.matches.term:
            return
        self._show_status(
            Text(
                f"searching for “{printable(event.term)}” {event.fraction:.0%} · "
                f"{event.found:,} lines so far · esc stops"
            )
        )

    def on_search_done(self, event: SearchDone) -> None:
        self._show_match()

    def on_lazy_text_match_changed(self, event: LazyText.MatchChanged) -> None:
        event.stop()
        self._show_match()

    def _show_match(self) -> None:
        matches = self.text.matches
        if matches is None:
            return
        term = printable(matches.term)
        if not matches.count:
            self._show_status(Text(f"no line holds “{term}”"))
            return
        total = f"{matches.count:,}{'+' if matches.capped else ''}"
        at = self.text.match_at + 1 if self.text.match_at >= 0 else "-"
        self._show_status(Text(f"match {at}/{total} lines holding “{term}” · n/N next/previous · / new search"))

    def _show_status(self, text: Text) -> None:
        self.status.update(text)
        self.status.display = True
