"""`tracktui push` carries registered models: a real `mlflow server` read back with `MlflowClient` and our reader.

Our store's registry (tests/test_app_models.py's, named `m-…`: the server is shared) and an
MLflow file store's and SQLite store's (tests/data/mlflow_registry/) are pushed; each model,
version (source `runs:/<server run>/...`, the server's run id), alias, tag and description is
compared field by field; a second push creates nothing; a version whose run is not pushed, or
that is an MLflow 3 logged model, is named. One server for the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mlflow")

from mlflow.tracking import MlflowClient

import store
from store import open_store
from store.remote.push.models import VERSION_TAG
from tests.mlflow_server import Server, start_server
from tests.test_app_models import mlflow_store, registry_store
from tests.test_push_round_trip import push


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("push-models"))
    yield srv
    srv.stop()


def server_versions(client: MlflowClient, name: str) -> dict[tuple[str, str], Any]:
    """The server's versions of `name` by (the source version they were pushed from, their server run)."""
    return {(v.tags[VERSION_TAG], str(v.run_id)): v for v in client.search_model_versions(f"name='{name}'")}


def created(stdout: str) -> list[str]:
    """The summary's line of models and versions created (there is none when none was)."""
    return [line for line in stdout.splitlines() if line.startswith("models:")]


def test_our_models_go_up_with_versions_aliases_tags_and_descriptions_once(server: Server, tmp_path: Path) -> None:
    root = tmp_path / "s"
    ids = registry_store(root, "m-")
    store.set_model_tags("m-churn", {"owner": "ml"}, root=root)
    store.set_model_description("m-churn", "churn models", root=root)
    store.delete_model_tag("m-churn", "team", 2, root=root)
    store.set_model_tags("m-churn", {"reviewed": "yes"}, 2, root=root)
    done = push(str(root), server.url, tmp_path, "--filter", "name != run-c")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "models: 1 new, 2 new versions" in done.stdout
    assert f"not carried: model m-fraud v1: its run {ids['run-c']} is not on the server (push it too)" in done.stdout

    client = MlflowClient(server.url)
    (churn,) = client.search_registered_models("name='m-churn'")
    assert (churn.tags, churn.description, churn.aliases) == ({"owner": "ml"}, "churn models", {"prod": "2"})
    assert client.search_registered_models("name='m-fraud'") == []
    experiment = client.get_experiment_by_name("train")
    assert experiment is not None
    train = experiment.experiment_id
    runs = {r.info.run_name: r.info.run_id for r in client.search_runs([train])}
    ours = {v.version: v for v in open_store(root).models()[0].versions}
    got = {k: v for (k, _), v in server_versions(client, "m-churn").items()}
    assert sorted(got) == sorted(str(v.version_id) for v in ours.values())
    for number, name in ((1, "run-a"), (2, "run-b")):
        there = got[str(ours[number].version_id)]
        assert (int(there.version), there.run_id, there.source) == (number, runs[name], f"runs:/{runs[name]}/model")
        assert {k: v for k, v in there.tags.items() if k != VERSION_TAG} == ours[number].tags
        assert (there.description or None) == ours[number].description
    assert got[str(ours[2].version_id)].tags[VERSION_TAG] == ours[2].version_id
    assert got[str(ours[2].version_id)].description == "the better one"

    remote = open_store(server.url)
    (rchurn,) = [m for m in remote.models() if m.name == "m-churn"]
    assert (rchurn.aliases, rchurn.tags, rchurn.description) == ({"prod": 2}, {"owner": "ml"}, "churn models")
    assert [(v.version, v.run_id, v.aliases) for v in rchurn.versions] == [
        (1, runs["run-a"], []),
        (2, runs["run-b"], ["prod"]),
    ]

    store.set_model_alias("m-churn", "champion", 1, root=root)
    store.set_model_description("m-churn", "baseline", 1, root=root)
    again = push(str(root), server.url, tmp_path, "--filter", "name != run-c")
    assert again.returncode == 0, again.stdout + again.stderr
    assert not created(again.stdout)  # nothing created a second time
    assert len(client.search_model_versions("name='m-churn'")) == 2
    (churn,) = client.search_registered_models("name='m-churn'")
    assert churn.aliases == {"prod": "2", "champion": "1"}
    assert client.get_model_version("m-churn", "1").description == "baseline"


@pytest.mark.parametrize("kind", ["file", "sqlite"])
def test_an_mlflow_store_registry_goes_up_and_a_logged_model_version_is_named(
    server: Server, tmp_path: Path, kind: str
) -> None:
    mlruns = mlflow_store(tmp_path / "src")
    if kind == "sqlite":
        mlruns = tmp_path / "src" / "sqlite" / "mlflow.db"
    source = {m.name: m for m in open_store(mlruns).models()}
    done = push(str(mlruns), server.url, tmp_path, "--experiment", f"from-{kind}-store")
    assert done.returncode == 0, done.stdout + done.stderr
    assert created(done.stdout)[0].endswith(" 2 new versions"), done.stdout  # churn v1, fraud v1
    assert "not carried: model churn alias champion: version 2 is not carried" in done.stdout
    client = MlflowClient(server.url)
    exp = client.get_experiment_by_name(f"from-{kind}-store")
    assert exp is not None
    runs = {r.info.run_id: r.data.tags["tracktui.run_id"] for r in client.search_runs([exp.experiment_id])}
    for model in source.values():
        got = {k: v for (k, run), v in server_versions(client, model.name).items() if run in runs}
        for version in model.versions:
            key = str(version.version)
            if not (version.source or "").startswith("runs:/"):
                assert key not in got
                assert f"not carried: model {model.name} v{version.version}: its files" in done.stdout
                continue
            there = got[key]
            assert there.current_stage == (version.stage or "None")
            assert {k: v for k, v in there.tags.items() if k != VERSION_TAG} == version.tags
            assert there.source.startswith(f"runs:/{there.run_id}/")
            assert runs[there.run_id] == version.run_id
    count = {m: len(client.search_model_versions(f"name='{m}'")) for m in source}
    again = push(str(mlruns), server.url, tmp_path, "--experiment", f"from-{kind}-store")
    assert again.returncode == 0 and not created(again.stdout), again.stdout
    assert {m: len(client.search_model_versions(f"name='{m}'")) for m in source} == count
