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
from typing import Any, cast

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
mlflow = pytest.importorskip(
    "mlflow", reason="mlflow is not installed (pip install -e '.[bench]'); these tests start a real `mlflow server`"
)

from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Metric, Param  # noqa: E402

from store import open_store  # noqa: E402
from tests.mlflow_server import Server, start_server  # noqa: E402
from tests.mlflow_server import server_store as _store  # noqa: E402
from tests.mlflow_server import tracktui as _cli  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
OLD_MS = int((time.time() - 2 * 86400) * 1000)
BIG = os.urandom(3 << 20)
"""A 3 MB artifact: big once the tests lower the caps to 1 MB (instead of writing 64 MB)."""


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    srv = start_server(tmp_path_factory.mktemp("mlflow-ux"))
    client = MlflowClient(srv.url)
    exp = client.create_experiment("ux")
    ids = {}
    for i in range(5):
        run = client.create_run(exp, run_name=f"old-{i}", start_time=OLD_MS + i * 1000, tags={"stage": f"s{i}"})
        rid = run.info.run_id
        client.log_batch(
            rid,
            params=[Param("lr", str(0.1 * (i + 1)))],
            metrics=[
                *(Metric("loss", (i + 1) / (step + 1), OLD_MS + step, step) for step in range(30)),
                *(Metric("acc", 0.1 * i + step / 100, OLD_MS + step, step) for step in range(0, 30, 3)),
            ],
        )
        client.set_terminated(rid, "FINISHED", end_time=OLD_MS + 60_000 + i)
        ids[f"old-{i}"] = rid
    files = srv.folder / "files"
    files.mkdir()
    (files / "small.txt").write_text("small and cached\n")
    (files / "big.bin").write_bytes(BIG)
    client.log_artifact(ids["old-0"], str(files / "small.txt"))
    client.log_artifact(ids["old-0"], str(files / "big.bin"))
    recent = client.create_run(exp, run_name="recent", tags={"stage": "now"})  # the newest start the poll knows
    client.set_terminated(recent.info.run_id, "FINISHED")
    srv.ids = ids  # type: ignore[attr-defined]
    try:
        yield srv
    finally:
        srv.stop()


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


