"""ScatterView: the charts' scatter mode, one param against one metric over the runs in the filter.

Two selects (param, metric), the plot and a note naming the best run. It reads the runs frame
in a thread worker (once; the frame the runs table already holds is used when given), builds
the points in another, and tells its screen with `Drawn` so the title can follow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Select, Static

from ..messages import ForwardsWorkerFailures, ScatterBuilt, ScatterColumnsRead, post_result
from ..shaping.group_curves import RunGroup
from ..shaping.sanitize import printable_line
from ..shaping.scatter import RGB, build_scatter, color_by_group, group_params_first, group_points, scatter_params
from ..theme import theme_color
from .param_scatter import ParamScatter
from .run_legend import theme_palette

if TYPE_CHECKING:
    import pandas as pd

    from store import RunStore


class ScatterView(ForwardsWorkerFailures, Vertical):
    """Param and metric pickers over a `ParamScatter`; `frame` is the runs it plots (None until read)."""

    DEFAULT_CSS = """
    ScatterView {
        width: 1fr;
        height: 1fr;
        & > #scatter-controls { height: auto; }
        & > #scatter-controls > Select { width: 1fr; }
        & > #scatter-note {
            height: auto;
            max-height: 2;
            padding: 0 1;
            background: $boost;
        }
    }
    """

    class Drawn(Message):
        """A scatter (or its list of runs) is on screen."""

    def __init__(
        self, store: RunStore, frame: pd.DataFrame | None = None, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.store = store
        self.frame = frame
        self.log_y = False
        self.color: RGB = (255, 255, 255)
        self.best_color: RGB = (0, 255, 0)
        self.groups: list[RunGroup] = []
        """Groups the runs table chose: the scatter shows only their runs."""
        self.group_colors: list[RGB] = []
        self.by_group = True
        """With groups: one point per group (mean, min–max whisker), else their runs in the group's colour."""
        self.preferred: list[str] = []
        """Metrics the charts show: the first one the runs have is picked when the metric list is filled."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="scatter-controls"):
            yield Select[str]([], prompt="param", id="scatter-param", allow_blank=True)
            yield Select[str]([], prompt="metric", id="scatter-metric", allow_blank=True)
        yield ParamScatter(id="scatter-plot")
        yield Static(Text(""), id="scatter-note")

    def open(self, preferred: list[str], log_y: bool) -> None:
        """Fill the pickers (reading the runs if needed) and draw."""
        self.preferred, self.log_y = list(preferred), log_y
        self.query_one("#scatter-param", Select).focus()
        self.load_columns()

    def redraw(self, log_y: bool | None = None) -> None:
        """Draw the chosen param against the chosen metric, in the theme's first run colour and its
        `success` colour for the best run."""
        if log_y is not None:
            self.log_y = log_y
        variables = self.app.theme_variables
        self.color = theme_palette(variables)[0]
        self.best_color = Color.parse(theme_color(self.app, "success", "green")).rgb
        param = self.query_one("#scatter-param", Select).value
        metric = self.query_one("#scatter-metric", Select).value
        if isinstance(param, str) and isinstance(metric, str):
            self.build(
                param,
                metric,
                self.log_y,
                self.color,
                self.best_color,
                list(self.groups),
                list(self.group_colors),
                self.by_group,
            )

    @work(thread=True, exclusive=True, group="charts-scatter", exit_on_error=False, description="Building scatter")
    def build(
        self,
        param: str,
        metric: str,
        log_y: bool,
        color: RGB,
        best: RGB,
        groups: list[RunGroup],
        group_colors: list[RGB],
        by_group: bool,
    ) -> None:
        frame = self.frame if self.frame is not None else self.store.runs_frame()
        data = build_scatter(frame, param, metric, log_y, color, best)
        if groups:
            data = (group_points if by_group else color_by_group)(data, groups, group_colors or [color])
        post_result(self, ScatterBuilt(frame, data))

    @work(
        thread=True,
        exclusive=True,
        group="charts-scatter-columns",
        exit_on_error=False,
        description="Reading runs for the scatter",
    )
    def load_columns(self) -> None:
        post_result(self, ScatterColumnsRead(self.frame if self.frame is not None else self.store.runs_frame()))

    @on(ScatterColumnsRead)
    def _columns_read(self, message: ScatterColumnsRead) -> None:
        message.stop()
        self.frame = message.frame
        self._fill_selects(message.frame)
        self.post_message(self.Drawn())

    @on(ScatterBuilt)
    def _scatter_built(self, message: ScatterBuilt) -> None:
        message.stop()
        self.frame = message.frame
        self.query_one("#scatter-plot", ParamScatter).draw(message.data)
        self.query_one("#scatter-note", Static).update(Text(printable_line(message.data.note)))
        self.post_message(self.Drawn())

    def _fill_selects(self, frame: pd.DataFrame) -> None:
        metrics = [c[len("metrics.") :] for c in frame.columns if c.startswith("metrics.")]
        param_select = self.query_one("#scatter-param", Select)
        metric_select = self.query_one("#scatter-metric", Select)
        current_param, current_metric = param_select.value, metric_select.value
        metric = (
            current_metric
            if current_metric in metrics
            else next((m for m in self.preferred if m in metrics), metrics[0] if metrics else None)
        )
        params = group_params_first(scatter_params(frame, metric), self.groups)
        with self.prevent(Select.Changed):
            param_select.set_options([(Text(printable_line(p)), p) for p in params])
            metric_select.set_options([(Text(printable_line(m)), m) for m in metrics])
            if params:
                param_select.value = current_param if current_param in params else params[0]
            if metric is not None:
                metric_select.value = metric
        if not params or not metrics:
            self.query_one("#scatter-note", Static).update(
                Text("The runs in the current filter need at least one param and one metric for a scatter.")
            )
            return
        self.redraw()

    @on(Select.Changed)
    def _choice(self, event: Select.Changed) -> None:
        event.stop()
        self.redraw()
