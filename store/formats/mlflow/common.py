"""What MLflow's file store and SQL store readers share: MLflow's vocabulary mapped onto ours.

Both readers normalise a run into the same "info" fields (the columns of MLflow's `runs`
table, which are also the keys of a file-store run's `meta.yaml`), then build the record,
the facts and the artifact locations here, so the two kinds cannot drift apart.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from store.base import RunDetail, RunRecord, RunStore
from store.formats.series import number

SYSTEM_TAG_PREFIX = "mlflow."
RUN_NAME_TAG = "mlflow.runName"

_STATUS_BY_NUMBER = {1: "running", 2: "running", 3: "finished", 4: "failed", 5: "killed"}
"""File-store `meta.yaml` keeps `RunStatus` as an int; SCHEDULED (2) has not ended, so it shows as running."""
_STATUS_BY_NAME = {
    "RUNNING": "running",
    "SCHEDULED": "running",
    "FINISHED": "finished",
    "FAILED": "failed",
    "KILLED": "killed",
}
_SOURCE_TYPES = {1: "NOTEBOOK", 2: "JOB", 3: "PROJECT", 4: "LOCAL", 1000: "UNKNOWN"}

_FACT_TAGS = {
    "mlflow.source.git.commit": "git_commit",
    "mlflow.source.git.branch": "git_branch",
    "mlflow.source.git.repoURL": "git_repo",
    "mlflow.project.entryPoint": "entry_point",
    "mlflow.project.backend": "project_backend",
    "mlflow.parentRunId": "parent_run",
    "mlflow.note.content": "note",
    "mlflow.databricks.notebookPath": "notebook",
}


def run_status(value: Any) -> str | None:
    """Our status for MLflow's (an int in the file store, a name in SQL); None when unknown."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _STATUS_BY_NUMBER.get(value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 20:  # past any status, and past Python's int-text limit (4,300 digits)
            return None
        return (
            _STATUS_BY_NUMBER.get(int(text)) if text.isascii() and text.isdigit() else _STATUS_BY_NAME.get(text.upper())
        )
    return None


