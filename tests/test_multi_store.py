"""Several stores in one table (store/opening/multi.py) and finding them in a folder (store/opening/discover.py):
through `open_store`, `tracktui ls` and the app."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import cast

import pytest

import store
from store import open_store
from store.opening.discover import find_stores
from store.opening.multi import MultiStore, source_labels
from tests.app_helpers import demo_app, move_to_column, screen_text, settle, shown_names
from tui.cli import main
from tui.screens.artifacts import ArtifactsScreen
from tui.screens.detail import DetailScreen
from tui.widgets.runs_table import RunsTable

DATA = Path(__file__).parent / "data" / "foreign"
OLD = time.time() - 3600


def ours(root: Path, names: list[str]) -> Path:
    for i, name in enumerate(names):
        with store.start_run(experiment="exp", name=name, root=root) as run:
            run.log_params({"lr": 0.1 * (i + 1)})
            for step in range(3):
                run.log_metric("loss", 1.0 / (step + 1 + i), step=step)
    return root


def mixed_folder(tmp_path: Path) -> Path:
    """~/work as people have it: our store, an MLflow-free mix of other tools' runs, some nesting."""
    work = tmp_path / "work"
    ours(work / "box1" / "tracktui-store", ["a", "b"])
    shutil.copytree(DATA / "dvclive" / "project-a", work / "project-a")
    shutil.copytree(DATA / "lightning", work / "deep" / "er" / "pl")
    shutil.copytree(DATA / "hf", work / "hf-outputs")
    shutil.copytree(DATA / "trackio", work / "trackio")
    (work / "notes").mkdir()
    (work / "notes" / "todo.txt").write_text("nothing to see\n")
    for path in work.rglob("*"):
        os.utime(path, (OLD, OLD))
    return work


def test_source_labels_are_short_and_unique() -> None:
    assert source_labels(["/a/box1/store", "/a/box2/store", "/x/mlflow.db", "http://host:5000"]) == [
        "box1/store",
        "box2/store",
        "mlflow.db",
        "host:5000",
    ]
    assert source_labels(["/same", "/same"]) == ["same", "same#2"]


def test_two_stores_one_table_ids_kept_apart(tmp_path: Path) -> None:
    one = ours(tmp_path / "box1" / "store", ["a", "b"])
    two = tmp_path / "box2" / "store"
    shutil.copytree(one, two)  # the same run ids on two boxes (an rsync'd copy)
    multi = open_store([one, two])
    assert isinstance(multi, MultiStore)
    frame = multi.runs_frame()
    assert len(frame) == 4 and frame["run_id"].is_unique
    assert sorted(frame["source"]) == ["box1/store", "box1/store", "box2/store", "box2/store"]
    rid = frame.loc[frame["source"] == "box2/store", "run_id"].iloc[0]
    detail = multi.run(rid)
    assert detail.run_id == rid and detail.facts["source"] == "box2/store"
    assert detail.history()["value"].tolist() == multi.history(rid)["value"].tolist()
    assert len(detail.history()) == 3
    assert multi.kind_of(rid) == "tracktui"


def test_a_failing_source_is_one_damaged_row_and_the_others_work(tmp_path: Path) -> None:
    good = ours(tmp_path / "good", ["a"])
    multi = open_store([str(good), str(tmp_path / "gone"), "sqlite:///nowhere/x.db"])
    frame = multi.runs_frame()
    assert len(frame) == 3
    bad = frame[frame["status"] == "damaged"]
    assert sorted(bad["source"]) == ["gone", "x.db"]
    assert all("\n" not in r and "does not exist" in r for r in bad["reason"])
    assert frame.loc[frame["status"] != "damaged", "name"].tolist() == ["a"]
    assert isinstance(multi, MultiStore) and len(multi.failed_sources()) == 2


def test_a_source_that_breaks_later_shows_as_damaged(tmp_path: Path) -> None:
    good = ours(tmp_path / "good", ["a"])
    trackio = tmp_path / "t.db"
    shutil.copy(DATA / "trackio" / "demo-proj.db", trackio)
    multi = open_store([good, trackio])
    assert len(multi.runs_frame()) == 3
    trackio.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    multi.refresh()
    frame = multi.runs_frame()
    assert "a" in frame["name"].tolist()
    damaged = frame[frame["source"] == "t.db"]
    assert damaged["status"].tolist() == ["damaged"]


