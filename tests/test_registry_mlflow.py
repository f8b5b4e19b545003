"""MLflow's model registry and MLflow 3 logged models, read from stores the real MLflow wrote
(tests/data/mlflow_registry/) and from a real `mlflow server`, compared field by field with what
`MlflowClient.search_registered_models` / `search_model_versions` / `search_logged_models` read."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tarfile
from pathlib import Path
from typing import Any, cast

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
mlflow = pytest.importorskip("mlflow", reason="mlflow is not installed; these tests compare with MlflowClient")

from mlflow import MlflowClient  # noqa: E402

from store import RunStore, open_store  # noqa: E402
from store.model_entities import ModelNotFoundError, find_version  # noqa: E402
from store.remote.registry import logged_from_json, model_from_json, version_from_json  # noqa: E402
from tests.mlflow_fixtures import tree_snapshot  # noqa: E402
from tests.mlflow_server import launch, wait_ready  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "mlflow_registry"
FIXTURE_ROOT = "/tmp/registry-fixture"
"""Where make_fixtures.py wrote the stores (their artifact locations are absolute paths there)."""


@pytest.fixture
def stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    with tarfile.open(DATA / "registry.tar.gz") as tf:
        tf.extractall(tmp_path, filter="data")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.chdir(tmp_path / "file")  # MlflowClient on a file store leaves an mlflow.db in the working directory
    return tmp_path


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def ours(reader: RunStore) -> dict[str, Any]:
    """What tracktui read, in the shape `theirs` gives MlflowClient's answers."""
    models = {
        m.name: {
            "description": m.description,
            "tags": m.tags,
            "aliases": m.aliases,
            "created": _ms(m.created),
            "versions": {
                v.version: {
                    "stage": v.stage,
                    "aliases": v.aliases,
                    "run_id": v.run_id,
                    "source": v.source,
                    "status": v.status,
                    "tags": v.tags,
                    "description": v.description,
                    "created": _ms(v.created),
                    "updated": _ms(v.updated),
                    "model_id": v.model_id,
                }
                for v in m.versions
            },
        }
        for m in reader.models()
    }
    logged = {
        m.model_id: {
            "name": m.name,
            "run_id": m.run_id,
            "experiment_id": m.experiment_id,
            "params": m.params,
            "tags": m.tags,
            "metrics": m.metrics,
            "status": m.status,
            "model_type": m.model_type,
            "created": _ms(m.created),
        }
        for m in reader.logged_models()
    }
    return {"models": models, "logged": logged}


def theirs(uri: str) -> dict[str, Any]:
    client = MlflowClient(uri, uri)
    versions: dict[str, dict[int, Any]] = {}
    for v in client.search_model_versions():  # its answer lacks aliases on SQL stores: get_model_version has them
        source = cast(str, v.source)
        aliases = sorted(client.get_model_version(v.name, v.version).aliases)
        versions.setdefault(v.name, {})[int(v.version)] = {
            "stage": None if v.current_stage in (None, "None") else v.current_stage,
            "aliases": aliases,
            "run_id": v.run_id or None,
            "source": source,
            "status": v.status,
            "tags": v.tags,
            "description": v.description or None,
            "created": v.creation_timestamp,
            "updated": v.last_updated_timestamp,
            # MLflow's SQL store keeps no model id with a version: it is the one its `models:/` source names
            "model_id": v.model_id or (source.removeprefix("models:/") if source.startswith("models:/") else None),
        }
    models = {
        m.name: {
            "description": m.description or None,
            "tags": m.tags,
            "aliases": {k: int(v) for k, v in m.aliases.items()},
            "created": m.creation_timestamp,
            "versions": versions.get(m.name, {}),
        }
        for m in client.search_registered_models()
    }
    experiments = [e.experiment_id for e in client.search_experiments()]
    logged = {}
    for m in client.search_logged_models(experiment_ids=experiments):
        latest: dict[str, Any] = {}
        for metric in sorted(m.metrics or [], key=lambda p: (p.step, p.timestamp, p.value)):
            latest[metric.key] = metric.value
        logged[m.model_id] = {
            "name": m.name,
            "run_id": m.source_run_id,
            "experiment_id": str(m.experiment_id),
            "params": m.params,
            "tags": m.tags,
            "metrics": latest,
            "status": str(m.status),
            "model_type": m.model_type,
            "created": m.creation_timestamp,
        }
    return {"models": models, "logged": logged}


