"""The listing record of one run folder of our store, read from its files (see FORMAT.md).

Both sides use it: the reader for a run its index does not hold, and a writer for the row it
appends to the listing journal (store/ours/journal.py), so that a folded row is exactly what a
read would give.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from store import safe_read
from store.base import RunRecord
from store.frame import log_facts
from store.nested_dicts import flatten
from store.ours import layout
from store.ours.edits import EDIT_PREFIX, EDIT_SUFFIX, apply_edits, read_edits
from store.ours.inputs import INPUTS, input_digests, read_inputs
from store.ours.run_scan import plain_file

RECORD_FILES = (layout.META, layout.PARAMS, layout.TAGS, layout.SUMMARY)
"""The files a listing record is built from; its signature is theirs."""


def read_files(
    path: str | Path, sig: list[int] | None = None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any], list[str], set[str]]:
    """meta, params, tags and summary of a run folder, what was wrong with them, and the folder's names.

    One listing of the folder says which files are there (a missing one costs no syscall)
    and which are plain files, read with one open, fstat and read each. `sig`, when given,
    receives `[size, mtime_ns, ctime_ns]` of each of RECORD_FILES as read (`-1, 0, 0`
    absent), after the folder's own three numbers: a first listing needs no stat of its own.
    """
    problems: list[str] = []
    folder = os.fspath(path)
    entries: dict[str, os.DirEntry[str]] | None
    try:
        with os.scandir(folder) as listing:
            entries = {entry.name: entry for entry in listing}
    except PermissionError:  # a folder that may be searched but not listed: its files are read by name
        entries = None
    except OSError as exc:  # a symbolic link loop, gone: one reason, not one per file
        return {}, {}, {}, {}, [f"its folder is unreadable: {safe_read.describe(exc)}"], set()

    def load(at: int, name: str) -> dict[str, Any]:
        entry = entries.get(name) if entries is not None else None
        file = entry.path if entry is not None else os.path.join(folder, name)
        try:
            if entry is None and entries is not None:
                raise FileNotFoundError(name)
            if entry is not None and plain_file(entry):
                raw, st = safe_read.read_listed(file)
            else:  # a symbolic link or an odd entry: stat'ed before it is opened
                st = os.stat(file)
                raw = safe_read.read_bytes(file)
            if sig is not None:
                sig[at : at + 3] = st.st_size, st.st_mtime_ns, st.st_ctime_ns
            data = safe_read.loads_json(raw)
        except FileNotFoundError:
            if sig is not None:
                sig[at : at + 3] = -1, 0, 0
            if name == layout.META:
                problems.append(f"{name} is missing")
            return {}
        except (OSError, ValueError) as exc:
            problems.append(f"{name} is unreadable: {safe_read.describe(exc)}")
            return {}
        if not isinstance(data, dict):
            problems.append(f"{name} holds a {type(data).__name__}, not an object")
            return {}
        return data

    meta, params, tags, summary = (load(3 + 3 * i, name) for i, name in enumerate(RECORD_FILES))
    version = meta.get("version", layout.FORMAT_VERSION)
    if isinstance(version, int) and version > layout.FORMAT_VERSION:
        problems.append(f"written by a newer tracktui (format {version}); upgrade tracktui to read it")
    return meta, params, tags, summary, problems, set(entries) if entries is not None else {INPUTS}


def read_record(root: str, unit: str, sig: list[int] | None = None) -> RunRecord:
    """The listing record of the run folder `unit` of the store at `root`; `sig` as in `read_files`."""
    exp_dir, run_id = unit.split("/")[-2:]
    folder = os.path.join(root, unit)  # a pathlib join costs more than the folder's listing
    meta, params, tags, summary, problems, names = read_files(folder, sig)
    metrics = summary.get("metrics")
    metrics = metrics if isinstance(metrics, dict) else {}
    status = meta.get("status")
    if meta and status not in layout.WRITTEN_STATUSES:
        problems.append(f"meta.json has an unknown status {str(status)[:40]!r}")
    skipped: list[str] = []  # bad edit files: left out and named, the run keeps its status (FORMAT.md)
    edits = read_edits(Path(folder), skipped) if any(map(_is_edit, names)) else []
    name, tags, _ = apply_edits(str(meta.get("name") or run_id), {str(k): str(v) for k, v in tags.items()}, edits)
    if unit.startswith(f"{layout.TRASH_DIR}/") and not problems:
        status = layout.DELETED_STATUS
    metrics = {k: v for k, v in metrics.items() if isinstance(v, dict)}
    created = _number(meta.get("created"))
    last_logged, log_interval, nonfinite = log_facts(metrics, created)
    return {
        "run_id": run_id,
        "experiment": str(meta.get("experiment") or exp_dir),
        "name": name,
        "status": "damaged" if problems else str(status),
        "reason": "; ".join(problems + skipped) or None,
        "created": created,
        "ended": _number(meta.get("ended")),
        "host": meta.get("host"),
        "user": meta.get("user"),
        "pid": _small_int(meta.get("pid")),
        "pid_start": _small_int(meta.get("pid_start")),
        "heartbeat": _number(summary.get("heartbeat")),
        "parent": meta.get("parent") if isinstance(meta.get("parent"), str) else None,
        "params": {k: _cell(v) for k, v in flatten(params).items()},
        "tags": tags,
        "metrics": metrics,
        "inputs": input_digests(read_inputs(Path(folder))) if INPUTS in names else {},
        "last_logged": None if math.isnan(last_logged) else last_logged,
        "log_interval": None if math.isnan(log_interval) else log_interval,
        "nonfinite": nonfinite or None,
    }


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


def _is_edit(name: str) -> bool:
    return name.startswith(EDIT_PREFIX) and name.endswith(EDIT_SUFFIX)
