"""ChartsScreen: metric histories of runs overlaid, and a param-vs-metric scatter.

Everything slow happens in one thread worker per view: reading histories, smoothing and
downsampling to the chart's width. The UI thread only swaps the finished curves into the
plots, inside `batch_update()`. Histories are cached per (run, metric); a 2 s timer re-reads
the runs that are still running and redraws them with the same metrics, axes and smoothing.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Iterable

import numpy as np
import numpy.typing as npt
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import Footer, Input, Select, SelectionList, Static
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.selection_list import Selection
from textual.worker import Worker, WorkerState, get_current_worker

from tui.shaping.diff import format_number, infer_direction
from tui.shaping.downsample import minmax_downsample
from tui.shaping.formatting import printable
from tui.shaping.smoothing import SMOOTHING_STEPS, ema, step_strength
from tui.widgets.metric_chart import DISTINCT_MARKERS, MARKER, RGB, ChartData, Curve, MetricChart, marker_glyph
from tui.widgets.param_scatter import ParamScatter, ScatterData

if TYPE_CHECKING:
    import pandas as pd

    from store import RunStore

FloatArray = npt.NDArray[np.float64]
AXES: tuple[str, ...] = ("step", "relative", "wall")
AXIS_NAMES = {"step": "step", "relative": "relative time", "wall": "wall-clock time"}
PALETTE_VARIABLES = ("primary", "accent", "success", "error", "secondary", "warning", "foreground")
"""Theme variables that give the run colours, in order; repeated lightened for many runs."""
FAINT = 0.6
"""How far the raw curve behind a smoothed one is blended into the background."""
REFRESH_SECONDS = 2.0
PICKER_WIDTH = 24
"""Width of the metric list; keep in step with `#metric-picker` in charts.tcss."""


@dataclass
class Series:
    """One metric of one run, in step order."""

    step: FloatArray
    time: FloatArray
    value: FloatArray

    @classmethod
    def empty(cls) -> Series:
        e = np.empty(0, dtype=np.float64)
        return cls(e, e, e)

    def __len__(self) -> int:
        return int(self.value.size)


@dataclass
class RunInfo:
    run_id: str
    name: str
    status: str
    keys: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    """Points per metric: the chart opens on the longest curve, not on a one-point summary."""


def default_metric(infos: Iterable[RunInfo]) -> str | None:
    """The metric with the most points in any run (alphabetical among equals)."""
    best: dict[str, int] = {}
    for info in infos:
        for key in info.keys:
            best[key] = max(best.get(key, 0), info.counts.get(key, 0))
    return min(best, key=lambda k: (-best[k], k)) if best else None


@dataclass
class ChartRequest:
    """A snapshot of what the screen shows, handed to the worker so it never reads widgets."""

    run_ids: list[str]
    metrics: list[str]
    axis: str
    log_y: bool
    smoothing: float
    buckets: int
    colors: list[RGB]
    faint: list[RGB]
    markers: list[str] = field(default_factory=lambda: [MARKER])
    """plotext markers, one per run in turn: all braille in colour, distinct ones under `NO_COLOR`."""
    reload: frozenset[str] = frozenset()
    """Runs whose histories are re-read even if cached (the running ones, on the timer)."""
    names: dict[str, str] = field(default_factory=dict)
    """Run names for the legend by run id, as known when the request was made."""


@dataclass
class ChartsResult:
    charts: list[ChartData]
    infos: dict[str, RunInfo] = field(default_factory=dict)


# -- plain functions the worker runs ---------------------------------------------------------


def series_from_history(frame: pd.DataFrame) -> dict[str, Series]:
    """Split a long `key, step, time, value` history frame into per-key series sorted by step."""
    out: dict[str, Series] = {}
    if frame.empty:
        return out
    codes = frame["key"].cat.codes.to_numpy()
    steps = frame["step"].to_numpy(dtype=np.float64)
    times = frame["time"].to_numpy(dtype=np.float64)
    values = frame["value"].to_numpy(dtype=np.float64)
    categories = list(frame["key"].cat.categories)
    for code, key in enumerate(categories):
        if len(categories) == 1:
            s, t, v = steps, times, values
        else:
            mask = codes == code
            s, t, v = steps[mask], times[mask], values[mask]
        if s.size > 1 and bool((np.diff(s) < 0).any()):
            order = np.argsort(s, kind="stable")
            s, t, v = s[order], t[order], v[order]
        out[str(key)] = Series(s, t, v)
    return out


def axis_values(series: Series, axis: str) -> FloatArray:
    """x of each point: its step, seconds since the series' first point, or epoch seconds."""
    if axis == "step":
        return series.step
    if axis == "relative":
        if not len(series):
            return series.time
        return series.time - float(np.nanmin(series.time))
    return series.time


