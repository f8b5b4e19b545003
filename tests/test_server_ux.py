"""A real `mlflow server` seen from the app and the command line: re-sync (ctrl+r, --resync), charts of
many runs read in bulk, big artifacts downloaded on demand, and `tracktui push`'s progress and summary.

One server per test session (per xdist worker); the runs it holds are old (started and ended two days
ago) but one, so the incremental poll cannot see an edit of them: only a re-sync can.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
mlflow = pytest.importorskip("mlflow", reason="mlflow is not installed (pip install -e '.[bench]'); "
                             "these tests start a real `mlflow server`")

from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Metric, Param  # noqa: E402

from store import open_store  # noqa: E402
from store.mlflow_rest import MlflowServerStore  # noqa: E402
from tests.mlflow_server import Server, start_server  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
OLD_MS = int((time.time() - 2 * 86400) * 1000)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    srv = start_server(tmp_path_factory.mktemp("mlflow-ux"))
    client = MlflowClient(srv.url)
    exp = client.create_experiment("ux")
    ids = {}
    for i in range(5):
        run = client.create_run(exp, run_name=f"old-{i}", start_time=OLD_MS + i * 1000,
                                tags={"stage": f"s{i}"})
        rid = run.info.run_id
        client.log_batch(rid, params=[Param("lr", str(0.1 * (i + 1)))], metrics=[
            *(Metric("loss", (i + 1) / (step + 1), OLD_MS + step, step) for step in range(30)),
            *(Metric("acc", 0.1 * i + step / 100, OLD_MS + step, step) for step in range(0, 30, 3))])
        client.set_terminated(rid, "FINISHED", end_time=OLD_MS + 60_000 + i)
        ids[f"old-{i}"] = rid
    recent = client.create_run(exp, run_name="recent", tags={"stage": "now"})  # the newest start the poll knows
    client.set_terminated(recent.info.run_id, "FINISHED")
    srv.ids = ids  # type: ignore[attr-defined]
    try:
        yield srv
    finally:
        srv.stop()


def _store(url: str, **kwargs: Any) -> MlflowServerStore:
    store = open_store(url, **kwargs)
    assert isinstance(store, MlflowServerStore)
    return store


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


# -- re-sync ---------------------------------------------------------------------------------------


async def test_ctrl_r_shows_a_tag_edited_on_an_old_run(server: Server) -> None:
    from tests.app_helpers import screen_text, settle
    from tui.app import make_app

    rid = server.ids["old-2"]  # type: ignore[attr-defined]
    store = _store(server.url)
    app = make_app(server.url, store=store, poll_seconds=0)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        assert "s2" in screen_text(app)
        client = MlflowClient(server.url)
        client.set_tag(rid, "stage", "edited-later")
        client.log_param(rid, "wd", "0.01")  # params cannot change in MLflow, but an old run can get new ones
        app.poll(force=True)
        await settle(pilot)
        assert "edited-later" not in screen_text(app)  # the incremental poll does not see old runs
        await pilot.press("ctrl+r")
        await settle(pilot)
        text = screen_text(app)
        assert "edited-later" in text and "s2" not in text
        assert store.records() and next(r for r in store.records() if r["run_id"] == rid)["params"]["wd"] == "0.01"
        messages = [n.message for n in app._notifications]
        assert any(m.startswith(f"Re-synced {server.url}: 6 runs, 1 changed") for m in messages), messages
    MlflowClient(server.url).set_tag(rid, "stage", "s2")


async def test_ctrl_r_on_a_local_store_says_there_is_nothing_to_fetch(tmp_path: Path) -> None:
    from tests.app_helpers import demo_app, demo_store, settle
    from tui.app import RESYNC_NOT_NEEDED

    app = demo_app(demo_store(tmp_path / "demo"))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert [n.message for n in app._notifications][-1] == RESYNC_NOT_NEEDED


async def test_resync_is_in_the_palette_and_the_help(tmp_path: Path) -> None:
    from tests.app_helpers import demo_app, demo_store, screen_text, settle

    app = demo_app(demo_store(tmp_path / "demo"))
    async with app.run_test(size=(120, 100)) as pilot:  # tall: the app's keys come last in the help
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Re-sync" in titles
        await pilot.press("question_mark")
        await pilot.pause()
        assert "Re-sync" in screen_text(app) and "app.resync" in screen_text(app)


def test_ls_resync_flag(server: Server, tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    rid = server.ids["old-4"]  # type: ignore[attr-defined]
    first = _cli("ls", server.url, "--columns", "name,tags.stage", "--tsv", env=env)
    assert first.returncode == 0, first.stderr
    assert "old-4\ts4" in first.stdout
    MlflowClient(server.url).set_tag(rid, "stage", "from-ls")
    try:
        plain = _cli("ls", server.url, "--columns", "name,tags.stage", "--tsv", env=env)
        assert "old-4\ts4" in plain.stdout  # from the cache, kept current by the incremental poll only
        again = _cli("ls", server.url, "--resync", "--columns", "name,tags.stage", "--tsv", env=env)
        assert again.returncode == 0, again.stderr
        assert "old-4\tfrom-ls" in again.stdout
    finally:
        MlflowClient(server.url).set_tag(rid, "stage", "s4")
    local = _cli("ls", str(tmp_path / "empty"), "--resync", env=env)
    (tmp_path / "empty").mkdir()
    local = _cli("ls", str(tmp_path / "empty"), "--resync", env=env)
    assert local.returncode == 0, local.stderr
    assert local.stderr.strip().endswith("is re-read as it changes; nothing more to fetch")
    assert len(local.stderr.strip().splitlines()) == 1


# -- charts of many runs -----------------------------------------------------------------------------


async def test_charts_of_several_server_runs_read_histories_in_bulk(server: Server) -> None:
    from tests.screen_harness import ScreenHarness, settle_until
    from tui.screens.charts import ChartsScreen

    store = _store(server.url)
    store.refresh()
    run_ids = [server.ids[f"old-{i}"] for i in range(5)]  # type: ignore[attr-defined]
    asked: list[tuple[str, Any]] = []
    get = store.client.get

    def spy(endpoint: str, params: Any = None, ajax: bool = False) -> dict[str, Any]:
        asked.append((endpoint, params))
        return get(endpoint, params, ajax)

    store.client.get = spy  # type: ignore[method-assign]
    app = ScreenHarness(lambda: ChartsScreen(store, run_ids, refresh_interval=3600))  # as `p` on marked runs
    async with app.run_test(size=(140, 40)) as pilot:
        await settle_until(app, pilot, lambda s: isinstance(s, ChartsScreen) and s.draws > 0)
        screen = app.screen
        assert isinstance(screen, ChartsScreen)
        client = MlflowClient(server.url)
        assert screen.selected
        for rid in run_ids:
            for key in screen.selected:
                theirs = sorted((m.step, m.value) for m in client.get_metric_history(rid, key))
                series = screen.histories.series[(rid, key)]
                assert list(zip(series.step.tolist(), series.value.tolist())) == theirs
    singles = [p for e, p in asked if e == "metrics/get-history"]
    bulk = [p for e, p in asked if e == "metrics/get-history-bulk"]
    assert not singles
    assert sorted(len(p["run_id"]) for p in bulk) == [1, 1, 4, 4]  # the first run alone, then the other four


# -- push: progress and summary ---------------------------------------------------------------------


def _local_store(root: Path, bad_metric: bool = False) -> list[str]:
    import store

    (root.parent / "a.txt").write_text("artifact body\n")
    ids = []
    with store.start_run(experiment="local-exp", name="pushed-1", root=root) as run:
        run.log_params({"degree": 2})
        for step in range(1500):  # more than one log-batch of metrics
            run.log_metric("mse", 4.0 / (step + 1), step=step)
        run.log_metric("acc", 0.75, step=3)
        run.log_artifact(root.parent / "a.txt")
        ids.append(run.id)
    with store.start_run(experiment="local-exp", name="pushed-2", root=root) as run:
        run.log_params({"degree": 3})
        run.log_metric("mse", 9.0)
        if bad_metric:
            run.log_metric("what?", 1.0)  # MLflow refuses `?` in a metric name
        ids.append(run.id)
    return ids


def test_push_plain_progress_and_summary(server: Server, tmp_path: Path) -> None:
    root = tmp_path / "local"
    _local_store(root)
    out = _cli("push", str(root), server.url, "--experiment", "push-plain")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ("pushed: 2 new, 0 updated, 0 unchanged, 0 failed, 1,502 metric points, "
                                  "1 artifact file (14 B)")
    lines = out.stderr.strip().splitlines()
    assert lines[0].startswith("[0/2 runs] pushed-1")
    assert lines[-1] == "[2/2 runs] pushed-2: new · 1,502 points, 1 files (14 B) sent"
    assert "\x1b" not in out.stderr  # no bar, no colours: a log stays readable
    again = _cli("push", str(root), server.url, "--experiment", "push-plain")
    assert again.stdout.strip() == ("pushed: 0 new, 0 updated, 2 unchanged, 0 failed, 0 metric points, "
                                    "0 artifact files (0 B)")
    assert again.stderr.strip().splitlines()[-1].startswith("[2/2 runs] pushed-2: unchanged")


def test_push_failed_run_is_a_line_and_in_the_summary(server: Server, tmp_path: Path) -> None:
    root = tmp_path / "local"
    ids = _local_store(root, bad_metric=True)
    out = _cli("push", str(root), server.url, "--experiment", "push-failing")
    assert out.returncode == 1
    summary = out.stdout.strip().splitlines()
    assert summary[0].startswith("pushed: 1 new, 0 updated, 0 unchanged, 1 failed, 1,501 metric points")
    assert summary[1].startswith(f"failed {ids[1]}: ")
    assert any(line.startswith("[2/2 runs] pushed-2: failed") for line in out.stderr.splitlines())


def test_push_progress_bar_on_a_terminal(server: Server, tmp_path: Path) -> None:
    import pty
    import threading

    root = tmp_path / "local"
    _local_store(root)
    master, slave = pty.openpty()
    command = [sys.executable, "-m", "tui.cli", "push", str(root), server.url, "--experiment", "push-tty"]
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=slave, text=True,
                            env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"})
    os.close(slave)
    seen = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal (EIO)
                return
            if not chunk:
                return
            seen.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        stdout, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(timeout=30)
    os.close(master)
    assert proc.returncode == 0
    assert stdout.strip().startswith("pushed: 2 new, 0 updated, 0 unchanged, 0 failed, 1,502 metric points")
    shown = seen.decode("utf-8", "replace")
    assert "pushing" in shown and "2/2" in shown and "runs" in shown
    assert "━" in shown  # the bar itself
    assert "[2/2 runs]" not in shown  # not the plain lines
