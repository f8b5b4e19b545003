"""Metric points as every reader of another tool's runs gathers them, and their summaries.

Per-step rows (Lightning's CSV rows, `log_history` entries, trackio's JSON rows) and tailed logs
(TensorBoard events, a W&B record log) both land here. Readers that parse a log from the start,
then only what was appended, keep each key's summary up to date point by point, so a refresh of
a live run costs what was appended, not the whole history again.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from store.frame import history_frame

if TYPE_CHECKING:
    import pandas as pd


def number(value: Any) -> float | None:
    """A metric value from what a file holds: a number, or text as CSV/TSV/trackio write it
    (`"0.5"`, `"NaN"`, `"Infinity"`); None for empty cells, bools, text, containers and ints
    past a float (a JSON file may hold 400 digits).

    The one rule for a foreign value to a float. Its siblings differ on purpose, each said
    in its docstring: `mlflow.common.as_float` (a bool is 1.0), `ours.stored_values.as_float` (the
    writer: raises), `ours.reader._number` and `mlflow.common.ms_to_seconds` (times, bounded),
    `wandb_run._float` (JSON text), and in tui/ `diff._number` and `detail._float` (values
    already read: text stays text).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return value
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return None
    if isinstance(value, str) and value and len(value) < 64:
        try:
            return float(value)
        except ValueError:
            return None
    return None


def whole(value: Any) -> int | None:
    """A step from a number or its text (`"3"`, `"3.0"`); None otherwise."""
    num = number(value)
    return int(num) if num is not None and math.isfinite(num) and num == int(num) and abs(num) < 2**63 else None


LATEST_TIME = 1e11
"""Seconds since the epoch past this (the year 5138) are damage, not a time: a record holding one
is refused by the listing (`base.valid_record`), which would cost the whole run for one value."""


def a_time(value: float | None) -> bool:
    """Whether a time read from a run's records can be a time (finite, after 1970, before LATEST_TIME)."""
    return value is not None and 0 < value < LATEST_TIME


