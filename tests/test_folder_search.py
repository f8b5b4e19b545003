"""Opening a folder finds every store of every kind in it (store/opening/discover.py over its
kinds.py), and says what it did not search: through `open_store` (what the app uses), `tracktui ls` and the app."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from store import open_store
from store.opening.discover import find_stores
from store.opening.multi import MultiStore
from tests.app_helpers import bar_text, demo_app, settle, shown_names
from tests.folder_layouts import (
    DATA,
    EVERYTHING,
    WANDB_RUN,
    empty_mlflow_db,
    everything,
    hf_output,
    lightning_with_tensorboard,
    mlflow_stores,
    nested_dvclive,
    ours,
    runs_by_source,
    tensorboard,
    wandb_project,
)
from tui.cli import main


def test_every_run_of_every_kind_side_by_side_is_listed_with_its_source(tmp_path: Path) -> None:
    """Issue 22's "done when": ours, mlruns/, mlflow.db, TensorBoard, W&B, nested DVCLive, Lightning (CSV and
    TensorBoard), Hugging Face and trackio in one folder."""
    work = everything(tmp_path)
    reader = open_store(work)
    assert runs_by_source(reader) == EVERYTHING
    assert not (reader.runs_frame()["status"] == "damaged").any()
    assert isinstance(reader, MultiStore) and reader.notice is None  # the database's artifacts are its own


def test_ls_lists_every_run_of_every_kind_with_its_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    work = everything(tmp_path)
    assert main(["ls", str(work), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert dict(Counter(row["source"] for row in rows)) == EVERYTHING


def _mlruns_beside_ours(tmp: Path) -> Path:
    ours(tmp / "mix" / "mystore", ["a"])
    shutil.copytree(mlflow_stores(tmp) / "filestore" / "mlruns", tmp / "mix" / "mlruns")
    return tmp / "mix"


def _tensorboard_among_others(tmp: Path) -> Path:
    tools = tmp / "tools"
    wandb_project(tools / "wb")
    shutil.copytree(DATA / "hf", tools / "hf")
    shutil.copytree(DATA / "lightning", tools / "pl")
    shutil.copytree(DATA / "dvclive" / "project-a", tools / "dv")
    shutil.copytree(DATA / "trackio", tools / "trackio")
    tensorboard(tools / "tb" / "runs")
    return tools


def _hf_layout(tmp: Path) -> Path:
    return hf_output(tmp / "hf" / "results").parent


def _lightning_both(tmp: Path) -> Path:
    return lightning_with_tensorboard(tmp / "pl")


def _db_beside_a_file_store(tmp: Path) -> Path:
    """A project that moved from `mlruns/` to `mlflow.db`: the file store beside the database is a store too."""
    project = tmp / "project"
    shutil.copytree(mlflow_stores(tmp) / "filestore" / "mlruns", project / "mlruns")
    shutil.copy(mlflow_stores(tmp) / "sqlite" / "mlflow.db", project / "mlflow.db")
    return project


def _empty_top_db(tmp: Path) -> Path:
    project = tmp / "project"
    (project / "week-02").mkdir(parents=True)
    shutil.copy(mlflow_stores(tmp) / "sqlite" / "mlflow.db", project / "week-02" / "mlflow.db")
    empty_mlflow_db(project / "mlflow.db", tmp)
    return project


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        (_mlruns_beside_ours, {"mlruns": 8, "mystore": 1}),
        (_tensorboard_among_others, {"runs": 2, "wandb": 1, "hf": 1, "lightning_logs": 2, "dv": 1, "trackio": 2}),
        (_hf_layout, {"hf": 1, "runs": 2}),
        (_lightning_both, {"lightning_logs[lightning-csv]": 2, "lightning_logs[tensorboard]": 2}),
        (_empty_top_db, {"week-02/mlflow.db": 8}),
        (_db_beside_a_file_store, {"mlflow.db": 8, "mlruns": 8}),
    ],
    ids=[
        "mlruns-beside-ours",
        "tensorboard-among-others",
        "hf-checkpoints-beside-runs",
        "lightning-csv-and-tb",
        "empty-top-mlflow-db",
        "mlflow-db-beside-mlruns",
    ],
)
def test_a_store_of_one_kind_does_not_hide_the_others(
    tmp_path: Path, layout: Callable[[Path], Path], expected: dict[str, int]
) -> None:
    """Issue 22.1: an `mlruns/`, TensorBoard logs or a project's `mlflow.db` used to be taken for the whole folder."""
    assert runs_by_source(open_store(layout(tmp_path))) == expected


def test_dvclive_folders_inside_a_dvclive_folder_are_runs(tmp_path: Path) -> None:
    """Issue 22.2: `dvclive/fold_N` inside a `dvclive/` that is a run itself."""
    project = nested_dvclive(tmp_path / "project")
    for path in (project, project / "dvclive"):
        reader = open_store(path)
        assert reader.kind == "dvclive"
        assert sorted(reader.runs_frame()["name"]) == ["fold_0", "fold_1", "fold_2", "project"]


