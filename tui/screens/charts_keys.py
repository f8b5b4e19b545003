"""The charts screen's table of keys: every binding of `ChartsScreen`, with its id and tooltip, in
the order the footer and `?` show them, and the keys the scatter hides from its footer.

Each `action_*` it names is in `charts.py`, most a one-line hand-off to the `viewing` part.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

CURSOR_JUMP = 10
LINE_CHART_ACTIONS = frozenset(
    {
        "cycle_axis",
        "smooth",
        "search",
        "grid",
        "maximize",
        "cursor",
        "zoom",
        "reset_view",
        "toggle_clip",
        "highlight",
        "hide",
        "metric_axis",
        "page",
    }
)
"""Keys that mean nothing for the scatter: hidden from its footer."""
SMOOTHING = Binding.Group("Smooth", compact=True)

CHARTS_BINDINGS: list[BindingType] = [
    Binding(
        "x",
        "cycle_axis",
        "Axis",
        id="charts.axis",
        tooltip="X axis: step, time since the run started, wall-clock time",
    ),
    Binding(
        "l",
        "toggle_log",
        "Log",
        id="charts.log",
        tooltip="Linear or logarithmic y axis for the highlighted metric's pane (the scatter's y)",
    ),
    Binding(
        "L",
        "toggle_log_all",
        "Log all",
        show=False,
        id="charts.log_all",
        tooltip="Linear or logarithmic y axis for every pane at once",
    ),
    Binding(
        "left_square_bracket",
        "smooth(-1)",
        "Smooth−",
        id="charts.smooth_less",
        key_display="[",
        tooltip="Less smoothing (exponential moving average)",
        group=SMOOTHING,
    ),
    Binding(
        "right_square_bracket",
        "smooth(1)",
        "Smooth+",
        id="charts.smooth_more",
        key_display="]",
        tooltip="More smoothing (exponential moving average)",
        group=SMOOTHING,
    ),
    Binding("minus", "smooth(-1)", "Smooth−", show=False, id="charts.smooth_less_alt"),
    Binding("plus,equals_sign", "smooth(1)", "Smooth+", show=False, id="charts.smooth_more_alt"),
    Binding(
        "left",
        "cursor(-1)",
        "Cursor",
        show=False,
        id="charts.cursor_left",
        tooltip="Move the cursor left: every pane reads its runs' values there",
    ),
    Binding(
        "right",
        "cursor(1)",
        "Cursor",
        show=False,
        id="charts.cursor_right",
        tooltip="Move the cursor right: every pane reads its runs' values there",
    ),
    Binding("shift+left", f"cursor(-{CURSOR_JUMP})", "Cursor", show=False, id="charts.cursor_jump_left"),
    Binding("shift+right", f"cursor({CURSOR_JUMP})", "Cursor", show=False, id="charts.cursor_jump_right"),
    Binding("z", "zoom(0.5)", "Zoom", show=False, id="charts.zoom_in", tooltip="Narrow x around the cursor"),
    Binding("Z", "zoom(2.0)", "Zoom out", show=False, id="charts.zoom_out", tooltip="Widen x around the cursor"),
    Binding("0", "reset_view", "Reset", show=False, id="charts.reset", tooltip="Whole x range again; no cursor"),
    Binding(
        "o",
        "toggle_clip",
        "Outliers",
        show=False,
        id="charts.clip",
        tooltip="Clip y to the 1st–99th percentile so one spike does not flatten the curves",
    ),
    Binding(
        "h",
        "highlight",
        "Highlight",
        show=False,
        id="charts.highlight",
        tooltip="Highlight the next run (others dimmed); after the last, none",
    ),
    Binding(
        "H",
        "hide",
        "Hide",
        show=False,
        id="charts.hide",
        tooltip="Hide the highlighted run from charts and legend, or show it again",
    ),
    Binding(
        "X",
        "metric_axis",
        "X = metric",
        show=False,
        id="charts.metric_axis",
        tooltip="Use the highlighted metric (epoch, tokens…) as the x axis; again: back to steps",
    ),
    Binding(
        "b",
        "colorblind",
        "Palette",
        show=False,
        id="charts.palette",
        tooltip="Colour-blind-safe run colours (Okabe–Ito) or the theme's",
    ),
    Binding(
        "c",
        "grid(1, 0)",
        "Columns",
        id="charts.columns",
        show=False,
        tooltip="Panes side by side: 1, 2, 3 or 4 columns",
    ),
    Binding(
        "r",
        "grid(0, 1)",
        "Rows",
        id="charts.rows",
        show=False,
        tooltip="Pane rows on screen: 1, 2, 3 or 4 (more scroll)",
    ),
    Binding(
        "f",
        "maximize",
        "Maximise",
        id="charts.maximize",
        show=False,
        tooltip="Show the highlighted metric's pane alone, or every pane again",
    ),
    Binding(
        "n,greater_than_sign",
        "page(1)",
        "Next charts",
        id="charts.next_page",
        show=False,
        tooltip="The next page of charts, when not all fit (the title says which are shown)",
    ),
    Binding(
        "N,less_than_sign",
        "page(-1)",
        "Previous charts",
        id="charts.previous_page",
        show=False,
        tooltip="The previous page of charts, when not all fit",
    ),
    Binding(
        "s",
        "toggle_scatter",
        "Scatter",
        id="charts.scatter",
        tooltip="Param vs metric scatter over the runs in the current filter",
    ),
    Binding(
        "e",
        "group_points",
        "Groups/runs",
        id="charts.group_points",
        tooltip="Scatter of groups: one point per group (mean, min–max whisker) or each of their runs",
    ),
    Binding("slash", "search", "Find", id="charts.search", tooltip="Search the metric list"),
    Binding("question_mark", "app.help", "Keys", id="charts.help", tooltip="Every key of this screen"),
    Binding(
        "escape",
        "back",
        "Back",
        id="charts.back",
        tooltip="Close the search, the cursor or the scatter, or go back to the runs",
    ),
]
