"""Round trips through a real `mlflow server`: push a store, read the server back, compare every field.

Each kind of store tracktui reads is pushed from files its own tool wrote (ours through the
logging API and `tracktui run`, W&B by `wandb` offline, TensorBoard by its event writer, the
rest from tests/data/foreign/ and the MLflow fixtures), then read back with our server reader
(`open_store(URL)`) and with `MlflowClient`, the way MLflow's UI sees it. A second push sends
nothing. One SQLite-backed server for the module.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast
from unittest import mock

import pytest

pytest.importorskip("mlflow")

from mlflow.entities import RunInputs
from mlflow.tracking import MlflowClient

from store import open_store
from store.base import RunDetail, RunStore
from store.curate import set_note
from tests.children import REPO
from tests.mlflow_fixtures import tree_snapshot, unpack
from tests.mlflow_server import Server, start_server

FOREIGN = Path(__file__).parent / "data" / "foreign"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("push-round-trip"))
    yield srv
    srv.stop()


def push(source: str, url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`tracktui push` in this process (a child per push would double the module's time; the push tests in
    test_push_faults.py and test_server_ux.py run it as a command), its cache in `tmp_path`."""
    from tui.cli import main

    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, {"XDG_CACHE_HOME": str(tmp_path / "cache")}),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = main(["push", source, url, *args])
    return subprocess.CompletedProcess(["tracktui", "push"], code, out.getvalue(), err.getvalue())


def pushed(server: Server, experiment: str) -> dict[str, RunDetail]:
    """The server's runs of `experiment`, read by our server reader, by the source run id they carry.

    A full listing (`resync`): the reader's incremental poll asks for runs started or ended since
    its last poll, and a pushed run keeps its old times.
    """
    remote = open_store(server.url)
    remote.resync()
    return {
        rec["tags"]["tracktui.run_id"]: remote.run(rec["run_id"])
        for rec in remote.records()
        if rec["experiment"] == experiment
    }


