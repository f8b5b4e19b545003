"""Metric curves as data: histories split per key, x per axis, smoothing, log masking and
min/max downsampling to the plot's width, for every run of one metric.

Plain functions and data classes (no Textual, no Rich): the charts' worker builds `ChartData`
here and the `MetricChart` widget only draws it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from .downsample import minmax_downsample
from .formatting import format_clock, format_number
from .group_curves import RunGroup, group_curve
from .smoothing import ema
from .ticks import log_ticks, step_ticks, time_unit, wall_ticks

if TYPE_CHECKING:
    import pandas as pd

RGB = tuple[int, int, int]
FloatArray = npt.NDArray[np.float64]
AXES: tuple[str, ...] = ("step", "relative", "wall")
AXIS_NAMES = {"step": "step", "relative": "relative time", "wall": "wall-clock time"}
MARKER = "braille"
"""Braille dots give 2x4 points per cell, which is why curves are cut to about twice the width."""
POINT_MARKER = "hd"
"""A lone point (a one-point history, or one between two gaps) as a visible block, not one dot."""
DISTINCT_MARKERS: tuple[str, ...] = (MARKER, "dot", "x", "+", "o", "*", "#", "at")
"""One plotext marker per run when colour cannot tell the runs apart (`NO_COLOR`)."""
_MARKER_GLYPHS = {MARKER: "⣀", "dot": "•", "at": "@"}


def marker_glyph(marker: str) -> str:
    """The character a plotext marker draws, for the legend."""
    return _MARKER_GLYPHS.get(marker, marker)


@dataclass
class Curve:
    """One run's line in a chart; `raw_*` is the unsmoothed curve drawn faintly behind it."""

    run_id: str
    label: str
    color: RGB
    x: FloatArray
    y: FloatArray
    points: int
    """How many points the run logged for this metric (before downsampling)."""
    faint: RGB | None = None
    raw_x: FloatArray | None = None
    raw_y: FloatArray | None = None
    marker: str = MARKER
    full_x: FloatArray | None = None
    full_y: FloatArray | None = None
    """Every point drawn (smoothed if smoothing is on, inside the zoom): what the cursor reads."""
    band_low: FloatArray | None = None
    band_high: FloatArray | None = None
    """A group's min and max at each of its x (`x` is then its runs' shared grid, `y` their mean)."""


@dataclass
class ChartData:
    metric: str
    curves: list[Curve]
    x_label: str
    log_y: bool = False
    xticks: tuple[list[float], list[str]] | None = None
    yticks: tuple[list[float], list[str]] | None = None
    note: str = ""
    xlim: tuple[float, float] | None = None
    """The x range to draw (a zoom, or a sensible range around a single x); None: plotext's own."""
    ylim: tuple[float, float] | None = None
    """The y range to draw (outliers clipped, or around a single value); None: plotext's own."""
    extent: tuple[float, float] | None = None
    """The x range of every point before zooming (what zooming out returns to)."""
    wall_clock: bool = False
    """x is epoch seconds: read it out as a clock time."""
    title: str = ""
    """The pane's title when it is not the metric's name (`GPU 0 util %` for `system/gpu0/util`)."""


@dataclass
class Series:
    """One metric of one run, in step order."""

    step: FloatArray
    time: FloatArray
    value: FloatArray

    @classmethod
    def empty(cls) -> Series:
        e = np.empty(0, dtype=np.float64)
        return cls(e, e, e)

    def __len__(self) -> int:
        return int(self.value.size)


@dataclass
class RunInfo:
    run_id: str
    name: str
    status: str
    keys: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    """Points per metric: the chart opens on the longest curve, not on a one-point summary."""


