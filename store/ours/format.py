"""On-disk layout of a tracktui store, and the rules for what goes into it.

Everything that both the writer and the reader must agree on lives here, so that
`FORMAT.md` has one piece of code to stay in step with:

- where a store is (`resolve_root`, the `TRACKTUI_STORE` variable, `cache_root`) and the
  names in it: file and folder names, run ids, experiment, metric and media names from keys;
- what may be stored: keys, params and tags as JSON and text (`json_value`, `text_value`,
  `too_long_int`), metric values and steps (`as_float`, `as_step`), the history record type;
- safe writes: temporaries beside their target (`write_temp`) renamed into place
  (`atomic_write_text`, `copy_file_atomic`), history records appended at a known size
  (`append_records`), and removing temporaries a killed writer left (`remove_stale_temporaries`);
- the summaries derived from histories (`merge_summary`, `summarise_histories`) and merging
  nested params (`deep_merge`).
"""

from __future__ import annotations

import json
import numbers
import os
import re
import secrets
import shutil
import stat
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from store import safe_read

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


MAX_DEPTH = 100
"""Nesting a param value may have; deeper is refused at the call (readers recurse into it)."""


def json_value(value: Any, where: str, depth: int = 0) -> Any:
    """`value` as plain JSON data (dict with str keys, list, str, int, float, bool, None).

    Params are converted at the call, so what cannot be stored fails there, with the key in
    the message, instead of making every later flush fail (and with it the metrics): text
    with lone surrogates (`os.listdir` gives them for file names that are not UTF-8), ints
    of more than 4,300 digits, objects whose `.item()` raises. Tuples and sets become lists,
    numpy scalars and arrays their Python values, other objects their `str()`.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, float):
        return float(value)  # np.float64 is a float subclass
    if isinstance(value, str):
        return text_value(value, where)
    if isinstance(value, numbers.Integral):
        try:
            str(value)
        except ValueError:
            raise too_long_int(where, "log it as a str (or a float)") from None
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if depth >= MAX_DEPTH:
        raise ValueError(f"{where}: nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(key, str):
                name = text_value(key, f"{where}: key")
            elif key is None or isinstance(key, (bool, int, float)):
                name = json.dumps(key)  # what json.dumps would make of it
            else:
                raise TypeError(f"{where}: key {key!r:.60} is a {type(key).__name__}; keys must be str")
            out[name] = json_value(item, f"{where} {name!r}" if depth == 0 else f"{where}.{name}", depth + 1)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_value(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
    for method in ("tolist", "item"):  # numpy arrays and scalars, tensors
        convert = getattr(value, method, None)
        if callable(convert):
            try:
                plain = convert()
            except Exception as exc:
                raise TypeError(f"{where}: {type(value).__name__}.{method}() failed ({type(exc).__name__}: "
                                f"{str(exc)[:80]}); log a plain value instead") from None
            if type(plain) is type(value):
                break
            return json_value(plain, where, depth + 1)
    try:
        text = str(value)
    except Exception as exc:
        raise TypeError(f"{where}: a {type(value).__name__} cannot be stored (str() failed: {exc!s:.80})") from None
    return text_value(text, where)


def too_long_int(where: str, advice: str) -> ValueError:
    """The one text for an int Python refuses to write out (params as JSON, tags as text):
    the limit is `sys.get_int_max_str_digits()` (4,300 unless PYTHONINTMAXSTRDIGITS says otherwise)."""
    limit = sys.get_int_max_str_digits()
    return ValueError(f"{where}: an int of more than {limit:,} digits cannot be stored; {advice}")


def text_value(text: str, where: str) -> str:
    """`text` if it can be written as UTF-8; a ValueError naming `where` if not."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            f"{where}: {text!r:.80} is not valid text (a lone surrogate, as os.listdir gives for a file "
            f"name that is not UTF-8); decode it first, e.g. os.fsencode(name).decode('utf-8', 'replace')") from None
    return str(text)


def same_value(a: Any, b: Any) -> bool:
    """Equality of stored values where NaN equals NaN (a config logged again is the same config)."""
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    return bool(a == b)


