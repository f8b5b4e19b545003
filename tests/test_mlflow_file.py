"""MLflow file store (`mlruns/`): the real store from the fixtures, and hand-made edge cases."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path
from typing import cast

import pytest

import store
from store.base import RunRecord
from store.formats.mlflow.file import MlflowFileStore
from tests.mlflow_fixtures import (
    T0,
    expected_runs,
    run_id,
    tree_snapshot,
    unpack,
    unpack_datasets,
    write_experiment,
    write_run,
)

BASE = ["run_id", "experiment", "name", "status", "created", "ended", "duration"]


@pytest.fixture
def mlruns(tmp_path: Path) -> Path:
    return unpack(tmp_path) / "filestore" / "mlruns"


@pytest.fixture
def expected() -> dict[str, dict]:
    return expected_runs("filestore")


def by_name(frame):
    return frame.set_index("name")


# -- the real store -----------------------------------------------------------------------------


def test_open_store_detects_the_file_store(mlruns: Path) -> None:
    for path in (mlruns, mlruns.parent, mlruns.as_uri(), str(mlruns)):
        s = store.open_store(path)
        assert isinstance(s, MlflowFileStore) and s.kind == "mlflow-file"
        assert s.root == mlruns


def test_lists_every_run_with_its_name_params_and_latest_metrics(mlruns: Path, expected: dict) -> None:
    frame = store.open_store(mlruns).runs_frame()
    live = {n: r for n, r in expected.items() if r.get("lifecycle") != "deleted"}
    assert sorted(frame["name"]) == sorted(live)
    rows = by_name(frame)
    for name, run in live.items():
        row = rows.loc[name]
        assert row["run_id"] == run["run_id"]
        for key, value in run.get("params", {}).items():
            assert row[f"params.{key}"] == value
        for key, value in run.get("metrics", {}).items():
            assert row[f"metrics.{key}"] == pytest.approx(value)
    assert rows.loc["poly-degree-2", "experiment"] == "Default"
    assert rows.loc["rf-wide", "experiment"] == "iris-classification"
    assert rows.loc["rf-broken", "status"] == "failed"
    assert set(rows.loc[[n for n in live if n != "rf-broken"], "status"]) == {"finished"}
    assert (rows["user"] == "root").all()
    assert rows["created"].notna().all() and (rows["duration"] >= 0).all()


def test_runs_frame_has_the_same_columns_convention_as_a_tracktui_store(mlruns: Path) -> None:
    frame = store.open_store(mlruns).runs_frame()
    cols = list(frame.columns)
    assert cols[:7] == BASE
    assert cols[-3:] == ["host", "user", "reason"]
    middle = cols[7:-3]
    prefixes = [c.split(".", 1)[0] for c in middle]
    assert prefixes == sorted(prefixes, key=["params", "metrics", "tags"].index)
    assert "tags.stage" in middle and not any(c.startswith("tags.mlflow.") for c in middle)
    assert frame["created"].dtype == float and frame["metrics.loss"].dtype == float
    assert list(frame["created"]) == sorted(frame["created"], reverse=True)


def test_deleted_run_is_hidden_unless_asked_for(mlruns: Path, expected: dict) -> None:
    deleted = expected["rf-deleted"]["run_id"]
    s = store.open_store(mlruns)
    assert deleted not in set(s.runs_frame()["run_id"])
    assert deleted not in s.run_ids()
    with pytest.raises(store.RunNotFoundError):
        s.run(deleted)
    shown = store.open_store(mlruns, include_deleted=True)
    assert deleted in set(shown.runs_frame()["run_id"])
    assert shown.run(deleted).facts["lifecycle_stage"] == "deleted"
    assert_deleted_runs_look_deleted(shown, deleted)


def assert_deleted_runs_look_deleted(shown: store.RunStore, deleted: str) -> None:
    """Old code: a deleted run showed as `finished`, like an active one, and `status = deleted` matched nothing."""
    from tui.shaping.filter_expr import apply_filter
    from tui.shaping.status import STATUS_GLYPHS

    frame = shown.runs_frame()
    assert frame.set_index("run_id").loc[deleted, "status"] == "deleted"
    assert set(frame[frame["status"] == "deleted"]["run_id"]) == {deleted}
    assert list(apply_filter(frame, "status = deleted")["run_id"]) == [deleted]
    assert shown.run(deleted).status == "deleted" and "deleted" in STATUS_GLYPHS


def test_detail_has_facts_note_and_system_tags_apart(mlruns: Path, expected: dict) -> None:
    s = store.open_store(mlruns)
    detail = s.run(expected["rf-baseline"]["run_id"])
    assert detail.name == "rf-baseline" and detail.status == "finished"
    assert detail.params == expected["rf-baseline"]["params"]
    assert detail.tags == {"stage": "baseline"}
    assert detail.facts["note"] == "First baseline from the seed notebook."
    assert detail.facts["user"] == "root"
    assert detail.facts["source"] == "/home/ml/project/make_fixtures.py"
    assert detail.facts["source_type"] == "LOCAL"
    assert detail.facts["system_tags"]["mlflow.runName"] == "rf-baseline"
    assert detail.metrics["loss"]["count"] == 50 and detail.metrics["loss"]["last_step"] == 49
    assert detail.error is None


def test_artifacts_resolve_relative_to_a_copied_store(mlruns: Path, expected: dict) -> None:
    run = expected["rf-wide"]
    assert run["artifact_uri"].startswith("file:///home/ml/")  # baked in by the machine that wrote it
    detail = store.open_store(mlruns).run(run["run_id"])
    assert detail.artifacts_dir == mlruns / "436863714120774620" / run["run_id"] / "artifacts"
    for name in ("data/test_predictions.csv", "eval/confusion_matrix.json", "eval/report.txt", "config.yaml"):
        assert (cast(Path, detail.artifacts_dir) / name).is_file()


def test_logged_model_is_found_through_the_run_outputs(mlruns: Path, expected: dict) -> None:
    run = expected["poly-degree-2"]
    detail = store.open_store(mlruns).run(run["run_id"])
    assert list(detail.extra_artifacts) == ["model: model"]
    model_dir = detail.extra_artifacts["model: model"]
    assert model_dir == mlruns / "0" / "models" / run["model_id"] / "artifacts"
    assert (model_dir / "MLmodel").is_file()
    assert store.open_store(mlruns).run(expected["rf-wide"]["run_id"]).extra_artifacts == {}


def test_history_of_the_50_step_loss(mlruns: Path, expected: dict) -> None:
    run = expected["rf-baseline"]
    s = store.open_store(mlruns)
    hist = s.history(run["run_id"], ["loss"])
    assert list(hist.columns) == ["key", "step", "time", "value"]
    assert list(hist["step"]) == list(range(50))
    assert hist["value"].iloc[-1] == pytest.approx(run["metrics"]["loss"])
    assert hist["time"].between(1.7e9, 1.9e9).all()
    everything = s.run(run["run_id"]).history()
    assert set(everything["key"]) == {"accuracy", "f1_macro", "loss"}


def test_refresh_picks_up_a_metric_line_appended_to_a_finished_run(mlruns: Path, expected: dict) -> None:
    run = expected["rf-shallow"]
    s = store.open_store(mlruns)
    s.runs_frame()
    assert s.refresh() == set()
    loss = mlruns / "436863714120774620" / run["run_id"] / "metrics" / "loss"
    folder_mtime = loss.parent.stat().st_mtime_ns
    with open(loss, "a") as fh:
        fh.write(f"{T0 * 2} 0.0123 50\n")
    assert loss.parent.stat().st_mtime_ns == folder_mtime  # why a folder stat alone is not enough
    assert s.refresh() == {run["run_id"]}
    assert by_name(s.runs_frame()).loc["rf-shallow", "metrics.loss"] == pytest.approx(0.0123)
    assert s.refresh() == set()


def test_refresh_picks_up_a_new_run_and_a_tag_rewritten_in_place(mlruns: Path, expected: dict) -> None:
    s = store.open_store(mlruns)
    s.runs_frame()
    stage = mlruns / "436863714120774620" / expected["rf-wide"]["run_id"] / "tags" / "stage"
    stage.write_text("promoted")
    new = write_run(mlruns / "0", run_id(7), "late-run", metrics={"mse": f"{T0} 1.5 0\n"})
    assert s.refresh() == {expected["rf-wide"]["run_id"], new.name}
    rows = by_name(s.runs_frame())
    assert rows.loc["rf-wide", "tags.stage"] == "promoted"
    assert rows.loc["late-run", "metrics.mse"] == 1.5


def test_reading_never_writes_into_the_store(mlruns: Path, expected: dict) -> None:
    before = tree_snapshot(mlruns.parent)
    for include_deleted in (False, True):
        s = store.open_store(mlruns, include_deleted=include_deleted)
        s.runs_frame()
        for run in expected.values():
            if include_deleted or run.get("lifecycle") != "deleted":
                s.run(run["run_id"]).history()
        s.refresh()
    assert tree_snapshot(mlruns.parent) == before
    assert not cast(Path, s.index_path()).is_relative_to(mlruns.parent)
    assert cast(Path, s.index_path()).is_file()


def test_a_second_open_reads_nothing_that_did_not_change(mlruns: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for path in [mlruns, *mlruns.rglob("*")]:  # older than the racy window, as a store at rest is
        os.utime(path, (1_600_000_000, 1_600_000_000))
    first = store.open_store(mlruns).runs_frame()
    reads: list[str] = []
    real = MlflowFileStore._read_record

    def counted_read(self: MlflowFileStore, unit: str) -> RunRecord:
        reads.append(unit)
        return real(self, unit)

    monkeypatch.setattr(MlflowFileStore, "_read_record", counted_read)
    again = store.open_store(mlruns).runs_frame()
    assert reads == []
    assert list(again["run_id"]) == list(first["run_id"])


# -- hand-made layouts: the edge cases ------------------------------------------------------


@pytest.fixture
def handmade(tmp_path: Path) -> Path:
    root = tmp_path / "mlruns"
    exp = write_experiment(root, "0", "Default")
    write_run(
        exp,
        run_id(1),
        "spaces",
        params={"optimizer": "adam with warmup", "model/lr": "0.1"},
        tags={"note to self": "two words\nand a second line", "mlflow.source.git.commit": "abc123"},
        metrics={"acc": f"{T0} 0.5 0\n{T0 + 1} 0.75 1\n", "train/loss": f"{T0} 2.0 0\n"},
    )
    write_run(exp, run_id(2), "no-metrics", params={"seed": "1"})
    write_run(exp, run_id(3), "old-lines", metrics={"loss": f"{T0} 0.9\n{T0 + 5} 0.4\n{T0 + 9} 0.7"})
    write_run(exp, run_id(4), "latest-by-step", metrics={"x": f"{T0 + 9} 1.0 5\n{T0 + 99} 2.0 3\n{T0} nan 4\n"})
    write_run(exp, run_id(5), "bare", folders=False)
    write_run(exp, run_id(6), with_meta=False)
    write_run(exp, run_id(7), meta_text="status: [3\nthis: is: not yaml\n", params={"kept": "yes"})
    write_run(exp, run_id(8), meta_text="- just\n- a list\n")
    write_run(exp, run_id(9), "live", status=1, end=None)
    write_run(exp, run_id(10), "queued", status=2, end=None)
    write_run(exp, run_id(11), "stopped", status=5)
    trashed = write_experiment(root, "5", "old-experiment", trash=True)
    write_run(trashed, run_id(20), "in-trash", metrics={"acc": f"{T0} 0.1 0\n"})
    (exp / "tags").mkdir()  # experiment tags and logged models live beside runs; they are not runs
    (exp / "models").mkdir()
    return root


def test_values_with_spaces_and_nested_keys(handmade: Path) -> None:
    s = store.open_store(handmade)
    detail = s.run(run_id(1))
    assert detail.params == {"optimizer": "adam with warmup", "model/lr": "0.1"}
    assert detail.tags == {"note to self": "two words\nand a second line"}
    assert detail.facts["git_commit"] == "abc123"
    assert set(detail.metrics) == {"acc", "train/loss"}
    row = by_name(s.runs_frame()).loc["spaces"]
    assert row["params.optimizer"] == "adam with warmup"
    assert row["metrics.train/loss"] == 2.0 and row["metrics.acc"] == 0.75
    assert list(s.history(run_id(1), ["train/loss"])["value"]) == [2.0]


def test_a_run_with_no_metrics_and_one_with_no_folders(handmade: Path) -> None:
    s = store.open_store(handmade)
    rows = by_name(s.runs_frame())
    assert rows.loc["no-metrics", "status"] == "finished"
    assert math.isnan(rows.loc["no-metrics", "metrics.acc"])
    assert s.run(run_id(2)).metrics == {}
    assert s.history(run_id(2)).empty
    assert rows.loc["bare", "status"] == "finished" and s.run(run_id(5)).params == {}


def test_two_field_metric_lines_are_step_zero(handmade: Path) -> None:
    s = store.open_store(handmade)
    summary = s.run(run_id(3)).metrics["loss"]
    assert summary["last"] == 0.7 and summary["last_step"] == 0  # same step: the latest timestamp wins
    assert summary["count"] == 3 and summary["min"] == 0.4 and summary["max"] == 0.9
    assert list(s.history(run_id(3))["step"]) == [0, 0, 0]


def test_an_unreadable_metric_line_is_skipped_and_noted_without_damaging_the_run(tmp_path: Path) -> None:
    exp = write_experiment(tmp_path / "mlruns", "0", "Default")
    write_run(exp, run_id(1), "torn", metrics={"loss": f"{T0} 0.5 0\nnot a metric line at all\n{T0 + 1} 0.25 1\n"})
    row = store.open_store(tmp_path / "mlruns").runs_frame().iloc[0]
    assert row["status"] == "finished" and row["metrics.loss"] == 0.25
    assert row["reason"] == "metrics/loss has 1 unreadable line"


def test_latest_value_is_the_largest_step_then_time_and_nan_is_kept_out_of_min_max(handmade: Path) -> None:
    s = store.open_store(handmade)
    summary = s.run(run_id(4)).metrics["x"]
    assert summary["last"] == 1.0 and summary["last_step"] == 5
    assert summary["min"] == 1.0 and summary["max"] == 2.0 and summary["count"] == 3
    assert math.isnan(s.history(run_id(4))["value"].iloc[2])


def test_damaged_runs_show_with_a_reason_and_the_others_are_unaffected(handmade: Path) -> None:
    s = store.open_store(handmade)
    rows = s.runs_frame().set_index("run_id")
    assert run_id(6) not in rows.index  # no meta.yaml: not a run (see the test below)
    assert rows.loc[run_id(7), "status"] == "damaged"
    assert "not valid YAML" in rows.loc[run_id(7), "reason"]
    assert rows.loc[run_id(7), "params.kept"] == "yes"
    assert rows.loc[run_id(8), "status"] == "damaged" and "not a mapping" in rows.loc[run_id(8), "reason"]
    detail = s.run(run_id(7))
    assert detail.status == "damaged" and "YAML" in (detail.error or "")
    healthy = rows.drop(index=[run_id(7), run_id(8)])
    assert healthy["reason"].isna().all() and "damaged" not in set(healthy["status"])
    assert len(rows) == 10  # and not tags/ or models/, nor the run in .trash, nor the folder without meta.yaml


def test_status_numbers_map_onto_ours(handmade: Path) -> None:
    rows = by_name(store.open_store(handmade).runs_frame())
    assert rows.loc["live", "status"] == "running" and math.isnan(rows.loc["live", "ended"])
    assert rows.loc["queued", "status"] == "running"  # SCHEDULED has not ended either
    assert rows.loc["stopped", "status"] == "killed"
    assert rows.loc["spaces", "created"] == T0 / 1000 and rows.loc["spaces", "duration"] == 60.0


def test_a_deleted_experiment_in_trash_is_hidden_unless_asked_for(handmade: Path) -> None:
    assert "in-trash" not in set(store.open_store(handmade).runs_frame()["name"])
    assert "old-experiment" not in store.open_store(handmade).experiments()
    shown = store.open_store(handmade, include_deleted=True)
    row = by_name(shown.runs_frame()).loc["in-trash"]
    assert row["experiment"] == "old-experiment" and row["metrics.acc"] == 0.1
    assert shown.run(run_id(20)).facts["lifecycle_stage"] == "deleted"


def test_renaming_an_experiment_reaches_its_runs_on_refresh(handmade: Path) -> None:
    s = store.open_store(handmade)
    assert "Default" in s.experiments()
    meta = handmade / "0" / "meta.yaml"
    meta.write_text(meta.read_text().replace("name: Default", "name: Renamed"))
    changed = s.refresh()
    assert run_id(1) in changed
    assert "Renamed" in s.experiments() and "Default" not in s.experiments()


def test_relative_artifact_uri_resolves_beside_mlruns(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    exp = write_experiment(root, "1", "rel")
    rid = run_id(1)
    meta = (
        f"artifact_uri: ./mlruns/1/{rid}/artifacts\nexperiment_id: '1'\nlifecycle_stage: active\n"
        f"run_id: {rid}\nrun_name: rel\nstart_time: {T0}\nend_time: null\nstatus: 3\nuser_id: me\n"
    )
    write_run(exp, rid, "rel", meta_text=meta)
    assert store.open_store(root).run(rid).artifacts_dir == root / "1" / rid / "artifacts"


def test_not_a_store_names_what_was_expected(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "x").mkdir()
    for path in (tmp_path / "folder", tmp_path / "notes.txt"):
        with pytest.raises(store.NotAStoreError) as info:
            store.open_store(path)
        message = str(info.value)
        assert "tracktui store" in message and "mlruns" in message and "mlflow.db" in message


def test_a_run_folder_without_meta_yaml_is_ignored_and_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Old code: listed as a damaged (and deleted-looking) run; MLflow ignores such folders."""
    import logging

    exp = write_experiment(tmp_path / "mlruns", "0", "Default")
    write_run(exp, run_id(1), "ok")
    write_run(exp, run_id(2), with_meta=False, params={"x": "1"})
    with caplog.at_level(logging.DEBUG, logger="store.formats.mlflow.file"):
        for include_deleted in (False, True):
            frame = store.open_store(tmp_path / "mlruns", include_deleted=include_deleted).runs_frame()
            assert list(frame["name"]) == ["ok"]
    assert f"{run_id(2)}: a run folder without meta.yaml" in caplog.text


