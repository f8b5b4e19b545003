"""Our store's model registry: register, aliases, tags, descriptions, and the files under faults:
two real processes registering at once, a real SIGKILL during `register_model`, stores merged with `cp -r`."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

import store
from store.model_entities import ModelNotFoundError, find_version
from store.ours.registry import MODELS_DIR, VERSIONS_DIR, model_dir
from tests.children import run_python
from tui.cli import main


def _store_with_run(root: Path) -> str:
    """A finished run with an artifact folder `model/` (and `other.txt`)."""
    src = root.parent / f"{root.name}-src"
    (src / "model").mkdir(parents=True)
    (src / "model" / "MLmodel").write_text("flavors: {}\n")
    with store.start_run("train", root=root, system_metrics_interval=0) as run:
        run.log_artifact(src / "model", "model")
        run.log_text("other.txt", "x")
    return run.id


def test_register_alias_tags_description_and_where_the_files_are(tmp_path: Path) -> None:
    root = tmp_path / "s"
    run_id = _store_with_run(root)
    assert (
        store.register_model("churn", run=run_id, root=root, alias="prod", tags={"team": "growth"}, description="first")
        == 1
    )
    with store.start_run("train", root=root, resume=run_id, system_metrics_interval=0) as run:
        assert store.register_model("churn") == 2  # the active run, path "model"
        assert store.register_model("churn", run=run, path="other.txt") == 3
    store.set_model_alias("churn", "champion", 2, root=root)
    store.set_model_alias("churn", "prod", 3, root=root)  # moves
    store.delete_model_alias("churn", "champion", root=root)
    store.set_model_tags("churn", {"owner": "me"}, root=root)
    store.set_model_tags("churn", {"ok": "yes"}, version=2, root=root)
    store.set_model_description("churn", "second", version=2, root=root)
    store.set_model_description("churn", "the churn model", root=root)

    reader = store.open_store(root)
    (model,) = reader.models()
    assert (model.name, model.aliases, model.tags, model.description) == (
        "churn",
        {"prod": 3},
        {"owner": "me"},
        "the churn model",
    )
    assert [(v.version, v.aliases, v.description, v.tags, v.run_id) for v in model.versions] == [
        (1, [], "first", {"team": "growth"}, run_id),
        (2, [], "second", {"ok": "yes"}, run_id),
        (3, ["prod"], None, {}, run_id),
    ]
    files = Path(reader.model_files(find_version(reader.models(), "churn/1")) or "")
    assert (files / "MLmodel").read_text() == "flavors: {}\n"
    assert Path(reader.model_files(find_version(reader.models(), "churn@prod")) or "").name == "other.txt"
    versions, logged = reader.models_of_run(run_id)
    assert [v.ref for v in versions] == ["churn/1", "churn/2", "churn/3"] and logged == []
    assert len(reader.records()) == 1  # the registry's folder is no experiment


def test_bad_registrations_say_what_to_do(tmp_path: Path) -> None:
    root = tmp_path / "s"
    run_id = _store_with_run(root)
    with pytest.raises(store.StoreError, match=r"no artifact 'weights'.*log it first"):
        store.register_model("m", run=run_id, path="weights", root=root)
    with pytest.raises(ValueError, match="artifact path"):
        store.register_model("m", run=run_id, path="../../../etc", root=root)
    with pytest.raises(store.RunNotFoundError, match="no active run"):
        store.register_model("m", root=root)
    with pytest.raises(ModelNotFoundError, match="no registered model 'nope'"):
        store.set_model_alias("nope", "prod", 1, root=root)
    store.register_model("../../evil", run=run_id, root=root)  # a name never becomes a path as it is
    assert [p.parent for p in (root / MODELS_DIR).rglob("*.json")] and not (tmp_path / "evil").exists()
    assert [m.name for m in store.open_store(root).models()] == ["../../evil"]


REGISTER = """
    import sys, store
    root, run_id, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print("ready", flush=True)
    sys.stdin.readline()  # the parent starts all children at once
    for i in range(count):
        print(store.register_model("churn", run=run_id, root=root, description=f"{sys.argv[4]}-{i}"), flush=True)
