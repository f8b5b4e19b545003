"""Lines drawn in braille dots with numpy: 2x4 dots a cell, every segment of every curve at once.

plotext draws a line point by point in Python (~9 ms a curve of 150 points), so a grid of six
panes of ten runs took most of a second; here a whole pane is a few array operations. The
result is per cell: which dots are set and which curve set them last (its colour wins), plus
the cells a curve with a text marker (`NO_COLOR`) passes through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.int64]
else:
    from .lazy_modules import np


BRAILLE_BASE = 0x2800


@cache
def _dot_bits() -> npt.NDArray[np.uint8]:
    """The bit of the dot in row (0-3) and column (0-1) of a braille cell (numpy is imported late)."""
    return np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.uint8)


@dataclass
class Raster:
    """A plot area of `width` x `height` cells."""

    width: int
    height: int
    dots: npt.NDArray[np.uint8] = field(init=False)
    owner: IntArray = field(init=False)
    """Index of the curve that drew last in each cell; -1 where none did."""
    glyph: dict[tuple[int, int], str] = field(default_factory=dict)
    """(row, column) -> a text marker drawn there instead of braille."""
    shaded: npt.NDArray[np.bool_] = field(init=False)
    """Cells holding only a band's shading: a line drawn there replaces the shading's dots."""

    def __post_init__(self) -> None:
        self.dots = np.zeros((self.height, self.width), dtype=np.uint8)
        self.owner = np.full((self.height, self.width), -1, dtype=np.int64)
        self.shaded = np.zeros((self.height, self.width), dtype=bool)

    def char(self, row: int, col: int) -> str:
        return self.glyph.get((row, col)) or chr(BRAILLE_BASE + int(self.dots[row, col]))


def scale(values: FloatArray, lo: float, hi: float, dots: int) -> FloatArray:
    """Values in [lo, hi] to dot positions 0 … dots-1 (NaN stays NaN, outside goes outside)."""
    span = hi - lo if hi > lo else 1.0
    return (values - lo) / span * (dots - 1)


def line_dots(x: FloatArray, y: FloatArray) -> tuple[IntArray, IntArray]:
    """Every dot on the straight segments between consecutive finite points (dot coordinates);
    a point with no finite neighbour is drawn alone, as a 2x2 block of dots."""
    ok = np.isfinite(x) & np.isfinite(y)
    pairs = np.flatnonzero(ok[:-1] & ok[1:]) if x.size > 1 else np.empty(0, dtype=np.int64)
    x0, y0 = x[pairs], y[pairs]
    dx, dy = x[pairs + 1] - x0, y[pairs + 1] - y0
    steps = np.ceil(np.maximum(np.abs(dx), np.abs(dy))).astype(np.int64) + 1
    steps = np.minimum(steps, 4096)
    seg = np.repeat(np.arange(pairs.size), steps)
    starts = np.cumsum(steps) - steps
    t = (np.arange(int(steps.sum())) - starts[seg]) / np.maximum(steps[seg] - 1, 1)
    px, py = x0[seg] + t * dx[seg], y0[seg] + t * dy[seg]
    linked = np.zeros(x.size, dtype=bool)
    linked[pairs] = True
    linked[pairs + 1] = True
    alone = np.flatnonzero(ok & ~linked)
    if alone.size:
        bx = np.concatenate([x[alone] + d for d in (0.0, 1.0, 0.0, 1.0)])
        by = np.concatenate([y[alone] + d for d in (0.0, 0.0, 1.0, 1.0)])
        px, py = np.concatenate([px, bx]), np.concatenate([py, by])
    return np.rint(px).astype(np.int64), np.rint(py).astype(np.int64)


def draw(raster: Raster, index: int, x: FloatArray, y: FloatArray, marker: str | None = None) -> None:
    """Draw one curve given in dot coordinates (y up); `marker`: a text glyph instead of braille."""
    px, py = line_dots(x, y)
    rows = raster.height * 4 - 1 - py
    keep = (px >= 0) & (px < raster.width * 2) & (rows >= 0) & (rows < raster.height * 4)
    px, rows = px[keep], rows[keep]
    cell_r, cell_c = rows // 4, px // 2
    if marker is not None:
        for r, c in set(zip(cell_r.tolist(), cell_c.tolist())):
            raster.glyph[(r, c)] = marker
            raster.owner[r, c] = index
        return
    under = raster.shaded[cell_r, cell_c]
    if under.any():
        raster.dots[cell_r[under], cell_c[under]] = 0
        raster.shaded[cell_r, cell_c] = False
    np.bitwise_or.at(raster.dots, (cell_r, cell_c), _dot_bits()[rows % 4, px % 2])
    raster.owner[cell_r, cell_c] = index
    if raster.glyph:
        for cell in set(zip(cell_r.tolist(), cell_c.tolist())) & raster.glyph.keys():
            del raster.glyph[cell]


def shade(raster: Raster, index: int, x: FloatArray, low: FloatArray, high: FloatArray) -> None:
    """Shade the area between `low` and `high` (dot coordinates, y up, on the same sorted `x`)
    with every other dot, so a line drawn over it still reads; NaN leaves a gap."""
    dots_w, dots_h = raster.width * 2, raster.height * 4
    ok = np.isfinite(x) & np.isfinite(low) & np.isfinite(high)
    if not ok.any():
        return
    cols = np.arange(dots_w, dtype=np.float64)
    known = np.flatnonzero(ok)
    lo_at = np.interp(cols, x[known], low[known], left=np.nan, right=np.nan)
    hi_at = np.interp(cols, x[known], high[known], left=np.nan, right=np.nan)
    gap = ~ok
    if gap.any():  # no shading across a gap: columns nearer a missing point than a known one
        nearest = np.clip(np.searchsorted(x, cols), 0, x.size - 1)
        lo_at[gap[nearest]] = np.nan
    rows = np.arange(dots_h, dtype=np.float64)[:, None]
    inside = (rows >= np.rint(np.minimum(lo_at, hi_at))) & (rows <= np.rint(np.maximum(lo_at, hi_at)))
    inside &= (np.arange(dots_h)[:, None] + np.arange(dots_w)[None, :]) % 2 == 0
    inside = inside[::-1]  # dot row 0 is the bottom
    cells = inside.reshape(raster.height, 4, raster.width, 2)
    bits = (cells * _dot_bits()[None, :, None, :]).sum(axis=(1, 3)).astype(np.uint8)
    hit = bits > 0
    free = hit & (raster.owner < 0) | hit & raster.shaded
    raster.dots[free] = bits[free]
    raster.owner[free] = index
    raster.shaded[free] = True
