"""A tracking server that stops answering, or refuses the credentials, while the app shows its runs: what
was cached is shown, and the screens say it is stale and why (a toast passes; the note stays).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from textual.worker import WorkerFailed

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
mlflow = pytest.importorskip(
    "mlflow", reason="mlflow is not installed (pip install -e '.[bench]'); these tests start a real `mlflow server`"
)

from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Metric, Param  # noqa: E402

from store.remote.http import ServerError  # noqa: E402
from store.remote.rest import MlflowServerStore  # noqa: E402
from tests.app_helpers import screen_text, settle  # noqa: E402
from tests.mlflow_server import Server, launch, start_server, wait_ready  # noqa: E402
from tui.app import make_app  # noqa: E402

ADMIN = {"MLFLOW_TRACKING_USERNAME": "admin", "MLFLOW_TRACKING_PASSWORD": "tracktui-Offline-5113"}


def _log_run(url: str, name: str) -> str:
    client = MlflowClient(url)
    run = client.create_run("0", run_name=name)
    rid = run.info.run_id
    points = [Metric("loss", 1.0 / (step + 1), 1_700_000_000_000 + step, step) for step in range(5)]
    client.log_batch(rid, params=[Param("lr", "0.25")], metrics=points)
    client.set_terminated(rid, "FINISHED")
    return rid


async def test_server_stopped_mid_session_shows_the_cached_run_and_charts_marked_stale(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "server")
    try:
        _log_run(srv.url, "kept")
        store = MlflowServerStore(srv.url)
        app = make_app(srv.url, store=store, poll_seconds=0)
        async with app.run_test(size=(140, 36)) as pilot:
            await settle(pilot)
            await pilot.press("enter")  # the run's detail: it reads the run and its histories
            await settle(pilot)
            assert "0.25" in screen_text(app) and "stale" not in screen_text(app)
            await pilot.press("escape")
            await settle(pilot)
            srv.stop()
            await pilot.press("enter")
            await settle(pilot)
            text = screen_text(app)
            assert "kept" in text and "0.25" in text  # params and metrics from the cache
            assert "stale" in text and "cannot reach" in text
            await pilot.press("p")  # charts of the run: the histories read before
            await settle(pilot)
            text = screen_text(app)
            assert "Loading metrics" not in text
            assert "loss" in text and "stale" in text
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("mlflow-auth")
    srv = wait_ready(
        launch(
            folder,
            "--app-name",
            "basic-auth",
            env={
                "MLFLOW_FLASK_SERVER_SECRET_KEY": "test-secret",
                "MLFLOW_AUTH_ADMIN_PASSWORD": ADMIN["MLFLOW_TRACKING_PASSWORD"],
            },
        )
    )
    try:
        with pytest.MonkeyPatch.context() as env:  # MLflow's client reads its credentials from the environment
            for key, value in ADMIN.items():
                env.setenv(key, value)
            _log_run(srv.url, "guarded")
        yield srv
    finally:
        srv.stop()


async def test_a_401_on_reopening_keeps_the_stale_note_in_the_table_title(auth_server: Server) -> None:
    from tui.cli import _server_start, notice_on_start

    first = MlflowServerStore(auth_server.url, env=ADMIN)
    assert [rec["name"] for rec in first.records()] == ["guarded"]
    first.save_index()
    refused = MlflowServerStore(auth_server.url, env={**ADMIN, "MLFLOW_TRACKING_PASSWORD": "changed"})
    notice = _server_start(refused)
    assert notice.startswith("showing the cached listing of")
    app = make_app(auth_server.url, store=refused, poll_seconds=0)
    async with app.run_test(size=(160, 30)) as pilot:
        await notice_on_start(notice)(pilot)  # type: ignore[arg-type]  # textual: Pilot[None] vs Pilot[object]
        await settle(pilot)
        refused._asked_at = 0.0  # the poll is rate-limited to one a few seconds; this test asks at once
        with pytest.raises(WorkerFailed, match="401"):  # the check that follows a paint from the cache
            await app.poll(force=True).wait()
        await settle(pilot)
        app._notifications.clear()  # the toast passes
        await pilot.pause()
        text = screen_text(app)
        assert "guarded" in text
        assert "stale listing" in text and "401" in text


def test_a_401_with_a_token_says_the_token_was_refused(auth_server: Server) -> None:
    store = MlflowServerStore(auth_server.url, env={"MLFLOW_TRACKING_TOKEN": "not-a-valid-token"})
    with pytest.raises(ServerError) as caught:
        store.records()
    message = str(caught.value)
    assert "401" in message and "MLFLOW_TRACKING_TOKEN" in message and "refused" in message
    assert "set MLFLOW_TRACKING" not in message
