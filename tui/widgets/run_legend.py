"""RunLegend: which colour (and marker) is which run, on at most two lines whatever the count.

Twenty runs do not fit in two lines at 80 columns: the legend shows as many as fit and
`+n more`, always keeping the highlighted run in view. The highlighted run is bold and marked
`▸`; runs hidden from the charts are struck through. A click on an entry posts `Picked` with
its key, so the screen can highlight that run as `h` does.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.color import Color
from textual.events import Click
from textual.message import Message
from textual.widgets import Static

from ..shaping.curves import RGB, marker_glyph
from ..shaping.sanitize import cut

NAME_WIDTH = 24
PALETTE_VARIABLES = ("primary", "accent", "success", "error", "secondary", "warning", "foreground")
"""Theme variables that give the run colours, in order; repeated lightened and darkened for many runs."""
FAINT = 0.6
"""How far the raw curve behind a smoothed one (and a dimmed run) is blended into the background."""


def theme_palette(variables: dict[str, str]) -> list[RGB]:
    """Run colours from the theme's variables, so every theme (light ones too) gets its own."""
    base: list[Color] = []
    for var in PALETTE_VARIABLES:
        if var in variables:
            c = Color.parse(variables[var])
            if all(c.rgb != b.rgb for b in base):
                base.append(c)
    if not base:
        base = [Color.parse("ansi_default")]
    return [c.rgb for c in base] + [c.lighten(0.2).rgb for c in base] + [c.darken(0.2).rgb for c in base]


def faint_palette(colors: list[RGB], variables: dict[str, str]) -> list[RGB]:
    """`colors` blended towards the theme's surface: raw curves behind smoothed ones, dimmed runs."""
    background = Color.parse(variables.get("surface", "black"))
    return [Color(*rgb).blend(background, FAINT).rgb for rgb in colors]


@dataclass
class LegendEntry:
    name: str
    color: RGB
    marker: str | None = None
    """A plotext marker whose glyph tells the run apart without colour; None: a plain line."""
    highlighted: bool = False
    hidden: bool = False
    count: int | None = None
    """A group's number of runs, shown after its name however short the name is cut."""
    key: str | None = None
    """What a click on the entry picks (a run id or a group's key); None: nothing."""

    def text(self) -> Text:
        line = "━━" if self.marker is None else marker_glyph(self.marker) * 2
        out = Text()
        r, g, b = self.color
        out.append(("▸" if self.highlighted else "") + f"{line} ", style=f"rgb({r},{g},{b})")
        style = "bold" if self.highlighted else "strike dim" if self.hidden else ""
        suffix = f" ({self.count})" if self.count is not None else ""
        out.append(cut(self.name, NAME_WIDTH - len(suffix)) + suffix, style=style)
        return out


class RunLegend(Static):
    class Picked(Message):
        """An entry was clicked."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    _spans: tuple[tuple[int, int, int, str], ...] = ()
    """Each entry's line, first and past-last column, and key, as last drawn."""

    DEFAULT_CSS = """
    RunLegend {
        height: auto;
        max-height: 3;
        padding: 0 1;
    }
    """

    def show_runs(self, entries: list[LegendEntry], note: str = "", width: int = 0) -> None:
        """Draw `entries` packed into two lines of `width` cells (the widget's own width when 0),
        `+n more` for those that do not fit (the highlighted one always does), then `note`."""
        room = max(20, (width or self.size.width or 80) - 2)
        texts = [e.text() for e in entries]
        order = list(range(len(entries)))
        marked = next((i for i, e in enumerate(entries) if e.highlighted), None)
        lines = pack_lines([t.cell_len for t in texts], room, LINES, marked)
        legend = Text(no_wrap=True, overflow="ellipsis")
        shown = sum(len(line) for line in lines)
        spans: list[tuple[int, int, int, str]] = []
        for n, line in enumerate(lines):
            if n:
                legend.append("\n")
            column = 0
            for k, index in enumerate(line):
                legend.append("  " if k else "")
                column += 2 if k else 0
                text, key = texts[order[index]], entries[order[index]].key
                legend.append_text(text)
                if key is not None:
                    spans.append((n, column, column + text.cell_len, key))
                column += text.cell_len
        if shown < len(entries):
            legend.append(f"  +{len(entries) - shown} more", style="dim")
        if note:
            legend.append("\n" + note, style="dim")
        self.update(legend)
        self._spans = tuple(spans)

    def key_at(self, row: int, column: int) -> str | None:
        """The key of the entry drawn at `row`, `column` of the content, if any."""
        return next((key for n, start, end, key in self._spans if n == row and start <= column < end), None)

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        key = self.key_at(offset.y, offset.x) if offset is not None else None
        if key is not None:
            self.post_message(self.Picked(key))


LINES = 2


def pack_lines(widths: list[int], room: int, lines: int, keep: int | None = None) -> list[list[int]]:
    """Entry indexes in order, packed into at most `lines` lines of `room` cells (2 between
    entries), leaving `+n more` room on the last line when not all fit; `keep` is always in."""
    more = 12
    out: list[list[int]] = [[]]
    used = 0
    for index, width in enumerate(widths):
        need = width + (2 if out[-1] else 0)
        last = len(out) == lines
        reserve = more if last and index < len(widths) - 1 else 0
        if used + need + reserve > room and out[-1]:
            if last:
                break
            out.append([])
            used, need = 0, width
        out[-1].append(index)
        used += need
    placed = [i for line in out for i in line]
    if keep is not None and keep not in placed and placed:
        out[-1][-1] = keep
    return out
