"""A tracking server's run artifacts, mirrored into the cache so the artifact screens read local files.

`artifacts/list` gives one folder level at a time (path, is_dir, file_size); files are
fetched through `get-artifact`, which serves both proxied (`mlflow-artifacts:`) and
server-side artifact stores. A file already in the cache with the listed size is not fetched
again (artifacts of a run do not change once logged). Big files are left out when a run is
opened, so that opening it never means waiting for a multi-gigabyte checkpoint; the artifact
screen lists them (`RemoteArtifacts.not_cached`) and fetches one when asked (`download`).

A file is streamed into `<run folder>.partial/`, beside the run's folder and never inside it,
and moved into place only once it has the listed size: a download that broke off, was
cancelled or was killed never shows as a whole file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
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
    """Download the run's artifacts not yet in `target`; (the folder, or None without artifacts; what was skipped).

    The folders of skipped files are made (empty) so the tree shows where they belong.
    """
    try:
        files = list_artifacts(client, run_id)
    except ServerError as exc:
        return (target if target.is_dir() else None), [f"the artifact list could not be read: {exc}"]
    if not files:
        return None, []
    target.mkdir(parents=True, exist_ok=True)
    skipped: list[str] = []
    total = 0
    for path, size in files:
        dest = target / path
        if _complete(dest, size):
            continue
        if size > FILE_CAP or total + size > TOTAL_CAP:
            skipped.append(f"{path} ({size / 1e6:.1f} MB)")
            dest.parent.mkdir(parents=True, exist_ok=True)
            continue
        total += size
        try:
            fetch_file(client, run_id, path, target, size)
        except (ServerError, OSError) as exc:
            skipped.append(f"{path} ({exc})")
    return target, skipped


def _complete(dest: Path, size: int) -> bool:
    try:
        return dest.is_file() and dest.stat().st_size == size
    except OSError:
        return False


def fetch_file(client: ServerClient, run_id: str, path: str, folder: Path, size: int | None = None,
               progress: Callable[[int], object] | None = None, cancelled: Callable[[], bool] | None = None) -> bool:
    """One artifact streamed to `folder / path` through a temporary name outside `folder` (the run's);
    False when `cancelled()` said stop (nothing is left behind). A body of another length than the
    listed `size` raises ServerError and is thrown away."""
    dest = folder / path
    part = folder.with_name(folder.name + ".partial") / path
    part.parent.mkdir(parents=True, exist_ok=True)
    done = 0
    try:
        with open(part, "wb") as fh:
            for chunk in client.download("/get-artifact", {"run_id": run_id, "path": path}):
                if cancelled is not None and cancelled():
                    return False
                fh.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done)
        if size is not None and done != size:
            raise ServerError(f"the download of {path} stopped at {done:,} of {size:,} bytes; open it again to retry")
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, dest)
        return True
    finally:
        part.unlink(missing_ok=True)


@dataclass(frozen=True)
class RemoteFile:
    """An artifact file on the server: its path in the run's artifacts and its size in bytes."""

    path: str
    size: int


class RemoteArtifacts:
    """One run's artifacts on a tracking server and their copies in the local cache folder `folder`."""

    def __init__(self, client: ServerClient, run_id: str, folder: Path) -> None:
        self.client = client
        self.run_id = run_id
        self.folder = folder

    def local_path(self, path: str) -> Path:
        return self.folder / path

    def not_cached(self) -> list[RemoteFile]:
        """The files listed on the server that the cache has no whole copy of (their folders are made)."""
        missing = [RemoteFile(path, size) for path, size in list_artifacts(self.client, self.run_id)
                   if not _complete(self.folder / path, size)]
        for file in missing:
            (self.folder / file.path).parent.mkdir(parents=True, exist_ok=True)
        return missing

    def download(self, file: RemoteFile, progress: Callable[[int], object] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> Path | None:
        """Stream `file` into the cache (bytes so far to `progress`); its local path, or None when cancelled."""
        dest = self.local_path(file.path)
        if _complete(dest, file.size):
            return dest
        done = fetch_file(self.client, self.run_id, file.path, self.folder, file.size, progress, cancelled)
        return dest if done else None
