"""What the chart view is looking at: cursor steps, and zoom ranges.

Plain functions (no Textual, no Rich). The cursor walks the x values the panes draw, so one
press moves to the next point (or the next plot column on a long, downsampled history); the
zoom halves or doubles the x range around the cursor, never past every point's extent.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
ZOOM_FACTOR = 2.0
MIN_SPAN = 1e-9


def cursor_positions(xs: Iterable[FloatArray]) -> FloatArray:
    """Sorted distinct finite x values of every curve drawn: where the cursor can stop."""
    arrays = [x[np.isfinite(x)] for x in xs]
    arrays = [x for x in arrays if x.size]
    if not arrays:
        return np.empty(0, dtype=np.float64)
    return np.unique(np.concatenate(arrays))


def step_cursor(positions: FloatArray, current: float | None, step: int) -> float | None:
    """The cursor `step` positions on from `current` (clamped to the ends); the middle position
    when there is no cursor yet; None when there is nothing to stand on."""
    if not positions.size:
        return None
    if current is None or not np.isfinite(current):
        return float(positions[positions.size // 2])
    if step > 0:
        index = int(np.searchsorted(positions, current, side="right")) - 1 + step
    else:
        index = int(np.searchsorted(positions, current, side="left")) + step
    return float(positions[max(0, min(positions.size - 1, index))])


def zoom(
    extent: tuple[float, float], view: tuple[float, float] | None, center: float | None, factor: float
) -> tuple[float, float] | None:
    """The x range after zooming the `view` (None: all of `extent`) by `factor` (< 1 narrows,
    > 1 widens) around `center` (None: the view's middle), kept inside `extent`; None when the
    result covers the whole extent (no zoom)."""
    lo, hi = view or extent
    if center is None or not lo <= center <= hi:
        center = (lo + hi) / 2
    span = max((hi - lo) * factor, MIN_SPAN)
    full = extent[1] - extent[0]
    if span >= full * (1 - 1e-9):  # zooming in by f then out by 1/f is back to everything, despite rounding
        return None
    left = center - (center - lo) * factor
    left = min(max(left, extent[0]), extent[1] - span)
    return left, left + span


def next_highlight(run_ids: list[str], current: str | None) -> str | None:
    """The run `h` highlights next: the one after `current`, then none, then the first again.
    Hidden runs take their turn too, so `H` can show them again."""
    if current in run_ids:
        at = run_ids.index(current) + 1
        return run_ids[at] if at < len(run_ids) else None
    return run_ids[0] if run_ids else None


def union_extent(extents: Iterable[tuple[float, float] | None]) -> tuple[float, float] | None:
    """The x range covering every pane's points, or None when no pane has any."""
    known = [e for e in extents if e is not None]
    return (min(e[0] for e in known), max(e[1] for e in known)) if known else None
