"""Min/max-per-bucket downsampling of metric curves for terminal charts.

A chart a hundred cells wide cannot show a million points, and plotext redraws from
every point it is given, so curves are cut to about twice the plot width first. Each
bucket of consecutive points keeps its minimum and its maximum (in their original
order), so a single spike still reaches the chart. Non-finite values become NaN
separators, one per bucket that held any, so the drawn line breaks where data is missing
instead of interpolating across it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
else:
    from .lazy_modules import np


def minmax_downsample(x: npt.ArrayLike, y: npt.ArrayLike, buckets: int) -> tuple[FloatArray, FloatArray]:
    """`x`, `y` reduced to at most about `2 * buckets` points (plus NaN gap markers).

    Points are bucketed by position, so `x` should be in drawing order (sorted). Every
    bucket's minimum and maximum finite `y` is kept with its `x`; a bucket containing
    NaN or inf also yields one `(x, NaN)` point at the first such position. Inputs no
    longer than `2 * buckets` come back whole, with non-finite `y` as NaN.
    """
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    if xs.shape != ys.shape or xs.ndim != 1:
        raise ValueError(f"x and y must be 1-d and the same length, got {xs.shape} and {ys.shape}")
    if buckets < 1:
        raise ValueError(f"buckets must be at least 1, got {buckets}")
    n = ys.size
    if n <= 2 * buckets:
        return xs.copy(), np.where(np.isfinite(ys), ys, np.nan)

    size = -(-n // buckets)
    rows = -(-n // size)
    pad = rows * size - n
    finite = np.isfinite(ys)
    low = np.where(finite, ys, np.inf)
    high = np.where(finite, ys, -np.inf)
    if pad:
        low = np.concatenate([low, np.full(pad, np.inf)])
        high = np.concatenate([high, np.full(pad, -np.inf)])
        bad = np.concatenate([~finite, np.zeros(pad, dtype=bool)])
    else:
        bad = ~finite
    low = low.reshape(rows, size)
    high = high.reshape(rows, size)
    bad = bad.reshape(rows, size)

    base = np.arange(rows, dtype=np.int64) * size
    i_min = base + np.argmin(low, axis=1)
    i_max = base + np.argmax(high, axis=1)
    has_real = np.isfinite(low.min(axis=1))
    has_gap = bad.any(axis=1)
    i_gap = base + np.argmax(bad, axis=1)

    picks = np.stack([i_min, i_max, i_gap], axis=1)
    keep = np.stack([has_real, has_real & (i_max != i_min), has_gap], axis=1)
    picks = np.where(keep, picks, np.iinfo(np.int64).max)
    picks.sort(axis=1)
    chosen = picks[picks != np.iinfo(np.int64).max]
    out_y = np.where(finite[chosen], ys[chosen], np.nan)
    return xs[chosen], out_y


def split_segments(x: FloatArray, y: FloatArray) -> list[tuple[FloatArray, FloatArray]]:
    """The runs of finite points between NaN/inf separators, for plotters that cannot draw gaps."""
    ok = np.isfinite(y) & np.isfinite(x)
    if ok.all():
        return [(x, y)] if y.size else []
    edges = np.flatnonzero(np.diff(np.concatenate([[False], ok, [False]]).astype(np.int8)))
    return [(x[a:b], y[a:b]) for a, b in zip(edges[::2], edges[1::2])]
