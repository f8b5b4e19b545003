"""What the readers of foreign logs (TensorBoard, W&B) share: parsed runs kept between refreshes, and liveness.

Such a reader parses a run's log once, then only what was appended (`update`). The parsed
state of the runs read last is kept (at most `MAX_TAILS`, least recently used dropped), so a
live run costs its appended bytes on each refresh, while a 1,000-run folder does not hold
1,000 open files and histories in memory. A dropped run is parsed again from the start
when it changes or its history is asked for.

Neither format has a heartbeat file: a run is live while its writer process is (same host,
pid known) or while its log grew within `stale_seconds`; past that it is `dead_status`
(TensorBoard never writes an end, so a quiet run is finished; a W&B run without an exit
record has crashed).

A first open has every run to parse, which is CPU work the GIL keeps on one core: when the
runs to read hold `PARALLEL_BYTES` or more, they are read here and in a few child processes
(`read_in_pool`), which send back only the listing records; a run's parsed history is read
again, in this process, when a chart or the detail asks for it.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Generic, TypeVar

from store.base import RunRecord, RunStore, infer_running_status, valid_record
from store.ours.index import RACY_SECONDS, FolderRunStore, UnitIndex
from store.process import collection_paused, cores, hostname

MAX_TAILS = 64
T = TypeVar("T")
PARALLEL_BYTES = 16 * 1024 * 1024
"""Log bytes to parse before child processes pay for their start (about 0.4 s of CPU each: Python and the
parser's imports). Parsing runs at 10-25 MB a second a core here (TensorBoard, W&B), so this is 1-2 s of work."""
MAX_WORKERS = 4


class TailCache(Generic[T]):
    """Parsed runs by unit, least recently used first out."""

    def __init__(self, limit: int = MAX_TAILS) -> None:
        self.limit = limit
        self._items: OrderedDict[str, T] = OrderedDict()

    def get(self, unit: str, make: Callable[[], T]) -> T:
        item = self._items.get(unit)
        if item is None:
            item = self._items[unit] = make()
        self._items.move_to_end(unit)
        while len(self._items) > self.limit:
            self._items.popitem(last=False)
        return item

    def drop(self, unit: str) -> None:
        self._items.pop(unit, None)


class TailedLiveness(RunStore):
    """`running` records become `dead_status` once their writer is gone or their log has been quiet too long."""

    stale_seconds = 150.0
    dead_status = "finished"

    def liveness(self, rec: RunRecord, now: float) -> str:
        pid = rec.get("pid")
        if rec.get("host") == hostname() and isinstance(pid, int) and pid > 0:
            return "running" if infer_running_status(rec, now) == "running" else self.dead_status
        heartbeat = rec.get("heartbeat")
        if heartbeat is not None and now - float(heartbeat) > self.stale_seconds:
            return self.dead_status
        return "running"

    def _update_statuses(self, now: float) -> set[str]:
        changed = set()
        statuses: dict[str, str] = {}
        for rec in self._all_records():
            if rec.get("status") != "running":
                continue
            status = statuses[rec["run_id"]] = self.liveness(rec, now)
            if self._statuses.get(rec["run_id"], "running") != status:
                changed.add(rec["run_id"])
        self._statuses = statuses
        return changed


class PooledFirstRead(FolderRunStore):
    """A `FolderRunStore` whose runs to (re)read are read here and in child processes when they hold enough bytes.

    `_pool_state` is what a worker's copy of the store needs besides its root (set by `_scan`); a
    signature's third number is the bytes of the run's files, which decides whether children pay.
    """

    _cache: UnitIndex
    parallel_bytes = PARALLEL_BYTES
    reads_here = True
    """Whether this process reads runs too while the children do (it would otherwise only wait)."""

    def _pool_state(self) -> dict[str, Any]:
        return {}

    def _sync(self, now: float) -> set[str]:
        scanned = self._scan()
        due = [unit for unit, sig in scanned.items() if self._due(unit, sig)]
        read: Callable[[str], RunRecord] = self._read_record_safely
        if len(due) > 1 and sum(scanned[unit][2] for unit in due) >= self.parallel_bytes:  # sig[2]: bytes
            records = read_in_pool(type(self), self.root, self._pool_state(), due, read if self.reads_here else None)
            read = lambda unit: records.pop(unit, None) or self._read_record_safely(unit)  # noqa: E731
        return self._cache.update(scanned, read, self._sig_time, now)

    def _due(self, unit: str, sig: list[int]) -> bool:
        """Whether `UnitIndex.update` will read this unit (its entry is missing, changed or read too soon)."""
        entry = self._cache.entries.get(unit)
        return entry is None or entry["sig"] != sig or entry["read_at"] - self._sig_time(sig) <= RACY_SECONDS


def workers() -> int:
    """Readers for a first read, this process one of them: one a spare core (this process's own counted
    spare), at most `MAX_WORKERS`; 1 means read here alone. On a machine other work keeps busy, children
    would only add their start to the same share of the cores (measured: no faster at load 4 on 2 cores)."""
    usable = cores()
    try:
        busy = int(os.getloadavg()[0])
    except (AttributeError, OSError):
        busy = 0
    return max(1, min(MAX_WORKERS, usable, usable - busy + 1))


FRAME_MODULE = "pandas"
"""What the listing's frame is built with, next. Imported while the children read (0.4 s of CPU the
queue spreads over every reader) rather than after them, when the other cores have nothing to do."""
BATCH = 8
"""Units a child is sent at a time: small enough that the readers finish together, large enough that
the pipe's round trips cost nothing next to the reading (a W&B run of 600 records: a few ms)."""


def read_in_pool(
    kind: type[PooledFirstRead],
    root: Path,
    state: Mapping[str, Any],
    units: list[str],
    read_here: Callable[[str], RunRecord] | None = None,
) -> dict[str, RunRecord]:
    """Each unit's listing record, read by `workers() - 1` child processes and by `read_here` in this thread
    (None: children only), all taking units from one queue until it is empty, so they finish together
    however fast each is. The units a child took and did not answer (it failed, or no child started)
    are left out, for the caller to read itself.

    Each child is a fresh `python -c` (started from threads that only feed it and wait on it), not a
    multiprocessing fork server or spawn: those import the parent's `__main__` again in every
    child, which runs a script without a main guard once per child, and costs the app its
    Textual import each. Children's stderr is kept off the terminal the app draws on.

    Python's cycle collector is off while the runs are read, here and in the children (`child_main`):
    reading makes no cyclic garbage (none after 300 W&B or TensorBoard runs read with it off), and it
    would walk the records and the frame module's objects made so far again and again (about 240 times
    here at 1,000 W&B runs, 0.1-0.3 s; 3 % of a child's CPU). It is on again after, unless it was off."""
    from concurrent.futures import ThreadPoolExecutor

    count = workers()
    if count < 2:
        return {}
    children = count - 1 if read_here is not None else count
    job = {"module": kind.__module__, "kind": kind.__qualname__, "root": str(root), "state": dict(state)}
    queue = deque(units)
    records: dict[str, RunRecord] = {}
    with collection_paused(), ThreadPoolExecutor(children + 1) as pool:
        feeding = [pool.submit(_feed_child, job, queue, records) for _ in range(children)]
        if read_here is not None and FRAME_MODULE not in sys.modules:
            pool.submit(importlib.import_module, FRAME_MODULE)
        while read_here is not None:
            try:
                unit = queue.pop()  # from the end: the children take from the start
            except IndexError:
                break
            records[unit] = read_here(unit)
        for done in feeding:
            done.result()
    return records


def _feed_child(job: dict[str, Any], queue: deque[str], records: dict[str, RunRecord]) -> None:
    """Run one child: send it the job, then batches of units taken from `queue` (one ahead, so it never
    waits for this thread), and put the records it answers in `records`. A child that fails, answers
    something else or takes too long is stopped; the units it was sent and did not answer stay unread."""
    import json
    import subprocess
    import threading

    try:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, HOME],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
    except OSError:
        return
    stdin, stdout = child.stdin, child.stdout
    assert stdin is not None and stdout is not None
    watchdog: threading.Timer | None = None
    sent: list[list[str]] = []

    def send() -> None:
        batch: list[str] = []
        try:
            while len(batch) < BATCH:
                batch.append(queue.popleft())  # the other readers take from the same queue meanwhile
        except IndexError:
            pass
        if batch:
            stdin.write(json.dumps(batch) + "\n")
            stdin.flush()
            sent.append(batch)

    try:
        stdin.write(json.dumps(job) + "\n")
        send()
        while sent:
            send()
            asked = sent.pop(0)
            watchdog = threading.Timer(CHILD_SECONDS + CHILD_SECONDS_A_RUN * len(asked), child.kill)
            watchdog.start()
            found = json.loads(stdout.readline())
            watchdog.cancel()
            if not isinstance(found, dict):
                break
            records.update({unit: found[unit] for unit in asked if unit in found and valid_record(found[unit])})
    except (OSError, ValueError):
        pass  # a child that died (a closed pipe, an empty line): what it did not answer is read by the caller
    finally:
        if watchdog is not None:
            watchdog.cancel()
        for pipe in (stdin, stdout):
            try:
                pipe.close()
            except OSError:
                pass
        try:
            child.wait(CHILD_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


CHILD = "import sys; sys.path[0] = sys.argv[1]; from store.formats.tailed import child_main; child_main()"
"""`python -c` puts the working folder first on the path: the folder holding this `store` takes its place
(a `store` package in the working folder, the user's own, is not ours; nor is one installed elsewhere)."""
HOME = str(Path(__file__).resolve().parents[2])
"""The folder holding this `store` package: the children import it from there."""
CHILD_SECONDS = 60.0
CHILD_SECONDS_A_RUN = 1.0
"""A child that takes longer than this for a batch (or to start) is killed, and its runs are read by the parent."""


def child_main() -> None:
    """A child of `read_in_pool`: the job (a JSON line) on stdin, then batches of units (a JSON list a line)
    until stdin closes; the records of each batch by unit (a JSON line) on stdout. The cycle collector is
    off, as in `read_in_pool`."""
    import gc
    import json

    gc.disable()

    job = json.loads(sys.stdin.readline())
    if not str(job["module"]).startswith("store."):
        raise SystemExit(f"not a store module: {job['module']}")
    kind = getattr(importlib.import_module(job["module"]), job["kind"])
    store = kind(Path(job["root"]))
    store.__dict__.update(job["state"])
    out = sys.stdout
    for line in sys.stdin:
        # in one piece: importing wandb wraps stdout's write in its console capture
        out.write(json.dumps({unit: store._read_record_safely(unit) for unit in json.loads(line)}) + "\n")
        out.flush()
