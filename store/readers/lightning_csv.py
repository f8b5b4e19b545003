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
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from .files import FileRunsStore, ParsedRun, read_lines, read_mapping
from .series import SeriesSet, whole

KIND = "lightning-csv"
METRICS = "metrics.csv"
HPARAMS = "hparams.yaml"


def is_version_dir(path: Path) -> bool:
    return (path / METRICS).is_file() and ((path / HPARAMS).is_file() or path.name.startswith("version_"))


class LightningCsvStore(FileRunsStore):
    kind = KIND

    def is_unit(self, path: Path) -> bool:
        return is_version_dir(path)

    def unit_files(self, path: Path) -> list[Path]:
        return [path / METRICS, path / HPARAMS]

    def parse(self, path: Path, run_id: str) -> ParsedRun:
        parsed = ParsedRun(name=path.name, experiment=path.parent.name, artifacts_dir=path)
        parsed.params = read_mapping(path / HPARAMS, parsed.problems, yaml_file=True)
        lines = read_lines(path / METRICS, parsed.problems)
        rows = csv.reader(lines)
        header = next(rows, None)
        builder = SeriesSet()
        if header is None:
            parsed.series = builder.by_key
            return parsed
        last_step = -1
        for cells in rows:
            if len(cells) != len(header):
                parsed.problems.append(f"{METRICS}: a row of {len(cells)} cells under {len(header)} columns")
                continue
            row = dict(zip(header, cells))
            step = whole(row.get("step"))
            step = last_step if step is None else step
            last_step = step
            builder.add_row(row, step, math.nan, skip=("step",))
        parsed.series = builder.by_key
        parsed.facts["columns"] = len(header)
        return parsed
