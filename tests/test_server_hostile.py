"""A hostile or broken tracking server, from a fake one on 127.0.0.1 (tests/hostile_server.py): answers that
trickle, never end, or hold wrong types, and bad settings on our side (a malformed URL, a bad timeout).

Each must end in one line saying what to do, within the deadline, with the rest of the listing intact;
quitting the app or Ctrl-C never waits on the network.
"""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "tracktui-hypothesis"))  # not .hypothesis/ in the tree

from store import StoreError  # noqa: E402
from store.remote import http as http  # noqa: E402
from store.remote.artifacts import RemoteFile  # noqa: E402
from store.remote.rest import MlflowServerStore  # noqa: E402
from tests.hostile_server import FakeServer, one_experiment, run_json  # noqa: E402
from tui.cli import main  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
GOOD = "0123456789abcdef0123456789abcdef"
BAD = "fedcba9876543210fedcba9876543210"


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    server = FakeServer()
    try:
        yield server
    finally:
        server.stop()


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        **extra,
    }


# -- bad settings: one line, no traceback (item 12) ----------------------------------------------


@pytest.mark.parametrize("url", ["http://", "http://host:99999", "http://[::1", "http://host:port"])
def test_a_malformed_url_is_one_line_saying_how_to_write_it(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ls", url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a usable server URL" in err and "http://host:port" in err


@pytest.mark.parametrize("value", ["abc", "-1", "0", "nan", "inf"])
def test_a_bad_request_timeout_is_one_line_saying_how_to_set_it(
    value: str, fake: FakeServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.answers["experiments/search"] = one_experiment()
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", value)
    assert main(["ls", fake.url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"MLFLOW_HTTP_REQUEST_TIMEOUT='{value}'" in err and "unset it" in err


def test_the_url_shown_never_holds_the_password(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ls", "http://me:s3cret@host:99999"]) == 2
    err = capsys.readouterr().err
    assert "s3cret" not in err and "host:99999" in err


# -- trickling answers: a total deadline; quitting never waits (item 6) -------------------------


def test_ls_ends_at_the_timeout_when_a_server_trickles(fake: FakeServer, tmp_path: Path) -> None:
    """Before: one byte every 0.3 s reset `requests`' read timeout each time, and `ls` never ended."""
    fake.answers["experiments/search"] = fake.trickle(0.3)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "ls", fake.url],
        cwd=REPO,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(tmp_path, MLFLOW_HTTP_REQUEST_TIMEOUT="2"),
    )
    try:
        _, err = proc.communicate(timeout=40)
    finally:
        _kill(proc)
    assert proc.returncode == 2, err
    assert "did not answer within 2 s" in err and err.count("\n") == 1


def _trickling_listing(fake: FakeServer) -> None:
    """Two experiments (so runs are fetched in parallel threads), whose runs trickle in forever."""
    fake.answers["experiments/search"] = one_experiment("0", "1")
    fake.answers["runs/search"] = fake.trickle(0.3)


def _wait_for(fake: FakeServer, endpoint: str, proc: subprocess.Popen[Any]) -> None:
    deadline = time.monotonic() + 60
    while fake.asked.get(endpoint, 0) < 1:
        assert proc.poll() is None, "the child ended before it asked the server"
        assert time.monotonic() < deadline, f"the child never asked for {endpoint}"
        time.sleep(0.05)  # polling a child process: the deadline bounds it


def _kill(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def test_ctrl_c_ends_ls_at_once_while_a_server_trickles(fake: FakeServer, tmp_path: Path) -> None:
    """Before: Ctrl-C stopped the main thread, then the exit waited for the fetching threads, for ever."""
    _trickling_listing(fake)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "ls", fake.url],
        cwd=REPO,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=_env(tmp_path, MLFLOW_HTTP_REQUEST_TIMEOUT="300"),
    )
    try:
        _wait_for(fake, "runs/search", proc)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    finally:
        _kill(proc)
    assert proc.returncode == 130


def test_quitting_the_app_does_not_wait_on_a_trickling_server(fake: FakeServer, tmp_path: Path) -> None:
    """Before: `q` left the screen, then the process waited on the poll worker's request for ever."""
    _trickling_listing(fake)
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", fake.url],
        cwd=REPO,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        env=_env(tmp_path, MLFLOW_HTTP_REQUEST_TIMEOUT="300", TERM="xterm-256color"),
    )
    os.close(slave)
    threading.Thread(target=_drain, args=(master,), daemon=True).start()
    try:
        _wait_for(fake, "runs/search", proc)
        os.write(master, b"q")
        proc.wait(timeout=20)
    finally:
        _kill(proc)
        os.close(master)
    assert proc.returncode == 0


def _drain(fd: int) -> None:
    while True:
        try:
            if not os.read(fd, 65536):
                return
        except OSError:  # the child closed the terminal
            return


# -- answers too big, artifacts longer than listed (item 10) -------------------------------------


def test_an_answer_past_its_cap_is_refused_while_it_streams(fake: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: a 500 MB answer was read whole (1.5 GB of memory) and then found not to be JSON."""
    monkeypatch.setattr(http, "DEFAULT_BODY_CAP", 1 << 20)
    fake.answers["experiments/search"] = fake.endless(400 << 20)
    client = http.ServerClient(fake.url)
    with pytest.raises(http.ServerError, match="with more than 1 MB"):
        client.post("experiments/search", {})
    assert fake.sent < 64 << 20, "the body was refused while it streamed, not after"


def test_every_endpoint_has_a_documented_cap() -> None:
    assert set(http.BODY_CAPS) == {"runs/search", "runs/get", "metrics/get-history-bulk", "metrics/get-history"}
    assert all(cap <= 256 << 20 for cap in http.BODY_CAPS.values()) and http.DEFAULT_BODY_CAP <= 16 << 20


def _one_run(fake: FakeServer, files: list[dict[str, Any]], artifact: Any) -> MlflowServerStore:
    fake.answers.update(
        {
            "experiments/search": one_experiment("0"),
            "runs/search": {"runs": [run_json(GOOD)]},
            "runs/get": {"run": run_json(GOOD)},
            "metrics/get-history-bulk": {"metrics": []},
            "artifacts/list": {"files": files},
            "get-artifact": artifact,
        }
    )
    store = MlflowServerStore(fake.url)
    store.refresh()
    return store


def test_an_artifact_longer_than_listed_stops_at_its_size_and_leaves_nothing(fake: FakeServer) -> None:
    """Before: a file listed as 10 B was streamed whole (314 MB) to disk before its size was checked."""
    store = _one_run(fake, [{"path": "a.bin", "is_dir": False, "file_size": 10}], fake.endless(300 << 20))
    remote = store.remote_artifacts(GOOD)
    with pytest.raises(http.ServerError, match=r"more than the 10 bytes of a.bin.*partial download was deleted"):
        remote.download(RemoteFile("a.bin", 10))
    assert fake.sent < 64 << 20
    assert not remote.local_path("a.bin").exists()
    partial = remote.folder.with_name(remote.folder.name + ".partial")
    assert not (partial / "a.bin").exists()
    detail = store.run(GOOD)  # opening the run tries it too, and says so
    assert any(
        "a.bin" in line and "partial download was deleted" in line for line in detail.facts["artifacts_not_downloaded"]
    )


def test_artifact_entries_that_are_no_paths_are_left_out_and_said(fake: FakeServer) -> None:
    files: list[Any] = [
        {"path": "ok.txt", "is_dir": False, "file_size": 2},
        {"path": "x\x00y", "file_size": 1},
        {"path": ["a"], "file_size": 1},
        "nonsense",
        {"path": "neg.bin", "file_size": -5},
        {"path": "big.bin", "file_size": "12"},
    ]
    store = _one_run(fake, files, fake.raw(b"ok"))
    detail = store.run(GOOD)
    assert detail.artifacts_dir is not None and (detail.artifacts_dir / "ok.txt").read_bytes() == b"ok"
    skipped = " ".join(detail.facts["artifacts_not_downloaded"])
    assert "not a path inside the run's folder" in skipped and "is not a size" in skipped
    assert "stopped at 2 of 12 bytes" in skipped  # a size given as text is still a size


# -- wrong types in every field of every answer (item 8) ----------------------------------------


def _answers() -> dict[str, Any]:
    bad = run_json(BAD, "1")
    return {
        "experiments/search": one_experiment("0", "1"),
        "runs/search": {"runs": [bad, run_json(GOOD)]},
        "runs/get": {"run": bad},
        "metrics/get-history-bulk": {
            "metrics": [{"run_id": BAD, "key": "loss", "value": 0.5, "step": 1, "timestamp": 1_700_000_001_000}]
        },
        "metrics/get-history": {"metrics": [{"key": "loss", "value": 0.5, "step": 1, "timestamp": 1_700_000_001_000}]},
        "artifacts/list": {"files": [{"path": "a.txt", "is_dir": False, "file_size": 2}]},
    }


def _paths(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON value (the value itself included), skipping the good run's."""
    yield at
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        if at == ("runs",) and key == 1:
            continue
        yield from _paths(child, (*at, key))


WRONG = [
    "null",
    "0",
    "-1",
    "1.5",
    "1" + "0" * 30,
    "true",
    '""',
    '"x"',
    '"\\u0000"',
    '"' + "x" * 100_000 + '"',
    "[]",
    '[1, "a"]',
    "{}",
    '{"a": {"b": 1}}',
    "[" * 50 + "1" + "]" * 50,
    "[" * 5000 + "1" + "]" * 5000,
    "-Infinity",
]
"""JSON texts of wrong types, huge and deep values (5000 levels: past Python's recursion limit)."""
HOLE = "@@wrong@@"
ENDPOINTS = sorted(_answers())
FUZZ = settings(
    derandomize=True,
    max_examples=60,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _one_line(call: Any) -> Any:
    """What `call()` returns, or None when it raised a StoreError of one line (anything else fails the test)."""
    try:
        return call()
    except StoreError as exc:
        assert "\n" not in str(exc), str(exc)
        return None


@given(data=st.data())
@FUZZ
def test_wrong_types_anywhere_are_one_damaged_row_or_one_line(fake: FakeServer, data: st.DataObject) -> None:
    """Before: a list where an object belongs, a number where a list does, deep nesting or a NUL in a path
    raised AttributeError, TypeError, RecursionError or ValueError out of the listing, a run or its history."""
    answers = _answers()
    endpoint = data.draw(st.sampled_from(ENDPOINTS))
    where = data.draw(st.sampled_from(list(_paths(answers[endpoint]))))
    wrong = WRONG[data.draw(st.integers(0, len(WRONG) - 1))]
    if where:
        parent = answers[endpoint]
        for key in where[:-1]:
            parent = parent[key]
        parent[where[-1]] = HOLE
    else:
        answers[endpoint] = HOLE
    fake.answers.clear()
    fake.answers.update(answers)
    fake.answers[endpoint] = fake.raw(json.dumps(answers[endpoint]).replace(f'"{HOLE}"', wrong).encode())
    fake.answers["get-artifact"] = fake.raw(b"ok")
    if endpoint == "metrics/get-history":
        del fake.answers["metrics/get-history-bulk"]  # a server without it: histories are paged instead
    store = MlflowServerStore(fake.url)
    listed = _one_line(store.refresh)
    if listed is not None and endpoint != "experiments/search":
        assert GOOD in store.run_ids(), "one bad record never takes the good one with it"
        assert store.runs_frame("last").loc[store.runs_frame("last")["run_id"] == GOOD, "status"].tolist() == [
            "finished"
        ]
    for rid in store.run_ids():
        _one_line(lambda rid=rid: store.run(rid))
        _one_line(lambda rid=rid: store.history(rid))
        _one_line(lambda rid=rid: store.prefetch_histories([rid, GOOD], ["loss"]))
        remote = store.remote_artifacts(rid)
        for file in _one_line(remote.not_cached) or []:
            _one_line(lambda file=file, remote=remote: remote.download(file))
