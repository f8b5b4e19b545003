"""Frames from records: the runs frame a listing shows, and the long history frame of one run.

Plain functions over `RunRecord`s, shared by every kind of store; pandas and numpy are
imported only when a frame is built.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import pandas as pd

    from store.base import RunRecord

BASE_COLUMNS = ("run_id", "experiment", "name", "status", "created", "ended", "duration")
EXTRA_COLUMNS = ("host", "user", "reason")
METRIC_STATS = ("last", "min", "max")


def build_runs_frame(records: Sequence[RunRecord], status_of: Callable[[RunRecord], str], stat: str) -> pd.DataFrame:
    """One row per record, newest first: base columns, `params.*`, `metrics.*` (`stat` of each), `tags.*`,
    `inputs.*` (each input's digest, "" when it has none).

    Column-wise: a list per column is several times faster than a list of row dicts.
    `status_of` gives the status to show (a store infers `crashed` and `deleted`).
    """
    import numpy as np

    n = len(records)
    base: dict[str, list[Any]] = {
        c: [None] * n for c in (*BASE_COLUMNS, *EXTRA_COLUMNS, "heartbeat") if c != "duration"
    }
    params: dict[str, list[Any]] = {}
    metrics: dict[str, Any] = {}
    tags: dict[str, list[Any]] = {}
    inputs: dict[str, list[Any]] = {}
    parents: list[Any] = [None] * n
    sources: list[Any] = [None] * n
    for i, rec in enumerate(records):
        parents[i] = rec.get("parent") or (rec.get("system_tags") or {}).get("mlflow.parentRunId")
        sources[i] = rec.get("source")
        for col in ("run_id", "experiment", "name", "created", "ended", "host", "user", "reason", "heartbeat"):
            base[col][i] = rec.get(col)
        base["status"][i] = status_of(rec)
        for k, v in (rec.get("params") or {}).items():
            column = params.get(k)
            if column is None:
                column = params[k] = [None] * n
            column[i] = v
        for k, summary in (rec.get("metrics") or {}).items():
            arr = metrics.get(k)
            if arr is None:
                arr = metrics[k] = np.full(n, np.nan)
            value = summary.get(stat)
            if isinstance(value, (int, float)):
                arr[i] = value
        for k, text in (rec.get("tags") or {}).items():
            column = tags.get(k)
            if column is None:
                column = tags[k] = [None] * n
            column[i] = text
        for k, digest in (rec.get("inputs") or {}).items():
            inputs.setdefault(k, [None] * n)[i] = digest
    created = np.array([np.nan if v is None else v for v in base.pop("created")], dtype=float)
    ended = np.array([np.nan if v is None else v for v in base.pop("ended")], dtype=float)
    heartbeat = np.array([np.nan if v is None else v for v in base.pop("heartbeat")], dtype=float)
    # object arrays keep ints as ints: pandas would turn [30, None] into [30.0, nan]
    return assemble_runs_frame(
        base,
        created,
        ended,
        heartbeat,
        {k: _objects(v) for k, v in params.items()},
        metrics,
        tags,
        _objects(parents) if any(parents) else None,
        _objects(sources) if any(sources) else None,
        {k: _objects(v) for k, v in inputs.items()},
    )


def assemble_runs_frame(*parts: Any, **named: Any) -> pd.DataFrame:
    """The runs frame of `runs_columns(*parts, **named)` (every kind of listing ends here, so every
    frame has one shape), rows newest first."""
    import pandas as pd

    columns, order = runs_columns(*parts, **named)
    for name, values in columns.items():
        if name.startswith("params."):
            columns[name] = float_column(values)
    try:
        frame = pd.DataFrame(columns, copy=False)
    except UnicodeEncodeError:  # a lone surrogate in some run's text (a JSON escape), which Arrow's strings refuse
        frame = pd.DataFrame({name: _without_surrogates(values) for name, values in columns.items()}, copy=False)
    if order is not None:
        frame = frame.take(order).reset_index(drop=True)
    return cast("pd.DataFrame", frame)


def _without_surrogates(values: Any) -> Any:
    """`values` with each text holding a lone surrogate (valid JSON: `"\\ud800"`, no UTF-8 text) shown with
    U+FFFD in its place: one damaged name must not take the whole listing down."""
    import numpy as np

    def mended(value: Any) -> Any:
        if type(value) is str and not value.isascii():
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value

    if isinstance(values, list):
        return [mended(value) for value in values]
    if not isinstance(values, np.ndarray) or values.dtype != object:
        return values
    out = np.empty(len(values), dtype=object)
    out[:] = [mended(value) for value in values.tolist()]
    return out


def float_column(values: Any) -> Any:
    """A param column whose values are all floats (or missing) as a float array, NaN where missing; any
    other column as it is.

    An object array holds a Python float of 24 bytes behind each 8-byte pointer: at 100,000 runs
    a float param cost 3 MB instead of 0.8. The frame treats NaN as missing either way (`notna`),
    and a float cell reads the same; ints and flags stay objects, so they stay ints and flags.
    """
    import numpy as np
    import pandas as pd

    if not isinstance(values, np.ndarray) or values.dtype != object or not len(values):
        return values
    if pd.api.types.infer_dtype(values, skipna=True) != "floating":
        return values
    missing = pd.isna(values)
    floats = np.full(len(values), np.nan)
    floats[~missing] = values[~missing].astype(float)
    return floats


def runs_columns(
    base: dict[str, Any],
    created: Any,
    ended: Any,
    heartbeat: Any,
    params: dict[str, Any],
    metrics: dict[str, Any],
    tags: dict[str, Any],
    parents: Any,
    sources: Any = None,
    inputs: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], Any]:
    """The runs frame's columns by name, in its order, and the order to take their rows in (newest
    first; None for no rows): `assemble_runs_frame` without pandas, for a caller that writes the
    columns out as they are (`tracktui ls --json` of our store: importing pandas is 0.3 s of it).

    `base` holds run_id, experiment, name, status, host, user, reason; `params` object arrays,
    `metrics` float arrays, `tags` lists or object arrays, `inputs` object arrays, each by key;
    `parents` None when no run has one; `sources` None unless several stores share the table.
    """
    import numpy as np

    n = len(created)
    # A crashed run never wrote `ended`; its last heartbeat is when it was last seen alive.
    duration = np.where(np.isnan(ended), heartbeat, ended) - created
    columns: dict[str, Any] = {"run_id": base["run_id"]}
    if sources is not None:  # several stores in one table (store/opening/multi.py)
        columns["source"] = sources
    columns |= {
        "experiment": base["experiment"],
        "name": base["name"],
        "status": base["status"],
        "created": created,
        "ended": ended,
        "duration": duration,
    }
    columns.update((f"params.{k}", params[k]) for k in sorted(params, key=natural_key))
    columns.update((f"metrics.{k}", metrics[k]) for k in sorted(metrics, key=natural_key))
    columns.update((f"tags.{k}", tags[k]) for k in sorted(tags, key=natural_key))
    inputs = inputs or {}
    columns.update((f"inputs.{k}", inputs[k]) for k in sorted(inputs, key=natural_key))
    columns.update((c, base[c]) for c in EXTRA_COLUMNS)
    if parents is not None:  # only stores with nested runs get the column (group by parent)
        columns["parent"] = parents
    order = np.argsort(-np.nan_to_num(created, nan=-np.inf), kind="stable") if n else None
    return columns, order


def history_frame(parts: Sequence[tuple[str, Sequence[int], Sequence[float], Sequence[float]]]) -> pd.DataFrame:
    """The long `key, step, time, value` frame of `RunStore.history` from (key, steps, times, values)."""
    import numpy as np
    import pandas as pd

    parts = [p for p in parts if len(p[1])]
    if not parts:
        empty = {
            "key": pd.Series([], dtype="category"),
            "step": np.array([], dtype="int64"),
            "time": np.array([], dtype=float),
            "value": np.array([], dtype=float),
        }
        return cast("pd.DataFrame", pd.DataFrame(empty))
    codes = np.concatenate([np.full(len(p[1]), i, dtype=np.int32) for i, p in enumerate(parts)])
    keys = pd.Categorical.from_codes(codes, categories=pd.Index([p[0] for p in parts]))
    return cast(
        "pd.DataFrame",
        pd.DataFrame(
            {
                "key": keys,
                "step": np.concatenate([np.asarray(p[1], dtype="int64") for p in parts]),
                "time": np.concatenate([np.asarray(p[2], dtype=float) for p in parts]),
                "value": np.concatenate([np.asarray(p[3], dtype=float) for p in parts]),
            }
        ),
    )


def _objects(values: list[Any]) -> Any:
    import numpy as np

    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def natural_key(text: str) -> list[Any]:
    """`p2` before `p10`, as people count."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


