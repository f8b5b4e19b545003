"""ChartsScreen: metric histories of runs overlaid, one pane per metric in a grid, and a scatter.

Everything slow happens in one thread worker per view: reading histories, smoothing and
downsampling to the panes' width. The UI thread only swaps the finished curves into the
plots, inside `batch_update()`. Histories are cached per (run, metric); a 2 s timer re-reads
the runs that are still running and redraws them with the same metrics, axes and smoothing.
The cursor, the highlighted run and hidden runs are drawn by the panes themselves, without a
trip to the worker; zooming and clipping rebuild the curves for the new range.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, SelectionList, Static
from textual.worker import get_current_worker

from tui.messages import ChartsBuilt, ForwardsWorkerFailures, post_result
from tui.shaping.curves import (
    AXES,
    DISTINCT_MARKERS,
    MARKER,
    METRIC_AXIS,
    RGB,
    ChartRequest,
    ChartsResult,
    RunInfo,
)
from tui.shaping.group_curves import RunGroup
from tui.shaping.history_cache import HistoryCache
from tui.shaping.metric_order import default_metrics
from tui.shaping.run_colors import run_colors
from tui.shaping.smoothing import SMOOTHING_STEPS, step_strength
from tui.shaping.system_metrics import clock_or_step
from tui.widgets.braille_chart import BrailleChart
from tui.widgets.chart_grid import ChartGrid, auto_grid, grid_shape
from tui.widgets.metric_picker import MetricList
from tui.widgets.run_legend import RunLegend, faint_palette, theme_palette
from tui.widgets.scatter_view import ScatterView

from .charts_caption import ChartCaption
from .charts_keys import CHARTS_BINDINGS, LINE_CHART_ACTIONS
from .charts_view import ChartViewing

if TYPE_CHECKING:
    import pandas as pd

    from store import RunStore

REFRESH_SECONDS = 2.0
PICKER_WIDTH = 24
"""Width of the metric list; keep in step with `#metric-picker` in charts.tcss."""
DEFAULT_PANES = 4
"""The opening shows at most this many result metrics (as many as the grid holds)."""
CLIP_PERCENT = 1.0
"""`o` clips y to the 1st–99th percentile of the points in view."""


# -- the screen --------------------------------------------------------------------------------


class ChartsScreen(ForwardsWorkerFailures, Screen[None]):
    """Line charts of metric history for some runs, overlaid; `s` switches to a scatter.

    The screen loads and draws; what the user chose to see (cursor, zoom, clipping, highlighted and
    hidden runs, palette, grid) is its `viewing` part (`charts_view.py`), to which its `action_*` hand
    those keys."""

    CSS_PATH = "charts.tcss"
    BINDINGS: ClassVar[list[BindingType]] = CHARTS_BINDINGS

    def __init__(
        self,
        store: RunStore,
        run_ids: list[str],
        frame: pd.DataFrame | None = None,
        *,
        metrics: list[str] | None = None,
        refresh_interval: float = REFRESH_SECONDS,
        groups: list[RunGroup] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """`metrics`: what to draw first (the detail's metric under the cursor); None: the results.
        `groups`: draw each as its runs' mean in a min–max band (their runs replace `run_ids`)."""
        super().__init__(name=name, id=id, classes=classes)
        self.store = store
        self.groups = list(groups or [])
        self.run_ids = list(dict.fromkeys(r for g in self.groups for r in g.run_ids)) if self.groups else list(run_ids)
        self.frame = frame
        self.refresh_interval = refresh_interval
        self.axis = "step"
        self.axis_chosen = False
        """Whether the user picked the axis (`x`, `X`); until then machine metrics alone are drawn on the clock."""
        self.log_y = False
        self.log_toggled: set[str] = set()
        """Metrics whose pane has the other y scale than `log_y` (`l`); `L` clears it."""
        self.smoothing = 0.0
        self.scatter = False
        self.selected: list[str] = list(metrics or [])
        self.metric_keys: list[str] = []
        self.infos: dict[str, RunInfo] = {}
        self.search = ""
        self.histories = HistoryCache(store)
        self.viewing = ChartViewing(self)
        self.caption = ChartCaption(self)
        self._timer: Timer | None = None
        self._drawn_width = 0
        self.draws = 0
        """How many results have been drawn: tests wait on this changing."""

    def compose(self) -> ComposeResult:
        yield Static(Text("Loading metrics…"), id="charts-title")
        with Horizontal(id="charts-body"):
            yield MetricList(id="metric-picker")
            with Vertical(id="chart-area"):
                yield RunLegend(Text(""), id="run-legend")
                yield ChartGrid(id="chart-panes")
            yield ScatterView(self.store, self.frame, id="scatter-view")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#scatter-view").display = False
        self.query_one("#metric-list", SelectionList).focus()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.redraw())
        width, height = self.app.size.width - PICKER_WIDTH - 1, self.app.size.height - 4
        self.grid_widget.size_hint = (width, height)
        cols, rows = auto_grid(width, height)
        self._opening_count = min(DEFAULT_PANES, cols * rows)
        req = self._request(width_hint=width // grid_shape(self._opening_count, cols, rows)[0])
        self.load_runs(req)
        self._timer = self.set_interval(self.refresh_interval, self.poll_running)

    # -- the title and legend, which `caption` writes --------------------------------------

    def _update_title(self) -> None:
        self.caption.update_title()

    def update_legend(self) -> None:
        self.caption.update_legend()

    @property
    def series_ids(self) -> list[str]:
        """What each line stands for, in order: the groups' keys, or the run ids."""
        return [g.key for g in self.groups] if self.groups else self.run_ids

    def _palette(self) -> list[RGB]:
        """Each line's colour, in `series_ids` order: the same for a run (or group) all session long."""
        return run_colors(self.app).colors(self.series_ids, theme_palette(self.app.theme_variables))

    def _markers(self) -> list[str]:
        """Braille lines told apart by colour; under `NO_COLOR` each run's own marker (by its colour
        slot, so the runs table's mark shows the same glyph)."""
        return run_colors(self.app).markers(self.series_ids, DISTINCT_MARKERS) if self.app.no_color else [MARKER]

    # -- loading ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="charts-runs", exit_on_error=False, description="Reading runs")
    def load_runs(self, req: ChartRequest) -> None:
        """The runs' names, statuses and metric keys, and the chart of the first metric, in one go,
        so opening the screen costs one trip to a thread, not two."""
        infos = self.histories.read_infos(self.run_ids)
        keys = sorted({k for info in infos.values() for k in info.keys})
        req.metrics = [m for m in req.metrics if m in keys] or default_metrics(infos.values(), self._opening_count)
        req.axis = req.axis if self.axis_chosen else clock_or_step(req.metrics)
        post_result(self, ChartsBuilt(self._build(req, infos), first=True))

    def _read_info(self, run_id: str) -> RunInfo:
        return self.histories.read_info(run_id)

    def _set_infos(self, infos: dict[str, RunInfo]) -> None:
        self.infos.update(infos)
        keys = sorted({k for info in self.infos.values() for k in info.keys})
        if keys != self.metric_keys:
            self.metric_keys = keys
            if not self.selected:
                self.selected = default_metrics(self.infos.values(), self._opening_count)
            self._fill_picker()
        self.update_legend()
        self._update_title()

    def _fill_picker(self) -> None:
        self.query_one(MetricList).fill(self.metric_keys, self.selected)

    async def on_metric_list_picked(self, event: MetricList.Picked) -> None:
        self.selected = event.selected
        await self.grid_widget.sync(self.selected)
        self.redraw()

    def _request(self, reload: frozenset[str] = frozenset(), width_hint: int | None = None) -> ChartRequest:
        """What to draw, with one downsampling bucket per plot column (`width_hint`: the chart area's
        width before it has been laid out)."""
        area_width = self.grid_widget.pane_width() if width_hint is None else width_hint
        if width_hint is None:
            self._drawn_width = self.grid_widget.size.width
        width = max(40, area_width - 10)
        colors = self._palette()
        self._auto_axis()
        return ChartRequest(
            run_ids=list(self.run_ids),
            metrics=list(self.selected),
            axis=self.axis,
            log_y=self.log_y,
            smoothing=self.smoothing,
            buckets=width,
            colors=colors,
            faint=faint_palette(colors, self.app.theme_variables),
            markers=self._markers(),
            reload=reload,
            names={r: info.name for r, info in self.infos.items()},
            x_range=self.viewing.x_range,
            clip=CLIP_PERCENT if self.viewing.clip else 0.0,
            groups=list(self.groups),
            log_toggled=frozenset(self.log_toggled),
        )

    def redraw(self, reload: frozenset[str] = frozenset()) -> None:
        """Rebuild every chart from the current choices (in a worker); cheap to call often."""
        if not self.is_mounted:
            return
        self._auto_axis()
        self._update_title()
        self.update_legend()
        if self.scatter:
            self.query_one(ScatterView).redraw(self.log_y)
        elif self.selected:
            self.build_charts(self._request(reload))

    @work(thread=True, exclusive=True, group="charts-draw", exit_on_error=False, description="Building charts")
    def build_charts(self, req: ChartRequest) -> None:
        post_result(self, ChartsBuilt(self._build(req, {run_id: self._read_info(run_id) for run_id in req.reload})))

    def _build(self, req: ChartRequest, infos: dict[str, RunInfo]) -> ChartsResult:
        worker = get_current_worker()
        return self.histories.charts(req, infos, cancelled=lambda: worker.is_cancelled)

    @on(ChartsBuilt)
    async def _charts_built(self, message: ChartsBuilt) -> None:
        if message.first:
            await self._first_draw(message.result)
        else:
            self._draw(message.result)

    def on_scatter_view_drawn(self, event: ScatterView.Drawn) -> None:
        self._update_title()
        self.draws += 1

    async def _first_draw(self, result: ChartsResult) -> None:
        self._set_infos(result.infos)
        self._auto_axis()
        await self.grid_widget.sync(self.selected)
        if [c.metric for c in result.charts] == self.selected:
            self._draw(result)
        else:
            self.redraw()

    def _draw(self, result: ChartsResult) -> None:
        if result.infos:
            self._set_infos(result.infos)
        with self.app.batch_update():
            self.grid_widget.draw(result.charts)
            self.viewing.show()
        self.draws += 1

    def poll_running(self) -> None:
        """Timer tick: re-read the histories of runs that are still running, keep every choice."""
        running = frozenset(r for r, info in self.infos.items() if info.status == "running")
        if running and not self.scatter:
            self.redraw(reload=running)

    def on_resize(self) -> None:
        self.grid_widget.lay_out()
        if self.selected and abs(self.grid_widget.size.width - self._drawn_width) > 4:
            self.redraw()

    # -- actions ---------------------------------------------------------------------------

    @property
    def grid_widget(self) -> ChartGrid:
        return self.query_one("#chart-panes", ChartGrid)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Axis, smoothing and metric search mean nothing for the scatter: hidden from the footer there."""
        if action == "group_points":
            return self.scatter and bool(self.groups)
        return not (self.scatter and action in LINE_CHART_ACTIONS)

    def action_back(self) -> None:
        if self.scatter:
            self.action_toggle_scatter()
            return
        if not self.query_one("#metric-search").display and self.viewing.drop_cursor():
            return
        if self.query_one(MetricList).close_search():
            return
        self.app.pop_screen()

    def action_search(self) -> None:
        self.query_one(MetricList).open_search()

    def action_page(self, delta: int) -> None:
        self.grid_widget.turn_page(delta)

    def on_chart_grid_paged(self, event: ChartGrid.Paged) -> None:
        self._update_title()

    def action_cycle_axis(self) -> None:
        self.axis = AXES[(AXES.index(self.axis) + 1) % len(AXES)] if self.axis in AXES else AXES[0]
        self.axis_chosen = True
        self.viewing.reset()  # the cursor and the zoom were in the old axis' units

    def action_metric_axis(self) -> None:
        metric = self.highlighted_metric()
        axis = f"{METRIC_AXIS}{metric}" if metric is not None else "step"
        self.axis = "step" if axis == self.axis else axis
        self.axis_chosen = True
        self.viewing.reset()

    def _auto_axis(self) -> None:
        """Until the user picks an axis: the clock for machine metrics alone, else steps (the cursor
        and the zoom were in the old axis' units; called while redrawing, so no redraw here)."""
        axis = self.axis if self.axis_chosen else clock_or_step(self.selected)
        if axis != self.axis:
            self.axis, self.viewing.cursor, self.viewing.x_range = axis, None, None

    def highlighted_metric(self) -> str | None:
        return self.query_one(MetricList).highlighted()

    def action_toggle_log(self) -> None:
        self.viewing.toggle_log()

    def on_braille_chart_wheel(self, event: BrailleChart.Wheel) -> None:
        self.viewing.zoom(event.factor, around=event.x)

    def on_run_legend_picked(self, event: RunLegend.Picked) -> None:
        self.viewing.toggle_highlight(event.key)

    def action_toggle_log_all(self) -> None:
        self.viewing.toggle_log_all()

    def action_smooth(self, direction: int) -> None:
        self.smoothing = step_strength(self.smoothing, direction, SMOOTHING_STEPS)
        self.redraw()

    def action_group_points(self) -> None:
        view = self.query_one(ScatterView)
        view.by_group = not view.by_group
        view.redraw()

    def action_toggle_scatter(self) -> None:
        self.scatter = not self.scatter
        self.query_one("#scatter-view").display = self.scatter
        self.query_one("#chart-area").display = not self.scatter
        self.query_one("#metric-picker").display = not self.scatter
        self.refresh_bindings()
        self._update_title()
        if self.scatter:
            view = self.query_one(ScatterView)
            view.groups, view.group_colors = list(self.groups), self._palette() if self.groups else []
            view.open(self.selected, self.log_y)
        else:
            self.query_one("#metric-list", SelectionList).focus()
            self.redraw()

    # -- the view's keys, which `viewing` owns: one line each ------------------------------------

    def action_cursor(self, step: int) -> None:
        self.viewing.move_cursor(step)

    def on_braille_chart_clicked(self, event: BrailleChart.Clicked) -> None:
        self.viewing.cursor_to(event.x)

    def action_zoom(self, factor: float) -> None:
        self.viewing.zoom(factor)

    def action_reset_view(self) -> None:
        self.viewing.reset()

    def action_toggle_clip(self) -> None:
        self.viewing.toggle_clip()

    def action_highlight(self) -> None:
        self.viewing.next_highlight()

    def action_hide(self) -> None:
        self.viewing.hide()

    def action_colorblind(self) -> None:
        self.viewing.toggle_colorblind()

    def action_grid(self, columns: int, rows: int) -> None:
        self.viewing.grid(columns, rows)

    def action_maximize(self) -> None:
        self.viewing.maximize()
