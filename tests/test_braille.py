"""Braille rasterising without an app: dots of lines, gaps, lone points, text markers."""

from __future__ import annotations

import numpy as np

from tui.shaping.braille import BRAILLE_BASE, Raster, draw, line_dots


def test_a_line_sets_every_dot_between_its_points() -> None:
    px, py = line_dots(np.array([0.0, 3.0]), np.array([0.0, 0.0]))
    assert px.tolist() == [0, 1, 2, 3] and py.tolist() == [0, 0, 0, 0]
    px, py = line_dots(np.array([0.0, 1.0, np.nan, 5.0, 6.0]), np.array([0.0, 1.0, 0.0, 2.0, 2.0]))
    assert 4 not in px.tolist(), "a NaN leaves a gap"


def test_a_lone_point_is_a_block_and_the_last_curve_owns_a_cell() -> None:
    raster = Raster(2, 1)
    draw(raster, 0, np.array([0.0]), np.array([0.0]))
    assert raster.dots[0, 0] == 0x40 | 0x80 | 0x04 | 0x20, "2x2 dots at the bottom of the first cell"
    assert raster.char(0, 0) == chr(BRAILLE_BASE + int(raster.dots[0, 0]))
    draw(raster, 1, np.array([0.0, 3.0]), np.array([3.0, 3.0]))
    assert raster.owner[0].tolist() == [1, 1] and raster.dots[0, 1] == 0x01 | 0x08


def test_text_markers_mark_cells_and_points_outside_are_dropped() -> None:
    raster = Raster(3, 2)
    draw(raster, 0, np.array([0.0, 5.0]), np.array([0.0, 0.0]), marker="x")
    assert {cell for cell in raster.glyph} == {(1, 0), (1, 1), (1, 2)} and raster.char(1, 1) == "x"
    draw(raster, 1, np.array([-10.0, -5.0]), np.array([100.0, 200.0]))
    assert (raster.owner == 1).sum() == 0


def test_render_chart_draws_axes_ticks_and_the_cursor() -> None:
    from tui.shaping.curves import ChartData, Curve
    from tui.widgets.braille_chart import render_chart

    x = np.arange(10, dtype=np.float64)
    curve = Curve("a", "a", (255, 0, 0), x, x * 2, 10, full_x=x, full_y=x * 2)
    data = ChartData("m", [curve], "step", xticks=([0.0, 5.0, 9.0], ["0", "5", "9"]))
    lines, drawn = render_chart(data, 40, 12, cursor=5.0)
    text = [line.text for line in lines]
    assert drawn == 1 and len(lines) == 12 and all(line.cell_length == 40 for line in lines)
    assert any(row.startswith("15 ┤") for row in text) and text[-3].startswith(" 0 ┤")
    assert "└" in text[-2] and text[-1].split()[:3] == ["0", "5", "9"]
    assert any("│" in row[5:] for row in text[:-2]), "the cursor column"
    assert render_chart(ChartData("m", [], "step"), 40, 12)[1] == 0