# -- hostile files (issue 10 items 11, 12, 16) ------------------------------------------------

LIST_EVERYTHING = """
import json, sys, store
s = store.open_store(sys.argv[1], include_deleted=True)
out = {}
for rid in s.runs_frame()["run_id"]:
    detail = s.run(rid)
    out[rid] = {"status": detail.status, "error": detail.error, "points": len(s.history(rid)),
                "params": detail.params}
print(json.dumps(out))
"""


def list_in_child(root: Path, timeout: float = 30.0) -> dict:
    """List, read and load every run's history in a child process; SIGKILL it if it hangs."""
    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-c", LIST_EVERYTHING, str(root)],
        cwd=repo,
        env=dict(os.environ, PYTHONPATH=str(repo)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"listing {root} did not finish within {timeout} s")
    assert proc.returncode == 0, err.decode()[-2000:]
    import json

    return json.loads(out)


def alias_bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + f"\nstatus: 3\nrun_name: *a{levels - 1}\n"


@pytest.mark.parametrize(
    "damage",
    [
        "alias-bomb",
        "deep-yaml",
        "meta-fifo",
        "meta-dev-zero",
        "param-fifo",
        "param-dev-zero",
        "metric-fifo",
        "huge-times",
    ],
)
def test_hostile_files_damage_one_run_and_never_hang(tmp_path: Path, damage: str) -> None:
    """Old code: the alias bomb and FIFOs hung the listing, /dev/zero ate memory, 400-digit times raised
    OverflowError out of the listing, a folder in place of a metric file raised out of history()."""
    root = tmp_path / "mlruns"
    exp = write_experiment(root, "0", "Default")
    write_run(exp, run_id(1), "ok", params={"p": "1"}, metrics={"m": f"{T0} 1.0 0\n"})
    bad = write_run(exp, run_id(2), "bad", params={"p": "2"}, metrics={"m": f"{T0} 1.0 0\n"})
    if damage == "alias-bomb":
        (bad / "meta.yaml").write_text(alias_bomb())
    elif damage == "deep-yaml":
        (bad / "meta.yaml").write_text("status: 3\nrun_name: " + "[" * 300 + "]" * 300 + "\n")
    elif damage.startswith(("meta-", "param-", "metric-")):
        target = {"meta": bad / "meta.yaml", "param": bad / "params" / "p", "metric": bad / "metrics" / "m"}[
            damage.split("-")[0]
        ]
        target.unlink()
        if damage.endswith("fifo"):
            os.mkfifo(target)
        elif damage.endswith("folder"):
            target.mkdir()
        else:
            target.symlink_to("/dev/zero")
    else:
        meta = (bad / "meta.yaml").read_text()
        (bad / "meta.yaml").write_text(meta.replace(f"start_time: {T0}", "start_time: " + "9" * 400))
        (bad / "metrics" / "m").write_text(f"{T0} 1.0 0\n{'9' * 400} 2.0 1\n{T0} 3.0 {'9' * 400}\n")
    runs = list_in_child(root)
    assert runs[run_id(1)] == {"status": "finished", "error": None, "points": 1, "params": {"p": "1"}}
    if damage in ("alias-bomb", "deep-yaml", "meta-fifo", "meta-dev-zero"):
        assert runs[run_id(2)]["status"] == "damaged" and "meta.yaml" in runs[run_id(2)]["error"]
    elif damage.startswith("param-"):
        assert runs[run_id(2)]["params"] == {} and "params/p is unreadable" in runs[run_id(2)]["error"]
    elif damage.startswith("metric-"):
        assert runs[run_id(2)]["points"] == 0 and runs[run_id(2)]["status"] == "finished"
        if damage == "metric-fifo":  # (a folder is a nested key's folder to MLflow: no metric, nothing odd)
            assert "metrics/m is unreadable" in runs[run_id(2)]["error"]
    else:
        assert runs[run_id(2)]["points"] == 1 and "start_time is not a time" in runs[run_id(2)]["error"]
        assert "metrics/m has 2 unreadable lines" in runs[run_id(2)]["error"]


