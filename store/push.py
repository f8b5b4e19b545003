"""`tracktui push`: upload runs to an MLflow tracking server through its REST API, idempotently.

Each run's server-side id and what of it was sent (metric points per key, artifact sizes)
is remembered in a mapping: `mlflow-push.json` in the run's folder for a tracktui store
(see store/FORMAT.md), a file in the user's cache folder for stores we do not own. It is
rewritten after every batch, so an interrupted push resumes where it stopped, and a second
push of an unchanged run sends nothing. A run without a mapping is also looked up on the
server by its `tracktui.run_id` tag before a new one is created (a push killed between
creating the run and saving the mapping). Runs still logging are pushed as RUNNING; a later
push sends their new points and their end.

A push can die after the server stored a batch but before it heard so: the keys of a batch
are written down (`sending`) before it goes out, and a push that finds them (or finds its
run by the tag) first counts those keys' points on the server and goes on after them (a
file-store server keeps a resent point twice). One push of a store at a time (`push_lock`).
Artifacts are read without following any symlink (`artifact_files`).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import itertools
import json
import math
import os
import stat
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import format as fmt
from . import safe_read
from .base import RunDetail, RunStore
from .errors import StoreError
from .mlflow_http import ServerClient, ServerError
from .mlflow_rest import server_key

MAP_FILE = "mlflow-push.json"
SOURCE_TAG = "tracktui.run_id"
MAX_METRICS, MAX_PARAMS, MAX_TAGS = 1000, 100, 100
"""`runs/log-batch` limits (MLflow's server rejects bigger batches)."""
HISTORY_PAGE = 25_000
"""Points per `metrics/get-history` page when counting what the server holds of a key."""
PRIVATE = 0o600
"""Progress files and the lock: they name the servers a user pushes to."""
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_STATUS = {"running": "RUNNING", "finished": "FINISHED", "failed": "FAILED", "killed": "KILLED", "crashed": "FAILED"}


@dataclass
class PushSummary:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    points: int = 0
    artifacts: int = 0
    artifact_bytes: int = 0
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PushProgress:
    """Where a push is, after each batch of points, each artifact file and each run (for a progress bar)."""

    runs_done: int
    runs_total: int
    run_name: str
    """The run being pushed (the last one, once all are done)."""
    points: int
    """Metric points of this run sent so far, of `run_points` to send."""
    run_points: int
    summary: PushSummary
    """The totals so far (points, artifact files and bytes, new/updated/unchanged/failed)."""
    outcome: str | None = None
    """Set once a run is done: new, updated, unchanged, skipped or failed."""


def map_path(store: RunStore, detail: RunDetail, url: str) -> Path:
    """Where a run's push mapping lives: its folder for our stores, the cache folder for others."""
    if store.kind == "tracktui" and detail.artifacts_dir is not None:
        return detail.artifacts_dir.parent / MAP_FILE
    digest = hashlib.sha1(f"{store.root}\0{detail.run_id}".encode()).hexdigest()[:16]
    return _cache_dir() / f"{server_key(url)}-{digest}.json"


def _cache_dir() -> Path:
    """`<cache>/push`, the user's alone (0700)."""
    folder = fmt.cache_root() / "push"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _read_all(path: Path) -> dict[str, Any]:
    """The mapping file, bounded and regular files only; empty when missing or damaged (the server is asked)."""
    try:
        data = safe_read.read_json(path)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _read_map(path: Path, url: str) -> dict[str, Any]:
    entry = _read_all(path).get(url)
    return entry if isinstance(entry, dict) and isinstance(entry.get("run_id"), str) else {}


def _write_map(path: Path, url: str, entry: dict[str, Any]) -> None:
    data = _read_all(path)
    data[url] = entry
    fmt.atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True), fsync=False, mode=PRIVATE)


@contextmanager
def push_lock(store: RunStore) -> Iterator[None]:
    """Hold the store's push lock: an flock on `<cache>/push/<store digest>.lock`, which holds the pid.

    The kernel drops an flock when its holder dies, even by SIGKILL, so a killed push never
    leaves a stale lock. It lives in the cache, not the store, as a store may not be ours.
    """
    digest = hashlib.sha1(str(Path(store.root).resolve()).encode()).hexdigest()[:16]
    try:
        path = _cache_dir() / f"{digest}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE)
    except OSError as exc:
        raise StoreError(f"cannot create the push lock in {fmt.cache_root() / 'push'} ({exc.strerror}); "
                         "set XDG_CACHE_HOME to a folder you can write") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = f"pid {int(safe_read.read_text(path, cap=64))}"
            except (OSError, ValueError):
                holder = "pid unknown"
            raise StoreError(f"another push of this store is running ({holder}); "
                                  "wait for it to finish, or stop it") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


