"""What the readers of other tools' run folders share: per-step rows to history arrays, a parsed
run to a listing record and a `RunDetail`, and the listing through `FolderRunStore`.

A kind (DVCLive, Lightning's CSVLogger, Hugging Face's trainer state) only says which folders
are its runs (`is_unit`), which files make a run's signature (`unit_files`) and how to parse
one into a `ParsedRun`. Everything else, including what "running" means for a tool that never
writes an end marker, lives here so the kinds cannot drift apart.
"""

from __future__ import annotations

import abc
import io
import json
import math
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store import nested_dicts
from store.base import RunDetail, RunRecord, RunStore
from store.formats.series import Points, Series
from store.frame import history_frame
from store.ours import layout
from store.ours.index import FolderRunStore, UnitIndex

if TYPE_CHECKING:
    import pandas as pd

MAX_DEPTH = 4
"""Folder levels below a reader's root searched for runs (`save_dir/name/version_N` is two)."""
RECORD_VERSION = 2
"""Part of the listing cache's name: bump it when what a record holds changes, so old caches are not trusted."""
STALE_STATUS_TAG = "tracktui.stale_status"
"""System tag saying what a run that stopped changing became: these tools write no end marker."""


@dataclass
class ParsedRun:
    """One run as a reader read it from its files."""

    name: str
    experiment: str
    params: dict[str, Any] = field(default_factory=dict)
    series: dict[str, Series] = field(default_factory=dict)
    summary: dict[str, float] = field(default_factory=dict)
    """Values with no history (a final test score, the best metric), shown as metrics."""
    tags: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    created: float | None = None
    last_change: float | None = None
    """When its files last changed: a run whose files change now is running."""
    finished: bool | None = None
    """True when the tool wrote its end, False when it shows the run stopped early, None when it cannot tell."""
    problems: list[str] = field(default_factory=list)
    """What could not be read (a cut-off last line, a file being written): the reason column."""
    artifacts_dir: Path | None = None


