"""`tracktui push` under faults, against a real `mlflow server` with a file-store backend.

A file-store server keeps a metric point sent twice twice (SQLite drops the copy), so a
resent batch shows in `get_metric_history`. A small HTTP proxy in front of it forwards
everything but can hold the server's answer to one metrics `runs/log-batch`: the server has
stored the batch, the push has not heard so, and the test SIGKILLs the push there, or starts
a second push of the same store meanwhile. A whole run also round-trips on this backend
(`test_a_whole_run_round_trips_on_a_file_store_server`).
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
mlflow = pytest.importorskip(
    "mlflow", reason="mlflow is not installed (pip install -e '.[bench]'); these tests start a real `mlflow server`"
)

from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import RunInputs  # noqa: E402

import store  # noqa: E402
from store import open_store  # noqa: E402
from store.remote.push import MAP_FILE  # noqa: E402
from tests.mlflow_fixtures import tree_snapshot, unpack  # noqa: E402
from tests.mlflow_server import Server, start_server  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
LIGHTNING = REPO / "tests" / "data" / "foreign" / "lightning" / "lightning_logs" / "version_0"
SECRET = "TOP SECRET, never on the server\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("file-store-server"), file_store=True)
    try:
        yield srv
    finally:
        srv.stop()


class HoldingProxy:
    """Forwards HTTP to `target`; the `hold`-th `runs/log-batch` carrying metrics reaches the server, but its
    answer waits until `release` is set (a push killed meanwhile never hears that the batch was stored)."""

    def __init__(self, target: str, hold: int | None) -> None:
        self.target = urlsplit(target).netloc
        self.hold = hold
        self.held = threading.Event()
        self.release = threading.Event()
        self._batches = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                proxy.forward(self)

            do_POST = do_PUT = do_GET

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def forward(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        conn = http.client.HTTPConnection(self.target, timeout=60)
        skip = ("host", "connection", "accept-encoding")  # an answer passes through as it came: not compressed
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in skip}
        conn.request(handler.command, handler.path, body=body, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
        conn.close()
        if handler.command == "POST" and handler.path.endswith("runs/log-batch") and b'"metrics"' in body:
            with self._lock:
                self._batches += 1
                held = self._batches == self.hold
            if held:
                self.held.set()
                self.release.wait(timeout=120)
        try:
            handler.send_response(answer.status)
            handler.send_header("Content-Type", answer.getheader("Content-Type") or "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass  # the push was killed while its answer was held

    def close(self) -> None:
        self.release.set()
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def proxy_for(server: Server) -> Iterator[Any]:
    made: list[HoldingProxy] = []

    def make(hold: int | None) -> HoldingProxy:
        made.append(HoldingProxy(server.url, hold))
        return made[-1]

    yield make
    for proxy in made:
        proxy.close()


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}


def _push(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "push", *args],
        cwd=REPO,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    """The exit status, stdout and stderr of a push; one still running after `timeout` s is killed (a hang)."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return proc.returncode, out, err


def _long_run(root: Path) -> str:
    """One finished run of 3,000 points over two keys: three metrics batches."""
    with store.start_run(experiment="faults", name="long", root=root) as run:
        for step in range(1500):
            run.log_metrics({"loss": 1.0 / (step + 1), "acc": step / 1500}, step=step)
        return run.id


def _histories(client: MlflowClient, remote_id: str) -> dict[str, list[tuple[int, float, int]]]:
    return {
        key: sorted((m.step, m.value, m.timestamp) for m in client.get_metric_history(remote_id, key))
        for key in ("loss", "acc")
    }


def _local_histories(root: Path, run_id: str) -> dict[str, list[tuple[int, float, int]]]:
    frame = open_store(root).run(run_id).history()
    return {
        cast(str, key): sorted(
            (int(s), float(v), round(float(t) * 1000)) for s, v, t in zip(part["step"], part["value"], part["time"])
        )
        for key, part in frame.groupby("key", observed=True)
    }


def _remote_ids(client: MlflowClient, experiment: str, run_id: str) -> list[str]:
    exp = client.get_experiment_by_name(experiment)
    assert exp is not None
    runs = client.search_runs([exp.experiment_id], f"tags.`tracktui.run_id` = '{run_id}'")
    return [r.info.run_id for r in runs]


