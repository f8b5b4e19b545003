"""A run's facts (command line, machine, user and host, Python) from W&B, MLflow and `tracktui run`,
as `store.run_facts.fact_rows` lists them and the detail's Facts section shows them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from textual.widgets import Static

import store
from store.run_facts import fact_rows
from tests.app_helpers import demo_app, open_detail, screen_text, settle
from tests.mlflow_fixtures import unpack
from tests.test_run_command import only_run, python, wrapper

WANDB_RUNS = Path(__file__).parent / "data/foreign/wandb-runs"


def rows_of(detail: store.RunDetail) -> dict[str, str]:
    return dict(fact_rows(detail.facts))


def only_detail(root: Path) -> store.RunDetail:
    st = store.open_store(root)
    frame = st.runs_frame()
    assert len(frame) == 1
    return st.run(frame.run_id[0])


def test_the_facts_wandb_recorded_in_its_run_log() -> None:
    pytest.importorskip("wandb.proto.wandb_internal_pb2")
    rows = rows_of(only_detail(WANDB_RUNS / "finished"))
    assert rows["CPU"] == "2 × AMD EPYC"
    assert rows["memory"] == "23.5 GiB" and rows["disk"] == "252 GiB"
    assert rows["python"] == "CPython 3.11.7"
    assert rows["program"] == "<python with no main file>"
    assert rows["args"] == '{"name": "finished", "dir": "/tmp/fv/gw/finished", "steps": 5}'
    assert rows["host"] == "vm"


def test_the_facts_of_a_synced_wandb_run_from_its_metadata_file() -> None:
    rows = rows_of(only_detail(WANDB_RUNS / "synced"))
    assert rows["user@host"] == "root@vm" and rows["python"] == "CPython 3.11.7"


def test_the_facts_of_an_mlflow_run_from_its_system_tags(tmp_path: Path) -> None:
    root = unpack(tmp_path / "ml")
    st = store.open_store(root / "filestore" / "mlruns")
    rows = rows_of(st.run(st.runs_frame().run_id[0]))
    assert rows["program"] == "/home/ml/project/make_fixtures.py"  # mlflow.source.name
    assert rows["user"] == "root"  # mlflow.user; MLflow records no host


def test_secret_options_on_a_recorded_command_line_show_redacted() -> None:
    rows = dict(fact_rows({"command": [sys.executable, "train.py", "--api-key", "s3cret", "--token=t0k", "--lr", "1"]}))
    assert rows["command"] == f"{sys.executable} train.py --api-key <redacted> --token=<redacted> --lr 1"
    rows = dict(fact_rows({"program": "train.py", "args": ["--password", "pw", "--epochs", "3"]}))
    assert rows["args"] == "--password <redacted> --epochs 3"


def tracktui_run(root: Path) -> store.RunDetail:
    proc = wrapper(root, *python("print('hi')"), "--api-key", "s3cret-value")
    proc.communicate(timeout=60)
    assert proc.returncode == 0
    return only_run(root)


def test_the_facts_tracktui_run_records(tmp_path: Path) -> None:
    rows = rows_of(tracktui_run(tmp_path / "s"))
    assert rows["command"].endswith("--api-key <redacted>")
    assert "s3cret" not in str(rows)
    assert "@" in rows["user@host"]
    assert rows["python"] == ".".join(map(str, sys.version_info[:3]))
    assert rows["CPU"].split(" × ")[0].isdigit()
    assert rows["memory"].endswith(" GiB") and rows["disk"].endswith(" GiB")


async def test_the_detail_shows_the_facts_at_80x24(tmp_path: Path) -> None:
    detail = tracktui_run(tmp_path / "s")
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_detail(pilot, detail.run_id)
        section = screen.query_one("#more-facts", Static)
        section.scroll_visible(animate=False)
        await pilot.pause()
        shown = screen_text(app)
        flat = " ".join(shown.split())  # a long interpreter path (CI's venv) wraps the command over lines
        assert "Facts" in shown and "experiment default" in flat
        assert "--api-key <redacted>" in flat and "s3cret" not in shown
        assert "CPU" in shown and "memory" in shown and "python" in shown


def test_the_machine_in_a_wandb_metadata_file_in_either_naming(tmp_path: Path) -> None:
    """wandb-core writes the metadata as protobuf JSON (camelCase, 64-bit numbers as text); the SDK
    before it wrote snake_case: both read the same."""
    import json

    from store.formats.wandb_run import WandbRun

    for n, meta in enumerate(
        [
            {
                "cpuCount": 8,
                "cpu": {"model": "Xeon"},
                "memory": {"total": "68719476736"},
                "gpuCount": 2,
                "gpuNvidia": [{"name": "NVIDIA A100"}, {"name": "NVIDIA A100"}],
                "disk": {"/": {"total": "1099511627776"}},
                "args": ["--lr", "0.1", "--api_key=k3y"],
                "program": "train.py",
            },
            {
                "cpu_count": 8,
                "cpu": {"model": "Xeon"},
                "memory": {"total": 68719476736},
                "gpu_count": 2,
                "gpu": "NVIDIA A100",
                "disk": {"/": {"total": 1099511627776}},
                "args": ["--lr", "0.1", "--api_key=k3y"],
                "program": "train.py",
            },
        ]
    ):
        folder = tmp_path / f"run-{n}" / "files"
        folder.mkdir(parents=True)
        (folder / "wandb-metadata.json").write_text(json.dumps(meta))
        run = WandbRun(str(folder.parent))
        run.update(with_records=False)
        rows = dict(fact_rows(run.facts))
        assert rows["CPU"] == "8 × Xeon" and rows["memory"] == "64.0 GiB" and rows["disk"] == "1024 GiB"
        assert rows["GPU"] == "2 × NVIDIA A100"
        assert rows["program"] == "train.py" and rows["args"] == "--lr 0.1 --api_key=<redacted>"
