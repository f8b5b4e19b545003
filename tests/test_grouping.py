"""Grouping runs (tui/shaping/grouping.py): groups, aggregates, order, best and top N per group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tui.shaping.filter_expr import FilterError
from tui.shaping.grouping import (
    best_per_group,
    group_runs,
    resolve_group_keys,
    run_order,
    sort_by_keys,
    top_per_group,
)


def _sweep() -> pd.DataFrame:
    """3 learning rates x 3 seeds, one lr given as text, one run without lr, one without acc."""
    lrs = np.array([0.1, 0.1, 0.1, 0.01, 0.01, 0.01, "0.001", "0.001", "0.001", None], dtype=object)
    return pd.DataFrame(
        {
            "run_id": [f"r{i}" for i in range(10)],
            "name": [f"run-{i}" for i in range(10)],
            "status": ["finished"] * 8 + ["failed", "finished"],
            "params.lr": lrs,
            "params.seed": np.array([0, 1, 2] * 3 + [0], dtype=object),
            "metrics.val/acc": [0.5, 0.7, 0.6, 0.9, 0.8, np.nan, 0.3, 0.2, 0.1, 0.95],
            "metrics.loss": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
        }
    )


def test_groups_count_and_aggregate_each_metric() -> None:
    frame = _sweep()
    groups = group_runs(frame, ["params.lr"])
    table = groups.table
    assert list(table["params.lr"][:3]) == ["0.001", 0.01, 0.1], "text that reads as a number sorts as one"
    assert pd.isna(table["params.lr"][3]), "runs without the key make the last group"
    assert list(table["count"]) == [3, 3, 3, 1]
    acc = "metrics.val/acc"
    assert table[f"{acc}.mean"][2] == pytest.approx(0.6)
    assert table[f"{acc}.std"][2] == pytest.approx(0.1)
    assert table[f"{acc}.mean"][1] == pytest.approx(0.85), "a missing value is left out, not counted as 0"
    assert (table[f"{acc}.min"][0], table[f"{acc}.max"][0], table[f"{acc}.median"][0]) == pytest.approx((0.1, 0.3, 0.2))
    assert np.isnan(table[f"{acc}.std"][3]), "one run has no spread"
    assert list(groups.codes) == [2, 2, 2, 1, 1, 1, 0, 0, 0, 3]
    assert [list(m) for m in groups.members()] == [[6, 7, 8], [3, 4, 5], [0, 1, 2], [9]]
    assert [groups.label(i) for i in (0, 1, 3)] == ["lr=0.001", "lr=0.01", "lr=—"]


def test_several_keys_and_only_some_stats() -> None:
    groups = group_runs(_sweep(), ["status", "params.seed"], metrics=["metrics.loss"], stats=["mean", "max"])
    assert list(groups.table.columns) == ["status", "params.seed", "count", "metrics.loss.mean", "metrics.loss.max"]
    assert list(zip(groups.table["status"], groups.table["params.seed"], groups.table["count"])) == [
        ("failed", 2, 1),
        ("finished", 0, 4),
        ("finished", 1, 3),
        ("finished", 2, 2),
    ]
    with pytest.raises(ValueError, match="unknown aggregate"):
        group_runs(_sweep(), ["status"], stats=["mode"])


def test_sorting_groups_by_an_aggregate_keeps_codes_in_step() -> None:
    frame = _sweep()
    groups = group_runs(frame, ["params.lr"]).sorted_by("metrics.val/acc.mean", descending=True)
    assert list(groups.table["count"]) == [1, 3, 3, 3]
    assert [groups.label(i) for i in range(4)] == ["lr=—", "lr=0.01", "lr=0.1", "lr=0.001"]
    assert list(groups.codes) == [2, 2, 2, 1, 1, 1, 3, 3, 3, 0]
    order = run_order(frame, groups, "metrics.loss", descending=True)
    assert list(order) == [9, 5, 4, 3, 2, 1, 0, 8, 7, 6], "groups in their order, runs sorted within each"


def test_best_and_top_n_follow_the_metrics_direction() -> None:
    frame = _sweep()
    groups = group_runs(frame, ["params.lr"])
    assert list(best_per_group(frame, groups, "metrics.val/acc")) == [6, 3, 1, 9], "acc: higher is better"
    assert list(best_per_group(frame, groups, "metrics.loss")) == [6, 3, 0, 9], "loss: lower is better"
    assert list(best_per_group(frame, groups, "metrics.loss", overrides={"loss": "higher"})) == [8, 5, 2, 9]
    assert list(top_per_group(frame, groups, "metrics.val/acc", n=2)) == [6, 7, 3, 4, 1, 2, 9], (
        "a run without the metric is never among the best"
    )
    with pytest.raises(ValueError, match="lower or higher"):
        best_per_group(frame, groups, "params.seed")
    assert list(best_per_group(frame, groups, "params.seed", descending=True)) == [8, 5, 2, 9]


def test_group_keys_resolve_like_filter_fields() -> None:
    columns = [*_sweep().columns, "tags.mlflow.parentRunId"]
    assert resolve_group_keys(["lr", "status", "parent"], columns) == ["params.lr", "status", "tags.mlflow.parentRunId"]
    with pytest.raises(FilterError, match=r"did you mean params\.seed"):
        resolve_group_keys(["sed"], columns)
    with pytest.raises(FilterError, match="no parent"):
        resolve_group_keys(["parent"], list(_sweep().columns))


def test_multi_key_sort_and_empty_frames() -> None:
    frame = _sweep()
    assert list(sort_by_keys(frame, [("params.seed", False), ("metrics.loss", True)]))[:4] == [9, 6, 3, 0]
    empty = group_runs(frame.iloc[:0], ["params.lr"])
    assert len(empty) == 0 and "metrics.loss.mean" in empty.table.columns
