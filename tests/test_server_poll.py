"""The incremental poll of a real `mlflow server` and its listing cache: every run made since the last
poll appears on the next one whatever its start time, and one process's cache never replaces a newer one.

The server's runs are made now, so a run backdated by a client (`create_run(start_time=...)`, as
`tracktui push` does with its runs' own start times) starts long before the newest start the poll knows.
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
mlflow = pytest.importorskip(
    "mlflow", reason="mlflow is not installed (pip install -e '.[bench]'); these tests start a real `mlflow server`"
)

from mlflow import MlflowClient  # noqa: E402

from store import open_store  # noqa: E402
from store.remote.rest import MlflowServerStore  # noqa: E402
from tests.mlflow_server import Server, start_server  # noqa: E402
from tests.mlflow_server import server_store as _store  # noqa: E402
from tests.mlflow_server import tracktui as _cli  # noqa: E402

OLD_MS = int((time.time() - 30 * 86400) * 1000)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    srv = start_server(tmp_path_factory.mktemp("mlflow-poll"))
    client = MlflowClient(srv.url)
    exp = client.create_experiment("poll")
    for name in ("known-old", "known-new"):
        start = OLD_MS + 86400_000 if name == "known-old" else None
        run = client.create_run(exp, run_name=name, start_time=start)
        client.set_terminated(run.info.run_id, "FINISHED")
    srv.exp = exp  # type: ignore[attr-defined]
    try:
        yield srv
    finally:
        srv.stop()


def _names(store: MlflowServerStore) -> set[str]:
    return {rec["name"] for rec in store.records()}


def test_runs_with_old_start_times_appear_on_the_next_poll(server: Server, tmp_path: Path) -> None:
    from tests.app_helpers import demo_store

    store = _store(server.url)
    assert {"known-old", "known-new"} <= _names(store)
    full_at = store._cache.full_at
    client = MlflowClient(server.url)
    backdated = client.create_run(server.exp, run_name="backdated", start_time=OLD_MS)  # type: ignore[attr-defined]
    client.set_terminated(backdated.info.run_id, "FINISHED", end_time=OLD_MS + 1000)
    other = client.create_experiment("made-later")
    in_new = client.create_run(other, run_name="in-new-experiment", start_time=OLD_MS)
    client.set_terminated(in_new.info.run_id, "FAILED", end_time=OLD_MS + 1000)
    demo = demo_store(tmp_path / "demo")  # runs made three weeks ago: push gives them those start times
    out = _cli(
        "push", str(demo), server.url, "--filter", "name == degree-1 or name == rf-broken", "--experiment", "poll"
    )
    assert out.returncode == 0, out.stderr
    assert "2 new" in out.stdout

    store._asked_at = 0.0  # the poll is rate-limited to one a few seconds; this test asks at once
    changed = store.refresh()
    names = _names(store)
    assert {"backdated", "in-new-experiment", "degree-1", "rf-broken"} <= names
    assert {backdated.info.run_id, in_new.info.run_id} <= changed
    assert store._cache.full_at == full_at  # found by the incremental poll, not by listing everything again
    store._asked_at = 0.0
    assert store.refresh() == set()  # and nothing is fetched twice


def test_known_ids_in_windows_of_start_times_and_a_server_without_offset_tokens(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    import store.remote.poll as poll

    store = _store(server.url)
    assert len(_names(store)) >= 3
    monkeypatch.setattr(poll, "ID_WINDOW", 2)  # a few ids a request, as a big server's listing goes
    client = MlflowClient(server.url)
    between = client.create_run(server.exp, run_name="between", start_time=OLD_MS + 1)  # type: ignore[attr-defined]
    filters = poll.unknown_filters(store._cache.table)
    assert filters is not None and len(filters) >= 3
    store._count_probe = False  # as after a server that refused the counting token
    store._asked_at = 0.0
    assert between.info.run_id in store.refresh()
    assert "between" in _names(store)


# -- the listing cache (store/remote/server_cache.py) -------------------------------------------


def test_an_open_app_never_replaces_the_cache_a_resync_refreshed(server: Server) -> None:
    app_side = _store(server.url)  # an app: listed once, saves later (on exit)
    app_side.records()
    client = MlflowClient(server.url)
    client.create_run(server.exp, run_name="seen-by-resync", start_time=OLD_MS)  # type: ignore[attr-defined]
    out = _cli("ls", server.url, "--resync", "--columns", "name")  # another process refreshes the cache
    assert out.returncode == 0, out.stderr
    assert "seen-by-resync" in out.stdout
    app_side.save_index()
    reopened = _store(server.url)
    reopened.cache_first = True
    assert "seen-by-resync" in _names(reopened) and reopened.served_from_cache


def test_server_cache_is_owner_only_in_a_cache_folder_made_owner_only(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "fresh"))
    import store as api

    old_mask = os.umask(0o022)
    try:
        store = _store(server.url)
        store.records()
        store.save_index()
        detail = store.run(next(iter(store.run_ids())))
        with api.start_run(experiment="e", name="mine", root=tmp_path / "mine") as run:
            run.log_metric("x", 1.0)
        ours = open_store(tmp_path / "mine")
        ours.records()
        ours.save_index()
    finally:
        os.umask(old_mask)
    assert store._cache.path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "fresh" / "tracktui").stat().st_mode & 0o777 == 0o700
    assert store._cache.folder.stat().st_mode & 0o777 == 0o700
    assert detail.artifacts_dir is None or store._cache.folder in detail.artifacts_dir.parents
    index = ours.index_path()
    assert index is not None and index.stat().st_mode & 0o777 == 0o644  # our own store stays umask-readable


def test_a_cache_with_a_head_nested_too_deep_is_listed_again(server: Server) -> None:
    import numpy as np

    store = _store(server.url)
    listed = _names(store)
    store.save_index()
    path = store._cache.path
    with np.load(path) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays["head"] = np.frombuffer(b"[" * 200_000 + b"]" * 200_000, dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    again = _store(server.url)
    again.cache_first = True
    assert again.cache_age() is None  # unreadable: treated as absent, and the server is listed again
    assert _names(again) == listed and not again.served_from_cache


def test_a_run_purged_on_the_server_leaves_the_listing_at_the_next_poll(server: Server) -> None:
    client = MlflowClient(server.url)
    doomed = client.create_run(server.exp, run_name="purged-later")  # type: ignore[attr-defined]
    store = _store(server.url, include_deleted=True)
    assert "purged-later" in _names(store)
    client.delete_run(doomed.info.run_id)
    gc = subprocess.run(
        [
            str(Path(sys.executable).with_name("mlflow")),
            "gc",
            "--backend-store-uri",
            f"sqlite:///{server.folder / 'mlflow.db'}",
            "--run-ids",
            doomed.info.run_id,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MLFLOW_TRACKING_URI": server.url},
    )  # MLflow's own purge
    assert gc.returncode == 0, gc.stderr
    store._asked_at = 0.0
    assert doomed.info.run_id in store.refresh()  # fewer runs than the cache holds: listed again
    assert "purged-later" not in _names(store)
