"""Metric curves as data: histories split per key, x per axis, smoothing, log masking and
min/max downsampling to the plot's width, for every run of one metric.

Plain functions and data classes (no Textual, no Rich): the charts' worker builds `ChartData`
here and the `MetricChart` widget only draws it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from .diff import infer_direction
from .downsample import minmax_downsample
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


@dataclass
class ChartData:
    metric: str
    curves: list[Curve]
    x_label: str
    log_y: bool = False
    xticks: tuple[list[float], list[str]] | None = None
    yticks: tuple[list[float], list[str]] | None = None
    note: str = ""


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


SCHEDULE_WORDS = frozenset({
    "lr", "learning", "momentum", "epoch", "epochs", "step", "steps", "warmup", "wd", "decay", "beta1", "beta2",
    "temperature", "batch", "bs", "schedule", "scheduler",
})
"""Words of metrics that record a setting as it changes (`lr`, `epoch`): drawn after the results."""
SYSTEM_WORDS = frozenset({
    "time", "latency", "duration", "seconds", "secs", "sec", "ms", "memory", "mem", "bytes", "throughput", "gpu",
    "cpu", "util", "utilization",
})
"""Words of metrics about the machine, not the model: drawn after the results."""


def metric_tier(key: str) -> int:
    """0 for results users read first (loss, accuracy, error, F1 … by `infer_direction`), 2 for
    schedules and machine metrics (`lr`, `epoch`, `gpu_util`), 1 for the rest."""
    words = {w for w in re.split(r"[^a-z0-9]+", key.lower()) if w}
    if words & SCHEDULE_WORDS or words & SYSTEM_WORDS:
        return 2
    return 0 if infer_direction(key) is not None else 1


def default_metrics(infos: Iterable[RunInfo], limit: int = 1) -> list[str]:
    """The metrics a chart opens on: up to `limit` results (loss/accuracy-like keys, most points
    first, then by name); when no key looks like one, the metric with the most points."""
    best: dict[str, int] = {}
    for info in infos:
        for key in info.keys:
            best[key] = max(best.get(key, 0), info.counts.get(key, 0))
    ranked = sorted(best, key=lambda k: (metric_tier(k), -best[k], k))
    results = [k for k in ranked if metric_tier(k) == 0]
    return results[: max(1, limit)] if results else ranked[:1]


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


def axis_values(series: Series, axis: str) -> FloatArray:
    """x of each point: its step, seconds since the series' first point, or epoch seconds."""
    if axis == "step":
        return series.step
    if axis == "relative":
        if not len(series):
            return series.time
        return series.time - float(np.nanmin(series.time))
    return series.time


def build_chart(metric: str, series_by_run: list[tuple[str, str, Series]], req: ChartRequest) -> ChartData:
    """The curves of one metric: x per the axis, EMA smoothing on the full-resolution values,
    log-scale masking, and min/max downsampling to `req.buckets` buckets."""
    curves: list[Curve] = []
    xs_all: list[FloatArray] = []
    for index, (run_id, name, series) in enumerate(series_by_run):
        if not len(series):
            continue
        x = axis_values(series, req.axis)
        raw = series.value
        smooth = ema(raw, req.smoothing) if req.smoothing > 0 else raw
        if req.log_y:
            raw = np.where(raw > 0, raw, np.nan)
            smooth = np.where(smooth > 0, smooth, np.nan)
        mx, my = minmax_downsample(x, smooth, req.buckets)
        color = req.colors[index % len(req.colors)]
        curve = Curve(run_id=run_id, label=name, color=color, x=mx, y=my, points=len(series),
                      marker=req.markers[index % len(req.markers)] if req.markers else MARKER)
        if req.smoothing > 0:
            curve.raw_x, curve.raw_y = minmax_downsample(x, raw, req.buckets)
            curve.faint = req.faint[index % len(req.faint)]
        curves.append(curve)
        xs_all.append(x)
    x_label, xticks = AXIS_NAMES[req.axis], None
    if req.axis == "step":
        x_label = "step"
        finite = [x[np.isfinite(x)] for x in xs_all]
        finite = [x for x in finite if x.size]
        if finite and all(bool(np.all(x == np.round(x))) for x in finite):
            xticks = step_ticks(min(float(x.min()) for x in finite), max(float(x.max()) for x in finite))
    elif xs_all:
        lo = min(float(np.nanmin(x)) for x in xs_all)
        hi = max(float(np.nanmax(x)) for x in xs_all)
        if req.axis == "relative":
            unit, scale = time_unit(hi - lo)
            x_label = f"time since start ({unit})"
            if scale != 1.0:
                for c in curves:
                    c.x = c.x / scale
                    if c.raw_x is not None:
                        c.raw_x = c.raw_x / scale
        else:
            xticks = wall_ticks(lo, hi)
            x_label = "wall-clock time"
    yticks = None
    if req.log_y:
        ys = [y[np.isfinite(y) & (y > 0)] for c in curves for y in (c.y, c.raw_y) if y is not None]
        ys = [y for y in ys if y.size]
        if ys:
            ticks = log_ticks(min(float(y.min()) for y in ys), max(float(y.max()) for y in ys))
            yticks = ticks if ticks[0] else None
    note = f"smoothed {req.smoothing:g}" if req.smoothing > 0 else ""
    return ChartData(metric=metric, curves=curves, x_label=x_label, log_y=req.log_y, xticks=xticks,
                     yticks=yticks, note=note)
