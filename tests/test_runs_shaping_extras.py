"""Plain shaping behind grouping, tags editing, per-column statistics and saved views."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tui.shaping.column_stats import apply_column_stats, source_stat
from tui.shaping.columns import ColumnChoice
from tui.shaping.grouped_view import group_cell, group_rows
from tui.shaping.runs_view import RunsView
from tui.shaping.saved_views import apply_view_json, view_to_json
from tui.shaping.tags_text import common_tags, format_tags, parse_tags


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": ["a", "b", "c", "d", "e"],
            "name": ["a", "b", "c", "d", "e"],
            "status": ["finished"] * 5,
            "experiment": ["e"] * 5,
            "params.lr": np.array([0.1, 0.1, 0.3, 0.3, None], dtype=object),
            "metrics.loss": [1.0, 3.0, 0.5, np.nan, 2.0],
            "tags.stage": ["x", "x", "y", None, "x"],
        }
    )


def test_group_rows_put_each_group_row_before_its_runs_and_skip_collapsed_runs() -> None:
    f = frame()
    grouped = group_rows(f, np.arange(5), ["params.lr"], collapsed={"lr=0.3"})
    assert grouped.labels == ["lr=0.1", "lr=0.3", "lr=—"]
    assert grouped.rows.tolist() == [-1, 0, 1, -2, -3, 4]
    assert group_cell(grouped, 0, "metrics.loss", "mean", False) == "2 ± 1.4142"
    assert group_cell(grouped, 1, "status", "mean", True) == "▸ 2 runs"


def test_group_rows_sorted_by_aggregate_and_best_per_group_follows_the_metric() -> None:
    f = frame()
    positions = np.array([2, 0, 4, 1, 3])  # already sorted by loss, as RunsView sorts before grouping
    grouped = group_rows(f, positions, ["params.lr"], sort_key="metrics.loss", pick=1)
    assert grouped.labels == ["lr=0.3", "lr=0.1", "lr=—"]  # mean loss 0.5, 2, 2
    assert grouped.positions.tolist() == [2, 0, 4]  # the lowest loss of each
    without_sort = group_rows(f, np.arange(5), ["params.lr"], pick=1)
    assert without_sort.note is not None


def test_runs_view_grouped_rows_map_to_runs_and_groups() -> None:
    view = RunsView(frame(), group_keys=("params.lr",))
    assert view.row_count == 8 and len(view.positions) == 5
    assert view.group_at(0) == 0 and view.run_id_at(0) is None and view.run_id_at(1) == "a"
    assert view.row_of("c") == 4 and view.row_of_group("lr=—") == 6
    assert view.group_run_ids(1) == ["c", "d"]


def test_tags_line_round_trips_and_keeps_only_shared_tags() -> None:
    assert parse_tags(format_tags({"stage": "two words", "k": "v=1"})) == {"stage": "two words", "k": "v=1"}
    assert common_tags(frame(), ["a", "b"]) == {"stage": "x"}
    assert common_tags(frame(), ["a", "c"]) == {}
    with pytest.raises(ValueError, match="key=value"):
        parse_tags("stage")


def test_column_stats_take_values_from_that_statistic_by_run_id() -> None:
    base = pd.DataFrame({"run_id": ["a", "b"], "metrics.val/acc": [0.5, 0.6], "metrics.loss": [1.0, 2.0]})
    mins = pd.DataFrame({"run_id": ["b", "a"], "metrics.val/acc": [0.1, 0.2], "metrics.loss": [0.5, 0.4]})
    maxes = pd.DataFrame({"run_id": ["a", "b"], "metrics.val/acc": [0.9, 0.8], "metrics.loss": [3.0, 4.0]})
    frames = {"min": mins, "max": maxes}
    out = apply_column_stats(base, {"metrics.loss": "min", "metrics.val/acc": "best"}, frames.__getitem__)
    assert out["metrics.loss"].tolist() == [0.4, 0.5] and out["metrics.val/acc"].tolist() == [0.9, 0.8]
    assert source_stat("metrics.mystery", "best") == "last"
    assert apply_column_stats(base, {"metrics.loss": "min"}, frames.__getitem__, available=("last",)) is base


def test_saved_view_round_trips_and_odd_entries_read_as_automatic() -> None:
    view = RunsView(
        frame(),
        filter_text="lr > 0",
        sort_key="metrics.loss",
        sort_descending=True,
        choice=ColumnChoice({"run_id"}, set(), []),
        group_keys=("params.lr",),
        group_stat="max",
        pick=3,
        column_stats={"metrics.loss": "best"},
        sparklines=True,
    )
    data = view_to_json(view)
    other = RunsView(frame())
    apply_view_json(other, data)
    assert view_to_json(other) == data
    apply_view_json(other, {"group": "lr", "pick": True, "group_stat": "mode", "sort": 3, "column_stats": []})
    assert other.group_keys is None and other.pick == 0 and other.group_stat == "mean" and other.sort_key is None
