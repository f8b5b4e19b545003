"""The data a run used: `run.log_input(path_or_name, ...)` records a file, folder or dataset name
with its size, mtime and a content digest, in `inputs.json` (see "Inputs" in FORMAT.md).

Hashing is done once per file version: digests are cached by (real path, size, mtime_ns)
in `$XDG_CACHE_HOME/tracktui/digests.json`, so logging the same 50 GB dataset at the start
of every run costs a stat per file. A folder's digest is the SHA-256 of its files' digests
and relative paths. A path tracked by DVC (a `<path>.dvc` file beside it, or an entry in a
`dvc.lock` above it) takes DVC's recorded md5 instead: no reading at all, and the same
digest DVC users already compare.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store.ours import atomic, layout, stored_values

if TYPE_CHECKING:
    from store.writing.writer import Run

INPUTS = "inputs.json"
CACHE_FILE = "digests.json"
CACHE_MAX_ENTRIES = 200_000
CHUNK = 1 << 20
_lock = threading.Lock()


class DigestCache:
    """`{real path: [size, mtime_ns, digest]}`; a stale or unreadable cache is only a cache."""

    def __init__(self) -> None:
        self.path = layout.cache_root() / CACHE_FILE
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self.entries: dict[str, list[Any]] = data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            self.entries = {}
        self.dirty = False

    def digest(self, path: Path, st: os.stat_result) -> str:
        key = str(path)
        hit = self.entries.get(key)
        if isinstance(hit, list) and len(hit) == 3 and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            return str(hit[2])
        digest = "sha256:" + _sha256(path)
        self.entries[key] = [st.st_size, st.st_mtime_ns, digest]
        self.dirty = True
        return digest

    def save(self) -> None:
        if not self.dirty:
            return
        if len(self.entries) > CACHE_MAX_ENTRIES:  # keep the newest half (dicts keep insertion order)
            self.entries = dict(list(self.entries.items())[-CACHE_MAX_ENTRIES // 2 :])
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic.atomic_write_text(self.path, json.dumps(self.entries), fsync=False)
        except OSError:
            pass  # a read-only home: hash again next time


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def describe(path: Path, cache: DigestCache) -> dict[str, Any]:
    """size, mtime, digest (and `files` for a folder) of an existing path."""
    st = path.stat()
    if not path.is_dir():
        return {"size": st.st_size, "mtime": st.st_mtime, "digest": cache.digest(path, st)}
    lines: list[str] = []
    size, mtime, files = 0, st.st_mtime, 0
    for folder, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in (".git", ".dvc"))
        for name in sorted(names):
            file = Path(folder) / name
            try:
                fst = file.stat()
            except OSError:
                continue  # a dangling symlink
            lines.append(f"{cache.digest(file.resolve(), fst)}  {file.relative_to(path).as_posix()}")
            size += fst.st_size
            mtime = max(mtime, fst.st_mtime)
            files += 1
    digest = "sha256:" + hashlib.sha256("\n".join(lines).encode("utf-8", "surrogateescape")).hexdigest()
    return {"size": size, "mtime": mtime, "digest": digest, "files": files}


def dvc_md5(path: Path) -> str | None:
    """DVC's recorded md5 of `path` (`md5:<hex>`, `.dir` for folders), from `<path>.dvc` or a `dvc.lock`."""
    import yaml

    sidecar = path.with_name(path.name + ".dvc")
    if sidecar.is_file():
        try:
            outs = (yaml.safe_load(sidecar.read_text(encoding="utf-8")) or {}).get("outs") or []
        except (OSError, ValueError, yaml.YAMLError, AttributeError):
            outs = []
        for out in outs:
            if isinstance(out, dict) and out.get("md5") and Path(str(out.get("path", path.name))).name == path.name:
                return f"md5:{out['md5']}"
    folder = path.parent
    while True:
        lock = folder / "dvc.lock"
        if lock.is_file():
            found = _md5_in_lock(lock, path)
            if found:
                return found
        if (folder / ".git").exists() or (folder / ".dvc").is_dir() or folder.parent == folder:
            return None
        folder = folder.parent


def _md5_in_lock(lock: Path, path: Path) -> str | None:
    import yaml

    try:
        data = yaml.safe_load(lock.read_text(encoding="utf-8")) or {}
        stages = data.get("stages") or {}
    except (OSError, ValueError, yaml.YAMLError, AttributeError):
        return None
    try:
        rel = path.relative_to(lock.parent).as_posix()
    except ValueError:
        return None
    for stage in stages.values() if isinstance(stages, dict) else ():
        for part in ("outs", "deps"):
            for entry in (stage.get(part) or []) if isinstance(stage, dict) else ():
                if isinstance(entry, dict) and str(entry.get("path", "")).rstrip("/") == rel and entry.get("md5"):
                    return f"md5:{entry['md5']}"
    return None


def log_input(
    run: Run,
    path_or_name: str | os.PathLike[str],
    *,
    digest: str | None = None,
    kind: str = "dataset",
    context: str = "train",
) -> dict[str, Any]:
    """Record an input of `run`; the entry written (logging the same path and context again replaces it)."""
    run._check_open()
    layout.check_key(kind, "input kind")
    layout.check_key(context, "input context")
    text = os.fspath(path_or_name)
    stored_values.text_value(layout.check_key(text, "input"), "input")
    if digest is not None:
        stored_values.text_value(layout.check_key(digest, "input digest"), "input digest")
    path = Path(text).expanduser()
    entry: dict[str, Any] = {
        "name": path.name or text,
        "path": None,
        "kind": kind,
        "context": context,
        "size": None,
        "mtime": None,
        "digest": digest,
        "digest_source": "given" if digest else None,
        "time": time.time(),
    }
    tracked = None
    if path.exists() or path.with_name(path.name + ".dvc").exists():
        path = path.resolve()
        entry["path"] = str(path)
        tracked = None if digest else dvc_md5(path)
        if tracked:
            entry.update(digest=tracked, digest_source="dvc")
    else:
        entry["name"] = text  # a dataset name (a table, a URI, a registry id)
    if path.exists():
        cache = DigestCache() if not (digest or tracked) else None
        if cache is not None:
            facts = describe(path, cache)
            cache.save()
            entry.update(facts, digest_source="sha256")
        else:
            st = path.stat()
            entry.update(size=st.st_size if not path.is_dir() else None, mtime=st.st_mtime)
    with _lock:
        same = (entry["path"] or entry["name"], context)
        entries = [e for e in read_inputs(run.path) if (e.get("path") or e.get("name"), e.get("context")) != same]
        entries.append(entry)
        atomic.atomic_write_text(run.path / INPUTS, stored_values.dumps(entries))
    return entry


def read_inputs(run_path: Path) -> list[dict[str, Any]]:
    """The inputs recorded in a run folder; [] when none or unreadable (a damaged file is not fatal)."""
    try:
        data = atomic.read_json(run_path / INPUTS)
    except (OSError, ValueError):
        return []
    return [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []


def input_digests(entries: list[dict[str, Any]]) -> dict[str, str]:
    """Name -> digest of each input ("" when it has none): what a runs listing holds of a run's inputs."""
    return {
        str(e.get("name") or e.get("path")): str(e.get("digest") or "")
        for e in entries
        if e.get("name") or e.get("path")
    }
