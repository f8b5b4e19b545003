"""What a runs-table cell shows and how wide its column is.

A cell's text depends on its column (a status glyph, an age, a duration, a value); a column's
width is measured on a sample of its cells, never on every row (100,000 runs), once per frame
(`FrameMeasures`), and made room for group rows and sparklines apart from that, since those
change often.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .columns import (
    MAX_WIDTH,
    SHORT_FRAME,
    SPARK_WIDTH,
    TEXT_MAX_WIDTH,
    WIDE_FRAME,
    WIDTH_SAMPLE,
    column_arrays,
    column_kind,
    holds_numbers,
)
from .formatting import cell_width, format_ago, format_duration, format_value
from .sanitize import printable
from .status import STATUS_GLYPHS

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from .grouped_view import GroupedRows
else:
    from .lazy_modules import np, pd

RECENT_SAMPLE = 200
"""Rows from the end measured again for a column's width when a listing before measured it whole."""

FIXED_WIDTHS = {"status": 10, "created": 8, "ended": 8, "duration": 7}
"""Columns whose texts have a known width, never measured."""


def cell_text(key: str, value: Any, now: float) -> str:
    """The text of a run's cell in column `key` (ages as of `now`)."""
    if key == "status":
        return f"{STATUS_GLYPHS.get(str(value), '?')} {printable(str(value))}"
    if key in ("created", "ended"):
        return format_ago(value, now)
    if key == "duration":
        return format_duration(value)
    return format_value(value)


def measure_width(key: str, label: int, values: np.ndarray, numeric: bool, again: bool, now: float) -> int:
    """The width of column `key` (header `label` cells wide) for its `values`, from a sample of them;
    `again`: measured on the listing before (a live refresh), so only the newest runs can be news."""
    wanted = WIDTH_SAMPLE // 4 if numeric else WIDTH_SAMPLE  # 5 digits: widths vary little
    sample = values[-RECENT_SAMPLE:] if again else values[:: max(1, len(values) // wanted)]
    if values.dtype.kind == "f" and not again and len(sample) and not np.isnan(values).all():
        sample = np.append(sample, [np.nanmin(values), np.nanmax(values)])  # the widest exponents
    if sample.dtype == object:
        try:
            sample = pd.unique(sample)  # params and tags repeat a few values: each is formatted once
        except TypeError:
            pass  # lists or dicts as values
    return fit_width(key, label, max((cell_width(cell_text(key, v, now)) for v in sample), default=0))


def fit_width(key: str, label: int, longest: int) -> int:
    """A column's width from its header's (`label` cells) and its longest cell's, within its cap."""
    return max(min(label, 26), min(longest, MAX_WIDTH.get(key, TEXT_MAX_WIDTH)), 3)


def extra_width(key: str, width: int, grouped: GroupedRows | None, group_stat: str, sparklines: bool) -> int:
    """`width` (of the runs' cells) made room for group rows and sparklines.

    Kept apart from the runs' measure, which samples 2,000 cells a column: grouping and
    sparklines change often and must not measure those again."""
    extra = width
    metric = column_kind(key) == "metric"
    if grouped is not None and (key == "name" or metric):
        from .grouped_view import group_cell

        groups = range(0, len(grouped.labels), max(1, len(grouped.labels) // 200))
        longest = max((cell_width(group_cell(grouped, g, key, group_stat, False)) for g in groups), default=0)
        extra = max(extra, min(longest, MAX_WIDTH.get(key, TEXT_MAX_WIDTH)))
    if sparklines and metric:
        extra += SPARK_WIDTH + 1
    return extra


class FrameMeasures:
    """One frame's columns measured once: whether each holds numbers only, and its runs' cells' width.

    Made per frame (`RunsView.set_frame`) and shared by the view's forks, as the frame is."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.widths: dict[str, int] = {}
        """Column -> the width of its runs' cells (before group rows, sparklines and minimums)."""
        self._numeric: dict[str, bool] = {}
        self._arrays: dict[str, np.ndarray] = {}

    def numeric(self, key: str) -> bool:
        """Right-align a column whose values are all numbers; decided once per frame."""
        cached = self._numeric.get(key)
        if cached is None:
            cached = self._numeric[key] = key in ("created", "duration", "ended") or (
                key in self.frame.columns and holds_numbers(self._values(key))
            )
        return cached

    def _values(self, key: str) -> np.ndarray:
        if len(self.frame) > SHORT_FRAME or len(self.frame.columns) <= WIDE_FRAME:
            return self.frame[key].to_numpy()
        if not self._arrays:
            self._arrays = column_arrays(self.frame)
        return self._arrays[key]

    def width(self, key: str, label: str, again: bool, now: float) -> int:
        """Column `key`'s width under the header `label` (ages as of `now`), measured once;
        `again`: measured on the listing before, so only the newest runs are measured."""
        width = self.widths.get(key)
        if width is None:
            width = self.widths[key] = self._measure(key, cell_width(label) + 1, again, now)  # +1: the sort arrow
        return width

    def _measure(self, key: str, label: int, again: bool, now: float) -> int:
        if key in FIXED_WIDTHS or not len(self.frame):
            return max(label, FIXED_WIDTHS.get(key, 0))
        return measure_width(key, label, self._values(key), self.numeric(key), again, now)
