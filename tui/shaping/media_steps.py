"""Which image each run shows at a step: plain functions over `RunDetail.media()` indexes.

Runs log images at their own steps (every epoch, every 5 epochs, from epoch 10 on); the
scrubber walks the union of their steps, and a run without an image at that step shows its
nearest one at or before it, so the columns never show the future of a slower run.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from store.base import media_bytes, natural_key

if TYPE_CHECKING:
    from PIL.Image import Image

MediaIndex = Mapping[str, Sequence[tuple[int, Path]]]
"""`{key: [(step, path), ...]}`, steps ascending, as `RunDetail.media()` gives it."""


@dataclass(frozen=True)
class Pick:
    """What one run shows for a key at a step."""

    step: int | None
    """The step of the image shown; None when the run has no image at or before the wanted step."""
    path: Path | None
    exact: bool
    has_key: bool
    caption: str = ""
    """What the run said of the image (W&B's `caption=`), "" when nothing."""
    entry: tuple[int, Path] | None = None
    """The index's entry, which `load_fitted` reads (a `MediaStep` may take its bytes out of another file)."""


def media_keys(indexes: Sequence[MediaIndex]) -> list[str]:
    """Every key any of the runs logged images under, in natural order."""
    return sorted({key for index in indexes for key in index}, key=natural_key)


def union_steps(indexes: Sequence[MediaIndex], key: str) -> list[int]:
    """The steps at which any run has an image of `key`, ascending."""
    return sorted({step for index in indexes for step, _ in index.get(key, ())})


def pick(index: MediaIndex, key: str, step: int) -> Pick:
    """The image of `key` at `step`, else the nearest at or before it."""
    entries = index.get(key)
    if not entries:
        return Pick(None, None, False, False)
    steps = [s for s, _ in entries]
    at = bisect.bisect_right(steps, step) - 1
    if at < 0:
        return Pick(None, None, False, True)
    found, path = entries[at]
    return Pick(found, path, found == step, True, getattr(entries[at], "caption", ""), entries[at])


def caption(name: str, wanted: int, chosen: Pick) -> tuple[str, str]:
    """The run's caption and a note: `("rf-deep · step 12 · epoch 3", "")` (the image's own caption last,
    when it has one), or a note saying what is shown instead."""
    if not chosen.has_key:
        return name, "no images of this key"
    if chosen.step is None:
        return name, f"no image at or before step {wanted}"
    title = f"{name} · step {chosen.step}" + (f" · {chosen.caption}" if chosen.caption else "")
    return title, "" if chosen.exact else f"nearest before step {wanted}"


MAX_PIXELS = 64_000_000
"""Larger images are not decoded (a decompression bomb, or a mistake)."""
MAX_FILE_BYTES = 64 * 1024 * 1024
"""Larger image files are not read."""


def load_fitted(entry: tuple[int, Path], cols: int, rows: int) -> tuple[Image, tuple[int, int]]:
    """The image of a media index entry as RGBA, scaled to fit `cols` by `rows` half-block cells, and its
    size in pixels.

    A cell is one pixel wide and two tall. Small images (a 3x3 confusion matrix) are enlarged
    by a whole factor with nearest-neighbour, so their cells stay crisp; large ones shrink
    smoothly. The bytes are read whole first (`store.base.media_bytes`: at most MAX_FILE_BYTES of a
    regular file). Raises OSError or ValueError for an image that cannot be read.
    """
    import io

    from PIL import Image

    with Image.open(io.BytesIO(media_bytes(entry, MAX_FILE_BYTES))) as image:
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise ValueError(f"{width}×{height} is too many pixels to draw")
        scale = min(max(1, cols) / width, max(1, rows) * 2 / height)
        if scale >= 1:
            scale = float(int(scale))
        target = (max(1, int(width * scale)), max(2, int(height * scale)))
        image.draft("RGB", target)
        frame = image.convert("RGBA")
    resample = Image.Resampling.NEAREST if scale >= 1 else Image.Resampling.LANCZOS
    return frame.resize(target, resample), (width, height)
