"""A TensorBoard log folder as a read-only store: one run per folder holding event files, as TensorBoard groups them.

`tensorboard --logdir ROOT` makes a run of every folder under ROOT that directly holds an
`events.out.tfevents.*` file, named by its path below ROOT. Here that path is the run id,
its last part the run's name and the folders above it the experiment (ROOT's own name for
runs directly under it), so `lightning_logs/version_3` lists as run `version_3` of
experiment `lightning_logs`. Event files are parsed by the `tensorboard` package (see
store/formats/tb_events.py); the listing goes through the stat-validated index (store/ours/index.py),
so a warm start reads no event file that did not change.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store import extras, safe_read
from store.base import MediaIndex, MediaStep, RunDetail, RunRecord
from store.formats.tailed import PooledFirstRead, TailCache, TailedLiveness
from store.formats.tb_events import IMAGE_RECORD_CAP, TB_MODULE, ImageRef, TbRun, is_event_file
from store.ours import layout
from store.ours.index import UnitIndex
from store.ours.media import PendingImage, encode_png, write_png

if TYPE_CHECKING:
    import pandas as pd

MAX_DEPTH = 8
"""Folder levels searched below the root (Lightning: `lightning_logs/version_0`; HF: `runs/<date>_<host>`)."""
MAX_FOLDERS = 50_000
"""Folders visited in one scan at most, so pointing at `/` or a dataset folder stays bounded."""
ROOT_UNIT = "."
EXTRA = "tensorboard"
RECORD_VERSION = 2
"""Part of the listing cache's name: bump it when what a record holds changes, so old caches are not trusted."""
WHAT = "a TensorBoard log folder (event files)"
IMAGE_CACHE = "tensorboard-images"
"""Under the user's cache (`store/ours/layout.cache_root`): image summaries taken out of event files."""
IMAGE_CACHE_BYTES = 256 * 1024 * 1024
"""Past this, the oldest cached images are deleted (they are made again from the event files when shown)."""


def _cached_image(state: TbRun, ref: ImageRef, target: Path) -> bytes:
    """The PNG of an image summary: from the cache when it was shown before, else out of its event record
    (then kept at `target`). ValueError when the record is gone or damaged."""
    try:
        return safe_read.read_bytes(target, cap=IMAGE_RECORD_CAP)
    except FileNotFoundError:
        pass
    pending = PendingImage("file", state.image_bytes(ref))
    target.parent.mkdir(parents=True, exist_ok=True)
    write_png(target, pending)
    return encode_png(pending)


def _trim(folder: Path, limit: int) -> None:
    """Delete the oldest files of `folder` until it holds at most three quarters of `limit` bytes."""
    try:
        entries = [(e.stat().st_mtime, e.stat().st_size, e.path) for e in os.scandir(folder) if e.is_file()]
    except OSError:
        return
    total = sum(size for _, size, _ in entries)
    if total <= limit:
        return
    for _, size, path in sorted(entries):
        if total <= limit * 3 // 4:
            break
        try:
            os.unlink(path)
        except OSError:
            continue
        total -= size


def event_folders(
    root: Path, max_depth: int = MAX_DEPTH, max_folders: int = MAX_FOLDERS
) -> Iterator[tuple[str, list[int]]]:
    """(unit, signature) of each folder holding event files; the unit is its path below `root` (`.` for root).

    The signature is `[max mtime_ns, max ctime_ns, total size, number of files]` over its
    event files: TensorBoard writers append to a file, and start a new file on a restart.
    Hidden folders and symlinked folders (loops) are not entered.
    """
    stack: list[tuple[str, str, int]] = [(str(root), ROOT_UNIT, 0)]
    visited = 0
    while stack and visited < max_folders:
        path, unit, depth = stack.pop()
        visited += 1
        try:
            entries = list(os.scandir(path))
        except OSError:
            continue
        sig = [0, 0, 0, 0]
        subfolders = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if depth < max_depth and not entry.name.startswith("."):
                        subfolders.append(entry.name)
                    continue
                if not is_event_file(entry.name):
                    continue
                st = entry.stat()
            except OSError:
                continue
            sig[0] = max(sig[0], st.st_mtime_ns)
            sig[1] = max(sig[1], st.st_ctime_ns)
            sig[2] += st.st_size
            sig[3] += 1
        if sig[3]:
            yield unit, sig
        for name in sorted(subfolders, reverse=True):
            stack.append((os.path.join(path, name), name if unit == ROOT_UNIT else f"{unit}/{name}", depth + 1))


