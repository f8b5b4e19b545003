"""The W&B reader on offline runs written by the real `wandb` package, in child processes (`WANDB_MODE=offline`)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import cast

import pytest

pytest.importorskip("wandb", reason="the [wandb] extra is not installed")

import store
from store.formats.wandb_log import BLOCK, RecordLog
from store.formats.wandb_store import WandbStore
from tests.foreign_children import WANDB_RUN, copy_data, only_run_folder, run_wandb, start, step, wandb_env

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wandb_finished")
    run_wandb(
        {
            "dir": str(root),
            "project": "proj",
            "name": "first",
            "steps": 30,
            "config": {"lr": 0.01, "model": {"type": "mlp", "layers": 3}},
            "tags": ["baseline", "cpu"],
            "notes": "a note",
            "prints": ["hello from the run"],
            "summary": {"best": 0.99},
            "stats": 0.1,
        }
    )
    return root


def test_an_offline_run_lists_config_history_tags_and_state(finished_run: Path) -> None:
    reader = store.open_store(finished_run)
    assert isinstance(reader, WandbStore)
    (rec,) = reader.records()
    folder = only_run_folder(finished_run)
    assert rec["run_id"] == folder.name.rsplit("-", 1)[1]
    assert (rec["experiment"], rec["name"], rec["status"]) == ("proj", "first", "finished")
    assert rec["reason"] is None
    assert rec["params"] == {"lr": 0.01, "model.type": "mlp", "model.layers": 3}
    assert rec["tags"] == {"tags": "baseline, cpu", "notes": "a note"}
    assert rec["metrics"]["loss"]["count"] == 30
    assert rec["metrics"]["loss"]["last"] == pytest.approx(1 / 30)
    assert rec["metrics"]["nested.x"]["max"] == 29
    assert rec["created"] is not None and rec["ended"] is not None and rec["ended"] >= rec["created"]
    history = reader.history(rec["run_id"], ["loss"])
    assert list(history["step"]) == list(range(30))  # W&B's _step
    detail = reader.run(rec["run_id"])
    assert detail.status == "finished"
    assert detail.facts["summary"]["best"] == 0.99
    assert detail.facts["exit_code"] == 0
    assert detail.params["model"] == {"type": "mlp", "layers": 3}


def test_system_stats_are_metrics_under_system(finished_run: Path) -> None:
    reader = store.open_store(finished_run)
    (rec,) = reader.records()
    system = [key for key in rec["metrics"] if key.startswith("system/")]
    assert system, rec["metrics"].keys()
    history = reader.history(rec["run_id"], system[:1])
    assert list(history["step"]) == list(range(len(history)))  # steps count samples


def test_console_output_and_media_are_the_run_folders_files(finished_run: Path) -> None:
    reader = store.open_store(finished_run)
    (run_id,) = reader.run_ids()
    assert isinstance(reader, WandbStore)
    console = reader.console(run_id)
    assert console is not None and "hello from the run" in console
    detail = reader.run(run_id)
    assert detail.facts["console"].endswith("files/output.log")
    assert detail.artifacts_dir == only_run_folder(finished_run) / "files"


def test_the_wandb_folder_a_run_folder_and_latest_run_open_the_same_run(finished_run: Path) -> None:
    """`latest-run` first: its listing cache is the run folder's (same resolved path), which hid a bug."""
    ids = {
        str(p): store.open_store(p).run_ids()
        for p in (
            finished_run / "wandb" / "latest-run",
            finished_run,
            finished_run / "wandb",
            only_run_folder(finished_run),
        )
    }
    assert len({tuple(v) for v in ids.values()}) == 1, ids


def test_a_failed_run_says_failed(big_run: Path) -> None:
    (rec,) = store.open_store(big_run).records()
    assert rec["status"] == "failed"
    assert store.open_store(big_run).run(rec["run_id"]).facts["exit_code"] == 3