@dataclass
class ChartRequest:
    """A snapshot of what the screen shows, handed to the worker so it never reads widgets."""

    run_ids: list[str]
    metrics: list[str]
    axis: str
    log_y: bool
    smoothing: float
    buckets: int
    colors: list[RGB]
    faint: list[RGB]
    markers: list[str] = field(default_factory=lambda: [MARKER])
    """plotext markers, one per run in turn: all braille in colour, distinct ones under `NO_COLOR`."""
    reload: frozenset[str] = frozenset()
    """Runs whose histories are re-read even if cached (the running ones, on the timer)."""
    names: dict[str, str] = field(default_factory=dict)
    """Run names for the legend by run id, as known when the request was made."""
    x_range: tuple[float, float] | None = None
    """Zoom: only points with x in this range (in the axis' drawn units) are drawn."""
    clip: float = 0.0
    """Percent of points clipped at each end of y (1.0: y spans the 1st to 99th percentile)."""
    groups: list[RunGroup] = field(default_factory=list)
    """Draw these groups (mean in a min–max band) instead of each run; colours go by group."""
    log_toggled: frozenset[str] = frozenset()
    """Metrics whose pane has the other y scale than `log_y` (`l` on one pane)."""


@dataclass
class ChartsResult:
    charts: list[ChartData]
    infos: dict[str, RunInfo] = field(default_factory=dict)


def series_from_history(frame: pd.DataFrame) -> dict[str, Series]:
    """Split a long `key, step, time, value` history frame into per-key series sorted by step."""
    out: dict[str, Series] = {}
    if frame.empty:
        return out
    codes = frame["key"].cat.codes.to_numpy()
    steps = frame["step"].to_numpy(dtype=np.float64)
    times = frame["time"].to_numpy(dtype=np.float64)
    values = frame["value"].to_numpy(dtype=np.float64)
    categories = list(frame["key"].cat.categories)
    for code, key in enumerate(categories):
        if len(categories) == 1:
            s, t, v = steps, times, values
        else:
            mask = codes == code
            s, t, v = steps[mask], times[mask], values[mask]
        if s.size > 1 and bool((np.diff(s) < 0).any()):
            order = np.argsort(s, kind="stable")
            s, t, v = s[order], t[order], v[order]
        out[str(key)] = Series(s, t, v)
    return out


METRIC_AXIS = "metric:"
"""An axis `metric:epoch` draws each point at the value `epoch` had at the same step."""


def axis_name(axis: str) -> str:
    return axis[len(METRIC_AXIS) :] if axis.startswith(METRIC_AXIS) else AXIS_NAMES[axis]


def axis_values(series: Series, axis: str, x_series: Series | None = None) -> FloatArray:
    """x of each point: its step, seconds since the series' first point, epoch seconds, or
    (`metric:KEY`, with `x_series` that metric's series) KEY's last value at or before its step
    (NaN before KEY's first point)."""
    if axis == "step":
        return series.step
    if axis == "relative":
        if not len(series):
            return series.time
        return series.time - float(np.nanmin(series.time))
    if axis.startswith(METRIC_AXIS):
        if x_series is None or not len(x_series):
            return np.full(len(series), np.nan)
        at = np.searchsorted(x_series.step, series.step, side="right") - 1
        return np.where(at >= 0, x_series.value[np.clip(at, 0, None)], np.nan)
    return series.time


def format_x(x: float, wall_clock: bool) -> str:
    """An x value as the cursor readout shows it: a local clock time on the wall-clock axis."""
    if wall_clock and math.isfinite(x):
        return format_clock(x)
    return format_number(x)


def value_at(x: FloatArray, y: FloatArray, at: float) -> float | None:
    """The value of the curve (`x` sorted) at `at`: its last point at or before `at`, or None
    before its first point or after its last."""
    if not x.size or at < x[0] or at > x[-1]:
        return None
    return float(y[int(np.searchsorted(x, at, side="right")) - 1])


def in_range(x: FloatArray, lo: float, hi: float) -> npt.NDArray[np.bool_]:
    """Points with x in [lo, hi], plus one on each side so a line runs to the range's edges."""
    keep = (x >= lo) & (x <= hi)
    inside = np.flatnonzero(keep)
    if inside.size:
        keep[max(0, int(inside[0]) - 1)] = True
        keep[min(x.size - 1, int(inside[-1]) + 1)] = True
    return keep


def clip_range(values: list[FloatArray], percent: float, log_y: bool) -> tuple[float, float] | None:
    """y limits from the `percent`-th to the (100 - `percent`)-th percentile of the finite
    values (positive ones on a log axis), with a little margin; None without values."""
    finite = [v[np.isfinite(v) & ((v > 0) if log_y else True)] for v in values]
    both = np.concatenate([v for v in finite if v.size]) if any(v.size for v in finite) else None
    if both is None:
        return None
    lo, hi = (float(q) for q in np.percentile(both, [percent, 100 - percent]))
    if hi <= lo:
        return None
    if log_y:
        return lo / 1.05, hi * 1.05
    pad = (hi - lo) * 0.05
    return lo - pad, hi + pad


