"""Helpers for the MLflow reader tests: the real stores, hand-made file-store layouts, tree snapshots."""

from __future__ import annotations

import json
import os
import sqlite3
import tarfile
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "mlflow"
TARBALL = FIXTURES / "mlflow-fixtures.tar.gz"
T0 = 1_700_000_000_000
"""A fixed start time (ms) for hand-made runs."""


def manifest() -> dict[str, Any]:
    return json.loads((FIXTURES / "manifest.json").read_text())


def expected_runs(kind: str) -> dict[str, dict[str, Any]]:
    """The manifest's runs of one store ("filestore" or "sqlite"), by run name."""
    return {r["run_name"]: r for r in manifest()["stores"][kind]["runs"]}


def unpack(dest: Path) -> Path:
    """Unpack the real stores into `dest` (a tmp_path): tar keeps the empty folders git would drop."""
    with tarfile.open(TARBALL) as tf:
        if hasattr(tarfile, "data_filter"):
            tf.extractall(dest, filter="data")
        else:  # Python < 3.11.4
            tf.extractall(dest)
    return dest


DATASETS = FIXTURES.parent / "mlflow3-datasets"


def unpack_datasets(dest: Path) -> tuple[Path, dict[str, Any]]:
    """The MLflow 3 store with dataset-linked metrics, unpacked into `dest`, and its manifest."""
    with tarfile.open(DATASETS / "mlflow3-datasets.tar.gz") as tf:
        if hasattr(tarfile, "data_filter"):
            tf.extractall(dest, filter="data")
        else:  # Python < 3.11.4
            tf.extractall(dest)
    return dest / "mlruns", json.loads((DATASETS / "manifest.json").read_text())


def tree_snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under `root` with (mtime_ns, size): any write shows up as a difference."""
    snap = {".": (root.stat().st_mtime_ns, 0)}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            st = path.lstat()
            snap[str(path.relative_to(root))] = (st.st_mtime_ns, st.st_size if name in files else 0)
    return snap


# -- hand-made file stores ---------------------------------------------------------------------


def write_experiment(root: Path, exp_id: str, name: str, *, trash: bool = False) -> Path:
    folder = root / ".trash" / exp_id if trash else root / exp_id
    folder.mkdir(parents=True, exist_ok=True)
    stage = "deleted" if trash else "active"
    (folder / "meta.yaml").write_text(
        f"artifact_location: file:///elsewhere/mlruns/{exp_id}\nexperiment_id: '{exp_id}'\n"
        f"lifecycle_stage: {stage}\nname: {name}\n"
    )
    return folder


def write_run(
    exp_dir: Path,
    run_id: str,
    name: str | None = None,
    *,
    status: int = 3,
    start: int = T0,
    end: int | None = T0 + 60_000,
    lifecycle: str = "active",
    params: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
    metrics: dict[str, str] | None = None,
    meta_text: str | None = None,
    with_meta: bool = True,
    folders: bool = True,
) -> Path:
    """A run folder as MLflow's FileStore writes it; `metrics` maps a key to the file's raw text."""
    run = exp_dir / run_id
    run.mkdir(parents=True)
    if folders:
        for sub in ("params", "tags", "metrics", "artifacts"):
            (run / sub).mkdir()
    if meta_text is None:
        meta_text = (
            f"artifact_uri: file:///elsewhere/mlruns/{exp_dir.name}/{run_id}/artifacts\n"
            f"end_time: {'null' if end is None else end}\nentry_point_name: ''\n"
            f"experiment_id: '{exp_dir.name}'\nlifecycle_stage: {lifecycle}\nrun_id: {run_id}\n"
            f"run_name: {name or run_id}\nsource_name: ''\nsource_type: 4\nsource_version: ''\n"
            f"start_time: {start}\nstatus: {status}\ntags: []\nuser_id: tester\n"
        )
    if with_meta:
        (run / "meta.yaml").write_text(meta_text)
    all_tags = {"mlflow.runName": name, "mlflow.user": "tester"} if name else {}
    all_tags.update(tags or {})
    for sub, values in (("params", params or {}), ("tags", all_tags)):
        for key, value in values.items():
            (run / sub / key).parent.mkdir(parents=True, exist_ok=True)
            (run / sub / key).write_text(value)
    for key, text in (metrics or {}).items():
        (run / "metrics" / key).parent.mkdir(parents=True, exist_ok=True)
        (run / "metrics" / key).write_text(text)
    return run


def run_id(n: int) -> str:
    """A run id shaped like MLflow's (32 hex digits)."""
    return f"{n:032x}"


# -- the SQL store -------------------------------------------------------------------------------


def sql_exec(db: Path, *statements: tuple[str, tuple[Any, ...]]) -> None:
    """Change the database the way a training script would: one short write transaction."""
    con = sqlite3.connect(db)
    try:
        with con:
            for sql, args in statements:
                con.execute(sql, args)
    finally:
        con.close()
