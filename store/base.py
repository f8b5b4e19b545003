"""The reader interface every kind of store sits behind, and the listing cache they share.

The app, `tracktui ls` and `tracktui diff` only ever talk to `RunStore`. A store kind
says which run units exist and how to read one into a *record* (a small JSON-able dict);
this module keeps those records in a persistent index validated against stat signatures,
so a cold start reads only what changed since the last one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from . import format as fmt
from . import safe_read
from .errors import RunNotFoundError
from .process import hostname, pid_alive

if TYPE_CHECKING:
    import pandas as pd

INDEX_VERSION = 4
"""4: per-file signatures and the run folder's own (edits are new files), and records carry `parent`."""
INDEX_SAVE_INTERVAL = 30.0
"""A live store changes every few seconds; rewriting a large index that often would cost more than it saves."""
STALE_TEMPORARY_SECONDS = 300.0
"""An index temporary this old belongs to a save that was killed (a save takes well under a second)."""
RACY_SECONDS = 2.0
"""A folder changed this close to when we read it may change again within the same mtime tick."""

BASE_COLUMNS = ("run_id", "experiment", "name", "status", "created", "ended", "duration")
EXTRA_COLUMNS = ("host", "user", "reason")
METRIC_STATS = ("last", "min", "max")


@dataclass
class RunDetail:
    """Everything about one run that the detail, diff and artifact screens show."""

    run_id: str
    experiment: str
    name: str
    status: str
    created: float | None
    ended: float | None
    params: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    """host, user, pid, command, python, git commit/branch/dirty, source, ... as the store has them."""
    error: str | None = None
    """The traceback of a failed run, or why a damaged run is damaged."""
    last_seen: float | None = None
    """When the writer last gave a sign of life (heartbeat): the best end time a crashed run has."""
    artifacts_dir: Path | None = None
    extra_artifacts: dict[str, Path] = field(default_factory=dict)
    """Other folders that belong with the run's files, by label (MLflow logged models)."""
    inputs: list[dict[str, Any]] = field(default_factory=list)
    """Data the run used: name, path, kind, context, size, mtime, digest (see store/inputs.py)."""
    store: RunStore | None = field(default=None, repr=False, compare=False)

    @property
    def flat_params(self) -> dict[str, Any]:
        return fmt.flatten(self.params)

    @property
    def duration(self) -> float | None:
        if self.created is None:
            return None
        end = self.ended if self.ended is not None else (time.time() if self.status == "running" else self.last_seen)
        return None if end is None else max(0.0, end - self.created)

    def media(self) -> dict[str, list[tuple[int, Path]]]:
        """Images logged per step: `{key: [(step, path), ...]}`, steps ascending (read from disk on each call).

        A tracktui run's `media/` folder; for MLflow runs, the images `mlflow.log_image(..., key=, step=)` wrote.
        """
        from .media import read_media, read_mlflow_images

        if self.store is not None and self.store.kind == "tracktui" and self.artifacts_dir is not None:
            return read_media(self.artifacts_dir.parent)
        return read_mlflow_images(self.artifacts_dir) if self.artifacts_dir is not None else {}

    def history(self, keys: Iterable[str] | None = None) -> pd.DataFrame:
        if self.store is None:
            raise RuntimeError("this RunDetail is not attached to a store")
        return self.store.history(self.run_id, keys)


