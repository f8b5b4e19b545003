"""RunsView without the app: filters through refreshes, column order, labels, column choices."""

from __future__ import annotations

import pandas as pd

from tui.shaping.runs_view import RunsView


def frame(epochs: list[float], *, with_epochs: bool = True) -> pd.DataFrame:
    n = len(epochs)
    data: dict[str, object] = {
        "run_id": [f"r{i}" for i in range(n)],
        "experiment": ["e"] * n,
        "name": [f"run-{i}" for i in range(n)],
        "status": ["running"] * n,
        "created": [float(i) for i in range(n)],
        "duration": [1.0] * n,
        "params.lr": [0.1 * (i + 1) for i in range(n)],
    }
    if with_epochs:
        data["metrics.epochs"] = epochs
    return pd.DataFrame(data)


def names(view: RunsView) -> list[str]:
    return [str(view.frame.at[int(p), "name"]) for p in view.positions]


def test_field_filter_survives_refreshes_and_new_runs() -> None:
    """Failed before the fix: with_frame parsed the filter against an empty frame and dropped it."""
    view = RunsView(frame=frame([50, 150, 200]))
    view.set_filter("epochs > 100")
    assert names(view) == ["run-1", "run-2"]
    for _ in range(3):
        view = view.with_frame(frame([50, 150, 200, 300]), now=0.0)
        assert view.filter_text == "epochs > 100" and view.filter_error is None
    assert names(view) == ["run-1", "run-2", "run-3"]


def test_refresh_that_removes_the_field_says_so_and_keeps_the_last_good_rows() -> None:
    view = RunsView(frame=frame([50, 150, 200]))
    view.set_filter("epochs > 100")
    view = view.with_frame(frame([50, 150, 200, 300], with_epochs=False), now=0.0)
    assert view.filter_text == "epochs > 100"
    assert view.filter_error is not None and "epochs" in view.filter_error
    assert names(view) == ["run-1", "run-2"]
    view = view.with_frame(frame([50, 150, 200, 300], with_epochs=False), now=0.0)
    assert names(view) == ["run-1", "run-2"]  # still, through the next refresh
    view = view.with_frame(frame([50, 150, 200, 300]), now=0.0)  # the field is back
    assert view.filter_error is None and names(view) == ["run-1", "run-2", "run-3"]


def test_set_frame_in_place_keeps_the_filter() -> None:
    view = RunsView(frame=frame([50, 150]))
    view.set_filter("epochs > 100")
    view.set_frame(frame([50, 150, 250]))
    assert view.filter_text == "epochs > 100" and names(view) == ["run-1", "run-2"]
