"""Grouping in the runs table, driven through the real app: group rows, aggregates, collapse, sort, best/top N."""

from __future__ import annotations

from pathlib import Path

import pytest

import store
from tests.app_helpers import demo_app, move_to_column, screen_text, settle, shown_names, table, table_lines

IRIS = "experiment=iris-classification"
POLY = "experiment=poly-regression"


def line_with(app, text: str) -> str:
    lines = [line for line in table_lines(app) if text in line]
    assert lines, f"no line with {text!r} in {table_lines(app)}"
    return lines[0]


async def test_group_by_column_shows_group_rows_with_count_and_mean_std(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        move_to_column(app, "experiment")
        await pilot.press("o")
        table(app).cursor_column = 1  # back to the left, where the metrics are
        lines = table_lines(app)
        iris = line_with(app, IRIS)
        assert "▾ 6 runs" in iris and "0.95693 ± 0.042806" in iris  # accuracy: mean ± std of the 4 that have it
        assert "▾ 4 runs" in line_with(app, POLY) and "3.3875 ± 4.4313" in " ".join(table(app).view.cells(7))  # mse
        first_group = next(i for i, line in enumerate(lines) if IRIS in line)
        assert "rf-" in lines[first_group + 1]  # its runs under it
        assert "2 groups (mean ± std)" in screen_text(app).splitlines()[0]
        await pilot.press("x")  # mean -> min
        group_cells = table(app).view.cells(0)
        assert IRIS in group_cells and "0.90252" in group_cells and not any("±" in c for c in group_cells)
        await pilot.press("x", "x")  # -> max -> median
        assert table(app).view.group_stat == "median"
        await pilot.press("o")  # on the name column: refused, every run would be a group of its own
        assert table(app).view.effective_group_keys == ("experiment",)
        move_to_column(app, "experiment")
        await pilot.press("o")  # again on the same column: not grouped
        assert not any(IRIS in line for line in table_lines(app))


async def test_collapse_and_expand_a_group_and_all(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        move_to_column(app, "experiment")
        await pilot.press("o", "g", "enter")  # one burst: group, top row (iris group), collapse
        assert "▸ 6 runs" in line_with(app, IRIS)
        assert not any("rf-" in line for line in table_lines(app))
        assert any("degree-2" in line for line in table_lines(app))
        await pilot.press("enter")
        assert "▾ 6 runs" in line_with(app, IRIS) and any("rf-deep" in line for line in table_lines(app))
        await pilot.press("z")
        assert not any("rf-" in line or "degree-" in line for line in table_lines(app))
        assert table(app).view.row_count == 2
        await pilot.press("z")
        assert table(app).view.row_count == 12


async def test_sort_orders_groups_by_aggregate_and_runs_within(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        move_to_column(app, "status")
        await pilot.press("o")
        move_to_column(app, "metrics.train/loss")
        await pilot.press("s")  # mean train/loss: finished 0.058, crashed 0.33, failed 0.7
        view = table(app).view
        assert view.grouped.labels == ["status=finished", "status=crashed", "status=failed"]  # type: ignore[union-attr]
        assert shown_names(app)[:4] == ["rf-shallow", "rf-wide", "rf-baseline", "rf-deep"]  # within: by train/loss
        await pilot.press("s")  # descending: groups and runs reversed, runs without a value still last
        view = table(app).view
        assert view.grouped.labels == ["status=failed", "status=crashed", "status=finished"]  # type: ignore[union-attr]
        assert shown_names(app)[:6] == ["rf-broken", "rf-oom", "rf-deep", "rf-baseline", "rf-wide", "rf-shallow"]
        table(app).cursor_column = 1
        lines = table_lines(app)
        assert "status=failed" in lines[1] and "rf-broken" in lines[2] and "status=crashed" in lines[3]


async def test_best_and_top_n_per_group_by_the_sort_column(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        move_to_column(app, "status")
        await pilot.press("o")
        move_to_column(app, "metrics.train/loss")
        await pilot.press("s", "s", "B")  # sorted descending, but a loss is better lower: the lowest is best
        assert shown_names(app) == ["rf-broken", "rf-oom", "rf-shallow"]
        assert "▾ 1/8 runs" in " ".join(table(app).view.cells(4))
        await pilot.press("T")
        assert shown_names(app) == ["rf-broken", "rf-oom", "rf-shallow", "rf-wide", "rf-baseline"]
        await pilot.press("T")
        assert len(shown_names(app)) == 10


async def test_group_by_prompt_takes_several_columns_typed_in_one_burst(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("O", *"experiment, status", "enter")
        await settle(pilot)
        view = table(app).view
        assert view.effective_group_keys == ("experiment", "status")
        assert "experiment=iris-classification · status=crashed" in view.grouped.labels  # type: ignore[union-attr]
        await pilot.press("O", *"nosuchcolumn", "enter")
        await settle(pilot)
        assert view.effective_group_keys == ("experiment", "status")  # unchanged
        assert any(n.title == "Cannot group" for n in app._notifications)


async def test_space_on_a_group_row_marks_its_runs(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        move_to_column(app, "experiment")
        await pilot.press("o", "g", "space")
        assert len(table(app).marks) == 6


async def test_nested_runs_are_grouped_under_their_parent_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    root = tmp_path / "nested"
    with store.start_run(experiment="e", name="sweep", root=root, system_metrics_interval=0) as parent:
        parent.log_metric("loss", 1.0)
    for i in range(2):
        with store.start_run(experiment="e", name=f"trial-{i}", root=root, system_metrics_interval=0) as child:
            child._meta["parent"] = parent.id  # as `tracktui run` links the runs of a wrapped command
            child._write_meta()
            child.log_metric("loss", 0.5 + i)
    with store.start_run(experiment="e", name="solo", root=root, system_metrics_interval=0) as solo:
        solo.log_metric("loss", 2.0)
    app = demo_app(root)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        view = table(app).view
        assert view.effective_group_keys == ("parent",)
        assert sorted(view.grouped.labels) == ["top level", "under sweep"]  # type: ignore[union-attr]
        names = [view.cells(row)[1] for row in range(view.row_count)]
        at = names.index("sweep")  # a tree: the parent, its children's group row, the children
        assert names[at + 1] == "under sweep" and sorted(names[at + 2 : at + 4]) == ["trial-0", "trial-1"]
        assert view.row_count == 5 and "solo" in names and view.group_at(at + 1) is not None
        assert "▾ 2 runs" in view.cells(at + 1)[0] and "1 ± 0.70711" in " ".join(view.cells(at + 1))  # their loss
        assert shown_names(app) == [n for n in names if n != "under sweep"]
        table(app).cursor_row = at + 1
        await pilot.press("enter")  # collapse the children
        assert sorted(view.cells(row)[1] for row in range(view.row_count)) == ["solo", "sweep", "under sweep"]
        await pilot.press("O", "ctrl+u", "enter")  # no columns: not grouped
        await settle(pilot)
        assert table(app).view.grouped is None and len(shown_names(app)) == 4
