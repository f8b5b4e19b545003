"""Round axis ticks: integers for steps, 1-2-5 multiples, decades for log axes, clock times.

Plain functions (no Textual, no Rich): the charts' worker calls them and tests check them directly.
"""

from __future__ import annotations

import math
import time

from .formatting import format_clock


def time_unit(span: float) -> tuple[str, float]:
    if span >= 2 * 3600:
        return "h", 3600.0
    if span >= 120:
        return "min", 60.0
    return "s", 1.0


CLOCK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 3 * 3600, 6 * 3600, 12 * 3600, 86400)
"""Seconds between clock ticks: round on a clock face, so no two ticks read the same."""


def wall_ticks(lo: float, hi: float, count: int = 4) -> tuple[list[float], list[str]]:
    """At most `count` ticks at round local clock times (every 1, 2, 5, 10 … seconds, minutes,
    hours), labelled as precisely as the span needs (`format_clock`: seconds up to ten minutes).
    Evenly spread ticks over a short span (the system pane's first seconds) read `12:00:00` twice;
    a span too short for two whole seconds gets one tick, at its start."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [], []
    if hi <= lo:
        hi = lo + 1.0
    span = hi - lo
    step = next((s for s in CLOCK_STEPS if span / s < count), 86400 * math.ceil(span / 86400 / (count - 1)))
    try:
        offset = time.localtime(lo).tm_gmtoff  # round in local time: ticks on the hour where it is one
    except (OverflowError, OSError, ValueError):
        offset = 0
    first, last = math.ceil((lo + offset) / step), math.floor((hi + offset) / step)
    ticks = [float(k * step - offset) for k in range(first, last + 1)] or [lo]
    labels = [format_clock(t, span) for t in ticks]
    kept = dict(zip(labels, ticks))  # a label the format cannot tell apart is shown once
    return list(kept.values()), list(kept)


LOG_TICKS_MOST = 6


def log_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Round ticks between `lo` and `hi` (both > 0) for a log y axis: powers of ten when the
    range spans at least three of them, else 1, 2 and 5 times them, else every digit of the
    decade; a range too narrow for any of these gets evenly spaced round ticks."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0 or hi < lo:
        return [], []
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    ticks: list[float] = []
    for mults in ((1,), (1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
        found = [
            m * 10.0**e
            for e in range(first, last + 1)
            for m in mults
            if lo * (1 - 1e-9) <= m * 10.0**e <= hi * (1 + 1e-9)
        ]
        if len(found) > LOG_TICKS_MOST:
            ticks = ticks or found[:: math.ceil(len(found) / LOG_TICKS_MOST)]
            break
        ticks = found
        if len(ticks) >= 3:
            break
    if len(ticks) < 2:
        ticks = [lo] if lo == hi else linear_ticks(lo, hi)
    return ticks, [f"{t:.6g}" for t in ticks]


def linear_ticks(lo: float, hi: float) -> list[float]:
    """Multiples of a round step (1, 2 or 5 times a power of ten) from `lo` to `hi`: 3 to 6 of
    them (the step is made finer when the range sits awkwardly, as 0.17–0.99 does with 0.5)."""
    raw = (hi - lo) / 4
    power = 10.0 ** math.floor(math.log10(raw))
    steps = [m * power for m in (0.1, 0.2, 0.5, 1, 2, 5, 10)]
    at = next(i for i, s in enumerate(steps) if s >= raw * (1 - 1e-9))
    while True:
        step = steps[at]
        first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
        if last - first >= 2 or at == 0:
            break
        at -= 1
    digits = max(0, -math.floor(math.log10(step)))
    return [round(k * step, digits) for k in range(first, last + 1)]


def step_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Integer ticks for integer steps: a round whole step (1, 2 or 5 times a power of ten, at
    least 1), labelled as integers, so step 3 never reads 2.8."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [], []
    lo, hi = math.floor(lo), math.ceil(hi)
    if hi - lo < 4:
        ticks = [float(t) for t in range(int(lo), int(hi) + 1)]
    else:
        ticks = [float(round(t)) for t in linear_ticks(lo, hi)]
        ticks = sorted(set(ticks))
    return ticks, [str(int(t)) for t in ticks]