class Pusher:
    """Pushes runs of one store to one server; `progress` is called after each batch, artifact file and run."""

    def __init__(self, store: RunStore, url: str, experiment: str | None = None,
                 progress: Callable[[PushProgress], None] | None = None) -> None:
        self.store = store
        self.client = ServerClient(url)
        self.url = self.client.url
        self.experiment = experiment
        self.progress = progress or (lambda event: None)
        self._experiments: dict[str, str] = {}
        self.summary = PushSummary()
        self._done = 0
        self._total = 0
        self._name = ""

    def push(self, run_ids: list[str]) -> PushSummary:
        """Push the runs, holding the store's push lock (StoreError when another push holds it)."""
        with push_lock(self.store):
            return self._push(run_ids)

    def _push(self, run_ids: list[str]) -> PushSummary:
        self._done, self._total = 0, len(run_ids)
        for run_id in run_ids:
            self._name = run_id
            outcome = "failed"
            try:
                outcome = self.push_run(run_id)
            except ServerError as exc:
                if exc.status is None or exc.status in (401, 403):
                    raise  # the server is down or refuses us: every other run would fail the same way
                self.summary.failed.append(f"{run_id}: {exc}")
            except (StoreError, OSError) as exc:
                self.summary.failed.append(f"{run_id}: {exc}")
            self._done += 1
            self.progress(PushProgress(self._done, self._total, self._name, 0, 0, self.summary, outcome))
        return self.summary

    def _report(self, points: int = 0, run_points: int = 0) -> None:
        self.progress(PushProgress(self._done, self._total, self._name, points, run_points, self.summary))

    def push_run(self, run_id: str) -> str:
        """Push one run; what it was: new, updated, unchanged or skipped (a status the server has no name for)."""
        detail = self.store.run(run_id)
        self._name = detail.name or run_id
        self._report()
        status = _STATUS.get(detail.status)
        if status is None:
            self.summary.skipped.append(f"{detail.name} ({detail.status})")
            return "skipped"
        path = map_path(self.store, detail, self.url)
        entry = _read_map(path, self.url)
        remote = self._remote_run(entry.get("run_id"))
        new = False
        if remote is None:
            remote, new = self._find_or_create(detail)
            entry = {"run_id": remote["info"]["run_id"], "metrics": {}, "artifacts": {}}
            if not new:
                entry["sending"] = True  # found by its tag: which of its points it holds is not known here
            _write_map(path, self.url, entry)
        sent = self._send_data(detail, remote, entry, path)
        sent += self._send_artifacts(detail, remote, entry, path)
        info = remote["info"]
        end_ms = None if status == "RUNNING" or detail.ended is None else int(detail.ended * 1000)
        if info.get("status") != status or _as_int(info.get("end_time")) != end_ms:
            body: dict[str, Any] = {"run_id": info["run_id"], "status": status}
            if end_ms is not None:
                body["end_time"] = end_ms
            self.client.post("runs/update", body)
            sent += 1
        entry["status"] = status
        _write_map(path, self.url, entry)
        if new:
            self.summary.new += 1
            return "new"
        if sent:
            self.summary.updated += 1
            return "updated"
        self.summary.unchanged += 1
        return "unchanged"

    # -- the run on the server -----------------------------------------------------------

    def _remote_run(self, remote_id: Any) -> dict[str, Any] | None:
        if not isinstance(remote_id, str):
            return None
        try:
            run = self.client.get("runs/get", {"run_id": remote_id}).get("run")
        except ServerError as exc:
            if exc.status in (400, 404):
                return None  # deleted on the server (or it is another server now): push anew
            raise
        if not isinstance(run, dict) or (run.get("info") or {}).get("lifecycle_stage") == "deleted":
            return None
        return run

    def _experiment_id(self, name: str) -> str:
        if name not in self._experiments:
            try:
                exp = self.client.get("experiments/get-by-name", {"experiment_name": name})["experiment"]
                if exp.get("lifecycle_stage") == "deleted":
                    raise StoreError(f"experiment {name!r} is deleted on {self.url}; restore it or pass --experiment")
                self._experiments[name] = str(exp["experiment_id"])
            except ServerError as exc:
                if exc.status != 404:
                    raise
                self._experiments[name] = str(self.client.post("experiments/create", {"name": name})["experiment_id"])
        return self._experiments[name]

    def _find_or_create(self, detail: RunDetail) -> tuple[dict[str, Any], bool]:
        """The server's run of `detail` found by its tag, or a new one; and whether it is new."""
        exp_id = self._experiment_id(self.experiment or detail.experiment or "Default")
        found = self.client.post("runs/search", {
            "experiment_ids": [exp_id], "max_results": 1,
            "filter": f"tags.\"{SOURCE_TAG}\" = '{detail.run_id}'"}).get("runs") or []
        if found:
            return dict(found[0]), False
        body: dict[str, Any] = {"experiment_id": exp_id, "run_name": detail.name,
                                "tags": [{"key": SOURCE_TAG, "value": detail.run_id}]}
        if detail.created is not None:
            body["start_time"] = int(detail.created * 1000)
        if detail.facts.get("user"):
            body["user_id"] = str(detail.facts["user"])
        return dict(self.client.post("runs/create", body)["run"]), True

    # -- params, tags, metrics -----------------------------------------------------------

    def _send_data(self, detail: RunDetail, remote: dict[str, Any], entry: dict[str, Any], path: Path) -> int:
        remote_id = remote["info"]["run_id"]
        data = remote.get("data") or {}
        have_params = {p["key"]: p.get("value") for p in data.get("params") or ()}
        have_tags = {t["key"]: t.get("value") for t in data.get("tags") or ()}
        params = [{"key": k, "value": _text(v)} for k, v in detail.flat_params.items() if k not in have_params]
        tags = [{"key": k, "value": str(v)} for k, v in detail.tags.items() if have_tags.get(k) != str(v)]
        sent = 0
        for i in range(0, len(params), MAX_PARAMS):
            self.client.post("runs/log-batch", {"run_id": remote_id, "params": params[i:i + MAX_PARAMS]})
            sent += 1
        for i in range(0, len(tags), MAX_TAGS):
            self.client.post("runs/log-batch", {"run_id": remote_id, "tags": tags[i:i + MAX_TAGS]})
            sent += 1
        done: dict[str, int] = entry.setdefault("metrics", {})
        frame = detail.history()
        unsure = entry.get("sending")
        if unsure is True:
            unsure = frame["key"].astype(str).unique().tolist() if len(frame) else []
        if isinstance(unsure, list):
            self._count_on_server(remote_id, frame, done, [str(k) for k in unsure])
        pending = list(self._new_points(detail, frame, done))
        total = len(pending)
        for i in range(0, total, MAX_METRICS):
            batch = pending[i:i + MAX_METRICS]
            entry["sending"] = sorted({key for key, _ in batch})
            _write_map(path, self.url, entry)
            self.client.post("runs/log-batch", {"run_id": remote_id, "metrics": [m for _, m in batch]})
            for key, _ in batch:
                done[key] = done.get(key, 0) + 1
            del entry["sending"]
            _write_map(path, self.url, entry)
            self.summary.points += len(batch)
            self._report(min(i + MAX_METRICS, total), total)
            sent += 1
        return sent

    def _count_on_server(self, remote_id: str, frame: Any, done: dict[str, int], keys: list[str]) -> None:
        """Set `done[key]` to the points the server holds of each key whose last batch went unanswered.

        Never below what the mapping says was sent (SQLite drops a repeated point, so it may hold
        fewer), never above what there is to send.
        """
        ours = frame["key"].astype(str).value_counts().to_dict() if len(frame) else {}
        for key in keys:
            held, token = 0, None
            while True:
                args = {"run_id": remote_id, "metric_key": key, "max_results": HISTORY_PAGE}
                page = self.client.get("metrics/get-history", {**args, "page_token": token} if token else args)
                held += len(page.get("metrics") or ())
                token = page.get("next_page_token")
                if not token:
                    break
            done[key] = min(max(done.get(key, 0), held), int(ours.get(key, 0)))

    def _new_points(self, detail: RunDetail, frame: Any, done: dict[str, int]) -> Iterator[tuple[str, dict[str, Any]]]:
        """The points not sent yet: per key in logging order (time, then step), after the first `done[key]`.

        A point without a time (Lightning's CSV has none) gets the run's start: MLflow needs one.
        """
        if not len(frame):
            return
        start = detail.created if detail.created is not None and math.isfinite(detail.created) else 0.0
        frame = frame.sort_values(["key", "time", "step"], kind="stable")
        for key, part in frame.groupby("key", observed=True, sort=True):
            skip = done.get(str(key), 0)
            for step, when, value in zip(part["step"].to_numpy()[skip:], part["time"].to_numpy()[skip:],
                                         part["value"].to_numpy()[skip:]):
                when = float(when) if math.isfinite(float(when)) else start
                yield str(key), {"key": str(key), "value": _number(float(value)),
                                 "timestamp": round(when * 1000), "step": int(step)}

    # -- artifacts -----------------------------------------------------------------------

    def _send_artifacts(self, detail: RunDetail, remote: dict[str, Any], entry: dict[str, Any], path: Path) -> int:
        folder = detail.artifacts_dir
        if folder is None or not folder.is_dir():
            return 0
        links: list[str] = []
        try:
            # The folder the user named may be a link (`wandb/latest-run`); one inside a store may not.
            top = os.open(folder, _DIR_FLAGS if folder != Path(self.store.root) else _DIR_FLAGS & ~os.O_NOFOLLOW)
        except OSError as exc:
            why = "is a symlink (not followed)" if folder.is_symlink() else f"cannot be read ({exc.strerror})"
            self.summary.skipped.append(f"artifacts of {detail.name}: {folder.name} {why}")
            return 0
        try:
            return self._upload_files(detail, remote, entry, path, top, links)
        finally:
            os.close(top)
            if links:
                names = ", ".join(sorted(links)[:10]) + (f" and {len(links) - 10} more" if len(links) > 10 else "")
                self.summary.skipped.append(f"artifacts of {detail.name}: {names} (symlinks are not followed)")

    def _upload_files(self, detail: RunDetail, remote: dict[str, Any], entry: dict[str, Any], path: Path,
                      top: int, links: list[str]) -> int:
        files = artifact_files(top, "", links)
        first = next(files, None)
        if first is None:
            return 0
        uri = str(remote["info"].get("artifact_uri") or "")
        if not uri.startswith("mlflow-artifacts:"):
            os.close(first[1])
            files.close()
            self.summary.skipped.append(f"artifacts of {detail.name}: the server stores them at {uri} "
                                        "(start it with artifact serving, the default since MLflow 2.0)")
            return 0
        base = uri[len("mlflow-artifacts:"):].lstrip("/")
        if uri.startswith("mlflow-artifacts://"):  # mlflow-artifacts://host:port/path
            base = base.split("/", 1)[1] if "/" in base else ""
        sent_files: dict[str, int] = entry.setdefault("artifacts", {})
        sent = 0
        for rel, fd in itertools.chain([first], files):
            with os.fdopen(fd, "rb") as fh:
                size = os.fstat(fd).st_size
                if sent_files.get(rel) == size:
                    continue
                self.client.upload(f"{base}/{rel}", fh)
            sent_files[rel] = size
            _write_map(path, self.url, entry)
            self.summary.artifacts += 1
            self.summary.artifact_bytes += size
            self._report()
            sent += 1
        return sent


