"""`tracktui ls --filter/--sort/--columns/--limit/--group` and `tracktui tag|note|rename|rm|restore|gc`."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import store
from tests.children import REPO
from tests.live_writer import live_writer
from tests.mlflow_fixtures import run_id as mlflow_run_id
from tests.mlflow_fixtures import write_experiment, write_run
from tui.cli import main


@pytest.fixture
def sweep(tmp_path: Path) -> Path:
    """lr 0.1 and 0.01 x seeds 0-2; acc = 0.5 + lr * seed, loss = 1 - lr * seed."""
    root = tmp_path / "store"
    for lr in (0.1, 0.01):
        for seed in range(3):
            with store.start_run(
                experiment="sweep", name=f"lr{lr}-s{seed}", root=root, system_metrics_interval=0
            ) as run:
                run.log_params({"lr": lr, "seed": seed})
                run.log_metrics({"val/acc": 0.5 + lr * seed, "loss": 1 - lr * seed})
    return root


def _out(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 0) -> tuple[str, str]:
    assert main(argv) == code
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_ls_filters_sorts_picks_columns_and_limits(sweep: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = _out(
        capsys,
        [
            "ls",
            str(sweep),
            "--filter",
            "lr in (0.1) and seed >= 1",
            "--sort",
            "-acc",
            "--columns",
            "name,lr,acc",
            "--csv",
        ],
    )
    assert list(csv.reader(io.StringIO(out))) == [
        ["name", "params.lr", "metrics.val/acc"],
        ["lr0.1-s2", "0.1", "0.7"],
        ["lr0.1-s1", "0.1", "0.6"],
    ]
    out, _ = _out(capsys, ["ls", str(sweep), "--sort", "seed,-lr", "--columns", "name", "--limit", "3", "--tsv"])
    assert out.splitlines() == ["name", "lr0.1-s0", "lr0.01-s0", "lr0.1-s1"]
    out, _ = _out(capsys, ["ls", str(sweep), "--filter", "has:seed and created > 1d", "--json", "--columns", "name"])
    assert len(out.splitlines()) == 6 and set(json.loads(out.splitlines()[0])) == {"name"}


def test_ls_group_prints_count_and_aggregates(sweep: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = _out(capsys, ["ls", str(sweep), "--group", "lr", "--sort", "-acc", "--json"])
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["params.lr"], r["count"]) for r in rows] == [(0.1, 3), (0.01, 3)], "sorted by mean acc, best first"
    assert rows[0]["metrics.val/acc.mean"] == pytest.approx(0.6)
    assert rows[0]["metrics.val/acc.std"] == pytest.approx(0.1)
    assert (rows[1]["metrics.loss.min"], rows[1]["metrics.loss.max"]) == pytest.approx((0.98, 1.0))
    assert "metrics.loss.median" not in rows[0]
    out, _ = _out(capsys, ["ls", str(sweep), "--group", "lr,seed", "--filter", "seed = 0", "--limit", "1", "--tsv"])
    header, first = out.splitlines()
    assert header.split("\t")[:3] == ["params.lr", "params.seed", "count"] and first.startswith("0.01\t0\t1\t")


def test_ls_query_errors_are_one_line(sweep: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, err = _out(capsys, ["ls", str(sweep), "--filter", "mse <"], code=2)
    assert err == "tracktui ls: expected a value after '<'\n"
    _, err = _out(capsys, ["ls", str(sweep), "--group", "nope"], code=2)
    assert err.startswith("tracktui ls: unknown field 'nope'") and err.count("\n") == 1
    out, err = _out(capsys, ["ls", str(sweep), "--filter", "status = finised", "--tsv"])
    assert len(out.splitlines()) == 1, "only the header"
    assert "did you mean finished? Statuses here: finished (6)" in err


def test_tag_note_rename_rm_restore_gc(sweep: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = str(sweep)
    out, _ = _out(capsys, ["tag", s, "lr0.1-s2", "stage=final", "owner=me"])
    assert out.endswith("(lr0.1-s2): stage=final owner=me\n")
    _out(capsys, ["tag", s, "lr0.1-s2", "--rm", "owner"])
    sys_stdin = sys.stdin
    try:
        sys.stdin = io.StringIO("# best\nlr=0.1\n")
        out, _ = _out(capsys, ["note", s, "lr0.1-s2", "-"])
    finally:
        sys.stdin = sys_stdin
    assert out.endswith("note of 2 lines\n")
    _out(capsys, ["rename", s, "lr0.1-s2", "winner"])
    detail = store.open_store(sweep).run(store.open_store(sweep).resolve("winner"))
    assert detail.tags == {"stage": "final"} and detail.facts["note"] == "# best\nlr=0.1\n"
    out, _ = _out(capsys, ["rm", s, "lr0.01-s0", "lr0.01-s1"])
    assert out.count("deleted ") == 2
    out, _ = _out(capsys, ["ls", s, "--deleted", "--filter", "status = deleted", "--columns", "name", "--tsv"])
    assert sorted(out.splitlines()[1:]) == ["lr0.01-s0", "lr0.01-s1"]
    _out(capsys, ["restore", s, "lr0.01-s1"])
    out, _ = _out(capsys, ["gc", s, "--older-than", "0s"])
    assert out.startswith("purged 1 run: ")
    out, _ = _out(capsys, ["ls", s, "--deleted", "--columns", "name", "--tsv"])
    assert sorted(out.splitlines()[1:]) == ["lr0.01-s1", "lr0.01-s2", "lr0.1-s0", "lr0.1-s1", "winner"]


def test_curation_errors_are_one_line(sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = str(sweep)
    with store.start_run(experiment="sweep", name="lr0.1-s0", root=sweep, system_metrics_interval=0):
        pass
    _, err = _out(capsys, ["rm", s, "lr0.1-s0"], code=2)
    assert err == "tracktui rm: 'lr0.1-s0' matches 2 runs; give more of the id\n"
    _, err = _out(capsys, ["restore", s, "lr0.01-s0"], code=2)
    assert err.endswith("is not deleted\n") and err.count("\n") == 1
    _, err = _out(capsys, ["tag", s, "lr0.01-s0", "novalue"], code=2)
    assert err == "tracktui tag: 'novalue' is not KEY=VALUE\n"
    _, err = _out(capsys, ["gc", s, "--older-than", "soon"], code=2)
    assert "not an age" in err
    exp = write_experiment(tmp_path / "mlruns", "0", "Default")
    write_run(exp, mlflow_run_id(1), "m1")
    for argv in (["tag", "m1", "a=b"], ["rename", "m1", "x"], ["rm", "m1"], ["note", "m1", "hi"]):
        _, err = _out(capsys, [argv[0], str(tmp_path / "mlruns"), *argv[1:]], code=2)
        assert "opens read-only" in err and err.count("\n") == 1
    assert not list((tmp_path / "mlruns").rglob("edit.*"))


def test_text_from_the_store_is_sanitized(sweep: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with store.start_run(experiment="sweep", name="evil\x1b]0;pwned\x07", root=sweep, system_metrics_interval=0) as r:
        pass
    out, _ = _out(capsys, ["tag", str(sweep), r.id, "k=\x1b[31mred"])
    assert "\x1b" not in out and "␛" in out
    out, _ = _out(capsys, ["ls", str(sweep), "--columns", "name,tags.k", "--filter", "has:k", "--table"])
    assert "\x1b" not in out and "evil␛]0;pwned␇" in out


def test_rm_of_a_live_run_is_refused_in_a_real_process(tmp_path: Path) -> None:
    """A real `tracktui rm` process against a real writer process (each starts Python: ~2 s)."""
    root = tmp_path / "store"
    with live_writer(root, runs=1):
        env = dict(os.environ, PYTHONPATH=str(REPO))
        done = subprocess.run(
            [sys.executable, "-m", "tui.cli", "rm", str(root), "live-0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        assert done.stdout == ""
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and "is live (pid " in lines[0] and "a live run is not deleted" in lines[0]
        assert [r["name"] for r in store.open_store(root).records()] == ["live-0"]
        done = subprocess.run(
            [sys.executable, "-m", "tui.cli", "tag", str(root), "live-0", "seen=yes"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert store.open_store(root).run(store.open_store(root).resolve("live-0")).tags["seen"] == "yes"


def test_ls_groups_by_parent_run_in_both_kinds_of_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "store"
    with store.start_run(experiment="e", name="sweep", root=root, system_metrics_interval=0) as parent:
        pass
    for i in range(2):
        with store.start_run(experiment="e", name=f"child-{i}", root=root, system_metrics_interval=0) as child:
            child._meta["parent"] = parent.id  # what a run started under `tracktui run` records
            child.log_metric("loss", float(i))
    out, _ = _out(capsys, ["ls", str(root), "--group", "parent", "--json"])
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["parent"], r["count"]) for r in rows] == [(parent.id, 2), (None, 1)]
    assert rows[0]["metrics.loss.mean"] == pytest.approx(0.5)
    exp = write_experiment(tmp_path / "mlruns", "0", "Default")
    write_run(exp, mlflow_run_id(1), "outer")
    for n in (2, 3):
        write_run(exp, mlflow_run_id(n), f"inner-{n}", tags={"mlflow.parentRunId": mlflow_run_id(1)})
    out, _ = _out(capsys, ["ls", str(tmp_path / "mlruns"), "--group", "parent", "--csv"])
    assert out.splitlines()[1:] == [f"{mlflow_run_id(1)},2", ",1"]
