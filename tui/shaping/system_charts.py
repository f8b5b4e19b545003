"""Charts of machine metrics: values in their unit, and related series in one pane.

A pane of a machine metric draws every metric of its group the runs have (each GPU's
utilisation, disk read and write: `system_metrics.describe`), each run in its own colour as
everywhere, the group's second and later series with their own marker (`• write`), so the
legend of runs still holds. Values are scaled per series (MB of memory to GiB), so runs of
two tools with different units for one group still share the pane's unit. Any other metric
is `curves.build_chart` as before.

Plain module (no Textual, no Rich): run by the charts' worker through `HistoryCache`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from .curves import DISTINCT_MARKERS, MARKER, ChartData, ChartRequest, Series, build_chart, marker_glyph
from .system_metrics import chart_title, describe


def related_metrics(metric: str, keys: Iterable[str]) -> list[str]:
    """The metrics drawn in `metric`'s pane: its group's members among `keys` (`metric` first when
    it is alone in `keys`), in the order of their series (`GPU 0`, `GPU 1`, … `read`, `write`)."""
    spec = describe(metric)
    if spec is None:
        return [metric]
    members = {k: s for k in keys if (s := describe(k)) is not None and s.group == spec.group}
    members[metric] = spec
    return sorted(members, key=lambda k: _natural(members[k].series))


def _natural(text: str) -> list[object]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def scaled(series: Series, metric: str) -> Series:
    """`series` in its metric's display unit (`describe(metric).scale`)."""
    spec = describe(metric)
    if spec is None or spec.scale == 1.0:
        return series
    return Series(series.step, series.time, series.value * spec.scale)


def system_chart(
    metric: str,
    members: list[str],
    runs: list[tuple[str, str]],
    series: Callable[[str, str], Series],
    req: ChartRequest,
    x_series: dict[str, Series] | None = None,
) -> ChartData:
    """The pane of `metric`: with one member (or any other metric) `build_chart` of its series; with
    several, one curve per run and member, a run's colour on each of its curves, the members told
    apart by marker and named in the pane's note. `runs`: (run id, name); `series(run, metric)`."""
    if len(members) <= 1 or req.groups:  # a group's mean and band is one curve per group, by run id
        chart = build_chart(metric, [(r, name, scaled(series(r, metric), metric)) for r, name in runs], req, x_series)
        chart.title = chart_title(metric)
        return chart
    pairs, colors, faint, markers = [], [], [], []
    for index, (run_id, name) in enumerate(runs):
        for k, member in enumerate(members):
            spec = describe(member)
            label = f"{name} · {spec.series}" if spec is not None else name
            pairs.append((run_id, label, scaled(series(run_id, member), member)))
            colors.append(req.colors[index % len(req.colors)])
            if req.faint:
                faint.append(req.faint[index % len(req.faint)])
            markers.append(_member_marker(k, req.markers[index % len(req.markers)] if req.markers else MARKER))
    chart = build_chart(metric, pairs, replace(req, colors=colors, faint=faint, markers=markers), x_series)
    spec = describe(metric)
    chart.title = spec.group if spec is not None else metric
    names = [
        f"{marker_glyph(_member_marker(k, MARKER))} {s.series}"
        for k, m in enumerate(members)
        if (s := describe(m)) is not None
    ]
    chart.note = " ".join(part for part in ("  ".join(names), chart.note) if part)
    return chart


def _member_marker(k: int, run_marker: str) -> str:
    """The first member keeps the run's own line; the others take a text marker each."""
    return run_marker if k == 0 else DISTINCT_MARKERS[1 + (k - 1) % (len(DISTINCT_MARKERS) - 1)]
