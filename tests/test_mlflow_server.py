"""Reading a real `mlflow server` through REST: listing, histories, artifacts, auth, failures, the app.

One server per test session (per xdist worker) holds the data; tests that stop a server or
need auth start their own small one.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # no background thread, no network, no env juggling
os.environ.setdefault("DO_NOT_TRACK", "true")
mlflow = pytest.importorskip(
    "mlflow", reason="mlflow is not installed (pip install -e '.[bench]'); these tests start a real `mlflow server`"
)

from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Experiment, Metric, Param, ViewType  # noqa: E402

from store import open_store  # noqa: E402
from store.remote.http import ServerError  # noqa: E402
from store.remote.rest import MlflowServerStore  # noqa: E402
from tests.mlflow_server import Server, launch, wait_ready  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


ADMIN = {"MLFLOW_TRACKING_USERNAME": "admin", "MLFLOW_TRACKING_PASSWORD": "tracktui-Test-8421"}


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The data server, one to stop mid-session and one with basic auth, started together."""
    folder = tmp_path_factory.mktemp("mlflow-servers")
    started = [
        launch(folder / "data"),
        launch(folder / "doomed", "--allowed-hosts", "localhost:*"),
        launch(
            folder / "auth",
            "--app-name",
            "basic-auth",
            env={
                "MLFLOW_FLASK_SERVER_SECRET_KEY": "test-secret",
                "MLFLOW_AUTH_ADMIN_PASSWORD": ADMIN["MLFLOW_TRACKING_PASSWORD"],
            },
        ),
    ]
    try:
        yield {name: wait_ready(srv) for name, srv in zip(("data", "doomed", "auth"), started)}
    finally:
        for srv in started:
            srv.stop()


@pytest.fixture(scope="session")
def server(servers: dict[str, Server]) -> Any:
    srv = servers["data"]
    client = MlflowClient(srv.url)
    exp_a = client.create_experiment("alpha")
    exp_b = client.create_experiment("beta")
    src = srv.folder / "src"
    (src / "sub").mkdir(parents=True)
    (src / "notes.txt").write_text("hello\n")
    (src / "sub" / "blob.bin").write_bytes(bytes(range(256)) * 40)
    ids = {}
    for i, (exp, status) in enumerate([(exp_a, "FINISHED"), (exp_a, "FAILED"), (exp_b, "FINISHED"), (exp_b, "KILLED")]):
        run = client.create_run(exp, run_name=f"run-{i}", tags={"team": "x" if i % 2 else "y"})
        rid = run.info.run_id
        client.log_batch(
            rid,
            params=[Param("lr", str(0.1 * (i + 1))), Param("depth", str(i))],
            metrics=[
                *(Metric("loss", 1.0 / (step + 1 + i), 1_700_000_000_000 + step, step) for step in range(40)),
                Metric("acc", float("nan") if i == 3 else 0.5 + i / 10, 1_700_000_000_000, 0),
            ],
        )
        if i == 0:
            client.log_artifact(rid, str(src / "notes.txt"))
            client.log_artifact(rid, str(src / "sub"), "folder")
        client.set_terminated(rid, status)
        ids[f"run-{i}"] = rid
    running = client.create_run(exp_a, run_name="live")
    client.log_metric(running.info.run_id, "loss", 3.0, step=0)
    ids["live"] = running.info.run_id
    gone = client.create_run(exp_b, run_name="gone")
    client.delete_run(gone.info.run_id)
    ids["gone"] = gone.info.run_id
    srv.ids = ids  # type: ignore[attr-defined]
    return srv


def _store(url: str, **kwargs: Any) -> MlflowServerStore:
    store = open_store(url, **kwargs)
    assert isinstance(store, MlflowServerStore)
    return store


