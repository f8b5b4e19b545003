"""MLflow's model registry and MLflow 3 logged models, read from a file store or an SQLite store (read-only).

File store (MLflow 1.x to 3.x):

    mlruns/models/<name>/meta.yaml                   description, times (ms)
    mlruns/models/<name>/tags/<key>, aliases/<alias> a tag's value; an alias's version number
    mlruns/models/<name>/version-<n>/meta.yaml       version, current_stage, source, run_id, status, ...
    mlruns/models/<name>/version-<n>/tags/<key>
    mlruns/<experiment>/models/m-<id>/meta.yaml      a logged model: name, source_run_id, artifact_location
    mlruns/<experiment>/models/m-<id>/{params,tags,metrics}/<key>

SQLite: `registered_models`, `model_versions`, `registered_model_tags`, `model_version_tags`,
`registered_model_aliases` (2.3+), `logged_models` with `logged_model_params|metrics|tags` (3.0+);
a table an older MLflow did not have is simply empty here.

A version MLflow deleted (stage `Deleted_Internal`) is left out, as MLflow leaves it out. An entry
that cannot be read is one entry with a `reason`, never a failed listing. Model folders are only
ever found by listing (a symlinked folder is not followed), and ids from inside files go through
`safe_names` before they name a path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from store import safe_read
from store.formats.mlflow import common as common
from store.formats.mlflow.file import META, TRASH, _read_values, _walk_files, load_mapping
from store.formats.mlflow.sqlite_read import _rows, reading
from store.model_entities import LoggedModel, ModelVersion, RegisteredModel
from store.safe_names import plain_name

DELETED_STAGE = "Deleted_Internal"
LOGGED_STATUS = {0: "UNSPECIFIED", 1: "PENDING", 2: "READY", 3: "FAILED"}
"""MLflow's LoggedModelStatus numbers, as the file and SQL stores keep them."""
_VERSION_DIR = re.compile(r"version-(\d{1,18})\Z")
_MODEL_URI = re.compile(r"models:/(m-[0-9a-f]{1,64})/?\Z")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _stage(value: Any) -> str | None:
    return None if value in (None, "", "None") else str(value)


def model_id_of(source: Any) -> str | None:
    """The logged model a `models:/m-<id>` source names (MLflow 3); None for a run's path or anything else."""
    found = _MODEL_URI.match(source) if isinstance(source, str) else None
    return found.group(1) if found else None


