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
from ..shaping.column_spans import FIXED_COLUMNS, GUTTER
from ..shaping.columns import SPARK_WIDTH
from ..shaping.curves import DISTINCT_MARKERS, RGB, marker_glyph
from ..shaping.run_colors import run_colors
from ..shaping.workspace import cut_middle, fit_narrowed
from .run_legend import theme_palette

if TYPE_CHECKING:
    from .runs_table import RunsTable


class RunsTableLines:
    """Draws `table`'s header and rows."""

    def __init__(self, table: RunsTable) -> None:
        self.table = table
        self._palette: tuple[str, list[RGB]] = ("", [])
        """The theme the run colours were taken from, and those colours."""
        self._narrow_cache: tuple[object, object, list[tuple[int, int, bool]]] = (None, None, [])
        """(the view's columns, (width, narrowed)) -> what `_drawn` gives for them."""

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
        drawn, start, end = self._drawn(width)
        for index, col_width, is_fixed in drawn:
            col = columns[index]
            arrow = ("▼" if descending else "▲") if col.key == sort_key else ""
            label = _fit(col.label, col_width - cell_len(arrow)) + arrow if col_width > 1 else " "  # over glyphs
            text = label.rjust(col_width) if col.numeric else label.ljust(col_width)
            style = styles[col.kind] + Style.from_meta({"header": col.key})
            if index == self.table.cursor_column:
                style += cursor
            target = fixed if is_fixed else rest
            target.append(Segment(set_cell_size(text, col_width), style))
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
        drawn, start, end = self._drawn(width)
        for index, col_width, is_fixed in drawn:
            col, text = columns[index], texts[index]
            if sparks and col.kind == "metric" and col_width > SPARK_WIDTH + 2:
                spark = self.table._spark(run_id, col.key, text) if text else ""
                text = (
                    spark.ljust(SPARK_WIDTH)
                    + " "
                    + _fit(text, col_width - SPARK_WIDTH - 1).rjust(col_width - SPARK_WIDTH - 1)
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
            if self.table.narrowed and col.key in ("status", "name"):  # the glyph; the name's telling end
                fitted = text if col.key == "status" else cut_middle(text, col_width)
            else:
                fitted = _fit(text, col_width)
            fitted = fitted.rjust(col_width) if col.numeric else fitted.ljust(col_width)
            target = fixed if is_fixed else rest
            target.append(Segment(set_cell_size(fitted, col_width), style))
            target.append(Segment("  ", row_style))
        return self._join(fixed, rest, width, row_style, start, end)

    def _drawn(self, width: int) -> tuple[list[tuple[int, int, bool]], int, int]:
        """(column index, width, fixed) of each column drawn, and where the scrolling part's drawn
        columns start and end: the fixed ones and those in view, or the narrowed ones, all fixed."""
        table, columns = self.table, self.table.view.columns
        if not table.narrowed:
            shown, start, end = table.spans.in_view(int(table.scroll_offset.x), width)
            indices = (*range(min(FIXED_COLUMNS, len(columns))), *shown)
            return [(i, columns[i].width, i < FIXED_COLUMNS) for i in indices], start, end
        cached = self._narrow_cache
        if cached[0] is not columns or cached[1] != (width, table.narrowed):
            kept = [i for i, c in enumerate(columns) if c.key in table.narrowed]
            fitted = fit_narrowed(
                [(columns[i].key, columns[i].width, columns[i].numeric) for i in kept], width - GUTTER
            )
            cached = self._narrow_cache = (
                columns,
                (width, table.narrowed),
                [(i, w, True) for i, w in zip(kept, fitted)],
            )
        return cached[2], 0, 0

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
