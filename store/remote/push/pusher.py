"""`tracktui push`: upload runs of any store to an MLflow tracking server through its REST API, idempotently.

What of a run goes where on the server is `fields.py`; what was sent is remembered per run
(`progress.py`), so an interrupted push resumes where it stopped and a second push of an
unchanged run sends nothing. A run without a mapping is also looked up on the server by its
`tracktui.run_id` tag before a new one is created (a push killed between creating the run
and saving the mapping). Runs still logging are pushed as RUNNING; a later push sends their
new points and their end. A run started under another (`mlflow.parentRunId`) is pushed
after its parent, when the parent is pushed too, so the tag names the parent's server id.

A push can die after the server stored a batch but before it heard so: the keys of a batch
are written down (`sending`) before it goes out, and a push that finds them (or finds its
run by the tag) first counts those keys' points on the server and goes on after them (a
file-store server keeps a resent point twice). One push of a store at a time (`push_lock`).
Files are read without following any symlink (`artifact_files`).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from store.base import RunDetail, RunStore
from store.errors import StoreError
from store.remote.http import ServerClient, ServerError
from store.remote.push import fields
from store.remote.push.files import DIR_FLAGS, artifact_files
from store.remote.push.models import push_models
from store.remote.push.points import count_on_server, new_points, start_time
from store.remote.push.progress import map_path, push_lock, read_map, write_map

MAX_METRICS, MAX_PARAMS, MAX_TAGS = 1000, 100, 100
"""`runs/log-batch` limits (MLflow's server rejects bigger batches)."""
MAX_PARAM_VALUE = 6000
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
    left_behind: list[str] = field(default_factory=list)
    """What of a run MLflow cannot hold (or a push could not carry), one line each, named by run."""
    models: int = 0
    """Registered models created on the server (`models.py`)."""
    model_versions: int = 0


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


class Pusher:
    """Pushes runs of one store to one server; `progress` is called after each batch, artifact file and run."""

    def __init__(
        self,
        store: RunStore,
        url: str,
        experiment: str | None = None,
        progress: Callable[[PushProgress], None] | None = None,
    ) -> None:
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
        self._selected: set[str] = set()
        self._outcomes: dict[str, str] = {}
        """Runs of this push done (or under way: a parent is pushed before its children)."""
        self._server_ids: dict[str, str] = {}
        """The server's id of each run pushed so far (for its children's `mlflow.parentRunId`)."""

    def push(self, run_ids: list[str]) -> PushSummary:
        """Push the runs, holding the store's push lock (StoreError when another push holds it)."""
        with push_lock(self.store):
            return self._push(run_ids)

    def _push(self, run_ids: list[str]) -> PushSummary:
        self._done, self._total = 0, len(run_ids)
        self._selected = set(run_ids)
        for run_id in run_ids:
            if run_id not in self._outcomes:
                self._push_one(run_id)
        push_models(self)
        return self.summary

    def _push_one(self, run_id: str) -> None:
        self._outcomes[run_id] = outcome = "failed"
        self._name = run_id
        try:
            self._outcomes[run_id] = outcome = self.push_run(run_id)
        except ServerError as exc:
            if exc.status is None or exc.status in (401, 403):
                raise  # the server is down or refuses us: every other run would fail the same way
            self.summary.failed.append(f"{run_id}: {exc}")
        except (StoreError, OSError) as exc:
            self.summary.failed.append(f"{run_id}: {exc}")
        self._done += 1
        self.progress(PushProgress(self._done, self._total, self._name, 0, 0, self.summary, outcome))

    def _report(self, points: int = 0, run_points: int = 0) -> None:
        self.progress(PushProgress(self._done, self._total, self._name, points, run_points, self.summary))

    def push_run(self, run_id: str) -> str:
        """Push one run; what it was: new, updated, unchanged or skipped (a status the server has no name for)."""
        detail = self.store.run(run_id)
        kind = self.store.kind_of(run_id)
        parent = self._parent_id(detail)
        self._name = detail.name or run_id
        self._report()
        status = _STATUS.get(detail.status)
        if status is None:
            self.summary.skipped.append(f"{detail.name} ({detail.status})")
            return "skipped"
        dropped: list[str] = fields.left_behind(detail, kind)
        if parent is None and fields.parent_of(detail):
            dropped.append(f"parent run {fields.parent_of(detail)} is not on the server (push it too to link them)")
        find_by, origin = fields.identity(detail, kind, Path(self.store.root))
        tags = fields.run_tags(detail, kind, parent, dropped, origin)
        path = map_path(self.store, detail, self.url)
        entry = read_map(path, self.url)
        remote = self._remote_run(entry.get("run_id"))
        new = False
        if remote is None:
            remote, new = self._find_or_create(detail, find_by, tags)
            entry = {"run_id": remote["info"]["run_id"], "metrics": {}, "artifacts": {}}
            if not new:
                entry["sending"] = True  # found by its tag: which of its points it holds is not known here
            write_map(path, self.url, entry)
        sent = self._send_data(detail, tags, remote, entry, path, dropped)
        sent += self._send_inputs(detail, remote, entry, path)
        sent += self._send_artifacts(detail, kind, remote, entry, path)
        info = remote["info"]
        end_ms = None if status == "RUNNING" or detail.ended is None else int(detail.ended * 1000)
        if info.get("status") != status or _as_int(info.get("end_time")) != end_ms:
            body: dict[str, Any] = {"run_id": info["run_id"], "status": status}
            if end_ms is not None:
                body["end_time"] = end_ms
            self.client.post("runs/update", body)
            sent += 1
        entry["status"] = status
        write_map(path, self.url, entry)
        self._server_ids[run_id] = entry["run_id"]
        self.summary.left_behind += [f"{detail.name}: {line}" for line in dict.fromkeys(dropped)]
        if new:
            self.summary.new += 1
            return "new"
        if sent:
            self.summary.updated += 1
            return "updated"
        self.summary.unchanged += 1
        return "unchanged"

    def _parent_id(self, detail: RunDetail) -> str | None:
        """The server id of the run `detail` was started under: pushed first when it is pushed too."""
        parent = fields.parent_of(detail)
        if parent is None:
            return None
        if parent in self._selected and parent not in self._outcomes:
            self._push_one(parent)
        return self.server_id(parent)

    def server_id(self, run_id: str) -> str | None:
        """The server's id of a run of the store pushed now or by an earlier push; None when it is not there."""
        if run_id in self._server_ids:
            return self._server_ids[run_id]
        try:
            detail = self.store.run(run_id)
        except StoreError:
            return None
        return read_map(map_path(self.store, detail, self.url), self.url).get("run_id")

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

    def _find_or_create(self, detail: RunDetail, find_by: str, tags: dict[str, str]) -> tuple[dict[str, Any], bool]:
        """The server's run of `detail` found by its `find_by` tag, or a new one; and whether it is new.

        A value a filter cannot quote (a `'` in a folder name) is not searched for: the run is made anew.
        """
        exp_id = self._experiment_id(self.experiment or detail.experiment or "Default")
        value = tags[find_by]
        if "'" not in value and "\\" not in value:
            found = (
                self.client.post(
                    "runs/search",
                    {"experiment_ids": [exp_id], "max_results": 1, "filter": f"tags.\"{find_by}\" = '{value}'"},
                ).get("runs")
                or []
            )
            if found:
                return dict(found[0]), False
        origin = [fields.SOURCE_TAG, fields.KIND_TAG, fields.ORIGIN_TAG]
        body: dict[str, Any] = {
            "experiment_id": exp_id,
            "run_name": detail.name,
            "tags": [{"key": k, "value": tags[k]} for k in origin if k in tags],
        }
        if detail.created is not None:
            body["start_time"] = int(detail.created * 1000)
        user = tags.get("mlflow.user") or detail.facts.get("user")
        if user:
            body["user_id"] = str(user)
        return dict(self.client.post("runs/create", body)["run"]), True

    # -- params, tags, metrics -----------------------------------------------------------

    def _send_data(
        self,
        detail: RunDetail,
        tags_wanted: dict[str, str],
        remote: dict[str, Any],
        entry: dict[str, Any],
        path: Path,
        dropped: list[str],
    ) -> int:
        remote_id = remote["info"]["run_id"]
        data = remote.get("data") or {}
        have_params = {p["key"]: p.get("value") for p in data.get("params") or ()}
        have_tags = {t["key"]: t.get("value") for t in data.get("tags") or ()}
        flat = detail.flat_params
        bad = fields.refused("param", flat, dropped)
        params = [{"key": k, "value": _text(v)} for k, v in flat.items() if k not in have_params and k not in bad]
        for p in params:
            if len(p["value"]) > MAX_PARAM_VALUE:
                dropped.append(f"param {p['key']}: cut to {MAX_PARAM_VALUE} of {len(p['value']):,} characters")
                p["value"] = p["value"][:MAX_PARAM_VALUE]
        tags = [{"key": k, "value": v} for k, v in tags_wanted.items() if have_tags.get(k) != v]
        sent = 0
        for i in range(0, len(params), MAX_PARAMS):
            self.client.post("runs/log-batch", {"run_id": remote_id, "params": params[i : i + MAX_PARAMS]})
            sent += 1
        for i in range(0, len(tags), MAX_TAGS):
            self.client.post("runs/log-batch", {"run_id": remote_id, "tags": tags[i : i + MAX_TAGS]})
            sent += 1
        for key in [k for k in entry.get("tags") or () if k not in tags_wanted and k in have_tags]:
            self.client.post("runs/delete-tag", {"run_id": remote_id, "key": key})  # removed at the source
            sent += 1
        if sorted(tags_wanted) != entry.get("tags"):
            entry["tags"] = sorted(tags_wanted)
            write_map(path, self.url, entry)
        done: dict[str, int] = entry.setdefault("metrics", {})
        frame = detail.history()
        if len(frame):
            bad = fields.refused("metric", frame["key"].astype(str).unique(), dropped)
            frame = frame[~frame["key"].astype(str).isin(bad)] if bad else frame
        unsure = entry.get("sending")
        if unsure is True:
            unsure = frame["key"].astype(str).unique().tolist() if len(frame) else []
        if isinstance(unsure, list):
            count_on_server(self.client, remote_id, frame, done, [str(k) for k in unsure])
        pending = list(new_points(detail, frame, done))
        total = len(pending)
        repeated = fields.repeated_points(frame, start_time(detail)) if total else 0
        if repeated:
            dropped.append(
                f"{repeated} repeated metric points (same key, step, time and value): "
                "a server on a database keeps one of each"
            )
        for i in range(0, total, MAX_METRICS):
            batch = pending[i : i + MAX_METRICS]
            entry["sending"] = sorted({key for key, _ in batch})
            write_map(path, self.url, entry)
            self.client.post("runs/log-batch", {"run_id": remote_id, "metrics": [m for _, m in batch]})
            for key, _ in batch:
                done[key] = done.get(key, 0) + 1
            del entry["sending"]
            write_map(path, self.url, entry)
            self.summary.points += len(batch)
            self._report(min(i + MAX_METRICS, total), total)
            sent += 1
        return sent

    # -- artifacts -----------------------------------------------------------------------

    def _send_inputs(self, detail: RunDetail, remote: dict[str, Any], entry: dict[str, Any], path: Path) -> int:
        """The run's inputs as MLflow dataset inputs (`runs/log-inputs`), those not sent before."""
        done: list[str] = entry.setdefault("inputs", [])
        todo = {key: item for key, item in fields.dataset_inputs(detail).items() if key not in done}
        if not todo:
            return 0
        self.client.post("runs/log-inputs", {"run_id": remote["info"]["run_id"], "datasets": list(todo.values())})
        done += list(todo)
        write_map(path, self.url, entry)
        return 1

    def _send_artifacts(
        self, detail: RunDetail, kind: str, remote: dict[str, Any], entry: dict[str, Any], path: Path
    ) -> int:
        """The artifacts folder, then our run's images (`tracktui/media/`) and the files of `fields.extra_files`."""
        uri = str(remote["info"].get("artifact_uri") or "")
        base = _artifact_base(uri)
        extra = fields.extra_files(detail, kind)
        folders = [
            (folder, prefix)
            for folder, prefix in (
                (detail.artifacts_dir, ""),
                (fields.media_folder(detail, kind), fields.MEDIA_DIR + "/"),
            )
            if folder is not None and folder.is_dir()
        ]
        if not extra and not folders:
            return 0
        if base is None:
            self.summary.skipped.append(
                f"artifacts of {detail.name}: the server stores them at {uri} "
                "(start it with artifact serving, the default since MLflow 2.0)"
            )
            return 0
        sent = 0
        for folder, prefix in folders:
            sent += self._send_folder(detail, folder, prefix, base, entry, path)
        for rel, data in extra.items():
            sent += self._upload(base, rel, io.BytesIO(data), len(data), entry, path)
        return sent

    def _send_folder(
        self, detail: RunDetail, folder: Path, prefix: str, base: str, entry: dict[str, Any], path: Path
    ) -> int:
        links: list[str] = []
        try:
            # The folder the user named may be a link (`wandb/latest-run`); one inside a store may not.
            top = os.open(folder, DIR_FLAGS if folder != Path(self.store.root) else DIR_FLAGS & ~os.O_NOFOLLOW)
        except OSError as exc:
            why = "is a symlink (not followed)" if folder.is_symlink() else f"cannot be read ({exc.strerror})"
            self.summary.skipped.append(f"artifacts of {detail.name}: {folder.name} {why}")
            return 0
        sent = 0
        try:
            for rel, fd in artifact_files(top, prefix, links):
                with os.fdopen(fd, "rb") as fh:
                    if not prefix or not os.path.basename(rel).startswith("."):  # our writer's temporaries
                        remote_rel = fields.media_path(rel) if prefix else rel
                        sent += self._upload(base, remote_rel, fh, os.fstat(fd).st_size, entry, path)
        finally:
            os.close(top)
            if links:
                names = ", ".join(sorted(links)[:10]) + (f" and {len(links) - 10} more" if len(links) > 10 else "")
                self.summary.skipped.append(f"artifacts of {detail.name}: {names} (symlinks are not followed)")
        return sent

    def _upload(self, base: str, rel: str, data: IO[bytes], size: int, entry: dict[str, Any], path: Path) -> int:
        """Upload one file unless a file of its size was sent before; 1 when it was sent."""
        sent_files: dict[str, int] = entry.setdefault("artifacts", {})
        if sent_files.get(rel) == size:
            return 0
        self.client.upload(f"{base}/{rel}", data)
        sent_files[rel] = size
        write_map(path, self.url, entry)
        self.summary.artifacts += 1
        self.summary.artifact_bytes += size
        self._report()
        return 1


def _artifact_base(uri: str) -> str | None:
    """The path under the server's artifact API of a run's `mlflow-artifacts:` URI; None for another store."""
    if not uri.startswith("mlflow-artifacts:"):
        return None
    base = uri[len("mlflow-artifacts:") :].lstrip("/")
    if uri.startswith("mlflow-artifacts://"):  # mlflow-artifacts://host:port/path
        base = base.split("/", 1)[1] if "/" in base else ""
    return base


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def _as_int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None
