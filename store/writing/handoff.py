"""Handing a run's lock from `tracktui run` (the wrapper) to the wrapped script and back.

A run has one writer at a time (see "Lock" in FORMAT.md). The wrapper creates the run and
owns its lock; a script it runs that calls `store.start_run()` must log into that run, not
a second one. Two processes rewriting `summary.json` at once would undo each other's
points, so the wrapper does not write alongside the script: it *hands the lock over*.

1. The script creates `attach-request` (whole, with `link()`) holding its host, pid and
   pid start (and the experiment it named, if any), then waits.
2. The wrapper, which polls for that file, flushes everything it buffered, stops writing
   (no flushes, no heartbeat, no system metrics), moves the run into the script's
   experiment if the wrapper was given none (first grant only; the script finds the folder
   again), and replaces `lock` with the script's identity plus `handed_by`: the wrapper's
   own lock content. It removes the request.
3. The script sees itself named in `lock` and is now the run's one writer (heartbeat,
   metrics, params, system metrics). Console capture stays with the wrapper: the console
   files are only ever written by the wrapper, so they need no lock.
4. When the script's run finishes it flushes, leaves the status `running`, and writes
   `handed_by` back into `lock`. The wrapper sees its own content again, re-reads the run
   from disk and carries on; it records the final status from the exit code.

A script that dies while it holds the lock is noticed by the wrapper (its pid is gone) and
the wrapper takes the lock back, cutting a torn last record. A wrapper that dies while the
script holds the lock is noticed by the script at its finish: it then closes the run itself.
A script whose wrapper died before granting takes the stale lock over as any writer would.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from store import safe_read
from store.errors import RunLockedError
from store.ours import atomic, layout, stored_values
from store.ours.lock import LOCK_CAP, create_exclusive, lock_held, read_lock, take_lock
from store.ours.run_folder import find_run
from store.process import hostname, pid_alive, process_start

REQUEST = "attach-request"
RUN_ID_ENV = "TRACKTUI_RUN_ID"
"""Set by `tracktui run` for the command it wraps: the id of the run it owns."""
EXPERIMENT_ENV = "TRACKTUI_EXPERIMENT"
"""Set by `tracktui run`: the experiment of that run (a `start_run` for another one makes a new run)."""
GRANT_TIMEOUT = 15.0
"""How long a script waits for the wrapper to hand the lock over before giving up."""


def identity() -> dict[str, Any]:
    return {"host": hostname(), "pid": os.getpid(), "pid_start": process_start(os.getpid()), "time": time.time()}


def is_mine(owner: dict[str, Any] | None) -> bool:
    return bool(owner) and owner.get("host") == hostname() and owner.get("pid") == os.getpid()  # type: ignore[union-attr]


def alive(owner: dict[str, Any] | None) -> bool:
    """Whether the process named in a lock body runs (on this host; other hosts count as alive)."""
    if not owner or not isinstance(owner.get("pid"), int):
        return False
    if owner.get("host") != hostname():
        return True
    start = owner.get("pid_start")
    return pid_alive(owner["pid"], start if isinstance(start, int) else None)


# -- the script's side ------------------------------------------------------------------


class AttachBusy(RunLockedError):
    """Another script holds the wrapper's run, or is asking for it: this one gets a run of its own."""


