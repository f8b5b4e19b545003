"""A run's metric histories, read from its `metrics/` files (`<key>.f64` records, see FORMAT.md).

Each file is read whole, within HISTORY_CAP, as records of `layout.HISTORY_FIELDS`; a torn last
record (a writer killed mid-append) is left out, and what is not a regular file is skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store import safe_read
from store.frame import history_frame
from store.ours import layout

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["HISTORY_CAP", "read_histories", "read_history_file"]

HISTORY_CAP = 256 * 1024 * 1024
"""11 million points of one key: ten times what the app is built for; a larger file is not read."""


def read_histories(metrics_dir: Path, keys: Iterable[str] | None = None) -> pd.DataFrame:
    """Long frame `key, step, time, value` of the points in a run's `metrics/` folder (of `keys`, or all),
    in logged order per key; a key whose file cannot be read has no points."""
    import numpy as np

    wanted = None if keys is None else set(keys)
    dtype = np.dtype(list(layout.HISTORY_FIELDS))
    parts: list[tuple[str, Any]] = []
    try:
        files = sorted(os.scandir(metrics_dir), key=lambda e: e.name)
    except OSError:  # no metrics yet, or something that is not a folder in its place
        files = []
    for entry in files:
        if not entry.name.endswith(layout.HISTORY_SUFFIX) or entry.name.startswith("."):
            continue
        key = layout.metric_key(entry.name)
        if wanted is not None and key not in wanted:
            continue
        try:
            parts.append((key, read_history_file(Path(entry.path), dtype)))
        except OSError:
            continue  # a folder, FIFO or device where a history should be: that key has no points
    return history_frame([(key, arr["step"], arr["time"], arr["value"]) for key, arr in parts])


def read_history_file(path: Path, dtype: Any) -> Any:
    """All whole records of a history file; a torn last record (a crash mid-write) is left out.

    Only a regular file is read (never a FIFO or device put in its place), and at most
    HISTORY_CAP bytes: a larger one is refused whole (UnsafeFileError), not cut.
    """
    import numpy as np

    raw = safe_read.read_bytes(path, cap=HISTORY_CAP)
    usable = len(raw) - len(raw) % layout.HISTORY_RECORD_SIZE
    return np.frombuffer(raw, dtype=dtype, count=usable // layout.HISTORY_RECORD_SIZE)