def _held_push(tmp_path: Path, proxy: HoldingProxy, experiment: str) -> tuple[Path, str, subprocess.Popen[str]]:
    """A store of one long run, and a push of it through `proxy`, started and waiting for its held answer."""
    root = tmp_path / "store"
    run_id = _long_run(root)
    push = _push(tmp_path, str(root), proxy.url, "--experiment", experiment)
    assert proxy.held.wait(timeout=120), push.communicate(timeout=5)
    return root, run_id, push


def test_push_killed_after_the_server_stored_a_batch_resumes_without_duplicates(
    server: Server, proxy_for: Any, tmp_path: Path
) -> None:
    proxy = proxy_for(hold=2)
    root, run_id, first = _held_push(tmp_path, proxy, "killed")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    proxy.release.set()
    client = MlflowClient(server.url)
    [remote_id] = _remote_ids(client, "killed", run_id)
    assert sum(len(h) for h in _histories(client, remote_id).values()) == 2000  # two batches stored, one unheard

    proxy.hold = None
    code, out, err = _finish(_push(tmp_path, str(root), proxy.url, "--experiment", "killed"))
    assert code == 0, err
    assert "1,000 metric points" in out
    want = _local_histories(root, run_id)
    assert _histories(client, remote_id) == want

    # The same server by another URL: no progress for it, the run is found by its tag and nothing is resent.
    code, out, err = _finish(_push(tmp_path, str(root), server.url, "--experiment", "killed"))
    assert code == 0, err
    assert "0 new" in out and "0 metric points" in out
    assert _remote_ids(client, "killed", run_id) == [remote_id]
    assert _histories(client, remote_id) == want


def test_a_second_push_of_the_same_store_says_another_is_running(
    server: Server, proxy_for: Any, tmp_path: Path
) -> None:
    proxy = proxy_for(hold=1)
    root, run_id, first = _held_push(tmp_path, proxy, "overlap")
    code, out, err = _finish(_push(tmp_path, str(root), proxy.url, "--experiment", "overlap"))
    proxy.release.set()
    assert code == 2, out
    assert err.strip() == (
        f"tracktui: another push of this store is running (pid {first.pid}); wait for it to finish, or stop it"
    )
    code, out, err = _finish(first)
    assert code == 0, err
    assert "3,000 metric points" in out
    client = MlflowClient(server.url)
    [remote_id] = _remote_ids(client, "overlap", run_id)
    assert _histories(client, remote_id) == _local_histories(root, run_id)


def _server_files(server: Server) -> dict[str, str]:
    """Every artifact file the server holds, by name, with its text."""
    return {
        str(p.relative_to(server.folder / "art")): p.read_text(errors="replace")
        for p in (server.folder / "art").rglob("*")
        if p.is_file()
    }


def _plant_symlinks(folder: Path, outside: Path) -> None:
    """A link to a file outside the run, one to a folder outside it, and one to a file inside it."""
    outside.mkdir()
    (outside / "shadow").write_text(SECRET)
    (outside / "keys").mkdir()
    (outside / "keys" / "id_rsa").write_text(SECRET)
    (folder / "secret.txt").symlink_to(outside / "shadow")
    (folder / "linked").symlink_to(outside / "keys")
    (folder / "alias.txt").symlink_to(folder / "a.txt")


def test_push_never_uploads_what_a_symlink_in_the_run_points_to(server: Server, tmp_path: Path) -> None:
    root = tmp_path / "store"
    (tmp_path / "a.txt").write_text("artifact body\n")
    with store.start_run(experiment="links", name="linky", root=root) as run:
        run.log_metric("loss", 1.0)
        run.log_artifact(tmp_path / "a.txt")
        folder = run.artifacts_dir
    _plant_symlinks(folder, tmp_path / "outside")
    with store.start_run(experiment="links", name="folder-link", root=root) as other:
        other.log_metric("loss", 2.0)
    shutil.rmtree(other.artifacts_dir, ignore_errors=True)
    other.artifacts_dir.symlink_to(tmp_path / "outside" / "keys")  # the run's whole artifacts folder
    code, out, err = _finish(_push(tmp_path, str(root), server.url, "--experiment", "links"))
    assert code == 0, err
    assert "1 artifact file (14 B)" in out
    assert "skipped artifacts of linky: alias.txt, linked, secret.txt (symlinks are not followed)" in out
    assert "skipped artifacts of folder-link: artifacts is a symlink (not followed)" in out
    client = MlflowClient(server.url)
    [remote_id] = _remote_ids(client, "links", run.id)
    assert [a.path for a in client.list_artifacts(remote_id)] == ["a.txt"]
    assert not any(SECRET in text for text in _server_files(server).values())
    assert stat.S_IMODE((folder.parent / MAP_FILE).stat().st_mode) == 0o600