def time_unit(span: float) -> tuple[str, float]:
    if span >= 2 * 3600:
        return "h", 3600.0
    if span >= 120:
        return "min", 60.0
    return "s", 1.0


def wall_ticks(lo: float, hi: float, count: int = 4) -> tuple[list[float], list[str]]:
    """Evenly spaced ticks labelled with local clock time (date too when the span is over a day)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [], []
    if hi <= lo:
        hi = lo + 1.0
    span = hi - lo
    fmt = "%m-%d %H:%M" if span > 86400 else "%H:%M" if span > 600 else "%H:%M:%S"
    ticks = [lo + span * i / (count - 1) for i in range(count)]
    return ticks, [time.strftime(fmt, time.localtime(t)) for t in ticks]


LOG_TICKS_MOST = 6


def log_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Round ticks between `lo` and `hi` (both > 0) for a log y axis: powers of ten when the
    range spans at least three of them, else 1, 2 and 5 times them, else every digit of the
    decade; a range too narrow for any of these gets evenly spaced round ticks."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0 or hi < lo:
        return [], []
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    ticks: list[float] = []
    for mults in ((1,), (1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
        found = [m * 10.0**e for e in range(first, last + 1) for m in mults
                 if lo * (1 - 1e-9) <= m * 10.0**e <= hi * (1 + 1e-9)]
        if len(found) > LOG_TICKS_MOST:
            ticks = ticks or found[:: math.ceil(len(found) / LOG_TICKS_MOST)]
            break
        ticks = found
        if len(ticks) >= 3:
            break
    if len(ticks) < 2:
        ticks = [lo] if lo == hi else _linear_ticks(lo, hi)
    return ticks, [f"{t:.6g}" for t in ticks]


def _linear_ticks(lo: float, hi: float) -> list[float]:
    """Multiples of a round step (1, 2 or 5 times a power of ten) from `lo` to `hi`: 2 to 5 of them."""
    raw = (hi - lo) / 4
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))
    digits = max(0, -math.floor(math.log10(step)))
    first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
    return [round(k * step, digits) for k in range(first, last + 1)]


def step_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Integer ticks for integer steps: a round whole step (1, 2 or 5 times a power of ten, at
    least 1), labelled as integers, so step 3 never reads 2.8."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [], []
    lo, hi = math.floor(lo), math.ceil(hi)
    if hi - lo < 4:
        ticks = [float(t) for t in range(int(lo), int(hi) + 1)]
    else:
        ticks = [float(round(t)) for t in _linear_ticks(lo, hi)]
        ticks = sorted(set(ticks))
    return ticks, [str(int(t)) for t in ticks]


def build_chart(metric: str, series_by_run: list[tuple[str, str, Series]], req: ChartRequest) -> ChartData:
    """The curves of one metric: x per the axis, EMA smoothing on the full-resolution values,
    log-scale masking, and min/max downsampling to `req.buckets` buckets."""
    curves: list[Curve] = []
    xs_all: list[FloatArray] = []
    for index, (run_id, name, series) in enumerate(series_by_run):
        if not len(series):
            continue
        x = axis_values(series, req.axis)
        raw = series.value
        smooth = ema(raw, req.smoothing) if req.smoothing > 0 else raw
        if req.log_y:
            raw = np.where(raw > 0, raw, np.nan)
            smooth = np.where(smooth > 0, smooth, np.nan)
        mx, my = minmax_downsample(x, smooth, req.buckets)
        color = req.colors[index % len(req.colors)]
        curve = Curve(run_id=run_id, label=name, color=color, x=mx, y=my, points=len(series),
                      marker=req.markers[index % len(req.markers)] if req.markers else MARKER)
        if req.smoothing > 0:
            curve.raw_x, curve.raw_y = minmax_downsample(x, raw, req.buckets)
            curve.faint = req.faint[index % len(req.faint)]
        curves.append(curve)
        xs_all.append(x)
    x_label, xticks = AXIS_NAMES[req.axis], None
    if req.axis == "step":
        x_label = "step"
        finite = [x[np.isfinite(x)] for x in xs_all]
        finite = [x for x in finite if x.size]
        if finite and all(bool(np.all(x == np.round(x))) for x in finite):
            xticks = step_ticks(min(float(x.min()) for x in finite), max(float(x.max()) for x in finite))
    elif xs_all:
        lo = min(float(np.nanmin(x)) for x in xs_all)
        hi = max(float(np.nanmax(x)) for x in xs_all)
        if req.axis == "relative":
            unit, scale = time_unit(hi - lo)
            x_label = f"time since start ({unit})"
            if scale != 1.0:
                for c in curves:
                    c.x = c.x / scale
                    if c.raw_x is not None:
                        c.raw_x = c.raw_x / scale
        else:
            xticks = wall_ticks(lo, hi)
            x_label = "wall-clock time"
    yticks = None
    if req.log_y:
        ys = [y[np.isfinite(y) & (y > 0)] for c in curves for y in (c.y, c.raw_y) if y is not None]
        ys = [y for y in ys if y.size]
        if ys:
            ticks = log_ticks(min(float(y.min()) for y in ys), max(float(y.max()) for y in ys))
            yticks = ticks if ticks[0] else None
    note = f"smoothed {req.smoothing:g}" if req.smoothing > 0 else ""
    return ChartData(metric=metric, curves=curves, x_label=x_label, log_y=req.log_y, xticks=xticks,
                     yticks=yticks, note=note)


def build_scatter(frame: pd.DataFrame, param: str, metric: str, log_y: bool, color: RGB, best_color: RGB) -> ScatterData:
    """Points (param, metric) for every run in `frame` that has the metric.

    A param whose values are not all numbers is categorical: one x slot per value (in
    sorted order), runs sharing a slot spread evenly within ±0.25 of it.
    """
    import pandas as pd

    pcol, mcol = f"params.{param}", f"metrics.{metric}"
    if pcol not in frame.columns or mcol not in frame.columns:
        empty = np.empty(0, dtype=np.float64)
        return ScatterData(param, metric, empty, empty, [], color, best_color, note="no such param or metric")
    sub = frame[[pcol, mcol, "name"]].copy()
    sub[mcol] = pd.to_numeric(sub[mcol], errors="coerce")
    sub = sub[np.isfinite(sub[mcol].to_numpy(dtype=np.float64)) & sub[pcol].notna().to_numpy()]
    y = sub[mcol].to_numpy(dtype=np.float64)
    names = [str(n) for n in sub["name"]]
    raw = sub[pcol]
    numeric = pd.to_numeric(raw, errors="coerce")
    is_bool = raw.map(lambda v: isinstance(v, (bool, np.bool_))).any() if len(raw) else False
    categorical = bool(is_bool or numeric.isna().any())
    xticks = None
    categories: list[str] = []
    if categorical:
        labels = [_category_label(v) for v in raw]
        categories = sorted(set(labels))
        slot = {c: i for i, c in enumerate(categories)}
        x = np.array([slot[lab] for lab in labels], dtype=np.float64)
        for c in categories:
            idx = np.flatnonzero(np.array(labels) == c)
            if idx.size > 1:
                x[idx] += np.linspace(-0.25, 0.25, idx.size)
        xticks = ([float(i) for i in range(len(categories))], [c[:12] for c in categories])
    else:
        x = numeric.to_numpy(dtype=np.float64)
    direction = infer_direction(metric)
    best = None
    note = f"{len(y)} runs" if len(y) else f"No run in the current filter has both {param} and {metric}."
    candidates = y if not log_y else np.where(y > 0, y, np.nan)
    if direction is not None and np.isfinite(candidates).any():
        best = int(np.nanargmin(candidates) if direction == "lower" else np.nanargmax(candidates))
        shown = categories[int(round(x[best]))] if categorical else format_number(float(x[best]))
        word = "lowest" if direction == "lower" else "highest"
        note += f" · {word} {metric} {format_number(float(y[best]))} at {param}={shown} ({names[best]})"
    return ScatterData(param, metric, x, y, names, color, best_color, best=best, xticks=xticks, log_y=log_y,
                       note=note, categorical=categorical, categories=categories)


def scatter_params(frame: pd.DataFrame, metric: str | None) -> list[str]:
    """Param names for the scatter's x, best first: those that vary among the runs that have
    `metric`, then those the runs with it have at all, then the rest."""
    params = [c[len("params."):] for c in frame.columns if c.startswith("params.")]
    rows = frame
    if metric is not None and f"metrics.{metric}" in frame.columns:
        rows = frame[frame[f"metrics.{metric}"].notna()]
    present = [p for p in params if rows[f"params.{p}"].notna().any()]
    varying = [p for p in present if rows[f"params.{p}"].dropna().astype(str).nunique() > 1]
    return varying + [p for p in present if p not in varying] + [p for p in params if p not in present]


def _category_label(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_number(value)
    return str(value)


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
        Binding("s", "toggle_scatter", "Scatter", id="charts.scatter",
                tooltip="Param vs metric scatter over the runs in the current filter"),
        Binding("slash", "search", "Find", id="charts.search", tooltip="Search the metric list"),
        Binding("question_mark", "app.help", "Keys", id="charts.help", tooltip="Every key of this screen"),
        Binding("escape", "back", "Back", id="charts.back", tooltip="Close the search or the scatter, or go back to the runs"),
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
        self._scatter_frame: pd.DataFrame | None = frame
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
            with Vertical(id="scatter-view"):
                with Horizontal(id="scatter-controls"):
                    yield Select[str]([], prompt="param", id="scatter-param", allow_blank=True)
                    yield Select[str]([], prompt="metric", id="scatter-metric", allow_blank=True)
                yield ParamScatter(id="scatter-plot")
                yield Static(Text(""), id="scatter-note")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#metric-search", Input).display = False
        self.query_one("#scatter-view").display = False
        self.query_one("#metric-list", SelectionList).focus()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.redraw())
        self.load_runs(self._request(width_hint=self.app.size.width - PICKER_WIDTH - 1))
        self._timer = self.set_interval(self.refresh_interval, self.poll_running)

    # -- state the title and legend show ------------------------------------------------

    def _update_title(self) -> None:
        title = Text()
        title.append("Scatter" if self.scatter else "Charts", style="bold")
        if self.scatter:
            count = len(self._scatter_frame) if self._scatter_frame is not None else 0
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
            legend.append(printable(info.name if info else run_id))
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
        first = default_metric(infos.values())
        req.metrics = [m for m in req.metrics if m in keys] or ([first] if first else [])
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
            first = default_metric(self.infos.values())
            if not self.selected and first:
                self.selected = [first]
            self._fill_picker()
        self._update_legend()
        self._update_title()

    def _fill_picker(self) -> None:
        picker = self.query_one("#metric-list", SelectionList)
        highlighted = picker.highlighted
        needle = self.search.lower()
        picker.clear_options()
        picker.add_options([Selection(Text(printable(k)), k, k in self.selected) for k in self.metric_keys
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

    def _request(self, reload: frozenset[str] = frozenset(), width_hint: int | None = None) -> ChartRequest:
        """What to draw, with one downsampling bucket per plot column (`width_hint`: the chart area's
        width before it has been laid out)."""
        area_width = self.query_one("#chart-panes", VerticalScroll).size.width if width_hint is None else width_hint
        width = max(40, area_width - 10)
        self._drawn_width = area_width
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
            self.notify(printable(f"{worker.description} failed: {worker.error}"), title="Charts", severity="error",
                        markup=False)
            return
        if event.state != WorkerState.SUCCESS:
            return
        if worker.group == "charts-runs" and isinstance(worker.result, ChartsResult):
            self.call_later(self._first_draw, worker.result)
        elif worker.group == "charts-draw" and isinstance(worker.result, ChartsResult):
            self._draw(worker.result)
        elif worker.group == "charts-scatter-columns" and worker.result is not None:
            self._scatter_frame = worker.result
            self._update_title()
            self._fill_scatter_selects(worker.result)
        elif worker.group == "charts-scatter" and isinstance(worker.result, tuple):
            frame, data = worker.result
            self._scatter_frame = frame
            self.query_one("#scatter-plot", ParamScatter).draw(data)
            self.query_one("#scatter-note", Static).update(Text(printable(data.note)))
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
        if self.selected and abs(self.query_one("#chart-panes").size.width - self._drawn_width) > 4:
            self.redraw()

    # -- scatter ---------------------------------------------------------------------------

    def _redraw_scatter(self) -> None:
        param = self.query_one("#scatter-param", Select).value
        metric = self.query_one("#scatter-metric", Select).value
        if isinstance(param, str) and isinstance(metric, str):
            palette = self._palette()
            best = Color.parse(self.app.theme_variables.get("success", "green")).rgb
            self.build_scatter(param, metric, self.log_y, palette[0], best)

    @work(thread=True, exclusive=True, group="charts-scatter", exit_on_error=False, description="Building scatter")
    def build_scatter(self, param: str, metric: str, log_y: bool, color: RGB,
                      best: RGB) -> tuple[pd.DataFrame, ScatterData]:
        frame = self._scatter_frame if self._scatter_frame is not None else self.store.runs_frame()
        return frame, build_scatter(frame, param, metric, log_y, color, best)

    @work(thread=True, exclusive=True, group="charts-scatter-columns", exit_on_error=False,
          description="Reading runs for the scatter")
    def load_scatter_columns(self) -> pd.DataFrame:
        return self._scatter_frame if self._scatter_frame is not None else self.store.runs_frame()

    def _fill_scatter_selects(self, frame: pd.DataFrame) -> None:
        metrics = [c[len("metrics."):] for c in frame.columns if c.startswith("metrics.")]
        param_select = self.query_one("#scatter-param", Select)
        metric_select = self.query_one("#scatter-metric", Select)
        current_param, current_metric = param_select.value, metric_select.value
        metric = (current_metric if current_metric in metrics else
                  next((m for m in self.selected if m in metrics), metrics[0] if metrics else None))
        params = scatter_params(frame, metric)
        with self.prevent(Select.Changed):
            param_select.set_options([(Text(printable(p)), p) for p in params])
            metric_select.set_options([(Text(printable(m)), m) for m in metrics])
            if params:
                param_select.value = current_param if current_param in params else params[0]
            if metric is not None:
                metric_select.value = metric
        if not params or not metrics:
            self.query_one("#scatter-note", Static).update(
                Text("The runs in the current filter need at least one param and one metric for a scatter."))
            return
        self._redraw_scatter()

    @on(Select.Changed)
    def _scatter_choice(self, event: Select.Changed) -> None:
        if self.scatter:
            self._redraw_scatter()

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Axis, smoothing and metric search mean nothing for the scatter: hidden from the footer there."""
        if self.scatter and action in ("cycle_axis", "smooth", "search"):
            return False
        return True

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
            self.query_one("#scatter-param", Select).focus()
            self.load_scatter_columns()
        else:
            self.query_one("#metric-list", SelectionList).focus()
            self.redraw()


def _style(screen: Screen[Any], variable: str) -> str:
    colour = screen.app.theme_variables.get(variable)
    return colour or ""
