"""Where a tracktui store is and the names in it, shared by its writer and its readers.

`FORMAT.md` has this module to stay in step with: where a store is (`resolve_root`, the
`TRACKTUI_STORE` variable, `cache_root`), file and folder names, run ids, experiment, metric
and media names from keys (`check_key`), the history record type, statuses and heartbeats.
What may be stored is `stored_values`, how files are written is `atomic`, the summaries derived
from histories are `metric_summary`.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path
from urllib.parse import quote, unquote

FORMAT_VERSION = 1
STORE_MARKER = "tracktui-store.json"
DEFAULT_STORE_DIR = "tracktui-store"
STORE_ENV = "TRACKTUI_STORE"

META = "meta.json"
PARAMS = "params.json"
TAGS = "tags.json"
SUMMARY = "summary.json"
LOCK = "lock"
METRICS_DIR = "metrics"
ARTIFACTS_DIR = "artifacts"
MEDIA_DIR = "media"
"""Images logged per step: `media/<key %-encoded>/<step>.png` (see FORMAT.md, "Media")."""
MEDIA_SUFFIX = ".png"
HISTORY_SUFFIX = ".f64"
TRASH_DIR = ".trash"
"""Deleted runs: `<store>/.trash/<experiment-folder>/<run-id>/`, restorable until purged."""
DELETED = "deleted.json"
"""In a trashed run folder: when it was deleted and by whom."""
DELETED_STATUS = "deleted"
"""The status readers give a run in the trash (never written to meta.json)."""

HEARTBEAT_INTERVAL = 5.0
"""Seconds between summary rewrites of a live run, even when nothing was logged."""
HEARTBEAT_STALE = 6 * HEARTBEAT_INTERVAL
"""A run on another host whose heartbeat is older than this is taken as crashed."""

MAX_KEY_LENGTH = 200
"""Metric keys become file names, and file names stop at 255 bytes on most file systems."""

# One metric point: little-endian, fixed width, so a history loads with one np.fromfile.
HISTORY_FIELDS = (("step", "<i8"), ("time", "<f8"), ("value", "<f8"))
HISTORY_RECORD_SIZE = 24

WRITTEN_STATUSES = ("running", "finished", "failed", "killed")
"""What a writer records; `crashed` and `damaged` are only ever inferred by readers."""
STATUSES = (*WRITTEN_STATUSES, "crashed", "damaged")


def final_status(status: str) -> str:
    """The status a finishing run records: ours, or MLflow's spelling (`FINISHED`, `FAILED`, `KILLED`).

    Anything else is refused at the call: written as is, it would read back as damaged.
    """
    final = status.lower() if isinstance(status, str) else status
    if final not in WRITTEN_STATUSES[1:]:
        raise ValueError(
            f"finish(status={status!r}): a run finishes as 'finished', 'failed' or 'killed' "
            "(or MLflow's FINISHED, FAILED, KILLED)"
        )
    return final


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BASE32 = "0123456789abcdefghjkmnpqrstvwxyz"


def resolve_root(root: str | os.PathLike[str] | None) -> Path:
    """The store folder the caller meant: an explicit path, `$TRACKTUI_STORE`, or the default."""
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get(STORE_ENV)
    return Path(env).expanduser() if env else Path(DEFAULT_STORE_DIR)


def cache_root() -> Path:
    """Where tracktui keeps what it can always make again (listing caches of stores it may not write,
    a tracking server's listing and artifacts, input digests): `$XDG_CACHE_HOME/tracktui`, never a store."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tracktui"


def new_run_id(now: float | None = None, *, now_ns: int | None = None) -> str:
    """A run id that sorts by creation time (UTC, to the millisecond) and carries 40 random bits.

    The random tail keeps ids from different machines apart when their stores are merged
    with rsync; the readable head makes `ls` of a store tell the story on its own.
    The time is taken in integer nanoseconds (`time.time_ns()`): float seconds near 1.8e9
    carry only ~0.2 µs of precision, and `int((now % 1) * 1000)` truncated x.093 to 92 ms,
    so ids could sort out of creation order. A float `now` is rounded to the microsecond.
    """
    if now_ns is None:
        now_ns = time.time_ns() if now is None else round(now * 1_000_000) * 1000
    seconds, rest = divmod(now_ns, 1_000_000_000)
    head = time.strftime("%Y%m%d-%H%M%S", time.gmtime(seconds))
    millis = rest // 1_000_000
    bits = secrets.randbits(40)
    tail = "".join(_BASE32[(bits >> shift) & 31] for shift in range(35, -1, -5))
    return f"{head}{millis:03d}-{tail}"


def experiment_dirname(experiment: str) -> str:
    """A folder name for an experiment; the exact name is kept in each run's metadata."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", experiment).strip("._") or "_"
    return slug[:100]


def check_key(key: object, what: str = "key") -> str:
    """Refuse keys a reader could not show or a file system could not hold."""
    if not isinstance(key, str):
        raise TypeError(f"{what} must be a str, got {type(key).__name__}")
    if not key or not key.strip():
        raise ValueError(f"{what} must not be empty")
    if _CONTROL.search(key):
        raise ValueError(f"{what} {key!r} contains control characters; use printable text")
    return key


def metric_filename(key: str) -> str:
    """File name of a metric's history. `train/loss` is a normal key, so it is %-encoded."""
    name = quote(key, safe="") + HISTORY_SUFFIX
    if len(key) > MAX_KEY_LENGTH or len(name) > 250:
        raise ValueError(f"metric key {key[:40]!r}... is too long (at most {MAX_KEY_LENGTH} characters)")
    return name


def metric_key(filename: str) -> str:
    return unquote(filename[: -len(HISTORY_SUFFIX)])


def media_dirname(key: str) -> str:
    """Folder name of an image key's steps, %-encoded like a metric's file name."""
    name = quote(key, safe="")
    if len(key) > MAX_KEY_LENGTH or len(name) > 250:
        raise ValueError(f"image key {key[:40]!r}... is too long (at most {MAX_KEY_LENGTH} characters)")
    return name
