"""`tracktui run -- CMD ...`: run any command as a run.

The wrapper creates the run (the command's argv, cwd, git state and diff, packages,
environment), starts the command with `TRACKTUI_RUN_ID`, `TRACKTUI_STORE` and
`TRACKTUI_EXPERIMENT` set in a session of its own, forwards signals to its process group
(and kills the group when the wrapper is killed), and records how it ended: exit 0 is
`finished`, another code `failed` (the code is kept in `exit_code`), a signal `killed`.
A script in the command that calls `store.start_run()` is handed the run's lock and logs
into this run (see `store/writing/handoff.py`). Console capture (`child_console.py`) and system
metrics plug in here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from store.ours import durable, layout
from store.ours.lock import read_lock
from store.process import Watchdog, group_alive, wait_for_exit
from store.writing import handoff, lifecycle
from store.writing.child_console import ChildConsole
from store.writing.console import ConsoleLog
from store.writing.environment import command_without_credentials, record_environment
from store.writing.system_metrics import start_system_metrics
from store.writing.writer import Run

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)
STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
POLL = 0.05
"""Seconds between the wrapper's looks at the lock (attach requests, hand-backs, dead scripts)."""
STOP_GRACE = 10.0
"""Seconds the command's processes get to end after a forwarded SIGINT/SIGTERM/SIGHUP/SIGQUIT."""
STOP_GRACE_ENV = "TRACKTUI_STOP_GRACE"


