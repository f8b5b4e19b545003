"""`tracktui push`: upload runs to an MLflow tracking server through its REST API, idempotently.

Each run's server-side id and what of it was sent (metric points per key, artifact sizes)
is remembered in a mapping: `mlflow-push.json` in the run's folder for a tracktui store
(see store/FORMAT.md), a file in the user's cache folder for stores we do not own. It is
rewritten after every batch, so an interrupted push resumes where it stopped, and a second
push of an unchanged run sends nothing. A run without a mapping is also looked up on the
server by its `tracktui.run_id` tag before a new one is created (a push killed between
creating the run and saving the mapping). Runs still logging are pushed as RUNNING; a later
push sends their new points and their end.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import format as fmt
from .base import RunDetail, RunStore
from .errors import StoreError
from .mlflow_http import ServerClient, ServerError
from .mlflow_rest import cache_root, server_key

MAP_FILE = "mlflow-push.json"
SOURCE_TAG = "tracktui.run_id"
MAX_METRICS, MAX_PARAMS, MAX_TAGS = 1000, 100, 100
"""`runs/log-batch` limits (MLflow's server rejects bigger batches)."""
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
    return cache_root() / "push" / f"{server_key(url)}-{digest}.json"


def _read_map(path: Path, url: str) -> dict[str, Any]:
    try:
        data = fmt.read_json(path)
    except (OSError, ValueError):
        return {}
    entry = data.get(url) if isinstance(data, dict) else None
    return entry if isinstance(entry, dict) and isinstance(entry.get("run_id"), str) else {}


def _write_map(path: Path, url: str, entry: dict[str, Any]) -> None:
    try:
        data = fmt.read_json(path)
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    data[url] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt.atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True), fsync=False)


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
        new = remote is None
        if remote is None:
            remote = self._find_or_create(detail)
            entry = {"run_id": remote["info"]["run_id"], "metrics": {}, "artifacts": {}}
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

    def _find_or_create(self, detail: RunDetail) -> dict[str, Any]:
        exp_id = self._experiment_id(self.experiment or detail.experiment or "Default")
        found = self.client.post("runs/search", {
            "experiment_ids": [exp_id], "max_results": 1,
            "filter": f"tags.\"{SOURCE_TAG}\" = '{detail.run_id}'"}).get("runs") or []
        if found:
            return dict(found[0])
        body: dict[str, Any] = {"experiment_id": exp_id, "run_name": detail.name,
                                "tags": [{"key": SOURCE_TAG, "value": detail.run_id}]}
        if detail.created is not None:
            body["start_time"] = int(detail.created * 1000)
        if detail.facts.get("user"):
            body["user_id"] = str(detail.facts["user"])
        return dict(self.client.post("runs/create", body)["run"])

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
        pending = list(self._new_points(detail, done))
        total = len(pending)
        for i in range(0, total, MAX_METRICS):
            batch = pending[i:i + MAX_METRICS]
            self.client.post("runs/log-batch", {"run_id": remote_id, "metrics": [m for _, m in batch]})
            for key, _ in batch:
                done[key] = done.get(key, 0) + 1
            _write_map(path, self.url, entry)
            self.summary.points += len(batch)
            self._report(min(i + MAX_METRICS, total), total)
            sent += 1
        return sent

    def _new_points(self, detail: RunDetail, done: dict[str, int]) -> Iterator[tuple[str, dict[str, Any]]]:
        """The points not sent yet: per key in logging order (time, then step), after the first `done[key]`."""
        frame = detail.history()
        if not len(frame):
            return
        frame = frame.sort_values(["key", "time", "step"], kind="stable")
        for key, part in frame.groupby("key", observed=True, sort=True):
            skip = done.get(str(key), 0)
            for step, when, value in zip(part["step"].to_numpy()[skip:], part["time"].to_numpy()[skip:],
                                         part["value"].to_numpy()[skip:]):
                yield str(key), {"key": str(key), "value": _number(float(value)),
                                 "timestamp": round(float(when) * 1000), "step": int(step)}

    # -- artifacts -----------------------------------------------------------------------

    def _send_artifacts(self, detail: RunDetail, remote: dict[str, Any], entry: dict[str, Any], path: Path) -> int:
        folder = detail.artifacts_dir
        if folder is None or not folder.is_dir():
            return 0
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        if not files:
            return 0
        uri = str(remote["info"].get("artifact_uri") or "")
        if not uri.startswith("mlflow-artifacts:"):
            self.summary.skipped.append(f"artifacts of {detail.name}: the server stores them at {uri} "
                                        "(start it with artifact serving, the default since MLflow 2.0)")
            return 0
        base = uri[len("mlflow-artifacts:"):].lstrip("/")
        if uri.startswith("mlflow-artifacts://"):  # mlflow-artifacts://host:port/path
            base = base.split("/", 1)[1] if "/" in base else ""
        sent_files: dict[str, int] = entry.setdefault("artifacts", {})
        sent = 0
        for file in files:
            rel = file.relative_to(folder).as_posix()
            size = file.stat().st_size
            if sent_files.get(rel) == size:
                continue
            with open(file, "rb") as fh:
                self.client.upload(f"{base}/{rel}", fh)
            sent_files[rel] = size
            _write_map(path, self.url, entry)
            self.summary.artifacts += 1
            self.summary.artifact_bytes += size
            self._report()
            sent += 1
        return sent


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

