"""A real `mlflow server` on loopback for the tracking-server tests (started once per session, stopped by pid)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from store.remote.rest import MlflowServerStore

REPO = Path(__file__).resolve().parent.parent


_PORTS_TAKEN = [0]


def free_port() -> int:
    """A free port that no other server of this test run is given.

    Not a bind-to-0 port: the kernel handed the same one to two servers started together, one
    failed to bind while /health answered from the other, and a test then talked to the wrong
    server (a CI failure). These come from below the kernel's ephemeral range, from a block of
    1,000 for each xdist worker, each port once per process.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:]
    base = 20_000 + 1_000 * (int(worker) % 12 if worker.isdigit() else 0)
    for _ in range(1_000):
        _PORTS_TAKEN[0] += 1
        port = base + (os.getpid() + _PORTS_TAKEN[0]) % 1_000
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use by another program: the next one
            return port
    raise RuntimeError(f"no free port in {base}-{base + 999}")


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    folder: Path
    fresh: bool = True
    """Started on an empty database (which then serves as the template of the next ones)."""

    def stop(self) -> None:
        """SIGKILL the server's whole process group (uvicorn runs workers as children)."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=30)


_MIGRATED: list[Path] = []
"""An empty database MLflow has already migrated: creating one takes most of a server's start-up."""


def start_server(folder: Path, *extra: str, env: dict[str, str] | None = None, file_store: bool = False) -> Server:
    """`mlflow server` with an SQLite backend and proxied artifacts in `folder`; returns once /health answers.

    `file_store`: a file-store backend (`folder/mlruns`) instead, which, unlike SQLite, keeps a
    metric point logged twice twice (the backend on which a resent batch shows).
    """
    return wait_ready(launch(folder, *extra, env=env, file_store=file_store))


def launch(
    folder: Path, *extra: str, env: dict[str, str] | None = None, db: Path | None = None, file_store: bool = False
) -> Server:
    """Start a server without waiting (servers started together start in about the time of one);
    on a copy of `db` (written by this MLflow version: nothing to migrate) when given; with a
    file-store backend (`folder/mlruns`) when `file_store`."""
    folder.mkdir(parents=True, exist_ok=True)
    backend = str(folder / "mlruns") if file_store else f"sqlite:///{folder / 'mlflow.db'}"
    if not file_store and (db is not None or _MIGRATED):
        shutil.copyfile(db or _MIGRATED[0], folder / "mlflow.db")
    port = free_port()
    mlflow = Path(sys.executable).with_name("mlflow")
    cmd = [
        str(mlflow),
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--backend-store-uri",
        backend,
        "--artifacts-destination",
        str(folder / "art"),
        *extra,
    ]
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - the server writes to it until stopped
    allow = {"MLFLOW_ALLOW_FILE_STORE": "true"} if file_store else {}  # MLflow 3 refuses it otherwise
    proc = subprocess.Popen(
        cmd,
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", **allow, **(env or {})},
    )
    return Server(f"http://127.0.0.1:{port}", proc, folder, fresh=db is None and not file_store)


def wait_ready(server: Server) -> Server:
    proc, folder = server.proc, server.folder
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mlflow server exited: {(folder / 'server.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(server.url + "/health", timeout=2) as response:
                if response.status == 200:
                    if not _MIGRATED and server.fresh:
                        shutil.copyfile(folder / "mlflow.db", folder / "migrated.db")
                        _MIGRATED.append(folder / "migrated.db")
                    return server
        except OSError:
            time.sleep(0.2)  # polling a starting server: the deadline bounds it
    server.stop()
    raise RuntimeError(f"mlflow server did not start: {(folder / 'server.log').read_text()[-2000:]}")


def server_store(url: str, **kwargs: Any) -> MlflowServerStore:
    """`open_store(url)`, checked to be the tracking-server reader."""
    from store import open_store
    from store.remote.rest import MlflowServerStore

    store = open_store(url, **kwargs)
    assert isinstance(store, MlflowServerStore)
    return store


def tracktui(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`tracktui ARGS` in a child process (with this checkout first on the path, as the tests run)."""
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
