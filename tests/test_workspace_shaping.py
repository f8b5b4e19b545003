"""The workspace's choices without the app: which runs, which metrics, how wide the table, the grid's pages."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tui.shaping.curves import RunInfo
from tui.shaping.workspace import (
    MAX_RUNS,
    NEWEST,
    choose_metrics,
    choose_runs,
    cut_middle,
    fit_narrowed,
    listing_runs,
    narrow_width,
    narrowed_keys,
    pane_choice,
)
from tui.widgets.chart_grid import page_label, page_span


def test_marked_runs_come_first_then_running_then_newest() -> None:
    assert choose_runs(["a", "b"], ["r"], ["n1"], "a").run_ids == ("a", "b")
    assert choose_runs([], ["r1", "r2"], ["n1"], "r2").reason == "running"
    newest = choose_runs([], [], [f"n{i}" for i in range(10)], "n0")
    assert newest.run_ids == tuple(f"n{i}" for i in range(NEWEST)) and newest.reason == "newest"


def test_the_cursors_run_is_always_drawn_and_said_to_be_added() -> None:
    runs = choose_runs(["a", "b"], [], [], "z")
    assert runs.run_ids == ("a", "b", "z") and runs.cursor_added
    many = choose_runs([f"m{i}" for i in range(20)], [], [], "z")
    assert len(many.run_ids) == MAX_RUNS and many.run_ids[-1] == "z"
    assert not choose_runs(["a"], [], [], "a").cursor_added
    assert choose_runs([], [], [], None).run_ids == ()


def test_results_first_schedules_after_and_system_metrics_apart() -> None:
    infos = [
        RunInfo(
            "a",
            "a",
            "running",
            ["lr", "loss", "system/cpu", "val/acc", "epoch", "grad_norm"],
            {"loss": 100, "val/acc": 10, "lr": 100, "epoch": 100, "grad_norm": 50, "system/cpu": 5},
        ),
        RunInfo("b", "b", "running", ["loss", "system/memory"], {"loss": 200, "system/memory": 3}),
    ]
    metrics, system = choose_metrics(infos)
    assert metrics == ["loss", "val/acc", "grad_norm", "epoch", "lr"]
    assert system == ["system/cpu", "system/memory"]


def test_listing_gives_running_in_table_order_and_newest_first_of_the_filtered_rows() -> None:
    frame = pd.DataFrame(
        {
            "run_id": ["a", "b", "c", "d"],
            "status": ["finished", "running", "running", "failed"],
            "created": [4.0, 1.0, 3.0, np.nan],
        }
    )
    running, newest = listing_runs(frame)
    assert running == ["b", "c"] and newest == ["a", "c", "b", "d"]
    running, newest = listing_runs(frame, np.array([1, 3]))
    assert running == ["b"] and newest == ["b", "d"]
    assert listing_runs(frame.iloc[:0]) == ([], [])


def test_the_table_narrows_to_status_name_and_the_sort_column() -> None:
    columns = [("status", 10), ("name", 14), ("lr", 6), ("loss", 8)]
    assert narrow_width(columns, "loss") == (2 + 12 + 16 + 10 + 2, 3)
    assert narrow_width(columns, None) == (2 + 12 + 16 + 2, 1)
    several = [("status", 10), ("source", 8), ("name", 14), ("lr", 6)]  # several stores: the source goes
    assert narrow_width(several, None) == (2 + 12 + 16 + 2, 2)
    assert narrowed_keys([key for key, _ in several], "lr") == ("status", "name", "lr")


def test_narrowed_columns_give_way_status_first_then_the_name_never_the_values() -> None:
    """Failed before (no fitting: the pane cut the table at its edge): at 80 columns the sort
    column's values lost their last digits, and a multi-store's names were cut to 3 letters."""
    wide = [("status", 10, False), ("name", 22, False), ("metrics.accuracy", 9, True)]
    assert fit_narrowed(wide, 60) == [10, 22, 9], "room enough: as measured"
    assert fit_narrowed(wide, 32) == [1, 16, 9], "the glyph, then the name; the values whole"
    assert fit_narrowed([*wide[:2], ("metrics.x", 26, True)], 32) == [1, 14, 11]
    assert fit_narrowed(wide, 20) == [1, 8, 5], "no room at all: the name keeps 8, the rest is cut (with …)"
    assert cut_middle("distilbert-sst2-lr5e-5", 14) == "dist…t2-lr5e-5"
    assert cut_middle("distilbert-sst2-lr2e-5", 14) != cut_middle("distilbert-sst2-lr5e-5", 14)
    assert cut_middle("rf-oom", 14) == "rf-oom" and cut_middle("abcdef", 2) == "ab"
    assert cut_middle("実験の名前はとても長い", 9) == "実…も長い"


def test_pane_choice_keeps_saved_bools_and_ignores_the_rest() -> None:
    defaults = {"system": True, "console": True, "images": False}
    assert pane_choice({"console": False, "images": "yes", "other": True}, defaults) == {
        "system": True,
        "console": False,
        "images": False,
    }
    assert pane_choice(None, defaults) == defaults


def test_pages_are_counted_from_one_and_clamped() -> None:
    assert page_span(6, 2, 0) == (0, 2) and page_label(0, 2, 6) == "[1-2 of 6]"
    assert page_span(6, 2, 1) == (2, 4) and page_label(2, 4, 6) == "[3-4 of 6]"
    assert page_span(5, 2, 9) == (4, 5) and page_label(4, 5, 5) == "[5 of 5]"
    assert page_span(4, 4, 0) == (0, 4) and page_label(0, 4, 4) == ""
    assert page_span(0, 4, 3) == (0, 0) and page_label(0, 0, 0) == ""
