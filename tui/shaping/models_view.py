"""What the models view shows, as plain rows (no Textual): registered models with their
versions under them, then MLflow 3 logged models; and the runs frame's `model`/`alias` columns.

A version's metrics are its source run's, read from the runs frame the table already holds (the
runs screen's sort metric first), so the view costs no read per run; a logged model shows its own.
Every cell is text from a store: it goes through `printable` here, and the screen shows it as
`rich.text.Text`, never as markup.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from store.base import RunStore
from store.errors import StoreError
from store.model_entities import LoggedModel, ModelVersion, RegisteredModel

from ..artifacts.mlmodel import MLModelSummary
from .formatting import format_timestamp, format_value
from .sanitize import cut, printable

if TYPE_CHECKING:
    import pandas as pd
else:
    from .lazy_modules import pd

__all__ = [
    "COLUMNS",
    "ModelRow",
    "RegistryColumns",
    "mlmodel_rows",
    "model_rows",
    "registry_columns",
    "run_versions_line",
]

COLUMNS = ("model", "ver", "aliases", "stage", "metrics", "run", "created", "tags · description")
"""What 80 columns show first: which version, its aliases and stage and how good its run was."""
RUN_CELL = COLUMNS.index("run")
METRICS_SHOWN = 3
"""Metrics per row: the sort metric, then the first others (the detail has them all)."""
REGISTRY_COLUMNS = ("model", "alias")
"""The runs frame's columns from the registry: `, `-joined names, compared by membership (`model = churn`)."""
PROTECTED_ALIASES = frozenset({"prod", "champion"})
"""Aliases the view asks about before moving them to another version."""


@dataclass
class ModelRow:
    """One line of the models view. `key` is unique and stable across re-reads (the cursor keeps it)."""

    key: str
    kind: str
    """"model", "version" or "logged"."""
    cells: tuple[str, ...]
    run_id: str | None = None
    model: RegisteredModel | None = None
    version: ModelVersion | None = None
    logged: LoggedModel | None = None


def model_rows(
    models: Sequence[RegisteredModel],
    logged: Sequence[LoggedModel],
    frame: pd.DataFrame | None,
    sort_key: str | None = None,
    run_id: str | None = None,
) -> list[ModelRow]:
    """Each model (latest version, aliases, stage, tags, description), its versions newest first,
    then the logged models; with `run_id`, only what that run made (and the models of those versions)."""
    runs = _run_facts(
        frame, {r for r in [*(v.run_id for m in models for v in m.versions), *(m.run_id for m in logged)] if r}
    )
    rows: list[ModelRow] = []
    for model in sorted(models, key=lambda m: m.name.lower()):
        versions = [v for v in model.versions if run_id is None or v.run_id == run_id]
        if run_id is not None and not versions:
            continue
        latest = max((v for v in model.versions if v.version is not None), key=lambda v: v.version or 0, default=None)
        aliases = " ".join(f"{a}→{n}" for a, n in sorted(model.aliases.items()))
        rows.append(
            ModelRow(
                f"m:{model.name}",
                "model",
                (
                    model.name,
                    f"v{latest.version}" if latest else "",
                    aliases,
                    (latest.stage or "") if latest else "",
                    "damaged"
                    if model.reason
                    else f"{len(model.versions)} version{'s' if len(model.versions) != 1 else ''}",
                    _when(model.created),
                    "",
                    _about(model.tags, model.reason or model.description),
                ),
                model=model,
            )
        )
        for version in sorted(versions, key=lambda v: -(v.version or 0)):
            status, metrics = runs(version.run_id, sort_key)
            rows.append(
                ModelRow(
                    f"v:{model.name}/{version.version}",
                    "version",
                    (
                        f"  {model.name}",
                        f"v{version.version if version.version is not None else '?'}",
                        " ".join(version.aliases),
                        version.stage or "",
                        "damaged" if version.reason else status,
                        _when(version.created),
                        metrics,
                        _about(version.tags, version.reason or version.description),
                    ),
                    run_id=version.run_id,
                    model=model,
                    version=version,
                )
            )
    for item in sorted(logged, key=lambda m: (m.name.lower(), m.model_id)):
        if run_id is not None and item.run_id != run_id:
            continue
        status, _ = runs(item.run_id, None)
        rows.append(
            ModelRow(
                f"l:{item.model_id}",
                "logged",
                (
                    f"{item.name} (logged)",
                    "",
                    "",
                    item.status or "",
                    "damaged" if item.reason else status,
                    _when(item.created),
                    _metric_text(item.metrics, sort_key),
                    _about(item.tags, item.reason),
                ),
                run_id=item.run_id,
                logged=item,
            )
        )
    order = (0, 1, 2, 3, 6, 4, 5, 7)  # built as model, ver, aliases, stage, run, created, metrics, about
    return [
        ModelRow(
            r.key, r.kind, tuple(printable(cut(r.cells[i], 200)) for i in order), r.run_id, r.model, r.version, r.logged
        )
        for r in rows
    ]


def _run_facts(frame: pd.DataFrame | None, wanted: set[str]) -> Callable[[str | None, str | None], tuple[str, str]]:
    """(status, metrics text) of a run of the frame; a run not in it says so. Only the wanted runs'
    rows are taken out of the frame, once (a registry of 1,000 versions over 100,000 runs)."""
    records: dict[str, dict[str, object]] = {}
    if frame is not None and len(frame) and "run_id" in frame:
        columns = ["status"] + [c for c in frame.columns if str(c).startswith("metrics.")]
        rows = frame.loc[frame["run_id"].astype(str).isin(wanted), ["run_id", *columns]]
        records = {str(r["run_id"]): r for r in rows.to_dict("records")}

    def facts(run_id: str | None, sort_key: str | None) -> tuple[str, str]:
        if run_id is None:
            return "", ""
        row = records.get(run_id)
        if row is None:
            return "not in store", ""
        values = {
            str(c)[len("metrics.") :]: v for c, v in row.items() if str(c).startswith("metrics.") and _is_number(v)
        }
        return str(row.get("status") or ""), _metric_text(values, sort_key)

    return facts