def test_listing_equals_search_runs(server: Server) -> None:
    client = MlflowClient(server.url)
    exp_ids = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
    theirs = {r.info.run_id: r for r in client.search_runs(exp_ids, run_view_type=ViewType.ACTIVE_ONLY)}
    ours = {rec["run_id"]: rec for rec in _store(server.url).records()}
    assert set(ours) == set(theirs)
    assert server.ids["gone"] not in ours  # type: ignore[attr-defined]
    for rid, run in theirs.items():
        rec = ours[rid]
        assert rec["name"] == run.info.run_name
        assert (
            rec["status"]
            == {"FINISHED": "finished", "FAILED": "failed", "KILLED": "killed", "RUNNING": "running"}[run.info.status]
        )
        assert rec["created"] == run.info.start_time / 1000
        assert rec["ended"] == (run.info.end_time / 1000 if run.info.end_time else None)
        assert rec["params"] == run.data.params
        assert rec["tags"] == {k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.")}
        assert rec["experiment"] == client.get_experiment(run.info.experiment_id).name
        for key, value in run.data.metrics.items():
            last = rec["metrics"][key]["last"]
            assert (last is None and math.isnan(value)) or last == value
    deleted = _store(server.url, include_deleted=True).records()
    assert server.ids["gone"] in {rec["run_id"] for rec in deleted}  # type: ignore[attr-defined]


def test_histories_equal_get_metric_history(server: Server) -> None:
    client = MlflowClient(server.url)
    store = _store(server.url)
    for rid in list(server.ids.values())[:4]:  # type: ignore[attr-defined]
        frame = store.history(rid)
        for key in ("loss", "acc"):
            theirs = sorted((m.step, m.timestamp / 1000, m.value) for m in client.get_metric_history(rid, key))
            part = frame[frame["key"] == key]
            ours = sorted(zip(part["step"], part["time"], part["value"]))
            assert len(ours) == len(theirs)
            for a, b in zip(ours, theirs):
                assert a[:2] == b[:2]
                assert (math.isnan(a[2]) and math.isnan(b[2])) or a[2] == b[2]


def test_artifacts_download_byte_identical(server: Server, tmp_path: Path) -> None:
    rid = server.ids["run-0"]  # type: ignore[attr-defined]
    detail = _store(server.url).run(rid)
    assert detail.artifacts_dir is not None
    theirs = Path(mlflow.artifacts.download_artifacts(run_id=rid, tracking_uri=server.url, dst_path=str(tmp_path)))
    files = sorted(p.relative_to(theirs).as_posix() for p in theirs.rglob("*") if p.is_file())
    assert files == ["folder/sub/blob.bin", "notes.txt"] or files == ["folder/blob.bin", "notes.txt"]
    for rel in files:
        assert (detail.artifacts_dir / rel).read_bytes() == (theirs / rel).read_bytes()
    assert detail.metrics["loss"]["count"] == 40 and detail.metrics["loss"]["max"] == 1.0


def test_incremental_poll_and_cache(server: Server) -> None:
    client = MlflowClient(server.url)
    store = _store(server.url)
    before = {rec["run_id"]: rec for rec in store.records()}
    exp = cast(Experiment, client.get_experiment_by_name("alpha")).experiment_id
    late = client.create_run(exp, run_name="late")
    client.log_metric(late.info.run_id, "loss", 0.5)
    client.log_metric(server.ids["live"], "loss", 2.0, step=1)  # type: ignore[attr-defined]
    store._asked_at = 0.0  # the poll is rate-limited to one a few seconds; this test asks at once
    changed = store.refresh()
    assert late.info.run_id in changed and server.ids["live"] in changed  # type: ignore[attr-defined]
    after = {rec["run_id"]: rec for rec in store.records()}
    assert after[server.ids["live"]]["metrics"]["loss"]["last"] == 2.0  # type: ignore[attr-defined]
    assert set(after) == set(before) | {late.info.run_id}
    client.set_terminated(late.info.run_id)
    store._asked_at = 0.0
    assert late.info.run_id in store.refresh()
    assert store._listed(late.info.run_id)["status"] == "finished"
    store.save_index()
    cached = _store(server.url)
    cached.cache_first = True
    age = cached.cache_age()
    assert age is not None and age >= 0
    assert {rec["run_id"]: rec for rec in cached.records()} == {rec["run_id"]: rec for rec in store.records()}
    assert cached.served_from_cache
    client.delete_run(late.info.run_id)
    cached.resync()
    cached.refresh()
    assert late.info.run_id not in {rec["run_id"] for rec in cached.records()}


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_ls_url_and_a_404_url(server: Server) -> None:
    out = _cli("ls", server.url, "--filter", "metrics.loss < 0.05", "--columns", "name")
    assert out.returncode == 0, out.stderr
    assert sorted(out.stdout.split()[1:]) == ["run-0", "run-1", "run-2", "run-3"]
    bad = _cli("ls", server.url + "/not-mlflow")
    assert bad.returncode == 2
    assert "not an MLflow tracking server" in bad.stderr
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_tracking_uri_is_the_default_store(server: Server, tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main(['ls', '--columns', 'name']))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO), "MLFLOW_TRACKING_URI": server.url, "TRACKTUI_STORE": ""},
    )
    assert out.returncode == 0, out.stderr
    assert "run-2" in out.stdout