def _dirs(folder: Path) -> list[os.DirEntry[str]]:
    """Real sub-folders, by name (a symlink is never followed out of the store)."""
    try:
        return sorted(
            (e for e in os.scandir(folder) if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")),
            key=lambda e: e.name,
        )
    except (FileNotFoundError, NotADirectoryError):
        return []


def version_from(
    name: str,
    info: Mapping[str, Any],
    tags: Mapping[str, str],
    problems: Sequence[str] = (),
    location: str | None = None,
) -> ModelVersion:
    """A version from MLflow's fields (the SQL column or meta.yaml names; the server's JSON names too)."""
    source = _text(info.get("source"))
    model_id = _text(info.get("model_id")) or model_id_of(source)
    created = info.get("creation_timestamp", info.get("creation_time"))
    updated = info.get("last_updated_timestamp", info.get("last_updated_time"))
    return ModelVersion(
        name=name,
        version=common.as_int(info.get("version")),
        stage=_stage(info.get("current_stage")),
        run_id=_text(info.get("run_id")) or None,
        model_id=model_id,
        source=source,
        status=_text(info.get("status")),
        description=_text(info.get("description")) or None,
        tags=dict(tags),
        created=common.ms_to_seconds(created),
        updated=common.ms_to_seconds(updated),
        location=location,
        reason="; ".join(problems) or None,
    )


def _aliases(raw: Mapping[str, Any], problems: list[str]) -> dict[str, int]:
    aliases = {}
    for alias, version in raw.items():
        number = common.as_int(version)
        if number is None:
            problems.append(f"alias {alias[:40]!r} names no version ({str(version)[:20]!r})")
        else:
            aliases[str(alias)] = number
    return aliases


def latest_values(points: Iterable[tuple[str, Any, Any, Any]]) -> dict[str, float]:
    """Each key's latest value by (step, time), as MLflow picks a latest metric."""
    best: dict[str, tuple[tuple[int, int, float], float]] = {}
    for key, step, timestamp, value in points:
        number = common.as_float(value)
        if number is None:
            continue
        order = common.latest_order(common.as_int(step) or 0, common.as_int(timestamp) or 0, number)
        if key not in best or order > best[key][0]:
            best[key] = (order, number)
    return {key: value for key, (_, value) in sorted(best.items())}


# -- the file store ------------------------------------------------------------------------------------------


def file_models(root: Path, anchors: Sequence[Path]) -> list[RegisteredModel]:
    """The registered models of the file store at `root` (`mlruns/models/`), versions in number order."""
    models = []
    for folder in _dirs(root / "models"):
        path = Path(folder.path)
        problems: list[str] = []
        meta, problem = load_mapping(path / META, f"models/{folder.name}/{META}")
        problems += [problem] if problem else []
        name = str(meta.get("name") or folder.name)
        model = RegisteredModel(
            name=name,
            description=_text(meta.get("description")) or None,
            tags=_read_values(path, "tags", problems),
            aliases=_aliases(_read_values(path, "aliases", problems), problems),
            created=common.ms_to_seconds(meta.get("creation_timestamp")),
            updated=common.ms_to_seconds(meta.get("last_updated_timestamp")),
        )
        for entry in _dirs(path):
            found = _VERSION_DIR.match(entry.name)
            if found:
                version = _file_version(name, Path(entry.path), int(found.group(1)), anchors)
                if version is not None:
                    model.versions.append(version)
        model.versions.sort(key=lambda v: v.version or 0)
        model.reason = "; ".join(problems) or None
        models.append(model)
    return models


def _file_version(name: str, path: Path, number: int, anchors: Sequence[Path]) -> ModelVersion | None:
    meta, problem = load_mapping(path / META, f"{path.name}/{META}")
    if meta.get("current_stage") == DELETED_STAGE:
        return None
    problems = [problem] if problem else []
    tags = _read_values(path, "tags", problems)
    version = version_from(name, {"version": number, **meta}, tags, problems)
    version.location = _local(meta.get("storage_location"), version.model_id, anchors)
    return version


def _local(storage: Any, model_id: str | None, anchors: Sequence[Path]) -> str | None:
    """A version's storage location on this machine; None for `runs:/` (found through the run) and remote URIs."""
    if not isinstance(storage, str) or storage.startswith("runs:/"):
        return None
    where = common.resolve_location(storage, anchors, must_contain=model_id)
    return None if where is None else str(where)


def file_logged_models(root: Path, anchors: Sequence[Path], include_deleted: bool = False) -> list[LoggedModel]:
    """The MLflow 3 logged models of every experiment (`mlruns/<exp>/models/m-<id>/`), by creation time."""
    found = []
    for prefix in ("", f"{TRASH}/"):
        if prefix and not include_deleted:
            continue
        for exp in _dirs(root / prefix if prefix else root):
            if exp.name == "models":
                continue
            for folder in _dirs(Path(exp.path) / "models"):
                found.append(_file_logged_model(Path(folder.path), exp.name, anchors))
    found = [m for m in found if include_deleted or m.status != "deleted"]
    return sorted(found, key=lambda m: (m.created or 0, m.model_id))


def _file_logged_model(path: Path, exp_id: str, anchors: Sequence[Path]) -> LoggedModel:
    meta, problem = load_mapping(path / META, f"models/{path.name}/{META}")
    problems = [problem] if problem else []
    points = []
    for key, entry in sorted(_walk_files(path / "metrics")):
        try:
            text = safe_read.read_text(entry.path, errors="replace")  # at most SMALL_FILE_CAP: a few points
        except OSError as exc:
            problems.append(f"metrics/{key} is unreadable ({str(exc)[:80]})")
            continue
        for line in text.splitlines():  # `timestamp value step [run_id [dataset_name dataset_digest]]`
            fields = line.split()
            if len(fields) >= 3:
                points.append((key, fields[2], fields[0], fields[1]))
    model = logged_from(
        {**meta, "experiment_id": meta.get("experiment_id", exp_id)},
        path.name,
        _read_values(path, "params", problems),
        _read_values(path, "tags", problems),
        latest_values(points),
        problems,
    )
    where = common.resolve_location(_text(meta.get("artifact_location")), anchors, must_contain=model.model_id)
    local = path / "artifacts"
    model.location = str(local if local.is_dir() and (where is None or not where.exists()) else where or local)
    return model


def logged_from(
    info: Mapping[str, Any],
    fallback_id: str,
    params: Mapping[str, str],
    tags: Mapping[str, str],
    metrics: Mapping[str, float],
    problems: Sequence[str] = (),
) -> LoggedModel:
    """A logged model from MLflow's fields (meta.yaml, SQL columns or the server's JSON names)."""
    status = info.get("status")
    number = common.as_int(status)
    stage = info.get("lifecycle_stage")
    created = info.get("creation_timestamp", info.get("creation_timestamp_ms"))
    updated = info.get("last_updated_timestamp", info.get("last_updated_timestamp_ms"))
    return LoggedModel(
        model_id=_text(info.get("model_id")) or fallback_id,
        name=_text(info.get("name")) or fallback_id,
        experiment_id=_text(info.get("experiment_id")),
        run_id=_text(info.get("source_run_id")) or None,
        status="deleted"
        if stage == "deleted"
        else LOGGED_STATUS.get(number, _text(status))
        if number is not None
        else _text(status),
        model_type=_text(info.get("model_type")),
        params=dict(params),
        tags=dict(tags),
        metrics=dict(metrics),
        created=common.ms_to_seconds(created),
        updated=common.ms_to_seconds(updated),
        location=_text(info.get("artifact_location", info.get("artifact_uri"))),
        reason="; ".join(problems) or None,
    )


# -- SQLite ---------------------------------------------------------------------------------------------------


def sql_models(path: Path, anchors: Sequence[Path]) -> list[RegisteredModel]:
    """The registered models of an MLflow SQLite database, versions in number order."""
    with reading(path) as con:
        tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

        def rows(table: str) -> list[dict[str, Any]]:
            return _rows(con, f"SELECT * FROM {table}") if table in tables else []

        models = {
            str(r["name"]): RegisteredModel(
                name=str(r["name"]),
                description=_text(r.get("description")) or None,
                created=common.ms_to_seconds(r.get("creation_time")),
                updated=common.ms_to_seconds(r.get("last_updated_time")),
            )
            for r in rows("registered_models")
        }
        for tag in rows("registered_model_tags"):
            if str(tag["name"]) in models:
                models[str(tag["name"])].tags[str(tag["key"])] = str(tag["value"])
        for alias in rows("registered_model_aliases"):
            model = models.get(str(alias["name"]))
            number = common.as_int(alias.get("version"))
            if model is not None and number is not None:
                model.aliases[str(alias["alias"])] = number
        version_tags: dict[tuple[str, Any], dict[str, str]] = {}
        for tag in rows("model_version_tags"):
            version_tags.setdefault((str(tag["name"]), common.as_int(tag["version"])), {})[str(tag["key"])] = str(
                tag["value"]
            )
        for row in rows("model_versions"):
            model = models.get(str(row["name"]))
            if model is None or row.get("current_stage") == DELETED_STAGE:
                continue
            number = common.as_int(row.get("version"))
            problems = [] if number is not None else [f"version {str(row.get('version'))[:20]!r} is not a number"]
            version = version_from(model.name, row, version_tags.get((model.name, number), {}), problems)
            version.location = _local(row.get("storage_location"), version.model_id, anchors)
            model.versions.append(version)
    for model in models.values():
        model.versions.sort(key=lambda v: v.version or 0)
        model.tags = dict(sorted(model.tags.items()))
    return sorted(models.values(), key=lambda m: m.name)


def sql_logged_models(path: Path, anchors: Sequence[Path], include_deleted: bool = False) -> list[LoggedModel]:
    """The MLflow 3 logged models of an SQLite database (none before MLflow 3), by creation time."""
    with reading(path) as con:
        tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "logged_models" not in tables:
            return []
        infos = _rows(con, "SELECT * FROM logged_models")
        extra = {
            table: _rows(con, f"SELECT * FROM {table}") if table in tables else []
            for table in ("logged_model_params", "logged_model_tags", "logged_model_metrics")
        }
    params: dict[str, dict[str, str]] = {}
    tags: dict[str, dict[str, str]] = {}
    points: dict[str, list[tuple[str, Any, Any, Any]]] = {}
    for row in extra["logged_model_params"]:
        params.setdefault(str(row["model_id"]), {})[str(row["param_key"])] = str(row["param_value"])
    for row in extra["logged_model_tags"]:
        tags.setdefault(str(row["model_id"]), {})[str(row["tag_key"])] = str(row["tag_value"])
    for row in extra["logged_model_metrics"]:
        points.setdefault(str(row["model_id"]), []).append(
            (str(row["metric_name"]), row.get("metric_step"), row.get("metric_timestamp_ms"), row.get("metric_value"))
        )
    found = []
    for info in infos:
        model_id = str(info.get("model_id"))
        model = logged_from(
            info,
            model_id,
            params.get(model_id, {}),
            dict(sorted(tags.get(model_id, {}).items())),
            latest_values(points.get(model_id, [])),
        )
        where = common.resolve_location(model.location, anchors, must_contain=plain_name(model_id))
        model.location = None if where is None else str(where)
        if include_deleted or model.status != "deleted":
            found.append(model)
    return sorted(found, key=lambda m: (m.created or 0, m.model_id))
