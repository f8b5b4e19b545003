"""A tracking server's model registry and MLflow 3 logged models, through its REST API (read-only).

`registered-models/search`, `model-versions/search` and `logged-models/search`, paged the way the
run listing pages (`MlflowServerStore._pages`: same client, auth, deadlines and errors; a page
token seen before ends the paging). The JSON is the server's and may hold anything: a part of
the wrong type is left out and named in the entry's `reason` (the defensive style of
store/remote/answers.py), and an entry without a usable name or id is no entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from store.formats.mlflow.common import ms_to_seconds
from store.formats.mlflow.registry import latest_values, logged_from, version_from
from store.model_entities import LoggedModel, ModelVersion, RegisteredModel, link
from store.remote.answers import MAX_ID, _items, _pairs, _part, int_or_raw
from store.remote.http import ServerError

if TYPE_CHECKING:
    from store.remote.rest import MlflowServerStore

PAGE = 1000
"""Entries per page: the most `registered-models/search` allows (the others allow more)."""


def _name(value: Any) -> str | None:
    return value if isinstance(value, str) and value and len(value) <= MAX_ID else None


def server_models(store: MlflowServerStore) -> list[RegisteredModel]:
    """Every registered model with its versions, aliases and logged-model metrics filled in."""
    models: dict[str, RegisteredModel] = {}
    for raw in store._pages("GET", "registered-models/search", {"max_results": PAGE}, "registered_models"):
        model = model_from_json(raw)
        if model is not None:
            models[model.name] = model
    for raw in store._pages("GET", "model-versions/search", {"max_results": PAGE}, "model_versions"):
        version = version_from_json(raw)
        if version is not None:
            models.setdefault(version.name, RegisteredModel(version.name)).versions.append(version)
    for model in models.values():
        model.versions.sort(key=lambda v: v.version or 0)
    return link(sorted(models.values(), key=lambda m: m.name), server_logged_models(store))


def model_from_json(raw: Mapping[str, Any]) -> RegisteredModel | None:
    name = _name(raw.get("name"))
    if name is None:
        return None
    problems: list[str] = []
    aliases = {}
    for item in _items(raw, "aliases", problems):
        number = int_or_raw(item.get("version"))
        if isinstance(number, int) and isinstance(item.get("alias"), str):
            aliases[item["alias"]] = number
        else:
            problems.append(f"an alias names no version ({str(item)[:40]})")
    description = raw.get("description")
    return RegisteredModel(
        name=name,
        description=description if isinstance(description, str) and description else None,
        tags=dict(sorted(_pairs(raw, "tags", problems).items())),
        aliases=aliases,
        created=_seconds(raw.get("creation_timestamp")),
        updated=_seconds(raw.get("last_updated_timestamp")),
        reason="; ".join(problems) or None,
    )


def version_from_json(raw: Mapping[str, Any]) -> ModelVersion | None:
    name = _name(raw.get("name"))
    if name is None:
        return None
    problems: list[str] = []
    tags = dict(sorted(_pairs(raw, "tags", problems).items()))
    fields = {
        key: int_or_raw(value) if key.endswith("timestamp") or key == "version" else value
        for key, value in raw.items()
        if isinstance(value, (str, int, float)) or value is None
    }
    version = version_from(name, fields, tags, problems)
    if version.version is None:
        version.reason = "; ".join(
            filter(None, [version.reason, f"version {str(raw.get('version'))[:20]!r} is not a number"])
        )
    return version


def server_logged_models(store: MlflowServerStore) -> list[LoggedModel]:
    """The logged models of every experiment the server lists (none before MLflow 3: the endpoint is missing)."""
    experiments = list(store._experiments())
    found: list[LoggedModel] = []
    for start in range(0, len(experiments), 100):  # the server takes at most 100 experiment ids at once
        body = {"experiment_ids": experiments[start : start + 100], "max_results": 100}
        try:
            found += filter(None, map(logged_from_json, store._pages("POST", "logged-models/search", body, "models")))
        except ServerError as exc:
            if exc.status in (404, 501):  # an MLflow 2 server: no logged models
                return []
            raise
    return sorted(found, key=lambda m: (m.created or 0, m.model_id))


def logged_from_json(raw: Mapping[str, Any]) -> LoggedModel | None:
    problems: list[str] = []
    info = _part(raw, "info", dict, problems)
    data = _part(raw, "data", dict, problems)
    model_id = _name(info.get("model_id"))
    if model_id is None:
        return None
    fields = {key: int_or_raw(value) for key, value in info.items() if isinstance(value, (str, int, float))}
    status = fields.get("status")
    if isinstance(status, str):
        fields["status"] = status.removeprefix("LOGGED_MODEL_")
    points: Iterable[tuple[str, Any, Any, Any]] = (
        (str(m.get("key")), int_or_raw(m.get("step", 0)), int_or_raw(m.get("timestamp")), m.get("value"))
        for m in _items(data, "metrics", problems)
    )
    return logged_from(
        fields,
        model_id,
        dict(sorted(_pairs(data, "params", problems).items())),
        dict(sorted(_pairs(info, "tags", problems).items())),
        latest_values(points),
        problems,
    )


def server_model_files(store: MlflowServerStore, version: ModelVersion) -> str | None:
    """The artifact URI of a version's files: its run's artifact URI and path, or its logged model's."""
    source = version.source or ""
    if source.startswith("runs:/") and version.run_id:
        record = store._listed(version.run_id)
        base = str((record.get("mlflow") or {}).get("artifact_uri") or "")
        path = source.removeprefix(f"runs:/{version.run_id}").strip("/")
        return f"{base.rstrip('/')}/{path}" if base and path else base or None
    if version.model_id:
        logged = next((m for m in server_logged_models(store) if m.model_id == version.model_id), None)
        if logged is not None and logged.location:
            return logged.location
    return version.location or version.source


def _seconds(value: Any) -> float | None:
    return ms_to_seconds(int_or_raw(value))