def attach(
    run_path: Path, run_id: str, timeout: float = GRANT_TIMEOUT, experiment: str | None = None
) -> tuple[dict[str, Any] | None, Path]:
    """Become the writer of a run a wrapper owns: (the wrapper's lock body to hand back, or
    None; the run's folder).

    None means the lock was not handed over but taken over: the wrapper had died, so the
    run is ours to finish. `experiment` is the one the script named: a wrapper that was
    given none moves the run into it before granting, so the folder returned may be new.
    Raises `AttachBusy` when another live script holds or asks for the run (several ranks
    of a distributed job all calling `start_run()`), and `RunLockedError` when the wrapper
    lives but does not answer.
    """
    lock = run_path / layout.LOCK
    request = run_path / REQUEST
    me = identity() if experiment is None else dict(identity(), experiment=experiment)
    while True:
        try:
            if create_exclusive(request, stored_values.dumps(me)):
                break
        except FileNotFoundError:  # moved into another script's experiment meanwhile
            run_path, lock, request = _relocated(run_path, run_id)
            continue
        try:
            asker = json.loads(safe_read.read_text(request, cap=LOCK_CAP))
        except FileNotFoundError:
            continue  # granted or withdrawn meanwhile: ask again
        except (OSError, ValueError):
            asker = None
        if isinstance(asker, dict) and alive(asker):
            raise AttachBusy(f"run {run_id}: another process is attaching to it")
        request.unlink(missing_ok=True)  # left by an asker that died
    deadline = time.monotonic() + timeout
    try:
        while True:
            owner = read_lock(lock)
            if owner is None and not run_path.exists():  # the wrapper moved it into our experiment
                run_path, lock, request = _relocated(run_path, run_id)
                continue
            if is_mine(owner):  # the wrapper removed our request when it granted
                handed = owner.get("handed_by") if owner else None
                return (handed if isinstance(handed, dict) else None), run_path
            if owner is not None and owner.get("handed_by") and alive(owner):
                raise AttachBusy(f"run {run_id}: pid {owner.get('pid')} logs into it already")
            if owner is None or not lock_held(owner, lock, run_path):
                take_lock(run_path, run_id)  # the wrapper died: a normal takeover
                _withdraw(request, me)
                return None, run_path
            if time.monotonic() > deadline:
                raise RunLockedError(
                    f"run {run_id}: its wrapper (pid {owner.get('pid')}) did not hand the run over within {timeout:g} s"
                )
            time.sleep(0.02)
    except BaseException:
        _withdraw(request, me)
        raise


def _relocated(run_path: Path, run_id: str) -> tuple[Path, Path, Path]:
    """The run's folder, lock and request after the wrapper moved it into a script's experiment."""
    path = find_run(run_path.parent.parent, run_id)
    return path, path / layout.LOCK, path / REQUEST


def _withdraw(request: Path, me: dict[str, Any]) -> None:
    """Remove our request, and only ours (another script may have made the next one)."""
    try:
        if json.loads(safe_read.read_text(request, cap=LOCK_CAP)) == json.loads(stored_values.dumps(me)):
            request.unlink(missing_ok=True)
    except (OSError, ValueError):
        pass


def hand_back(run_path: Path, wrapper: dict[str, Any]) -> bool:
    """Give the lock back to the wrapper; False (lock kept) when the wrapper is gone."""
    if not alive(wrapper):
        return False
    atomic.atomic_write_text(run_path / layout.LOCK, stored_values.dumps(wrapper))
    return True


# -- the wrapper's side -----------------------------------------------------------------


def pending_request(run_path: Path) -> dict[str, Any] | None:
    """The identity of a live script asking for the run, if any (a dead asker's request is removed)."""
    request = run_path / REQUEST
    try:
        text = safe_read.read_text(request, cap=LOCK_CAP)
    except (FileNotFoundError, IsADirectoryError):
        return None
    except (OSError, ValueError):
        return None
    try:
        asker = json.loads(text)
    except ValueError:
        return None
    if not isinstance(asker, dict) or not alive(asker):
        request.unlink(missing_ok=True)
        return None
    return asker


def grant(run_path: Path, asker: dict[str, Any], own_body: str) -> None:
    """Name `asker` in the lock, remembering our own lock body for the hand-back."""
    body = {k: v for k, v in asker.items() if k != "experiment"}
    body.update(time=time.time(), handed_by=json.loads(own_body))
    atomic.atomic_write_text(run_path / layout.LOCK, stored_values.dumps(body))
    (run_path / REQUEST).unlink(missing_ok=True)


def lock_text(run_path: Path) -> str | None:
    try:
        return safe_read.read_text(run_path / layout.LOCK, cap=LOCK_CAP)
    except OSError:
        return None


def take_back(run_path: Path, own_body: str) -> None:
    """Write our lock body again (the script handed it back, or died holding it)."""
    atomic.atomic_write_text(run_path / layout.LOCK, own_body)
