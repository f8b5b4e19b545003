"""The runs screen's workspace: metric charts, system metrics, console and images beside the table.

Watching training is the other half of finding runs: the workspace shows the chosen runs'
charts a page at a time (`ChartGrid` pages them, the title says `[1-2 of 6]`), their
`system/…` metrics, and the console and newest image of the run under the table's cursor.
Which runs and metrics is decided in `tui.shaping.workspace`; the histories are read and
the curves built in a thread worker (`HistoryCache`, as the charts screen does), and the UI
thread only swaps finished curves into the panes. A cursor move among the drawn runs only
changes which run is highlighted, so it redraws without a trip to the worker.

The screen owns the keys (the table has the focus): it forwards them to `command`, and the
cursor, the marks and each new listing to `follow`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Static
from textual.worker import get_current_worker

from ..messages import post_result
from ..shaping.curves import MARKER, ChartRequest, ChartsResult, RunInfo
from ..shaping.history_cache import HistoryCache
from ..shaping.media_steps import load_fitted, media_keys, pick
from ..shaping.run_colors import run_colors
from ..shaping.sanitize import printable_line
from ..shaping.system_metrics import clock_or_step
from ..shaping.workspace import WorkspaceRuns, choose_metrics, choose_runs, pane_choice
from .chart_grid import ChartGrid
from .console_view import ConsoleView, console_file
from .media_pane import MediaPane
from .run_legend import LegendEntry, RunLegend, faint_palette, theme_palette

if TYPE_CHECKING:
    from store import RunStore

PANES = {"system": True, "console": True, "images": False}
"""The panes below the charts and whether they are shown before the user chose."""

CACHED_RUNS = 64
"""Past this many runs' histories held, those not drawn now are dropped (read again if drawn again)."""
REASONS = {"marked": "marked", "running": "running", "newest": "newest"}
NO_RUNS = (
    "No runs yet. Start a training that logs to this store (store.start_run(…) in Python, or "
    "`tracktui run -- python train.py`): its charts fill in here as it logs. W hides the workspace; "
    "the table then shows the code of a first run."
)
NONE_IN_VIEW = "No runs in view: the filter or the experiment leaves none (Escape clears the filter)."


@dataclass
class WorkspaceBuilt(Message):
    """Charts built in the worker; a newer build replaces one not handled yet."""

    result: ChartsResult
    metrics: list[str]
    system: list[str]
    failed: list[str]

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, WorkspaceBuilt)


@dataclass
class CursorRunRead(Message):
    """What the console and image panes show of the run under the cursor."""

    run_id: str
    name: str
    running: bool
    console: tuple[Path, str] | None
    image: Any | None
    caption: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, CursorRunRead)


