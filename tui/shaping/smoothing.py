"""Exponential moving average smoothing of metric curves, as TensorBoard draws it.

TensorBoard's smoothing starts the average at zero and divides by `1 - w**k` (k = finite
points so far), so the first points are not dragged towards zero; non-finite points are
skipped (they neither move the average nor count) and stay gaps in the result.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:
    from .lazy_modules import np


SMOOTHING_STEPS: tuple[float, ...] = (0.0, 0.6, 0.8, 0.9, 0.95, 0.99)
"""The strengths the charts screen steps through with its keys."""

_MAX_EXPONENT = 600.0
"""Chunks are cut so that `w ** -len(chunk)` stays far from float overflow (e**709)."""


def ema(values: npt.ArrayLike, weight: float) -> npt.NDArray[np.float64]:
    """The debiased EMA of `values` with smoothing `weight` in [0, 1); NaN/inf stay NaN.

    Vectorised: the recurrence `s[t] = w*s[t-1] + (1-w)*x[t]` is evaluated in closed form
    over chunks short enough that the powers of `w` neither overflow nor underflow.
    """
    y = np.asarray(values, dtype=np.float64)
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight!r}")
    out = np.full(y.shape, np.nan)
    finite = np.isfinite(y)
    x = y[finite]
    if weight == 0.0 or x.size == 0:
        out[finite] = x
        return out
    smoothed = _ema_zero_start(x, weight)
    counts = np.arange(1, x.size + 1, dtype=np.float64)
    debias = -np.expm1(counts * math.log(weight))
    out[finite] = smoothed / debias
    return out


def _ema_zero_start(x: npt.NDArray[np.float64], w: float) -> npt.NDArray[np.float64]:
    """`s[t] = w*s[t-1] + (1-w)*x[t]` with `s[-1] = 0`, chunk by chunk."""
    log_w = math.log(w)
    chunk = max(1, int(_MAX_EXPONENT / -log_w))
    out = np.empty_like(x)
    carry = 0.0
    for start in range(0, x.size, chunk):
        part = x[start : start + chunk]
        k = np.arange(1, part.size + 1, dtype=np.float64)
        grow = np.exp(-k * log_w)  # w ** -k
        decay = np.exp(k * log_w)  # w ** k
        acc = np.cumsum((1.0 - w) * part * grow)
        out[start : start + part.size] = decay * (carry + acc)
        carry = float(out[start + part.size - 1])
    return out


def step_strength(current: float, direction: int, steps: tuple[float, ...] = SMOOTHING_STEPS) -> float:
    """The next (direction=+1) or previous (-1) strength from `steps`, clamped at the ends."""
    below = [s for s in steps if s < current - 1e-12]
    above = [s for s in steps if s > current + 1e-12]
    if direction > 0:
        return above[0] if above else steps[-1]
    return below[-1] if below else steps[0]