def test_progress_file_made_a_fifo_neither_hangs_push_nor_resends(server: Server, tmp_path: Path) -> None:
    root = tmp_path / "store"
    run_id = _long_run(root)
    code, out, err = _finish(_push(tmp_path, str(root), server.url, "--experiment", "fifo"))
    assert code == 0 and "3,000 metric points" in out, err
    progress = next(root.rglob(MAP_FILE))
    progress.unlink()
    os.mkfifo(progress)
    code, out, err = _finish(_push(tmp_path, str(root), server.url, "--experiment", "fifo"), timeout=60)
    assert code == 0, err
    assert "0 new" in out and "0 metric points" in out
    client = MlflowClient(server.url)
    [remote_id] = _remote_ids(client, "fifo", run_id)
    assert _histories(client, remote_id) == _local_histories(root, run_id)
    assert stat.S_ISREG(progress.stat().st_mode)


def test_push_says_what_to_do_when_the_cache_cannot_hold_its_lock(tmp_path: Path) -> None:
    root = tmp_path / "store"
    with store.start_run(experiment="x", name="one", root=root) as run:
        run.log_metric("loss", 1.0)
    (tmp_path / "cache").write_text("a file where the cache folder should be\n")
    code, out, err = _finish(_push(tmp_path, str(root), "http://127.0.0.1:9"))
    assert code == 2 and out == ""
    assert err.startswith(f"tracktui: cannot create the push lock in {tmp_path / 'cache' / 'tracktui' / 'push'} (")
    assert err.strip().endswith("set XDG_CACHE_HOME to a folder you can write")


@pytest.mark.parametrize("kind", ["lightning", "mlflow"])
def test_push_of_a_foreign_run_skips_its_symlinks_and_keeps_progress_in_the_cache(
    server: Server, tmp_path: Path, kind: str
) -> None:
    args: tuple[str, ...]
    if kind == "lightning":  # the run's folder is what it pushes
        root = folder = tmp_path / "lightning" / "version_0"
        shutil.copytree(LIGHTNING, folder)
        name, args = "version_0", ()
    else:  # an MLflow file store written by mlflow itself: the run's artifacts folder
        root = unpack(tmp_path) / "filestore" / "mlruns"
        folder = root / "0" / "0ece995bd93a45ed92ce363f20c13d66" / "artifacts"
        name, args = "poly-degree-1", ("--filter", "name == poly-degree-1")
    (folder / "a.txt").write_text("a file of the run\n")
    _plant_symlinks(folder, tmp_path / "outside")
    before = tree_snapshot(root)
    code, out, err = _finish(_push(tmp_path, str(root), server.url, "--experiment", f"foreign-{kind}", *args))
    assert code == 0, err
    assert "1 new" in out
    assert f"skipped artifacts of {name}: alias.txt, linked, secret.txt (symlinks are not followed)" in out
    assert not any(SECRET in text for text in _server_files(server).values())
    assert tree_snapshot(root) == before  # nothing written into a store we do not own
    [progress] = (tmp_path / "cache" / "tracktui" / "push").glob("*.json")
    assert stat.S_IMODE(progress.stat().st_mode) == 0o600
    assert stat.S_IMODE(progress.parent.stat().st_mode) == 0o700


def test_artifact_files_reads_regular_files_only_and_names_every_link(tmp_path: Path) -> None:
    from store.remote.push import artifact_files

    folder = tmp_path / "artifacts"
    (folder / "sub" / "deeper").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "deeper" / "b.txt").write_text("bb")
    os.mkfifo(folder / "sub" / "pipe")
    (folder / "sub" / "up").symlink_to(tmp_path)
    (folder / "sub" / "same").symlink_to(folder / "a.txt")
    links: list[str] = []
    top = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        found = {}
        for rel, fd in artifact_files(top, "", links):
            with os.fdopen(fd, "rb") as fh:
                found[rel] = fh.read()
    finally:
        os.close(top)
    assert found == {"a.txt": b"a", "sub/deeper/b.txt": b"bb"}
    assert links == ["sub/same", "sub/up"]


