"""A group of runs as one curve: its runs' histories aligned on a shared x, then mean, min and
max per x — what W&B draws for a grouped chart (a mean line inside a min–max band).

Plain functions (no Textual, no Rich). Runs of a sweep rarely log at exactly the same steps
(one logs every 10 steps, another every 7, one crashed at step 300), so each run is read on
one grid: the union of their x values when that is small enough, else `max_points` equal
buckets (each run's mean in a bucket). A run counts only inside its own x range: it is never
extended past its last point, so a crashed run stops pulling the mean where it stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.int64]
else:
    from .lazy_modules import np


GROUP_PREFIX = "group:"
"""Group keys are `group:<label>`: they take run colour slots without meeting a run id."""


@dataclass(frozen=True)
class RunGroup:
    """Runs the charts draw as one: `label` (`lr=0.1`, safe to draw) names the group."""

    label: str
    run_ids: tuple[str, ...]

    @property
    def key(self) -> str:
        """What the group is known by in the charts (its colour slot, highlight, hidden set)."""
        return GROUP_PREFIX + self.label

    @property
    def title(self) -> str:
        """The label and how many runs the group holds."""
        return f"{self.label} ({len(self.run_ids)})"

    @property
    def short(self) -> str:
        """The key values without the keys' names (`0.1 · 3` for `lr=0.1 · seed=3`): where room is short."""
        return " · ".join(part.split("=", 1)[-1] for part in self.label.split(" · "))


@dataclass
class GroupCurve:
    x: FloatArray
    mean: FloatArray
    low: FloatArray
    high: FloatArray
    count: IntArray
    """How many runs had a value at each x (0 where none: mean, low and high are NaN there)."""


def _finite_unique(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """A run's finite points, x sorted and unique (points sharing an x averaged)."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 2 or bool((np.diff(x) > 0).all()):  # the usual case: steps already sorted and distinct
        return x, y
    ux, inverse = np.unique(x, return_inverse=True)
    if ux.size == x.size:
        order = np.argsort(x, kind="stable")
        return x[order], y[order]
    sums = np.bincount(inverse, weights=y, minlength=ux.size)
    counts = np.bincount(inverse, minlength=ux.size)
    return ux, sums / counts


def align(runs: Sequence[tuple[FloatArray, FloatArray]], max_points: int) -> tuple[FloatArray, FloatArray]:
    """The runs' curves `(x, y)` on one grid: the grid, and a (runs x grid) array of values,
    NaN where a run has no value (outside its own x range).

    With at most `max_points` distinct x overall the grid is those x and each run is linearly
    interpolated between its own points; with more, the grid is the centres of `max_points`
    equal buckets over the whole range and each run's value is its mean in the bucket (empty
    buckets inside its range interpolated)."""
    cleaned = [_finite_unique(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)) for x, y in runs]
    present = [c for c in cleaned if c[0].size]
    if not present or max_points < 1:
        return np.empty(0, dtype=np.float64), np.empty((len(runs), 0), dtype=np.float64)
    lo = min(float(x[0]) for x, _ in present)
    hi = max(float(x[-1]) for x, _ in present)
    union = (
        np.unique(np.concatenate([x for x, _ in present])) if max(x.size for x, _ in present) <= max_points else None
    )  # a run longer than the grid: buckets, without sorting every x first
    if union is not None and union.size <= max_points:
        grid = union
        values = np.full((len(runs), grid.size), np.nan)
        for i, (x, y) in enumerate(cleaned):
            if x.size:
                inside = (grid >= x[0]) & (grid <= x[-1])
                values[i, inside] = np.interp(grid[inside], x, y)
        return grid, values
    edges = np.linspace(lo, hi, max_points + 1)
    grid = (edges[:-1] + edges[1:]) / 2
    values = np.full((len(runs), max_points), np.nan)
    for i, (x, y) in enumerate(cleaned):
        if not x.size:
            continue
        bucket = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, max_points - 1)
        counts = np.bincount(bucket, minlength=max_points)
        sums = np.bincount(bucket, weights=y, minlength=max_points)
        filled = counts > 0
        row = np.full(max_points, np.nan)
        row[filled] = sums[filled] / counts[filled]
        first, last = int(bucket[0]), int(bucket[-1])
        gaps = ~filled & (np.arange(max_points) >= first) & (np.arange(max_points) <= last)
        if gaps.any():
            row[gaps] = np.interp(grid[gaps], grid[filled], row[filled])
        values[i] = row
    return grid, values


def group_curve(runs: Sequence[tuple[FloatArray, FloatArray]], max_points: int) -> GroupCurve:
    """Mean, min and max across the runs at each x of their shared grid (see `align`)."""
    grid, values = align(runs, max_points)
    known = np.isfinite(values)
    count = known.sum(axis=0).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, np.where(known, values, 0.0).sum(axis=0) / count, np.nan)
    if values.shape[0]:
        low, high = np.fmin.reduce(values, axis=0), np.fmax.reduce(values, axis=0)  # NaN only where all are
    else:
        low = high = np.full(grid.size, np.nan)
    return GroupCurve(grid, mean, low, high, count)