def utc_seconds(text: Any) -> float | None:
    """Seconds since the epoch from an ISO time (`2026-12-07T08:56:52.723022Z`, `2019-10-03 15:09:23.1`);
    one without a zone is UTC, as W&B, trackio and test-tube write them. None when odd."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()


class Series:
    """One metric's points in logging order, and its summary (`last`, `min`, `max`, `count`, ...).

    `last` is the value at the greatest step (a later point wins a tie), as MLflow and
    TensorBoard take it; NaN counts as a point but never as a min or max. Points are kept in
    typed arrays (8 bytes each, not a Python object); with `keep_points=False` only the summary
    is kept, which is all a listing needs: memory stays flat however long the history.
    """

    __slots__ = ("_last", "_last_order", "count", "keep_points", "maximum", "minimum", "steps", "times", "values")

    def __init__(self, keep_points: bool = True) -> None:
        self.steps = array("q")
        self.times = array("d")
        self.values = array("d")
        self.keep_points = keep_points
        self.count = 0
        self.minimum: float | None = None
        self.maximum: float | None = None
        self._last: tuple[int, float, float] | None = None
        self._last_order: int = -(2**63)

    def add(self, step: int, time: float, value: float) -> None:
        self.count += 1
        if self.keep_points:
            self.steps.append(step)
            self.times.append(time)
            self.values.append(value)
        if not math.isnan(value):
            if self.minimum is None or value < self.minimum:
                self.minimum = value
            if self.maximum is None or value > self.maximum:
                self.maximum = value
        if step >= self._last_order:
            self._last_order = step
            self._last = (step, time, value)

    def extend(self, steps: list[int], times: list[float], values: list[float]) -> None:
        """`add` of each point in turn, in one go: how a reader of a whole log (thousands of points a
        series) keeps the per-point cost in C."""
        if not values:
            return
        self.count += len(values)
        if self.keep_points:
            self.steps.extend(steps)
            self.times.extend(times)
            self.values.extend(values)
        total = sum(values)  # NaN only when one is NaN (or ±inf both): then they are left out one by one
        numbers = values if total == total else [v for v in values if v == v]
        if numbers:
            low, high = min(numbers), max(numbers)
            if self.minimum is None or low < self.minimum:
                self.minimum = low
            if self.maximum is None or high > self.maximum:
                self.maximum = high
        top = max(steps)
        if top >= self._last_order:
            at = len(steps) - 1 - steps[::-1].index(top)  # a later point wins a tie
            self._last_order = top
            self._last = (top, times[at], values[at])

    def summary(self) -> dict[str, Any]:
        assert self._last is not None, "summary of a series without points"
        step, time, value = self._last
        return {
            "last": None if math.isnan(value) else value,
            "min": self.minimum,
            "max": self.maximum,
            "count": self.count,
            "last_step": step,
            "last_time": time,
        }


class PendingPoints:
    """Points gathered while a batch of records is parsed, added to a `SeriesSet` key by key at the end
    (`Series.extend`): a log of thousands of records then costs a list append a point."""

    __slots__ = ("by_key",)

    def __init__(self) -> None:
        self.by_key: dict[str, tuple[list[int], list[float], list[float]]] = {}

    def add(self, key: str, step: int, time: float, value: float) -> None:
        found = self.by_key.get(key)
        if found is None:
            found = self.by_key[key] = ([], [], [])
        found[0].append(step)
        found[1].append(time)
        found[2].append(value)

    def extend(self, key: str, steps: list[int], times: list[float], values: list[float]) -> None:
        """`add` of each of these points of one key, in turn."""
        found = self.by_key.get(key)
        if found is None:
            found = self.by_key[key] = ([], [], [])
        found[0].extend(steps)
        found[1].extend(times)
        found[2].extend(values)

    def flush(self, into: SeriesSet) -> None:
        """Add every point gathered to `into`, keys in the order first met, and start empty again."""
        for key, (steps, times, values) in self.by_key.items():
            into.series(key).extend(steps, times, values)
        self.by_key = {}


Points = bool | frozenset[str]
"""Which series keep their points: all (True), none (False: summaries only, a listing), or those keys (a chart)."""


class SeriesSet:
    """The series of one run by key, in first-seen order."""

    def __init__(self, keep_points: Points = True) -> None:
        self.by_key: dict[str, Series] = {}
        self.keep_points = keep_points

    def add(self, key: str, step: int, time: float, value: float) -> None:
        self.series(key).add(step, time, value)

    def series(self, key: str) -> Series:
        """The series of `key`, made empty when new (a reader of columns takes each once, then adds to it)."""
        series = self.by_key.get(key)
        if series is None:
            keep = self.keep_points if isinstance(self.keep_points, bool) else key in self.keep_points
            series = self.by_key[key] = Series(keep)
        return series

    def drop_empty(self) -> None:
        """Forget the series that never got a point (a column of text, or one never logged)."""
        for key in [key for key, series in self.by_key.items() if not series.count]:
            del self.by_key[key]

    def add_row(self, row: Mapping[str, Any], step: int, when: float, skip: Iterable[str] = ()) -> None:
        """Every numeric value of `row` but the `skip` keys, at `step`; text and empty cells are left out."""
        skipped = set(skip)
        for key, raw in row.items():
            if key in skipped:
                continue
            value = number(raw)
            if value is not None:
                self.add(str(key), step, when, value)

    def summaries(self) -> dict[str, dict[str, Any]]:
        return {key: series.summary() for key, series in self.by_key.items() if series.count}

    def frame(self, keys: Iterable[str] | None = None) -> pd.DataFrame:
        """The long `key, step, time, value` frame `RunStore.history` returns."""
        wanted = None if keys is None else set(keys)
        return history_frame(
            [(key, s.steps, s.times, s.values) for key, s in self.by_key.items() if wanted is None or key in wanted]
        )
