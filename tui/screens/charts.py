"""ChartsScreen: metric histories of runs overlaid, and a param-vs-metric scatter.

Everything slow happens in one thread worker per view: reading histories, smoothing and
downsampling to the chart's width. The UI thread only swaps the finished curves into the
plots, inside `batch_update()`. Histories are cached per (run, metric); a 2 s timer re-reads
the runs that are still running and redraws them with the same metrics, axes and smoothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.segment import Segment
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import Footer, Input, SelectionList, Static
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.selection_list import Selection
from textual.worker import Worker, WorkerState, get_current_worker

from tui.shaping.curves import (
    AXES,
    AXIS_NAMES,
    DISTINCT_MARKERS,
    MARKER,
    RGB,
    ChartRequest,
    ChartsResult,
    RunInfo,
    Series,
    build_chart,
    default_metrics,
    marker_glyph,
    series_from_history,
)
from tui.shaping.sanitize import printable_line
from tui.shaping.smoothing import SMOOTHING_STEPS, step_strength
from tui.widgets.metric_chart import MetricChart
from tui.widgets.scatter_view import ScatterView

if TYPE_CHECKING:
    import pandas as pd

    from store import RunStore

PALETTE_VARIABLES = ("primary", "accent", "success", "error", "secondary", "warning", "foreground")
"""Theme variables that give the run colours, in order; repeated lightened for many runs."""
FAINT = 0.6
"""How far the raw curve behind a smoothed one is blended into the background."""
REFRESH_SECONDS = 2.0
PICKER_WIDTH = 24
"""Width of the metric list; keep in step with `#metric-picker` in charts.tcss."""
MIN_PANE_HEIGHT = 8
MAX_GRID = 4
"""At most this many pane columns or rows (`c`/`r` cycle 1…4)."""
DEFAULT_PANES = 4
"""The opening shows at most this many result metrics (as many as the grid holds)."""


def auto_grid(width: int, height: int) -> tuple[int, int]:
    """Pane columns and rows that suit a chart area of `width` x `height` cells: 80x24 gets one
    pane, 160x48 a 2x2 grid; a pane stays at least ~60 columns wide and `MIN_PANE_HEIGHT`+4 tall."""
    cols = max(1, min(MAX_GRID, width // 60))
    rows = max(1, min(MAX_GRID, height // (MIN_PANE_HEIGHT + 4)))
    return cols, rows


def grid_shape(panes: int, columns: int, rows: int) -> tuple[int, int]:
    """The grid actually used for `panes` panes with room for `columns` x `rows`: no empty
    column, and no more rows than the panes fill (the rest scroll)."""
    if panes <= 0:
        return 1, 1
    cols = max(1, min(columns, panes))
    return cols, max(1, min(rows, -(-panes // cols)))


# -- the screen --------------------------------------------------------------------------------


class MetricPicker(SelectionList[str]):
    """The metric list: a drawn metric's box shows ✓, not only a colour (NO_COLOR, 16 colours)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "select", "Pick", id="charts.pick", tooltip="Draw or hide the metric under the cursor"),
    ]
    DRAWN = "✓"

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        segments = list(strip)
        if len(segments) < 4 or segments[1].text != ToggleButton.BUTTON_INNER:
            return strip
        glyph = self.DRAWN if selection.value in self._selected else " "
        segments[1] = Segment(glyph, segments[1].style)
        return Strip(segments, strip.cell_length)



