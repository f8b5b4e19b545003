"""The cursor readout's rows without an app: one per shown run, highlighted first, best first."""

from __future__ import annotations

import numpy as np

from tui.shaping.curves import ChartData, Curve
from tui.shaping.readout import ReadoutRow, order_rows, readout_rows
from tui.widgets.chart_readout import readout_text


def _curve(run_id: str, values: list[float], label: str | None = None) -> Curve:
    x = np.arange(len(values), dtype=np.float64)
    y = np.array(values, dtype=np.float64)
    return Curve(run_id, label or run_id, (1, 2, 3), x, y, len(values), full_x=x, full_y=y)


def _chart(metric: str) -> ChartData:
    return ChartData(
        metric,
        [
            _curve("a", [3.0, 2.0]),
            _curve("b", [1.0, 0.5]),
            _curve("c", [2.0, 4.0]),
            _curve("short", [9.0]),
            _curve("nan", [1.0, float("nan")]),
        ],
        "step",
    )


def test_rows_are_best_first_by_the_metrics_direction() -> None:
    assert [r.run_id for r in readout_rows(_chart("val/loss"), 1.0)] == ["b", "a", "c", "short", "nan"], (
        "loss: lowest first; no point at the cursor (or NaN) last, in legend order"
    )
    assert [r.run_id for r in readout_rows(_chart("val/acc"), 1.0)] == ["c", "a", "b", "short", "nan"]
    assert [r.run_id for r in readout_rows(_chart("widgets"), 1.0)] == ["c", "a", "b", "short", "nan"], (
        "a name that does not say: highest first"
    )
    assert [r.value for r in readout_rows(_chart("val/loss"), 1.0)][:3] == [0.5, 2.0, 4.0]
    assert readout_rows(_chart("val/loss"), 1.0, direction="higher")[0].run_id == "c", "an explicit direction wins"


def test_highlighted_run_comes_first_and_hidden_runs_are_left_out() -> None:
    rows = readout_rows(_chart("val/loss"), 1.0, highlight="c", hidden=frozenset({"b"}))
    assert [(r.run_id, r.highlighted) for r in rows] == [("c", True), ("a", False), ("short", False), ("nan", False)]
    assert (
        order_rows(
            [
                ReadoutRow("x", "x", (0, 0, 0), "braille", None, highlighted=True),
                ReadoutRow("y", "y", (0, 0, 0), "braille", 1.0),
            ],
            "lower",
        )[0].run_id
        == "x"
    ), "the highlighted run leads even without a value"


def test_readout_text_is_one_sanitized_line_per_run() -> None:
    chart = ChartData(
        "loss", [_curve("a", [1.0], label="\x1b]0;PWNED\x07evil"), _curve("b", [0.5], "[red]b[/]")], "step"
    )
    text = readout_text(readout_rows(chart, 0.0), "0").plain
    lines = text.splitlines()
    assert lines[0] == "@ 0" and len(lines) == 3
    assert lines[1].split() == ["━", "[red]b[/]", "0.5"], "markup in a name is shown, not applied"
    assert "\x1b" not in text and "\x07" not in text and "␛" in lines[2]


def test_zooming_in_then_out_by_the_same_factor_is_no_zoom() -> None:
    """The wheel zooms by 2/3 and back by 3/2: rounding left a 3e-15 sliver, so the view never
    returned to the whole range (no zoom) and kept `0–19` in the title."""
    from tui.shaping.chart_view import zoom

    for center in (2.142857142857143, 5.0, 14.3):
        narrowed = zoom((0.0, 19.0), None, center, 2 / 3)
        assert narrowed is not None
        assert zoom((0.0, 19.0), narrowed, center, 3 / 2) is None, center


def test_a_groups_min_max_gets_its_own_line_so_a_narrow_box_keeps_it() -> None:
    """At 80x24 the box is about 25 columns: `iris-classi… 0.14527 [0.1–0.2]` lost its band."""
    row = ReadoutRow("g", "experiment=iris-classification", (1, 2, 3), "braille", 0.14527, 0.1, 0.2)
    lines = readout_text([row], "15", name_width=12).plain.splitlines()
    assert lines == ["@ 15", " ━ experiment=… 0.14527", "   [0.1–0.2]"]
    assert max(len(line) for line in lines) <= 25