def test_a_whole_run_round_trips_on_a_file_store_server(server: Server, tmp_path: Path) -> None:
    """Ours (inputs, images, a note, a NaN) and Lightning's CSV, whose repeated `epoch` points a file store keeps."""
    import numpy as np

    from store.curate import set_note, set_tags
    from tests.test_push_round_trip import assert_same_run, pushed

    root = tmp_path / "store"
    (tmp_path / "train.csv").write_text("a,b\n1,2\n")
    with store.start_run(experiment="fs-whole", name="whole", root=root) as run:
        run.log_params({"lr": 0.1, "net": {"depth": 3}})
        run.set_tags({"stage": "dev"})
        for step in range(20):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        run.log_metric("odd", float("nan"), step=2)
        run.log_input(tmp_path / "train.csv", context="train")
        run.log_image("pred", np.zeros((3, 3), dtype=np.uint8), step=5)
        ours = run.id
    set_note(open_store(root), ours, "a note")
    lightning = tmp_path / "lightning"
    shutil.copytree(LIGHTNING, lightning / "version_0")
    client = MlflowClient(server.url)
    for source, experiment in ((root, "fs-whole"), (lightning, "fs-lightning")):
        code, out, err = _finish(_push(tmp_path, str(source), server.url, "--experiment", experiment))
        assert code == 0, err
        local = open_store(source)
        back = pushed(server, experiment)
        assert set(back) == set(local.run_ids())
        for run_id, theirs in back.items():
            assert_same_run(local.run(run_id), theirs, keeps_repeats=True)
        code, out, err = _finish(_push(tmp_path, str(source), server.url, "--experiment", experiment))
        assert "0 new, 0 updated" in out and "0 metric points, 0 artifact files" in out, out
    remote = client.get_run(pushed(server, "fs-whole")[ours].run_id)
    assert remote.data.tags["mlflow.note.content"] == "a note"
    set_tags(open_store(root), ours, remove=["stage"])
    set_note(open_store(root), ours, "")
    code, out, err = _finish(_push(tmp_path, str(root), server.url, "--experiment", "fs-whole"))
    assert "1 updated" in out and "0 metric points" in out, out
    tags = client.get_run(remote.info.run_id).data.tags
    assert "stage" not in tags and "mlflow.note.content" not in tags  # removed at the source: removed there
    (data,) = cast(RunInputs, remote.inputs).dataset_inputs
    assert data.dataset.name == "train.csv" and {t.key: t.value for t in data.tags} == {"mlflow.data.context": "train"}
    assert [f.path for f in client.list_artifacts(remote.info.run_id, "tracktui/media/pred")] == [
        "tracktui/media/pred/5.png"
    ]


def test_names_mlflow_refuses_are_named_and_the_rest_of_the_run_goes_up(server: Server, tmp_path: Path) -> None:
    """One refused name fails the whole batch it is in: before, `acc@5` (W&B's and ours allow it) failed the run."""
    root = tmp_path / "store"
    with store.start_run(experiment="odd-names", name="odd", root=root) as run:
        run.log_params({"lr": 0.1, "lr@x": 1})
        run.set_tags({"team": "a", "who?": "b"})
        run.log_metric("loss", 0.5, step=1)
        run.log_metric("acc@5", 0.9, step=1)
        run_id = run.id
    code, out, err = _finish(_push(tmp_path, str(root), server.url))
    assert code == 0, out + err
    for line in ("param 'lr@x'", "tag 'who?'", "metric 'acc@5'"):
        assert f"not carried: odd: {line} (a name MLflow refuses)" in out, out
    client = MlflowClient(server.url)
    (remote_id,) = _remote_ids(client, "odd-names", run_id)
    remote = client.get_run(remote_id)
    assert remote.data.params == {"lr": "0.1"} and remote.data.tags["team"] == "a"
    assert [m.value for m in client.get_metric_history(remote_id, "loss")] == [0.5]
