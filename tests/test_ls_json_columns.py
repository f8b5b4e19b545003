"""`tracktui ls --json` of our store writes the index's columns as they are: no pandas, no runs frame,
the same bytes as writing the runs frame."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import store
from store.ours.reader import TrackStore
from tests.test_ls_json_bytes import write_odd_store
from tui.commands.json_lines import params_reader, print_runs_json
from tui.commands.ls import write_json_lines

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def mixed_store(tmp_path: Path) -> Path:
    """The odd values' store, with a child run that logged an input and a damaged run (and, in a test,
    the test's own run still running)."""
    odd_store = write_odd_store(tmp_path / "mixed")
    with store.start_run(experiment="other", name="child", root=odd_store) as child:
        child.log_metric("loss", 0.5)
        child.log_input("train.csv", digest="abc123")
    meta = child.path / "meta.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "parent": "20200101-000000000-parentid"}))
    with store.start_run(experiment="other", name="broken", root=odd_store) as broken:
        broken.log_metric("loss", 0.25)
    (broken.path / "meta.json").write_text("{not json")
    return odd_store


def test_ls_json_from_the_columns_is_byte_for_byte_the_frame_writers(
    mixed_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = store.start_run(experiment="other", name="live", root=mixed_store)
    try:
        running.log_params({"lr": 0.5})
        running.log_metric("loss", 2.0)
        running.flush()
        now = time.time() + 5
        monkeypatch.setattr(time, "time", lambda: now)  # a running run's duration is "until now": one now for both
        for fresh in (True, False):  # the first listing (no index), then from the index it saved
            if fresh:
                for index in mixed_store.glob(".tracktui-index*"):
                    index.unlink()
            reader = TrackStore(mixed_store)
            columns_out, frame_out = io.StringIO(), io.StringIO()
            assert print_runs_json(reader, columns_out)
            write_json_lines(reader.runs_frame(), frame_out, None, params_reader(reader))
            assert columns_out.getvalue() == frame_out.getvalue()
        rows = [json.loads(line) for line in columns_out.getvalue().splitlines()]
        by_name = {row["name"]: row for row in rows}
        assert by_name["live"]["status"] == "running" and by_name["live"]["duration"] > 4
        assert by_name["child"]["parent"] == "20200101-000000000-parentid"
        assert by_name["child"]["inputs.train.csv"] == "abc123"
        assert sum(row["status"] == "damaged" for row in rows) == 1
        assert by_name['run "0"\n']["params.nested.list"] == [1, None, {"a": "b"}]
    finally:
        running.finish()


def test_ls_json_of_our_store_imports_no_pandas(mixed_store: Path) -> None:
    """Failed before: `ls --json` built the runs frame, and importing pandas was 0.3 s of a 100,000-run listing;
    then, from the index, `np.unique` of a column's kinds imported numpy.ma (25 ms)."""
    script = (
        "import sys\nfrom tui.cli import main\n"
        f"code = main(['ls', {str(mixed_store)!r}, '--json'])\n"
        "print('pandas' in sys.modules, 'numpy.ma' in sys.modules, file=sys.stderr)\nraise SystemExit(code)\n"
    )
    imported = []
    for _first_then_from_the_index in range(2):
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            env=dict(os.environ, PYTHONPATH=str(REPO)),
            timeout=60,
            check=True,
        )
        imported.append(done.stderr.strip().splitlines()[-1].split())
        assert len(done.stdout.splitlines()) == 5
    assert imported[0][0] == "False" and imported[1] == ["False", "False"]


def test_ls_json_of_an_empty_store_and_with_a_filter_still_go_through_the_frame(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui.cli import main

    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["ls", str(empty), "--json"]) == 0
    assert capsys.readouterr().out == ""
    with store.start_run(experiment="e", name="a", root=tmp_path / "s") as run:
        run.log_metric("loss", 1.0)
    with store.start_run(experiment="e", name="b", root=tmp_path / "s") as run:
        run.log_metric("loss", 3.0)
    assert main(["ls", str(tmp_path / "s"), "--json", "--filter", "loss > 2"]) == 0
    assert [json.loads(line)["name"] for line in capsys.readouterr().out.splitlines()] == ["b"]