def test_server_stopped_mid_session(servers: dict[str, Server]) -> None:
    srv = servers["doomed"]
    by_name = srv.url.replace("127.0.0.1", "localhost")  # the only host this server allows
    try:
        with pytest.raises(ServerError, match=r"--allowed-hosts 127\.0\.0\.1"):  # MLflow 3.x's DNS-rebinding guard
            _store(srv.url).records()
        client = MlflowClient(by_name)
        client.create_run("0", run_name="only")
        store = _store(by_name)
        assert [rec["name"] for rec in store.records()] == ["only"]
    finally:
        srv.stop()
    store._asked_at = 0.0
    with pytest.raises(ServerError, match="cannot reach the MLflow server"):
        store.refresh()
    assert [rec["name"] for rec in store.records()] == ["only"]  # the listing stays
    assert store.refresh() == set()  # backing off: no second error at the next poll
    out = _cli("ls", by_name)
    assert out.returncode == 2 and "cannot reach the MLflow server" in out.stderr and "Traceback" not in out.stderr


def test_basic_auth_accepted_and_refused(servers: dict[str, Server]) -> None:
    srv = servers["auth"]
    if True:
        good = dict(ADMIN)
        client_env = dict(good)
        old = {k: os.environ.get(k) for k in good}
        os.environ.update(client_env)
        try:
            MlflowClient(srv.url).create_run("0", run_name="secret")
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        store = MlflowServerStore(srv.url, env=good)
        assert [rec["name"] for rec in store.records()] == ["secret"]
        refused = MlflowServerStore(srv.url, env={**good, "MLFLOW_TRACKING_PASSWORD": "wrong"})
        with pytest.raises(ServerError, match="refused the credentials"):
            refused.records()
        out = _cli("ls", srv.url, env={"MLFLOW_TRACKING_USERNAME": "admin", "MLFLOW_TRACKING_PASSWORD": "nope"})
        assert out.returncode == 2 and "MLFLOW_TRACKING_PASSWORD" in out.stderr and "Traceback" not in out.stderr


async def test_app_opens_a_server_then_from_its_cache(server: Server) -> None:
    from tests.app_helpers import screen_text, settle, shown_names
    from tui.app import make_app
    from tui.cli import _server_start, notice_on_start

    store = _store(server.url)
    assert _server_start(store) == ""  # no cache yet: one request checks the server, the app lists it
    app = make_app(server.url, store=store, poll_seconds=0)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert {"run-0", "run-1", "run-2", "run-3", "live"} <= set(shown_names(app))
        assert server.url in screen_text(app)  # the bar names the URL as given (`http:/host` before)
    cached = _store(server.url)
    notice = _server_start(cached)
    assert notice.startswith("showing the cached listing of")
    app = make_app(server.url, store=cached, poll_seconds=0)
    async with app.run_test(size=(120, 30)) as pilot:
        # what `tracktui URL` runs as the app starts (textual types its hook Pilot[object], run_test Pilot[None])
        await notice_on_start(notice)(pilot)  # type: ignore[arg-type]
        await settle(pilot)
        assert cached.served_from_cache
        assert {"run-0", "run-1", "run-2", "run-3", "live"} <= set(shown_names(app))
        assert any(n.message == notice for n in app._notifications)


def _local_store(root: Path) -> tuple[Path, list[str]]:
    import store

    (root.parent / "a.txt").write_text("artifact body\n")
    ids = []
    with store.start_run(experiment="local-exp", name="pushed-1", root=root) as run:
        run.log_params({"degree": 2, "model": {"type": "linreg"}})
        run.set_tags({"stage": "dev"})
        for step in range(1500):  # more than one log-batch of metrics
            run.log_metric("mse", 4.0 / (step + 1), step=step)
        run.log_metric("acc", 0.75, step=3)
        run.log_artifact(root.parent / "a.txt")
        ids.append(run.id)
    with store.start_run(experiment="local-exp", name="pushed-2", root=root) as run:
        run.log_params({"degree": 3})
        run.log_metric("mse", 9.0)
        ids.append(run.id)
    return root, ids


