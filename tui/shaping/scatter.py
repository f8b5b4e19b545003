"""A param against a metric across runs, as data: one point per run, categorical params
spread over slots, and the best run named when the metric's name says which way is better.

Plain functions (no Textual, no Rich); the `ParamScatter` widget only draws `ScatterData`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .direction import infer_direction
from .formatting import format_number
from .group_curves import RunGroup

if TYPE_CHECKING:
    import pandas as pd

RGB = tuple[int, int, int]
FloatArray = npt.NDArray[np.float64]


@dataclass
class ScatterData:
    param: str
    metric: str
    x: FloatArray
    y: FloatArray
    names: list[str]
    color: RGB
    best_color: RGB
    best: int | None = None
    """Index of the best point, when the metric's name says which direction is better."""
    xticks: tuple[list[float], list[str]] | None = None
    log_y: bool = False
    note: str = ""
    categorical: bool = False
    categories: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    """Each point's run (empty for groups' points)."""
    colors: list[RGB] | None = None
    """Each point's own colour (its group's), instead of `color` for all."""
    low: FloatArray | None = None
    high: FloatArray | None = None
    """Groups' points: the min and max of the metric over the group's runs (drawn as whiskers)."""


def build_scatter(
    frame: pd.DataFrame, param: str, metric: str, log_y: bool, color: RGB, best_color: RGB
) -> ScatterData:
    """Points (param, metric) for every run in `frame` that has the metric.

    A param whose values are not all numbers is categorical: one x slot per value (in
    sorted order), runs sharing a slot spread evenly within ±0.25 of it.
    """
    import pandas as pd

    pcol, mcol = f"params.{param}", f"metrics.{metric}"
    if pcol not in frame.columns or mcol not in frame.columns:
        empty = np.empty(0, dtype=np.float64)
        return ScatterData(param, metric, empty, empty, [], color, best_color, note="no such param or metric")
    sub = frame[[pcol, mcol, "name", *(["run_id"] if "run_id" in frame.columns else [])]].copy()
    sub[mcol] = pd.to_numeric(sub[mcol], errors="coerce")
    sub = sub[np.isfinite(sub[mcol].to_numpy(dtype=np.float64)) & sub[pcol].notna().to_numpy()]
    y = sub[mcol].to_numpy(dtype=np.float64)
    names = [str(n) for n in sub["name"]]
    raw = sub[pcol]
    numeric = pd.to_numeric(raw, errors="coerce")
    is_bool = raw.map(lambda v: isinstance(v, (bool, np.bool_))).any() if len(raw) else False
    categorical = bool(is_bool or numeric.isna().any())
    xticks = None
    categories: list[str] = []
    if categorical:
        labels = [_category_label(v) for v in raw]
        categories = sorted(set(labels))
        slot = {c: i for i, c in enumerate(categories)}
        x = np.array([slot[lab] for lab in labels], dtype=np.float64)
        for c in categories:
            idx = np.flatnonzero(np.array(labels) == c)
            if idx.size > 1:
                x[idx] += np.linspace(-0.25, 0.25, idx.size)
        xticks = ([float(i) for i in range(len(categories))], [c[:12] for c in categories])
    else:
        x = numeric.to_numpy(dtype=np.float64)
    direction = infer_direction(metric)
    best = None
    note = f"{len(y)} runs" if len(y) else f"No run in the current filter has both {param} and {metric}."
    candidates = y if not log_y else np.where(y > 0, y, np.nan)
    if direction is not None and np.isfinite(candidates).any():
        best = int(np.nanargmin(candidates) if direction == "lower" else np.nanargmax(candidates))
        shown = categories[round(x[best])] if categorical else format_number(float(x[best]))
        word = "lowest" if direction == "lower" else "highest"
        note += f" · {word} {metric} {format_number(float(y[best]))} at {param}={shown} ({names[best]})"
    run_ids = [str(r) for r in sub["run_id"]] if "run_id" in sub.columns else []
    return ScatterData(
        param,
        metric,
        x,
        y,
        names,
        color,
        best_color,
        best=best,
        xticks=xticks,
        log_y=log_y,
        note=note,
        categorical=categorical,
        categories=categories,
        run_ids=run_ids,
    )


