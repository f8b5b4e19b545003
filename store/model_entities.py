"""What a model registry holds, as plain data every reader fills the same way (no I/O here).

A `RegisteredModel` (a name with tags, a description, aliases) has numbered `ModelVersion`s, each
made from a run's files (`run_id`, `source`) and, since MLflow 3, from a `LoggedModel` (`model_id`),
an entity of its own with params, metrics and tags. MLflow's file, SQL and server stores and our
own store (store/ours/registry.py) all answer `RunStore.models()` and `RunStore.logged_models()` with
these; a screen or `tracktui models` shows them without knowing where they came from.

A damaged entry (a meta.yaml that does not parse, a row of the wrong type) is one entry whose
`reason` says what is wrong: it never makes the listing fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from store.errors import StoreError

__all__ = [
    "LoggedModel",
    "ModelNotFoundError",
    "ModelVersion",
    "RegisteredModel",
    "find_version",
    "link",
    "made_from",
    "parse_ref",
]


class ModelNotFoundError(StoreError, LookupError):
    """No registered model, version or alias matches what was asked."""


@dataclass
class ModelVersion:
    """One version of a registered model."""

    name: str
    version: int | None
    """None only for a damaged entry whose number could not be read."""
    stage: str | None = None
    """MLflow's stage (`Staging`, `Production`, `Archived`; before aliases replaced stages); None for none."""
    aliases: list[str] = field(default_factory=list)
    run_id: str | None = None
    model_id: str | None = None
    """The MLflow 3 logged model the version was registered from, if any."""
    source: str | None = None
    """Where the version was registered from, as the store says (`runs:/<run>/model`, `models:/m-...`, a path)."""
    status: str | None = None
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    created: float | None = None
    updated: float | None = None
    location: str | None = None
    """Where the files are when the reader knows it without asking more (a local path or a URI);
    `RunStore.model_files` finds it for the others."""
    metrics: dict[str, float] = field(default_factory=dict)
    """Its logged model's latest metric values (filled by `link`)."""
    reason: str | None = None
    """Why the entry is damaged, or what of it could not be read."""
    version_id: str | None = None
    """Our store's stable id of the version (the file it is kept in); None for MLflow's."""

    @property
    def ref(self) -> str:
        return f"{self.name}/{self.version}"

    def to_json(self) -> dict[str, Any]:
        """The line `tracktui models --json` prints."""
        return {
            "name": self.name,
            "version": self.version,
            "aliases": list(self.aliases),
            "stage": self.stage,
            "run_id": self.run_id,
            "model_id": self.model_id,
            "source": self.source,
            "status": self.status,
            "tags": dict(self.tags),
            "description": self.description,
            "created": self.created,
            "metrics": dict(self.metrics),
            **({"reason": self.reason} if self.reason else {}),
        }


@dataclass
class RegisteredModel:
    """A registered model and its versions, newest last."""

    name: str
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    """Alias -> version number."""
    created: float | None = None
    updated: float | None = None
    versions: list[ModelVersion] = field(default_factory=list)
    reason: str | None = None


@dataclass
class LoggedModel:
    """An MLflow 3 logged model (`mlflow.<flavor>.log_model`): its own params, metrics and tags."""

    model_id: str
    name: str
    experiment_id: str | None = None
    run_id: str | None = None
    status: str | None = None
    model_type: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    """Each metric's latest value (by step, then time)."""
    created: float | None = None
    updated: float | None = None
    location: str | None = None
    """Where its files are (a local path, or the artifact URI of a server's)."""
    reason: str | None = None


def link(models: Sequence[RegisteredModel], logged: Iterable[LoggedModel]) -> list[RegisteredModel]:
    """Give each version its aliases (from its model's alias map) and its logged model's metrics."""
    by_id = {m.model_id: m for m in logged}
    for model in models:
        for version in model.versions:
            version.aliases = sorted(alias for alias, number in model.aliases.items() if number == version.version)
            if version.model_id in by_id:
                version.metrics = dict(by_id[version.model_id].metrics)
    return list(models)


def made_from(
    run_id: str, models: Iterable[RegisteredModel], logged: Iterable[LoggedModel]
) -> tuple[list[ModelVersion], list[LoggedModel]]:
    """The versions registered from a run and the logged models it made (the run's side of the link)."""
    return ([v for m in models for v in m.versions if v.run_id == run_id], [m for m in logged if m.run_id == run_id])


def parse_ref(ref: str) -> tuple[str, str | None, int | None]:
    """`NAME@ALIAS` or `NAME/VERSION` as (name, alias, version); ValueError for anything else."""
    if "@" in ref:
        name, alias = ref.rsplit("@", 1)
        if name and alias:
            return name, alias, None
    elif "/" in ref:
        name, number = ref.rsplit("/", 1)
        if name and number.isdigit():
            return name, None, int(number)
    raise ValueError(f"{ref!r} is not NAME@ALIAS or NAME/VERSION (e.g. churn@prod or churn/3)")


def find_version(models: Iterable[RegisteredModel], ref: str) -> ModelVersion:
    """The version `NAME@ALIAS` or `NAME/VERSION` names; ModelNotFoundError saying what is missing."""
    name, alias, number = parse_ref(ref)
    model = next((m for m in models if m.name == name), None)
    if model is None:
        raise ModelNotFoundError(f"no registered model {name!r}; list them with `tracktui models STORE`")
    if alias is not None:
        if alias not in model.aliases:
            known = ", ".join(sorted(model.aliases)) or "none"
            raise ModelNotFoundError(f"model {name!r} has no alias {alias!r} (aliases: {known})")
        number = model.aliases[alias]
    version = next((v for v in model.versions if v.version == number), None)
    if version is None:
        raise ModelNotFoundError(f"model {name!r} has no version {number}; see `tracktui models STORE {name}`")
    return version