def check_against_client(reader: RunStore, uri: str) -> None:
    mine, client = ours(reader), theirs(uri)
    assert mine == client
    churn = next(m for m in reader.models() if m.name == "churn")
    assert churn.aliases == {"champion": 2, "old": 1, "prod": 2}
    v2 = find_version(reader.models(), "churn@prod")
    assert v2.version == 2 and v2.stage == "Production" and v2.metrics == {"val_auc": pytest.approx(0.8)}
    assert client["logged"][v2.model_id]["run_id"] == v2.run_id  # the version knows its run and logged model
    versions, logged = reader.models_of_run(v2.run_id or "")  # and the run knows both
    assert [v.ref for v in versions] == ["churn/2"] and [m.model_id for m in logged] == [v2.model_id]


def test_file_store_registry_reads_as_mlflow_client_does(stores: Path) -> None:
    root = stores / "file" / "mlruns"
    reader = open_store(root)
    check_against_client(reader, f"file:{root}")
    files = Path(reader.model_files(find_version(reader.models(), "churn/1")) or "")
    assert files.is_relative_to(root) and (files / "MLmodel").is_file()  # runs:/<run>/model in its run
    logged = Path(reader.model_files(find_version(reader.models(), "churn@champion")) or "")
    assert logged.is_relative_to(root) and (logged / "MLmodel").is_file()  # the logged model's own artifacts


def test_reading_the_registry_writes_nothing(stores: Path) -> None:
    before = tree_snapshot(stores)
    for path in (stores / "file" / "mlruns", stores / "sqlite" / "mlflow.db"):
        reader = open_store(path)
        reader.models(), reader.logged_models()
        for model in reader.models():
            for version in model.versions:
                reader.model_files(version)
    assert tree_snapshot(stores) == before


def test_sqlite_registry_reads_as_mlflow_client_does(stores: Path) -> None:
    db = stores / "sqlite" / "mlflow.db"
    reader = open_store(db)
    check_against_client(reader, f"sqlite:///{db}")
    for ref in ("churn@old", "churn/2", "fraud/1"):
        files = Path(reader.model_files(find_version(reader.models(), ref)) or "")
        assert files.is_relative_to(stores / "sqlite") and (files / "MLmodel").is_file(), ref


def test_registry_of_a_real_server_reads_as_mlflow_client_does(stores: Path) -> None:
    """The server serves the SQLite fixture (no migration: seconds to start, not a minute)."""
    server = wait_ready(launch(stores / "server", db=stores / "sqlite" / "mlflow.db"))
    try:
        reader = open_store(server.url)
        check_against_client(reader, server.url)
        v1 = find_version(reader.models(), "churn/1")
        assert reader.model_files(v1) == f"{FIXTURE_ROOT}/sqlite/mlruns/1/{v1.run_id}/artifacts/model"
        v2 = find_version(reader.models(), "churn@prod")
        assert reader.model_files(v2) == f"{FIXTURE_ROOT}/sqlite/mlruns/1/models/{v2.model_id}/artifacts"
    finally:
        server.stop()