class Workspace(Vertical):
    """Charts of the chosen runs a page at a time, with system, console and image panes."""

    DEFAULT_CSS = """
    Workspace {
        width: 1fr;
        height: 1fr;
        border-left: vkey $primary 30%;
        & > #ws-title { height: 1; padding: 0 1; background: $panel; color: $foreground;
                        text-wrap: nowrap; text-overflow: ellipsis; }
        & > RunLegend { max-height: 2; }
        & > #ws-charts { height: 1fr; }
        & > #ws-empty { height: 1fr; padding: 1 2; color: $text-muted; }
        & #ws-system-none { dock: top; width: 100%; height: 1; padding: 0 1; color: $text-muted;
                            text-wrap: nowrap; text-overflow: ellipsis; }
        & > #ws-bottom.-note-only { height: 1; min-height: 1; }
        & MetricChart { min-height: 5; }
        & > #ws-bottom { height: 35%; min-height: 7; }
        & #ws-bottom > Vertical { width: 1fr; height: 1fr; }
        & #ws-bottom > #ws-system, & #ws-bottom > #ws-console { margin-right: 1; }
        & .ws-pane-title { height: 1; padding: 0 1; background: $boost; text-style: bold;
                           text-wrap: nowrap; text-overflow: ellipsis; }
        & #ws-system-grid { height: 1fr; }
        & #ws-console-body { height: 1fr; }
        & #ws-console-body > Static { color: $text-muted; padding: 0 1; }
        & MediaPane { min-width: 0; padding: 0; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store: RunStore | None = None
        self._histories: HistoryCache | None = None
        self.runs: WorkspaceRuns | None = None
        self.infos: dict[str, RunInfo] = {}
        self.listing: tuple[list[str], list[str]] = ([], [])
        """(running run ids, run ids newest first) of the table's listing."""
        self.store_runs = 0
        """Runs in the store (not only in view): with none, the workspace says how to log one."""
        self.panes = dict(PANES)
        self._console_run: str | None = None
        self._failed: list[str] = []
        self.draws = 0
        """How many builds have been drawn: tests wait on this changing."""

    def compose(self) -> ComposeResult:
        yield Static(Text("Workspace"), id="ws-title")
        yield RunLegend(Text(""), id="ws-legend")
        yield ChartGrid(min_pane=(40, 6), id="ws-charts")
        yield Static(Text(NO_RUNS), id="ws-empty")
        with Horizontal(id="ws-bottom"):
            yield Static(Text("System: no system metrics logged · Y hides"), id="ws-system-none")
            with Vertical(id="ws-system"):
                yield Static(Text("System"), classes="ws-pane-title", id="ws-system-title")
                yield ChartGrid(min_pane=(30, 6), id="ws-system-grid")
            with Vertical(id="ws-console"):
                yield Static(Text("Console"), classes="ws-pane-title", id="ws-console-title")
                yield Vertical(Static(Text("")), id="ws-console-body")
            with Vertical(id="ws-images"):
                yield Static(Text("Images"), classes="ws-pane-title", id="ws-images-title")
                yield MediaPane("", id="ws-image")

    def on_mount(self) -> None:
        self._show_panes()

    @property
    def grid(self) -> ChartGrid:
        return self.query_one("#ws-charts", ChartGrid)

    @property
    def system_grid(self) -> ChartGrid:
        return self.query_one("#ws-system-grid", ChartGrid)

    # -- what the screen tells it ------------------------------------------------------------

    def restore(self, saved: dict[str, Any]) -> bool:
        """Show the panes the user left shown (`saved`: the per-store settings); True when the
        workspace itself was shown."""
        panes = saved.get("panes")
        self.panes = pane_choice(panes if isinstance(panes, dict) else None, PANES)
        if self.is_mounted:
            self._show_panes()
        return saved.get("shown") is True

    def settings(self) -> dict[str, Any]:
        """What `restore` takes, to keep per store."""
        return {"shown": bool(self.display), "panes": dict(self.panes)}

    def set_listing(self, store: RunStore, running: list[str], newest: list[str], total: int) -> None:
        """A new listing: its running runs and its runs newest first (of those in view), and how
        many runs the store has."""
        if store is not self.store:
            self.store, self._histories, self.infos = store, HistoryCache(store), {}
        self.listing = (running, newest)
        self.store_runs = total

    def follow(self, marked: list[str], cursor: str | None, live: bool = False) -> None:
        """Draw the runs `choose_runs` picks for these marks and cursor. `live`: a new listing came,
        so the running runs' histories are read again. Cheap when only the cursor moved among them."""
        if self.store is None or not self.display:
            return
        runs = choose_runs(marked, self.listing[0], self.listing[1], cursor)
        same = self.runs is not None and self.runs.run_ids == runs.run_ids
        self.runs = runs
        self._show_empty()
        running = frozenset(r for r in runs.run_ids if self.infos.get(r) is None or self.infos[r].status == "running")
        if not same or (live and running):  # a quiet listing of finished runs draws nothing new
            self._build(self._request(reload=running if live else frozenset()), dict(self.infos))
        self._show_view()
        if cursor is not None and (cursor != self._console_run or (live and self._cursor_pane_may_change())):
            self._console_run = cursor
            if self.panes["console"] or self.panes["images"]:
                self._read_cursor_panes(cursor)
        self._update_title()

    def _cursor_pane_may_change(self) -> bool:
        """A live listing re-reads the cursor's run only when its newest image, or a console it had
        not kept yet, could show."""
        return self.panes["images"] or (self.panes["console"] and not self.query("#ws-console-view"))

    def command(self, name: str, *args: int) -> None:
        """A workspace key the screen passed on: `page` (±1), or a pane's name to show or hide it."""
        if name == "page":
            if not self.grid.turn_page(args[0] if args else 1):
                self.notify("Every chart is shown: none on another page", title="Workspace", timeout=2)
            return
        self.panes[name] = not self.panes[name]
        self._show_panes()
        if self.panes[name] and name in ("console", "images"):
            self.call_after_refresh(self._read_cursor_now)  # once the pane has its size

    def _read_cursor_now(self) -> None:
        """The run under the cursor when the pane has its size, not when its key came: cursor keys
        typed before it in one burst (`j j I`) reach `follow` after the key itself."""
        if self.runs is not None and self.runs.cursor:
            self._read_cursor_panes(self.runs.cursor)

    # -- charts ------------------------------------------------------------------------------

    def _request(self, reload: frozenset[str]) -> ChartRequest:
        assert self.runs is not None
        ids = list(self.runs.run_ids)
        colors = run_colors(self.app).colors(ids, theme_palette(self.app.theme_variables))
        width = self.grid.size.width or max(40, self.app.size.width // 2)
        return ChartRequest(
            run_ids=ids,
            metrics=[],
            axis="step",
            log_y=False,
            smoothing=0.0,
            buckets=max(40, width // max(1, self.grid.in_use()[0]) - 10),
            colors=colors,
            faint=faint_palette(colors, self.app.theme_variables),
            markers=[MARKER],
            reload=reload,
            names={r: i.name for r, i in self.infos.items()},
        )

    @work(
        thread=True,
        exclusive=True,
        group="workspace-charts",
        exit_on_error=False,
        description="Reading the workspace's charts",
    )
    def _build(self, req: ChartRequest, known: dict[str, RunInfo]) -> None:
        """Read what is new (or running), choose the metrics, build every chart of every page."""
        assert self._histories is not None
        histories, worker = self._histories, get_current_worker()
        if len({run_id for run_id, _ in histories.series}) > CACHED_RUNS:  # a cursor walked a long table
            histories.series = {key: series for key, series in histories.series.items() if key[0] in req.run_ids}
        infos: dict[str, RunInfo] = {}
        failed: list[str] = []
        for run_id in req.run_ids:
            if run_id in known and run_id not in req.reload:
                continue
            try:
                infos[run_id] = histories.read_info(run_id)
            except Exception as exc:  # noqa: BLE001 - a damaged or vanished run is named in the title, the others drawn
                failed.append(f"{run_id}: {exc}")
        every = {**known, **infos}
        req.run_ids = [r for r in req.run_ids if r in every]
        metrics, system = choose_metrics(every[r] for r in req.run_ids)
        req.metrics = metrics
        result = histories.charts(req, infos, cancelled=lambda: worker.is_cancelled)
        if system:  # against the clock, as the charts screen draws them: a sampler's steps count samples
            result.charts += histories.charts(
                replace(req, metrics=system, axis=clock_or_step(system)), infos, cancelled=lambda: worker.is_cancelled
            ).charts
        post_result(self, WorkspaceBuilt(result, metrics, system, failed))

    async def on_workspace_built(self, message: WorkspaceBuilt) -> None:
        message.stop()
        self.infos.update(message.result.infos)
        self._failed = message.failed
        by_metric = {chart.metric: chart for chart in message.result.charts}
        if list(self.grid.panes) != message.metrics:
            await self.grid.sync(message.metrics)
        if list(self.system_grid.panes) != message.system:
            await self.system_grid.sync(message.system)
        self.draws += 1
        with self.app.batch_update():
            self.grid.draw([by_metric[m] for m in message.metrics if m in by_metric])
            self.system_grid.draw([by_metric[m] for m in message.system if m in by_metric])
            self._show_view()
            self._update_title()

    def _show_view(self) -> None:
        """The cursor's run highlighted in every pane and the legend (no rebuild)."""
        highlight = self.runs.cursor if self.runs is not None and len(self.runs.run_ids) > 1 else None
        for grid in (self.grid, self.system_grid):
            grid.show(None, highlight, frozenset(), None)
        if self.runs is not None:
            ids = list(self.runs.run_ids)
            colors = run_colors(self.app).colors(ids, theme_palette(self.app.theme_variables))
            self.query_one(RunLegend).show_runs(
                [
                    LegendEntry(self.infos[r].name if r in self.infos else r, colors[i], None, r == highlight)
                    for i, r in enumerate(ids)
                ]
            )

    def on_chart_grid_paged(self, event: ChartGrid.Paged) -> None:
        event.stop()
        self._update_title()

    def _update_title(self) -> None:
        title = Text()
        title.append("Charts", style="bold")
        if self.grid.page_label:
            title.append(f" {self.grid.page_label} < >", style="bold")
        elif self.runs is not None and not self.grid.panes and self.draws:
            title.append(" · no metrics logged yet")
        if self.runs is not None:
            count = len(self.runs.run_ids) - self.runs.cursor_added
            title.append(f" · {count} {REASONS[self.runs.reason]}" if self.runs.reason else " · no runs")
            if self.runs.reason and self.runs.cursor_added:
                title.append(" + cursor's")
        if self._failed:
            title.append(f" · unreadable: {printable_line(self._failed[0])}", style="bold")
        self.query_one("#ws-title", Static).update(title)
        system = Text("System")
        if self.system_grid.page_label:
            system.append(f" {self.system_grid.page_label}")
        self.query_one("#ws-system-title", Static).update(system)
        self._show_empty()

    def _show_panes(self) -> None:
        for name in ("console", "images"):
            self.query_one(f"#ws-{name}").display = self.panes[name]
        self._show_empty()
        self.call_after_refresh(self.grid.lay_out)

    def _show_empty(self) -> None:
        """With no runs to draw, what to do in place of the charts and panes; with no system
        metrics, one line saying so in place of a blank system pane (its room goes to the console)."""
        empty = self.runs is not None and not self.runs.run_ids
        note = self.query_one("#ws-empty", Static)
        note.display = empty
        if empty:
            note.update(Text(NO_RUNS if not self.store_runs else NONE_IN_VIEW))
        for part in ("#ws-legend", "#ws-charts"):
            self.query_one(part).display = not empty
        system = self.panes["system"] and bool(self.system_grid.panes)
        self.query_one("#ws-system").display = system
        none = not empty and self.panes["system"] and self.draws > 0 and not self.system_grid.panes
        self.query_one("#ws-system-none").display = none  # said once a build found none, not before
        others = system or self.panes["console"] or self.panes["images"]
        bottom = self.query_one("#ws-bottom")
        bottom.display = not empty and (others or none)
        bottom.set_class(not others, "-note-only")

    # -- the run under the cursor --------------------------------------------------------------

    def _read_cursor_panes(self, run_id: str) -> None:
        """Read the console and the newest image of `run_id`, the image fitted to its pane as laid out now."""
        self._read_cursor_run(run_id, self.query_one("#ws-image", MediaPane).image_cells())

    @work(
        thread=True,
        exclusive=True,
        group="workspace-cursor",
        exit_on_error=False,
        description="Reading the console and images of the run under the cursor",
    )
    def _read_cursor_run(self, run_id: str, cells: tuple[int, int]) -> None:
        from rich_pixels import HalfcellRenderer, Pixels

        assert self.store is not None
        try:
            detail = self.store.run(run_id)
        except Exception as exc:  # noqa: BLE001 - a damaged or vanished run: its panes say so, the app goes on
            post_result(self, CursorRunRead(run_id, run_id, False, None, None, f"unreadable: {exc}"))
            return
        image, caption = None, "no images logged (run.log_image)"
        index = detail.media()
        keys = media_keys([index])
        if keys:
            entries = index[keys[0]]
            chosen = pick(index, keys[0], entries[-1][0]) if entries else None
            if chosen is not None and chosen.entry is not None and chosen.path is not None:
                caption = f"{keys[0]} · step {chosen.step}" + (f" · {chosen.caption}" if chosen.caption else "")
                try:
                    frame, _ = load_fitted(chosen.entry, *cells)
                    image = Pixels.from_image(frame, renderer=HalfcellRenderer())
                except (OSError, ValueError) as exc:
                    caption = f"cannot decode {chosen.path.name}: {exc}"
        post_result(
            self,
            CursorRunRead(
                run_id, detail.name or run_id, detail.status == "running", console_file(detail), image, caption
            ),
        )

    async def on_cursor_run_read(self, message: CursorRunRead) -> None:
        message.stop()
        name = printable_line(message.name)
        body = self.query_one("#ws-console-body", Vertical)
        current = next(iter(body.query(ConsoleView)), None)
        same = (
            current is not None
            and message.console is not None
            and (current.run_path, current.head_name) == message.console
        )
        if not same:
            await body.remove_children()
            if message.console is None:
                await body.mount(Static(Text("No console kept (capture_console=True or `tracktui run` keeps one)")))
            else:
                await body.mount(
                    ConsoleView(
                        message.console[0], live=message.running, head_name=message.console[1], id="ws-console-view"
                    )
                )
        live = " · live" if message.running else ""
        self.query_one("#ws-console-title", Static).update(Text(f"Console · {name}{live}"))
        self.query_one("#ws-images-title", Static).update(Text(f"Images · {name}"))
        caption = message.caption if message.image is not None else ""  # without an image it is the message
        self.query_one("#ws-image", MediaPane).show(caption, "", None, message.image, message.caption)
