"""How one run of any store maps onto what an MLflow run holds, under MLflow's own names so its UI shows them.

Plain functions of a `RunDetail`: the tags (user tags, MLflow's system tags, our facts as
`tracktui.*` tags), the dataset inputs for `runs/log-inputs`, and the files that are not in
the run's artifacts folder (console, per-step images, the error text, a W&B summary). What
MLflow cannot hold is named in `dropped`, never left out silently. The table of this mapping
is in store/FORMAT.md ("Pushed runs") and the README ("Moving runs to an MLflow server").
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from store.base import RunDetail
from store.formats.mlflow.common import DATASET_CONTEXT_TAG, RUN_NAME_TAG, SYSTEM_TAG_PREFIX
from store.writing.environment import command_without_credentials, without_credentials

SOURCE_TAG = "tracktui.run_id"
"""The source run's id: a push that lost its progress file finds its server run by it."""
KIND_TAG = "tracktui.source_kind"
"""Which kind of store the run came from (`tracktui`, `wandb`, `tensorboard`, `mlflow-sql`, ...)."""
ORIGIN_TAG = "tracktui.source"
"""For kinds whose run ids are folder names (`version_0`, `run-lr0.05`): a digest of kind, store and id,
by which a push finds the run (two Lightning folders both have a `version_0`)."""
_UNIQUE_IDS = frozenset({"tracktui", "mlflow-file", "mlflow-sql", "mlflow-server", "wandb"})
"""Kinds whose run ids are unique anywhere: a run is found by its id, also after its store moved."""
ERROR_TAG = "tracktui.error"
"""The first line of a failed run's error (MLflow has no field); the whole text is the artifact ERROR_FILE."""
ERROR_FILE = "tracktui/error.txt"
REASON_TAG = "tracktui.reason"
"""What a reader could not read of a run that did not fail (its first line)."""
_ENDED_BADLY = frozenset({"failed", "killed", "crashed"})
CONSOLE_FILE = "tracktui/console.log"
MEDIA_DIR = "tracktui/media"
SUMMARY_FILE = "tracktui/summary.json"
PARENT_TAG = "mlflow.parentRunId"
FACT_PREFIX = "tracktui."
MAX_TAG_VALUE, MAX_KEY = 8000, 250
"""MLflow's limits on a tag's value and any key (its server refuses longer ones)."""
_KEY = re.compile(r"^[/\w.\- :]*$")
"""The names MLflow's server takes (`mlflow/utils/validation.py`)."""
MAX_DIGEST, MAX_NAME = 36, 500
"""MLflow's limits on a dataset's digest and name."""

_FACT_TAGS = {
    "user": "mlflow.user",
    "username": "mlflow.user",
    "command": "mlflow.source.name",
    "program": "mlflow.source.name",
    "git_commit": "mlflow.source.git.commit",
    "git_branch": "mlflow.source.git.branch",
    "git_dirty": "mlflow.source.git.dirty",
    "git_remote": "mlflow.source.git.repoURL",
    "git_repo": "mlflow.source.git.repoURL",
    "note": "mlflow.note.content",
}
"""Our facts (store/base.py `RunDetail.facts`, as each reader names them) -> MLflow's system tags."""
_NOT_TAGS = frozenset(
    {
        "parent",
        "parent_run",
        "console",
        "summary",
        "system_tags",
        "server",
        "artifacts_not_downloaded",
        "artifact_uri",
        "experiment_id",
        "lifecycle_stage",
    }
)
"""Facts that are not tags: pushed another way (parent, console, summary, system tags), or the source
server's own bookkeeping, which means nothing on another server."""
_MLFLOW_KINDS = frozenset({"mlflow-file", "mlflow-sql", "mlflow-server"})


def is_mlflow(kind: str) -> bool:
    return kind in _MLFLOW_KINDS


def parent_of(detail: RunDetail) -> str | None:
    """The source id of the run this one was started under (ours: `tracktui run`; MLflow: nested runs)."""
    parent = detail.facts.get("parent") or detail.facts.get("parent_run")
    return parent if isinstance(parent, str) and parent else None


