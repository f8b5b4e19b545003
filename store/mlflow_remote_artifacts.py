"""A tracking server's run artifacts, mirrored into the cache so the artifact screens read local files.

`artifacts/list` gives one folder level at a time (path, is_dir, file_size); files are
fetched through `get-artifact`, which serves both proxied (`mlflow-artifacts:`) and
server-side artifact stores. A file already in the cache with the listed size is not fetched
again (artifacts of a run do not change once logged). Big files are left out, and said so,
so that opening a run never means waiting for a multi-gigabyte checkpoint.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from .mlflow_http import ServerClient, ServerError

FILE_CAP = 64 << 20
"""Files larger than this are listed as not downloaded (the detail shows which, and their sizes)."""
TOTAL_CAP = 256 << 20
MAX_ENTRIES = 5000


def list_artifacts(client: ServerClient, run_id: str) -> list[tuple[str, int]]:
    """Every artifact file of a run as (relative path, size), walking folders breadth first."""
    files: list[tuple[str, int]] = []
    folders = [""]
    seen = 0
    while folders and seen < MAX_ENTRIES:
        folder = folders.pop(0)
        params = {"run_id": run_id, **({"path": folder} if folder else {})}
        data = client.get("artifacts/list", params)
        for entry in data.get("files") or ():
            seen += 1
            path = str(entry.get("path", ""))
            if not _safe(path):
                continue
            if entry.get("is_dir"):
                folders.append(path)
            else:
                try:
                    size = int(entry.get("file_size") or 0)
                except (TypeError, ValueError):
                    size = 0
                files.append((path, size))
    return files


def _safe(path: str) -> bool:
    """A relative path that stays inside the run's folder (the server's answer is data, not trusted)."""
    parts = PurePosixPath(path).parts
    return bool(parts) and not PurePosixPath(path).is_absolute() and ".." not in parts and "\\" not in path


def sync_artifacts(client: ServerClient, run_id: str, target: Path) -> tuple[Path | None, list[str]]:
    """Download the run's artifacts not yet in `target`; (the folder, or None without artifacts; what was skipped)."""
    try:
        files = list_artifacts(client, run_id)
    except ServerError as exc:
        return (target if target.is_dir() else None), [f"the artifact list could not be read: {exc}"]
    if not files:
        return None, []
    skipped: list[str] = []
    total = 0
    for path, size in files:
        dest = target / path
        try:
            if dest.is_file() and dest.stat().st_size == size:
                continue
        except OSError:
            pass
        if size > FILE_CAP or total + size > TOTAL_CAP:
            skipped.append(f"{path} ({size / 1e6:.1f} MB)")
            continue
        total += size
        try:
            fetch_file(client, run_id, path, dest)
        except (ServerError, OSError) as exc:
            skipped.append(f"{path} ({exc})")
    return target, skipped


def fetch_file(client: ServerClient, run_id: str, path: str, dest: Path) -> None:
    """One artifact streamed to `dest` through a temporary name, so a broken download never looks whole."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    with open(part, "wb") as fh:
        for chunk in client.download("/get-artifact", {"run_id": run_id, "path": path}):
            fh.write(chunk)
    os.replace(part, dest)
