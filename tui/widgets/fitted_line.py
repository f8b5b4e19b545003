"""A one-line title made of parts that gives way by priority when the terminal is narrow."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from ..shaping.formatting import allot_widths


class FittedLine:
    """Rich renderable: `(text, priority)` parts drawn side by side at whatever width the widget
    has; when they do not fit, the highest priority numbers are cut (with `…`) or left out first.
    Being a renderable, it fits again on every resize with nothing to recompute by hand."""

    def __init__(self, parts: list[tuple[Text, int]], style: str = "") -> None:
        self.parts = [(text, priority) for text, priority in parts if text.cell_len]
        self.style = style

    @property
    def plain(self) -> str:
        return "".join(text.plain for text, _ in self.parts)

    def fit(self, width: int) -> Text:
        widths = allot_widths([t.cell_len for t, _ in self.parts], [p for _, p in self.parts], width)
        line = Text(style=self.style, no_wrap=True, overflow="ellipsis", end="")
        for (text, _), given in zip(self.parts, widths):
            if given:
                part = text.copy()
                part.truncate(given, overflow="ellipsis")
                line.append_text(part)
        line.truncate(width, overflow="ellipsis")
        return line

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.fit(options.max_width)
