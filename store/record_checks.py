"""Listing records checked and made: the types a listing relies on (`valid_record`), the row of a
run that could not be read (`damaged_record`), and whether a `running` run still is
(`infer_running_status`). Every reader uses them; `store.base` names them too."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from store.ours import layout
from store.process import hostname, pid_alive

if TYPE_CHECKING:
    from store.base import RunRecord

_NUMBER = (int, float)
_SCALARS = frozenset({str, int, float, bool, type(None)})
_STR = frozenset({str})


def valid_record(rec: Any) -> bool:
    """Whether a record has the types the listing relies on (so a tampered index cannot break it).

    Set operations over `map(type, ...)`: this runs for every entry of a 10,000-run index.
    """
    if type(rec) is not dict or type(rec.get("run_id")) is not str:
        return False
    if not _STR.issuperset(map(type, (rec.get("experiment"), rec.get("name"), rec.get("status")))):
        return False
    if any(rec.get(key) is not None and type(rec.get(key)) is not str for key in ("reason", "nonfinite")):
        return False
    if not _SCALARS.issuperset(map(type, (rec.get("host"), rec.get("user")))):
        return False
    for key in ("created", "ended", "heartbeat", "last_logged", "log_interval"):
        value = rec.get(key)
        if value is not None and not (type(value) in _NUMBER and abs(value) < 1e13):
            return False
    for key in ("pid", "pid_start"):
        if rec.get(key) is not None and type(rec.get(key)) is not int:
            return False
    params, tags, metrics = rec.get("params", {}), rec.get("tags", {}), rec.get("metrics", {})
    if type(params) is not dict or type(tags) is not dict or type(metrics) is not dict:
        return False
    if not _SCALARS.issuperset(map(type, params.values())) or not _STR.issuperset(map(type, tags.values())):
        return False
    for summary in metrics.values():
        if type(summary) is not dict or not _SCALARS.issuperset(map(type, summary.values())):
            return False
    return True


def damaged_record(run_id: str, experiment: str, reason: str) -> RunRecord:
    """The listing row of a run whose files could not be read at all."""
    return {
        "run_id": run_id,
        "experiment": experiment,
        "name": run_id,
        "status": "damaged",
        "reason": reason,
        "created": None,
        "ended": None,
        "host": None,
        "user": None,
        "pid": None,
        "pid_start": None,
        "heartbeat": None,
        "params": {},
        "tags": {},
        "metrics": {},
    }


def infer_running_status(rec: RunRecord, now: float) -> str:
    pid = rec.get("pid")
    if rec.get("host") == hostname() and isinstance(pid, int) and pid > 0:
        try:
            return "running" if pid_alive(pid, rec.get("pid_start")) else "crashed"
        except (OSError, ValueError, OverflowError):
            return "running"  # cannot tell: do not call a live run dead
    heartbeat = rec.get("heartbeat")
    if heartbeat is None and pid is not None:  # a tracktui run without a summary yet: created is its last sign
        heartbeat = rec.get("created")
    if heartbeat and now - float(heartbeat) > layout.HEARTBEAT_STALE:
        return "crashed"
    return "running"
