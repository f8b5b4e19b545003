"""Console capture: kept in the run, still shown live, capped, crash-safe; `tracktui logs` prints it."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import store
from store.writing.console import CONSOLE, ConsoleLog, final_lines, read_console
from tests.children import REPO, run_python
from tests.test_run_command import only_run, python, wrapper


def console_of(store_dir: Path) -> bytes:
    return read_console(Path(only_run(store_dir).facts["path"]))


def logs(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", "logs", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        timeout=30,
    )


def test_final_lines_show_what_a_terminal_leaves() -> None:
    assert final_lines("a\rb\n") == ["b"]
    assert final_lines("100%\r50\n") == ["500%"]  # as a screen shows it
    assert final_lines("x\r\ny\n") == ["x", "y"]
    assert final_lines("10%|#  \r20%|## \r30%|###\ndone") == ["30%|###", "done"]
    assert final_lines("\x1b[31mred\x1b[0m\n") == ["\x1b[31mred\x1b[0m"]


def test_a_capped_console_keeps_the_head_a_marker_and_the_end(tmp_path: Path) -> None:
    log = ConsoleLog(tmp_path, max_bytes=4000, tail_bytes=1000)
    for i in range(2000):
        log.write(f"line {i:05d}\n".encode())
    log.close()
    files = {p.name: p.stat().st_size for p in tmp_path.iterdir()}
    assert sum(files.values()) < 4000 + 200  # the cap, plus the marker
    text = read_console(tmp_path).decode()
    lines = final_lines(text)
    assert lines[0] == "line 00000"
    assert any("console output past 3000 bytes was cut here" in line for line in lines)
    assert lines[-1] == "line 01999"
    tail = lines[lines.index(next(x for x in lines if "cut here" in x)) + 1 :]
    assert all(line.startswith("line ") and len(line) == 10 for line in tail)  # whole lines only
    numbers = [int(line[5:]) for line in tail]
    assert numbers == list(range(numbers[0], 2000))


def test_wrapped_output_is_captured_and_passed_through(tmp_path: Path) -> None:
    proc = wrapper(
        tmp_path / "s",
        *python("""
        import sys
        print("to stdout", flush=True)
        print("to stderr", file=sys.stderr, flush=True)
        sys.stdout.write("10%\\r50%\\r100%\\n\\x1b[32mgreen\\x1b[0m\\n")
    """),
    )
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert out == b"to stdout\n10%\r50%\r100%\n\x1b[32mgreen\x1b[0m\n"
    assert err == b"to stderr\n"
    console = console_of(tmp_path / "s")
    assert b"to stderr\n" in console
    # Both streams whole; they interleave chunk by chunk as the relays read them (a loaded box
    # can put stderr's line between two reads of stdout), so stdout is what is left without it.
    assert console.replace(b"to stderr\n", b"", 1) == out


LOOP = textwrap.dedent("""\
    for i in range(200):
        print(f"out {i}", flush=True)
        sys.stdout.write(f"part {i} "); sys.stdout.flush()
        time.sleep(0.001)  # a relay that copies as it reads has this unfinished line before stderr's
        sys.stderr.write(f"err {i}\\n"); sys.stderr.flush()
        sys.stdout.write("end\\n"); sys.stdout.flush()
""")
INTERLEAVED = python(f"import sys, time\n{LOOP}raise RuntimeError('boom')\n")
"""Prints to stdout and stderr in turns, an unfinished stdout line around a stderr line, then fails."""


def quiet_env() -> dict[str, str]:
    """This checkout on the path, and no variable the wrapper would report leaving out (its only line)."""
    from store.writing.environment import selected_environment

    chosen = selected_environment()
    left_out = {*chosen["redacted"], *chosen["credentials_removed"]}
    return {k: v for k, v in os.environ.items() if k not in left_out and not k.startswith("TRACKTUI_")} | {
        "PYTHONPATH": str(REPO)
    }


def redirected(
    tmp_path: Path, name: str, *, wrapped: bool, same: bool, command: tuple[str, ...] = INTERLEAVED
) -> tuple[bytes, bytes]:
    """Run `command` as a batch job does (`> out 2>&1`, or `> out 2> err`); what landed in the files."""
    out_path, err_path = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
    if wrapped:
        command = (sys.executable, "-m", "tui.cli", "run", "--store", str(tmp_path / "s"), "--", *command)
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT if same else err,
            env=quiet_env(),
            timeout=60,
        )
    assert proc.returncode == 1
    return out_path.read_bytes(), err_path.read_bytes()


def test_output_redirected_to_one_file_keeps_the_commands_order(tmp_path: Path) -> None:
    direct, _ = redirected(tmp_path, "direct", wrapped=False, same=True)
    shown, _ = redirected(tmp_path, "wrapped", wrapped=True, same=True)
    assert b"part 0 err 0\nend\n" in direct and direct.rstrip().endswith(b"RuntimeError: boom")
    assert shown == direct
    assert console_of(tmp_path / "s") == direct


def test_start_run_capture_console_redirected_to_one_file_keeps_the_order(tmp_path: Path) -> None:
    captured = python(f"""import sys, time, store