def identity(detail: RunDetail, kind: str, root: Path) -> tuple[str, dict[str, str]]:
    """The tag a push finds the run's server copy by, and every tag that says where the run came from."""
    tags = {SOURCE_TAG: detail.run_id, KIND_TAG: kind}
    if kind in _UNIQUE_IDS:
        return SOURCE_TAG, tags
    where = str(root) if "://" in str(root) else str(Path(root).resolve())
    tags[ORIGIN_TAG] = hashlib.sha256(f"{kind}\0{where}\0{detail.run_id}".encode()).hexdigest()[:32]
    return ORIGIN_TAG, tags


def run_tags(
    detail: RunDetail, kind: str, parent: str | None, dropped: list[str], origin: dict[str, str]
) -> dict[str, str]:
    """Every tag of the server run: the run's own tags, MLflow's system tags, our facts as `tracktui.*`.

    An MLflow run keeps its system tags as they are (but `mlflow.parentRunId`, which names a run
    of the old server: `parent` is its id on this one). Another run's facts become MLflow's tags
    where MLflow has a name (`_FACT_TAGS`), else `tracktui.<fact>`.
    """
    tags: dict[str, str] = {}
    if is_mlflow(kind):
        system = detail.facts.get("system_tags")
        tags.update({str(k): str(v) for k, v in (system or {}).items() if k != PARENT_TAG})
    else:
        for fact, value in detail.facts.items():
            if fact in _NOT_TAGS or value is None or value == "":
                continue
            if isinstance(value, (str, int, float, bool)):
                text = str(value).lower() if isinstance(value, bool) else str(value)
            else:  # a list or an object (HF's trainer state fields): its JSON
                text = json.dumps(value, sort_keys=True, default=str)
            if fact in ("command", "program"):  # the server is shared: no credential on a command line
                text = " ".join(command_without_credentials(text.split(" "))[0])
            elif fact in ("git_remote", "git_repo"):
                text = without_credentials(text)
            tags.setdefault(_FACT_TAGS.get(fact, FACT_PREFIX + fact), text)
        if "mlflow.source.name" in tags:
            tags["mlflow.source.type"] = "LOCAL"
        if kind == "wandb" and detail.tags.get("notes"):
            tags.setdefault("mlflow.note.content", detail.tags["notes"])
    tags.update(detail.tags)
    tags[RUN_NAME_TAG] = detail.name
    tags.update(origin)
    if parent:
        tags[PARENT_TAG] = parent
    if detail.error:  # an MLflow run's is its reader's reason: MLflow keeps no error text
        first = detail.error.strip().splitlines()[0] if detail.error.strip() else detail.error
        tags[ERROR_TAG if detail.status in _ENDED_BADLY and not is_mlflow(kind) else REASON_TAG] = first
    return fit_tags(tags, dropped)


def valid_key(key: str) -> bool:
    """Whether MLflow's server takes `key` as a tag, param or metric name (letters, digits, `_-. /:`, a plain
    relative path): one name it refuses would fail the whole batch it is in."""
    norm = posixpath.normpath(key)
    return (
        bool(_KEY.match(key))
        and len(key) <= MAX_KEY
        and norm == key
        and norm != "."
        and not norm.startswith(("..", "/"))
    )


def refused(kind: str, keys: Iterable[str], dropped: list[str]) -> set[str]:
    """The `keys` MLflow refuses as names, each named in `dropped`."""
    bad = {key for key in keys if not valid_key(key)}
    dropped += [f"{kind} {key[:60]!r} (a name MLflow refuses)" for key in sorted(bad)]
    return bad


def fit_tags(tags: dict[str, str], dropped: list[str]) -> dict[str, str]:
    """The tags within MLflow's limits: a key it refuses is left out, a longer value cut (both named in `dropped`)."""
    fitted: dict[str, str] = {}
    bad = refused("tag", tags, dropped)
    for key, value in tags.items():
        if key in bad:
            continue
        elif len(value) > MAX_TAG_VALUE:
            dropped.append(f"tag {key}: cut to {MAX_TAG_VALUE} of {len(value):,} characters")
            fitted[key] = value[:MAX_TAG_VALUE]
        else:
            fitted[key] = value
    return fitted


def system_tag(key: str) -> bool:
    return key.startswith(SYSTEM_TAG_PREFIX)