def test_push_round_trip_and_again_without_duplicates(server: Server, tmp_path: Path) -> None:
    from store.remote.push import MAP_FILE

    root, ids = _local_store(tmp_path / "local")
    out = _cli("push", str(root), server.url, "--experiment", "from-tracktui")
    assert out.returncode == 0, out.stderr
    assert "2 new" in out.stdout
    local = open_store(root)
    remote = _store(server.url)
    by_source = {
        rec["tags"].get("tracktui.run_id"): rec for rec in remote.records() if rec["experiment"] == "from-tracktui"
    }
    assert set(by_source) == set(ids)
    for run_id in ids:
        mine, theirs = local.run(run_id), by_source[run_id]
        assert theirs["name"] == mine.name
        assert theirs["status"] == mine.status == "finished"
        assert theirs["created"] == pytest.approx(mine.created, abs=1e-3)
        assert theirs["ended"] == pytest.approx(mine.ended, abs=1e-3)
        assert theirs["params"] == {k: str(v) for k, v in mine.flat_params.items()}
        assert {k: v for k, v in theirs["tags"].items() if not k.startswith("tracktui.")} == mine.tags
        ours_h, theirs_h = mine.history(), remote.history(theirs["run_id"])
        for key in ours_h["key"].unique():
            a = ours_h[ours_h["key"] == key].sort_values(["step", "time"])
            b = theirs_h[theirs_h["key"] == key].sort_values(["step", "time"])
            assert list(a["step"]) == list(b["step"])
            assert list(a["value"]) == list(b["value"])
            assert list(a["time"]) == pytest.approx(list(b["time"]), abs=1e-3)
        assert (root / "local-exp" / run_id / MAP_FILE).is_file()
    first = by_source[ids[0]]
    detail = remote.run(first["run_id"])
    assert detail.artifacts_dir is not None and (detail.artifacts_dir / "a.txt").read_text() == "artifact body\n"

    again = _cli("push", str(root), server.url, "--experiment", "from-tracktui")
    assert again.returncode == 0, again.stderr
    assert "0 new" in again.stdout and "2 unchanged" in again.stdout and "0 metric points" in again.stdout
    client = MlflowClient(server.url)
    exp = cast(Experiment, client.get_experiment_by_name("from-tracktui")).experiment_id
    assert len(client.search_runs([exp])) == 2
    assert len(client.get_metric_history(first["run_id"], "mse")) == 1500


def test_push_filter_and_running_run_updated_later(server: Server, tmp_path: Path) -> None:
    import store

    root, ids = _local_store(tmp_path / "local")
    # No system metrics: samples taken while a slow push runs would be new points of the later push too
    # (CI under load once sent 10 where 1 was asked for).
    run = store.start_run(experiment="live-exp", name="still-going", root=root, system_metrics_interval=0)
    run.log_metric("loss", 1.0, step=0)
    run.flush()
    out = _cli(
        "push",
        str(root),
        server.url,
        "--filter",
        "name == still-going or name == pushed-2",
        "--experiment",
        "live-push",
    )
    assert out.returncode == 0, out.stderr
    assert "2 new" in out.stdout
    remote = _store(server.url)
    mine = {rec["tags"].get("tracktui.run_id"): rec for rec in remote.records() if rec["experiment"] == "live-push"}
    assert set(mine) == {run.id, ids[1]}
    assert mine[run.id]["status"] == "running"
    run.log_metric("loss", 0.5, step=1)
    run.finish()
    later = _cli("push", str(root), server.url, "--filter", "name == still-going", "--experiment", "live-push")
    assert later.returncode == 0, later.stderr
    assert "1 updated" in later.stdout and "1 metric points" in later.stdout
    remote.resync()
    remote.refresh()
    rec = next(r for r in remote.records() if r["tags"].get("tracktui.run_id") == run.id)
    assert rec["status"] == "finished" and rec["metrics"]["loss"]["last"] == 0.5


# -- the listing cache (store/remote/server_cache.py) -------------------------------------------


def _fresh(url: str, **kwargs: Any) -> MlflowServerStore:
    """A store that lists the whole server again, whatever its cache holds."""
    store = _store(url, **kwargs)
    store.resync()
    return store


def _frame(store: MlflowServerStore) -> Any:
    return store.runs_frame().drop(columns=["duration"])  # a running run's duration is up to now


