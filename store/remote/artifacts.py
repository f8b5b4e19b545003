"""A tracking server's run artifacts, mirrored into the cache so the artifact screens read local files.

`artifacts/list` gives one folder level at a time (path, is_dir, file_size); files are
fetched through `get-artifact`, which serves both proxied (`mlflow-artifacts:`) and
server-side artifact stores. A file already in the cache with the listed size is not fetched
again (artifacts of a run do not change once logged). Big files are left out when a run is
opened, so that opening it never means waiting for a multi-gigabyte checkpoint; the artifact
screen lists them (`RemoteArtifacts.not_cached`) and fetches one when asked (`download`).

A file is streamed into `<run folder>.partial/`, beside the run's folder and never inside it,
and moved into place only once it has the listed size: a download that broke off, was
cancelled or was killed never shows as a whole file. The server is not trusted: a path it lists
must stay inside the run's folder (`safe_names.inside`, else it is left out and said so), a body
is never taken past its listed size nor past DOWNLOAD_CAP, and what was written of it is deleted.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from store.remote.http import ServerClient, ServerError
from store.safe_names import UnsafePathError, inside, is_relative_path

FILE_CAP = 64 << 20
"""Files larger than this are listed as not downloaded (the detail shows which, and their sizes)."""
TOTAL_CAP = 256 << 20
MAX_ENTRIES = 5000
DOWNLOAD_CAP = 16 << 30
"""No file is taken past this, whatever size the server lists (a checkpoint fetched on demand may be big)."""


def list_artifacts(client: ServerClient, run_id: str, refused: list[str] | None = None) -> list[tuple[str, int]]:
    """Every artifact file of a run as (relative path, size), walking folders breadth first.

    An entry that is not one (wrong types, a path leaving the run's folder, a negative size) is
    left out, and said in `refused`.
    """
    files: list[tuple[str, int]] = []
    folders = [""]
    seen = 0
    while folders and seen < MAX_ENTRIES:
        folder = folders.pop(0)
        params = {"run_id": run_id, **({"path": folder} if folder else {})}
        entries = client.get("artifacts/list", params).get("files")
        for entry in entries if isinstance(entries, list) else ():
            seen += 1
            listed = _entry(entry, folder)
            if isinstance(listed, str):
                if refused is not None and len(refused) < 20:
                    refused.append(listed)
            elif listed[1] < 0:
                folders.append(listed[0])
            else:
                files.append(listed)
    return files


def _entry(entry: Any, folder: str) -> tuple[str, int] | str:
    """(path, size; -1 for a folder) of one listed entry, or why it is left out."""
    path = entry.get("path") if isinstance(entry, dict) else None
    if not is_relative_path(path) or (folder and not str(path).startswith(folder + "/")):
        return f"an artifact listed as {str(path)[:60]!r} (not a path inside the run's folder)"
    if entry.get("is_dir") is True:
        return str(path), -1
    size = entry.get("file_size", 0)
    if isinstance(size, str) and size.isdigit() and len(size) < 20:
        size = int(size)
    if size is None:
        size = 0
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        return f"{str(path)[:60]!r} (its listed size {str(size)[:20]!r} is not a size)"
    return str(path), size


def sync_artifacts(client: ServerClient, run_id: str, target: Path) -> tuple[Path | None, list[str]]:
    """Download the run's artifacts not yet in `target`; (the folder, or None without artifacts; what was skipped).

    The folders of skipped files are made (empty) so the tree shows where they belong.
    """
    refused: list[str] = []
    try:
        files = list_artifacts(client, run_id, refused)
    except ServerError as exc:
        return (target if target.is_dir() else None), [f"the artifact list could not be read: {exc}"]
    if not files:
        return (target if refused else None), refused
    target.mkdir(parents=True, exist_ok=True)
    skipped: list[str] = refused
    total = 0
    for path, size in files:
        try:
            dest = inside(target, path)
            if _complete(dest, size):
                continue
            if size > FILE_CAP or total + size > TOTAL_CAP:
                skipped.append(f"{path} ({size / 1e6:.1f} MB)")
                dest.parent.mkdir(parents=True, exist_ok=True)
                continue
            total += size
            fetch_file(client, run_id, path, target, size)
        except (ServerError, OSError, UnsafePathError) as exc:
            skipped.append(f"{path} ({exc})")
    return target, skipped


def _complete(dest: Path, size: int) -> bool:
    try:
        return dest.is_file() and dest.stat().st_size == size
    except OSError:
        return False


def fetch_file(
    client: ServerClient,
    run_id: str,
    path: str,
    folder: Path,
    size: int | None = None,
    progress: Callable[[int], object] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> bool:
    """One artifact streamed to `folder / path` through a temporary name outside `folder` (the run's);
    False when `cancelled()` said stop (nothing is left behind). A body of another length than the
    listed `size` (or past DOWNLOAD_CAP) raises ServerError, and what came of it is deleted; a path
    that would leave `folder` raises UnsafePathError before anything is asked or written."""
    dest = inside(folder, path)
    part = inside(folder.with_name(folder.name + ".partial"), path)
    limit = DOWNLOAD_CAP if size is None else min(size, DOWNLOAD_CAP)
    if size is not None and size > DOWNLOAD_CAP:
        raise ServerError(f"{path} is listed at {size:,} bytes, more than tracktui downloads ({DOWNLOAD_CAP:,})")
    part.parent.mkdir(parents=True, exist_ok=True)
    done = 0
    try:
        with open(part, "wb") as fh:
            try:
                for chunk in client.download(
                    "/get-artifact",
                    {"run_id": run_id, "path": path},
                    limit,
                    f"{path} (its listed size)" if size is not None else path,
                ):
                    if cancelled is not None and cancelled():
                        return False
                    fh.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done)
            except ServerError as exc:
                raise ServerError(f"{exc}; the partial download was deleted") from None
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
        """Where `path` (a listed artifact path) is cached; UnsafePathError when it would leave the run's folder."""
        return inside(self.folder, path)

    def not_cached(self) -> list[RemoteFile]:
        """The files listed on the server that the cache has no whole copy of (their folders are made)."""
        missing = [
            RemoteFile(path, size)
            for path, size in list_artifacts(self.client, self.run_id)
            if not _complete(self.local_path(path), size)
        ]
        for file in missing:
            self.local_path(file.path).parent.mkdir(parents=True, exist_ok=True)
        return missing

    def download(
        self,
        file: RemoteFile,
        progress: Callable[[int], object] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> Path | None:
        """Stream `file` into the cache (bytes so far to `progress`); its local path, or None when cancelled."""
        dest = self.local_path(file.path)
        if _complete(dest, file.size):
            return dest
        done = fetch_file(self.client, self.run_id, file.path, self.folder, file.size, progress, cancelled)
        return dest if done else None