def color_by_group(data: ScatterData, groups: Sequence[RunGroup], colors: Sequence[RGB]) -> ScatterData:
    """The runs' points of the groups only, each in its group's colour (`colors`, in group order)."""
    group_of = {r: i for i, g in enumerate(groups) for r in g.run_ids}
    keep = [i for i, r in enumerate(data.run_ids) if r in group_of]
    best = keep.index(data.best) if data.best is not None and data.best in keep else None
    return replace(
        data,
        x=data.x[keep],
        y=data.y[keep],
        names=[data.names[i] for i in keep],
        run_ids=[data.run_ids[i] for i in keep],
        best=best,
        colors=[colors[group_of[data.run_ids[i]] % len(colors)] for i in keep],
        note=data.note if best is not None or data.best is None else f"{len(keep)} runs",
    )


def group_points(data: ScatterData, groups: Sequence[RunGroup], colors: Sequence[RGB]) -> ScatterData:
    """One point per group from the runs' points: x their mean x (their common param value when
    the group is by that param), y the mean of the metric, with its min and max as whiskers;
    the best group (by mean) named when the metric's direction is known."""
    at = {r: i for i, r in enumerate(data.run_ids)}
    xs, ys, lows, highs, names, shown_colors = [], [], [], [], [], []
    for index, group in enumerate(groups):
        points = [at[r] for r in group.run_ids if r in at]
        if not points:
            continue
        values = data.y[points]
        xs.append(float(np.mean(data.x[points])))
        ys.append(float(np.mean(values)))
        lows.append(float(values.min()))
        highs.append(float(values.max()))
        names.append(group.title)
        shown_colors.append(colors[index % len(colors)])
    y = np.array(ys, dtype=np.float64)
    note = (
        f"{len(ys)} group{'s' if len(ys) != 1 else ''} (mean, min–max)"
        if ys
        else f"No group in view has both {data.param} and {data.metric}."
    )
    best = None
    direction = infer_direction(data.metric)
    candidates = y if not data.log_y else np.where(y > 0, y, np.nan)
    if direction is not None and np.isfinite(candidates).any():
        best = int(np.nanargmin(candidates) if direction == "lower" else np.nanargmax(candidates))
        word = "lowest" if direction == "lower" else "highest"
        note += f" · {word} mean {data.metric} {format_number(float(y[best]))}: {names[best]}"
    return replace(
        data,
        x=np.array(xs, dtype=np.float64),
        y=y,
        names=names,
        run_ids=[],
        best=best,
        note=note,
        colors=shown_colors,
        low=np.array(lows, dtype=np.float64),
        high=np.array(highs, dtype=np.float64),
    )


def scatter_params(frame: pd.DataFrame, metric: str | None) -> list[str]:
    """Param names for the scatter's x, best first: those that vary among the runs that have
    `metric`, then those the runs with it have at all, then the rest."""
    params = [c[len("params.") :] for c in frame.columns if c.startswith("params.")]
    rows = frame
    if metric is not None and f"metrics.{metric}" in frame.columns:
        rows = frame[frame[f"metrics.{metric}"].notna()]
    present = [p for p in params if rows[f"params.{p}"].notna().any()]
    varying = [p for p in present if rows[f"params.{p}"].dropna().astype(str).nunique() > 1]
    return varying + [p for p in present if p not in varying] + [p for p in params if p not in present]


def group_params_first(params: list[str], groups: Sequence[RunGroup]) -> list[str]:
    """`params` with those the groups are keyed by (`lr` of `lr=0.1 · seed=3`) first: a scatter
    of groups by lr reads best with lr on x."""
    keys = [part.split("=", 1)[0] for part in groups[0].label.split(" · ")] if groups else []
    first = [k for k in keys if k in params]
    return first + [p for p in params if p not in first]


def _category_label(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_number(value)
    return str(value)