class RunStore:
    """A readable store of runs. Subclasses implement `_scan`, `_read_record`, `run`, `history`."""

    kind = "base"
    writes_index_in_store = False
    metric_stats: tuple[str, ...] = METRIC_STATS
    """Which of last/min/max the listing knows (MLflow's SQL store keeps only the latest)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._entries: dict[str, dict[str, Any]] = {}
        self._by_id: dict[str, str] = {}
        self._frames: dict[str, pd.DataFrame] = {}
        self._statuses: dict[str, str] = {}
        self._loaded = False
        self._index_dirty = False
        self._saved_at = 0.0
        self._lock = threading.RLock()
        """The app refreshes from one worker thread while screens read runs from others."""

    # -- what a store kind provides ------------------------------------------------------

    def _scan(self) -> dict[str, list[int]]:
        """Every run unit in the store with a cheap signature (stat numbers) that changes with it."""
        raise NotImplementedError

    def _read_record(self, unit: str) -> dict[str, Any]:
        """Read one run unit into a record; a damaged run gives status 'damaged' and a reason."""
        raise NotImplementedError

    def run(self, run_id: str) -> RunDetail:
        raise NotImplementedError

    def history(self, run_id: str, keys: Iterable[str] | None = None) -> pd.DataFrame:
        raise NotImplementedError

    # -- listing -------------------------------------------------------------------------

    def records(self) -> list[dict[str, Any]]:
        with self._lock:
            self._ensure_loaded()
            return [entry["record"] for entry in self._entries.values() if self._visible(entry["record"])]

    def run_ids(self) -> list[str]:
        self._ensure_loaded()
        return list(self._by_id)

    def runs_frame(self, metric_stat: str = "last") -> pd.DataFrame:
        """One row per run: base columns, then `params.*`, `metrics.*` (`metric_stat` of each), `tags.*`.

        `created`/`ended` are seconds since the epoch (float, NaN when unknown) and `duration`
        is seconds; a run still running has its duration up to now.
        """
        with self._lock:
            if metric_stat not in METRIC_STATS:
                raise ValueError(f"metric_stat must be one of {METRIC_STATS}, got {metric_stat!r}")
            self._ensure_loaded()
            if metric_stat not in self._frames:
                self._frames[metric_stat] = self._build_frame(metric_stat)
            frame = self._frames[metric_stat].copy()
            running = (frame["status"] == "running").to_numpy()
            if running.any():
                frame.loc[running, "duration"] = time.time() - frame.loc[running, "created"]
            return frame

    def experiments(self) -> dict[str, int]:
        """Experiment names with their run counts, in name order."""
        counts: dict[str, int] = {}
        for rec in self.records():
            counts[rec.get("experiment") or ""] = counts.get(rec.get("experiment") or "", 0) + 1
        return dict(sorted(counts.items()))

    def status_of(self, record: dict[str, Any]) -> str:
        return self._statuses.get(record["run_id"]) or record.get("status") or "damaged"

    def _build_frame(self, stat: str) -> pd.DataFrame:
        """Column-wise: a list per column is several times faster than a list of row dicts."""
        import numpy as np
        import pandas as pd

        records = self.records()
        n = len(records)
        base: dict[str, list[Any]] = {c: [None] * n for c in (*BASE_COLUMNS, *EXTRA_COLUMNS, "heartbeat")
                                      if c != "duration"}
        params: dict[str, list[Any]] = {}
        metrics: dict[str, Any] = {}
        tags: dict[str, list[Any]] = {}
        parents: list[Any] = [None] * n
        for i, rec in enumerate(records):
            parents[i] = rec.get("parent") or (rec.get("system_tags") or {}).get("mlflow.parentRunId")
            for col in ("run_id", "experiment", "name", "created", "ended", "host", "user", "reason", "heartbeat"):
                base[col][i] = rec.get(col)
            base["status"][i] = self.status_of(rec)
            for k, v in (rec.get("params") or {}).items():
                col = params.get(k)
                if col is None:
                    col = params[k] = [None] * n
                col[i] = v
            for k, summary in (rec.get("metrics") or {}).items():
                arr = metrics.get(k)
                if arr is None:
                    arr = metrics[k] = np.full(n, np.nan)
                value = summary.get(stat)
                if isinstance(value, (int, float)):
                    arr[i] = value
            for k, v in (rec.get("tags") or {}).items():
                col = tags.get(k)
                if col is None:
                    col = tags[k] = [None] * n
                col[i] = v
        created = np.array([np.nan if v is None else v for v in base.pop("created")], dtype=float)
        ended = np.array([np.nan if v is None else v for v in base.pop("ended")], dtype=float)
        heartbeat = np.array([np.nan if v is None else v for v in base.pop("heartbeat")], dtype=float)
        # A crashed run never wrote `ended`; its last heartbeat is when it was last seen alive.
        duration = np.where(np.isnan(ended), heartbeat, ended) - created
        columns: dict[str, Any] = {
            "run_id": base["run_id"], "experiment": base["experiment"], "name": base["name"],
            "status": base["status"], "created": created, "ended": ended, "duration": duration,
        }
        # object arrays keep ints as ints: pandas would turn [30, None] into [30.0, nan]
        columns.update((f"params.{k}", _objects(params[k])) for k in sorted(params, key=natural_key))
        columns.update((f"metrics.{k}", metrics[k]) for k in sorted(metrics, key=natural_key))
        columns.update((f"tags.{k}", tags[k]) for k in sorted(tags, key=natural_key))
        columns.update((c, base[c]) for c in EXTRA_COLUMNS)
        if any(parents):  # only stores with nested runs get the column (group by parent)
            columns["parent"] = _objects(parents)
        frame = pd.DataFrame(columns, copy=False)
        if n:
            order = np.argsort(-np.nan_to_num(created, nan=-np.inf), kind="stable")
            frame = frame.take(order).reset_index(drop=True)
        return frame

    # -- finding a run -------------------------------------------------------------------

    def resolve(self, ref: str) -> str:
        """A run id from an id, a unique id prefix or a unique run name."""
        with self._lock:
            self._ensure_loaded()
            if ref in self._by_id:
                return ref
            prefixed = [rid for rid in self._by_id if rid.startswith(ref)]
            if len(prefixed) == 1:
                return prefixed[0]
            named = [rec["run_id"] for rec in self.records() if rec.get("name") == ref]
            if len(named) == 1:
                return named[0]
            if len(prefixed) + len(named) > 1:
                raise RunNotFoundError(f"{ref!r} matches {len(prefixed) + len(named)} runs; give more of the id")
            raise RunNotFoundError(f"no run with id, id prefix or name {ref!r} in {self.root}")

    def _unit_of(self, run_id: str) -> str:
        with self._lock:
            self._ensure_loaded()
            try:
                return self._by_id[run_id]
            except KeyError:
                raise RunNotFoundError(f"no run {run_id!r} in {self.root}") from None

    # -- the index -----------------------------------------------------------------------

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            self._entries = self._load_index()
            self._loaded = True
            self.refresh()

    def refresh(self) -> set[str]:
        """Re-read only the runs whose files changed; return the ids that were added, changed or removed."""
        with self._lock:
            if not self._loaded:
                self._ensure_loaded()
                return set(self._by_id)
            now = time.time()
            changed, dirty = self._read_changes(now)
            changed |= self._update_statuses(now)
            if changed or not self._by_id:
                self._by_id = {e["record"]["run_id"]: unit for unit, e in self._entries.items()
                               if self._visible(e["record"])}
                self._frames.clear()
            self._index_dirty |= dirty
            if self._index_dirty and (self._saved_at == 0.0 or now - self._saved_at > INDEX_SAVE_INTERVAL):
                self.save_index()
            return changed

    def _read_changes(self, now: float) -> tuple[set[str], bool]:
        """Bring `_entries` up to date; return the run ids whose records changed and whether any entry did.

        The default compares `_scan()` signatures; a store that can only re-query in bulk
        (MLflow's SQL store) overrides this and keeps the rest of `refresh`.
        """
        scanned = self._scan()
        changed: set[str] = set()
        dirty = False
        entries = self._entries
        for unit in list(entries):
            if unit not in scanned:
                changed.add(entries.pop(unit)["record"]["run_id"])
                dirty = True
        for unit, sig in scanned.items():
            entry = entries.get(unit)
            if entry is not None and entry["sig"] == sig and entry["read_at"] - self._sig_time(sig) > RACY_SECONDS:
                continue
            record = self._read_record_safely(unit)
            if entry is None or entry["record"] != record:
                changed.add(record["run_id"])
            entries[unit] = {"sig": sig, "read_at": now, "record": record}
            dirty = True
        return changed, dirty

    def _sig_time(self, sig: list[int]) -> float:
        """When the files behind a signature last changed (seconds); the default takes its first number."""
        return sig[0] / 1e9

    def _read_record_safely(self, unit: str) -> dict[str, Any]:
        """`_read_record`, except that nothing a run's files hold can escape: one bad run is one damaged row."""
        try:
            record = self._read_record(unit)
            if valid_record(record):
                return record
            problem = "its files give a record of the wrong shape"
        except (Exception, RecursionError) as exc:  # noqa: BLE001 - the listing must survive any one run
            problem = f"unreadable ({type(exc).__name__}: {str(exc)[:80]})"
        return damaged_record(unit.rsplit("/", 1)[-1], unit.rsplit("/", 1)[0] if "/" in unit else "", problem)

    def _visible(self, record: dict[str, Any]) -> bool:
        """Whether a record is listed at all (MLflow keeps deleted runs, which are hidden by default)."""
        return True

    def _update_statuses(self, now: float) -> set[str]:
        """Infer 'crashed' for runs that say running but whose writer is gone."""
        changed = set()
        statuses: dict[str, str] = {}
        for entry in self._entries.values():
            rec = entry["record"]
            if rec.get("status") != "running":
                continue
            status = infer_running_status(rec, now)
            statuses[rec["run_id"]] = status
            if self._statuses.get(rec["run_id"], "running") != status:
                changed.add(rec["run_id"])
        self._statuses = statuses
        return changed

    def index_path(self) -> Path:
        if self.writes_index_in_store and os.access(self.root, os.W_OK):
            return self.root / ".tracktui-index.json"
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tracktui"
        digest = hashlib.sha1(str(self.root.resolve()).encode()).hexdigest()[:16]
        return cache / f"index-{self.kind}-{digest}.json"

    def _load_index(self) -> dict[str, dict[str, Any]]:
        try:
            data = safe_read.read_json(self.index_path(), cap=None, depth=None)  # valid_entry checks each
            if data.get("version") != INDEX_VERSION or data.get("kind") != self.kind:
                return {}
            entries = data["entries"]
            if not isinstance(entries, dict):
                return {}
            # Valid JSON with one odd value must cost one re-read, not the listing.
            return {unit: entry for unit, entry in entries.items() if valid_entry(entry)}
        except (OSError, ValueError, KeyError, AttributeError, TypeError, RecursionError):
            return {}  # missing or corrupt: it is only a cache, rebuild it

    def save_index(self) -> None:
        """Write the listing cache now (the app calls this on exit so the next start is fast)."""
        with self._lock:
            self._write_index()

    def _write_index(self) -> None:
        self._saved_at = time.time()
        self._index_dirty = False
        path = self.index_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fmt.atomic_write_text(
                path, json.dumps({"version": INDEX_VERSION, "kind": self.kind, "entries": self._entries},
                                 separators=(",", ":")), fsync=False)
        except (OSError, TypeError, ValueError, RecursionError):
            pass  # a read-only store and no cache dir, or an odd value: we just re-read next time
        remove_stale_temporaries(path)


def remove_stale_temporaries(path: Path, now: float | None = None) -> int:
    """Remove `.<index name>.*.tmp` files beside `path` older than STALE_TEMPORARY_SECONDS; return how many.

    A save killed between writing its temporary and renaming it leaves a file as large as
    the index; nothing else would ever remove it. Young ones may belong to a save going on
    in another process, so they stay.
    """
    now = time.time() if now is None else now
    prefixes = (f".{path.name}.", f"{path.name}.")  # `atomic_write_text` names them `.<name>.<random>.tmp`
    removed = 0
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return 0
    for entry in entries:
        if not (entry.name.startswith(prefixes) and entry.name.endswith(".tmp")):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMPORARY_SECONDS:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue
    return removed


_NUMBER = (int, float)


def valid_entry(entry: Any) -> bool:
    """Whether an index entry has the shape this code wrote: `{"sig": [int...], "read_at": float, "record": {...}}`."""
    return (isinstance(entry, dict) and isinstance(entry.get("sig"), list)
            and all(type(x) is int for x in entry["sig"])
            and type(entry.get("read_at")) in _NUMBER and valid_record(entry.get("record")))


_SCALARS = frozenset({str, int, float, bool, type(None)})
_STR = frozenset({str})


def valid_record(rec: Any) -> bool:
    """Whether a record has the types the listing relies on (so a tampered index cannot break it).

    Set operations over `map(type, ...)`: this runs for every entry of a 10,000-run index.
    """
    if type(rec) is not dict or type(rec.get("run_id")) is not str:
        return False
    if not _STR.issuperset(map(type, (rec.get("experiment"), rec.get("name"), rec.get("status")))):
        return False
    if rec.get("reason") is not None and type(rec.get("reason")) is not str:
        return False
    if not _SCALARS.issuperset(map(type, (rec.get("host"), rec.get("user")))):
        return False
    for key in ("created", "ended", "heartbeat"):
        value = rec.get(key)
        if value is not None and not (type(value) in _NUMBER and abs(value) < 1e13):
            return False
    for key in ("pid", "pid_start"):
        if rec.get(key) is not None and type(rec.get(key)) is not int:
            return False
    params, tags, metrics = rec.get("params", {}), rec.get("tags", {}), rec.get("metrics", {})
    if type(params) is not dict or type(tags) is not dict or type(metrics) is not dict:
        return False
    if not _SCALARS.issuperset(map(type, params.values())) or not _STR.issuperset(map(type, tags.values())):
        return False
    for summary in metrics.values():
        if type(summary) is not dict or not _SCALARS.issuperset(map(type, summary.values())):
            return False
    return True


def damaged_record(run_id: str, experiment: str, reason: str) -> dict[str, Any]:
    """The listing row of a run whose files could not be read at all."""
    return {"run_id": run_id, "experiment": experiment, "name": run_id, "status": "damaged", "reason": reason,
            "created": None, "ended": None, "host": None, "user": None, "pid": None, "pid_start": None,
            "heartbeat": None, "params": {}, "tags": {}, "metrics": {}}


def history_frame(parts: Sequence[tuple[str, Sequence[int], Sequence[float], Sequence[float]]]) -> pd.DataFrame:
    """The long `key, step, time, value` frame of `RunStore.history` from (key, steps, times, values)."""
    import numpy as np
    import pandas as pd

    parts = [p for p in parts if len(p[1])]
    if not parts:
        return pd.DataFrame({"key": pd.Series([], dtype="category"), "step": np.array([], dtype="int64"),
                             "time": np.array([], dtype=float), "value": np.array([], dtype=float)})
    keys = pd.Categorical.from_codes(
        np.concatenate([np.full(len(p[1]), i, dtype=np.int32) for i, p in enumerate(parts)]),
        categories=[p[0] for p in parts])
    return pd.DataFrame({
        "key": keys,
        "step": np.concatenate([np.asarray(p[1], dtype="int64") for p in parts]),
        "time": np.concatenate([np.asarray(p[2], dtype=float) for p in parts]),
        "value": np.concatenate([np.asarray(p[3], dtype=float) for p in parts]),
    })


def _objects(values: list[Any]) -> Any:
    import numpy as np

    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def natural_key(text: str) -> list[Any]:
    """`p2` before `p10`, as people count."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def infer_running_status(rec: dict[str, Any], now: float) -> str:
    pid = rec.get("pid")
    if rec.get("host") == hostname() and isinstance(pid, int) and pid > 0:
        try:
            return "running" if pid_alive(pid, rec.get("pid_start")) else "crashed"
        except (OSError, ValueError, OverflowError):
            return "running"  # cannot tell: do not call a live run dead
    heartbeat = rec.get("heartbeat")
    if heartbeat and now - float(heartbeat) > fmt.HEARTBEAT_STALE:
        return "crashed"
    return "running"
