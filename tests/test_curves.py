"""The charts' plain maths without an app: histories to series, curves, ticks and scatters."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.test_diff_shaping import BASE_TIME
from tui.shaping.curves import ChartRequest, Series, build_chart, series_from_history
from tui.shaping.scatter import build_scatter, scatter_params
from tui.shaping.ticks import log_ticks, time_unit, wall_ticks


def test_scatter_spreads_categorical_params() -> None:
    frame = pd.DataFrame(
        {
            "name": ["a", "b", "c", "d"],
            "params.opt": ["sgd", "adam", "sgd", "adam"],
            "metrics.loss": [1.0, 0.5, 2.0, np.nan],
        }
    )
    data = build_scatter(frame, "opt", "loss", log_y=False, color=(1, 2, 3), best_color=(4, 5, 6))
    assert data.categorical and data.categories == ["adam", "sgd"]
    assert data.xticks == ([0.0, 1.0], ["adam", "sgd"])
    assert data.names == ["a", "b", "c"], "a run without the metric is left out"
    assert data.x.tolist() == [0.75, 0.0, 1.25], "runs sharing a value are spread around its slot"
    assert data.best == 1 and "at opt=adam (b)" in data.note


def test_log_ticks_are_round() -> None:
    assert log_ticks(0.737, 1.258) == ([0.8, 0.9, 1.0], ["0.8", "0.9", "1"])
    assert log_ticks(0.7, 5.0) == ([1.0, 2.0, 5.0], ["1", "2", "5"])
    assert log_ticks(1e-4, 10.0)[1] == ["0.0001", "0.001", "0.01", "0.1", "1", "10"]
    assert len(log_ticks(1e-9, 1e9)[0]) <= 6, "many decades are thinned"
    assert log_ticks(1.2, 1.8) == ([1.2, 1.4, 1.6, 1.8], ["1.2", "1.4", "1.6", "1.8"])
    assert log_ticks(3.0, 3.0) == ([3.0], ["3"])
    assert log_ticks(0.0, 1.0) == ([], [])


def test_time_helpers() -> None:
    assert time_unit(30) == ("s", 1.0) and time_unit(600) == ("min", 60.0) and time_unit(3 * 3600) == ("h", 3600.0)
    ticks, labels = wall_ticks(BASE_TIME, BASE_TIME + 3600)
    assert 2 <= len(ticks) == len(labels) <= 4 and all(":" in lab for lab in labels)
    assert all(BASE_TIME <= t <= BASE_TIME + 3600 and t % 60 == 0 for t in ticks), "on whole minutes"
    for span in (0.3, 2.5, 40, 200, 700, 5 * 3600, 3 * 86400):  # failed before: 2.5 s read HH:MM:00 twice
        ticks, labels = wall_ticks(BASE_TIME + 0.4, BASE_TIME + 0.4 + span)
        assert 1 <= len(ticks) <= 4 and len(set(labels)) == len(labels), (span, labels)
    assert (
        len(wall_ticks(BASE_TIME, BASE_TIME + 40)[1][0]) == 8
        and len(wall_ticks(BASE_TIME, BASE_TIME + 7200)[1][0]) == 5
    )


def test_series_are_sorted_by_step() -> None:
    frame = pd.DataFrame(
        {
            "key": pd.Categorical(["a", "a", "a", "b"]),
            "step": [2, 0, 1, 0],
            "time": [3.0, 1.0, 2.0, 1.0],
            "value": [30.0, 10.0, 20.0, 5.0],
        }
    )
    series = series_from_history(frame)
    assert series["a"].step.tolist() == [0, 1, 2] and series["a"].value.tolist() == [10.0, 20.0, 30.0]
    assert series["b"].value.tolist() == [5.0]


def test_scatter_prefers_params_that_vary_where_the_metric_exists() -> None:
    frame = pd.DataFrame(
        {
            "name": ["a", "b", "c", "d"],
            "params.degree": [1, 2, np.nan, np.nan],
            "params.depth": [np.nan, np.nan, 3, 5],
            "params.seed": [0, 0, 0, 0],
            "metrics.mse": [1.0, 2.0, np.nan, np.nan],
            "metrics.acc": [np.nan, np.nan, 0.9, 0.8],
        }
    )
    assert scatter_params(frame, "acc") == ["depth", "seed", "degree"]
    assert scatter_params(frame, "mse") == ["degree", "seed", "depth"]
    empty = build_scatter(frame, "degree", "acc", log_y=False, color=(1, 2, 3), best_color=(4, 5, 6))
    assert empty.x.size == 0 and "has both degree and acc" in empty.note


def test_integer_steps_get_integer_ticks() -> None:
    """Issue 9.15: 12 steps were labelled 0.0, 2.8, 5.5, 8.2, 11.0."""
    steps = np.arange(12, dtype=np.float64)
    series = Series(steps, steps + BASE_TIME, 1.0 / (steps + 1))
    req = request(faint=[(1, 2, 3)])
    chart = build_chart("loss", [("a", "a", series)], req)
    assert chart.xticks is not None
    ticks, labels = chart.xticks
    assert labels == [str(int(t)) for t in ticks] and ticks[0] == 0 and ticks[-1] == 10
    fractional = Series(steps / 3, steps + BASE_TIME, steps)
    assert build_chart("x", [("a", "a", fractional)], req).xticks is None


def test_default_metrics_open_results_before_schedules_and_machine_metrics() -> None:
    from tui.shaping.curves import RunInfo
    from tui.shaping.metric_order import default_metrics, metric_tier

    keys = ["lr", "epoch", "gpu_util", "train/loss", "val/acc", "widgets", "samples_per_sec"]
    info = RunInfo(
        "r",
        "r",
        "finished",
        keys,
        {
            "lr": 500,
            "epoch": 500,
            "gpu_util": 500,
            "train/loss": 100,
            "val/acc": 10,
            "widgets": 800,
            "samples_per_sec": 500,
        },
    )
    assert [metric_tier(k) for k in keys] == [2, 2, 2, 0, 0, 1, 2]
    assert default_metrics([info], 4) == ["train/loss", "val/acc"]
    assert default_metrics([info], 1) == ["train/loss"]
    plain = RunInfo("r", "r", "finished", ["lr", "widgets"], {"lr": 5, "widgets": 3})
    assert default_metrics([plain], 4) == ["widgets"], "no result metric: the best of the rest, alone"
    assert default_metrics([], 4) == []


def request(**overrides: object) -> ChartRequest:
    req = ChartRequest(
        run_ids=["a"],
        metrics=["loss"],
        axis="step",
        log_y=False,
        smoothing=0.0,
        buckets=60,
        colors=[(1, 2, 3)],
        faint=[(4, 5, 6)],
    )
    for key, value in overrides.items():
        setattr(req, key, value)
    return req


def test_zoom_keeps_points_in_range_and_one_beyond_each_edge() -> None:
    steps = np.arange(100, dtype=np.float64)
    chart = build_chart("loss", [("a", "a", Series(steps, steps, steps * 2))], request(x_range=(10.0, 20.0)))
    curve = chart.curves[0]
    assert curve.full_x is not None and curve.full_x.tolist() == list(range(9, 22))
    assert chart.xlim == (10.0, 20.0) and chart.extent == (0.0, 99.0)
    assert chart.xticks is not None and chart.xticks[0][0] >= 10 and chart.xticks[0][-1] <= 20


def test_percentile_clip_ignores_a_spike() -> None:
    steps = np.arange(200, dtype=np.float64)
    values = np.ones(200)
    values[100] = 1e6
    chart = build_chart("loss", [("a", "a", Series(steps, steps, values + steps / 1000))], request(clip=1.0))
    assert chart.ylim is not None and chart.ylim[1] < 10 and "clipped" in chart.note
    assert build_chart("loss", [("a", "a", Series(steps, steps, values))], request()).ylim is None


def test_single_point_metrics_get_a_range_around_the_point() -> None:
    one = Series(np.array([5.0]), np.array([BASE_TIME]), np.array([0.93]))
    chart = build_chart("acc", [("a", "a", one)], request())
    assert chart.xlim == (4.0, 6.0) and chart.xticks == ([5.0], ["5"]), "its step, alone: no invented steps"
    assert chart.ylim is not None and chart.ylim[0] < 0.93 < chart.ylim[1] and chart.yticks == ([0.93], ["0.93"])
    sampled = build_chart("cpu", [("a", "a", one)], request(axis="wall"))
    assert sampled.xlim == (BASE_TIME - 30, BASE_TIME + 30), "a minute around one sample, not ±10 % of 1970 to now"
    assert sampled.xticks is not None and sampled.xticks[0] == [BASE_TIME]
    zero = Series(np.array([0.0, 1.0]), np.array([BASE_TIME, BASE_TIME]), np.array([0.0, 0.0]))
    assert build_chart("x", [("a", "a", zero)], request()).ylim == (-1.0, 1.0)


def test_metric_axis_reads_the_other_metric_as_of_each_step() -> None:
    from tui.shaping.curves import axis_values

    loss = Series(np.array([0.0, 1.0, 2.0, 3.0]), np.zeros(4), np.array([4.0, 3.0, 2.0, 1.0]))
    epoch = Series(np.array([1.0, 3.0]), np.zeros(2), np.array([0.0, 1.0]))
    assert np.array_equal(axis_values(loss, "metric:epoch", epoch), [np.nan, 0.0, 0.0, 1.0], equal_nan=True)
    chart = build_chart("loss", [("a", "a", loss)], request(axis="metric:epoch"), {"a": epoch})
    assert chart.x_label == "epoch" and chart.curves[0].x.tolist() == [0.0, 0.0, 1.0]
    assert build_chart("loss", [("a", "a", loss)], request(axis="metric:epoch")).curves[0].x.size == 0


def test_cursor_steps_zoom_and_readout() -> None:
    from tui.shaping.chart_view import cursor_positions, next_highlight, step_cursor, union_extent, zoom
    from tui.shaping.curves import value_at

    positions = cursor_positions([np.array([0.0, 2.0, np.nan]), np.array([1.0, 2.0])])
    assert positions.tolist() == [0.0, 1.0, 2.0]
    assert step_cursor(positions, None, 1) == 1.0
    assert step_cursor(positions, 1.0, 1) == 2.0 and step_cursor(positions, 2.0, 5) == 2.0
    assert step_cursor(positions, 1.5, -1) == 1.0 and step_cursor(positions, 1.5, 1) == 2.0
    assert step_cursor(np.empty(0), 1.0, 1) is None
    assert zoom((0.0, 100.0), None, 10.0, 0.5) == (5.0, 55.0)
    assert zoom((0.0, 100.0), (90.0, 100.0), 99.0, 0.5) == (94.5, 99.5)
    assert zoom((0.0, 100.0), (0.0, 60.0), None, 2.0) is None
    x, y = np.array([1.0, 3.0]), np.array([10.0, 30.0])
    assert (value_at(x, y, 0.5), value_at(x, y, 2.0), value_at(x, y, 3.0), value_at(x, y, 4.0)) == (
        None,
        10.0,
        30.0,
        None,
    )
    assert next_highlight(["a", "b"], None) == "a" and next_highlight(["a", "b"], "b") is None
    assert union_extent([None, (1.0, 2.0), (0.0, 1.5)]) == (0.0, 2.0) and union_extent([None]) is None


def test_run_colours_stay_per_session() -> None:
    from tui.shaping.run_colors import COLORBLIND, run_colors

    class Session:
        pass

    one, two = Session(), Session()
    palette = [(1, 1, 1), (2, 2, 2)]
    assert run_colors(one).colors(["x", "y", "z"], palette) == [(1, 1, 1), (2, 2, 2), (1, 1, 1)]
    assert run_colors(one).colors(["z", "y"], palette) == [(1, 1, 1), (2, 2, 2)], "z keeps its slot"
    assert run_colors(two).colors(["z"], palette) == [(1, 1, 1)], "another session starts afresh"
    run_colors(one).colorblind = True
    assert run_colors(one).colors(["y"], palette) == [COLORBLIND[1]]


def test_cursor_x_reads_as_a_clock_time_on_the_wall_clock_axis() -> None:
    import time

    from tui.shaping.curves import format_x

    assert format_x(BASE_TIME, True) == time.strftime("%H:%M:%S", time.localtime(BASE_TIME))
    assert format_x(2.5, False) == "2.5" and format_x(float("nan"), True) == "nan"
    wall = build_chart(
        "loss", [("a", "a", Series(np.arange(3.0), BASE_TIME + np.arange(3.0), np.ones(3)))], request(axis="wall")
    )
    assert wall.wall_clock and not build_chart("loss", [], request()).wall_clock


def test_linear_ticks_give_at_least_three_round_values_however_the_range_sits() -> None:
    """Found by hand at 160x48: val/acc from 0.17 to 0.99 had one y label (0.5) on a 44-row pane."""
    from tui.shaping.ticks import linear_ticks

    assert linear_ticks(0.17, 0.999) == [0.2, 0.4, 0.6, 0.8]
    assert linear_ticks(0, 1) == [0.0, 0.5, 1.0]
    assert linear_ticks(3, 7) == [3.0, 4.0, 5.0, 6.0, 7.0]
    for lo, hi in [(0.17, 0.999), (0.51, 1.49), (12.3, 29.9), (-0.4, 0.45)]:
        assert len(linear_ticks(lo, hi)) >= 3, (lo, hi)
