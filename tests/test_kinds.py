"""Every kind in the registry (store/opening/kinds.py) against files its tool really wrote: a path of the kind is
recognised as that kind and no other, opens as it with its runs, and a folder search finds it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from store import open_store
from store.opening.discover import find_stores
from store.opening.kinds import KINDS, Kind, file_kind, url_kind, whole_store_kind
from tests.folder_layouts import DATA, mlflow_stores, nested_dvclive, ours, tensorboard, wandb_project
from tests.mlflow_server import free_port


def _trackio(tmp: Path) -> Path:
    shutil.copytree(DATA / "trackio", tmp / "trackio")
    return tmp / "trackio" / "demo-proj.db"


FIXTURES: dict[str, tuple[Callable[[Path], Path], int]] = {
    "tracktui": (lambda tmp: ours(tmp / "store", ["a", "b"]), 2),
    "mlflow-file": (lambda tmp: mlflow_stores(tmp) / "filestore" / "mlruns", 8),
    "mlflow-sql": (lambda tmp: mlflow_stores(tmp) / "sqlite" / "mlflow.db", 8),
    "trackio": (_trackio, 2),
    "lightning-csv": (lambda tmp: shutil.copytree(DATA / "lightning", tmp / "pl") / "lightning_logs", 2),
    "hf-trainer": (lambda tmp: shutil.copytree(DATA / "hf" / "run-lr0.05", tmp / "results"), 1),
    "dvclive": (lambda tmp: nested_dvclive(tmp / "project") / "dvclive", 4),
    "wandb": (lambda tmp: wandb_project(tmp / "project") / "wandb", 1),
    "tensorboard": (lambda tmp: tensorboard(tmp / "runs"), 2),
}
"""Kind name -> (a path of that kind made from tests/data/ or tests/fixtures/mlflow/, its runs)."""
LOCAL = [kind for kind in KINDS if not kind.schemes]


def test_every_registered_kind_has_a_fixture() -> None:
    assert sorted(FIXTURES) == sorted(kind.name for kind in LOCAL)
    assert [kind.name for kind in KINDS if kind.schemes] == ["mlflow-server"]  # tests/test_mlflow_server.py


@pytest.mark.parametrize("kind", LOCAL, ids=[kind.name for kind in LOCAL])
def test_a_kind_is_recognised_opened_and_found(tmp_path: Path, kind: Kind) -> None:
    make, runs = FIXTURES[kind.name]
    path = make(tmp_path / "in")
    if kind.is_store is not None:  # a whole store or a file, opened as the first kind that takes it
        assert (file_kind(path) if path.is_file() else whole_store_kind(path)) is kind
    reader = open_store(path)
    assert reader.kind == kind.name and len(reader.runs_frame()) == runs
    assert reader.kind == kind.open(str(path), False).kind
    if kind.searched:
        found = find_stores(tmp_path / "in")
        assert kind.name in {source.kind for source in found.sources}


def test_a_url_is_a_tracking_server() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    kind = url_kind(url)
    assert kind is not None and kind.open(url, False).kind == "mlflow-server"
    assert url_kind("/srv/mlruns") is None
