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
runs to read hold `PARALLEL_BYTES` or more, they are read in a few child processes (`read_in_pool`),
which send back only the listing records; a run's parsed history is read again, in this
process, when a chart or the detail asks for it.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Generic, TypeVar

from store.base import RunRecord, RunStore, infer_running_status, valid_record
from store.ours.index import RACY_SECONDS, FolderRunStore, UnitIndex
from store.process import hostname

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
    """A `FolderRunStore` whose runs to (re)read are read in child processes when they hold enough bytes.

    `_pool_state` is what a worker's copy of the store needs besides its root (set by `_scan`); a
    signature's third number is the bytes of the run's files, which decides whether children pay.
    """

    _cache: UnitIndex
    parallel_bytes = PARALLEL_BYTES

    def _pool_state(self) -> dict[str, Any]:
        return {}

    def _sync(self, now: float) -> set[str]:
        scanned = self._scan()
        due = [unit for unit, sig in scanned.items() if self._due(unit, sig)]
        read: Callable[[str], RunRecord] = self._read_record_safely
        if len(due) > 1 and sum(scanned[unit][2] for unit in due) >= self.parallel_bytes:  # sig[2]: bytes
            records = read_in_pool(type(self), self.root, self._pool_state(), due)
            read = lambda unit: records.pop(unit, None) or self._read_record_safely(unit)  # noqa: E731
        return self._cache.update(scanned, read, self._sig_time, now)

    def _due(self, unit: str, sig: list[int]) -> bool:
        """Whether `UnitIndex.update` will read this unit (its entry is missing, changed or read too soon)."""
        entry = self._cache.entries.get(unit)
        return entry is None or entry["sig"] != sig or entry["read_at"] - self._sig_time(sig) <= RACY_SECONDS


def workers() -> int:
    """Worker processes for a first read: one a spare core (this process's own counted spare), at most
    `MAX_WORKERS`; 1 means read here. On a machine other work keeps busy, children would only add
    their start to the same share of the cores (measured: no faster at load 4 on 2 cores)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    try:
        busy = int(os.getloadavg()[0])
    except (AttributeError, OSError):
        busy = 0
    return max(1, min(MAX_WORKERS, cores, cores - busy + 1))


def read_in_pool(
    kind: type[PooledFirstRead], root: Path, state: Mapping[str, Any], units: list[str]
) -> dict[str, RunRecord]:
    """Each unit's listing record, read by `workers()` child processes; the units of a child that failed
    (or of every child, with one core) are left out, for the caller to read itself.

    Each child is a fresh `python -c` (started from threads that only wait on it), not a
    multiprocessing fork server or spawn: those import the parent's `__main__` again in every
    child, which runs a script without a main guard once per child, and costs the app its
    Textual import each. Children's stderr is kept off the terminal the app draws on."""
    from concurrent.futures import ThreadPoolExecutor

    count = workers()
    if count < 2:
        return {}
    job = {"module": kind.__module__, "kind": kind.__qualname__, "root": str(root), "state": dict(state)}
    batches = [units[i::count] for i in range(count)]
    records: dict[str, RunRecord] = {}
    with ThreadPoolExecutor(count) as pool:
        for found in pool.map(lambda batch: _run_child({**job, "units": batch}), batches):
            records.update(found)
    return records


def _run_child(job: dict[str, Any]) -> dict[str, RunRecord]:
    import json
    import subprocess
    import sys

    home = str(Path(__file__).resolve().parents[2])  # the folder holding `store`, so the child reads this code
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([home, *filter(None, [os.environ.get("PYTHONPATH")])])}
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            env=env,
            timeout=CHILD_SECONDS + CHILD_SECONDS_A_RUN * len(job["units"]),
        )
        found = json.loads(done.stdout) if done.returncode == 0 else {}
    except (OSError, ValueError, subprocess.SubprocessError):
        return {}
    asked = set(job["units"])
    return (
        {unit: record for unit, record in found.items() if unit in asked and valid_record(record)}
        if isinstance(found, dict)
        else {}
    )


CHILD = "from store.formats.tailed import child_main; child_main()"
CHILD_SECONDS = 60.0
CHILD_SECONDS_A_RUN = 1.0
"""A child that takes longer than this is killed, and its runs are read by the parent."""


def child_main() -> None:
    """A child of `read_in_pool`: the job (JSON) on stdin, the records by unit (JSON) on stdout."""
    import importlib
    import json
    import sys

    job = json.load(sys.stdin)
    if not str(job["module"]).startswith("store."):
        raise SystemExit(f"not a store module: {job['module']}")
    kind = getattr(importlib.import_module(job["module"]), job["kind"])
    store = kind(Path(job["root"]))
    store.__dict__.update(job["state"])
    text = json.dumps({unit: store._read_record_safely(unit) for unit in job["units"]})
    sys.stdout.write(text)  # in one piece: importing wandb wraps stdout's write in its console capture
