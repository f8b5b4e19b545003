"""Process-wide life of the runs a process writes: the flusher thread, the active-run stack,
and what happens at interpreter exit, on an uncaught exception, on SIGTERM and after fork.

These are per process, not per run: one daemon thread flushes every open run (so a script
with many runs does not get many threads), and one set of hooks closes whatever is still
open when the process ends. `Run` (in `writer.py`) registers itself here and asks here how
the process is ending; this module never writes a file itself.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from store.writing.writer import Run

FLUSH_INTERVAL = 1.0
"""Seconds between background flushes: what a `kill -9` can lose at most."""


class _Flusher:
    """One daemon thread flushes every open run; started lazily with the first run."""

    def __init__(self) -> None:
        self._runs: weakref.WeakSet[Run] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, run: Run) -> None:
        with self._lock:
            self._runs.add(run)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="tracktui-flusher", daemon=True)
                self._thread.start()

    def remove(self, run: Run) -> None:
        with self._lock:
            self._runs.discard(run)

    def runs(self) -> list[Run]:
        with self._lock:
            return list(self._runs)

    def _loop(self) -> None:
        while True:
            runs = self.runs()
            interval = min((r.flush_interval for r in runs), default=FLUSH_INTERVAL)
            time.sleep(interval)
            for run in runs:
                run.background_flush()


_flusher = _Flusher()
_active: list[Run] = []
_active_lock = threading.Lock()
_exit_error: list[str] = []
_killed_by: list[str] = []


def register(run: Run) -> None:
    """Have the background thread flush `run` until `stop_flushing` or `unregister`."""
    _flusher.add(run)


def stop_flushing(run: Run) -> None:
    _flusher.remove(run)


def unregister(run: Run) -> None:
    """`run` is closed: no more background flushes, and no longer the active run."""
    _flusher.remove(run)
    with _active_lock:
        if run in _active:
            _active.remove(run)


def push_active(run: Run) -> None:
    """Make `run` the one the module-level functions (`store.log_metric`, ...) act on."""
    with _active_lock:
        _active.append(run)


def active_run() -> Run | None:
    with _active_lock:
        return _active[-1] if _active else None


def open_runs() -> Iterator[Run]:
    yield from _flusher.runs()


def outcome(
    exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
) -> tuple[str, str | None]:
    """The status and error a run ends with when its `with` block ends this way."""
    if exc_type is None:
        return "finished", None
    if issubclass(exc_type, KeyboardInterrupt):
        return "killed", "KeyboardInterrupt"
    if issubclass(exc_type, SystemExit):
        code = getattr(exc, "code", None)
        killed = killed_by()
        if killed:
            return "killed", killed
        return ("finished", None) if code in (0, None) else ("failed", f"SystemExit: {code}")
    return "failed", "".join(traceback.format_exception(exc_type, exc, tb))


def killed_by() -> str | None:
    """`SIGTERM` or `KeyboardInterrupt` when the process is being stopped by one, else None."""
    return _killed_by[0] if _killed_by else None


_finishing = 0
"""How many `finish()` calls the main thread is inside; SIGTERM waits for them."""
_sigterm_held = False
_at_exit = False


@contextmanager
def finishing() -> Iterator[None]:
    """Around `Run.finish()`: a SIGTERM landing inside is held until the run is closed.

    Raising SystemExit in the middle of a finish (as the handler otherwise does) would
    interrupt the final flush and record the wrong status. Held instead, the run records
    `killed` with everything flushed, and the SystemExit is raised here on the way out, so
    the process still ends as SIGTERM asks. Only the main thread runs signal handlers, so
    only its finishes hold the signal; at interpreter exit there is nothing left to raise into.
    """
    global _finishing, _sigterm_held
    main = threading.current_thread() is threading.main_thread()
    if main:
        _finishing += 1
    try:
        yield
    finally:
        if main:
            _finishing -= 1
            if _finishing == 0 and _sigterm_held:
                _sigterm_held = False
                if not _at_exit:
                    raise SystemExit(128 + signal.SIGTERM)


def sigterm_while_finishing() -> bool:
    """Whether a SIGTERM arrived during the current finish (the run is then `killed`)."""
    return _sigterm_held


def _finish_all_at_exit() -> None:
    global _at_exit
    _at_exit = True
    if _killed_by:
        status, error = "killed", _killed_by[0]
    elif _exit_error:
        status, error = "failed", _exit_error[0]
    else:
        status, error = "finished", None
    for run in list(_flusher.runs()):
        try:
            run.finish(status, error)
        except Exception as exc:  # noqa: BLE001 - at exit: a run that cannot finish must not stop the others
            print(f"tracktui: could not finish run {run.id} at exit: {exc}", file=sys.stderr)


def _excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        _killed_by.append("KeyboardInterrupt")
    else:
        _exit_error.append("".join(traceback.format_exception(exc_type, exc, tb)))
    _previous_excepthook(exc_type, exc, tb)


def _on_sigterm(signum: int, frame: Any) -> None:
    """Unwind like Ctrl-C does: `with` blocks and atexit then close runs as killed.

    Finishing runs here, inside the handler, could deadlock on a lock the interrupted
    `log_metric` holds. Inside a `finish()` the exit waits for it (`finishing`). A second
    SIGTERM kills the process at once.
    """
    global _sigterm_held
    _killed_by.append("SIGTERM")
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if _finishing:
        _sigterm_held = True
        return
    raise SystemExit(128 + signum)


def _forget_runs_in_child() -> None:
    """After fork: the child shares the parent's Run objects but must never write or close them."""
    global _flusher, _active_lock, _finishing, _sigterm_held
    _flusher = _Flusher()
    _finishing, _sigterm_held = 0, False
    _active_lock = threading.Lock()  # a parent thread may have held it at the fork
    _active.clear()
    if signal.getsignal(signal.SIGTERM) is _on_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


_previous_excepthook = sys.excepthook
_hooks_installed = False


def install_exit_hooks() -> None:
    """Flush and close runs at interpreter exit, on an uncaught exception and on SIGTERM.

    SIGTERM is only taken over when nobody else handles it and we are on the main thread.
    """
    global _hooks_installed, _previous_excepthook
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_finish_all_at_exit)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_forget_runs_in_child)
    _previous_excepthook = sys.excepthook
    sys.excepthook = _excepthook
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)