@pytest.mark.parametrize("latest", ["link", "copy", "only-copy"])
def test_w_and_b_latest_run_is_listed_once(tmp_path: Path, latest: str) -> None:
    """Issue 22.2: a `latest-run` that is a real folder is a run (once: not again beside its original)."""
    project = wandb_project(tmp_path / "project", latest)
    for path in (project, project / "wandb", project / "wandb" / "latest-run"):
        assert open_store(path).run_ids() == ["3apey6x3"], path
    found = find_stores(tmp_path)
    assert [(Path(s.path).relative_to(tmp_path).as_posix(), s.kind) for s in found.sources] == [
        ("project/wandb", "wandb")
    ]


def test_symlinked_folders_are_searched_once_and_loops_end(tmp_path: Path) -> None:
    """Issue 22.2: a linked folder is searched; a loop, or two links to one folder, are searched once."""
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(DATA / "lightning", elsewhere / "pl")
    home = tmp_path / "home"
    shutil.copytree(DATA / "hf", home / "hf")
    (home / "pl").symlink_to(elsewhere / "pl")
    (home / "again").symlink_to(elsewhere / "pl")
    (home / "hf" / "loop").symlink_to(home)
    (home / "self").symlink_to(".")
    (home / "up").symlink_to("..")  # leads back out to `elsewhere` (and `home`) by way of its parent
    ours(tmp_path / "beside-home", ["not-in-home"])
    (home / "version_9").symlink_to(elsewhere / "pl" / "lightning_logs" / "version_1")  # a run linked alone
    found = find_stores(home)
    assert found.notice() is None
    assert sorted((Path(s.path).relative_to(home).as_posix(), s.kind) for s in found.sources) == [
        ("again/lightning_logs", "lightning-csv"),
        ("hf", "hf-trainer"),
    ]
    assert runs_by_source(open_store(home)) == {"lightning_logs": 2, "hf": 1}


def deep_and_wide(root: Path, wide: int = 300, deep: int = 30) -> Path:
    """A home folder's shape: `wide` project folders with a few levels each, one chain `deep` levels down,
    a store near the top and one far down."""
    for i in range(wide):
        (root / f"p{i:03d}" / "src" / "pkg" / "sub").mkdir(parents=True)
    chain = root.joinpath(*[f"d{i}" for i in range(deep)])
    chain.mkdir(parents=True)
    ours(root / "p000" / "runs", ["near"])
    ours(chain / "runs", ["far"])
    return root


def test_the_search_says_what_it_left_out_and_opens_what_it_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = deep_and_wide(tmp_path / "home")
    found = find_stores(home)
    assert found.specs == [str(home / "p000" / "runs")]
    assert "deeper than 5 levels were not searched" in (found.notice() or "")
    reader = open_store(home)
    assert isinstance(reader, MultiStore) and reader.notice == found.notice()  # not opened as if it were all
    assert reader.runs_frame()["name"].tolist() == ["near"]
    assert main(["ls", str(home), "--json"]) == 0
    out = capsys.readouterr()
    assert [json.loads(line)["name"] for line in out.out.splitlines()] == ["near"]
    assert "tracktui ls: not every folder was searched: folders deeper than 5 levels" in out.err
    out_of_time = find_stores(home, budget=0.0)
    assert out_of_time.specs == [] and "search budget ran out" in (out_of_time.notice() or "")
    ours(home / "a-store", ["first"])  # the root's first entry
    slow = find_stores(home, budget=0.05, progress=lambda text: time.sleep(0.1))  # a disk that stalls mid-folder
    assert slow.folders == 1 and slow.specs == [], "the budget is checked before each entry, not only each folder"
    assert f"ran out: {home / 'a-store'} and what came after it" in (slow.notice() or "")
    everything_found = find_stores(home, max_depth=40)
    assert len(everything_found.specs) == 3 and everything_found.notice() is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_an_unreadable_folder_is_said(tmp_path: Path) -> None:
    ours(tmp_path / "home" / "a", ["x"])
    locked = tmp_path / "home" / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        assert "1 folder could not be read" in (find_stores(tmp_path / "home").notice() or "")
    finally:
        locked.chmod(0o755)


async def test_the_app_says_what_the_search_left_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    home = deep_and_wide(tmp_path / "home", wide=3)
    app = demo_app(home)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        assert shown_names(app) == ["near"]
        notices = [n for n in app._notifications if n.title == "Folder search cut short"]
        assert len(notices) == 1 and "deeper than 5 levels were not searched" in notices[0].message
        assert "not every folder searched" in bar_text(app)


def test_a_run_folder_reached_through_its_own_link_opens(tmp_path: Path) -> None:
    run = tmp_path / "wandb" / WANDB_RUN
    shutil.copytree(DATA / "wandb" / "wandb" / WANDB_RUN, run)
    (tmp_path / "here").mkdir()
    (tmp_path / "here" / "that-run").symlink_to(run)
    assert runs_by_source(open_store(tmp_path / "here")) == {"wandb": 1}