def test_a_live_run_is_tailed_and_a_killed_one_is_crashed(tmp_path: Path) -> None:
    """wandb-core writes its log behind the script (in blocks, flushed every few seconds), so records
    show as it writes them; a record split across blocks is read once its last part is written."""
    child = start(WANDB_RUN, f'{{"dir": "{tmp_path}", "steps": 600, "live": true}}', env=wandb_env())
    try:
        assert step(child, 0) == 600
        reader = store.open_store(tmp_path)
        (run_id,) = reader.run_ids()
        assert reader.run(run_id).status == "running"
        first = reader.records()[0]["metrics"].get("loss", {}).get("count", 0)
        state = next(iter(cast(WandbStore, reader)._tails._items.values()))
        log, offset_before = state.log, state.log.offset if state.log is not None else 0
        assert step(child, 2000) == 2600
        deadline = time.monotonic() + 60
        while reader.records()[0]["metrics"].get("loss", {}).get("count", 0) <= first:
            assert time.monotonic() < deadline, "no new history on refresh within 60 s"
            time.sleep(0.05)  # wandb-core writes on its own time: poll as the app does
            reader.refresh()
        # went on from where it stopped
        assert state.log is log is not None and cast(RecordLog, state.log).offset > offset_before
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    reader.refresh()
    rec = reader.records()[0]
    assert rec["status"] == "running"  # no exit record
    wandb = cast(WandbStore, reader)
    assert wandb.liveness(rec, time.time() + wandb.stale_seconds + 1) == "crashed"


