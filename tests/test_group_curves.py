"""Groups of runs as one curve: alignment on a shared x, mean/min/max, downsampling (plain code)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tui.shaping.curves import ChartRequest, Series, build_chart
from tui.shaping.group_curves import RunGroup, align, group_curve
from tui.shaping.scatter import build_scatter, color_by_group, group_params_first, group_points


def arr(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def test_runs_logged_at_the_same_steps_average_point_by_point() -> None:
    curve = group_curve([(arr(0, 1, 2), arr(1, 2, 3)), (arr(0, 1, 2), arr(3, 4, 8))], max_points=100)
    assert curve.x.tolist() == [0, 1, 2]
    assert curve.mean.tolist() == [2, 3, 5.5]
    assert curve.low.tolist() == [1, 2, 3] and curve.high.tolist() == [3, 4, 8]
    assert curve.count.tolist() == [2, 2, 2]


def test_different_steps_interpolate_inside_each_run_and_never_past_its_end() -> None:
    """One run logs every 2 steps, another every 3 and stops (crashed) at step 3."""
    grid, values = align([(arr(0, 2, 4, 6), arr(0, 2, 4, 6)), (arr(0, 3), arr(10, 40))], max_points=100)
    assert grid.tolist() == [0, 2, 3, 4, 6]
    assert values[0].tolist() == [0, 2, 3, 4, 6]
    assert values[1, :3].tolist() == [10, 30, 40] and np.isnan(values[1, 3:]).all()
    curve = group_curve([(arr(0, 2, 4, 6), arr(0, 2, 4, 6)), (arr(0, 3), arr(10, 40))], max_points=100)
    assert curve.count.tolist() == [2, 2, 2, 1, 1]
    assert curve.mean.tolist() == [5, 16, 21.5, 4, 6], "after the crash the mean is the run left"


def test_nan_points_and_duplicate_x_are_handled() -> None:
    grid, values = align([(arr(0, 1, 1, 2), arr(1, np.nan, 5, 3)), (arr(np.nan, 1), arr(7, 9))], max_points=10)
    assert grid.tolist() == [0, 1, 2]
    assert values[0].tolist() == [1, 5, 3]
    assert np.isnan(values[1, 0]) and values[1, 1] == 9 and np.isnan(values[1, 2])
    empty = group_curve([(arr(), arr()), (arr(np.nan), arr(1))], max_points=10)
    assert empty.x.size == 0


def test_many_points_are_bucketed_keeping_each_runs_mean_per_bucket() -> None:
    x = np.arange(100_000, dtype=np.float64)
    curve = group_curve([(x, np.ones_like(x)), (x[::7], np.full(x[::7].size, 3.0))], max_points=50)
    assert curve.x.size == 50 and curve.x[0] > 0 and curve.x[-1] < 99_999
    assert np.allclose(curve.mean, 2.0) and np.allclose(curve.low, 1) and np.allclose(curve.high, 3)
    assert (curve.count == 2).all()


def test_bucketing_fills_empty_buckets_inside_a_run_only() -> None:
    grid, values = align(
        [(arr(0, 100), arr(0, 100)), (np.arange(0, 51, dtype=np.float64), np.zeros(51))], max_points=10
    )
    assert grid.size == 10
    assert np.isfinite(values[0]).all(), "a run with two points spans every bucket between them"
    assert np.isfinite(values[1, :5]).all() and np.isnan(values[1, 6:]).all()


@pytest.mark.parametrize("smoothing", [0.0, 0.6])
def test_build_chart_draws_one_curve_per_group_with_its_band(smoothing: float) -> None:
    def series(values: list[float]) -> Series:
        steps = np.arange(len(values), dtype=np.float64)
        return Series(steps, steps, np.array(values, dtype=np.float64))

    req = ChartRequest(
        run_ids=["a", "b", "c"],
        metrics=["loss"],
        axis="step",
        log_y=False,
        smoothing=smoothing,
        buckets=40,
        colors=[(1, 1, 1), (2, 2, 2)],
        faint=[(0, 0, 0), (0, 0, 1)],
        groups=[RunGroup("lr=0.1", ("a", "b")), RunGroup("lr=1", ("c",))],
    )
    chart = build_chart(
        "loss", [("a", "a", series([4, 2, 1])), ("b", "b", series([6, 4, 3])), ("c", "c", series([9, 9]))], req
    )
    assert [(c.run_id, c.label, c.color, c.points) for c in chart.curves] == [
        ("group:lr=0.1", "0.1", (1, 1, 1), 6),
        ("group:lr=1", "1", (2, 2, 2), 2),
    ]
    first = chart.curves[0]
    assert first.band_low is not None and first.band_high is not None
    assert (first.band_low <= first.y).all() and (first.y <= first.band_high).all()
    if not smoothing:
        assert first.y.tolist() == [5, 3, 2] and first.band_low.tolist() == [4, 2, 1]
    assert first.raw_y is None, "the band stands for the runs; no faint raw curve"
    assert chart.curves[1].band_high is not None and np.allclose(chart.curves[1].band_high, [9, 9])


def scatter_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": ["a", "b", "c", "d", "e"],
            "name": ["a", "b", "c", "d", "e"],
            "params.lr": [0.1, 0.1, 0.01, 0.01, 0.5],
            "params.seed": [0, 1, 0, 1, 0],
            "metrics.loss": [1.0, 3.0, 0.5, 0.7, np.nan],
        }
    )


def test_scatter_of_groups_is_one_point_per_group_with_its_min_and_max() -> None:
    groups = [RunGroup("lr=0.1", ("a", "b")), RunGroup("lr=0.01", ("c", "d")), RunGroup("lr=0.5", ("e",))]
    runs = build_scatter(scatter_frame(), "lr", "loss", False, (1, 1, 1), (0, 9, 0))
    assert runs.run_ids == ["a", "b", "c", "d"]
    data = group_points(runs, groups, [(1, 0, 0), (0, 1, 0), (0, 0, 1)])
    assert data.names == ["lr=0.1 (2)", "lr=0.01 (2)"], "a group without the metric has no point"
    assert data.x.tolist() == [0.1, 0.01] and data.y.tolist() == [2.0, 0.6]
    assert data.low is not None and data.high is not None
    assert data.low.tolist() == [1.0, 0.5] and data.high.tolist() == [3.0, 0.7]
    assert data.colors == [(1, 0, 0), (0, 1, 0)]
    assert data.best == 1 and "lowest mean loss 0.6: lr=0.01 (2)" in data.note
    members = color_by_group(runs, groups[:1], [(1, 0, 0)])
    assert members.run_ids == ["a", "b"] and members.colors == [(1, 0, 0)] * 2 and members.low is None


def test_a_scatter_of_groups_puts_their_key_on_x_first() -> None:
    groups = [RunGroup("seed=0 · lr=0.1", ("a",))]
    assert group_params_first(["lr", "seed", "wd"], groups) == ["seed", "lr", "wd"]
    assert group_params_first(["lr", "wd"], [RunGroup("experiment=x", ("a",))]) == ["lr", "wd"]
    assert group_params_first(["lr", "wd"], []) == ["lr", "wd"]
