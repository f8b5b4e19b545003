"""`tracktui ls --columns` as a table: a row still says which run it is, and the title stays one line."""

from __future__ import annotations

from pathlib import Path

import pytest

import store
from tests.app_helpers import demo_store
from tui.cli import main


def test_columns_keep_the_run_name_and_the_title_is_not_wrapped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = demo_store(tmp_path / "demo")
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["ls", str(root), "--columns", "acc,lr", "--table"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{root} — 10 runs"  # one line, not folded into the width of two columns
    assert lines[1].split() == ["name", "val/acc", "lr"]
    assert any(line.split()[:2] == ["rf-deep", "0.995"] for line in lines)


def test_runs_that_share_a_name_are_told_apart_by_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "store"
    for lr in (0.1, 0.2):
        with store.start_run(experiment="e", name="same", root=root, system_metrics_interval=0) as run:
            run.log_params({"lr": lr})
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["ls", str(root), "--columns", "lr", "--table"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["run", "id", "name", "lr"]
    assert {line.split()[0] for line in lines[2:]} == set(store.open_store(root).run_ids())
