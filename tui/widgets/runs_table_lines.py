"""The runs table's lines as Strips: the header and one row (a run's or a group's), the fixed
columns joined to the scrolling ones and cropped to the view.

`RunsTableLines` is the part of `RunsTable` that draws (its `render_line` asks it for each line);
it reads the table's view, marks, flags, cursor and scroll, and keeps only the colours it drew
the marks with. Cell text goes into Segments as-is, never parsed as markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ..shaping.attention import ATTENTION_GLYPH
from ..shaping.column_spans import FIXED_COLUMNS
from ..shaping.columns import SPARK_WIDTH
from ..shaping.curves import DISTINCT_MARKERS, RGB, marker_glyph
from ..shaping.run_colors import run_colors
from .run_legend import theme_palette

if TYPE_CHECKING:
    from .runs_table import RunsTable


class RunsTableLines:
    """Draws `table`'s header and rows."""

    def __init__(self, table: RunsTable) -> None:
        self.table = table
        self._palette: tuple[str, list[RGB]] = ("", [])
        """The theme the run colours were taken from, and those colours."""

    def _join(
        self, segments_fixed: list[Segment], segments_rest: list[Segment], width: int, base: Style, start: int, end: int
    ) -> Strip:
        """The fixed columns, then the scrolling ones drawn from `start`, cropped to the view."""
        scroll_x = int(self.table.scroll_offset.x)
        fixed = Strip(segments_fixed)
        rest = Strip(segments_rest).crop(scroll_x - start, end - start)
        return Strip.join([fixed, rest]).adjust_cell_length(width, base).simplify()

    def header(self, width: int, base: Style) -> Strip:
        styles = {
            "base": self.table.get_component_rich_style("runs-table--header"),
            "tag": self.table.get_component_rich_style("runs-table--header"),
            "param": self.table.get_component_rich_style("runs-table--header-param"),
            "metric": self.table.get_component_rich_style("runs-table--header-metric"),
        }
        cursor = self.table.get_component_rich_style("runs-table--header-cursor")
        fixed: list[Segment] = [Segment("  ", styles["base"])]
        rest: list[Segment] = []
        sort_key, descending = self.table.view.sort_key, self.table.view.sort_descending
        columns = self.table.view.columns
        shown, start, end = self.table.spans.in_view(int(self.table.scroll_offset.x), width)
        for index in (*range(min(FIXED_COLUMNS, len(columns))), *shown):
            col = columns[index]
            arrow = ("▼" if descending else "▲") if col.key == sort_key else ""
            label = _fit(col.label, col.width - cell_len(arrow)) + arrow
            text = label.rjust(col.width) if col.numeric else label.ljust(col.width)
            style = styles[col.kind] + Style.from_meta({"header": col.key})
            if index == self.table.cursor_column:
                style += cursor
            target = fixed if index < FIXED_COLUMNS else rest
            target.append(Segment(set_cell_size(text, col.width), style))
            target.append(Segment("  ", styles["base"]))
        return self._join(fixed, rest, width, base, start, end)

    def row(self, row: int, width: int, base: Style) -> Strip:
        view = self.table.view
        run_id = view.run_id_at(row)
        marked = run_id in self.table.marks
        is_cursor = row == self.table.cursor_row
        row_style = base
        if marked:
            row_style += self.table.get_component_rich_style("runs-table--marked")
        status = view.status_at(row)
        if status == "group":
            row_style += self.table.get_component_rich_style("runs-table--group")
        if is_cursor:  # after the group's look: the cursor highlights a group row too, not just its cell
            row_style += self.table.get_component_rich_style("runs-table--cursor")
        row_style += Style.from_meta({"row": row})
        gutter = (
            self._mark(run_id, row_style)
            if marked and run_id is not None
            else Segment("  ", row_style + self.table.get_component_rich_style("runs-table--mark"))
        )
        fixed: list[Segment] = [gutter]
        if run_id in self.table.attention or (status == "group" and self._group_flagged(row)):
            fixed = [
                Segment(gutter.text[:1], gutter.style),
                Segment(ATTENTION_GLYPH, row_style + self.table.get_component_rich_style("runs-table--attention")),
            ]
        rest: list[Segment] = []
        sparks = view.sparklines and status != "group"
        columns, texts = view.columns, view.cells(row)
        shown, start, end = self.table.spans.in_view(int(self.table.scroll_offset.x), width)
        for index in (*range(min(FIXED_COLUMNS, len(columns))), *shown):
            col, text = columns[index], texts[index]
            if sparks and col.kind == "metric" and col.width > SPARK_WIDTH + 2:
                spark = self.table._spark(run_id, col.key, text) if text else ""
                text = (
                    spark.ljust(SPARK_WIDTH)
                    + " "
                    + _fit(text, col.width - SPARK_WIDTH - 1).rjust(col.width - SPARK_WIDTH - 1)
                )
            style = row_style
            if col.key == "status" and status != "group":  # a group row has its look from row_style
                style = (
                    row_style + self.table.get_component_rich_style(f"runs-table--{status}")
                    if f"runs-table--{status}" in self.table.COMPONENT_CLASSES
                    else row_style
                )
            if is_cursor and index == self.table.cursor_column:
                style += self.table.get_component_rich_style("runs-table--cursor-cell")
            fitted = _fit(text, col.width)
            fitted = fitted.rjust(col.width) if col.numeric else fitted.ljust(col.width)
            target = fixed if index < FIXED_COLUMNS else rest
            target.append(Segment(set_cell_size(fitted, col.width), style))
            target.append(Segment("  ", row_style))
        return self._join(fixed, rest, width, row_style, start, end)

    def _group_flagged(self, row: int) -> bool:
        """Whether a run of the group on `row` needs a look (a collapsed group hides its runs' flags)."""
        group = self.table.view.group_at(row) if self.table.attention else None
        return group is not None and any(r in self.table.attention for r in self.table.view.group_run_ids(group))

    def _mark(self, run_id: str, row_style: Style) -> Segment:
        """A marked run's `●` in the run's session colour (the charts' legend and the diff header
        use the same); under `NO_COLOR` the run's own chart marker instead, since colour is gone."""
        style = row_style + self.table.get_component_rich_style("runs-table--mark")
        colors = run_colors(self.table.app)
        if self.table.app.no_color:
            return Segment(marker_glyph(colors.markers([run_id], DISTINCT_MARKERS)[0]) + " ", style)
        if self._palette[0] != self.table.app.theme:
            self._palette = (self.table.app.theme, theme_palette(self.table.app.theme_variables))
        r, g, b = colors.colors([run_id], self._palette[1])[0]
        return Segment("● ", style + Style.parse(f"rgb({r},{g},{b})"))


def _fit(text: str, width: int) -> str:
    """Truncate to `width` cells with an ellipsis."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(0, width - 1)) + "…"
