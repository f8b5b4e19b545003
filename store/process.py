"""Who is writing a run, and whether that writer is still alive; whether a wrapped command's
process group still runs, and the watchdog that ends it with its wrapper.

Crashed runs are inferred, never written: the writer that died cannot say so. On the
writer's own host a pid that is gone, or reused by a process that started later, means
the writer is dead; across hosts only the heartbeat can tell.
"""

from __future__ import annotations

import getpass
import os
import platform
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def hostname() -> str:
    return socket.gethostname()


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic garbage collection meanwhile: parsed rows and records make no cycles, but each collection
    walks every object parsed so far (a journal's 100,000 rows: 1.6 s of collections in a 3.3 s read; a
    first read of 1,000 W&B runs: ~240 collections, 0.1-0.3 s). Process-wide, so only around a parse, and
    collection resumes only if it was on."""
    import gc

    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def release_freed_memory() -> None:
    """Hand the memory this process has freed back to the system (glibc's `malloc_trim`; elsewhere nothing).

    A listing of 100,000 runs is made in passes, each making arrays of a megabyte or so a column
    and dropping the last pass's. glibc keeps what was freed: its threshold for giving a large
    block a mapping of its own rises to 32 MB once such a block is freed, and each worker thread
    has an arena of its own, so the next pass, in another thread or with other sizes, takes new
    memory: the app's first open grew to ~430 MB for ~250 MB in use. Called after such a pass
    (a few ms); a fixed threshold instead (`mallopt`) returned as much but cost 0.5 s of page
    faults a first open, every block mapped anew.
    """
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


@lru_cache(maxsize=1)
def _glibc() -> Any:
    """The C library when it is glibc (the one with `malloc_trim`), else None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    return libc if hasattr(libc, "gnu_get_libc_version") and hasattr(libc, "malloc_trim") else None


def process_start(pid: int) -> int | None:
    """Start time of `pid` in clock ticks since boot (Linux), to tell a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses; fields resume after the last ')'.
    fields = stat[stat.rfind(b")") + 2 :].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def pid_alive(pid: int, start: int | None) -> bool:
    """Whether the process that wrote `pid` (started at `start`) is still running here."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    if start is not None:
        now_start = process_start(pid)
        if now_start is not None and now_start != start:
            return False
        if now_start is None and os.path.exists("/proc/self/stat"):
            return False  # Linux, yet no stat: the process is gone (or a zombie reaped)
    return _not_zombie(pid)


def group_alive(pgid: int) -> bool:
    """Whether a process of group `pgid` still runs (zombies, which no signal can end, do not count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        entries = os.listdir("/proc")
    except OSError:
        return True  # no /proc to tell zombies apart
    for name in entries:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 2 and fields[2] == str(pgid).encode() and fields[0] != b"Z":
            return True
    return False


def _not_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return True
    state = stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3]
    return state != b"Z"


@lru_cache(maxsize=1)
def _own_start(pid: int) -> int | None:
    """This process's start time (cached: it never changes; keyed by pid, so a fork asks again)."""
    return process_start(pid)


@lru_cache(maxsize=1)
def _user() -> str | None:
    return user()


def user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


_git_facts: dict[tuple[int, str], dict[str, Any] | None] = {}


def git_info() -> dict[str, Any] | None:
    """Commit, branch and dirty flag of the work tree the script runs in, if any.

    Asked of `git` once per process and working folder (three subprocesses, 5-20 ms, ≤ 2 s
    each), not once per run: a sweep of thousands of short runs would pay it thousands of
    times, and a script rarely commits between its own runs. A copy is returned.
    """
    key = (os.getpid(), os.getcwd())
    if key not in _git_facts:
        _git_facts[key] = _ask_git()
    facts = _git_facts[key]
    return None if facts is None else dict(facts)


def _ask_git() -> dict[str, Any] | None:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, timeout=2, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        branch = git("rev-parse", "--abbrev-ref", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "branch": branch, "dirty": dirty}


def writer_facts() -> dict[str, Any]:
    """Who writes a run, as `meta.json` records it: host, pid and its start, user, command, git."""
    return {
        "host": hostname(),
        "pid": os.getpid(),
        "pid_start": _own_start(os.getpid()),
        "user": _user(),
        "command": [sys.executable, *sys.argv],
        "cwd": os.getcwd(),
        "python": platform.python_version(),
        "git": git_info(),
    }


class Watchdog:
    """A tiny `sh` in a session of its own that kills the command's process group when the
    wrapper dies first (`kill -9`, the OOM killer): it waits on a pipe only the wrapper holds.

    So a command never logs on after its wrapper is gone: the run stays `crashed` (it does not
    flip to `finished` later), and nothing the command would print after that is lost
    unseen. A wrapper that ends normally says `done` and leaves the group alone.
    """

    SCRIPT = 'read -r line; [ "$line" = done ] || kill -s KILL -- "-$1" 2>/dev/null'

    def __init__(self, pgid: int) -> None:
        reader, self._fd = os.pipe()
        try:
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                ["/bin/sh", "-c", self.SCRIPT, "tracktui-watchdog", str(pgid)],
                stdin=reader,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            print(
                f"tracktui: no watchdog for the command ({exc}); if this wrapper is killed, the command runs on",
                file=sys.stderr,
            )
            self._proc = None
        finally:
            os.close(reader)

    def release(self) -> None:
        try:
            os.write(self._fd, b"done\n")
        except OSError:
            pass
        os.close(self._fd)
        if self._proc is not None:
            self._proc.wait()


def wait_for_exit(proc: subprocess.Popen[bytes], poll: float = 0.2) -> int:
    """`proc`'s exit code, waited for so that this process's signal handlers run as soon as a signal comes.

    A signal sent to the wrapper may be delivered to any of its threads (console relays, the
    metrics sampler, the flusher); CPython only flags it there, and a main thread blocked in
    `waitpid` would not run the handler until the command exits: a forwarded Ctrl-Z/`fg` or
    SIGTERM came late or never (the command stayed stopped, the wrapper waited on it for good).
    So the main thread sleeps in `select()` on the command's pidfd and on a signal wakeup fd,
    and wakes for either: still one blocking call, no polling. Where there is no pidfd (not
    Linux) or this is not the main thread, it waits in slices of `poll` seconds instead.
    """
    import select
    import signal
    import threading

    if not hasattr(os, "pidfd_open") or threading.current_thread() is not threading.main_thread():
        while True:
            try:
                return proc.wait(timeout=poll)
            except subprocess.TimeoutExpired:
                continue
    pidfd = os.pidfd_open(proc.pid)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    old = signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    try:
        while proc.poll() is None:
            try:
                select.select([pidfd, wake_r], [], [])
            except InterruptedError:
                pass
            try:
                while os.read(wake_r, 512):
                    pass
            except BlockingIOError:
                pass
        return proc.returncode
    finally:
        signal.set_wakeup_fd(old)
        for fd in (pidfd, wake_r, wake_w):
            os.close(fd)
