"""A real writer process that keeps logging into a store while an app test runs.

Users watch sweeps while they run; bugs in live refresh (a filter dropped, a cursor moved)
only show with a writer that keeps changing the store under the app. This is that writer:
a real child process using the public API, killed with SIGKILL when the test ends.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests.children import run_python


@contextlib.contextmanager
def live_writer(
    root: Path, experiment: str = "live-sweep", runs: int = 1, params: dict[str, object] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `runs` runs in `root` that log `loss` and `epoch` every 20 ms until the test ends.

    Waits until every run has its folder, so the app sees them from its first listing.
    """
    ready = root / f".{experiment}.ready"
    code = f"""
        import time, pathlib, store
        runs = [store.start_run(experiment={experiment!r}, name=f"live-{{i}}", root={str(root)!r},
                                flush_interval=0.05) for i in range({runs})]
        for i, run in enumerate(runs):
            run.log_params({{"lr": 0.1 * (i + 1), "seed": i, **{params or {}!r}}})
            run.log_metric("loss", 1.0)
            run.flush()
        pathlib.Path({str(ready)!r}).write_text("ok")
        step = 1
        while True:
            for run in runs:
                run.log_metric("loss", 1.0 / (step + 1))
                run.log_metric("epoch", float(step))
            step += 1
            time.sleep(0.02)
    """
    with writer_process(code, ready) as proc:
        yield proc


@contextlib.contextmanager
def writer_process(code: str, ready: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run `code` in a child process until the test ends (then SIGKILL), once it has written `ready`."""
    proc = run_python(code, wait=False)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            if proc.poll() is not None:
                raise RuntimeError(f"live writer died: {proc.stderr.read().decode() if proc.stderr else ''}")
            if time.monotonic() > deadline:
                raise RuntimeError("live writer did not start within 60 s")
            time.sleep(0.02)
        yield proc
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        ready.unlink(missing_ok=True)
