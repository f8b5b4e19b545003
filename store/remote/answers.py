"""An MLflow tracking server's JSON answers as our records and points, typed and never raising.

The server's JSON is data from outside: any field may hold another type, a huge or a deeply
nested value. A run whose parts have the wrong type is kept as a `damaged` record whose reason
names what was left out; a run without a usable id is no run (None); a history point that is not
one is dropped. The mapping onto records is `mlflow_common.build_record`, which the file and SQL
readers use too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from store.base import RunRecord
from store.formats.mlflow import common as common


def record_from_json(run: Any, experiments: Mapping[str, list[str]]) -> RunRecord | None:
    """A record from one run of `runs/search` or `runs/get` JSON; None when it has no run id.

    The JSON is the server's and may hold anything: a part of the wrong type is left out and
    named in the reason (the run shows as damaged), never raised.
    """
    problems: list[str] = []
    info = _part(run, "info", dict, problems) if isinstance(run, dict) else {}
    data = _part(run, "data", dict, problems) if isinstance(run, dict) else {}
    run_id = info.get("run_id") or info.get("run_uuid")
    if not isinstance(run_id, str) or not run_id or len(run_id) > MAX_ID:
        return None
    exp_id = str(info.get("experiment_id", ""))[:MAX_ID]
    exp_name, exp_stage = (experiments.get(exp_id) or [exp_id, "active"])[:2]
    fields = {
        "name": info.get("run_name"),
        "status": info.get("status"),
        "user_id": info.get("user_id"),
        "start_time": int_or_raw(info.get("start_time")),
        "end_time": int_or_raw(info.get("end_time")),
        "lifecycle_stage": "deleted" if exp_stage == "deleted" else info.get("lifecycle_stage"),
        "experiment_id": exp_id,
        "artifact_uri": info.get("artifact_uri"),
    }
    params = _pairs(data, "params", problems)
    tags = _pairs(data, "tags", problems)
    metrics: dict[str, dict[str, Any]] = {}
    odd: list[str] = []
    for m in _items(data, "metrics", problems):
        summary = common.latest_only(
            m.get("value"), int_or_raw(m.get("timestamp")), int_or_raw(m.get("step", 0)), False
        )
        if summary is None:  # the run is fine: say what was skipped, keep its status (as the SQL reader)
            odd.append(f"metric {str(m.get('key'))[:40]} has an unreadable latest value")
        else:
            metrics[str(m.get("key"))] = summary
    record = common.build_record(
        run_id, str(exp_name), fields, params, tags, dict(sorted(metrics.items())), problems[:5]
    )
    if odd:
        record["reason"] = "; ".join(filter(None, [record["reason"], *odd]))
    return record


MAX_ID = 1000
"""Characters of a run or experiment id; a longer one is not an id (MLflow's are 32 and a number)."""


def dataset_inputs_from_json(run: Any) -> list[dict[str, Any]]:
    """The dataset inputs (MLflow 2.4+ `log_input`) of one run of `runs/get` JSON, in the shape of ours;
    an entry of the wrong type is left out (the server's JSON may hold anything)."""
    inputs = run.get("inputs") if isinstance(run, dict) else None
    entries = inputs.get("dataset_inputs") if isinstance(inputs, dict) else None
    out = []
    for entry in entries if isinstance(entries, list) else []:
        dataset = entry.get("dataset") if isinstance(entry, dict) else None
        if not isinstance(dataset, dict):
            continue
        tags = entry.get("tags")
        pairs = (
            {t["key"]: t.get("value") for t in tags if isinstance(t, dict) and isinstance(t.get("key"), str)}
            if isinstance(tags, list)
            else {}
        )
        out.append(common.dataset_input(dataset, pairs))
    return out


def _part(parent: Mapping[str, Any], name: str, kind: type, problems: list[str]) -> Any:
    """`parent[name]` when it has the type MLflow gives it (a missing one is empty), else empty and a problem."""
    value = parent.get(name)
    if value is None:
        return kind()
    if not isinstance(value, kind):
        problems.append(f"the server's {name} is a {type(value).__name__}, not a {kind.__name__}")
        return kind()
    return value


def _items(data: Mapping[str, Any], name: str, problems: list[str]) -> list[dict[str, Any]]:
    """The objects of the list `data[name]`; anything else in it is left out and counted as a problem."""
    items = _part(data, name, list, problems)
    good = [item for item in items if isinstance(item, dict)]
    if len(good) < len(items):
        problems.append(f"{len(items) - len(good)} of the server's {name} are not objects")
    return good


def _pairs(data: Mapping[str, Any], name: str, problems: list[str]) -> dict[str, str]:
    return {str(p.get("key")): str(p.get("value", "")) for p in _items(data, name, problems)}


def int_or_raw(value: Any) -> Any:
    """Protobuf JSON may give int64 as text; digits become an int, anything else stays for the damage note."""
    if isinstance(value, str):
        number = common.as_int(value)
        return value if number is None else number
    return value


def point(p: Mapping[str, Any]) -> tuple[Any, int, float]:
    value = common.as_float(p.get("value"))
    return (
        common.as_int(int_or_raw(p.get("step", 0))),
        common.as_int(int_or_raw(p.get("timestamp"))) or 0,
        float("nan") if value is None else value,
    )