def test_cache_round_trip_equals_a_fresh_listing(server: Server) -> None:
    import pandas as pd

    from store.frame import build_runs_frame

    first = _store(server.url, include_deleted=True)
    first.runs_frame()
    first.save_index()
    path = first._cache.path
    assert path.parent == Path(os.environ["XDG_CACHE_HOME"]) / "tracktui" and path.suffix == ".npz"
    for include_deleted in (False, True):
        cached = _store(server.url, include_deleted=include_deleted)
        cached.cache_first = True
        from_cache = _frame(cached)
        assert cached.served_from_cache
        fresh = _fresh(server.url, include_deleted=include_deleted)
        pd.testing.assert_frame_equal(from_cache, _frame(fresh))
        # the table's frame is the frame the records make
        by_records = build_runs_frame(fresh.records(), fresh.status_of, "last").drop(columns=["duration"])
        pd.testing.assert_frame_equal(_frame(fresh), by_records)
        assert {r["run_id"]: r for r in cached.records()} == {r["run_id"]: r for r in fresh.records()}
        assert (server.ids["gone"] in set(from_cache["run_id"])) == include_deleted  # type: ignore[attr-defined]
    shown = _frame(_store(server.url, include_deleted=True)).set_index("run_id")
    assert shown.loc[server.ids["gone"], "status"] == "deleted"  # type: ignore[attr-defined]


def test_cache_reopened_then_polled_incrementally(server: Server) -> None:
    first = _store(server.url)
    first.runs_frame()
    first.save_index()
    client = MlflowClient(server.url)
    new = client.create_run(
        cast(Experiment, client.get_experiment_by_name("alpha")).experiment_id, run_name="after-reopen"
    )
    rid = new.info.run_id
    client.log_param(rid, "lr", "0.5")
    reopened = _store(server.url)
    reopened.cache_first = True
    assert rid not in reopened.run_ids() and reopened.served_from_cache
    reopened._asked_at = 0.0  # the poll is rate-limited; this test polls at once
    assert rid in reopened.refresh()
    assert reopened._cache.full_at == first._cache.full_at  # the poll asked for what changed, not for every run
    assert reopened._listed(rid)["params"] == {"lr": "0.5"} and reopened._listed(rid)["status"] == "running"
    client.set_terminated(rid, "FAILED")
    reopened._asked_at = 0.0
    assert rid in reopened.refresh()
    assert reopened._listed(rid)["status"] == "failed"
    import pandas as pd

    pd.testing.assert_frame_equal(_frame(reopened), _frame(_fresh(server.url)))


def test_corrupt_or_foreign_cache_is_listed_again(server: Server) -> None:
    from store.ours.column_file import load_table, save_table
    from store.ours.column_index import ColumnTable
    from store.ours.column_values import ValueColumn

    first = _store(server.url)
    listed = set(first.runs_frame()["run_id"])
    first.save_index()
    path = first._cache.path
    good = path.read_bytes()
    table = load_table(str(path), "mlflow-server", 0)
    assert table is not None
    other = dict(table[0].meta, url="http://elsewhere:5000")
    tampered = load_table(str(path), "mlflow-server", 0)
    assert tampered is not None
    tampered[0].values["mlflow.deleted"] = ValueColumn.from_values(["no"] * len(tampered[0]))
    for damage in (good[: len(good) // 2], b"garbage" * 1000, b"", other, dict(table[0].meta, format=0), tampered[0]):
        if isinstance(damage, bytes):
            path.write_bytes(damage)
        elif isinstance(damage, ColumnTable):
            save_table(damage, str(path), "mlflow-server")
        else:
            table[0].meta = damage
            save_table(table[0], str(path), "mlflow-server")
        store = _store(server.url)
        store.cache_first = True
        assert store.cache_age() is None  # nothing usable: the server is listed
        assert set(store.runs_frame()["run_id"]) == listed and not store.served_from_cache
        store.save_index()
        assert load_table(str(path), "mlflow-server", 0) is not None  # and the cache is sound again
    path.with_suffix(".json").write_text("{}")  # the record cache of before the columns
    first.save_index()
    assert not path.with_suffix(".json").exists()


def test_server_cache_is_never_written_beside_a_store(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import store as api

    root = tmp_path / "mine"
    with api.start_run(experiment="e", name="local", root=root) as run:
        run.log_metric("x", 1.0)
    monkeypatch.chdir(root)
    before = sorted(p.relative_to(root) for p in root.rglob("*") if "tracktui-index" not in p.name)
    remote = _store(server.url)
    remote.runs_frame()
    remote.save_index()
    after = sorted(p.relative_to(root) for p in root.rglob("*") if "tracktui-index" not in p.name)
    assert after == before and not list(root.glob(".tracktui-index*"))
    assert not [p for p in server.folder.rglob("*") if "tracktui" in p.name]
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "tracktui"
    assert remote._cache.path.parent == cache and remote._cache.path.is_file()