def _param(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def _files(folder: Path | None) -> dict[str, bytes]:
    if folder is None or not folder.is_dir():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def assert_same_run(mine: RunDetail, theirs: RunDetail, keeps_repeats: bool = False) -> None:
    """Every field our reader reads of the source run is what the server's run holds.

    `keeps_repeats`: a file-store server keeps a point equal to another (key, step, time, value)
    twice; a database-backed one keeps one of each.
    """
    assert theirs.name == mine.name
    status = {"crashed": "failed"}.get(mine.status, mine.status)
    assert theirs.status == status
    if mine.created is not None:
        assert theirs.created == pytest.approx(mine.created, abs=1e-3)
    if mine.ended is not None and status != "running":
        assert theirs.ended == pytest.approx(mine.ended, abs=1e-3)
    assert theirs.flat_params == {k: _param(v) for k, v in mine.flat_params.items()}
    assert {k: v for k, v in theirs.tags.items() if not k.startswith("tracktui.")} == mine.tags
    ours, back = mine.history(), theirs.history()
    assert sorted(back["key"].astype(str).unique()) == sorted(ours["key"].astype(str).unique())
    start = mine.created if mine.created is not None else 0.0
    ours = ours.assign(time=ours["time"].fillna(start))
    if not keeps_repeats:
        ours = ours[~ours.duplicated(["key", "step", "time", "value"])]
    for key in ours["key"].astype(str).unique():
        a = ours[ours["key"].astype(str) == key].sort_values(["step", "time"], kind="stable")
        b = back[back["key"].astype(str) == key].sort_values(["step", "time"], kind="stable")
        assert list(a["step"]) == list(b["step"]), key
        assert [x if math.isfinite(x) else str(x) for x in a["value"]] == [
            x if math.isfinite(x) else str(x) for x in b["value"]
        ], key
        assert list(b["time"]) == pytest.approx(list(a["time"]), abs=1e-3), key
    theirs_files = _files(theirs.artifacts_dir)
    for rel, data in _files(mine.artifacts_dir).items():
        assert theirs_files.get(rel) == data, rel


def assert_second_push_sends_nothing(source: str, url: str, tmp_path: Path, *args: str) -> None:
    again = push(source, url, tmp_path, *args)
    assert again.returncode == 0, again.stderr
    assert "0 new, 0 updated" in again.stdout and "0 metric points, 0 artifact files" in again.stdout, again.stdout


# -- our store ----------------------------------------------------------------------------------

CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    import store
    with store.start_run():  # the wrapper's run; the one started inside it is its child
        print("epoch 1 done", flush=True)
        with store.start_run(experiment="ours-child", name="child", system_metrics_interval=0.1) as run:
            run.log_params({"lr": 0.1, "layers": [64, 32], "opt": {"name": "adam"}})
            run.set_tags({"stage": "dev"})
            for step in range(30):
                run.log_metric("loss", 1.0 / (step + 1), step=step)
            run.log_metric("odd", float("nan"), step=1)
            run.log_input(sys.argv[1], context="train")
            run.log_input("imagenet-v2", digest="md5:abc", kind="dataset", context="eval")
            run.log_image("samples/val", np.zeros((4, 5, 3), dtype=np.uint8), step=3)
            run.log_image("samples/val", np.ones((4, 5), dtype=np.uint8) * 200, step=7)
            import time; time.sleep(0.35)  # two system-metric samples (a real sampler, not a wait for the UI)
    raise SystemExit(3)
""")


def _our_store(tmp_path: Path) -> tuple[Path, str, str]:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "remote", "add", "origin", "https://example.com/team/repo.git"], check=True)
    (repo / "data.csv").write_text("x,y\n1,2\n")
    (repo / "train.py").write_text(CHILD)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "first"], check=True)
    root = tmp_path / "store"
    env = dict(os.environ, PYTHONPATH=str(REPO), TRACKTUI_SYSTEM_METRICS="0")
    for name in ("TRACKTUI_RUN_ID", "TRACKTUI_EXPERIMENT", "TRACKTUI_STORE"):
        env.pop(name, None)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tui.cli",
            "run",
            "--store",
            str(root),
            "--experiment",
            "ours",
            "--name",
            "wrapper",
            "--",
            sys.executable,
            "train.py",
            str(repo / "data.csv"),
            "--api-key",
            "s3kr1t",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        timeout=120,
    )
    runs = {rec["name"]: rec["run_id"] for rec in open_store(root).records()}
    set_note(open_store(root), runs["child"], "Baseline.\n\nSecond paragraph.")
    return root, runs["wrapper"], runs["child"]


def test_our_run_goes_up_whole_and_the_mlflow_ui_shows_parent_source_note_datasets_and_files(
    server: Server, tmp_path: Path
) -> None:
    root, wrapper_id, child_id = _our_store(tmp_path)
    local = open_store(root)
    out = push(str(root), server.url, tmp_path, "--experiment", "ours")
    assert out.returncode == 0, out.stderr
    assert "2 new" in out.stdout, out.stdout
    back = pushed(server, "ours")
    assert set(back) == {wrapper_id, child_id}
    for run_id in back:
        assert_same_run(local.run(run_id), back[run_id])
    assert any(k.startswith("system/") for k in back[child_id].metrics)

    client = MlflowClient(server.url)
    wrapper, child = client.get_run(back[wrapper_id].run_id), client.get_run(back[child_id].run_id)
    assert child.data.tags["mlflow.parentRunId"] == wrapper.info.run_id
    mine = local.run(child_id)
    assert child.data.tags["mlflow.note.content"] == "Baseline.\n\nSecond paragraph."
    assert child.data.tags["mlflow.user"] == child.info.user_id == mine.facts["user"]
    assert child.data.tags["mlflow.source.git.commit"] == mine.facts["git_commit"]
    assert child.data.tags["mlflow.source.git.branch"] == "main"
    assert child.data.tags["mlflow.source.type"] == "LOCAL"
    assert "train.py" in child.data.tags["mlflow.source.name"]
    assert child.data.tags["mlflow.source.name"].endswith("--api-key <redacted>")  # the server is shared
    assert not any("s3kr1t" in value for run in (wrapper, child) for value in run.data.tags.values())
    assert wrapper.data.tags["tracktui.exit_code"] == "3"
    assert wrapper.data.tags["tracktui.error"] == cast(str, local.run(wrapper_id).error).strip().splitlines()[0]
    assert wrapper.info.status == "FAILED"

    inputs = {d.dataset.name: d for d in cast(RunInputs, client.get_run(child.info.run_id).inputs).dataset_inputs}
    assert set(inputs) == {"data.csv", "imagenet-v2"}
    data = inputs["data.csv"]
    ours = next(i for i in mine.inputs if i["name"] == "data.csv")
    assert data.dataset.digest == ours["digest"][:36]
    assert json.loads(data.dataset.source)["digest"] == ours["digest"]
    assert json.loads(data.dataset.source)["uri"] == ours["path"]
    assert {t.key: t.value for t in data.tags}["mlflow.data.context"] == "train"
    assert inputs["imagenet-v2"].dataset.digest == "md5:abc"

    wrapper_files = {f.path for f in client.list_artifacts(wrapper.info.run_id, "tracktui")}
    assert {"tracktui/console.log", "tracktui/error.txt"} <= wrapper_files
    console = Path(client.download_artifacts(wrapper.info.run_id, "tracktui/console.log", str(tmp_path / "dl")))
    assert b"epoch 1 done" in console.read_bytes()
    media = mine.media()["samples/val"]
    steps = {Path(f.path).name for f in client.list_artifacts(child.info.run_id, "tracktui/media/samples/val")}
    assert steps == {f"{step}.png" for step, _ in media} == {"3.png", "7.png"}

    assert_second_push_sends_nothing(str(root), server.url, tmp_path, "--experiment", "ours")
    assert len(client.get_metric_history(child.info.run_id, "loss")) == 30
    assert len(cast(RunInputs, client.get_run(child.info.run_id).inputs).dataset_inputs) == 2


# -- foreign stores -------------------------------------------------------------------------------


def _round_trip(
    server: Server, source: Path | str, tmp_path: Path, experiment: str
) -> tuple[dict[str, RunDetail], str]:
    """Push every run of `source` into `experiment`, compare each with the server's, push again; and
    the first push's summary."""
    local: RunStore = open_store(source)
    before = tree_snapshot(Path(source)) if isinstance(source, Path) else None
    out = push(str(source), server.url, tmp_path, "--experiment", experiment)
    assert out.returncode == 0, out.stderr
    ids = local.run_ids()
    assert ids and f"{len(ids)} new" in out.stdout, out.stdout
    back = pushed(server, experiment)
    assert set(back) == set(ids)
    for run_id in ids:
        assert_same_run(local.run(run_id), back[run_id])
        assert back[run_id].tags["tracktui.source_kind"] == local.kind_of(run_id)
    assert_second_push_sends_nothing(str(source), server.url, tmp_path, "--experiment", experiment)
    if before is not None:
        assert tree_snapshot(Path(source)) == before  # the source is never written
    return back, out.stdout


@pytest.mark.parametrize("folder", ["dvclive/project-a", "lightning/lightning_logs", "hf", "trackio/demo-proj.db"])
def test_files_of_other_tools_round_trip(server: Server, tmp_path: Path, folder: str) -> None:
    source = tmp_path / Path(folder).name
    if (FOREIGN / folder).is_dir():
        shutil.copytree(FOREIGN / folder, source)
    else:
        shutil.copyfile(FOREIGN / folder, source)
    _round_trip(server, source, tmp_path, f"from-{folder.split('/')[0]}")


def test_wandb_run_round_trips_with_config_notes_console_summary_and_system_metrics(
    server: Server, tmp_path: Path
) -> None:
    from tests.foreign_children import run_wandb

    run_wandb(
        {
            "dir": str(tmp_path),
            "project": "proj",
            "name": "wb",
            "steps": 20,
            "config": {"lr": 0.1},
            "tags": ["a", "b"],
            "notes": "a W&B note",
            "prints": ["hello from wandb"],
            "summary": {"best": 0.5, "comment": "best so far"},
            "stats": 0.1,
        }
    )
    back, _ = _round_trip(server, tmp_path / "wandb", tmp_path, "from-wandb")
    (theirs,) = back.values()
    client = MlflowClient(server.url)
    run = client.get_run(theirs.run_id)
    assert run.data.tags["mlflow.note.content"] == "a W&B note"
    files = {f.path for f in client.list_artifacts(theirs.run_id)}
    assert "output.log" in files
    summary = client.download_artifacts(theirs.run_id, "tracktui/summary.json", str(tmp_path / "dl"))
    assert json.loads(Path(summary).read_text())["comment"] == "best so far"


def test_tensorboard_logdir_round_trips_hparams_and_says_images_stay_in_the_event_files(
    server: Server, tmp_path: Path
) -> None:
    from tests.test_tensorboard_reader import write_legacy

    write_legacy(tmp_path / "tb" / "run-a", 25, hparams={"lr": 0.01, "optimizer": "sgd"})
    write_legacy(tmp_path / "tb" / "run-b", 10)
    back, out = _round_trip(server, tmp_path / "tb", tmp_path, "from-tb")
    assert "not carried:" in out and "event files" in out
    assert any(detail.flat_params.get("optimizer") == "sgd" for detail in back.values())


@pytest.mark.parametrize("kind", ["filestore/mlruns", "sqlite/mlflow.db"])
def test_mlflow_stores_round_trip_with_their_system_tags(server: Server, tmp_path: Path, kind: str) -> None:
    source = unpack(tmp_path / "fixtures") / kind
    back, _ = _round_trip(server, source, tmp_path, f"from-{kind.split('/')[0]}")
    local = open_store(source)
    client = MlflowClient(server.url)
    for run_id, theirs in back.items():
        system = local.run(run_id).facts["system_tags"]
        tags = client.get_run(theirs.run_id).data.tags
        assert {k: tags.get(k) for k in system if k != "mlflow.parentRunId"} == {
            k: v for k, v in system.items() if k != "mlflow.parentRunId"
        }
    assert any("mlflow.note.content" in client.get_run(t.run_id).data.tags for t in back.values())


def test_another_server_round_trips_nested_runs_and_their_parent(server: Server, tmp_path: Path) -> None:
    client = MlflowClient(server.url)
    exp = client.create_experiment("oldserver")
    parent = client.create_run(exp, run_name="sweep", tags={"mlflow.note.content": "the sweep"})
    child = client.create_run(exp, run_name="trial-1", tags={"mlflow.parentRunId": parent.info.run_id, "k": "v"})
    client.log_param(child.info.run_id, "lr", "0.1")
    for step in range(5):
        client.log_metric(child.info.run_id, "loss", 1.0 / (step + 1), step=step, timestamp=1_000 + step)
    import pandas as pd
    from mlflow.data.pandas_dataset import from_pandas
    from mlflow.entities import DatasetInput, InputTag

    # a dataset input, as mlflow.log_input makes one (through the client: no global tracking URI is set)
    dataset = from_pandas(pd.DataFrame({"x": [1, 2, 3]}), name="iris")._to_mlflow_entity()
    client.log_inputs(child.info.run_id, [DatasetInput(dataset, [InputTag("mlflow.data.context", "train")])])
    for run in (parent, child):
        client.set_terminated(run.info.run_id)
    alone = push(server.url, server.url, tmp_path, "--experiment", "new-server", "--filter", "name = trial-1")
    assert f"not carried: trial-1: parent run {parent.info.run_id} is not on the server" in alone.stdout
    out = push(server.url, server.url, tmp_path, "--experiment", "new-server", "--filter", "experiment = oldserver")
    assert out.returncode == 0, out.stderr
    assert "1 new, 1 updated" in out.stdout  # the parent, then the child's link to it
    back = pushed(server, "new-server")
    assert set(back) == {parent.info.run_id, child.info.run_id}
    assert (
        client.get_run(back[child.info.run_id].run_id).data.tags["mlflow.parentRunId"]
        == back[parent.info.run_id].run_id
    )
    assert client.get_run(back[parent.info.run_id].run_id).data.tags["mlflow.note.content"] == "the sweep"
    old = open_store(server.url)
    assert_same_run(old.run(child.info.run_id), back[child.info.run_id])
    source_inputs = old.run(child.info.run_id).inputs
    assert [(i["name"], i["context"]) for i in source_inputs] == [("iris", "train")]
    assert [(i["name"], i["context"]) for i in back[child.info.run_id].inputs] == [("iris", "train")]
    (dataset_input,) = cast(RunInputs, client.get_run(back[child.info.run_id].run_id).inputs).dataset_inputs
    assert dataset_input.dataset.name == "iris"


def test_two_folders_of_one_tool_with_the_same_run_ids_stay_two_runs(server: Server, tmp_path: Path) -> None:
    """Lightning names runs `version_N` in every project: a run is found again by kind, folder and id."""
    for project in ("a", "b"):
        shutil.copytree(FOREIGN / "lightning" / "lightning_logs", tmp_path / project / "lightning_logs")
        out = push(str(tmp_path / project / "lightning_logs"), server.url, tmp_path, "--experiment", "two-projects")
        assert "2 new" in out.stdout, out.stdout
    client = MlflowClient(server.url)
    exp = client.get_experiment_by_name("two-projects")
    assert exp is not None
    runs = client.search_runs([exp.experiment_id])
    assert sorted(r.data.tags["tracktui.run_id"] for r in runs) == ["version_0", "version_0", "version_1", "version_1"]
    assert len({r.data.tags["tracktui.source"] for r in runs}) == 4
    assert_second_push_sends_nothing(
        str(tmp_path / "b" / "lightning_logs"), server.url, tmp_path, "--experiment", "two-projects"
    )
