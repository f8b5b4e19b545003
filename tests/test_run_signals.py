"""`tracktui run`: signals reach every process of the command, and the command never outlives its wrapper."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from store.process import pid_alive
from store.writing.console import final_lines
from tests.test_console_capture import console_of
from tests.test_run_command import only_run, wait_for, wrapper


def under_bash(code: str, *, ignore_term: bool = False) -> tuple[str, ...]:
    """`bash -c 'python -c CODE; wait'`: the training process is a grandchild of the wrapper."""
    trap = "trap '' TERM; " if ignore_term else ""
    return ("bash", "-c", f'{trap}"$0" -c "$1"; wait', sys.executable, textwrap.dedent(code))


def sleeper(pid_file: Path) -> str:
    return f"""
        import os, pathlib, time
        pathlib.Path({str(pid_file)!r} + ".tmp").write_text(str(os.getpid()))
        os.replace({str(pid_file)!r} + ".tmp", {str(pid_file)!r})  # whole when seen
        deadline = time.time() + 60
        while time.time() < deadline:
            time.sleep(0.05)
    """


def kill_left(pid_file: Path) -> None:
    """Cleanup: end a process a failed test left behind."""
    try:
        os.kill(int(pid_file.read_text()), signal.SIGKILL)
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_wrapper_ends_every_process_of_the_command(tmp_path: Path, sig: signal.Signals) -> None:
    pid_file = tmp_path / "pid"
    proc = wrapper(tmp_path / "s", *under_bash(sleeper(pid_file)), stdin=subprocess.DEVNULL)
    try:
        wait_for(pid_file)
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 128 + sig
        assert not pid_alive(int(pid_file.read_text()), None), "the training process outlived its killed run"
        detail = only_run(tmp_path / "s")
        assert detail.status == "killed" and sig.name in (detail.error or "")
    finally:
        kill_left(pid_file)


def test_a_command_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    proc = wrapper(tmp_path / "s", *under_bash(sleeper(pid_file), ignore_term=True), env={"TRACKTUI_STOP_GRACE": "0.5"})
    try:
        wait_for(pid_file)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 128 + signal.SIGKILL
        assert not pid_alive(int(pid_file.read_text()), None)
        detail = only_run(tmp_path / "s")
        assert detail.status == "killed" and "SIGKILL" in (detail.error or "")
    finally:
        kill_left(pid_file)


def test_a_command_dies_with_its_sigkilled_wrapper_and_the_run_stays_crashed(tmp_path: Path) -> None:
    pid_file, ready, go = tmp_path / "pid", tmp_path / "ready", tmp_path / "go"
    proc = wrapper(
        tmp_path / "s",
        *under_bash(f"""
        import os, pathlib, time, store
        with store.start_run() as run:
            pathlib.Path({str(pid_file)!r} + ".tmp").write_text(str(os.getpid()))
            os.replace({str(pid_file)!r} + ".tmp", {str(pid_file)!r})  # whole when seen
            for i in range(50):
                print("line", i, flush=True)
            run.log_metric("x", 1.0)
            run.flush()
            pathlib.Path({str(ready)!r}).write_text("")
            deadline = time.time() + 30
            while not pathlib.Path({str(go)!r}).exists() and time.time() < deadline:
                time.sleep(0.02)
            print("after the wrapper died", flush=True)
            run.log_metric("x", 2.0)
    """),
    )
    try:
        wait_for(ready)
        deadline = time.monotonic() + 10
        while b"line 49\n" not in console_of(tmp_path / "s"):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        proc.kill()
        proc.wait(timeout=10)
        go.write_text("")
        pid = int(pid_file.read_text())
        deadline = time.monotonic() + 15
        while pid_alive(pid, None):
            assert time.monotonic() < deadline, "the command logs on after its wrapper was killed"
            time.sleep(0.02)
        detail = only_run(tmp_path / "s")
        assert detail.status == "crashed" and detail.metrics["x"]["count"] == 1
        assert final_lines(console_of(tmp_path / "s").decode()) == [f"line {i}" for i in range(50)]
    finally:
        kill_left(pid_file)


def state(pid: int) -> str:
    """The one-letter state of a process (`T`: stopped)."""
    stat = Path(f"/proc/{pid}/stat").read_bytes()
    return stat[stat.rfind(b")") + 2 :].split()[0].decode()


def wait_for_state(pid: int, stopped: bool) -> None:
    deadline = time.monotonic() + 10
    while (state(pid) == "T") != stopped:
        assert time.monotonic() < deadline, f"pid {pid} is {state(pid)!r}, not {'stopped' if stopped else 'running'}"
        time.sleep(0.02)


def test_ctrl_z_stops_the_command_with_the_wrapper_and_fg_continues_both(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    proc = wrapper(tmp_path / "s", *under_bash(sleeper(pid_file)), stdin=subprocess.DEVNULL)
    try:
        wait_for(pid_file)
        pid = int(pid_file.read_text())
        proc.send_signal(signal.SIGTSTP)
        wait_for_state(proc.pid, stopped=True)
        wait_for_state(pid, stopped=True)
        proc.send_signal(signal.SIGCONT)
        wait_for_state(proc.pid, stopped=False)
        wait_for_state(pid, stopped=False)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    finally:
        proc.kill()
        kill_left(pid_file)