def _metric_text(metrics: Mapping[str, object], sort_key: str | None) -> str:
    first = (sort_key or "").removeprefix("metrics.")
    keys = sorted(metrics, key=lambda k: (k != first, k))[:METRICS_SHOWN]
    return " ".join(f"{k}={format_value(metrics[k])}" for k in keys)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(float(value))


def _when(seconds: float | None) -> str:
    return "" if seconds is None else format_timestamp(seconds, seconds=False)


def _about(tags: dict[str, str], text: str | None) -> str:
    pairs = " ".join(f"{k}={v}" for k, v in sorted(tags.items()))
    return " · ".join(part for part in (pairs, (text or "").splitlines()[0] if text else "") if part)


def run_versions_line(versions: Sequence[ModelVersion], logged: Sequence[LoggedModel]) -> str:
    """The detail overview's line: the versions registered from a run and the models it logged."""
    parts = [
        f"{v.ref}" + (f" @{','.join(v.aliases)}" if v.aliases else "") + (f" [{v.stage}]" if v.stage else "")
        for v in versions
    ]
    parts += [f"{m.name} (logged {m.model_id})" for m in logged if not any(v.model_id == m.model_id for v in versions)]
    return printable(", ".join(parts))


def registry_columns(models: Sequence[RegisteredModel], run_ids: pd.Series) -> dict[str, pd.Series]:
    """The runs frame's `model` and `alias` columns: per run, the names of the models registered
    from it and the aliases of those versions (`, `-joined; None for a run with none)."""
    names: dict[str, set[str]] = {}
    aliases: dict[str, set[str]] = {}
    for model in models:
        for version in model.versions:
            if version.run_id:
                names.setdefault(version.run_id, set()).add(model.name)
                aliases.setdefault(version.run_id, set()).update(version.aliases)
    return {REGISTRY_COLUMNS[0]: _cells(run_ids, names), REGISTRY_COLUMNS[1]: _cells(run_ids, aliases)}


def _cells(run_ids: pd.Series, values: dict[str, set[str]]) -> pd.Series:
    """A map over the runs, not a loop: 100,000 runs are polled every 2 s."""
    mapped = run_ids.map({run: ", ".join(sorted(v)) for run, v in values.items() if v}).astype(object)
    return cast(pd.Series, mapped.where(mapped.notna(), None))


class RegistryColumns:
    """The poll worker's registry read: `models()` again only every `seconds` (a server's registry is
    a few requests; the runs are polled every 2 s), and at once after a registry edit (`stale`)."""

    SERVER_SECONDS = 30.0
    LOCAL_SECONDS = 5.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.models: list[RegisteredModel] = []
        self.read_at: float | None = None

    def stale(self) -> None:
        self.read_at = None

    def apply(self, store: RunStore, frame: pd.DataFrame) -> bool:
        """Add the columns to `frame` (a copy the worker owns); whether the registry changed since the last read."""
        kind = store.kind
        seconds = self.SERVER_SECONDS if kind == "mlflow-server" else self.LOCAL_SECONDS
        changed = False
        if self.read_at is None or self.clock() - self.read_at >= seconds:
            self.read_at = self.clock()
            try:
                read = store.models()
            except (StoreError, OSError):
                read = self.models  # a server that did not answer: the last read stands, asked again later
            changed = _facts(read) != _facts(self.models)
            self.models = read
        if self.models and len(frame):
            for column, values in registry_columns(self.models, frame["run_id"]).items():
                frame[column] = values
        return changed


def _facts(models: Sequence[RegisteredModel]) -> list[tuple[str, object, tuple[str, ...]]]:
    return [(m.name, v.run_id, tuple(v.aliases)) for m in models for v in m.versions]


SKIPPED_FACTS = frozenset({"run id", "model uuid", "created (UTC)"})
"""MLmodel facts that differ between any two models and say nothing about them."""


def mlmodel_rows(summaries: Sequence[MLModelSummary | str]) -> list[tuple[str, list[str], bool]]:
    """Side by side: (field, one value per model, whether they differ) for flavors, signature,
    requirements (one row per package) and facts; a model whose files could not be read is its reason."""
    fields: dict[str, list[str]] = {}

    def put(name: str, index: int, value: str) -> None:
        fields.setdefault(name, [""] * len(summaries))[index] = printable(value)

    for index, summary in enumerate(summaries):
        if isinstance(summary, str):
            put("files", index, summary)
            continue
        put("flavors", index, ", ".join(summary.flavors))
        for flavor, facts in summary.flavors.items():
            put(f"  {flavor}", index, ", ".join(f"{k}={v}" for k, v in facts.items()))
        put("inputs", index, "; ".join(summary.inputs))
        put("outputs", index, "; ".join(summary.outputs))
        if summary.params:
            put("params", index, "; ".join(summary.params))
        for line in summary.requirements:
            put(f"requires {_package(line)}", index, line)
        for key, value in summary.facts.items():
            if key not in SKIPPED_FACTS:
                put(key, index, value)
        if summary.problems:
            put("problems", index, "; ".join(summary.problems))
    return [(name, values, len(set(values)) > 1) for name, values in fields.items()]


def _package(requirement: str) -> str:
    """`scikit-learn==1.5.0` -> `scikit-learn`: requirements line up by package."""
    for stop in "=<>!~[; @":
        requirement = requirement.split(stop, 1)[0]
    return requirement.strip().lower()
