"""DVCLive folders (`dvclive/` by default), read-only.

What `dvclive.Live` writes (dvclive 3.x, `live.py` and `plots/metric.py`):

    <dir>/params.yaml                     `log_params`/`log_param`, nested mappings kept
    <dir>/metrics.json                    the summary: the latest value of each metric (nested by `/`),
                                          `step`, and values logged with `plot=False`
    <dir>/plots/metrics/<a>/<b>.tsv       one file a metric `a/b`: header `step\tb` (or
                                          `timestamp\tstep\tb` with `timestamp=True`, ms), a row a step
    <dir>/plots/images/...                `log_image` files; <dir>/artifacts/, report.html/.md

DVCLive writes no end marker: a run is running while its files change (see `files.status_now`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from store.formats.files import FileRunsStore, ParsedRun, read_lines, read_mapping
from store.formats.series import Points, SeriesSet, number, whole
from store.nested_dicts import flatten_metrics

KIND = "dvclive"
METRICS_DIR = Path("plots") / "metrics"
SERIES_SUFFIXES = (".tsv", ".csv")
MAX_SERIES_FILES = 5000


def is_dvclive_dir(path: Path) -> bool:
    if (path / METRICS_DIR).is_dir():
        return True
    return path.name == "dvclive" and ((path / "metrics.json").is_file() or (path / "params.yaml").is_file())


def _series_files(path: Path) -> list[Path]:
    folder = path / METRICS_DIR
    if not folder.is_dir():
        return []
    found = [p for p in sorted(folder.rglob("*")) if p.suffix in SERIES_SUFFIXES and p.is_file()]
    return found[:MAX_SERIES_FILES]


def _flat_summary(data: dict[str, Any]) -> dict[str, float]:
    """metrics.json's nesting back to DVCLive's `a/b` metric names; `step` is the step, not a metric."""
    numbers = {name: number(value) for name, value in flatten_metrics(data).items() if name != "step"}
    return {name: num for name, num in numbers.items() if num is not None and math.isfinite(num)}


class DvcLiveStore(FileRunsStore):
    kind = KIND
    nested_units = True

    def is_unit(self, path: Path) -> bool:
        return is_dvclive_dir(path)

    def unit_files(self, path: Path) -> list[Path]:
        return [path / "params.yaml", path / "metrics.json", *_series_files(path)]

    def parse(self, path: Path, run_id: str, points: Points = True) -> ParsedRun:
        name = path.name if path.name != "dvclive" or path == path.parent else path.parent.name
        parsed = ParsedRun(name=name or run_id, experiment="dvclive", artifacts_dir=path)
        parsed.params = read_mapping(path / "params.yaml", parsed.problems, yaml_file=True)
        builder = SeriesSet(keep_points=points)
        folder = path / METRICS_DIR
        for file in _series_files(path):
            key = file.relative_to(folder).with_suffix("").as_posix()
            lines = list(read_lines(file, parsed.problems))
            if not lines:
                continue
            sep = "\t" if file.suffix == ".tsv" else ","
            header = lines[0].split(sep)
            column = file.stem if file.stem in header else header[-1]
            for line in lines[1:]:
                row = dict(zip(header, line.split(sep)))
                step, value = whole(row.get("step")), number(row.get(column))
                if step is None or value is None:
                    continue
                stamp = number(row.get("timestamp"))
                builder.add(key, step, stamp / 1000.0 if stamp is not None else math.nan, value)
        parsed.series = builder.by_key
        summary = read_mapping(path / "metrics.json", parsed.problems)
        parsed.summary = _flat_summary(summary)
        if summary.get("step") is not None:
            parsed.facts["step"] = summary.get("step")
        images = path / "plots" / "images"
        if images.is_dir():
            parsed.facts["images"] = str(images)
        return parsed
