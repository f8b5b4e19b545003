"""Lightning's `CSVLogger` folders, read-only.

What `CSVLogger(save_dir, name="lightning_logs")` writes (Lightning 2.x, `lightning.fabric.loggers.csv_logs`
and `lightning.pytorch.loggers.csv_logs`):

    <save_dir>/<name>/version_<N>/metrics.csv   a header of every key seen so far (first-seen order, `step`
                                                among them; `epoch` when the Trainer logs it), then a row
                                                per `log_metrics` call with empty cells for keys not logged
                                                then. A new key rewrites the whole file with a wider header.
    <save_dir>/<name>/version_<N>/hparams.yaml  `log_hyperparams` (the LightningModule's `save_hyperparameters`)

Rows are buffered and appended every `flush_logs_every_n_steps` (100) and at the end; the file
has no times and no end marker, so a run is running while the file changes.

Lightning before 1.0 logged through test-tube (`TestTubeLogger`, test_tube 0.7 `Experiment.save`):

    <save_dir>/<name>/version_<N>/metrics.csv     pandas' `to_csv` of one dict a `log` call: the metrics,
                                                  `created_at` (`str(datetime.utcnow())`), no `step`
    <save_dir>/<name>/version_<N>/meta_tags.csv   `key,value` rows: the hyperparameters
    <save_dir>/<name>/version_<N>/tf/             its TensorBoard events

Without a `step` column a row's step is its row number from 0, which is the step test-tube
itself gives a `log` call made without one (`len(self.metrics)`); an `epoch` column is a
metric like any other (many rows share one epoch). `created_at` gives each point its time
(UTC) and the run its start and last change.

A big file is read a line at a time; the listing keeps only each column's summary, and the
whole history is built only when a chart asks for it (`FileRunsStore.history`).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from store.formats.files import FileRunsStore, ParsedRun, read_lines, read_mapping
from store.formats.series import Points, SeriesSet, number, utc_seconds, whole

KIND = "lightning-csv"
METRICS = "metrics.csv"
HPARAMS = "hparams.yaml"
META_TAGS = "meta_tags.csv"
CREATED_AT = "created_at"


def is_version_dir(path: Path) -> bool:
    return (path / METRICS).is_file() and ((path / HPARAMS).is_file() or path.name.startswith("version_"))


class LightningCsvStore(FileRunsStore):
    kind = KIND

    def is_unit(self, path: Path) -> bool:
        return is_version_dir(path)

    def unit_files(self, path: Path) -> list[Path]:
        return [path / METRICS, path / HPARAMS, path / META_TAGS]

    def parse(self, path: Path, run_id: str, points: Points = True) -> ParsedRun:
        parsed = ParsedRun(name=path.name, experiment=path.parent.name, artifacts_dir=path)
        parsed.params = read_mapping(path / HPARAMS, parsed.problems, yaml_file=True)
        if not parsed.params and (path / META_TAGS).is_file():
            parsed.params = _meta_tags(path / META_TAGS, parsed.problems)
        rows = csv.reader(read_lines(path / METRICS, parsed.problems))
        header = next(rows, None)
        builder = SeriesSet(keep_points=points)
        parsed.series = builder.by_key
        if header is None:
            return parsed
        step_at = header.index("step") if "step" in header else None
        time_at = header.index(CREATED_AT) if CREATED_AT in header else None
        columns = [(i, builder.series(name)) for i, name in enumerate(header) if i not in (step_at, time_at)]
        last_step, odd_rows = -1, 0
        for index, cells in enumerate(rows):
            if len(cells) != len(header):
                odd_rows += 1
                continue
            step = index if step_at is None else _step(cells[step_at])
            step = last_step if step is None else step
            last_step = step
            when = math.nan if time_at is None else utc_seconds(cells[time_at]) or math.nan
            if when == when:
                parsed.created = when if parsed.created is None else min(parsed.created, when)
                parsed.last_change = when if parsed.last_change is None else max(parsed.last_change, when)
            for i, series in columns:  # `series.number` inlined: this loop is the whole cost of a big file
                text = cells[i]
                if text and len(text) < 64:  # most cells of a wide CSV are empty: not logged at that row
                    try:
                        value = float(text)
                    except ValueError:
                        continue
                    series.add(step, when, value)
        builder.drop_empty()
        if odd_rows:
            parsed.problems.append(
                f"{METRICS}: {odd_rows} row(s) whose cells do not match its {len(header)} columns left out"
            )
        parsed.facts["columns"] = len(header)
        return parsed


def _step(text: str) -> int | None:
    return int(text) if text.isdigit() and text.isascii() and len(text) < 19 else whole(text)


def _meta_tags(path: Path, problems: list[str]) -> dict[str, Any]:
    """test-tube's `key,value` hyperparameters, numbers and booleans as such (pandas wrote them as text)."""
    params: dict[str, Any] = {}
    rows = csv.reader(read_lines(path, problems))
    if next(rows, None) != ["key", "value"]:
        problems.append(f"{META_TAGS} has no key,value header")
        return params
    for cells in rows:
        if len(cells) == 2:
            params[cells[0]] = _tag_value(cells[1])
    return params


def _tag_value(text: str) -> Any:
    if text in ("True", "False"):
        return text == "True"
    value = number(text)
    if value is None or not math.isfinite(value):
        return text
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value