def _json_default(value: Any) -> Any:
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return item()
        except (TypeError, ValueError):
            pass
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def dumps(obj: Any) -> str:
    return json.dumps(obj, default=_json_default, ensure_ascii=False, indent=1)


FILE_MODE = 0o666
"""Mode asked for every file the store creates; the umask takes off the rest (0644 under 022).
Not `tempfile.mkstemp`, which makes 0600 files that teammates cannot read."""

TEMP_SUFFIX = ".tmp"
STALE_TEMP_AGE = 3600.0
"""A temporary older than this (seconds) belongs to a writer that was killed mid-write."""


def temp_path(path: Path) -> Path:
    """A temporary name beside `path`: `.<name>.<random>.tmp`, which every reader skips."""
    return path.parent / f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}"


def create_temp(path: Path, mode: int = FILE_MODE) -> tuple[int, Path]:
    """Create a fresh temporary beside `path` (O_EXCL, mode under the umask): fd and name."""
    while True:
        tmp = temp_path(path)
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), mode), tmp
        except FileExistsError:
            continue


def remove_stale_temporaries(folder: Path, max_age: float = STALE_TEMP_AGE, recursive: bool = False) -> list[Path]:
    """Delete `.<name>.<random>.tmp` files (and such run folders) older than `max_age` seconds.

    A process killed between creating a temporary and renaming it (an index save, an atomic
    write, an artifact copy, a run being created) leaves one behind; nothing else ever
    removes it. Young ones are left alone: their writer may still be at work. Returns what
    was removed. Errors (a file gone meanwhile, no permission) are ignored: this is tidying.
    """
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        try:
            if entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX):
                if now - entry.stat(follow_symlinks=False).st_mtime < max_age:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
                removed.append(Path(entry.path))
            elif recursive and entry.is_dir(follow_symlinks=False):
                removed += remove_stale_temporaries(Path(entry.path), max_age, recursive=True)
        except OSError:
            continue
    return removed