def child_environment(run: Run, root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env[handoff.RUN_ID_ENV] = run.id
    env[handoff.EXPERIMENT_ENV] = run.experiment
    env[layout.STORE_ENV] = str(root)
    return env


class Steward:
    """A thread of the wrapper that hands the lock to an attaching script and takes it back.

    `pause`/`resume` are called around the hand-over so that whatever else writes into the
    run from the wrapper (the system metrics sampler) stops while the script owns it.
    """

    def __init__(
        self,
        run: Run,
        pause: Callable[[], None] = lambda: None,
        resume: Callable[[], None] = lambda: None,
        *,
        movable: bool = False,
        console: ConsoleLog | None = None,
    ) -> None:
        self.run = run
        self.movable = movable
        """The wrapper was given no experiment: the first script to attach may name it (`_place`)."""
        self.console = console
        self.own_body = handoff.lock_text(run.path) or ""
        self._own = json.loads(self.own_body) if self.own_body else None
        self._pause, self._resume = pause, resume
        self.handed = False
        self._warned = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tracktui-steward", daemon=True)

    def set_callbacks(self, pause: Callable[[], None], resume: Callable[[], None]) -> None:
        self._pause, self._resume = pause, resume

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(POLL):
            self._safe_tick()

    def _safe_tick(self) -> None:
        """A failed look (a full disk, a file damaged by hand) is reported and tried again next time."""
        try:
            self.tick()
        except Exception as exc:  # noqa: BLE001 - the hand-over thread must outlive any one failed look
            if not self._warned:
                print(f"tracktui: run {self.run.id}: hand-over: {type(exc).__name__}: {exc}", file=sys.stderr)
            self._warned = True
        else:
            self._warned = False

    def tick(self) -> None:
        if not self.handed:
            asker = handoff.pending_request(self.run.path)
            if asker is not None:
                self._grant(asker)
            return
        owner = read_lock(self.run.path / layout.LOCK)
        if owner == self._own:
            self._reclaim()
        elif not handoff.alive(owner):
            handoff.take_back(self.run.path, self.own_body)  # the script died holding the run
            self._reclaim()

    def _grant(self, asker: dict[str, Any]) -> None:
        self._pause()
        self.run.flush()
        with self.run._io_lock:
            self.run._paused = True
            if self.movable:
                self.movable = False
                self._place(asker.get("experiment"))
            handoff.grant(self.run.path, asker, self.own_body)
        self.handed = True

    def _place(self, experiment: object) -> None:
        """Move the run into the experiment the script named (one rename, lock and all), so its
        metrics, console and system metrics stay one run, where the script said it belongs."""
        run = self.run
        if not isinstance(experiment, str) or experiment == run.experiment:
            return
        try:
            layout.check_key(experiment, "experiment name")
        except ValueError as exc:
            print(f"tracktui: run {run.id} stays in experiment {run.experiment!r}: {exc}", file=sys.stderr)
            return
        target = run.root / layout.experiment_dirname(experiment) / run.id
        source = run.path
        try:
            target.parent.mkdir(exist_ok=True)
            os.rename(source, target)  # a run of that id there already: refused, the run stays
        except OSError as exc:
            print(
                f"tracktui: run {run.id} stays in experiment {run.experiment!r}: cannot move it to {target} ({exc})",
                file=sys.stderr,
            )
            return
        run.path, run.experiment = target, experiment
        run._meta["experiment"] = experiment
        run._write_meta()
        if self.console is not None:
            self.console.moved(target)
        durable.soon(source.parent, target.parent)

    def _reclaim(self) -> None:
        with self.run._io_lock:
            self.run._load_existing("reclaim")
            self.run._paused = False
        self.handed = False
        self._resume()

    def stop(self, wait_for_script: float = 5.0) -> None:
        """Stop watching; a script that still holds the run gets `wait_for_script` s to give it back."""
        self._stop.set()
        self._thread.join()
        deadline = time.monotonic() + wait_for_script
        while self.handed and time.monotonic() < deadline:
            self._safe_tick()
            if self.handed:
                self._stop.wait(POLL)
        if self.handed:  # the script outlived the command: the run is closed without it
            handoff.take_back(self.run.path, self.own_body)
            try:
                self._reclaim()
            except (OSError, ValueError) as exc:
                print(f"tracktui: run {self.run.id}: could not re-read it ({exc})", file=sys.stderr)
                with self.run._io_lock:
                    self.run._paused = False
                self.handed = False


class _Forwarder:
    """Signal handlers that pass signals to the command's process group instead of ending the wrapper.

    The command runs in a session of its own, so a signal reaches every process it started
    (`bash -c 'python train.py; ...'`), not only the first; a terminal's Ctrl-C reaches only
    the wrapper and is passed on from here. After a signal that asks it to stop, the group
    gets `stop_grace()` seconds (a timer, so the wrapper's wait stays one blocking call), then
    SIGKILL.
    """

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.received: list[int] = []
        self._old: dict[int, Any] = {}
        self.on_resize: Callable[[], None] | None = None
        self.deadline: float | None = None
        """When the group is killed, once a stopping signal was passed on."""
        self._killer: threading.Timer | None = None

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in FORWARDED:
            self._old[sig] = signal.signal(sig, self._handle)
        self._old[signal.SIGWINCH] = signal.signal(signal.SIGWINCH, self._resize)
        self._old[signal.SIGTSTP] = signal.signal(signal.SIGTSTP, self._suspend)
        self._old[signal.SIGCONT] = signal.signal(signal.SIGCONT, self._continue)

    def _suspend(self, signum: int, frame: Any) -> None:
        """Ctrl-Z stops the command with the wrapper. SIGSTOP, as a group in a session of its
        own is orphaned, and the kernel drops SIGTSTP sent to one."""
        self._signal_group(signal.SIGSTOP)
        os.kill(os.getpid(), signal.SIGSTOP)

    def _continue(self, signum: int, frame: Any) -> None:
        self._signal_group(signal.SIGCONT)

    def _resize(self, signum: int, frame: Any) -> None:
        if self.on_resize is not None:
            self.on_resize()
        self._signal_group(signal.SIGWINCH)

    def restore(self) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)

    def _handle(self, signum: int, frame: Any) -> None:
        self.received.append(signum)
        if signum in STOPPING and self.deadline is None:
            grace = stop_grace()
            self.deadline = time.monotonic() + grace
            self._killer = threading.Timer(grace, self._signal_group, (signal.SIGKILL,))
            self._killer.daemon = True
            self._killer.start()
        self._signal_group(signum)

    def _signal_group(self, signum: int) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def end_group(self) -> None:
        """After the command exits: if it was told to stop, what is left of its group gets the
        rest of the grace period, then SIGKILL (a training process under `bash -c` never
        outlives a run that says `killed`)."""
        if self.proc is None or self.deadline is None:
            return
        while group_alive(self.proc.pid) and time.monotonic() < self.deadline:
            time.sleep(POLL)
        if group_alive(self.proc.pid):
            self._signal_group(signal.SIGKILL)
        if self._killer is not None:
            self._killer.cancel()


def stop_grace() -> float:
    try:
        return max(0.0, float(os.environ.get(STOP_GRACE_ENV, STOP_GRACE)))
    except ValueError:
        return STOP_GRACE


def outcome(returncode: int, forwarded: Sequence[int]) -> tuple[str, str | None, int]:
    """Run status, error text and the wrapper's own exit code for a child's return code."""
    if returncode < 0:
        name = _signal_name(-returncode)
        return "killed", name, 128 - returncode
    if returncode == 0:
        return "finished", None, 0
    if forwarded:
        return "killed", f"{_signal_name(forwarded[-1])} (exit code {returncode})", returncode
    return "failed", f"exit code {returncode}", returncode


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return f"signal {num}"


