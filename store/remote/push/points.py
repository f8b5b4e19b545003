"""The metric points a push sends: those not sent yet, in logging order, and what a server already holds."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from store.base import RunDetail
from store.remote.http import ServerClient

HISTORY_PAGE = 25_000
"""Points per `metrics/get-history` page when counting what the server holds of a key."""


def count_on_server(client: ServerClient, remote_id: str, frame: Any, done: dict[str, int], keys: list[str]) -> None:
    """Set `done[key]` to the points the server holds of each key whose last batch went unanswered.

    Never below what the mapping says was sent (SQLite drops a repeated point, so it may hold
    fewer), never above what there is to send.
    """
    ours = frame["key"].astype(str).value_counts().to_dict() if len(frame) else {}
    for key in keys:
        held, token = 0, None
        while True:
            args = {"run_id": remote_id, "metric_key": key, "max_results": HISTORY_PAGE}
            page = client.get("metrics/get-history", {**args, "page_token": token} if token else args)
            held += len(page.get("metrics") or ())
            token = page.get("next_page_token")
            if not token:
                break
        done[key] = min(max(done.get(key, 0), held), int(ours.get(key, 0)))


def new_points(detail: RunDetail, frame: Any, done: dict[str, int]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The points not sent yet: per key in logging order (time, then step), after the first `done[key]`.

    A point without a time (Lightning's CSV has none) gets the run's start: MLflow needs one.
    """
    if not len(frame):
        return
    start = start_time(detail)
    frame = frame.sort_values(["key", "time", "step"], kind="stable")
    for key, part in frame.groupby("key", observed=True, sort=True):
        skip = done.get(str(key), 0)
        for step, when, value in zip(
            part["step"].to_numpy()[skip:], part["time"].to_numpy()[skip:], part["value"].to_numpy()[skip:]
        ):
            when = float(when) if math.isfinite(float(when)) else start
            yield (
                str(key),
                {"key": str(key), "value": _number(float(value)), "timestamp": round(when * 1000), "step": int(step)},
            )


def start_time(detail: RunDetail) -> float:
    """The time of a point without one (Lightning's CSV has none): the run's start, as MLflow needs a time."""
    return detail.created if detail.created is not None and math.isfinite(detail.created) else 0.0


def _number(value: float) -> float | str:
    """JSON has no NaN or infinity; MLflow's server reads them as these strings."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value