def test_folder_discovery_finds_every_kind(tmp_path: Path) -> None:
    work = mixed_folder(tmp_path)
    found = find_stores(work)
    kinds = {Path(spec).relative_to(work).as_posix() for spec in found.specs}
    assert kinds == {"box1/tracktui-store", "project-a", "deep/er/pl/lightning_logs", "hf-outputs", "trackio"}
    assert found.cut_short is None
    multi = open_store(work)
    assert isinstance(multi, MultiStore)
    frame = multi.runs_frame()
    kinds_by_source = {s.label: s.store.kind for s in multi.sources if s.store is not None}
    assert sorted(kinds_by_source.values()) == ["dvclive", "hf-trainer", "lightning-csv", "trackio", "tracktui"]
    assert len(frame) == 2 + 1 + 2 + 1 + 2 and not (frame["status"] == "damaged").any()


def test_discovery_is_bounded(tmp_path: Path) -> None:
    work = mixed_folder(tmp_path)
    shallow = find_stores(work, max_depth=2)
    assert all("deep" not in spec for spec in shallow.specs)
    assert shallow.cut_short is not None and "deeper than 2" in shallow.cut_short
    said: list[str] = []
    assert len(find_stores(work, progress=said.append).specs) == 5
    assert said and said[0].startswith(f"Searching {work}")
    out_of_time = find_stores(work, budget=0.0)
    assert out_of_time.specs == [] and "budget" in (out_of_time.cut_short or "")


def test_a_folder_holding_nothing_says_what_was_searched(tmp_path: Path) -> None:
    (tmp_path / "plain" / "sub").mkdir(parents=True)
    (tmp_path / "plain" / "x.txt").write_text("x")
    with pytest.raises(store.NotAStoreError, match="searched 2 folders"):
        open_store(tmp_path / "plain")


