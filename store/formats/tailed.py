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
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from store.base import RunRecord, RunStore, infer_running_status
from store.process import hostname

MAX_TAILS = 64
T = TypeVar("T")


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