def scalar_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Flattened params, one table cell each: lists and other values become JSON text."""
    flat = nested_dicts.flatten(dict(params))
    out: dict[str, Any] = {}
    for key, value in flat.items():
        if value is None or isinstance(value, (str, int, float, bool)):
            out[key] = value if not (isinstance(value, float) and not math.isfinite(value)) else str(value)
        else:
            out[key] = json.dumps(value, default=str)[:1000]
    return out


def status_now(parsed: ParsedRun, now: float) -> tuple[str, str]:
    """(status now, status once its files stop changing): these tools write no heartbeat, so a
    run whose files changed within `HEARTBEAT_STALE` seconds is running."""
    later = "finished" if parsed.finished is not False else "crashed"
    if parsed.finished:
        return "finished", "finished"
    if parsed.last_change is not None and now - parsed.last_change < layout.HEARTBEAT_STALE:
        return "running", later
    return later, later


def record_of(run_id: str, parsed: ParsedRun, now: float) -> RunRecord:
    status, later = status_now(parsed, now)
    ended = parsed.last_change if status != "running" else None
    if ended is not None and parsed.created is not None:
        ended = max(ended, parsed.created)  # a config written after the last point is not a negative duration
    metrics = {key: s.summary() for key, s in parsed.series.items() if s.count}
    for key, value in parsed.summary.items():
        if key not in metrics and math.isfinite(value):
            metrics[key] = {"last": value, "min": value, "max": value, "count": 1}
    return {
        "run_id": run_id,
        "experiment": parsed.experiment,
        "name": parsed.name,
        "status": status,
        "reason": "; ".join(dict.fromkeys(parsed.problems))[:300] or None,
        "created": parsed.created,
        "ended": ended,
        "host": None,
        "user": None,
        "pid": None,
        "pid_start": None,
        "heartbeat": parsed.last_change,
        "params": scalar_params(parsed.params),
        "tags": dict(parsed.tags),
        "metrics": metrics,
        "system_tags": {STALE_STATUS_TAG: later},
    }


def find_units(root: Path, is_unit: Any, depth: int = MAX_DEPTH, nested: bool = False) -> Iterator[str]:
    """Folders under `root` (relative, `""` for the root itself) that `is_unit` takes for a run;
    hidden folders and symlinked ones are not searched, nor a run's own folder unless runs of
    the kind can be `nested` (DVCLive folders inside a DVCLive folder)."""
    if is_unit(root):
        yield ""
        if not nested:
            return
    stack = [(root, 0)]
    while stack:
        folder, level = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
                continue
            path = Path(entry.path)
            unit = is_unit(path)
            if unit:
                yield path.relative_to(root).as_posix()
            if (nested or not unit) and level + 1 < depth:
                stack.append((path, level + 1))


def files_signature(files: Iterable[Path]) -> tuple[list[int], float | None, float | None]:
    """([newest mtime ns, total size, file count], oldest mtime, newest mtime) of the files that exist.

    Both times come from the nanoseconds: `st_mtime` rounds differently, so one file's oldest
    time could be 2e-7 s after its newest and its run's duration negative.
    """
    newest, total, count, oldest = 0, 0, 0, None
    for path in files:
        try:
            st = path.stat()
        except OSError:
            continue
        newest = max(newest, st.st_mtime_ns)
        total += st.st_size
        count += 1
        oldest = st.st_mtime_ns if oldest is None else min(oldest, st.st_mtime_ns)
    return [newest, total, count], (None if oldest is None else oldest / 1e9), (newest / 1e9 if count else None)


class StaleStatus(RunStore):
    """A run stops being `running` when its files stop changing, and becomes what its reader
    said it would (`STALE_STATUS_TAG`), not `crashed` as a run of ours without a heartbeat would."""

    def _update_statuses(self, now: float) -> set[str]:
        changed: set[str] = set()
        statuses: dict[str, str] = {}
        for rec in self._all_records():
            heartbeat = rec.get("heartbeat")
            if rec.get("status") != "running" or heartbeat is None or now - heartbeat < layout.HEARTBEAT_STALE:
                continue
            statuses[rec["run_id"]] = (rec.get("system_tags") or {}).get(STALE_STATUS_TAG, "finished")
            if self._statuses.get(rec["run_id"]) != statuses[rec["run_id"]]:
                changed.add(rec["run_id"])
        changed |= set(self._statuses) - set(statuses)
        self._statuses = statuses
        return changed


class FileRunsStore(StaleStatus, FolderRunStore):
    """A read-only store of one tool's run folders under `root`; a kind provides the three methods below."""

    kind = "files"
    nested_units = False
    """Whether a run's folder may hold more runs of the kind (DVCLive's `dvclive/fold_0`)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self._cache = UnitIndex(root, f"{self.kind}-{RECORD_VERSION}", in_store=False)

    @abc.abstractmethod
    def is_unit(self, path: Path) -> bool:
        """Whether `path` is the folder of one run of this kind."""

    @abc.abstractmethod
    def unit_files(self, path: Path) -> list[Path]:
        """The files whose changes change the run (its signature, created and last-changed times)."""

    @abc.abstractmethod
    def parse(self, path: Path, run_id: str, points: Points = True) -> ParsedRun:
        """Read one run folder; what cannot be read goes into `problems`, never raises for damage.

        `points=False` keeps only each series' summary (`SeriesSet(keep_points=False)`): the
        listing and the detail need no more, and a 377 MB CSV's points took 2.6 GB; a chart
        passes the keys it draws."""

    def _path(self, unit: str) -> Path:
        return self.root / unit if unit else self.root

    def _run_id(self, unit: str) -> str:
        return unit or self.root.name

    def _scan(self) -> dict[str, list[int]]:
        return {
            unit: files_signature(self.unit_files(self._path(unit)))[0]
            for unit in find_units(self.root, self.is_unit, nested=self.nested_units)
        }

    def _parsed(self, unit: str, points: Points = False) -> ParsedRun:
        path = self._path(unit)
        parsed = self.parse(path, self._run_id(unit), points)
        _, oldest, newest = files_signature(self.unit_files(path))
        parsed.created = parsed.created if parsed.created is not None else oldest
        parsed.last_change = parsed.last_change if parsed.last_change is not None else newest
        return parsed

    def _read_record(self, unit: str) -> RunRecord:
        return record_of(self._run_id(unit), self._parsed(unit), time.time())

    def run(self, run_id: str) -> RunDetail:
        record = self._listed(run_id)
        parsed = self._parsed(self._unit_of(run_id))
        fresh = record_of(run_id, parsed, time.time())
        return RunDetail(
            run_id=run_id,
            experiment=parsed.experiment,
            name=parsed.name,
            status=self.status_of(record),
            created=parsed.created,
            ended=fresh["ended"],
            params=dict(parsed.params),
            tags=dict(parsed.tags),
            metrics=fresh["metrics"],
            facts={"format": self.kind, **parsed.facts},
            error="; ".join(parsed.problems) or None,
            last_seen=parsed.last_change,
            artifacts_dir=parsed.artifacts_dir,
            store=self,
        )

    def history(self, run_id: str, keys: Iterable[str] | None = None) -> pd.DataFrame:
        wanted = None if keys is None else frozenset(keys)
        parsed = self._parsed(self._unit_of(run_id), points=True if wanted is None else wanted)
        return history_frame(
            [(key, s.steps, s.times, s.values) for key, s in parsed.series.items() if wanted is None or key in wanted]
        )


def read_lines(path: Path, problems: list[str]) -> Iterator[str]:
    """A text file's complete lines, read as they are used (a 377 MB CSV is never whole in memory);
    a last line without its newline is a row still being written (or a file cut off), left
    out and said in `problems`, never an error."""
    from store import safe_read

    try:
        fh = io.TextIOWrapper(
            os.fdopen(safe_read.open_regular(path), "rb"), encoding="utf-8", errors="replace", newline=""
        )
    except OSError as exc:
        problems.append(f"{path.name} unreadable ({type(exc).__name__}: {str(exc)[:80]})")
        return
    with fh:
        try:
            for line in fh:
                if not line.endswith(("\n", "\r")):
                    problems.append(f"{path.name}: last line cut off (still being written, or truncated)")
                    return
                yield line.rstrip("\r\n")
        except OSError as exc:
            problems.append(f"{path.name} unreadable ({type(exc).__name__}: {str(exc)[:80]})")


def read_mapping(path: Path, problems: list[str], yaml_file: bool = False) -> dict[str, Any]:
    """A small JSON or YAML mapping; {} and a line in `problems` when missing is fine but damage is said."""
    from store import safe_read

    if not path.exists():
        return {}
    try:
        text = safe_read.read_text(path, cap=safe_read.SMALL_FILE_CAP)
        if yaml_file:
            import yaml

            data = safe_read.load_yaml(text, getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        else:
            data = safe_read.loads_json(text)
    except (OSError, ValueError, RecursionError) as exc:
        problems.append(f"{path.name} unreadable or cut off ({type(exc).__name__}: {str(exc)[:60]})")
        return {}
    except Exception as exc:  # noqa: BLE001 - yaml.YAMLError and its kin: a file half written by its tool
        problems.append(f"{path.name} is not valid ({type(exc).__name__}: {str(exc).splitlines()[0][:60]})")
        return {}
    if not isinstance(data, dict):
        if data is not None:
            problems.append(f"{path.name} holds {type(data).__name__}, not a mapping")
        return {}
    return data