def test_damaged_entries_are_one_row_each(stores: Path, tmp_path: Path) -> None:
    root = stores / "file" / "mlruns"
    churn = root / "models" / "churn"
    (churn / "version-2" / "meta.yaml").write_text("{unclosed: [")
    (churn / "aliases" / "broken").write_text("not-a-number")
    outside = tmp_path / "outside"
    (outside / "version-1").mkdir(parents=True)
    (outside / "meta.yaml").write_text("name: secret\n")
    (root / "models" / "linked").symlink_to(outside)  # a symlink never leads out of the store
    models = {m.name: m for m in open_store(root).models()}
    assert set(models) == {"churn", "fraud"}
    assert "broken" in (models["churn"].reason or "") and models["churn"].aliases["prod"] == 2
    v2 = models["churn"].versions[1]
    assert v2.version == 2 and "not valid YAML" in (v2.reason or "")
    assert models["churn"].versions[0].reason is None

    db = stores / "sqlite" / "mlflow.db"
    with sqlite3.connect(db) as con:
        con.execute("UPDATE model_versions SET version = 'x2' WHERE name = 'churn' AND version = 2")
    rows = {m.name: m for m in open_store(db).models()}
    assert [v.version for v in rows["churn"].versions] == [None, 1] and rows["churn"].versions[0].reason
    assert len(rows["fraud"].versions) == 1


def test_server_json_of_the_wrong_types_is_a_damaged_entry_never_an_error() -> None:
    assert model_from_json({"name": 5}) is None and version_from_json({"version": "1"}) is None
    model = model_from_json({"name": "m", "tags": "x", "aliases": [{"alias": "a", "version": []}, 3]})
    assert model is not None and model.aliases == {} and model.reason and "tags" in model.reason
    version = version_from_json(
        {"name": "m", "version": {"a": 1}, "tags": [1, {"key": "k", "value": "v"}], "creation_timestamp": "soon"}
    )
    assert version is not None and version.version is None and version.tags == {"k": "v"} and version.reason
    logged = logged_from_json(
        {
            "info": {"model_id": "m-1", "tags": 7},
            "data": {"metrics": [{"key": "a", "value": "x"}, {"key": "b", "value": 2}]},
        }
    )
    assert logged is not None and logged.metrics == {"b": 2.0} and logged.reason
    assert logged_from_json({"info": []}) is None


def test_a_missing_model_alias_or_version_says_what_is_there(stores: Path) -> None:
    models = open_store(stores / "sqlite" / "mlflow.db").models()
    with pytest.raises(ModelNotFoundError, match=r"no alias 'nope'.*champion, old, prod"):
        find_version(models, "churn@nope")
    with pytest.raises(ModelNotFoundError, match="no version 9"):
        find_version(models, "churn/9")
    with pytest.raises(ModelNotFoundError, match="no registered model 'x'"):
        find_version(models, "x/1")
    with pytest.raises(ValueError, match="NAME@ALIAS or NAME/VERSION"):
        find_version(models, "churn")


def test_older_mlflow_registries_without_aliases_or_logged_models(stores: Path) -> None:
    """MLflow 1.x/2.x: stages only (no aliases table or folder, no storage_location), no logged models."""
    db = stores / "sqlite" / "mlflow.db"
    with sqlite3.connect(db) as con:
        for table in (
            "registered_model_aliases",
            "logged_model_metrics",
            "logged_model_params",
            "logged_model_tags",
            "logged_models",
        ):
            con.execute(f"DROP TABLE {table}")
        con.execute("ALTER TABLE model_versions DROP COLUMN storage_location")
    root = stores / "file" / "mlruns"
    shutil.rmtree(root / "models" / "churn" / "aliases")
    for exp in root.iterdir():
        shutil.rmtree(exp / "models", ignore_errors=True)
    for path in (db, root):
        reader = open_store(path)
        churn = next(m for m in reader.models() if m.name == "churn")
        assert churn.aliases == {} and [(v.version, v.stage) for v in churn.versions] == [
            (1, "Archived"),
            (2, "Production"),
        ]
        assert reader.logged_models() == [] and churn.versions[1].metrics == {}