def write_temp(path: Path, text: str, fsync: bool = True, mode: int = FILE_MODE) -> Path:
    """A finished temporary beside `path` holding `text` (fsynced if asked), for the caller to
    rename or link into place and then remove; nothing is left behind if writing fails.
    The one home of the temporary write behind `atomic_write_text` and `lock.create_exclusive`."""
    fd, tmp = create_temp(path, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def atomic_write_text(path: Path, text: str, fsync: bool = True, mode: int = FILE_MODE) -> None:
    """Replace `path` so that a reader sees the old file or the new one, never half of one (created with `mode`)."""
    tmp = write_temp(path, text, fsync, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, obj: Any, fsync: bool = True) -> None:
    atomic_write_text(path, dumps(obj), fsync=fsync)


def read_json(path: Path) -> Any:
    return safe_read.read_json(path)  # regular files only, capped and depth-checked: a store file is never trusted


def flatten(params: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys: {"model": {"type": "x"}} -> {"model.type": "x"}."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def as_float(key: str, value: Any) -> float:
    """A metric value a script logs: any real number, numpy and torch scalars through `.item()`.
    Not `series.number`: the writer refuses (TypeError naming the key) what a reader would skip,
    and text is never a metric here."""
    if isinstance(value, numbers.Real):
        return float(value)
    item = getattr(value, "item", None)
    if callable(item):
        try:
            inner = item()
        except (TypeError, ValueError, RuntimeError):
            inner = None
        if isinstance(inner, numbers.Real):
            return float(inner)
    raise TypeError(f"metric {key!r}: value must be a real number, got {type(value).__name__} ({value!r:.60})")


def as_step(key: str, step: Any) -> int:
    if isinstance(step, numbers.Integral) and not isinstance(step, bool):
        return int(step)
    item = getattr(step, "item", None)
    if callable(item) and isinstance(item(), numbers.Integral):
        return int(item())
    raise TypeError(f"metric {key!r}: step must be an int, got {type(step).__name__}")


def append_records(path: Path, data: bytes, expected_size: int | None, fsync: bool = True) -> int:
    """Append whole history records to `path`, all or nothing in effect; the new size.

    A write that fails part-way (ENOSPC after some bytes, a signal) is cut back to where it
    started, so the file never holds a torn record that later appends would follow. The
    file is also cut to `expected_size` (what this writer knows it wrote), or to a record
    boundary, before appending: a cut that failed last time is repaired now.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        start = os.fstat(fd).st_size
        keep = start - start % HISTORY_RECORD_SIZE if expected_size is None else min(expected_size, start)
        if keep != start:
            os.ftruncate(fd, keep)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if fsync:
                os.fsync(fd)
        except BaseException:
            try:
                os.ftruncate(fd, keep)
            except OSError:
                pass  # the next append cuts it (expected_size)
            raise
        return keep + len(data)
    finally:
        os.close(fd)


def copy_file_atomic(src: str | os.PathLike[str], dest: str | os.PathLike[str]) -> str:
    """Copy `src` to `dest` through a temporary in dest's folder, then rename it into place."""
    target = Path(dest)
    mode = 0o777 if os.stat(src).st_mode & stat.S_IXUSR else FILE_MODE
    fd, tmp = create_temp(target, mode)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out, 1 << 20)
        shutil.copystat(src, tmp, follow_symlinks=True)
        os.chmod(tmp, mode & ~umask())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return str(target)


def umask() -> int:
    """The process umask: from /proc on Linux, else by setting and restoring it (racy with threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def merge_summary(old: dict[str, Any] | None, arr: Any) -> dict[str, Any]:
    """Fold new points into a metric's summary. 'last' is the point with the greatest step."""
    import numpy as np

    values = arr["value"]
    real = values[~np.isnan(values)]
    idx = int(np.flatnonzero(arr["step"] == arr["step"].max())[-1])
    new = {
        "last": float(values[idx]), "last_step": int(arr["step"][idx]), "last_time": float(arr["time"][idx]),
        "min": float(real.min()) if real.size else float("nan"),
        "max": float(real.max()) if real.size else float("nan"),
        "count": int(values.size),
        "nonfinite": int(values.size - np.isfinite(values).sum()),
    }
    if not old:
        return new
    merged = dict(old)
    merged["count"] = int(old.get("count", 0)) + new["count"]
    merged["nonfinite"] = int(old.get("nonfinite") or 0) + new["nonfinite"]
    for name, pick in (("min", min), ("max", max)):
        vals = [v for v in (old.get(name), new[name]) if v is not None and v == v]
        merged[name] = pick(vals) if vals else float("nan")
    if new["last_step"] >= old.get("last_step", -(2**62)):
        merged.update(last=new["last"], last_step=new["last_step"], last_time=new["last_time"])
    return merged


def summarise_histories(metrics_dir: Path) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """Every metric's summary, and each history's size in bytes, from the history files.

    For a resumed run: `summary.json` is written after the appends, so a crash can leave it
    a flush behind them, and numbering resumed steps from it duplicated steps and miscounted
    forever. The history files are the truth. A record torn by the crash is cut off here, so
    new points start on a record boundary.
    """
    import numpy as np

    dtype = np.dtype(list(HISTORY_FIELDS))
    summaries: dict[str, dict[str, Any]] = {}
    sizes: dict[str, int] = {}
    for path in sorted(metrics_dir.glob(f"*{HISTORY_SUFFIX}")):
        raw = safe_read.read_bytes(path, cap=None)  # a FIFO or device here fails the resume, never hangs it
        size = len(raw) - len(raw) % HISTORY_RECORD_SIZE
        if size != len(raw):
            os.truncate(path, size)
        key = metric_key(path.name)
        sizes[key] = size
        if size:
            summaries[key] = merge_summary(None, np.frombuffer(raw, dtype=dtype, count=size // HISTORY_RECORD_SIZE))
    return summaries, sizes


def deep_merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    """Merge nested params: logging {"model": {"b": 1}} after {"model": {"a": 1}} keeps both."""
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            deep_merge(into[key], value)
        else:
            into[key] = value
