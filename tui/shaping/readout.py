"""The cursor readout: every shown run's value where the cursor stands, best first.

Plain functions (no Textual, no Rich). The readout lists one row per run, so twelve runs can
be compared at a glance; the highlighted run comes first (it is the one being looked at), then
the others by their value, best first when the metric's name says which way is better
(`tui.shaping.direction`), highest first otherwise. Runs with no point at the cursor go last.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .curves import RGB, ChartData, value_at
from .direction import Direction, infer_direction


@dataclass(frozen=True)
class ReadoutRow:
    run_id: str
    label: str
    """The run's (or group's) name as the store gave it: sanitize before drawing."""
    color: RGB
    marker: str
    value: float | None
    """The curve's value at the cursor (smoothed if smoothing is on); None: no point there."""
    low: float | None = None
    high: float | None = None
    """A group's min and max at the cursor."""
    highlighted: bool = False


def readout_rows(
    data: ChartData,
    cursor: float,
    highlight: str | None = None,
    hidden: frozenset[str] = frozenset(),
    direction: Direction | None = None,
) -> list[ReadoutRow]:
    """One row per shown curve of `data` at x = `cursor`, in reading order: the highlighted run,
    then the rest best first (`direction`; None: guessed from the metric's name), then those with
    no value there, in their legend order."""
    rows: list[ReadoutRow] = []
    for c in data.curves:
        if c.run_id in hidden:
            continue
        value = value_at(c.full_x, c.full_y, cursor) if c.full_x is not None and c.full_y is not None else None
        low = high = None
        if c.band_low is not None and c.band_high is not None:
            low, high = value_at(c.x, c.band_low, cursor), value_at(c.x, c.band_high, cursor)
        rows.append(ReadoutRow(c.run_id, c.label, c.color, c.marker, value, low, high, c.run_id == highlight))
    return order_rows(rows, direction or infer_direction(data.metric))


def order_rows(rows: list[ReadoutRow], direction: Direction | None) -> list[ReadoutRow]:
    """`rows` highlighted first, then by value (ascending when lower is better), missing or
    non-finite values last; the sort is stable, so ties keep the legend's order."""
    sign = 1.0 if direction == "lower" else -1.0

    def key(row: ReadoutRow) -> tuple[bool, bool, float]:
        known = row.value is not None and math.isfinite(row.value)
        return not row.highlighted, not known, sign * row.value if known and row.value is not None else 0.0

    return sorted(rows, key=key)