"""


def _register_child(root: Path, run_id: str, count: int, label: str) -> subprocess.Popen[bytes]:
    return run_python(
        REGISTER.replace("sys.argv[1], sys.argv[2], int(sys.argv[3])", f"{str(root)!r}, {run_id!r}, {count}").replace(
            "sys.argv[4]", repr(label)
        ),
        wait=False,
        stdin=subprocess.PIPE,
    )


def _start(children: list[subprocess.Popen[bytes]]) -> None:
    """Let the children go together, once every one of them is ready."""
    for child in children:
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
    for child in children:
        assert child.stdin is not None
        child.stdin.write(b"go\n")
        child.stdin.flush()


def test_two_processes_registering_at_once_lose_no_version(tmp_path: Path) -> None:
    root = tmp_path / "s"
    run_id = _store_with_run(root)
    children = [_register_child(root, run_id, 40, label) for label in ("a", "b")]
    _start(children)
    answers = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err.decode()
        answers += [int(line) for line in out.split()]
    (model,) = store.open_store(root).models()
    assert sorted(answers) == [v.version for v in model.versions] == list(range(1, 81))  # each got its own number
    assert sorted(v.description or "" for v in model.versions) == sorted(f"{x}-{i}" for x in "ab" for i in range(40))


def test_sigkill_during_register_model_leaves_no_half_version(tmp_path: Path) -> None:
    root = tmp_path / "s"
    run_id = _store_with_run(root)
    versions = model_dir(root, "churn") / VERSIONS_DIR
    for round_ in range(3):
        child = _register_child(root, run_id, 10_000, f"r{round_}")  # registering and nothing else
        _start([child])
        assert child.stdout is not None
        for _ in range(3):  # killed once it is well under way
            child.stdout.readline()
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    made = sorted(p.name for p in versions.iterdir() if not p.name.startswith("."))
    assert all(json.loads((versions / name).read_text())["run_id"] == run_id for name in made)  # whole files only
    after = store.register_model("churn", run=run_id, root=root)  # the dead writer's lock is taken over
    (model,) = store.open_store(root).models()
    assert [v.version for v in model.versions] == list(range(1, len(made) + 2)) and after == len(made) + 1
    assert all(v.reason is None for v in model.versions)


def test_stores_of_two_machines_merged_with_cp_keep_every_version(tmp_path: Path) -> None:
    base = tmp_path / "base"
    run_id = _store_with_run(base)
    store.register_model("churn", run=run_id, root=base, description="base")
    a, b, merged = tmp_path / "a", tmp_path / "b", tmp_path / "merged"
    shutil.copytree(base, a)
    shutil.copytree(base, b)
    store.register_model("churn", run=run_id, root=a, description="a1")
    store.register_model("churn", run=run_id, root=b, description="b1", alias="staging")
    store.register_model("churn", run=run_id, root=a, description="a2", alias="prod")
    store.set_model_tags("churn", {"from": "b"}, root=b)
    merged.mkdir()
    for machine in (a, b):
        subprocess.run(["cp", "-r", f"{machine}/.", str(merged)], check=True)
    reader = store.open_store(merged)
    (model,) = reader.models()
    assert [(v.version, v.description) for v in model.versions] == [(1, "base"), (2, "a1"), (3, "b1"), (4, "a2")]
    assert find_version(reader.models(), "churn@prod").description == "a2"  # aliases follow their files
    assert find_version(reader.models(), "churn@staging").description == "b1"
    assert model.tags == {"from": "b"}


def test_a_version_whose_path_leads_out_of_its_run_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "s"
    run_id = _store_with_run(root)
    store.register_model("churn", run=run_id, root=root)
    (version_file,) = (model_dir(root, "churn") / VERSIONS_DIR).iterdir()
    body = json.loads(version_file.read_text())
    version_file.write_text(json.dumps({**body, "source": f"runs:/{run_id}/../../../../etc"}))
    reader = store.open_store(root)
    with pytest.raises(ValueError, match=r"leads out|`\.\.`"):
        reader.model_files(find_version(reader.models(), "churn/1"))
    artifacts = Path(store.open_store(root).run(run_id).artifacts_dir or "")
    (artifacts / "escape").symlink_to(tmp_path)  # a symlink in the run's artifacts: never followed out
    version_file.write_text(json.dumps({**body, "source": f"runs:/{run_id}/escape"}))
    with pytest.raises(ValueError, match="leads out"):
        reader.model_files(find_version(reader.models(), "churn/1"))
    assert main(["model", str(root), "churn/1"]) == 1