def artifact_files(folder: int, prefix: str, links: list[str]) -> Generator[tuple[str, int], None, None]:
    """(path, open descriptor, which the caller closes) of each regular file below the open folder `folder`.

    No symlink is followed, not even one to a file inside: each folder and file is opened
    relative to its parent's descriptor with O_NOFOLLOW, so a link swapped in after the
    listing is refused too. Links go into `links`; FIFOs, devices and sockets are passed over.
    """
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda e: e.name)
    for item in entries:
        rel = prefix + item.name
        try:
            if item.is_symlink():
                links.append(rel)
            elif item.is_dir(follow_symlinks=False):
                sub = os.open(item.name, _DIR_FLAGS, dir_fd=folder)
                try:
                    yield from artifact_files(sub, rel + "/", links)
                finally:
                    os.close(sub)
            elif item.is_file(follow_symlinks=False):
                fd = os.open(item.name, _FILE_FLAGS, dir_fd=folder)
                if stat.S_ISREG(os.fstat(fd).st_mode):
                    os.set_blocking(fd, True)
                    yield rel, fd
                else:
                    os.close(fd)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):  # it became a symlink since it was listed
                links.append(rel)
            elif not isinstance(exc, FileNotFoundError):
                raise


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def _number(value: float) -> float | str:
    """JSON has no NaN or infinity; MLflow's server reads them as these strings."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _as_int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None