def test_several_sources_pass_resync_bulk_histories_and_artifacts_on_to_a_server(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tracktui LOCAL URL`: ctrl+r, charts and artifacts reach the server behind the multi-source table."""
    import store as tracktui_store
    from store.remote.artifacts import RemoteArtifacts

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    local = tmp_path / "local"
    tracktui_store.start_run(experiment="e", name="here", root=local).finish()
    both = open_store([str(local), server.url])
    frame = both.runs_frame()
    ids = dict(zip(frame["name"], frame["run_id"]))
    rid = server.ids["old-3"]  # type: ignore[attr-defined]
    MlflowClient(server.url).set_tag(rid, "stage", "from-multi")
    try:
        both.refresh()
        assert both.runs_frame().set_index("name").loc["old-3", "tags.stage"] == "s3"
        assert both.resync() is True
        both.refresh()
        assert both.runs_frame().set_index("name").loc["old-3", "tags.stage"] == "from-multi"
    finally:
        MlflowClient(server.url).set_tag(rid, "stage", "s3")
    both.prefetch_histories([ids["old-1"], ids["old-2"], ids["here"]], ["loss"])
    curve = both.history(ids["old-1"], ["loss"])
    expected = MlflowClient(server.url).get_metric_history(server.ids["old-1"], "loss")  # type: ignore[attr-defined]
    assert curve["value"].tolist() == [m.value for m in expected]
    assert isinstance(both.remote_artifacts(ids["old-0"]), RemoteArtifacts)
    assert both.remote_artifacts(ids["here"]) is None


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


def test_app_resync_flag_opens_from_the_cache_and_says_it_fetches_everything(server: Server) -> None:
    from tui.cli import _ask_resync, _server_start

    first = _store(server.url)
    first.refresh()
    first.save_index()
    again = _store(server.url)
    _ask_resync(again)  # what `tracktui URL --resync` does before the app starts
    notice = _server_start(again, resync=True)
    assert notice.startswith("showing the cached listing of")
    assert notice.endswith("fetching every run again (--resync)…")
    assert again.refresh() and again.served_from_cache  # the cache first; the next poll reads every run


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


def _local_store(root: Path) -> list[str]:
    """Two finished runs: pushed-1 (1,501 points, one 14-byte artifact) and pushed-2 (one point)."""
    from tests.test_mlflow_server import _local_store as two_runs

    return two_runs(root)[1]


def test_push_plain_progress_and_summary(server: Server, tmp_path: Path) -> None:
    root = tmp_path / "local"
    _local_store(root)
    out = _cli("push", str(root), server.url, "--experiment", "push-plain")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        "pushed: 2 new, 0 updated, 0 unchanged, 0 failed, 1,502 metric points, 1 artifact file (14 B)"
    )
    lines = out.stderr.strip().splitlines()
    assert lines[0].startswith("[0/2 runs] pushed-1")
    assert lines[-1] == "[2/2 runs] pushed-2: new · 1,502 points, 1 files (14 B) sent"
    assert "\x1b" not in out.stderr  # no bar, no colours: a log stays readable
    again = _cli("push", str(root), server.url, "--experiment", "push-plain")
    assert again.stdout.strip() == (
        "pushed: 0 new, 0 updated, 2 unchanged, 0 failed, 0 metric points, 0 artifact files (0 B)"
    )
    assert again.stderr.strip().splitlines()[-1].startswith("[2/2 runs] pushed-2: unchanged")


def test_push_failed_run_is_a_line_and_in_the_summary(server: Server, tmp_path: Path) -> None:
    from mlflow import MlflowClient

    import store

    root = tmp_path / "local"
    _local_store(root)
    client = MlflowClient(server.url)
    client.delete_experiment(client.create_experiment("gone-exp"))
    with store.start_run(experiment="gone-exp", name="refused", root=root) as run:
        run.log_metric("loss", 1.0)  # its experiment is deleted on the server (a name MLflow refuses is not a failure)
    out = _cli("push", str(root), server.url)
    assert out.returncode == 1
    summary = out.stdout.strip().splitlines()
    assert summary[0].startswith("pushed: 2 new, 0 updated, 0 unchanged, 1 failed, 1,502 metric points")
    assert summary[1].startswith(f"failed {run.id}: ") and len(summary) == 2
    assert any(line.startswith("[3/3 runs] refused: failed") for line in out.stderr.splitlines())


def test_push_progress_bar_on_a_terminal(server: Server, tmp_path: Path) -> None:
    import pty
    import threading

    root = tmp_path / "local"
    _local_store(root)
    master, slave = pty.openpty()
    command = [sys.executable, "-m", "tui.cli", "push", str(root), server.url, "--experiment", "push-tty"]
    proc = subprocess.Popen(
        command,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=slave,
        text=True,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"},
    )
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


# -- artifacts on demand -------------------------------------------------------------------------------


async def _wait(app: Any, pilot: Any, ready: Any) -> None:
    """Until `ready()` holds with no worker busy (bounded polling, no sleeps)."""
    from textual.worker import WorkerCancelled, WorkerFailed

    for _ in range(500):
        try:
            await app.workers.wait_for_complete()
        except (WorkerCancelled, WorkerFailed):
            pass
        await pilot.pause()
        if ready() and all(w.is_finished for w in app.workers):
            return
    raise AssertionError("the screen did not settle")


def _remote_node(screen: Any, name: str) -> Any:
    tree = screen.artifact_tree
    todo = list(tree.root.children)
    while todo:
        node = todo.pop()
        if node.data is not None and node.data.entry is not None and node.data.entry.name == name:
            return node
        todo.extend(node.children)
    return None


@pytest.fixture
def small_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    from store.remote import artifacts as mlflow_remote_artifacts

    monkeypatch.setattr(mlflow_remote_artifacts, "FILE_CAP", 1 << 20)  # big.bin is not fetched with the run


async def test_big_artifact_shows_its_size_asks_then_streams_into_the_cache(server: Server, small_caps: None) -> None:
    from tests.app_helpers import screen_text
    from tests.screen_harness import ScreenHarness
    from tui.screens.artifact_download import DownloadScreen
    from tui.screens.artifacts import ArtifactsScreen
    from tui.screens.prompt import ConfirmScreen

    store = _store(server.url)
    detail = store.run(server.ids["old-0"])  # type: ignore[attr-defined]
    assert detail.artifacts_dir is not None
    assert (detail.artifacts_dir / "small.txt").read_text() == "small and cached\n"
    assert not (detail.artifacts_dir / "big.bin").exists()
    app = ScreenHarness(lambda: ArtifactsScreen(detail, ask_above=1 << 20))
    async with app.run_test(size=(120, 30)) as pilot:
        await _wait(
            app,
            pilot,
            lambda: isinstance(app.screen, ArtifactsScreen) and _remote_node(app.screen, "big.bin") is not None,
        )
        screen = cast(ArtifactsScreen, app.screen)
        assert "on server" in screen_text(app)
        node = _remote_node(screen, "big.bin")
        assert node.data.entry.remote and node.data.entry.size == len(BIG)
        screen.artifact_tree.move_cursor(node)
        await pilot.press("enter")
        await _wait(app, pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "big.bin is 3.0 MB on the server" in screen_text(app)
        await pilot.press("escape")
        await _wait(app, pilot, lambda: app.screen is screen)
        assert not (detail.artifacts_dir / "big.bin").exists()
        await pilot.press("enter")
        await _wait(app, pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await _wait(app, pilot, lambda: app.screen is screen and screen.preview.node is not None)
        assert (detail.artifacts_dir / "big.bin").read_bytes() == BIG
        shown: Any = screen.preview.node
        assert shown.entry.path == detail.artifacts_dir / "big.bin" and not shown.entry.remote
        await _wait(
            app,
            pilot,
            lambda: (
                _remote_node(screen, "big.bin") is not None and not _remote_node(screen, "big.bin").data.entry.remote
            ),
        )
        assert "on server" not in screen_text(app)
        assert not any(isinstance(s, DownloadScreen) for s in app.screen_stack)
    partial = detail.artifacts_dir.with_name(detail.artifacts_dir.name + ".partial")
    assert not partial.exists() or not any(p.is_file() for p in partial.rglob("*"))


async def test_artifact_under_the_threshold_is_fetched_without_asking(server: Server, small_caps: None) -> None:
    from tests.screen_harness import ScreenHarness
    from tui.screens.artifacts import ArtifactsScreen

    store = _store(server.url)
    detail = store.run(server.ids["old-0"])  # type: ignore[attr-defined]
    assert detail.artifacts_dir is not None
    app = ScreenHarness(lambda: ArtifactsScreen(detail, ask_above=8 << 20))
    async with app.run_test(size=(120, 30)) as pilot:
        await _wait(
            app,
            pilot,
            lambda: isinstance(app.screen, ArtifactsScreen) and _remote_node(app.screen, "big.bin") is not None,
        )
        screen = cast(ArtifactsScreen, app.screen)
        screen.artifact_tree.move_cursor(_remote_node(screen, "big.bin"))
        await pilot.press("enter")
        await _wait(app, pilot, lambda: app.screen is screen and screen.preview.node is not None)
        assert (detail.artifacts_dir / "big.bin").read_bytes() == BIG


def test_download_cancelled_short_or_killed_never_leaves_a_whole_looking_file(server: Server, small_caps: None) -> None:
    import signal

    from store.remote.artifacts import RemoteFile
    from store.remote.http import ServerError

    store = _store(server.url)
    rid = server.ids["old-0"]  # type: ignore[attr-defined]
    store.refresh()
    remote = store.remote_artifacts(rid)
    assert remote is not None
    assert [(f.path, f.size) for f in remote.not_cached()] == [("big.bin", len(BIG)), ("small.txt", 17)]
    dest = remote.local_path("big.bin")
    seen: list[int] = []
    assert remote.download(RemoteFile("big.bin", len(BIG)), seen.append, lambda: bool(seen)) is None
    assert seen == [1 << 20] and not dest.exists()
    with pytest.raises(ServerError, match="stopped at 3,145,728 of 3,145,729 bytes"):
        remote.download(RemoteFile("big.bin", len(BIG) + 1))
    assert not dest.exists()
    child = f"""
import os, signal, sys
sys.path.insert(0, {str(REPO)!r})
from store import open_store
from store.remote.artifacts import RemoteFile
store = open_store({server.url!r})
store.refresh()
remote = store.remote_artifacts({rid!r})
remote.download(RemoteFile("big.bin", {len(BIG)}), lambda done: os.kill(os.getpid(), signal.SIGKILL))
"""
    killed = subprocess.run([sys.executable, "-c", child], cwd=REPO, capture_output=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not dest.exists()  # what the killed download wrote is outside the run's folder
    assert "big.bin" in {f.path for f in remote.not_cached()}
    assert remote.download(RemoteFile("big.bin", len(BIG))) == dest
    assert dest.read_bytes() == BIG
    assert "big.bin" not in {f.path for f in remote.not_cached()}