@pytest.fixture(scope="module")
def big_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A failed run (exit code 3) whose log spans several 32 KiB blocks (records split across them)."""
    root = tmp_path_factory.mktemp("wandb_big")
    run_wandb({"dir": str(root), "steps": 400, "exit_code": 3})
    return root


@pytest.mark.parametrize("which", ["small", "big"])
def test_a_truncated_log_reads_every_complete_record(
    finished_run: Path, big_run: Path, tmp_path: Path, which: str
) -> None:
    log = next(only_run_folder(finished_run if which == "small" else big_run).glob("*.wandb"))
    data = log.read_bytes()
    whole = RecordLog(str(log)).read_new()
    cuts = list(range(0, len(data), max(1, len(data) // 60)))
    cuts += [b + d for b in range(BLOCK, len(data), BLOCK) for d in (-8, -7, -6, -1, 0, 1, 7, 8)]
    for cut in cuts:
        part = tmp_path / "cut.wandb"
        part.write_bytes(data[:cut])
        tail = RecordLog(str(part))
        got = tail.read_new()
        assert whole[: len(got)] == got and tail.skipped == 0
        with part.open("ab") as fh:
            fh.write(data[cut:])
        assert got + tail.read_new() == whole, cut


def test_a_damaged_chunk_is_skipped_to_the_next_block_and_noted(big_run: Path, tmp_path: Path) -> None:
    shutil.copytree(big_run, tmp_path / "copy", symlinks=True)
    log = next(only_run_folder(tmp_path / "copy").glob("*.wandb"))
    data = bytearray(log.read_bytes())
    assert len(data) > 2 * BLOCK
    data[100] ^= 0xFF  # a payload byte of an early record in block 0
    log.write_bytes(bytes(data))
    reader = store.open_store(tmp_path / "copy")
    (rec,) = reader.records()
    assert rec["status"] == "failed"  # the exit record, blocks later, was still read
    assert rec["reason"] is not None and "damaged record" in rec["reason"]
    assert 0 < rec["metrics"]["loss"]["count"] < 400


async def test_a_wandb_run_in_the_app(finished_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.app_helpers import demo_app, screen_text, settle, shown_names
    from tests.mlflow_fixtures import tree_snapshot
    from tui.screens.detail import DetailScreen

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    before = tree_snapshot(finished_run)
    app = demo_app(finished_run)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert shown_names(app) == ["first"]
        text = screen_text(app)
        assert "wandb" in text and "best" in text  # `best` is in the summary only: a column of one point
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        text = screen_text(app)
        assert "finished" in text and "mlp" in text and "loss" in text and "proj" in text
        await pilot.press("5")  # the console tab: what W&B kept in files/output.log
        await settle(pilot)
        assert "hello from the run" in screen_text(app)
    assert tree_snapshot(finished_run) == before  # read-only: nothing written into the W&B folder


def test_tracktui_logs_prints_a_wandb_runs_console(finished_run: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", "logs", str(finished_run), "first"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "hello from the run" in done.stdout


BLOCK_WANDB = "import sys; sys.modules['wandb'] = None\n"


def test_without_the_extra_runs_list_from_their_files_and_say_what_to_install(finished_run: Path) -> None:
    files = only_run_folder(finished_run) / "files"
    # What an online run (or `wandb sync`) leaves beside the log: W&B's config.yaml shape.
    (files / "config.yaml").write_text("_wandb:\n  value: {}\nlr:\n  desc: null\n  value: 0.01\n")
    (files / "wandb-summary.json").write_text('{"loss": 0.5}')
    try:
        code = BLOCK_WANDB + (
            "import json, store\n"
            "rec = store.open_store(sys.argv[1]).records()[0]\n"
            "print(json.dumps([rec['params'], rec['reason'], rec['status'], rec['metrics']]))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, str(finished_run)],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=60,
            check=True,
        )
    finally:
        (files / "config.yaml").unlink()
        (files / "wandb-summary.json").unlink()
    import json

    params, reason, status, metrics = json.loads(done.stdout)
    assert params == {"lr": 0.01}
    assert "pip install 'tracktui[wandb]'" in reason
    assert status == "running" and metrics == {"loss": {"last": 0.5, "min": 0.5, "max": 0.5, "count": 1}}


def test_a_resumed_run_lists_each_folder_once_with_the_newest_under_the_w_and_b_id(
    finished_run: Path, tmp_path: Path
) -> None:
    source = only_run_folder(finished_run)
    prefix, stamp, run_id = source.name.rsplit("-", 2)
    day, clock = stamp.split("_")
    (tmp_path / "wandb").mkdir()
    shutil.copytree(source, tmp_path / "wandb" / source.name)
    later = f"{prefix}-{int(day) + 1}_{clock}-{run_id}"  # `wandb.init(id=..., resume=...)` the next day
    shutil.copytree(source, tmp_path / "wandb" / later)
    reader = store.open_store(tmp_path)
    assert sorted(reader.run_ids()) == sorted([run_id, f"{run_id}-{stamp}"])
    assert reader.run(run_id).facts["path"].endswith(later)


# -- runs checked in (tests/data/foreign/wandb-runs, see its README) -----------------------------

WANDB_DATA = REPO / "tests" / "data" / "foreign" / "wandb-runs"
COPIED_AT = 1_900_000_000.0
"""A copy's file times (2030): nothing may take a run's times from them."""


def copied(name: str, tmp_path: Path) -> Path:
    return copy_data(f"wandb-runs/{name}", tmp_path, COPIED_AT)


def test_times_come_from_the_records_never_from_the_files_times(tmp_path: Path) -> None:
    """Old code: a crashed run (no exit record), and one whose exit record's runtime is 0 with no history
    or system sample (`instant`), ended at the log's mtime, here 3 years after they started."""
    for name in ("finished", "short", "instant", "crashed"):
        reader = store.open_store(copied(name, tmp_path))
        (row,) = reader.runs_frame().to_dict("records")
        assert row["status"] == ("crashed" if name == "crashed" else "finished"), name
        assert 0 <= row["duration"] < 60, (name, row["duration"])
        detail = reader.run(row["run_id"])
        assert detail.duration is not None and 0 <= detail.duration < 60, name


def test_a_run_folder_without_its_log_lists_its_summary_as_a_finished_run(tmp_path: Path) -> None:
    """Old code: `running` forever with no metrics, created from the folder's name read as local time (8 h off)."""
    reader = store.open_store(copied("synced", tmp_path))
    (rec,) = reader.records()
    assert reader.status_of(rec) == "finished" and "wandb-summary.json" in (rec["reason"] or "")
    assert {k: rec["metrics"][k]["last"] for k in ("loss", "acc", "best")} == {"loss": 0.2, "acc": 0.4, "best": 0.9}
    assert rec["created"] == pytest.approx(1796633812.723022)  # wandb-metadata.json's startedAt, UTC
    assert rec["ended"] == pytest.approx(1796633814.7264397)  # the summary's _timestamp
    assert rec["params"]["lr"] == 0.1 and rec["user"] == "root"