def test_ls_json_over_several_kinds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    work = mixed_folder(tmp_path)
    assert main(["ls", str(work), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 8
    assert {r["source"] for r in rows} == {"tracktui-store", "project-a", "lightning_logs", "hf-outputs", "trackio"}
    assert all(r["run_id"].startswith(r["source"] + ":") for r in rows)
    assert main(["ls", str(work / "trackio"), str(work / "project-a"), "--json", "--filter", "source = trackio"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(r["name"] for r in rows) == ["lr-0.001", "lr-0.01"]


async def test_app_shows_the_mixed_table_with_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    work = mixed_folder(tmp_path)
    app = demo_app(work)  # the app searches the folder itself, in its worker
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        assert {"a", "b", "project-a", "version_0", "version_1", "run-lr0.05", "lr-0.01", "lr-0.001"} == set(
            shown_names(app)
        )
        text = screen_text(app)
        assert "source" in text and "hf-outputs" in text and "lightning_logs" in text
        table = app.screen.query_one(RunsTable)
        frame = table.view.frame
        table.cursor_row = cast(int, table.view.row_of(frame.loc[frame["name"] == "run-lr0.05", "run_id"].iloc[0]))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert "best_metric" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        table.cursor_row = cast(int, table.view.row_of(frame.loc[frame["name"] == "project-a", "run_id"].iloc[0]))
        await pilot.press("enter", "a")  # a DVCLive run's folder is its artifacts
        await settle(pilot)
        assert isinstance(app.screen, ArtifactsScreen)
        assert "plots" in screen_text(app) and "params.yaml" in screen_text(app)


def test_demo_writes_a_mixed_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", str(tmp_path / "d"), "--no-open"]) == 0
    capsys.readouterr()
    assert main(["ls", str(tmp_path / "d"), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    by_source: dict[str, int] = {}
    for row in rows:
        by_source[row["source"]] = by_source.get(row["source"], 0) + 1
    assert by_source == {"tracktui-store": 10, "dvclive-project": 1, "lightning_logs": 3, "hf-trainer": 2, "trackio": 2}
    statuses = {row["name"]: row["status"] for row in rows}
    assert statuses["distilbert-sst2-lr5e-5"] == "crashed" and statuses["distilbert-sst2-lr2e-5"] == "finished"
    assert not any(row["status"] == "running" or row["reason"] for row in rows if row["source"] != "tracktui-store")
    assert main(["demo", str(tmp_path / "d"), "--no-open"]) == 0  # writing it again replaces it


def test_several_stores_are_read_only_with_a_message_that_says_so(tmp_path: Path) -> None:
    from store.curate import writable_root
    from store.errors import ReadOnlyStoreError

    multi = open_store([ours(tmp_path / "a", ["x"]), ours(tmp_path / "b", ["y"])])
    with pytest.raises(ReadOnlyStoreError, match="several stores in one table"):
        writable_root(multi)
    with pytest.raises(ReadOnlyStoreError, match=r"a dvclive store.*the tool that wrote them"):
        writable_root(open_store(DATA / "dvclive" / "project-a"))


def test_diff_across_sources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    work = mixed_folder(tmp_path)
    assert main(["diff", str(work), "a", "lr-0.01", "version_0", "--json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in diff["runs"]] == ["a", "lr-0.01", "version_0"]
    assert [r["run_id"].split(":")[0] for r in diff["runs"]] == ["tracktui-store", "trackio", "lightning_logs"]
    assert "lr" in json.dumps(diff)


async def test_app_says_how_far_the_folder_search_got(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.widgets import Static

    from tui.screens.runs import RunsScreen

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    work = mixed_folder(tmp_path)
    shown: list[str] = []
    original = RunsScreen.on_store_progress

    def spy(self: RunsScreen, message: object) -> None:
        original(self, message)  # type: ignore[arg-type]
        shown.append(str(self.query_one("#loading", Static).render()))

    monkeypatch.setattr(RunsScreen, "on_store_progress", spy)
    app = demo_app(work)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert shown and shown[0].startswith(f"Searching {work}")
        assert len(shown_names(app)) == 8


async def test_filter_sort_diff_and_charts_across_two_stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 15: `tracktui A B` — filter by source, sort, then diff and chart runs marked in different stores."""
    from textual.widgets import Static

    from tui.app import make_app
    from tui.screens.charts import ChartsScreen
    from tui.screens.diff import DiffScreen

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    one = ours(tmp_path / "box1" / "store", ["a1", "a2"])
    two = ours(tmp_path / "box2" / "store", ["b0", "b1", "b2"])  # b2's curve is not a2's
    both = open_store([str(one), str(two)])
    app = make_app(tmp_path, store=both)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        assert set(shown_names(app)) == {"a1", "a2", "b0", "b1", "b2"}
        await pilot.press("slash", *"source = box2/store", "enter")
        await settle(pilot)
        assert set(shown_names(app)) == {"b0", "b1", "b2"}
        await pilot.press("slash", "ctrl+u", "enter")  # an empty filter: every run again
        await settle(pilot)
        frame = app.screen.query_one(RunsTable).view.frame
        loss_order = frame.sort_values("metrics.loss")["name"].tolist()
        table = app.screen.query_one(RunsTable)
        move_to_column(app, "metrics.loss")
        await pilot.press("s")
        await settle(pilot)
        assert shown_names(app) == loss_order
        for name in ("a2", "b2"):  # one run of each store
            table.cursor_row = cast(int, table.view.row_of(frame.loc[frame["name"] == name, "run_id"].iloc[0]))
            await pilot.press("space")
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, DiffScreen)
        text = screen_text(app)
        assert "a2" in text and "b2" in text and "box1/store" in text and "box2/store" in text
        await pilot.press("escape", "p")
        await settle(pilot)
        assert isinstance(app.screen, ChartsScreen)
        legend = str(app.screen.query_one("#run-legend", Static).render())
        assert "a2" in legend and "b2" in legend
        marked = {frame.loc[frame["name"] == n, "run_id"].iloc[0]: n for n in ("a2", "b2")}
        curves = {
            marked[r]: series.value.tolist() for (r, m), series in app.screen.histories.series.items() if m == "loss"
        }
        assert curves == {"a2": [1 / 2, 1 / 3, 1 / 4], "b2": [1 / 3, 1 / 4, 1 / 5]}  # each from its own store


def test_demo_help_says_what_demo_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Failed before: `tracktui demo --help` said it opens the store and the other tools' runs "in
    one table"; it opens its own store, and the folder's mixed table is `tracktui DIR`."""
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "open them in one table" not in text and "`tracktui DIR` opens all of them in one table" in text
    assert "open the app on its tracktui store" in text and "demo-store" in text and "replaced" in text
    assert main(["demo", str(tmp_path / "d"), "--no-open"]) == 0
    said = capsys.readouterr().out
    assert f"tracktui {tmp_path / 'd'}" in said, "what it prints agrees: the folder opens as one table"
    for folder, tool in [
        ("dvclive-project", "DVCLive"),
        ("lightning_logs", "Lightning"),
        ("hf-trainer", "Hugging Face"),
    ]:
        assert (tmp_path / "d" / folder).is_dir() and tool in text
    assert (tmp_path / "d" / "trackio").is_dir() and "trackio" in text
