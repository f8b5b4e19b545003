"""Wide runs (issue 10 item 15): a run with thousands of params stays usable in the table.

Before: a run with 10,000 params took 12 s to fill the table and half a second per key,
because every column was measured with a pandas call and every line drew all 10,000 columns.
Now a short, wide frame is checked on plain lists and a line draws only the columns in view.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import store
from tests.app_helpers import demo_app, settle, table_lines
from tui.shaping import column_cells
from tui.shaping import columns as column_rules
from tui.shaping.columns import varying
from tui.shaping.runs_view import RunsView
from tui.widgets.runs_table import RunsTable


def wide_frame() -> pd.DataFrame:
    columns: dict[str, object] = {
        "run_id": ["a", "b", "c"],
        "experiment": ["e", "e", "e"],
        "name": ["x", "y", "z"],
        "status": ["finished"] * 3,
        "created": [1.0, 2.0, 3.0],
        "ended": [2.0, 3.0, 4.0],
        "duration": [1.0] * 3,
        "metrics.loss": np.array([0.1, 0.2, np.nan]),
    }
    for i in range(column_rules.WIDE_FRAME + 100):
        kind = i % 4  # lists and dicts reach the frame as text (see store/frame.py)
        if kind == 0:
            columns[f"params.same{i}"] = np.array([1, 1, None], dtype=object)  # constant where present
        elif kind == 1:
            columns[f"params.vary{i}"] = np.array([1, 2.5, None], dtype=object)
        elif kind == 2:
            columns[f"params.only{i}"] = np.array([None, "x", None], dtype=object)  # one run has it
        else:
            columns[f"params.lists{i}"] = np.array(["[1, 2]", "[1, 2]", "[1, 3]"], dtype=object)
    return pd.DataFrame(columns)


def test_the_wide_path_keeps_the_same_columns_as_the_tall_path(monkeypatch) -> None:
    frame = wide_frame()
    keys = [c for c in frame.columns if c != "run_id"]
    wide = varying(frame, keys)
    monkeypatch.setattr(column_rules, "WIDE_FRAME", 10**9)  # force the pandas path
    monkeypatch.setattr(column_cells, "WIDE_FRAME", 10**9)
    tall = varying(frame, keys)
    assert wide == tall
    assert "params.vary1" in wide and "params.only2" in wide and "params.lists3" in wide
    assert "params.same0" not in wide


def test_numeric_columns_are_decided_the_same_on_wide_frames(monkeypatch) -> None:
    frame = wide_frame()
    wide = RunsView(frame=frame)
    assert [c.numeric for c in wide.columns if c.key == "params.vary1"] == [True]
    assert [c.numeric for c in wide.columns if c.key == "params.only2"] == [False]
    monkeypatch.setattr(column_rules, "WIDE_FRAME", 10**9)
    monkeypatch.setattr(column_cells, "WIDE_FRAME", 10**9)
    tall = RunsView(frame=frame)
    assert [(c.key, c.numeric, c.width) for c in wide.columns] == [(c.key, c.numeric, c.width) for c in tall.columns]


async def test_a_run_with_ten_thousand_params_fills_the_table_and_scrolls_by_column(tmp_path: Path) -> None:
    root = tmp_path / "s"
    with store.start_run(experiment="e", name="wide", root=root, system_metrics_interval=0) as run:
        run.log_params({f"p{i:05d}": i for i in range(10_000)})
        run.log_metric("loss", 0.5)
    with store.start_run(experiment="e", name="narrow", root=root, system_metrics_interval=0) as run:
        run.log_metric("loss", 0.7)
    app = demo_app(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(RunsTable)
        assert len(table.view.columns) > 10_000
        header = table_lines(app)[0]
        assert "loss" in header and "p00000" in header
        await pilot.press("l", "l", "l", "l", "l", "l", "l", "l")
        await settle(pilot)
        header = table_lines(app)[0]
        assert "p00000" not in header and "p00006" in header, header
        assert header.split()[:2] == ["status", "name"], "the fixed columns stay"