def test_a_damaged_log_says_damaged_not_missing_package_and_shows_what_files_say(tmp_path: Path) -> None:
    """Old code: "history and run state need the wandb package", status `running`."""
    root = copied("synced", tmp_path)
    (folder,) = (root / "wandb").iterdir()
    log = next((WANDB_DATA / "finished" / "wandb").glob("*/run-*.wandb"))
    (folder / log.name).write_bytes(b"XXXX" + log.read_bytes()[4:])
    reader = store.open_store(root)
    (rec,) = reader.records()
    assert reader.status_of(rec) == "damaged"
    assert "is damaged" in (rec["reason"] or "") and "package" not in (rec["reason"] or "")
    assert rec["metrics"]["loss"]["last"] == 0.2 and rec["created"] == pytest.approx(1796633812.723022)


def test_a_time_past_any_clock_in_the_summary_is_left_out_not_the_run(tmp_path: Path) -> None:
    """Old code: a `_timestamp` of 1e308 became the run's end and heartbeat; the listing refuses such a
    record, so the whole run showed as damaged ("a record of the wrong shape")."""
    import json

    root = copied("synced", tmp_path)
    (summary,) = root.glob("wandb/*/files/wandb-summary.json")
    data = json.loads(summary.read_text())
    summary.write_text(json.dumps({**data, "_timestamp": 1e308}))
    reader = store.open_store(root)
    (rec,) = reader.records()
    assert reader.status_of(rec) == "finished" and rec["metrics"]["loss"]["last"] == 0.2
    assert rec["ended"] == pytest.approx(1796633812.723022 + 1.668907056)  # startedAt + the summary's _runtime


WANDB_IMAGES_LIVE = r"""
import sys, numpy as np, wandb
run = wandb.init(project="proj", name="live", dir=sys.argv[1], settings=wandb.Settings(x_disable_stats=True))
step = 0
print("ready", step, flush=True)
for line in sys.stdin:
    for _ in range(int(line)):
        pixels = np.full((2, 3, 3), step * 20, dtype=np.uint8)
        run.log({"samples": wandb.Image(pixels, caption=f"s{step}"), "loss": 1.0 / (step + 1)}, step=step * 10,
                commit=True)
        step += 1
    run.summary["pad"] = "x" * 70000  # fills wandb-core's 32 KiB blocks: what came before is written now
    print("ready", step, flush=True)
"""


def _image_steps(root: Path, want: int) -> list[int]:
    """The steps a fresh reader lists images at, once it sees `want` of them (wandb-core writes behind the script)."""
    deadline = time.monotonic() + 60
    while True:
        reader = store.open_store(root)
        steps = [step for step, _ in reader.run(reader.run_ids()[0]).media().get("samples", [])]
        if len(steps) >= want:
            return steps
        assert time.monotonic() < deadline, f"{len(steps)} of {want} images listed within 60 s"
        time.sleep(0.05)  # poll the files as the app does


async def test_a_live_runs_images_appear_on_reload_and_stay_after_a_kill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real writer logs images while the images view is open: `r` lists the new steps; SIGKILLed, the run
    keeps them. Old code listed no W&B images."""
    from tests.app_helpers import demo_app, settle
    from tui.screens.media import MediaScreen
    from tui.widgets.media_pane import MediaPane

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    child = start(WANDB_IMAGES_LIVE, str(tmp_path), env=wandb_env())
    try:
        assert step(child, 0) == 0
        assert step(child, 2) == 2
        assert _image_steps(tmp_path, 2) == [0, 10]
        app = demo_app(tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("i")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, MediaScreen) and screen.steps == [0, 10]
            assert step(child, 3) == 5
            assert _image_steps(tmp_path, 5) == [0, 10, 20, 30, 40]
            await pilot.press("r", "end", "left")
            await settle(pilot)
            (pane,) = screen.query(MediaPane)
            assert screen.steps == [0, 10, 20, 30, 40] and screen.step == 30 and pane.shown_step == 30
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert _image_steps(tmp_path, 5) == [0, 10, 20, 30, 40]