with store.start_run(root={str(tmp_path / "s")!r}, capture_console=True):
{textwrap.indent(LOOP, "    ")}raise RuntimeError('boom')
""")
    direct, _ = redirected(tmp_path, "direct", wrapped=False, same=True)
    shown, _ = redirected(tmp_path, "captured", wrapped=False, same=True, command=captured)
    printed = direct[: direct.index(b"Traceback")]  # the traceback's line numbers differ
    assert shown.startswith(printed) and shown.rstrip().endswith(b"RuntimeError: boom")
    assert console_of(tmp_path / "s") == printed


def test_output_redirected_to_two_files_never_splices_lines(tmp_path: Path) -> None:
    direct_out, direct_err = redirected(tmp_path, "direct", wrapped=False, same=False)
    out, err = redirected(tmp_path, "wrapped", wrapped=True, same=False)
    assert (out, err) == (direct_out, direct_err)
    lines = console_of(tmp_path / "s").decode().splitlines()
    assert sorted(lines) == sorted(direct_out.decode().splitlines() + direct_err.decode().splitlines())
    err_lines = direct_err.decode().splitlines()
    traceback = err_lines[err_lines.index("Traceback (most recent call last):") :]
    start = lines.index(traceback[0])
    assert lines[start : start + len(traceback)] == traceback  # where it was printed, in one piece


def test_a_command_that_prints_10_mb_is_shown_and_kept_whole(tmp_path: Path) -> None:
    proc = wrapper(
        tmp_path / "s",
        *python("""
        import sys
        line = b"x" * 99 + b"\\n"
        for _ in range(100_000):
            sys.stdout.buffer.write(line)
    """),
    )
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert len(out) == 10_000_000
    console = console_of(tmp_path / "s")
    assert len(console) == 10_000_000 and console == out


def test_a_terminal_gets_a_pty_so_the_command_still_sees_a_terminal(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui.cli",
            "run",
            "--store",
            str(tmp_path / "s"),
            "--",
            *python("import sys; print('tty', sys.stdout.isatty()); print('e', file=sys.stderr)"),
        ],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    shown = b""
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        assert ready, "the wrapper went quiet"
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    assert proc.wait(timeout=30) == 0
    assert b"tty True" in shown
    console = console_of(tmp_path / "s")
    assert console == b"tty True\ne\n"  # no \r\n added by the pty


def test_start_run_capture_console_keeps_prints_subprocesses_and_stderr(tmp_path: Path) -> None:
    child = run_python(f"""
        import os, sys, store
        with store.start_run(root={str(tmp_path / "s")!r}, capture_console=True) as run:
            print("from print")
            os.system("echo from a subprocess")
            print("from stderr", file=sys.stderr)
        print("after the run")
    """)
    out, err = child.communicate()
    assert child.returncode == 0, err
    assert out == b"from print\nfrom a subprocess\nafter the run\n"
    assert err == b"from stderr\n"
    console = console_of(tmp_path / "s").decode()
    assert "from print\n" in console and "from a subprocess\n" in console and "from stderr\n" in console
    assert "after the run" not in console


def test_logs_prints_final_lines_sanitized_and_tails(tmp_path: Path) -> None:
    proc = wrapper(
        tmp_path / "s",
        *python(r"""
        import sys
        sys.stdout.write("one\n10%\r100%\n\x1b]0;title\x07\x1b[31mred\x1b[0m\nlast\n")
    """),
        options=("-n", "printer"),
    )
    proc.communicate(timeout=30)
    result = logs(str(tmp_path / "s"), "printer")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "one\n100%\n␛]0;title␇␛[31mred␛[0m\nlast\n"
    assert "\x1b" not in result.stdout
    assert logs(str(tmp_path / "s"), "printer", "--tail", "2").stdout == "␛]0;title␇␛[31mred␛[0m\nlast\n"
    missing = logs(str(tmp_path / "s"), "nobody")
    assert missing.returncode == 2 and "nobody" in missing.stderr


def test_logs_follow_prints_a_live_run_until_it_ends(tmp_path: Path) -> None:
    go = tmp_path / "go"
    proc = wrapper(
        tmp_path / "s",
        *python(f"""
        import pathlib, time
        print("first", flush=True)
        while not pathlib.Path({str(go)!r}).exists():
            time.sleep(0.02)
        print("second", flush=True)
    """),
        options=("-n", "live"),
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            if b"first" in console_of(tmp_path / "s"):
                break
        except (AssertionError, store.StoreError, FileNotFoundError):
            pass
        assert time.monotonic() < deadline
        time.sleep(0.05)
    follower = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "logs", str(tmp_path / "s"), "live", "--follow"],
        stdout=subprocess.PIPE,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    assert follower.stdout is not None
    assert follower.stdout.readline() == b"first\n"
    go.write_text("")
    assert follower.stdout.readline() == b"second\n"
    proc.communicate(timeout=30)
    assert follower.wait(timeout=30) == 0  # ends with the run
    assert follower.stdout.read() == b""


@pytest.mark.parametrize("flag", ["--no-capture"])
def test_no_capture_keeps_no_console(tmp_path: Path, flag: str) -> None:
    proc = wrapper(tmp_path / "s", *python("print('hi')"), options=(flag,))
    assert proc.communicate(timeout=30)[0] == b"hi\n"
    assert not (Path(only_run(tmp_path / "s").facts["path"]) / CONSOLE).exists()