class ChartsScreen(Screen[None]):
    """Line charts of metric history for some runs, overlaid; `s` switches to a scatter."""

    CSS_PATH = "charts.tcss"
    SMOOTHING = Binding.Group("Smooth", compact=True)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "cycle_axis", "Axis", id="charts.axis",
                tooltip="X axis: step, time since the run started, wall-clock time"),
        Binding("l", "toggle_log", "Log", id="charts.log", tooltip="Linear or logarithmic y axis"),
        Binding("left_square_bracket", "smooth(-1)", "Smooth−", id="charts.smooth_less", key_display="[",
                tooltip="Less smoothing (exponential moving average)", group=SMOOTHING),
        Binding("right_square_bracket", "smooth(1)", "Smooth+", id="charts.smooth_more", key_display="]",
                tooltip="More smoothing (exponential moving average)", group=SMOOTHING),
        Binding("minus", "smooth(-1)", "Smooth−", show=False, id="charts.smooth_less_alt"),
        Binding("plus,equals_sign", "smooth(1)", "Smooth+", show=False, id="charts.smooth_more_alt"),
        Binding("c", "grid(1, 0)", "Columns", id="charts.columns", show=False,
                tooltip="Panes side by side: 1, 2, 3 or 4 columns"),
        Binding("r", "grid(0, 1)", "Rows", id="charts.rows", show=False,
                tooltip="Pane rows on screen: 1, 2, 3 or 4 (more scroll)"),
        Binding("f", "maximize", "Maximise", id="charts.maximize", show=False,
                tooltip="Show the highlighted metric's pane alone, or every pane again"),
        Binding("s", "toggle_scatter", "Scatter", id="charts.scatter",
                tooltip="Param vs metric scatter over the runs in the current filter"),
        Binding("slash", "search", "Find", id="charts.search", tooltip="Search the metric list"),
        Binding("question_mark", "app.help", "Keys", id="charts.help", tooltip="Every key of this screen"),
        Binding("escape", "back", "Back", id="charts.back",
                tooltip="Close the search or the scatter, or go back to the runs"),
    ]

    def __init__(self, store: RunStore, run_ids: list[str], frame: pd.DataFrame | None = None, *,
                 refresh_interval: float = REFRESH_SECONDS, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.store = store
        self.run_ids = list(run_ids)
        self.frame = frame
        self.refresh_interval = refresh_interval
        self.axis = "step"
        self.log_y = False
        self.smoothing = 0.0
        self.scatter = False
        self.selected: list[str] = []
        self.metric_keys: list[str] = []
        self.infos: dict[str, RunInfo] = {}
        self.search = ""
        self._cache: dict[tuple[str, str], Series] = {}
        self._panes: dict[str, MetricChart] = {}
        self.grid: tuple[int, int] | None = None
        """Pane columns and rows the user chose with `c`/`r`; None: fitted to the terminal."""
        self.maximized_metric: str | None = None
        """The metric whose pane fills the chart area (`f`), if any."""
        self._timer: Timer | None = None
        self._drawn_width = 0
        self.draws = 0
        """How many results have been drawn: tests wait on this changing."""

    def compose(self) -> ComposeResult:
        yield Static(Text("Loading metrics…"), id="charts-title")
        with Horizontal(id="charts-body"):
            with Vertical(id="metric-picker"):
                yield Input(placeholder="search metrics", id="metric-search")
                yield MetricPicker(id="metric-list")
            with Vertical(id="chart-area"):
                yield Static(Text(""), id="run-legend")
                yield VerticalScroll(id="chart-panes")
            yield ScatterView(self.store, self.frame, id="scatter-view")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#metric-search", Input).display = False
        self.query_one("#scatter-view").display = False
        self.query_one("#metric-list", SelectionList).focus()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.redraw())
        width, height = self.app.size.width - PICKER_WIDTH - 1, self.app.size.height - 4
        cols, rows = auto_grid(width, height)
        self._opening_count = min(DEFAULT_PANES, cols * rows)
        req = self._request(width_hint=width // grid_shape(self._opening_count, cols, rows)[0])
        self.load_runs(req)
        self._timer = self.set_interval(self.refresh_interval, self.poll_running)

    # -- state the title and legend show ------------------------------------------------

    def _update_title(self) -> None:
        title = Text()
        title.append("Scatter" if self.scatter else "Charts", style="bold")
        if self.scatter:
            frame = self.query_one(ScatterView).frame
            count = len(frame) if frame is not None else 0
            title.append(f" · runs in the current filter: {count}")
        else:
            title.append(f" · {len(self.run_ids)} run{'s' if len(self.run_ids) != 1 else ''}")
        if not self.scatter:
            title.append(f" · x: {AXIS_NAMES[self.axis]}")
            title.append(f" · y: {'log' if self.log_y else 'linear'}")
            title.append(f" · smoothing: {self.smoothing:g}" if self.smoothing else " · smoothing: off")
        else:
            title.append(f" · y: {'log' if self.log_y else 'linear'}")
        running = [i for i in self.infos.values() if i.status == "running"]
        if running:
            title.append(f" · {len(running)} running, live", style=_style(self, "success"))
        self.query_one("#charts-title", Static).update(title)

    def _update_legend(self) -> None:
        legend = Text()
        colors = self._palette()
        markers = self._markers()
        for index, run_id in enumerate(self.run_ids):
            info = self.infos.get(run_id)
            if index:
                legend.append("  ")
            r, g, b = colors[index % len(colors)]
            marker = markers[index % len(markers)]
            line = "━━" if len(markers) == 1 else marker_glyph(marker) * 2
            legend.append(f"{line} ", style=f"rgb({r},{g},{b})")
            legend.append(printable_line(info.name if info else run_id))
        if self.infos and not self.metric_keys:
            legend.append("\nThese runs have not logged any metrics yet.", style="dim")
        self.query_one("#run-legend", Static).update(legend)

    def _palette(self) -> list[RGB]:
        variables = self.app.theme_variables
        base: list[Color] = []
        for var in PALETTE_VARIABLES:
            if var in variables:
                c = Color.parse(variables[var])
                if all(c.rgb != b.rgb for b in base):
                    base.append(c)
        if not base:
            base = [Color.parse("ansi_default")]
        colors = [c.rgb for c in base] + [c.lighten(0.2).rgb for c in base] + [c.darken(0.2).rgb for c in base]
        return colors

    def _markers(self) -> list[str]:
        """Braille lines told apart by colour; under `NO_COLOR` a different marker per run too."""
        return list(DISTINCT_MARKERS) if self.app.no_color else [MARKER]

    def _faint_palette(self) -> list[RGB]:
        background = Color.parse(self.app.theme_variables.get("surface", "black"))
        return [Color(*rgb).blend(background, FAINT).rgb for rgb in self._palette()]

    # -- loading ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="charts-runs", exit_on_error=False, description="Reading runs")
    def load_runs(self, req: ChartRequest) -> ChartsResult:
        """The runs' names, statuses and metric keys, and the chart of the first metric, in one go,
        so opening the screen costs one trip to a thread, not two."""
        infos = {run_id: self._read_info(run_id) for run_id in self.run_ids}
        keys = sorted({k for info in infos.values() for k in info.keys})
        req.metrics = ([m for m in req.metrics if m in keys]
                       or default_metrics(infos.values(), self._opening_count))
        return self._build(req, infos)

    def _read_info(self, run_id: str) -> RunInfo:
        detail = self.store.run(run_id)
        counts = {k: int(v.get("count") or 0) for k, v in detail.metrics.items()}
        return RunInfo(run_id, detail.name, detail.status, sorted(detail.metrics), counts)

    def _set_infos(self, infos: dict[str, RunInfo]) -> None:
        self.infos.update(infos)
        keys = sorted({k for info in self.infos.values() for k in info.keys})
        if keys != self.metric_keys:
            self.metric_keys = keys
            if not self.selected:
                self.selected = default_metrics(self.infos.values(), self._opening_count)
            self._fill_picker()
        self._update_legend()
        self._update_title()

    def _fill_picker(self) -> None:
        picker = self.query_one("#metric-list", SelectionList)
        highlighted = picker.highlighted
        needle = self.search.lower()
        picker.clear_options()
        picker.add_options([Selection(Text(printable_line(k)), k, k in self.selected) for k in self.metric_keys
                            if needle in k.lower()])
        if picker.option_count:
            picker.highlighted = min(highlighted or 0, picker.option_count - 1)

    @on(SelectionList.SelectedChanged, "#metric-list")
    async def _picked(self, event: SelectionList.SelectedChanged[str]) -> None:
        picker = event.selection_list
        shown = {picker.get_option_at_index(i).value for i in range(picker.option_count)}
        chosen = set(picker.selected)
        kept = [m for m in self.selected if m not in shown or m in chosen]
        added = [m for m in self.metric_keys if m in chosen and m not in kept]
        if kept + added != self.selected:
            self.selected = kept + added
            await self._sync_panes()
            self.redraw()

    async def _sync_panes(self) -> None:
        container = self.query_one("#chart-panes", VerticalScroll)
        for metric in [m for m in self._panes if m not in self.selected]:
            await self._panes.pop(metric).remove()
        previous: MetricChart | None = None
        for metric in self.selected:
            pane = self._panes.get(metric)
            if pane is None:
                pane = MetricChart(metric)
                self._panes[metric] = pane
                if previous is None:
                    first = next(iter(container.children), None)
                    await container.mount(pane, before=first) if first is not None else await container.mount(pane)
                else:
                    await container.mount(pane, after=previous)
            previous = pane
        if self.maximized_metric not in self._panes:
            self.maximized_metric = None
        self._layout_grid()

    def grid_in_use(self) -> tuple[int, int]:
        """The (columns, rows) the panes are laid out in now."""
        if self.maximized_metric is not None:
            return 1, 1
        area = self.query_one("#chart-panes", VerticalScroll).size
        cols, rows = self.grid or auto_grid(area.width or self.app.size.width - PICKER_WIDTH - 1,
                                            area.height or self.app.size.height - 4)
        return grid_shape(len(self._panes), cols, rows)

    def _layout_grid(self) -> None:
        """Lay the panes out in the grid: rows share the area's height, extra rows scroll."""
        container = self.query_one("#chart-panes", VerticalScroll)
        cols, rows = self.grid_in_use()
        for metric, pane in self._panes.items():
            pane.display = self.maximized_metric is None or metric == self.maximized_metric
        height = container.size.height or self.app.size.height - 4
        container.styles.grid_size_columns = cols
        container.styles.grid_rows = str(max(MIN_PANE_HEIGHT, height // rows))

    def _request(self, reload: frozenset[str] = frozenset(), width_hint: int | None = None) -> ChartRequest:
        """What to draw, with one downsampling bucket per plot column (`width_hint`: the chart area's
        width before it has been laid out)."""
        area_width = self.query_one("#chart-panes", VerticalScroll).size.width if width_hint is None else width_hint
        if width_hint is None:
            self._drawn_width = area_width
            area_width //= self.grid_in_use()[0]
        width = max(40, area_width - 10)
        return ChartRequest(run_ids=list(self.run_ids), metrics=list(self.selected), axis=self.axis,
                            log_y=self.log_y, smoothing=self.smoothing, buckets=width, colors=self._palette(),
                            faint=self._faint_palette(), markers=self._markers(), reload=reload,
                            names={r: info.name for r, info in self.infos.items()})

    def redraw(self, reload: frozenset[str] = frozenset()) -> None:
        """Rebuild every chart from the current choices (in a worker); cheap to call often."""
        if not self.is_mounted:
            return
        self._update_title()
        self._update_legend()
        if self.scatter:
            self._redraw_scatter()
        elif self.selected:
            self.build_charts(self._request(reload))

    @work(thread=True, exclusive=True, group="charts-draw", exit_on_error=False, description="Building charts")
    def build_charts(self, req: ChartRequest) -> ChartsResult:
        return self._build(req, {run_id: self._read_info(run_id) for run_id in req.reload})

    def _build(self, req: ChartRequest, infos: dict[str, RunInfo]) -> ChartsResult:
        """Read the histories not cached yet (or to reload) and build every chart (worker thread)."""
        worker = get_current_worker()
        for run_id in req.run_ids:
            if worker.is_cancelled:  # a newer request replaced this one; its result is dropped anyway
                break
            missing = [m for m in req.metrics if (run_id, m) not in self._cache or run_id in req.reload]
            if missing:
                loaded = series_from_history(self.store.history(run_id, missing))
                for m in missing:
                    self._cache[(run_id, m)] = loaded.get(m) or Series.empty()
        names = {r: infos[r].name if r in infos else req.names.get(r, r) for r in req.run_ids}
        charts = [build_chart(metric, [(r, names[r], self._cache.get((r, metric)) or Series.empty())
                                       for r in req.run_ids], req)
                  for metric in req.metrics]
        return ChartsResult(charts, infos)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state == WorkerState.ERROR:
            self.notify(printable_line(f"{worker.description} failed: {worker.error}"), title="Charts",
                        severity="error", markup=False)
            return
        if event.state != WorkerState.SUCCESS:
            return
        if worker.group == "charts-runs" and isinstance(worker.result, ChartsResult):
            self.call_later(self._first_draw, worker.result)
        elif worker.group == "charts-draw" and isinstance(worker.result, ChartsResult):
            self._draw(worker.result)

    def _style_scatter(self) -> ScatterView:
        """The scatter view with the screen's log-y and colours handed over."""
        view = self.query_one(ScatterView)
        view.log_y = self.log_y
        view.color = self._palette()[0]
        view.best_color = Color.parse(self.app.theme_variables.get("success", "green")).rgb
        return view

    def _redraw_scatter(self) -> None:
        self._style_scatter().redraw()

    def on_scatter_view_drawn(self, event: ScatterView.Drawn) -> None:
        self._update_title()
        self.draws += 1

    async def _first_draw(self, result: ChartsResult) -> None:
        self._set_infos(result.infos)
        await self._sync_panes()
        if [c.metric for c in result.charts] == self.selected:
            self._draw(result)
        else:
            self.redraw()

    def _draw(self, result: ChartsResult) -> None:
        if result.infos:
            self._set_infos(result.infos)
        with self.app.batch_update():
            for chart in result.charts:
                pane = self._panes.get(chart.metric)
                if pane is not None:
                    pane.draw(chart)
        self.draws += 1

    def poll_running(self) -> None:
        """Timer tick: re-read the histories of runs that are still running, keep every choice."""
        running = frozenset(r for r, info in self.infos.items() if info.status == "running")
        if running and not self.scatter:
            self.redraw(reload=running)

    def on_resize(self) -> None:
        self._layout_grid()
        if self.selected and abs(self.query_one("#chart-panes").size.width - self._drawn_width) > 4:
            self.redraw()

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Axis, smoothing and metric search mean nothing for the scatter: hidden from the footer there."""
        return not (self.scatter and action in ("cycle_axis", "smooth", "search", "grid", "maximize"))

    def action_back(self) -> None:
        if self.scatter:
            self.action_toggle_scatter()
            return
        search = self.query_one("#metric-search", Input)
        if search.display:
            search.value = ""
            search.display = False
            self.search = ""
            self._fill_picker()
            self.query_one("#metric-list", SelectionList).focus()
            return
        self.app.pop_screen()

    def action_search(self) -> None:
        search = self.query_one("#metric-search", Input)
        search.display = True
        search.focus()

    @on(Input.Changed, "#metric-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search = event.value
        self._fill_picker()

    @on(Input.Submitted, "#metric-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#metric-list", SelectionList).focus()

    def action_cycle_axis(self) -> None:
        self.axis = AXES[(AXES.index(self.axis) + 1) % len(AXES)]
        self.redraw()

    def action_grid(self, columns: int, rows: int) -> None:
        """`c` (columns) and `r` (rows) step their count 1 → 2 → 3 → 4 → 1 from the grid in use."""
        area = self.query_one("#chart-panes", VerticalScroll).size
        cols, rows_now = self.grid or auto_grid(area.width, area.height)
        cols = cols % MAX_GRID + 1 if columns else cols
        rows_now = rows_now % MAX_GRID + 1 if rows else rows_now
        self.grid = (cols, rows_now)
        self.maximized_metric = None
        self._layout_grid()
        self.notify(f"{cols} column{'s' if cols != 1 else ''} × {rows_now} row{'s' if rows_now != 1 else ''}",
                    title="Chart grid", timeout=2)
        self.redraw()

    def action_maximize(self) -> None:
        if self.maximized_metric is not None:
            self.maximized_metric = None
        else:
            picker = self.query_one("#metric-list", SelectionList)
            highlighted = None
            if picker.highlighted is not None:
                highlighted = picker.get_option_at_index(picker.highlighted).value
            self.maximized_metric = highlighted if highlighted in self._panes else next(iter(self._panes), None)
        self._layout_grid()
        self.redraw()

    def action_toggle_log(self) -> None:
        self.log_y = not self.log_y
        self.redraw()

    def action_smooth(self, direction: int) -> None:
        self.smoothing = step_strength(self.smoothing, direction, SMOOTHING_STEPS)
        self.redraw()

    def action_toggle_scatter(self) -> None:
        self.scatter = not self.scatter
        self.query_one("#scatter-view").display = self.scatter
        self.query_one("#chart-area").display = not self.scatter
        self.query_one("#metric-picker").display = not self.scatter
        self.refresh_bindings()
        self._update_title()
        if self.scatter:
            self._style_scatter().open(self.selected)
        else:
            self.query_one("#metric-list", SelectionList).focus()
            self.redraw()


def _style(screen: Screen[Any], variable: str) -> str:
    colour = screen.app.theme_variables.get(variable)
    return colour or ""
