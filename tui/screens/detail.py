"""One run in full: facts with its params and metrics at a glance, params as a tree and as a
list, metrics with sparklines, tags, error.

A running run is re-read every `poll_seconds` in a worker (status, steps, duration, metric
summary), like the runs table. `n`/`N` step to the next/previous run of the table's order
(`run_ids`, as the table showed them when the detail opened) and keep the tab.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane, Tree
from textual.worker import Worker, get_current_worker

from store import RunDetail, RunStore

from ..messages import ForwardsWorkerFailures, RunRead
from ..shaping.sanitize import printable, printable_block
from ..shaping.sparkline import sparkline
from ..shaping.status import status_look
from ..theme import status_style, theme_style
from ..widgets.facts_section import facts_section
from ..widgets.fitted_line import FittedLine
from ..widgets.lazy_text import LazyText
from ..widgets.note_view import NoteView
from ..widgets.run_overview import (
    RunSummary,
    facts_table,
    fill_metrics_table,
    fill_tree,
    inputs_table,
    param_lines,
)
from ..widgets.text_lines import MemoryLines
from .detail_models import RunModels

TREE_PARAMS = 1_000
"""More flat params than this and the params tab shows only the virtual list, not the tree."""


class DetailScreen(ForwardsWorkerFailures, Screen[str]):
    """Read in a worker; `escape` goes back to the table and returns the run shown last
    (after `n`/`N`), so the table can put its cursor there."""

    DEFAULT_CSS = """
    DetailScreen #detail-title { height: 1; background: $panel; text-style: bold; }
    DetailScreen TabbedContent { height: 1fr; }
    DetailScreen .section { height: auto; padding: 0 1; }
    DetailScreen #error { color: $error; }
    DetailScreen #models-line { display: none; }
    DetailScreen #metrics-table { height: 1fr; }
    DetailScreen #more-facts { padding: 1 1 0 1; }
    DetailScreen #inputs { padding: 1 1 0 1; }
    DetailScreen #note-title { padding: 1 1 0 1; }
    DetailScreen #note { padding: 0 1; margin: 0; height: auto; background: $surface; }
    DetailScreen #params-tab { height: 1fr; }
    DetailScreen #params-tree { height: auto; max-height: 50%; }
    DetailScreen #params-list { height: 1fr; }
    DetailScreen #params-note { height: auto; padding: 0 1; color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "step_run(1)", "Next run", id="detail.next", tooltip="The next run of the table, same tab"),
        Binding(
            "N", "step_run(-1)", "Prev run", id="detail.previous", tooltip="The previous run of the table, same tab"
        ),
        Binding("a", "artifacts", "Artifacts", id="detail.artifacts", tooltip="This run's artifacts"),
        Binding("p", "charts", "Plot", id="detail.charts", tooltip="Metric curves of this run"),
        Binding(
            "i", "media", "Images", show=False, id="detail.media", tooltip="Images this run logged per step (log_image)"
        ),
        Binding(
            "L",
            "models",
            "Models",
            show=False,
            id="detail.models",
            tooltip="The models view of the versions registered from this run",
        ),
        Binding("question_mark", "app.help", "Keys", id="detail.help", tooltip="Every key of this screen"),
        Binding("escape", "back", "Back", id="detail.back", tooltip="Back to the runs table"),
        Binding("1", "tab('overview')", "Overview", show=False, id="detail.tab1", tooltip="Facts, params and metrics"),
        Binding("2", "tab('params')", "Params", show=False, id="detail.tab2", tooltip="Every param"),
        Binding("3", "tab('metrics')", "Metrics", show=False, id="detail.tab3", tooltip="Every metric, with history"),
        Binding("4", "tab('tags')", "Tags", show=False, id="detail.tab4", tooltip="Every tag"),
        Binding(
            "5",
            "tab('console')",
            "Console",
            show=False,
            id="detail.tab5",
            tooltip="What the run printed (runs that kept a console)",
        ),
    ]

    def __init__(
        self, store: RunStore, run_id: str, run_ids: Sequence[str] | None = None, *, poll_seconds: float | None = None
    ) -> None:
        super().__init__()
        self.store = store
        self.run_id = run_id
        self.run_ids = list(run_ids) if run_ids else [run_id]
        """The table's runs in its order, for `n`/`N`."""
        self.poll_seconds = poll_seconds
        """How often a running run is re-read; None: as often as the app polls the store."""
        self.detail: RunDetail | None = None
        self._flat: dict[str, Any] | None = None
        self._reading: Worker[None] | None = None
        self._console_shown = False
        self._console_added: AwaitComplete | None = None
        """The console pane being mounted, awaited before its view is focused."""
        self.run_models = RunModels(self)

    def compose(self) -> ComposeResult:
        yield Static(Text(f" {printable(self.run_id)} …"), id="detail-title")
        with TabbedContent(initial="overview"):
            with TabPane("Overview", id="overview"):
                with VerticalScroll():
                    yield Static(classes="section", id="facts")
                    yield Static(classes="section", id="models-line")
                    yield RunSummary(id="summary")
                    yield Static(classes="section", id="error")
                    yield Static(Text("Note", style="bold"), classes="section", id="note-title")
                    yield NoteView(id="note")
                    yield Static(classes="section", id="inputs")
                    yield Static(classes="section", id="more-facts")
            with TabPane("Params", id="params"):
                with Vertical(id="params-tab"):
                    yield Tree("params", id="params-tree")
                    yield Static(id="params-note")
                    yield LazyText(id="params-list")
            with TabPane("Metrics", id="metrics"):
                yield DataTable(id="metrics-table", cursor_type="row", zebra_stripes=False)
            with TabPane("Tags", id="tags"):
                with VerticalScroll():
                    yield Static(classes="section", id="tags-table")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.load()
        seconds = self.poll_seconds if self.poll_seconds is not None else float(getattr(self.app, "poll_seconds", 0))
        if seconds > 0:
            self.set_interval(seconds, self._poll)

    def _poll(self) -> None:
        """Re-read a run that is still going; a finished run changes no more."""
        reading = self._reading is not None and not self._reading.is_finished
        if self.detail is not None and self.detail.status == "running" and not reading:
            self.load()

    def load(self) -> None:
        if self._flat is None:  # a run shown anew (not a running run's re-read)
            self.run_models.read()
        self._reading = self._load(self.run_id, self._flat)

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False, description="Reading the run")
    def _load(self, run_id: str, known_flat: dict[str, Any] | None) -> None:
        detail = self.store.run(run_id)
        sparks: dict[str, str] = {}
        if detail.metrics:
            try:
                history = detail.history()
            except (OSError, ValueError, NotImplementedError):
                history = None
            if history is not None and len(history):
                for key, group in history.groupby("key", observed=True, sort=False):
                    values = group.sort_values("step", kind="stable")["value"].to_numpy()
                    sparks[str(key)] = sparkline(values, 24)
        flat = detail.flat_params
        lines = None if flat == known_flat else MemoryLines.from_text(param_lines(flat))
        if not get_current_worker().is_cancelled:
            self.post_message(RunRead(detail, sparks, flat, lines))

    def on_resize(self) -> None:
        self.query_one(RunSummary).fit()

    @on(RunRead)
    def show(self, loaded: RunRead) -> None:
        detail = loaded.detail
        if detail.run_id != self.run_id:
            return  # read for a run the user has already stepped away from
        self.detail = detail
        status = printable(detail.status)
        where = ""
        if len(self.run_ids) > 1 and self.run_id in self.run_ids:
            where = f"  ({self.run_ids.index(self.run_id) + 1}/{len(self.run_ids)})"
        parts = [
            (
                Text(
                    f" {status_look(detail.status).glyph} {status} ",
                    style=status_style(self.app, detail.status, bold=True, reverse=True),
                ),
                0,
            ),
            (Text(f" {printable(detail.name)}", style="bold"), 1),
            (Text(f"  {printable(detail.experiment)}"), 3),
            (Text(f" · {printable(detail.run_id)}"), 2),
            (Text(where), 0),
        ]
        stale = detail.facts.get("stale")  # a tracking server that could not be read: its cached copy
        if stale:
            parts.append(
                (Text(f"  stale, {printable(str(stale))}", style=theme_style(self.app, "warning", bold=True)), 0)
            )
        # At 80 columns the experiment gives way first, then the run id; the name, `(1/4)` and staleness stay.
        title = FittedLine(parts)
        self.query_one("#detail-title", Static).update(title)
        self.query_one("#facts", Static).update(facts_table(detail))
        self.query_one(RunSummary).show(detail, loaded.flat)
        self.query_one("#more-facts", Static).update(facts_section(detail))
        inputs = self.query_one("#inputs", Static)
        inputs.display = bool(detail.inputs)
        if detail.inputs:
            inputs.update(inputs_table(detail))
        error = self.query_one("#error", Static)
        if detail.error:
            heading = "Why it is damaged" if detail.status == "damaged" else "Error"
            error.update(Text(f"\n{heading}\n", style="bold") + Text(printable_block(detail.error)))
        error.display = bool(detail.error)
        note = detail.facts.get("note")  # ours (`tracktui note`, N in the table) or MLflow's mlflow.note.content
        has_note = isinstance(note, str) and bool(note.strip())
        self.query_one("#note-title").display = has_note
        note_view = self.query_one("#note", NoteView)
        note_view.display = has_note
        if has_note:
            note_view.show(str(note))
        if loaded.param_lines is not None:
            self._flat = loaded.flat
            self._show_params(detail, loaded.flat, loaded.param_lines)
        fill_metrics_table(self.query_one("#metrics-table", DataTable), detail, loaded.sparks)
        tags = Table(box=None, show_header=True, header_style="bold", padding=(0, 2))
        tags.add_column("tag")
        tags.add_column("value")
        for key, value in detail.tags.items():
            tags.add_row(Text(printable(key)), Text(printable(value)))
        self.query_one("#tags-table", Static).update(tags if detail.tags else Text("No tags."))
        self._add_console(detail)

    def _add_console(self, detail: RunDetail) -> None:
        """A Console tab, only for runs that kept one (`tracktui run`, `capture_console=True`, W&B's output.log)."""
        from ..widgets.console_view import ConsoleView, console_file
        from ..widgets.text_search import SearchableText

        found = console_file(detail) if not self.query("#console-view") else None
        if found is not None:
            timed = partial(detail.store.console_lines, detail.run_id) if detail.store is not None else None
            view = ConsoleView(
                found[0], live=detail.status == "running", head_name=found[1], timed=timed, id="console-view"
            )
            self._console_added = self.query_one(TabbedContent).add_pane(
                TabPane("Console", SearchableText(view), id="console")
            )
            if self._console_shown:  # stepped here from another run's console: same tab
                self._console_shown = False
                self.action_tab("console")

    async def _focus_console_once_added(self) -> None:
        """Focus the console view once its pane is mounted: a refresh later was too soon under load."""
        if self._console_added is not None:
            await self._console_added
        views = self.query("#console-view")
        if views and self.query_one(TabbedContent).active == "console":  # not stepped or switched away meanwhile
            self.set_focus(views.first())

    def _show_params(self, detail: RunDetail, flat: dict[str, Any], lines: MemoryLines) -> None:
        tree = self.query_one("#params-tree", Tree)
        tree.clear()
        small = 0 < len(flat) <= TREE_PARAMS
        if small:
            tree.root.expand()
            fill_tree(tree.root, detail.params)
        tree.display = small
        note = self.query_one("#params-note", Static)
        if not flat:
            note.update(Text("No params logged."))
        elif not small:
            note.update(Text(f"{len(flat):,} params: too many for a tree, listed one a line"))
        else:
            note.update(Text(f"{len(flat):,} params", style="bold"))
        self.query_one("#params-list", LazyText).show_lines(lines)

    def action_back(self) -> None:
        self.dismiss(self.run_id)

    def action_tab(self, tab: str) -> None:
        if tab == "console" and not self.query("#console"):
            if self.detail is None:  # pressed before the run is read (`Enter 5` in a burst): shown once it is
                self._console_shown = True
            return
        self.query_one(TabbedContent).active = tab
        # focused now, not after the keys already typed (`focus()` waits its turn): `5 t` in one burst
        if tab == "metrics":
            self.set_focus(self.query_one("#metrics-table", DataTable))
        elif tab == "console":  # so `t`, `/`, `n`/`N`, `g`/`G` reach it
            views = self.query("#console-view")
            if views:
                self.set_focus(views.first())
            else:  # the pane is being added
                self.call_later(self._focus_console_once_added)

    async def action_step_run(self, delta: int) -> None:
        """Show the next (`delta` 1) or previous (-1) run of the table, on the same tab."""
        if len(self.run_ids) < 2:
            self.notify("No other runs: the table showed only this one.", severity="warning")
            return
        index = self.run_ids.index(self.run_id) if self.run_id in self.run_ids else -1
        self.run_id = self.run_ids[(index + delta) % len(self.run_ids)]
        self.detail = None
        self._flat = None
        if self.query("#console"):  # the console of the run left; the next run's is added when it is read
            tabs = self.query_one(TabbedContent)
            self._console_shown = tabs.active == "console"
            if self._console_shown:
                tabs.active = "overview"
            await tabs.remove_pane("console")
        self.query_one("#detail-title", Static).update(Text(f" {printable(self.run_id)} …"))
        self.load()

    def action_artifacts(self) -> None:
        if self.detail is not None:
            from .artifacts import ArtifactsScreen

            self.app.push_screen(ArtifactsScreen(self.detail))

    def action_models(self) -> None:
        self.run_models.open_view()

    def action_media(self) -> None:
        from .media import MediaScreen

        self.app.push_screen(MediaScreen(self.store, [self.run_id]))

    def action_charts(self) -> None:
        """Charts of this run; on the metrics tab, of the metric under the cursor."""
        table = self.query_one("#metrics-table", DataTable)
        metric = None
        if self.query_one(TabbedContent).active == "metrics" and table.row_count:
            metric = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self._open_charts(metric)

    @on(DataTable.RowSelected, "#metrics-table")
    def _metric_chosen(self, event: DataTable.RowSelected) -> None:
        self._open_charts(event.row_key.value)

    def _open_charts(self, metric: str | None) -> None:
        from .charts import ChartsScreen

        if self.detail is None or metric not in self.detail.metrics:
            metric = None
        self.app.push_screen(ChartsScreen(self.store, [self.run_id], metrics=[metric] if metric else None))
