"""The app's memory at 100,000 runs (issue 24): the runs frame is held once, not copied per refresh,
view or filter (measured by tests/perf/bench_memory.py; these check the mechanisms, not sizes)."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import store
from tui.shaping.filter_eval import columns_of
from tui.shaping.filter_expr import parse_filter
from tui.shaping.runs_view import RunsView


def make_store(root: Path, runs: int = 3) -> Path:
    for i in range(runs):
        with store.start_run("e", f"run-{i}", root) as run:
            run.log_params({"lr": 0.1 * (i + 1), "opt": "adam" if i % 2 else "sgd"})
            run.log_metric("loss", 1.0 / (i + 1), step=0)
    return root


def test_runs_frame_shares_the_stores_columns_and_a_change_stays_with_the_caller(tmp_path: Path) -> None:
    reader = store.open_store(make_store(tmp_path / "s"))
    first, second = reader.runs_frame(), reader.runs_frame()
    assert np.shares_memory(first["metrics.loss"].to_numpy(), second["metrics.loss"].to_numpy())
    first.loc[0, "metrics.loss"] = 99.0  # copy-on-write: only this frame sees it
    first["model"] = "x"
    assert 99.0 not in reader.runs_frame()["metrics.loss"].to_numpy()
    assert "model" not in reader.runs_frame().columns
    assert 99.0 not in second["metrics.loss"].to_numpy()


def test_kept_filter_columns_do_not_keep_a_replaced_frame_alive() -> None:
    frame = pd.DataFrame({"run_id": [f"r{i}" for i in range(50)], "name": [f"run-{i}" for i in range(50)]})
    assert parse_filter("run-4", list(frame.columns)).mask(frame).sum() == 11
    gone = weakref.ref(frame)
    del frame
    gc.collect()
    assert gone() is None


def test_distinct_texts_of_a_filter_stay_strings_not_python_objects() -> None:
    frame = pd.DataFrame({"name": [f"Run-{i % 7}" for i in range(100)], "p": [1, "a", None, 2.5] * 25})
    columns = columns_of(frame, None)
    for column in ("name", "p"):
        assert columns.distinct_text(column)[1].dtype != object
        assert columns.distinct_lower(column).dtype != object
    assert list(columns.distinct_lower("name")[:2]) == ["run-0", "run-1"]
    assert columns.distinct_text("name")[0].dtype == np.int32  # a code a run: 4 bytes, not intp's 8
    assert parse_filter("p = a", list(frame.columns)).mask(frame).sum() == 25


def test_view_reads_text_cells_from_the_frames_own_array() -> None:
    n = 500
    frame = pd.DataFrame(
        {
            "run_id": [f"id{i}" for i in range(n)],
            "name": [f"run-{i}" for i in range(n)],
            "status": ["finished"] * n,
            "experiment": ["e"] * n,
            "created": np.arange(n, dtype=float),
            "metrics.loss": np.linspace(0, 1, n),
        }
    )
    view = RunsView(frame)
    assert "run-0" in view.cells(0)
    assert view.run_id_at(3) == "id3" and view.row_of("id7") == 7
    held = [
        values
        for values in view._values_cache.values()
        if isinstance(values, np.ndarray) and values.dtype == object and len(values) == n
    ]
    assert held == []  # no Python string per run, for any text column on screen
    view.prepare_rows()
    assert isinstance(view._row_index, np.ndarray)  # the row of each run: an int array, not a dict of run ids
    view.set_sort("name")  # run-0, run-1, run-10, ...
    assert view.row_of("id10") == 2 and view.row_of("nope") is None


def test_grouping_copies_only_the_columns_it_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.shaping import grouped_view, grouping

    n = 40
    frame = pd.DataFrame(
        {
            "run_id": [f"id{i}" for i in range(n)],
            "name": [f"run-{i}" for i in range(n)],
            "params.lr": [0.1 * (i % 3) for i in range(n)],
            "params.opt": ["adam", "sgd"] * (n // 2),
            "metrics.loss": np.linspace(0, 1, n),
            "tags.note": ["x"] * n,
        }
    )
    seen: list[list[str]] = []

    def group_runs(sub: pd.DataFrame, *args: Any, **kwargs: Any) -> grouping.Groups:
        seen.append(list(sub.columns))
        return grouping.group_runs(sub, *args, **kwargs)

    monkeypatch.setattr(grouped_view, "group_runs", group_runs)
    grouped = grouped_view.group_rows(frame, np.arange(n), ["params.lr"], sort_key="metrics.loss", pick=1)
    assert seen == [["params.lr", "metrics.loss"]]
    assert len(grouped.labels) == 3 and sorted(len(m) for m in grouped.members) == [1, 1, 1]


def test_float_params_are_float_columns_ints_and_mixes_stay_objects(tmp_path: Path) -> None:
    root = tmp_path / "s"
    logged: list[dict[str, Any]] = [{"lr": 0.1, "n": 3, "mix": 1}, {"lr": 0.2, "n": 4, "mix": 0.5}, {"n": 5}]
    for i, params in enumerate(logged):
        with store.start_run("e", f"run-{i}", root) as run:
            run.log_params(params)
    frame = store.open_store(root).runs_frame()  # newest first
    assert frame["params.lr"].dtype == np.float64  # 8 bytes a run, not a pointer to a 24-byte Python float
    assert np.isnan(frame["params.lr"].iloc[0]) and list(frame["params.lr"].iloc[1:]) == [0.2, 0.1]
    assert frame["params.n"].dtype == object and list(frame["params.n"]) == [5, 4, 3]
    assert frame["params.mix"].dtype == object and list(frame["params.mix"].iloc[1:]) == [0.5, 1]
    assert type(frame["params.mix"].iloc[2]) is int
    view = RunsView(frame)
    view.set_filter("params.lr > 0.15")
    assert view.shown_ids().tolist() == [frame["run_id"].iloc[1]]
    assert view.cells(view.row_of(frame["run_id"].iloc[2]) or 0)[0]  # a row draws


async def test_a_partial_listing_is_not_prepared_the_complete_one_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.app import make_app
    from tui.messages import StoreLoaded
    from tui.screens import runs_listings
    from tui.screens.runs import RunsScreen

    prepared: list[RunsView] = []
    monkeypatch.setattr(RunsView, "prepare", lambda self: prepared.append(self))
    set_timer = RunsScreen.set_timer

    def prepare_at_once(self: RunsScreen, delay: float, callback: Any = None, **kwargs: Any) -> Any:
        if delay == runs_listings.PREPARE_AFTER and callback is not None:
            return callback()  # no waiting on a clock in a test
        return set_timer(self, delay, callback, **kwargs)

    monkeypatch.setattr(RunsScreen, "set_timer", prepare_at_once)
    app = make_app(make_store(tmp_path / "s"), poll_seconds=0)
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunsScreen) and screen.store is not None
        for reading in ((2, 3), None):
            settings = screen.view.settings()
            view = RunsView.from_settings(settings, screen.view.frame, screen.view.now)
            message = StoreLoaded(screen.store, view.frame, {"e": 3}, set(), view, settings, reading=reading)
            screen.post_message(message)
            await pilot.pause()
            await app.workers.wait_for_complete()
            assert screen.view is view
            assert any(done is view for done in prepared) == (reading is None)


def test_the_app_has_arrow_allocate_through_the_c_library_unless_the_user_chose(tmp_path: Path) -> None:
    """Arrow's own allocator kept the pages a frame's text columns freed (20-40 MB at 100,000 runs);
    `ARROW_DEFAULT_MEMORY_POOL` is read once, when pandas imports pyarrow, so the app sets it first."""
    pytest.importorskip("pyarrow")
    import os
    import subprocess
    import sys

    script = (
        "import sys; from tui.app import make_app; make_app(sys.argv[1]); import pandas, pyarrow;"
        "from tui.freed_memory import users_environment;"
        "pandas.DataFrame({'a': ['x']}); print(pyarrow.default_memory_pool().backend_name,"
        " users_environment().get('ARROW_DEFAULT_MEMORY_POOL'))"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    # What the user runs from the app ($EDITOR, $PAGER) gets the environment as the user set it.
    for chosen, expected in ((None, "system None"), ("mimalloc", "mimalloc mimalloc")):
        if chosen is not None:
            env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
        got = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, env=env)
        assert got.stdout.strip() == expected, got.stderr


def test_freed_memory_is_handed_back_without_changing_anything() -> None:
    from store.process import release_freed_memory

    kept = [bytes(1000) for _ in range(1000)]
    release_freed_memory()
    release_freed_memory()
    assert len(kept) == 1000 and kept[0] == bytes(1000)