def run_command(
    argv: Sequence[str],
    *,
    experiment: str | None = None,
    name: str | None = None,
    tags: dict[str, str] | None = None,
    root: str | os.PathLike[str] | None = None,
    capture: bool = True,
) -> int:
    """Run `argv` as a run; its exit code (128+N for a signal N), as a shell would report it."""
    if not argv:
        raise ValueError("give a command to run after --")
    parent = os.environ.get(handoff.RUN_ID_ENV) or None
    movable = experiment is None
    if experiment is None:
        experiment = (os.environ.get(handoff.EXPERIMENT_ENV) if parent else None) or "default"
    layout.check_key(experiment, "experiment name")
    store_root = layout.resolve_root(root).absolute()
    lifecycle.install_exit_hooks()
    run = Run(store_root, experiment, name)
    run._meta["command"], cleaned = command_without_credentials(list(argv))
    run._meta["parent"] = parent
    run._write_meta()
    if tags:
        run.set_tags(tags)
    try:
        hidden = record_environment(run) + (["the command line"] if cleaned else [])
    except OSError as exc:
        print(f"tracktui: could not record the environment of run {run.id}: {exc}", file=sys.stderr)
    else:
        if hidden:
            print(
                f"tracktui run: run {run.id}: recorded without the secrets in {', '.join(hidden)}",
                file=sys.stderr,
                flush=True,
            )
    forwarder = _Forwarder()
    console = ChildConsole(run.path) if capture else None
    steward = Steward(run, movable=movable, console=console.log if console else None)
    forwarder.install()
    try:
        try:
            fds = console.child_fds() if console else {}
            proc = subprocess.Popen(
                list(argv),
                env=child_environment(run, store_root),
                start_new_session=True,
                stdout=fds.get("stdout"),
                stderr=fds.get("stderr"),
            )
        except OSError as exc:
            print(f"tracktui: cannot run {argv[0]!r}: {exc.strerror or exc}", file=sys.stderr)
            if console:
                console.close()
            run.finish("failed", f"cannot run {argv[0]!r}: {exc}")
            return 127 if isinstance(exc, FileNotFoundError) else 126
        forwarder.proc = proc
        watchdog = Watchdog(proc.pid)
        sampler = start_system_metrics(run, None, pid=proc.pid)
        if sampler is not None:
            steward.set_callbacks(sampler.pause, sampler.resume)
        if console:
            console.started()
            forwarder.on_resize = console.resize
        steward.start()
        returncode = wait_for_exit(proc)
        forwarder.end_group()
        watchdog.release()
        if console:
            console.close()
        steward.stop()
    finally:
        forwarder.restore()
    status, error, code = outcome(returncode, forwarder.received)
    previous = run._meta.get("error")
    if previous and status != "finished":
        error = f"{error}\n\n{previous}"
    run._meta["exit_code"] = returncode if returncode >= 0 else None
    run.finish(status, error)
    return code


_attached_to: list[str] = []
"""The experiment of the wrapper's run, once this process has attached to it."""


def wrapped_run(
    experiment: str | None, root: str | os.PathLike[str] | None, resume: str | None
) -> tuple[str | None, str | None]:
    """For `start_run` under `tracktui run`: (the run to attach to or None, the parent run id or None).

    The first run a process of the command starts is the wrapper's run, whatever experiment
    it names; a later one is too only without an experiment or with that run's.
    """
    run_id = os.environ.get(handoff.RUN_ID_ENV)
    if not run_id:
        return None, None
    if resume is not None or (_attached_to and experiment not in (None, _attached_to[-1])):
        return None, run_id
    if root is not None and layout.resolve_root(root).resolve() != layout.resolve_root(None).resolve():
        return None, run_id
    if any(run.id == run_id for run in lifecycle.open_runs()):
        return None, run_id  # this process holds it already: a second start_run is a child run
    return run_id, None


def adopt_wrapped_run(run: Run, name: str | None) -> None:
    """The script attached to the wrapper's run: name it if it has no name, record its packages."""
    _attached_to.append(run.experiment)
    if name and run.name == run.id:
        run.name = run._meta["name"] = name
        run._write_meta()
    try:
        record_environment(run, patch=False)  # the interpreter that trains is this one, not the wrapper's
    except OSError as exc:
        print(f"tracktui: could not record the environment of run {run.id}: {exc}", file=sys.stderr)
