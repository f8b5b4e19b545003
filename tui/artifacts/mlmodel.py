"""A summary of an MLflow model folder from its `MLmodel` file and requirement files.

Only YAML and JSON text is parsed (`yaml.safe_load`, `json.loads`); the model itself is
never loaded. A damaged file gives a summary with `problems`, not an exception.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

FLAVOR_FACTS = (
    "loader_module",
    "python_version",
    "model_path",
    "pickled_model",
    "serialization_format",
    "predict_fn",
    "code",
    "data",
)
"""Facts of a flavor worth showing; any `*_version` key is shown as well."""


@dataclass
class MLModelSummary:
    flavors: dict[str, dict[str, str]] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    """mlflow_version, created, run_id, model_uuid, size, artifact_path as present."""
    problems: list[str] = field(default_factory=list)


def _spec_line(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    name = item.get("name")
    kind = str(item.get("type", "?"))
    if kind == "tensor" and isinstance(item.get("tensor-spec"), dict):
        spec = item["tensor-spec"]
        kind = f"tensor {spec.get('dtype', '?')} {tuple(spec.get('shape') or ())}"
    if "default" in item:
        kind += f" = {item['default']!r}"
    if item.get("required") is False:
        kind += " (optional)"
    return f"{name}: {kind}" if name is not None else kind


def _schema(value: Any, what: str, problems: list[str]) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            problems.append(f"signature {what} is not valid JSON: {exc}")
            return []
    if not isinstance(value, list):
        problems.append(f"signature {what} is not a list of columns")
        return []
    return [_spec_line(item) for item in value]


def _requirements(requirements_txt: str | None, conda_yaml: str | None, problems: list[str]) -> list[str]:
    if requirements_txt is not None:
        return [
            line.strip() for line in requirements_txt.splitlines() if line.strip() and not line.lstrip().startswith("#")
        ]
    if conda_yaml is None:
        return []
    import yaml  # loaded when a model is shown, not with the runs table

    try:
        env = yaml.safe_load(conda_yaml)
    except yaml.YAMLError as exc:
        problems.append(f"conda.yaml is not valid YAML: {exc}")
        return []
    out: list[str] = []
    deps = env.get("dependencies") if isinstance(env, dict) else None
    for dep in deps if isinstance(deps, list) else []:
        if isinstance(dep, str):
            out.append(dep)
        elif isinstance(dep, dict):
            out.extend(str(d) for d in dep.get("pip") or [])
    return out


def summarize_mlmodel(
    mlmodel_text: str, *, requirements_txt: str | None = None, conda_yaml: str | None = None
) -> MLModelSummary:
    """Summarise an `MLmodel` file's text, with the folder's requirements.txt or conda.yaml."""
    import yaml

    summary = MLModelSummary()
    try:
        doc = yaml.safe_load(mlmodel_text)
    except yaml.YAMLError as exc:
        summary.problems.append(f"MLmodel is not valid YAML: {exc}")
        doc = None
    if doc is not None and not isinstance(doc, dict):
        summary.problems.append("MLmodel does not hold a mapping")
        doc = None
    doc = doc or {}
    flavors = doc.get("flavors")
    if isinstance(flavors, dict):
        for name, facts in flavors.items():
            shown: dict[str, str] = {}
            if isinstance(facts, dict):
                for key, value in facts.items():
                    if value is not None and (key in FLAVOR_FACTS or str(key).endswith("_version")):
                        shown[str(key)] = str(value)
            summary.flavors[str(name)] = shown
    elif doc:
        summary.problems.append("MLmodel lists no flavors")
    signature = doc.get("signature")
    if isinstance(signature, dict):
        summary.inputs = _schema(signature.get("inputs"), "inputs", summary.problems)
        summary.outputs = _schema(signature.get("outputs"), "outputs", summary.problems)
        summary.params = _schema(signature.get("params"), "params", summary.problems)
    for key, label in (
        ("mlflow_version", "mlflow version"),
        ("utc_time_created", "created (UTC)"),
        ("run_id", "run id"),
        ("model_uuid", "model uuid"),
        ("artifact_path", "artifact path"),
        ("model_size_bytes", "size (bytes)"),
    ):
        if doc.get(key) not in (None, ""):
            summary.facts[label] = str(doc[key])
    summary.requirements = _requirements(requirements_txt, conda_yaml, summary.problems)
    return summary