# -- MLflow 3: metrics logged with a dataset (issue 9 item 8) -------------------------------


def test_metrics_logged_with_a_dataset_read_as_mlflow_reads_them(tmp_path: Path) -> None:
    """Old code: 5-field lines were "unreadable", so every autolog training metric vanished."""
    root, manifest = unpack_datasets(tmp_path)
    s = store.open_store(root)
    rows = by_name(s.runs_frame())
    assert set(rows.index) == {r["run_name"] for r in manifest["runs"]}
    for run in manifest["runs"]:
        row = rows.loc[run["run_name"]]
        assert row["status"] == "finished" and not isinstance(row["reason"], str)
        assert {k: row[f"metrics.{k}"] for k in run["metrics"]} == run["metrics"]
        assert {k: row[f"params.{k}"] for k in run["params"]} == run["params"]
        detail = s.run(run["run_id"])
        assert set(detail.metrics) == set(run["metrics"])
        hist = s.history(run["run_id"])
        for key, points in run["history"].items():
            ours = hist[hist["key"] == key]
            assert list(ours["value"]) == [p["value"] for p in points]
            assert list(ours["time"]) == [p["timestamp"] / 1000 for p in points]
            # MLflow 3.17.2 reads step 0 from every 5-field line; we read the step it wrote
            logged = run["logged_steps"].get(key)
            assert list(ours["step"]) == ([p[0] for p in logged] if logged else [p["step"] for p in points])
    explicit = s.run(next(r["run_id"] for r in manifest["runs"] if r["run_name"] == "explicit-datasets"))
    assert explicit.metrics["train_loss"]["dataset"] == "iris-train"
    assert explicit.metrics["val_loss"]["last_step"] == 40 and "dataset" not in explicit.metrics["plain"]
