"""RunsView without the app: filters through refreshes, column order, labels, column choices."""

from __future__ import annotations

import pandas as pd

from tui.shaping.columns import ColumnChoice, column_labels, ordered
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


def test_columns_go_status_name_metrics_params_tags_then_the_rest() -> None:
    frame = pd.DataFrame(
        {
            "run_id": ["a", "b"],
            "experiment": ["e", "f"],
            "name": ["x", "y"],
            "status": ["finished"] * 2,
            "created": [1.0, 2.0],
            "duration": [1.0, 2.0],
            "params.p": [1, 2],
            "tags.t": ["u", "v"],
            "metrics.m": [0.1, 0.2],
        }
    )
    keys = [c.key for c in RunsView(frame=frame).columns]
    assert keys == ["status", "name", "metrics.m", "params.p", "tags.t", "experiment", "created", "duration"]


def test_constant_tags_are_hidden_like_constant_params() -> None:
    frame = pd.DataFrame(
        {
            "run_id": ["a", "b"],
            "experiment": ["e", "e"],
            "name": ["x", "y"],
            "status": ["finished"] * 2,
            "created": [1.0, 2.0],
            "duration": [1.0, 2.0],
            "tags.same": ["s", "s"],
            "tags.other": ["s", "t"],
        }
    )
    keys = [c.key for c in RunsView(frame=frame).columns]
    assert "tags.same" not in keys and "tags.other" in keys


def test_shared_names_get_a_group_prefix_and_metrics_say_their_stat() -> None:
    keys = ["status", "name", "metrics.lr", "metrics.mse", "params.lr", "params.seed", "tags.lr", "params.name"]
    labels = column_labels(keys)
    assert [labels[k] for k in ("metrics.lr", "params.lr", "tags.lr")] == ["m:lr", "p:lr", "t:lr"]
    assert labels["metrics.mse"] == "mse" and labels["params.seed"] == "seed"
    assert labels["params.name"] == "p:name" and labels["name"] == "name"  # not the run's name
    labels = column_labels(keys, "min")
    assert labels["metrics.mse"] == "mse (min)" and labels["metrics.lr"] == "m:lr (min)"
    assert labels["params.seed"] == "seed"


def test_ordered_keeps_new_columns_where_they_belong() -> None:
    assert ordered(["a", "b", "c"], []) == ["a", "b", "c"]
    assert ordered(["a", "b", "c"], ["c", "a", "b"]) == ["c", "a", "b"]
    assert ordered(["a", "new", "b", "c"], ["c", "a", "b"]) == ["c", "a", "new", "b"]
    assert ordered(["first", "a", "b"], ["b", "a", "gone"]) == ["first", "b", "a"]


def test_picker_keeps_only_what_the_user_changed() -> None:
    before = [("status", True), ("name", True), ("params.a", False), ("params.b", False)]
    assert ColumnChoice().after_picker(before, before).is_automatic  # enter without changes
    after = [("status", True), ("name", False), ("params.b", True), ("params.a", False)]
    choice = ColumnChoice().after_picker(before, after)
    assert choice.hidden == {"name"} and choice.shown == {"params.b"}
    assert choice.order == ["status", "name", "params.b", "params.a"]
    assert ColumnChoice.from_json(choice.to_json()) == choice
    assert ColumnChoice.from_json({"shown": "oops", "hidden": [1]}) == ColumnChoice(hidden={"1"})


def test_shaping_imports_neither_textual_nor_rich() -> None:
    import subprocess
    import sys

    code = (
        "import sys, tui.shaping.runs_view, tui.shaping.filter_expr; "
        "print(sorted(m for m in ('textual', 'rich') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_cell_width_matches_rich_on_the_text_a_store_holds() -> None:
    from rich.cells import cell_len

    from tui.shaping.formatting import cell_width

    for text in ("mse", "val/loss", "学习率", "café", "e\u0301", "␛[31m", "naïve-🙂"):
        assert cell_width(text) == cell_len(text), text


def test_settings_snapshot_is_frozen_and_rebuilds_the_same_view() -> None:
    """The poll worker builds views from this snapshot, never from the live view the UI thread changes."""
    import dataclasses

    import pytest

    view = RunsView(
        frame=frame([50, 150, 200, 300]),
        filter_text="epochs >= 150",
        sort_key="params.lr",
        sort_descending=True,
        choice=ColumnChoice({"params.lr"}, {"duration"}, []),
        metric_stat="min",
    )
    snapshot = view.settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.filter_text = ""  # type: ignore[misc]
    view.set_sort("params.lr")  # the UI thread changes the view after the snapshot was taken
    view.choice.hidden.add("params.lr")
    rebuilt = RunsView.from_settings(snapshot, frame([50, 150, 200, 300, 400]), now=0.0)
    assert names(rebuilt) == ["run-4", "run-3", "run-2", "run-1"]
    assert rebuilt.choice.shown == {"params.lr"} and rebuilt.choice.hidden == {"duration"}
    assert rebuilt.metric_stat == "min" and "params.lr" in [c.key for c in rebuilt.columns]
    assert rebuilt.settings() == snapshot  # the run ids and widths riding along do not count
    assert view.settings() != snapshot
