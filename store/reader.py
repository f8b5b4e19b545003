"""Reading tracktui's own store format (see FORMAT.md)."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import format as fmt
from . import safe_read
from .base import RunDetail, RunRecord
from .edits import NOTE_FACT, apply_edits, read_edits
from .frame import history_frame
from .index import FolderRunStore, UnitIndex
from .inputs import input_digests, read_inputs

if TYPE_CHECKING:
    import pandas as pd


class TrackStore(FolderRunStore):
    """A tracktui store folder: `<root>/<experiment>/<run_id>/`."""

    kind = "tracktui"

    RECORD_FILES = (fmt.META, fmt.PARAMS, fmt.TAGS, fmt.SUMMARY)
    """The files a listing record is built from; its signature is theirs."""

    def __init__(self, root: Path, include_deleted: bool = False) -> None:
        super().__init__(root)
        self.include_deleted = include_deleted
        """Also list the runs in the trash (`tracktui rm`), with status `deleted`."""
        self._cache = UnitIndex(root, self.kind, in_store=True)

    def _scan(self) -> dict[str, list[int]]:
        """Each run folder with `[0, mtime_ns, ctime_ns]` of the folder itself, then `[size, mtime_ns, ctime_ns]`
        of each of RECORD_FILES (`-1, 0, 0` when absent).

        The files themselves, not only their folder: a rewrite in place (an editor, `rsync
        --inplace`) changes a file but not the folder it sits in; the folder's times catch new
        files in it (curation edits).
        """
        units: dict[str, list[int]] = {}
        self._scan_folder(self.root, "", units)
        if self.include_deleted:
            self._scan_folder(self.root / fmt.TRASH_DIR, f"{fmt.TRASH_DIR}/", units)
        return units

    @staticmethod
    def _scan_folder(root: Path, prefix: str, units: dict[str, list[int]]) -> None:
        try:
            experiments = [e for e in os.scandir(root) if e.is_dir() and not e.name.startswith(".")]
        except (FileNotFoundError, NotADirectoryError):
            return
        stat = os.stat
        names = TrackStore.RECORD_FILES
        for exp in experiments:
            try:
                runs = list(os.scandir(exp.path))
            except OSError:
                continue
            for run in runs:
                if run.name.startswith(".") or not run.is_dir():
                    continue
                try:
                    folder = run.stat()
                except OSError:
                    continue  # deleted while we looked
                # The folder's own times catch new files in it (curation edits are new files).
                sig: list[int] = [0, folder.st_mtime_ns, folder.st_ctime_ns]
                base = run.path + os.sep
                for name in names:
                    try:
                        st = stat(base + name)
                        sig += (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
                    except (OSError, ValueError):
                        sig += (-1, 0, 0)
                units[f"{prefix}{exp.name}/{run.name}"] = sig

    def _sig_time(self, sig: list[int]) -> float:
        """The latest mtime of the record's files (ctime can only be "now", it would never settle)."""
        return max(sig[1::3]) / 1e9

    def _read_files(
            self, path: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any], list[str]]:
        """meta, params, tags and summary of a run folder, and what was wrong with them."""
        problems: list[str] = []

        def load(name: str) -> dict[str, Any]:
            try:
                data = safe_read.read_json(path / name)
            except FileNotFoundError:
                if name == fmt.META:
                    problems.append(f"{name} is missing")
                return {}
            except (OSError, ValueError) as exc:
                problems.append(f"{name} is unreadable ({type(exc).__name__}: {str(exc)[:80]})")
                return {}
            if not isinstance(data, dict):
                problems.append(f"{name} holds a {type(data).__name__}, not an object")
                return {}
            return data

        meta, params, tags, summary = load(fmt.META), load(fmt.PARAMS), load(fmt.TAGS), load(fmt.SUMMARY)
        version = meta.get("version", fmt.FORMAT_VERSION)
        if isinstance(version, int) and version > fmt.FORMAT_VERSION:
            problems.append(f"written by a newer tracktui (format {version}); upgrade tracktui to read it")
        return meta, params, tags, summary, problems

    def _read_record(self, unit: str) -> RunRecord:
        exp_dir, run_id = unit.split("/")[-2:]
        meta, params, tags, summary, problems = self._read_files(self.root / unit)
        metrics = summary.get("metrics")
        metrics = metrics if isinstance(metrics, dict) else {}
        status = meta.get("status")
        if meta and status not in fmt.WRITTEN_STATUSES:
            problems.append(f"meta.json has an unknown status {str(status)[:40]!r}")
        name, tags, _ = apply_edits(str(meta.get("name") or run_id), {str(k): str(v) for k, v in tags.items()},
                                    read_edits(self.root / unit))
        if unit.startswith(f"{fmt.TRASH_DIR}/") and not problems:
            status = fmt.DELETED_STATUS
        return {
            "run_id": run_id,
            "experiment": str(meta.get("experiment") or exp_dir),
            "name": name,
            "status": "damaged" if problems else str(status),
            "reason": "; ".join(problems) or None,
            "created": _number(meta.get("created")),
            "ended": _number(meta.get("ended")),
            "host": meta.get("host"),
            "user": meta.get("user"),
            "pid": _small_int(meta.get("pid")),
            "pid_start": _small_int(meta.get("pid_start")),
            "heartbeat": _number(summary.get("heartbeat")),
            "parent": meta.get("parent") if isinstance(meta.get("parent"), str) else None,
            "params": {k: _cell(v) for k, v in fmt.flatten(params).items()},
            "tags": tags,
            "metrics": {k: v for k, v in metrics.items() if isinstance(v, dict)},
            "inputs": input_digests(read_inputs(self.root / unit)),
        }

    def run(self, run_id: str) -> RunDetail:
        """One run read fresh from disk (not from the index), with the full metadata."""
        unit = self._unit_of(run_id)
        path = self.root / unit
        record = self._read_record_safely(unit)
        meta, params, _, _, _ = self._read_files(path)
        git = meta.get("git")
        git = git if isinstance(git, dict) else {}
        command = meta.get("command")
        facts = {
            "host": meta.get("host"), "user": meta.get("user"), "pid": meta.get("pid"),
            "command": " ".join(map(str, command)) if isinstance(command, list) else command,
            "cwd": meta.get("cwd"), "python": meta.get("python"),
            "git_commit": git.get("commit"), "git_branch": git.get("branch"), "git_dirty": git.get("dirty"),
            "path": str(path),
            "parent": meta.get("parent"), "exit_code": meta.get("exit_code"),  # runs of `tracktui run`
        }
        note = apply_edits("", {}, read_edits(path))[2]
        note = note if note is not None else meta.get(NOTE_FACT)
        if isinstance(note, str) and note:
            facts[NOTE_FACT] = note
        status = record["status"] if record["status"] != "running" else self.status_of(record)
        return RunDetail(
            run_id=run_id, experiment=record["experiment"], name=record["name"], status=status,
            created=record["created"], ended=record["ended"], params=params, tags=record["tags"],
            metrics=record["metrics"], facts=facts, error=record["reason"] or meta.get("error"),
            last_seen=record["heartbeat"], artifacts_dir=path / fmt.ARTIFACTS_DIR, store=self,
            inputs=read_inputs(path),
        )

    def history(self, run_id: str, keys: Iterable[str] | None = None) -> pd.DataFrame:
        """Long frame `key, step, time, value` of the run's metric points, in logged order per key."""
        import numpy as np

        metrics_dir = self.root / self._unit_of(run_id) / fmt.METRICS_DIR
        wanted = None if keys is None else set(keys)
        dtype = np.dtype(list(fmt.HISTORY_FIELDS))
        parts: list[tuple[str, Any]] = []
        try:
            files = sorted(os.scandir(metrics_dir), key=lambda e: e.name)
        except OSError:  # no metrics yet, or something that is not a folder in its place
            files = []
        for entry in files:
            if not entry.name.endswith(fmt.HISTORY_SUFFIX) or entry.name.startswith("."):
                continue
            key = fmt.metric_key(entry.name)
            if wanted is not None and key not in wanted:
                continue
            try:
                parts.append((key, read_history_file(Path(entry.path), dtype)))
            except OSError:
                continue  # a folder, FIFO or device where a history should be: that key has no points
        return history_frame([(key, arr["step"], arr["time"], arr["value"]) for key, arr in parts])


def read_history_file(path: Path, dtype: Any) -> Any:
    """All whole records of a history file; a torn last record (a crash mid-write) is left out.

    Only a regular file is read (never a FIFO or device put in its place).
    """
    import numpy as np

    raw = safe_read.read_bytes(path, cap=None)
    usable = len(raw) - len(raw) % fmt.HISTORY_RECORD_SIZE
    return np.frombuffer(raw, dtype=dtype, count=usable // fmt.HISTORY_RECORD_SIZE)


def _number(value: Any) -> float | None:
    """A finite number of seconds, or None: a damaged file must not break time formatting."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**11:
        return float(value)
    if isinstance(value, float) and math.isfinite(value) and abs(value) < 1e11:
        return value
    return None


def _small_int(value: Any) -> int | None:
    """A pid or tick count as written by the writer; anything else (text, 2**70) is unknown."""
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**62 else None


def _cell(value: Any) -> Any:
    """Param values as one table cell: lists and other containers become their JSON text."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    import json

    return json.dumps(value, default=str, ensure_ascii=False)
