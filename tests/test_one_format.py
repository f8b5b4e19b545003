"""One of each: the same value looks the same in the runs table, the detail screen, the diff
screen and `tracktui diff`; times come from one family; status and theme colours from one table."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import cast

from rich.console import Group
from rich.style import Style
from rich.table import Table

from tui.shaping import column_cells, formatting
from tui.shaping import diff as diff_shaping
from tui.shaping.curves import format_x
from tui.shaping.runs_view import RunsView
from tui.shaping.sanitize import printable
from tui.shaping.status import STATUS_GLYPHS, STATUS_LOOKS, status_look
from tui.shaping.ticks import wall_ticks
from tui.theme import status_style, theme_color, theme_style
from tui.widgets.run_overview import overview_params, value_text

VALUES = [4.123456789, 0.76381442915732, 1234567.5, 1.2345678e-05, 3.0, 7, True, float("inf"), -0.5]


def test_a_value_formats_the_same_in_table_detail_and_diff() -> None:
    assert vars(column_cells)["format_value"] is formatting.format_value, "the runs table's cells use the one formatter"
    for value in VALUES:
        table = formatting.format_value(value)
        assert value_text(value) == table, value
        assert diff_shaping.format_value(value) == table, value
    assert formatting.format_value(4.123456789) == "4.1235"


def test_the_runs_table_cell_matches_the_diff_cell() -> None:
    """The runs table once showed 4.1235 and the diff 4.12346 for the same metric."""
    import pandas as pd

    view = RunsView(
        frame=pd.DataFrame(
            {
                "run_id": ["r0"],
                "experiment": ["e"],
                "name": ["n"],
                "status": ["finished"],
                "created": [0.0],
                "duration": [1.0],
                "params.lr": [1.2345678e-05],
                "metrics.mse": [4.123456789],
            }
        )
    )
    keys = [col.key for col in view.columns]
    cells = dict(zip(keys, view.cells(0)))
    assert cells["metrics.mse"] == "4.1235" == diff_shaping.format_value(4.123456789)
    assert cells["params.lr"] == diff_shaping.format_value(1.2345678e-05)


def test_overview_params_show_the_one_format() -> None:
    group = overview_params({"lr": 4.123456789})
    table = cast(Table, cast(Group, group).renderables[1])
    cells = [str(cell) for column in table.columns for cell in column._cells]
    assert "4.1235" in cells


def test_exports_stay_exact() -> None:
    assert diff_shaping.format_value(0.76381442915732, exact=True) == "0.76381442915732"
    assert formatting.format_value(0.1 + 0.2, exact=True) == "0.30000000000000004"


def test_containers_are_compact_json_and_safe() -> None:
    assert formatting.format_value([1, "a\x1b[2J"]) == printable('[1, "a\\u001b[2J"]')
    assert formatting.format_value({"a": True}) == '{"a": true}'


def test_one_time_family() -> None:
    at = 1_700_000_000.0
    assert format_x(at, True) == formatting.format_clock(at) == time.strftime("%H:%M:%S", time.localtime(at))
    ticks, labels = wall_ticks(at, at + 3600)
    assert labels[0] == formatting.format_clock(ticks[0], 3600)
    assert formatting.format_timestamp(at, seconds=False, utc=True) == "2023-11-14 22:13"
    assert formatting.format_timestamp(at, utc=True) == "2023-11-14 22:13:20"
    assert formatting.format_timestamp(None) == ""


def test_one_status_table_and_theme_helper() -> None:
    assert vars(column_cells)["STATUS_GLYPHS"] is STATUS_GLYPHS, "the runs view draws from the one status table"
    assert set(STATUS_LOOKS) >= {"running", "finished", "failed", "killed", "crashed", "damaged"}
    assert status_look("no such status").glyph == "?"
    app = SimpleNamespace(theme_variables={"success": "#00ff00", "error": ""})
    assert theme_color(app, "success") == "#00ff00"
    assert theme_color(app, "error", "red") == "red" and theme_color(app, "missing") == ""
    assert theme_style(app, "success", bold=True) == Style(color="#00ff00", bold=True)
    assert theme_style(app, "missing") == Style()
    assert status_style(app, "finished") == Style(color="#00ff00")


def test_runs_table_status_colours_agree_with_the_status_table() -> None:
    """The runs table still colours statuses in its own CSS; until it reads status.py, they must agree."""
    import re

    from tui.widgets.runs_table import RunsTable

    found = dict(re.findall(r"\.runs-table--(\w+) \{ color: \$([\w-]+)", RunsTable.DEFAULT_CSS))
    statuses = {s: v for s, v in found.items() if s in STATUS_LOOKS}
    assert len(statuses) >= 6
    for status, variable in statuses.items():
        assert STATUS_LOOKS[status].theme_variable == variable, status