def source_type_name(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return _SOURCE_TYPES.get(value, str(value))
    return str(value) if value not in (None, "") else None


MAX_MS = 10**15
"""Milliseconds past this (the year 33,658) are damage, not a time (a 400-digit int would not even fit a float)."""
INT64 = 2**63


def ms_to_seconds(value: Any) -> float | None:
    """MLflow times are integer milliseconds since the epoch; 0 and null both mean "not set".

    Anything that is not a number of sane size (text, bytes, 400 digits, inf, NaN) is None too;
    `odd_time` tells the two apart for the reason column.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value:
        return None
    if not abs(value) < MAX_MS:  # exact for ints of any size; False for NaN
        return None
    return float(value) / 1000.0


def odd_time(value: Any) -> bool:
    """A time field that holds something (not null, not 0) that `ms_to_seconds` cannot use."""
    return value is not None and value != 0 and value != "" and ms_to_seconds(value) is None


def as_int(value: Any) -> int | None:
    """An int64 from what SQL or a file gave (int, integral float, digits as text); None when odd."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value if -INT64 <= value < INT64 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < INT64 else None
    if isinstance(value, str) and len(value) < 25:
        try:
            return as_int(int(value))
        except ValueError:
            return None
    return None


def as_float(value: Any) -> float | None:
    """A metric value from what SQL or a server gave: `series.number` (numbers, number text a
    hand edit might leave; None when odd), except that a bool is 1.0 or 0.0, as MLflow's own
    clients log True and False."""
    return float(value) if isinstance(value, bool) else number(value)


def split_tags(tags: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(user tags, system tags): MLflow's own `mlflow.*` tags are bookkeeping, not tag columns."""
    user: dict[str, str] = {}
    system: dict[str, str] = {}
    for key, value in tags.items():
        (system if key.startswith(SYSTEM_TAG_PREFIX) else user)[key] = value
    return user, system


def _order_value(value: float) -> float:
    return 0.0 if math.isnan(value) else value


def latest_order(step: int, timestamp: int, value: float) -> tuple[int, int, float]:
    """MLflow's rule for a metric's latest value: the largest (step, timestamp, value).

    NaN takes part as 0, which is what the SQL store compares (it keeps NaN as 0 with is_nan=1).
    """
    return (step, timestamp, _order_value(value))


def summarize(points: Sequence[tuple[int, float, int]]) -> dict[str, Any] | None:
    """A metric's record entry from its (timestamp_ms, value, step) points; None for no points."""
    if not points:
        return None
    best = max(points, key=lambda p: latest_order(p[2], p[0], p[1]))
    finite = [v for _, v, _ in points if not math.isnan(v)]
    return {
        "last": _json_number(best[1]),
        "min": min(finite) if finite else None,
        "max": max(finite) if finite else None,
        "count": len(points),
        "last_step": best[2],
        "last_time": ms_to_seconds(best[0]),
    }


def latest_only(value: Any, timestamp: Any, step: Any, is_nan: Any) -> dict[str, Any] | None:
    """A metric's record entry from MLflow's `latest_metrics` row, which has no min, max or count.

    None when the row holds something MLflow never writes (text or a blob for the value or
    step, a time out of range): the caller notes the metric as unreadable.
    """
    number = None if is_nan else as_float(value)
    step_number = 0 if step is None else as_int(step)
    if (number is None and not is_nan) or step_number is None or odd_time(timestamp):
        return None
    return {
        "last": None if number is None else _json_number(number),
        "min": None,
        "max": None,
        "count": None,
        "last_step": step_number,
        "last_time": ms_to_seconds(timestamp),
    }


def _json_number(value: float) -> float | None:
    """NaN becomes None so that records compare equal to themselves (NaN != NaN) and stay JSON."""
    return None if math.isnan(value) else value


def build_record(
    run_id: str,
    experiment: str,
    info: Mapping[str, Any],
    params: Mapping[str, str],
    tags: Mapping[str, str],
    metrics: Mapping[str, dict[str, Any]],
    problems: Iterable[str] = (),
) -> RunRecord:
    """A run record in the shape `RunStore` lists (see `TrackStore._read_record`), from MLflow fields.

    `info` holds MLflow's run fields by their SQL column names: `name`, `status`, `start_time`,
    `end_time`, `user_id`, `lifecycle_stage`, `experiment_id`, `artifact_uri`, `source_type`,
    `source_name`, `entry_point_name`, `source_version`.
    """
    reasons = list(problems)
    notes = [
        f"{key} is not a time ({str(info.get(key))[:20]!r})"
        for key in ("start_time", "end_time")
        if odd_time(info.get(key))
    ]
    user_tags, system_tags = split_tags(tags)
    status = run_status(info.get("status"))
    if status is None and not reasons:
        reasons.append(f"unknown MLflow run status {str(info.get('status'))[:40]!r}")
    name = system_tags.get(RUN_NAME_TAG) or info.get("name") or info.get("run_name") or run_id
    return {
        "run_id": run_id,
        "experiment": experiment,
        "name": str(name),
        "status": "damaged" if reasons or status is None else status,
        "reason": "; ".join(reasons + notes) or None,
        "created": ms_to_seconds(info.get("start_time")),
        "ended": ms_to_seconds(info.get("end_time")),
        "host": None,
        "user": _scalar(info.get("user_id")) or system_tags.get("mlflow.user") or None,
        "pid": None,
        "pid_start": None,
        "heartbeat": None,
        "params": dict(params),
        "tags": user_tags,
        "metrics": dict(metrics),
        "system_tags": system_tags,
        "experiment_id": None if info.get("experiment_id") is None else str(info["experiment_id"]),
        "deleted": info.get("lifecycle_stage") == "deleted",
        "mlflow": {
            key: _scalar(info.get(key))
            for key in ("artifact_uri", "source_type", "source_name", "entry_point_name", "source_version")
        },
    }


def _scalar(value: Any) -> Any:
    """A JSON-able cell: a hand-edited meta.yaml can hold dates or lists where MLflow writes text."""
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def facts_for(record: RunRecord, **extra: Any) -> dict[str, Any]:
    """RunDetail.facts for an MLflow run: who and what ran it, plus all `mlflow.*` tags."""
    system = record.get("system_tags") or {}
    info = record.get("mlflow") or {}
    facts: dict[str, Any] = {
        "user": record.get("user"),
        "source": system.get("mlflow.source.name") or info.get("source_name") or None,
        "source_type": system.get("mlflow.source.type") or source_type_name(info.get("source_type")),
        "git_commit": system.get("mlflow.source.git.commit") or info.get("source_version") or None,
        "entry_point": info.get("entry_point_name") or None,
        "experiment_id": record.get("experiment_id"),
        "lifecycle_stage": "deleted" if record.get("deleted") else "active",
        "artifact_uri": info.get("artifact_uri"),
    }
    for tag, fact in _FACT_TAGS.items():
        if system.get(tag):
            facts[fact] = system[tag]
    facts.update(extra)
    facts["system_tags"] = dict(system)
    return facts


# -- artifact locations --------------------------------------------------------------------


_SERVED_SCHEME = "mlflow-artifacts:"
SERVED_ARTIFACTS_DIR = "mlartifacts"


def location_to_path(location: str | None) -> Path | None:
    """A local path from an MLflow artifact location: `file://` URI or plain path; None for remote ones."""
    if not location:
        return None
    parsed = urlparse(location)
    if parsed.scheme == "file":
        return Path(url2pathname(parsed.path))
    if parsed.scheme and len(parsed.scheme) > 1:
        return None  # s3://, gs://, dbfs:/, mlflow-artifacts:/ ... nothing to show locally
    return Path(location)


def resolve_location(location: str | None, anchors: Sequence[Path], must_contain: str | None = None) -> Path | None:
    """Where an artifact location recorded by MLflow is on this machine.

    A relative location is taken relative to the anchors (the folder MLflow was most likely
    run from first), the way MLflow resolves it against its working directory; the first
    that exists wins. An absolute location that does not exist here (a store rsynced from a
    cluster) is looked for under each anchor by its trailing path components, longest
    first; the match must keep `must_contain` (the run or model id), so a bare
    `artifacts` folder of some other run is never taken (without it, at least two
    components must match). Without a match, the recorded path is returned as is: the
    caller shows it as missing. `mlflow-artifacts:/...` (a tracking server that serves
    artifacts) is looked for in `mlartifacts/`, that server's default destination.
    """
    if location and location.startswith(_SERVED_SCHEME):
        served = location[len(_SERVED_SCHEME) :].lstrip("/")
        candidates = [anchor / SERVED_ARTIFACTS_DIR / served for anchor in anchors]
        return next((c for c in candidates if _exists(c)), candidates[0] if candidates else None)
    path = location_to_path(location)
    if path is None:
        return None
    if not path.is_absolute():
        candidates = [Path(os.path.normpath(anchor / path)) for anchor in anchors] or [Path.cwd() / path]
        return next((c for c in candidates if _exists(c)), candidates[0])
    if _exists(path):
        return path
    parts = path.parts[1:]
    if must_contain is None:
        starts = range(max(0, len(parts) - 1))
    elif must_contain in parts:
        starts = range(parts.index(must_contain) + 1)
    else:
        starts = range(0)
    for anchor in anchors:
        for i in starts:
            candidate = anchor.joinpath(*parts[i:])
            if _exists(candidate):
                return candidate
    return path


def _exists(path: Path) -> bool:
    """`Path.exists` for a location a store recorded: a name too long for this system (a 5,000-character
    artifact_uri raised `OSError: File name too long` out of `run()`) does not exist either."""
    try:
        return path.exists()
    except OSError:
        return False


def model_label(name: str | None, model_id: str, taken: Mapping[str, Any]) -> str:
    """`model: <name>`, with the model id added when a run logged two models of one name."""
    label = f"model: {name or model_id}"
    return label if label not in taken else f"{label} ({model_id})"


# -- history frames ------------------------------------------------------------------------


# -- what both readers do the same way ------------------------------------------------------


class MlflowRunStore(RunStore):
    """The part of both MLflow readers that is about MLflow, not about where the data sits.

    Deleted runs (and the runs of deleted experiments) stay in the index, marked
    `deleted`, and are left out of every listing unless `include_deleted` is set, so one
    cached index serves both views.
    """

    def __init__(self, root: Path, include_deleted: bool = False) -> None:
        super().__init__(root)
        self.include_deleted = include_deleted

    def _visible(self, record: RunRecord) -> bool:
        return self.include_deleted or not record.get("deleted")

    def status_of(self, record: RunRecord) -> str:
        """`deleted` for a deleted run (listed only with `include_deleted`), unless it is damaged."""
        status = super().status_of(record)
        return "deleted" if record.get("deleted") and status != "damaged" else status

    def _detail(
        self,
        record: RunRecord,
        metrics: Mapping[str, dict[str, Any]],
        path: Path,
        artifacts: Path | None,
        extra: dict[str, Path],
    ) -> RunDetail:
        """The RunDetail of an MLflow run, the same way for both kinds of store."""
        return RunDetail(
            run_id=record["run_id"],
            experiment=record["experiment"],
            name=record["name"],
            status=self.status_of(record),
            created=record["created"],
            ended=record["ended"],
            params=dict(record["params"]),
            tags=dict(record["tags"]),
            metrics=dict(metrics),
            facts=facts_for(record, path=str(path)),
            error=record["reason"],
            artifacts_dir=artifacts,
            extra_artifacts=extra,
            store=self,
        )


DATASET_CONTEXT_TAG = "mlflow.data.context"


def dataset_input(dataset: Mapping[str, Any], input_tags: Mapping[str, Any]) -> dict[str, Any]:
    """One MLflow dataset input (2.4+ `mlflow.log_input`) in the shape of ours (store/ours/inputs.py).

    `dataset` has MLflow's dataset fields (name, digest, source_type, source as JSON, profile
    as JSON); the context (`train`, `eval`) is the input's `mlflow.data.context` tag. MLflow's
    digest is its own short hash of the data, kept as it is; the size is unknown (the profile
    counts rows, kept as `rows`).
    """
    import json

    def parsed(text: Any) -> dict[str, Any]:
        try:
            value = json.loads(text) if isinstance(text, str) else text
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    source, profile = parsed(dataset.get("source")), parsed(dataset.get("profile"))
    where = source.get("uri") or source.get("url") or source.get("path") or source.get("table_name")
    rows = profile.get("num_rows")
    return {
        "name": str(dataset.get("name") or "?"),
        "path": str(where) if where else None,
        "kind": str(dataset.get("source_type") or "dataset"),
        "context": str(input_tags.get(DATASET_CONTEXT_TAG) or ""),
        "size": None,
        "mtime": None,
        "digest": str(dataset.get("digest") or "") or None,
        "digest_source": "mlflow",
        "rows": rows if isinstance(rows, int) else None,
    }