SYSTEM_METRICS = "system/"
"""Where machine metrics are logged (`store.writing.system_metrics.PREFIX`; the formats may not import the writer)."""


def log_facts(metrics: Mapping[str, Mapping[str, Any]], created: float | None) -> tuple[float, float, str]:
    """When a run last logged a metric, its usual seconds between logs, and its metrics holding NaN or ±inf.

    From a listing's summaries, so the app can tell a run that needs a look without reading
    histories: `last_time` and `count` where a kind keeps them (NaN when not), `nonfinite`
    where it counts them (ours), else a `last`, `min` or `max` that is not finite. Machine
    metrics are left out of the timing: their sampler keeps ticking while a training loop
    hangs. The interval is that of the metric logged most often, counted from `created`.
    """
    import math

    last_logged = interval = math.nan
    most = 0
    bad: list[str] = []
    for key, summary in metrics.items():
        nonfinite = summary.get("nonfinite")
        if (isinstance(nonfinite, (int, float)) and nonfinite > 0) or any(
            isinstance(v := summary.get(s), float) and not math.isfinite(v) for s in ("last", "min", "max")
        ):
            bad.append(key)
        when, count = summary.get("last_time"), summary.get("count")
        if key.startswith(SYSTEM_METRICS) or not isinstance(when, (int, float)) or not math.isfinite(when):
            continue
        last_logged = max(last_logged, float(when)) if last_logged == last_logged else float(when)
        if isinstance(count, int) and count > most and created is not None and when > created:
            most, interval = count, (when - created) / count
    return last_logged, interval, ", ".join(sorted(bad, key=natural_key))


def record_facts(rec: Mapping[str, Any]) -> tuple[float, float, str]:
    """`log_facts` of a listing record: as the record keeps them (ours, whose listing cuts metrics to
    last/min/max; also inside several stores), else worked out from its metrics."""
    if "nonfinite" not in rec:
        return log_facts(rec.get("metrics") or {}, rec.get("created"))
    last_logged, interval = (rec.get(key) for key in ("last_logged", "log_interval"))
    return (
        float(last_logged) if isinstance(last_logged, (int, float)) else float("nan"),
        float(interval) if isinstance(interval, (int, float)) else float("nan"),
        rec.get("nonfinite") or "",
    )
