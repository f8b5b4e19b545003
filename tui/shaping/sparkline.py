"""A metric's history as one line of block characters, for the detail screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
else:
    from .lazy_modules import np


BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: np.ndarray, width: int = 24) -> str:
    """Bucket means scaled to eight levels; NaN/inf buckets show as spaces."""
    values = np.asarray(values, dtype=float)
    if not values.size or width <= 0:
        return ""
    buckets = np.array_split(values, min(width, values.size))
    means = np.array(
        [
            np.nanmean(b) if np.isfinite(b).any() else np.nan
            for b in (np.where(np.isfinite(b), b, np.nan) for b in buckets)
        ]
    )
    finite = means[np.isfinite(means)]
    if not finite.size:
        return " " * len(means)
    low, high = finite.min(), finite.max()
    span = high - low
    chars = []
    for m in means:
        if not np.isfinite(m):
            chars.append(" ")
        else:
            level = 0 if span == 0 else round((m - low) / span * (len(BLOCKS) - 1))
            chars.append(BLOCKS[level])
    return "".join(chars)
