"""Metric points gathered while tailing a foreign log (TensorBoard events, a W&B record log).

Readers that parse a log from the start, then only what was appended, keep each key's points
here and its listing summary up to date point by point, so a refresh of a live run costs what
was appended, not the whole history again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..frame import history_frame

if TYPE_CHECKING:
    import pandas as pd


class Series:
    """One metric's points in logging order, and its summary (`last`, `min`, `max`, `count`, ...).

    `last` is the value at the greatest step (a later point wins a tie), as MLflow and
    TensorBoard take it; NaN counts as a point but never as a min or max.
    """

    __slots__ = ("_last", "_last_order", "maximum", "minimum", "steps", "times", "values")

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.times: list[float] = []
        self.values: list[float] = []
        self.minimum: float | None = None
        self.maximum: float | None = None
        self._last: tuple[int, float, float] | None = None
        self._last_order: int = -(2**63)

    def add(self, step: int, time: float, value: float) -> None:
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

    def summary(self) -> dict[str, Any]:
        assert self._last is not None, "summary of a series without points"
        step, time, value = self._last
        return {"last": None if math.isnan(value) else value, "min": self.minimum, "max": self.maximum,
                "count": len(self.values), "last_step": step, "last_time": time}


class SeriesSet:
    """The series of one run by key, in first-seen order."""

    def __init__(self) -> None:
        self.by_key: dict[str, Series] = {}

    def add(self, key: str, step: int, time: float, value: float) -> None:
        series = self.by_key.get(key)
        if series is None:
            series = self.by_key[key] = Series()
        series.add(step, time, value)

    def summaries(self) -> dict[str, dict[str, Any]]:
        return {key: series.summary() for key, series in self.by_key.items() if series.values}

    def frame(self, keys: Iterable[str] | None = None) -> pd.DataFrame:
        """The long `key, step, time, value` frame `RunStore.history` returns."""
        wanted = None if keys is None else set(keys)
        return history_frame([(key, s.steps, s.times, s.values) for key, s in self.by_key.items()
                              if wanted is None or key in wanted])