class TensorBoardStore(TailedLiveness, PooledFirstRead):
    """Read-only runs of a TensorBoard log folder; needs the `tensorboard` package (`tracktui[tensorboard]`)."""

    kind = "tensorboard"
    stale_seconds = 150.0
    """PyTorch's and TensorBoard's writers flush every 120 s: quieter than that, a run has stopped."""
    dead_status = "finished"

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self._cache = UnitIndex(root, f"{self.kind}-{RECORD_VERSION}", in_store=False)
        self._tails: TailCache[TbRun] = TailCache()

    def _scan(self) -> dict[str, list[int]]:
        return dict(event_folders(self.root))

    def _path(self, unit: str) -> Path:
        return self.root if unit == ROOT_UNIT else self.root / unit

    def _run_state(self, unit: str) -> TbRun:
        """The parsed run, brought up to date (only appended events are read when it is kept)."""
        extras.require(TB_MODULE, EXTRA, f"{self.root} is {WHAT}")
        with self._lock:
            state = self._tails.get(unit, lambda: TbRun(str(self._path(unit))))
            state.update()
            return state

    def _read_record(self, unit: str) -> RunRecord:
        state = self._run_state(unit)
        parent, _, leaf = unit.rpartition("/")
        name = self.root.name if unit == ROOT_UNIT else leaf
        heartbeat = state.last_time  # the last event's wall time: a copy resets the files' mtimes
        if heartbeat is None:  # no event with a time yet: how fresh the files are
            try:
                heartbeat = max(os.stat(t.path).st_mtime for t in state.files.values())
            except (OSError, ValueError):
                heartbeat = None
        status = state.session_status or "running"
        return {
            "run_id": unit if unit != ROOT_UNIT else name,
            "experiment": parent or self.root.name,
            "name": name,
            "status": status,
            "reason": "; ".join(state.problems) or None,
            "created": state.first_time,
            "ended": state.last_time if status not in ("running",) else None,
            "host": state.host,
            "user": None,
            "pid": state.pid,
            "pid_start": None,
            "heartbeat": heartbeat,
            "params": dict(state.params),
            "tags": {},
            "metrics": state.series.summaries(),
        }

    def run(self, run_id: str) -> RunDetail:
        record = self._listed(run_id)
        unit = self._unit_of(run_id)
        path = self._path(unit)
        status = self.status_of(record)
        facts: dict[str, Any] = {
            "path": str(path),
            "source": "tensorboard",
            "host": record.get("host"),
            "pid": record.get("pid"),
            "event_files": sorted(e for e in os.listdir(path) if is_event_file(e)),
        }
        return RunDetail(
            run_id=record["run_id"],
            experiment=record["experiment"],
            name=record["name"],
            status=status,
            created=record["created"],
            ended=record["ended"] if record["ended"] is not None or status == "running" else record["heartbeat"],
            params=dict(record["params"]),
            tags={},
            metrics=dict(record["metrics"]),
            facts=facts,
            error=record.get("reason"),
            last_seen=record.get("heartbeat"),
            artifacts_dir=path,
            store=self,
            media_reader=lambda: self._media(unit),
        )

    def _media(self, unit: str) -> MediaIndex:
        """The run's image summaries by tag, steps ascending. Each image stays in its event record until it is
        shown: then it is written as a PNG into the user's cache (never the log folder; see `IMAGE_CACHE_BYTES`)."""
        state = self._run_state(unit)
        folder = layout.cache_root() / IMAGE_CACHE
        _trim(folder, IMAGE_CACHE_BYTES)
        inodes: dict[str, int] = {}
        real = os.path.realpath(state.path)
        media: MediaIndex = {}
        for tag, steps in sorted(state.images.items()):
            found: list[tuple[int, Path]] = []
            for step, ref in sorted(steps.items()):
                name = ref[0]
                if name not in inodes:  # a file replaced under the same name is another file
                    try:
                        inodes[name] = os.stat(os.path.join(state.path, name)).st_ino
                    except OSError:
                        inodes[name] = -1
                origin = "\0".join(map(str, (real, inodes[name], *ref)))
                target = folder / f"{hashlib.sha256(origin.encode('utf-8', 'surrogatepass')).hexdigest()[:32]}.png"
                found.append(MediaStep(step, target, "", partial(_cached_image, state, ref, target)))
            media[tag] = found
        return media

    def history(self, run_id: str, keys: Iterable[str] | None = None) -> pd.DataFrame:
        return self._run_state(self._unit_of(run_id)).series.frame(keys)
