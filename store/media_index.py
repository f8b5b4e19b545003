"""A run's images per step as the reader interface gives them (`RunDetail.media()`), whatever kept them.

`{key: [(step, path), ...]}`, steps ascending. Our runs' `media/` folders and MLflow's `images/`
give plain pairs; other tools' runs give `MediaStep`s, pairs that also carry a caption and, for an
image held inside another file, where to take its bytes from.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from store import safe_read


class MediaStep(tuple[int, Path]):
    """One image of `RunDetail.media()`: the `(step, path)` pair every caller unpacks, its `caption`, and
    where its bytes come from when they are not in a file of their own yet (`source`).

    A pair, so code that unpacks or compares `(step, path)` keeps working; the caption ("" when the
    tool kept none, as ours and MLflow's) rides along as an attribute. An image held inside another
    file (a TensorBoard event) has a `source` that takes it out, on first use, into the file at `path`
    (a cache): listing a run's images never costs the images themselves.
    """

    caption: str
    source: Callable[[], bytes] | None

    def __new__(cls, step: int, path: Path, caption: str = "", source: Callable[[], bytes] | None = None) -> MediaStep:
        item = super().__new__(cls, (step, path))
        item.caption = caption
        item.source = source
        return item


def media_bytes(entry: tuple[int, Path], cap: int) -> bytes:
    """The bytes of one image of `RunDetail.media()` (off the UI thread): its file's, regular files only and at
    most `cap` bytes (its path may come from another tool's records), or what its `source` takes out."""
    source = getattr(entry, "source", None)
    if source is not None:
        return source()
    return safe_read.read_bytes(entry[1], cap=cap)


MediaIndex = dict[str, list[tuple[int, Path]]]
"""`{key: [(step, path), ...]}`, steps ascending; the pairs may be `MediaStep`s, which carry a caption."""