def single_range(value: float) -> tuple[float, float]:
    """A range around one value: ±10 % of it (±1 around 0)."""
    half = abs(value) * 0.1 or 1.0
    return value - half, value + half


SINGLE_X_HALF = {"step": 1.0, "wall": 30.0}
"""Half the x range around a lone x (a summary value's step, one system sample's time)."""


def single_x(x: float, axis: str) -> tuple[tuple[float, float], tuple[list[float], list[str]]]:
    """The x range and ticks of points that all sit at one x: that x in the middle and its one
    tick (`-1 0 1` around step 0 invented steps; ±10 % of an epoch time spanned years)."""
    half = SINGLE_X_HALF.get(axis) or abs(x) * 0.1 or 1.0
    label = format_clock(x) if axis == "wall" else str(int(x)) if axis == "step" and x == int(x) else format_number(x)
    return (x - half, x + half), ([x], [label])


def _run_curve(
    index: int,
    run_id: str,
    name: str,
    points: int,
    x: FloatArray,
    raw: FloatArray,
    smooth: FloatArray,
    req: ChartRequest,
) -> Curve:
    """One run's line, cut to `req.buckets` min/max buckets; its raw curve too when smoothed."""
    mx, my = minmax_downsample(x, smooth, req.buckets)
    curve = Curve(
        run_id=run_id,
        label=name,
        color=req.colors[index % len(req.colors)],
        x=mx,
        y=my,
        points=points,
        marker=req.markers[index % len(req.markers)] if req.markers else MARKER,
        full_x=x,
        full_y=smooth,
    )
    curve.faint = req.faint[index % len(req.faint)] if req.faint else None
    if req.smoothing > 0:
        curve.raw_x, curve.raw_y = minmax_downsample(x, raw, req.buckets)
    return curve


def _group_curves(
    shown: list[tuple[int, str, str, int, FloatArray, FloatArray, FloatArray]], req: ChartRequest
) -> list[Curve]:
    """One curve per group of `req.groups` (in its order: colours and markers go by group):
    the mean of its runs' (smoothed) curves inside their min–max band, on a grid of at most
    two points per bucket, so no further downsampling."""
    by_run = {entry[1]: entry for entry in shown}
    curves: list[Curve] = []
    for index, group in enumerate(req.groups):
        members = [by_run[r] for r in group.run_ids if r in by_run]
        if not members:
            continue
        agg = group_curve([(m[4], m[6]) for m in members], 2 * req.buckets)
        curves.append(
            Curve(
                run_id=group.key,
                label=group.short,
                color=req.colors[index % len(req.colors)],
                x=agg.x,
                y=agg.mean,
                points=sum(m[3] for m in members),
                faint=req.faint[index % len(req.faint)] if req.faint else None,
                marker=req.markers[index % len(req.markers)] if req.markers else MARKER,
                full_x=agg.x,
                full_y=agg.mean,
                band_low=agg.low,
                band_high=agg.high,
            )
        )
    return curves


