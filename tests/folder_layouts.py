"""Folders as people have them, built from the real tools' files in tests/data/ and tests/fixtures/mlflow/,
for the folder-search and store-kind tests."""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import store
from store.base import RunStore
from tests.mlflow_fixtures import unpack

DATA = Path(__file__).parent / "data" / "foreign"
WANDB_RUN = "offline-run-20261207_085217-3apey6x3"


def ours(root: Path, names: list[str]) -> Path:
    for i, name in enumerate(names):
        with store.start_run(experiment="exp", name=name, root=root) as run:
            run.log_metric("loss", 1.0 / (i + 1), step=0)
    return root


def mlflow_stores(tmp: Path) -> Path:
    """The real MLflow stores (`filestore/mlruns/`, `sqlite/mlflow.db`; 8 runs listed each), unpacked once per test."""
    folder = tmp / "mlflow-fixtures"
    if not folder.exists():
        unpack(folder)
    return folder


def tensorboard(dest: Path) -> Path:
    """Two TensorBoard runs, `lr-0.1` and `lr-0.01`, in the log folder `dest`."""
    shutil.copytree(DATA / "tensorboard" / "runs", dest)
    return dest


def wandb_project(dest: Path, latest: str = "link") -> Path:
    """A folder W&B ran in: `wandb/` with one run and `latest-run` as W&B leaves it ("link"), a copy ("copy"),
    or the copy alone ("only-copy", as after a `cp -rL` of the latest run)."""
    shutil.copytree(DATA / "wandb", dest, symlinks=True)
    link = dest / "wandb" / "latest-run"
    if latest != "link":
        link.unlink()
        shutil.copytree(dest / "wandb" / WANDB_RUN, link)
    if latest == "only-copy":
        shutil.rmtree(dest / "wandb" / WANDB_RUN)
    return dest


def nested_dvclive(dest: Path, folds: int = 3) -> Path:
    """`dest/dvclive/` as one DVCLive run with a DVCLive run per fold inside it (`dvclive/fold_N`)."""
    run = DATA / "dvclive" / "project-a" / "dvclive"
    shutil.copytree(run, dest / "dvclive")
    for i in range(folds):
        shutil.copytree(run, dest / "dvclive" / f"fold_{i}")
    return dest


def lightning_with_tensorboard(dest: Path) -> Path:
    """Lightning's CSVLogger and TensorBoardLogger writing to the same `lightning_logs/version_N`."""
    shutil.copytree(DATA / "lightning", dest)
    event = next((DATA / "tensorboard" / "runs" / "lr-0.1").glob("events.out.tfevents.*"))
    for version in ("version_0", "version_1"):
        shutil.copy(event, dest / "lightning_logs" / version)
    return dest


def hf_output(dest: Path) -> Path:
    """Transformers' standard layout: `output_dir` with its state and checkpoints, and `runs/` TensorBoard logs."""
    shutil.copytree(DATA / "hf" / "run-lr0.05", dest)
    tensorboard(dest / "runs")
    return dest


def empty_mlflow_db(path: Path, tmp: Path) -> Path:
    """An MLflow database with MLflow's tables and no runs (a project's first `mlflow.db`, never logged to)."""
    shutil.copy(mlflow_stores(tmp) / "sqlite" / "mlflow.db", path)
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table in ("latest_metrics", "metrics", "params", "tags", "inputs", "input_tags", "runs"):
            if table in tables:
                db.execute(f"DELETE FROM {table}")
    return path


def everything(tmp: Path) -> Path:
    """Every kind side by side in one folder: the issue's "done when"."""
    work = tmp / "work"
    ours(work / "ours", ["a", "b"])
    shutil.copytree(mlflow_stores(tmp) / "filestore" / "mlruns", work / "mlruns")
    shutil.copytree(mlflow_stores(tmp) / "sqlite", work / "proj")  # mlflow.db and its artifacts' mlruns/
    tensorboard(work / "tb" / "runs")
    wandb_project(work / "wb")
    nested_dvclive(work / "dv")
    lightning_with_tensorboard(work / "pl")
    hf_output(work / "hf" / "results")
    shutil.copytree(DATA / "trackio", work / "trackio")
    return work


EVERYTHING = {
    "ours": 2,
    "mlruns": 8,
    "mlflow.db": 8,
    "tb/runs": 2,
    "wandb": 1,
    "dv": 4,
    "lightning_logs[lightning-csv]": 2,
    "lightning_logs[tensorboard]": 2,
    "hf": 1,
    "results/runs": 2,
    "trackio": 2,
}
"""Runs a source of `everything`."""


def runs_by_source(reader: RunStore) -> dict[str, int]:
    frame = reader.runs_frame()
    if "source" not in frame:
        return {reader.kind: len(frame)}
    return dict(Counter(frame["source"]))
