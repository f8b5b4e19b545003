"""The registered models of a pushed store, onto the server's registry, idempotently.

After the runs, each model of `RunStore.models()` with a version made from a pushed run is
created on the server if missing (`registered-models/create`); each such version is created once
(`model-versions/create`, source `runs:/<server run id>/<artifact path>`, run id the server's)
and found again by its tag `tracktui.version_id` (our version's id, or the source's number) and
its server run, so a second push creates none twice. Tags, descriptions, stages and aliases are then set where the
server's differ (aliases name the server's numbers, which may differ from the source's). A
version whose run was not pushed, or whose files are not a run's artifacts (an MLflow 3
`models:/m-…` logged model), is named in the summary's `not carried`, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from store.errors import StoreError
from store.model_entities import ModelVersion, RegisteredModel
from store.remote.http import ServerError
from store.remote.registry import model_from_json, version_from_json

if TYPE_CHECKING:
    from store.remote.push.pusher import Pusher

VERSION_TAG = "tracktui.version_id"
"""The server version's tag naming the source version it was pushed from."""
PAGE = 1000


def push_models(pusher: Pusher) -> None:
    """Push every model with a version whose source run is on the server (pushed now or before)."""
    try:
        models = pusher.store.models()
    except (StoreError, OSError) as exc:
        pusher.summary.failed.append(f"models: {exc}")
        return
    for model in models:
        try:
            _push_model(pusher, model)
        except ServerError as exc:
            if exc.status is None or exc.status in (401, 403):
                raise
            pusher.summary.failed.append(f"model {model.name}: {exc}")


def _artifact_path(version: ModelVersion) -> str | None:
    """The version's files as a path under its run's artifacts; None when they are elsewhere."""
    source = version.source or ""
    if source.startswith("runs:/"):
        parts = source[len("runs:/") :].split("/", 1)
        return parts[1].strip("/") if len(parts) == 2 and parts[1].strip("/") else None
    if "/artifacts/" in source and version.run_id and f"/{version.run_id}/artifacts/" in source:
        return source.split(f"/{version.run_id}/artifacts/", 1)[1].strip("/") or None
    return None


def _carried(pusher: Pusher, model: RegisteredModel) -> list[tuple[ModelVersion, str, str]]:
    """(version, server run id, artifact path) of each version that can be pushed; the others named."""
    carried = []
    for version in model.versions:
        where = f"model {model.name} v{version.version}"
        if version.reason or version.version is None:
            pusher.summary.left_behind.append(f"{where}: damaged ({version.reason})")
            continue
        path = _artifact_path(version)
        server_run = pusher.server_id(version.run_id) if version.run_id else None
        if path is None:
            pusher.summary.left_behind.append(
                f"{where}: its files ({version.source}) are not a run's artifacts (logged models are not pushed)"
            )
        elif server_run is None:
            run = f"its run {version.run_id} is not on the server (push it too)" if version.run_id else "no run"
            pusher.summary.left_behind.append(f"{where}: {run}")
        else:
            carried.append((version, server_run, path))
    return carried


def _push_model(pusher: Pusher, model: RegisteredModel) -> None:  # noqa: C901 - a model, its versions and aliases, each step skippable
    if model.reason and not model.versions:
        pusher.summary.left_behind.append(f"model {model.name}: damaged ({model.reason})")
        return
    carried = _carried(pusher, model)
    if not carried:
        return
    if "'" in model.name or "\\" in model.name:
        pusher.summary.left_behind.append(
            f"model {model.name}: a name with ' or \\ cannot be searched for on "
            "the server (its versions would be created twice)"
        )
        return
    client = pusher.client
    try:
        raw = client.get("registered-models/get", {"name": model.name}).get("registered_model") or {}
    except ServerError as exc:
        if exc.status not in (400, 404):
            raise
        body: dict[str, Any] = {"name": model.name, "tags": _tag_list(model.tags)}
        if model.description:
            body["description"] = model.description
        raw = client.post("registered-models/create", body).get("registered_model") or {}
        pusher.summary.models += 1
    remote = model_from_json(raw) or RegisteredModel(model.name)
    for key, value in model.tags.items():
        if remote.tags.get(key) != value:
            client.post("registered-models/set-tag", {"name": model.name, "key": key, "value": value})
    if model.description and remote.description != model.description:
        client.patch("registered-models/update", {"name": model.name, "description": model.description})
    # By the tag and the server run: two stores' version 1 of one model, pushed to one server, are two versions.
    on_server = {(v.tags.get(VERSION_TAG), v.run_id): v for v in _server_versions(pusher, model.name)}
    numbers: dict[int, int] = {}
    for version, server_run, path in carried:
        key = version.version_id or str(version.version)
        there = on_server.get((key, server_run))
        if there is None:
            body = {
                "name": model.name,
                "source": f"runs:/{server_run}/{path}",
                "run_id": server_run,
                "tags": _tag_list({**version.tags, VERSION_TAG: key}),
            }
            if version.description:
                body["description"] = version.description
            there = version_from_json(client.post("model-versions/create", body).get("model_version") or {})
            pusher.summary.model_versions += 1
            if there is None:
                raise ServerError(f"{pusher.url} answered model-versions/create without a version")
        else:
            _update_version(pusher, model.name, version, there)
        if version.stage and there.stage != version.stage and there.version is not None:
            client.post(
                "model-versions/transition-stage",
                {
                    "name": model.name,
                    "version": str(there.version),
                    "stage": version.stage,
                    "archive_existing_versions": False,
                },
            )
        if version.version is not None and there.version is not None:
            numbers[version.version] = there.version
    for alias, number in model.aliases.items():
        if number not in numbers:
            pusher.summary.left_behind.append(f"model {model.name} alias {alias}: version {number} is not carried")
        elif remote.aliases.get(alias) != numbers[number]:
            client.post(
                "registered-models/alias", {"name": model.name, "alias": alias, "version": str(numbers[number])}
            )


def _update_version(pusher: Pusher, name: str, version: ModelVersion, there: ModelVersion) -> None:
    """Tags and description of a version pushed before, where they changed at the source."""
    for key, value in version.tags.items():
        if there.tags.get(key) != value:
            pusher.client.post(
                "model-versions/set-tag", {"name": name, "version": str(there.version), "key": key, "value": value}
            )
    if version.description and there.description != version.description:
        pusher.client.patch(
            "model-versions/update", {"name": name, "version": str(there.version), "description": version.description}
        )


def _server_versions(pusher: Pusher, name: str) -> Iterator[ModelVersion]:
    """The server's versions of model `name` (paged)."""
    token: str | None = None
    seen: set[str] = set()
    while True:
        args = {"filter": f"name='{name}'", "max_results": PAGE, **({"page_token": token} if token else {})}
        data = pusher.client.get("model-versions/search", args)
        for raw in data.get("model_versions") or ():
            version = version_from_json(raw) if isinstance(raw, dict) else None
            if version is not None:
                yield version
        token = data.get("next_page_token")
        if not isinstance(token, str) or not token or token in seen:
            return
        seen.add(token)


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in tags.items()]