def build_chart(  # noqa: C901 - the axis choices, in one place
    metric: str,
    series_by_run: list[tuple[str, str, Series]],
    req: ChartRequest,
    x_series: dict[str, Series] | None = None,
) -> ChartData:
    """The curves of one metric: x per the axis (`x_series`: the x metric's series by run id for
    a `metric:` axis), EMA smoothing on the full-resolution values, the zoom, log-scale masking
    (`req.log_y`, or not when the metric is in `req.log_toggled`), and min/max downsampling to
    `req.buckets` buckets."""
    log_y = req.log_y != (metric in req.log_toggled)
    prepared: list[tuple[int, str, str, int, FloatArray, FloatArray, FloatArray]] = []
    for index, (run_id, name, series) in enumerate(series_by_run):
        if not len(series):
            continue
        x = axis_values(series, req.axis, (x_series or {}).get(run_id))
        raw = series.value
        smooth = ema(raw, req.smoothing) if req.smoothing > 0 else raw
        if req.axis.startswith(METRIC_AXIS):
            known = np.isfinite(x)
            x, raw, smooth = x[known], raw[known], smooth[known]
            if x.size > 1 and bool((np.diff(x) < 0).any()):
                order = np.argsort(x, kind="stable")
                x, raw, smooth = x[order], raw[order], smooth[order]
        prepared.append((index, run_id, name, len(series), x, raw, smooth))
    x_label, xticks, scale = axis_name(req.axis), None, 1.0
    xs_all = [p[4] for p in prepared if p[4].size]
    if req.axis == "relative" and xs_all:
        span = max(float(np.nanmax(x)) for x in xs_all) - min(float(np.nanmin(x)) for x in xs_all)
        unit, scale = time_unit(span)
        x_label = f"time since start ({unit})"
    every = [x[np.isfinite(x)] for x in xs_all]
    every = [x for x in every if x.size]
    extent = (min(float(x.min()) for x in every) / scale, max(float(x.max()) for x in every) / scale) if every else None
    shown: list[tuple[int, str, str, int, FloatArray, FloatArray, FloatArray]] = []
    for index, run_id, name, points, x, raw, smooth in prepared:
        if scale != 1.0:
            x = x / scale
        if req.x_range is not None:
            keep = in_range(x, *req.x_range)
            x, raw, smooth = x[keep], raw[keep], smooth[keep]
        if log_y:
            raw = np.where(raw > 0, raw, np.nan)
            smooth = np.where(smooth > 0, smooth, np.nan)
        shown.append((index, run_id, name, points, x, raw, smooth))
    curves = _group_curves(shown, req) if req.groups else [_run_curve(*entry, req) for entry in shown]
    shown_x = [c.full_x for c in curves if c.full_x is not None]
    finite = [x[np.isfinite(x)] for x in shown_x]
    finite = [x for x in finite if x.size]
    lo = min((float(x.min()) for x in finite), default=math.nan)
    hi = max((float(x.max()) for x in finite), default=math.nan)
    if req.x_range is not None:
        lo, hi = max(lo, req.x_range[0]), min(hi, req.x_range[1])
    if req.axis == "step":
        if finite and all(bool(np.all(x == np.round(x))) for x in finite):
            xticks = step_ticks(lo, hi)
    elif req.axis == "wall" and finite:
        xticks = wall_ticks(lo, hi)
    xlim = req.x_range
    if finite and lo == hi:
        xlim, xticks = single_x(lo, req.axis)
    ylim = None
    yticks: tuple[list[float], list[str]] | None = None
    drawn_y = [y for c in curves for y in (c.full_y, c.band_low, c.band_high) if y is not None]
    if req.clip > 0:
        ylim = clip_range(drawn_y, req.clip, log_y)
    finite_y = [y[np.isfinite(y)] for y in drawn_y]
    finite_y = [y for y in finite_y if y.size]
    if ylim is None and finite_y and min(float(y.min()) for y in finite_y) == max(float(y.max()) for y in finite_y):
        value = float(finite_y[0][0])  # one value (a summary): read at its own tick, not between round ones
        ylim, yticks = single_range(value), ([value], [format_number(value)])
    if log_y:
        ys = [
            y[np.isfinite(y) & (y > 0)]
            for c in curves
            for y in (c.y, c.raw_y, c.band_low, c.band_high)
            if y is not None
        ]
        ys = [y for y in ys if y.size]
        if ys:
            low, high = min(float(y.min()) for y in ys), max(float(y.max()) for y in ys)
            if ylim is not None:
                low, high = max(low, ylim[0]), min(high, ylim[1])
            ticks = log_ticks(low, high)
            yticks = ticks if ticks[0] else None
    notes = [
        f"smoothed {req.smoothing:g}" if req.smoothing > 0 else "",
        f"y clipped to {req.clip:g}–{100 - req.clip:g}%" if req.clip > 0 and ylim is not None else "",
    ]
    return ChartData(
        metric=metric,
        curves=curves,
        x_label=x_label,
        log_y=log_y,
        xticks=xticks,
        yticks=yticks,
        note=" · ".join(n for n in notes if n),
        xlim=xlim,
        ylim=ylim,
        extent=extent,
        wall_clock=req.axis == "wall",
    )
