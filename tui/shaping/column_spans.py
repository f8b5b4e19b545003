"""Where each column of the runs table sits across its width: which columns stay put, which are in
view when it scrolls sideways, and where to scroll to show one whole.

Plain numbers (cells), so the table widget only draws; a run can have 10,000 params, and a line
builds segments only for the columns these spans say are in view.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

FIXED_COLUMNS = 2
"""The mark gutter and the first two columns (status, name) stay put when the table scrolls sideways."""
GUTTER = 2
"""Cells of the mark gutter, and between two columns."""


class ColumnSpans:
    """The columns' positions for one set of widths (`lay_out` after the columns change)."""

    def __init__(self) -> None:
        self.positions: list[tuple[int, int]] = []
        """Each column's start and width, from the table's left edge."""
        self.rest_starts: list[int] = []
        self.rest_ends: list[int] = []
        self.total_width = self.fixed_width = 0

    def lay_out(self, widths: Iterable[int]) -> None:
        x = GUTTER
        self.positions = []
        for width in widths:
            self.positions.append((x, width))
            x += width + GUTTER
        self.total_width = x
        self.fixed_width = GUTTER + sum(w + GUTTER for _, w in self.positions[:FIXED_COLUMNS])
        # Where each scrolling column starts and ends, relative to the scrolling part.
        self.rest_starts = [pos - self.fixed_width for pos, _ in self.positions[FIXED_COLUMNS:]]
        self.rest_ends = [pos + w + GUTTER - self.fixed_width for pos, w in self.positions[FIXED_COLUMNS:]]

    def in_view(self, scroll_x: int, width: int) -> tuple[range, int, int]:
        """The indices of the scrolling columns to draw, where the scrolling part's first drawn
        column starts, and where drawing stops (see `visible_end`)."""
        end = self.visible_end(scroll_x, width)
        first = bisect.bisect_right(self.rest_ends, scroll_x)
        last = bisect.bisect_left(self.rest_starts, end)
        start = self.rest_starts[first] if first < len(self.rest_starts) else scroll_x
        return range(FIXED_COLUMNS + first, FIXED_COLUMNS + last), start, end

    def visible_end(self, scroll_x: int, width: int) -> int:
        """Where to stop drawing the scrolling part: after the last column that fits whole.

        A column cut at the right edge would show the first digits of its values under no
        header of their own, where they read as values of the column before.
        """
        limit = scroll_x + max(0, width - self.fixed_width)
        fitting = bisect.bisect_right(self.rest_ends, limit)
        return self.rest_ends[fitting - 1] if fitting else limit

    def scrolls(self, column: int) -> bool:
        """Whether `column` is one of the scrolling columns (not fixed, and laid out)."""
        return FIXED_COLUMNS <= column < len(self.positions)

    def scroll_showing(self, column: int, x: int, width: int) -> int:
        """A horizontal offset that starts at a column boundary and shows `column` (a scrolling one),
        from the offset `x` in a table `width` cells wide.

        Offsets between boundaries would leave the tail of a cut column beside the fixed
        ones, where its digits read like real values.
        """
        visible = max(1, width - self.fixed_width)
        boundaries = self.rest_starts
        start, span = self.positions[column]
        start -= self.fixed_width
        if start < x:
            return start
        if x in boundaries and start + span <= x + visible:
            return x
        for boundary in boundaries:
            if boundary <= start and start + span <= boundary + visible:
                return boundary
        return start