def dataset_inputs(detail: RunDetail) -> dict[str, dict[str, Any]]:
    """The run's inputs as `runs/log-inputs` datasets, by a key that says what was sent.

    MLflow keeps a dataset's digest in 36 characters: a longer one (our `sha256:<hex>`) is cut
    there, and its whole text is in the dataset's source JSON (`digest`) beside the path.
    Our own fields (kind, size, files, mtime, digest source) go into the source JSON too.
    """
    datasets: dict[str, dict[str, Any]] = {}
    for item in detail.inputs:
        name = str(item.get("name") or "?")[:MAX_NAME]
        digest = str(item.get("digest") or "")
        context = str(item.get("context") or "")
        path = item.get("path")
        from_mlflow = item.get("digest_source") == "mlflow"
        source: dict[str, Any] = {"uri": str(path)} if path else {"name": name}
        if not from_mlflow:
            source.update(
                {k: item[k] for k in ("kind", "size", "files", "mtime", "digest_source") if item.get(k) is not None}
            )
            if digest:
                source["digest"] = digest
        source_type = str(item.get("kind") or "local") if from_mlflow else ("local" if path else "code")
        dataset = {
            "name": name,
            "digest": digest[:MAX_DIGEST] or "unknown",
            "source_type": source_type[:36],
            "source": json.dumps(source, sort_keys=True),
        }
        tags = [{"key": DATASET_CONTEXT_TAG, "value": context}] if context else []
        datasets[f"{name}\0{dataset['digest']}\0{context}"] = {"tags": tags, "dataset": dataset}
    return datasets


def extra_files(detail: RunDetail, kind: str) -> dict[str, bytes]:
    """Files of the run that are not in its artifacts folder, by their artifact path on the server."""
    files: dict[str, bytes] = {}
    if detail.error and detail.status in _ENDED_BADLY and not is_mlflow(kind):
        files[ERROR_FILE] = detail.error.encode("utf-8", "replace")
    summary = detail.facts.get("summary")
    if isinstance(summary, dict) and summary:
        files[SUMMARY_FILE] = json.dumps(summary, indent=1, sort_keys=True, default=str).encode()
    run_folder = detail.facts.get("path")
    if kind == "tracktui" and isinstance(run_folder, str):
        from store.writing.console import console_parts, read_console

        if console_parts(Path(run_folder)):
            files[CONSOLE_FILE] = read_console(Path(run_folder))
    return files


def media_folder(detail: RunDetail, kind: str) -> Path | None:
    """Our run's per-step images (`media/<key>/<step>.png`), which go up under MEDIA_DIR; None for other kinds,
    whose images are in their artifacts already (MLflow's `images/`, W&B's `media/images/`)."""
    if kind != "tracktui" or detail.artifacts_dir is None:
        return None
    folder = detail.artifacts_dir.parent / "media"
    return folder if folder.is_dir() else None


def media_path(rel: str) -> str:
    """`tracktui/media/<key>/<step>.png` for our `media/<key %-encoded>/<step>.png`: the key as logged (`val/x`
    makes folders, as MLflow's UI shows them), kept %-encoded when a part of it is empty, `.` or `..`."""
    prefix, _, rest = rel.partition(MEDIA_DIR + "/")
    encoded, _, name = rest.partition("/")
    key = unquote(encoded)
    if any(part in ("", ".", "..") for part in key.split("/")) or "%" in key or "\\" in key:
        key = encoded
    return f"{prefix}{MEDIA_DIR}/{key}/{name}"


def repeated_points(frame: Any, start: float) -> int:
    """Points equal to another of their key in step, time and value (Lightning's and HF's rows repeat `epoch`
    at a step, without a time): a server on a database keeps one of each."""
    if not len(frame):
        return 0
    times = frame["time"].fillna(start)
    return int(frame.assign(time=times).duplicated(["key", "step", "time", "value"]).sum())


def left_behind(detail: RunDetail, kind: str) -> list[str]:
    """What of the run a push cannot carry, for the summary."""
    out = []
    if kind == "tensorboard":
        out.append("images stay inside the event files (uploaded as artifacts), not one file per step")
    skipped = detail.facts.get("artifacts_not_downloaded")
    if skipped:
        out.append(f"artifacts not downloaded from the source server: {skipped}")
    return out
