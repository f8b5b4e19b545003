"""Which runs need a look, and why: NaN or ±inf in a metric, a live run gone quiet, a run that just failed.

What W&B's terminal viewer shows as a run going stale before it is called crashed, from the
listing alone: `RunStore.log_facts` gives each live or non-finite run's last log time, its
usual logging interval and the metrics holding NaN or ±inf; the frame gives statuses and end
times. Plain code, run in the app's poll worker; the table flags the runs (`ATTENTION_GLYPH`)
and the bar says why.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .formatting import format_ago, format_duration

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:
    from .lazy_modules import np, pd

ATTENTION_GLYPH = "!"
"""Beside the mark in the table's gutter: plain ASCII, so it reads without colour on any terminal."""
QUIET_FACTOR = 5.0
"""A running run is quiet when silent for this many of its usual intervals between logs ..."""
QUIET_FLOOR = 15.0
"""... and for at least this many seconds (writers flush about every second; a step may take a while)."""
RECENT_END = 600.0
"""A failed or crashed run needs a look for this long after it ended, besides any that failed in this session."""
ENDED_BADLY = ("failed", "crashed")

LogFacts = Mapping[str, tuple[float, float, str]]
"""`RunStore.log_facts`: run id -> (last logged, usual interval, metrics holding NaN or ±inf)."""


def quiet_reason(last_logged: float, interval: float, now: float) -> str | None:
    """`quiet for 45s (logs every 2s)` when a running run has been silent far longer than it usually is."""
    if not math.isfinite(last_logged):
        return None  # nothing logged yet: a run may take minutes before its first step
    silent = now - last_logged
    usual = interval if math.isfinite(interval) and interval > 0 else None
    if silent <= max(QUIET_FLOOR, QUIET_FACTOR * usual if usual is not None else 0.0):
        return None
    every = f" (logs every {format_duration(usual) if usual >= 1 else f'{usual:.2g}s'})" if usual else ""
    return f"quiet for {format_duration(silent)}{every}"


class AttentionWatch:
    """Decides which runs need a look at each listing; remembers what it saw, to tell what failed since.

    A run that was already failed or crashed when the app opened is not news once it ended
    more than `RECENT_END` ago; one that turns failed or crashed while the app is open stays
    flagged for the session.
    """

    def __init__(self) -> None:
        self._ended_before: set[str] | None = None
        self._noticed: dict[str, float] = {}
        """Runs seen failing in this session -> when (for those whose store knows no end time)."""

    def check(self, frame: pd.DataFrame, facts: LogFacts, now: float) -> dict[str, str]:
        """Run id -> why it needs a look ("NaN/inf in loss; quiet for 45s"), for the runs of `frame` that do."""
        if not len(frame) or "status" not in frame.columns:
            return {}
        status = frame["status"].to_numpy()
        run_ids = frame["run_id"].to_numpy()
        bad = np.flatnonzero(np.isin(status, ENDED_BADLY))
        ended_badly: list[tuple[str, str, float]] = []
        if len(bad):
            ended = frame["ended"].to_numpy(dtype=float)[bad]
            last_seen = (frame["created"].to_numpy(dtype=float) + frame["duration"].to_numpy(dtype=float))[bad]
            when = np.where(np.isnan(ended), last_seen, ended)
            ended_badly = [
                (str(run_ids[row]), str(status[row]), end) for row, end in zip(bad.tolist(), when.tolist(), strict=True)
            ]
        running = set(run_ids[status == "running"].tolist()) if facts else set()
        reasons = self._reasons(ended_badly, running, facts, now)
        ids = frame["run_id"]
        present = set(ids[ids.isin(list(reasons))]) if reasons else set()
        return {run_id: why for run_id, why in reasons.items() if run_id in present}

    def check_rows(self, rows: Sequence[Mapping[str, Any]], facts: LogFacts, now: float) -> dict[str, str]:
        """`check` for a small store's first rows (`first_listing`: the frame's row as a dict), without pandas,
        so the first paint flags the same runs the frame's view will."""
        ended_badly: list[tuple[str, str, float]] = []
        for row in rows:
            if row["status"] in ENDED_BADLY:
                end = float(row["ended"])
                when = end if not math.isnan(end) else float(row["created"]) + float(row["duration"])
                ended_badly.append((str(row["run_id"]), str(row["status"]), when))
        running = {str(row["run_id"]) for row in rows if row["status"] == "running"} if facts else set()
        reasons = self._reasons(ended_badly, running, facts, now)
        present = {str(row["run_id"]) for row in rows}
        return {run_id: why for run_id, why in reasons.items() if run_id in present}

    def _reasons(
        self, ended_badly: list[tuple[str, str, float]], running: set[str], facts: LogFacts, now: float
    ) -> dict[str, str]:
        """Why each run needs a look: `ended_badly` holds (run id, status, when it ended or was last seen)."""
        reasons: dict[str, list[str]] = {}
        ended_ids = {run_id for run_id, _, _ in ended_badly}
        if self._ended_before is None:
            self._ended_before = ended_ids
        for run_id, status, end in ended_badly:
            news = run_id not in self._ended_before
            if news:
                self._noticed.setdefault(run_id, now)
            if news or (math.isfinite(end) and now - end < RECENT_END):
                at = end if math.isfinite(end) else self._noticed[run_id]
                reasons.setdefault(run_id, []).append(f"{status} {format_ago(at, now)}")
        for run_id, (last_logged, interval, nonfinite) in facts.items():
            if nonfinite:
                reasons.setdefault(run_id, []).insert(0, f"NaN/inf in {nonfinite}")
            if run_id in running:
                quiet = quiet_reason(last_logged, interval, now)
                if quiet:
                    reasons.setdefault(run_id, []).append(quiet)
        return {run_id: "; ".join(why) for run_id, why in reasons.items()}


def next_needing_look(rows: Iterable[int | None], cursor: int) -> tuple[int, bool] | None:
    """Of the table rows of the runs needing a look (None: not shown), the next after `cursor`, and
    whether the search wrapped past the end to find it; None when none is shown."""
    shown = sorted(row for row in rows if row is not None)
    if not shown:
        return None
    after = [row for row in shown if row > cursor]
    return (after[0], False) if after else (shown[0], True)
