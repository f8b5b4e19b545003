"""BrailleChart: a `ChartData` drawn as braille lines with a y axis, an x axis and their ticks.

Replaces plotext for the metric panes: plotext rebuilt each pane point by point in Python
(~85 ms for ten curves), too slow for a grid that redraws as the cursor moves. The lines are
rasterised with numpy (`tui.shaping.braille`) and the strips are cached until the data, the
view (cursor, highlight, hidden runs) or the size changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual.events import Click, MouseScrollDown, MouseScrollUp
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from ..shaping.braille import Raster, draw, scale, shade
from ..shaping.curves import MARKER, RGB, ChartData, Curve, marker_glyph
from ..shaping.downsample import split_segments
from ..shaping.formatting import format_number
from ..shaping.sanitize import printable_line
from ..shaping.ticks import linear_ticks, log_ticks

if TYPE_CHECKING:
    import numpy as np
else:
    from ..shaping.lazy_modules import np

Ticks = tuple[list[float], list[str]]


@lru_cache(maxsize=1)
def _braille() -> np.ndarray:
    """The 256 braille characters, by dot bits; made on first use (numpy is imported late)."""
    return np.array([chr(0x2800 + i) for i in range(256)], dtype=object)


@lru_cache(maxsize=512)
def _rgb(color: RGB) -> Style:
    """One Style object per colour: Textual compares styles a lot, and equal objects compare fast."""
    return Style.parse(f"rgb({color[0]},{color[1]},{color[2]})")


AXIS = Style(dim=True)
PLAIN = Style()


def _ticks(lo: float, hi: float) -> Ticks:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [], []
    values = linear_ticks(lo, hi)
    return values, [format_number(v) for v in values]


def _limits(arrays: list[np.ndarray], fixed: tuple[float, float] | None) -> tuple[float, float]:
    if fixed is not None:
        return fixed
    finite = [a[np.isfinite(a)] for a in arrays]
    finite = [a for a in finite if a.size]
    if not finite:
        return 0.0, 1.0
    lo, hi = min(float(a.min()) for a in finite), max(float(a.max()) for a in finite)
    return (lo - 0.5, hi + 0.5) if lo == hi else (lo, hi)


@dataclass
class Picture:
    """A chart rasterised for one size: everything but the cursor, which moves often."""

    chars: np.ndarray
    owner: np.ndarray
    styles: list[Style]
    tick_rows: dict[int, str]
    label_w: int
    x_range: tuple[float, float]
    bottom: list[Strip]
    drawn: int


def picture(
    data: ChartData, width: int, height: int, highlight: str | None = None, hidden: frozenset[str] = frozenset()
) -> Picture | None:
    """Rasterise `data` for `width` x `height` cells; None when nothing fits or nothing is shown.

    A group's min–max band is shaded first, raw curves next, so the lines are drawn over them;
    with a `highlight` the other runs are drawn in their faint colour first and the highlighted
    one last. Runs in `hidden` are left out.
    """
    curves = [c for c in data.curves if c.run_id not in hidden]
    if highlight is not None:
        curves.sort(key=lambda c: c.run_id == highlight)
    ys = [a for c in curves for a in (c.y, c.raw_y, c.band_low, c.band_high) if a is not None]
    if data.log_y:
        ys = [np.log10(np.where(a > 0, a, np.nan)) for a in ys]
    x_lo, x_hi = _limits([a for c in curves for a in (c.x, c.raw_x) if a is not None], data.xlim)
    ylim = data.ylim
    if ylim is not None and data.log_y:
        ylim = (math.log10(max(ylim[0], 1e-300)), math.log10(max(ylim[1], 1e-300)))
    y_lo, y_hi = _limits(ys, ylim)
    if data.log_y:
        yticks = data.yticks or log_ticks(10**y_lo, 10**y_hi)
        ytick_at = [math.log10(t) for t in yticks[0]]
    else:
        yticks = data.yticks or _ticks(y_lo, y_hi)
        if ylim is None and not data.yticks and len(yticks[0]) >= 2 and yticks[0][-1] < y_hi:
            # the top of the axis at the next tick, so the highest values are read against a label
            top = yticks[0][-1] + (yticks[0][-1] - yticks[0][-2])
            yticks = ([*yticks[0], top], [*yticks[1], format_number(top)])
            y_hi = top
        ytick_at = list(yticks[0])
    label_w = max((len(label) for label in yticks[1]), default=1)
    plot_w, plot_h = width - label_w - 2, height - 2
    if plot_w < 4 or plot_h < 2 or not curves:
        return None

    raster = Raster(plot_w, plot_h)
    styles: list[Style] = []
    drawn = 0

    def plot(x: np.ndarray, y: np.ndarray, color: RGB, marker: str | None) -> None:
        nonlocal drawn
        if data.log_y:
            y = np.log10(np.where(y > 0, y, np.nan))
        draw(raster, len(styles), scale(x, x_lo, x_hi, plot_w * 2), scale(y, y_lo, y_hi, plot_h * 4), marker)
        styles.append(_rgb(color))
        drawn += len(split_segments(x, y))

    def band(c: Curve) -> None:
        assert c.band_low is not None and c.band_high is not None
        low, high = c.band_low, c.band_high
        if data.log_y:
            low, high = np.log10(np.where(low > 0, low, np.nan)), np.log10(np.where(high > 0, high, np.nan))
        shade(
            raster,
            len(styles),
            scale(c.x, x_lo, x_hi, plot_w * 2),
            scale(low, y_lo, y_hi, plot_h * 4),
            scale(high, y_lo, y_hi, plot_h * 4),
        )
        styles.append(_rgb(c.faint if c.faint is not None else c.color))

    for c in curves:
        if c.band_low is not None and c.band_high is not None and (highlight is None or c.run_id == highlight):
            band(c)
    for c in curves:
        if c.raw_x is not None and c.raw_y is not None and c.faint is not None and highlight is None:
            plot(c.raw_x, c.raw_y, c.faint, None)
    for c in curves:
        dim = highlight is not None and c.run_id != highlight and c.faint is not None
        plot(
            c.x,
            c.y,
            c.faint if dim and c.faint is not None else c.color,
            None if c.marker == MARKER else marker_glyph(c.marker),
        )

    tick_rows: dict[int, str] = {}
    for at, label in zip(ytick_at, yticks[1]):
        if y_lo <= at <= y_hi:
            tick_rows[plot_h - 1 - round((at - y_lo) / (y_hi - y_lo) * (plot_h * 4 - 1)) // 4] = label
    chars = _braille()[raster.dots]
    chars[raster.owner < 0] = " "
    for (row, col), glyph in raster.glyph.items():
        chars[row, col] = glyph
    return Picture(
        chars,
        raster.owner,
        styles,
        tick_rows,
        label_w,
        (x_lo, x_hi),
        _x_axis(data, x_lo, x_hi, label_w, plot_w, width),
        drawn,
    )


def _x_axis(data: ChartData, x_lo: float, x_hi: float, label_w: int, plot_w: int, width: int) -> list[Strip]:
    """The x axis line with its tick marks, and the tick labels (with the axis' name if room)."""
    xticks = data.xticks or _ticks(x_lo, x_hi)
    axis_row = ["─"] * plot_w
    label_row = [" "] * (plot_w + label_w + 2)
    free = 0
    x_name = printable_line(data.x_label)
    unit = x_name.endswith(")")  # `time since start (min)`: without it a tick's number means nothing
    if unit and len(x_name) + 2 > len(label_row) // 2:  # a narrow pane: the unit alone
        x_name = x_name[x_name.rfind("(") :]
    # a unit first, the tick labels where they fit before it; a plain name (`step`) only if room is left
    end = len(label_row) - len(x_name) - 1 if unit else len(label_row)
    for at, label in zip(*xticks):
        if not x_lo <= at <= x_hi:
            continue
        col = round((at - x_lo) / (x_hi - x_lo) * (plot_w - 1))
        label = printable_line(label)
        axis_row[col] = "┬"
        start = max(free, min(label_w + 2 + col - len(label) // 2, len(label_row) - len(label)))
        if start + len(label) <= end:
            label_row[start : start + len(label)] = list(label)
            free = start + len(label) + 1
    if unit or len(x_name) + 2 <= len(label_row) - free:
        label_row[len(label_row) - len(x_name) :] = list(x_name)
    return [
        Strip([Segment(" " * label_w + " └" + "".join(axis_row), AXIS)]).extend_cell_length(width, PLAIN),
        Strip([Segment("".join(label_row), AXIS)]).extend_cell_length(width, PLAIN),
    ]


def strips(pic: Picture, width: int, cursor: float | None = None, cursor_color: RGB | None = None) -> list[Strip]:
    """The picture's lines with the cursor's column drawn where no curve is."""
    plot_h, plot_w = pic.owner.shape
    chars, owner, styles = pic.chars, pic.owner, pic.styles
    x_lo, x_hi = pic.x_range
    if cursor is not None and x_lo <= cursor <= x_hi:
        col = min(plot_w - 1, round((cursor - x_lo) / (x_hi - x_lo) * (plot_w * 2 - 1)) // 2)
        empty = owner[:, col] < 0
        chars, owner = chars.copy(), owner.copy()
        chars[empty, col] = "│"
        owner[empty, col] = len(styles)
        styles = [*styles, _rgb(cursor_color) if cursor_color is not None else PLAIN]
    lines: list[Strip] = []
    for row in range(plot_h):
        y_label = pic.tick_rows.get(row)
        segments = [Segment((y_label or "").rjust(pic.label_w) + " " + ("┤" if y_label else "│"), AXIS)]
        cells, owners = chars[row], owner[row]
        breaks = np.flatnonzero(np.diff(owners)) + 1
        for start, end in zip([0, *breaks.tolist()], [*breaks.tolist(), plot_w]):
            index = int(owners[start])
            segments.append(Segment("".join(cells[start:end]), styles[index] if index >= 0 else PLAIN))
        lines.append(Strip(segments, pic.label_w + 2 + plot_w).extend_cell_length(width, PLAIN))
    return lines + pic.bottom


def render_chart(
    data: ChartData,
    width: int,
    height: int,
    cursor: float | None = None,
    highlight: str | None = None,
    hidden: frozenset[str] = frozenset(),
    cursor_color: RGB | None = None,
) -> tuple[list[Strip], int]:
    """The strips of a `width` x `height` chart and how many line segments were drawn."""
    pic = picture(data, width, height, highlight, hidden)
    if pic is None:
        return [Strip.blank(width, PLAIN) for _ in range(height)], 0
    return strips(pic, width, cursor, cursor_color), pic.drawn


WHEEL_ZOOM = 2 / 3
"""One notch of the wheel up narrows x to this share of the view around the pointer; down widens it back."""


class BrailleChart(Widget):
    """Draws the `ChartData` it is given; a cursor move only redraws the cursor's column.
    A click in the plot posts `Clicked` with the x under the mouse; the wheel over the plot
    posts `Wheel` (zoom x around the pointer) instead of scrolling the grid."""

    class Clicked(Message):
        def __init__(self, x: float) -> None:
            super().__init__()
            self.x = x

    class Wheel(Message):
        """Zoom x by `factor` (< 1 narrows) around `x`, the value under the pointer."""

        def __init__(self, x: float, factor: float) -> None:
            super().__init__()
            self.x = x
            self.factor = factor

    DEFAULT_CSS = """
    BrailleChart {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.data: ChartData | None = None
        self.cursor: float | None = None
        self.cursor_color: RGB | None = None
        self.highlight: str | None = None
        self.hidden: frozenset[str] = frozenset()
        self.segments_drawn = 0
        self._picture: Picture | None = None
        self._picture_key: tuple[object, ...] | None = None
        self._lines: list[Strip] | None = None
        self._generation = 0

    def show(
        self,
        data: ChartData,
        cursor: float | None,
        highlight: str | None,
        hidden: frozenset[str],
        cursor_color: RGB | None,
    ) -> None:
        if data is not self.data:
            self._generation += 1
        self.data, self.cursor, self.highlight, self.hidden, self.cursor_color = (
            data,
            cursor,
            highlight,
            hidden,
            cursor_color,
        )
        self._lines = None
        if self.size.width and self.size.height:
            self._build()  # now, so `segments_drawn` is known to the caller
        self.refresh()

    def _build(self) -> list[Strip]:
        width, height = self.size.width, self.size.height
        key = (self._generation, self.highlight, self.hidden, width, height)
        if key != self._picture_key:
            self._picture = picture(self.data, width, height, self.highlight, self.hidden) if self.data else None
            self._picture_key = key
            self.segments_drawn = self._picture.drawn if self._picture is not None else 0
        if self._picture is None:
            self._lines = [Strip.blank(width, PLAIN) for _ in range(height)]
        else:
            self._lines = strips(self._picture, width, self.cursor, self.cursor_color)
        return self._lines

    def x_at(self, column: int) -> float | None:
        """The x value drawn at `column` of this widget, or None outside the plot."""
        pic = self._picture
        if pic is None:
            return None
        plot_w = pic.owner.shape[1]
        col = column - pic.label_w - 2
        if not 0 <= col < plot_w:
            return None
        lo, hi = pic.x_range
        return float(lo + (col * 2 + 0.5) / max(plot_w * 2 - 1, 1) * (hi - lo))

    def on_click(self, event: Click) -> None:
        x = self.x_at(event.x)
        if x is not None:
            self.post_message(self.Clicked(x))

    def _wheel(self, event: MouseScrollUp | MouseScrollDown, factor: float) -> None:
        x = self.x_at(event.x)
        if x is not None:  # over the axis labels the wheel still scrolls the grid
            event.stop()
            event.prevent_default()
            self.post_message(self.Wheel(x, factor))

    def on_mouse_scroll_up(self, event: MouseScrollUp) -> None:
        self._wheel(event, WHEEL_ZOOM)

    def on_mouse_scroll_down(self, event: MouseScrollDown) -> None:
        self._wheel(event, 1 / WHEEL_ZOOM)

    def render_line(self, y: int) -> Strip:
        lines = self._lines
        if lines is None or len(lines) != self.size.height or (lines and lines[0].cell_length != self.size.width):
            lines = self._build()
        return lines[y] if y < len(lines) else Strip.blank(self.size.width, PLAIN)
