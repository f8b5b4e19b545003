"""One run in full: facts, params as a tree and as dotted keys, metrics with sparklines, tags, error."""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane, Tree

from store import RunDetail, RunStore
from store.system_metrics import is_system_metric

from ..shaping.formatting import format_duration, format_timestamp, format_value, printable
from ..shaping.sparkline import sparkline
from ..shaping.runs_view import STATUS_GLYPHS


class DetailScreen(Screen[None]):
    """Read in a worker; `escape` goes back to the table, which kept its cursor."""

    DEFAULT_CSS = """
    DetailScreen #detail-title { height: 1; background: $panel; text-style: bold; }
    DetailScreen TabbedContent { height: 1fr; }
    DetailScreen .section { height: auto; padding: 0 1; }
    DetailScreen #error { color: $error; }
    DetailScreen Tree { height: auto; max-height: 60%; }
    """

    BINDINGS = [
        Binding("escape", "back", "Back", id="detail.back"),
        Binding("a", "artifacts", "Artifacts", id="detail.artifacts"),
        Binding("p", "charts", "Plot", id="detail.charts"),
        Binding("1", "tab('overview')", "Overview", show=False, id="detail.tab1"),
        Binding("2", "tab('params')", "Params", show=False, id="detail.tab2"),
        Binding("3", "tab('metrics')", "Metrics", show=False, id="detail.tab3"),
        Binding("4", "tab('tags')", "Tags", show=False, id="detail.tab4"),
        Binding("5", "tab('console')", "Console", show=False, id="detail.tab5"),
    ]

    def __init__(self, store: RunStore, run_id: str) -> None:
        super().__init__()
        self.store = store
        self.run_id = run_id
        self.detail: RunDetail | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text(f" {printable(self.run_id)} …"), id="detail-title")
        with TabbedContent(initial="overview"):
            with TabPane("Overview", id="overview"):
                with VerticalScroll():
                    yield Static(classes="section", id="facts")
                    yield Static(classes="section", id="error")
            with TabPane("Params", id="params"):
                with VerticalScroll():
                    yield Tree("params", id="params-tree")
                    yield Static(classes="section", id="params-flat")
            with TabPane("Metrics", id="metrics"):
                with VerticalScroll():
                    yield Static(classes="section", id="metrics-table")
            with TabPane("Tags", id="tags"):
                with VerticalScroll():
                    yield Static(classes="section", id="tags-table")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def load(self) -> None:
        detail = self.store.run(self.run_id)
        sparks: dict[str, str] = {}
        if detail.metrics:
            try:
                history = detail.history()
            except (OSError, ValueError, NotImplementedError):
                history = None
            if history is not None and len(history):
                for key, group in history.groupby("key", observed=True, sort=False):
                    sparks[str(key)] = sparkline(group.sort_values("step", kind="stable")["value"].to_numpy(), 24)
        self.app.call_from_thread(self.show, detail, sparks)

    def show(self, detail: RunDetail, sparks: dict[str, str]) -> None:
        self.detail = detail
        title = Text()
        status = printable(detail.status)
        title.append(f" {STATUS_GLYPHS.get(detail.status, '?')} {status} ", style=self._status_style(detail.status))
        title.append(f" {printable(detail.name)}", style="bold")
        title.append(f"  {printable(detail.experiment)} · {printable(detail.run_id)}")
        self.query_one("#detail-title", Static).update(title)
        self.query_one("#facts", Static).update(facts_table(detail))
        error = self.query_one("#error", Static)
        if detail.error:
            heading = "Why it is damaged" if detail.status == "damaged" else "Error"
            error.update(Text(f"\n{heading}\n", style="bold") + Text(printable_block(detail.error)))
        error.display = bool(detail.error)
        tree = self.query_one("#params-tree", Tree)
        tree.clear()
        tree.root.expand()
        _fill_tree(tree.root, detail.params)
        tree.display = bool(detail.params)
        flat = Table(box=None, show_header=True, header_style="bold", padding=(0, 2))
        flat.add_column("param")
        flat.add_column("value")
        for key, value in detail.flat_params.items():
            flat.add_row(Text(printable(key)), Text(format_value(value)))
        self.query_one("#params-flat", Static).update(flat if detail.params else Text("No params logged."))
        self.query_one("#metrics-table", Static).update(metrics_table(detail, sparks))
        tags = Table(box=None, show_header=True, header_style="bold", padding=(0, 2))
        tags.add_column("tag")
        tags.add_column("value")
        for key, value in detail.tags.items():
            tags.add_row(Text(printable(key)), Text(printable(value)))
        self.query_one("#tags-table", Static).update(tags if detail.tags else Text("No tags."))
        self._add_console(detail)

    def _add_console(self, detail: RunDetail) -> None:
        """A Console tab, only for runs that kept one (`tracktui run`, `capture_console=True`)."""
        from pathlib import Path

        from ..widgets.console_view import ConsoleView, has_console

        path = detail.facts.get("path")
        if getattr(detail.store, "kind", None) != "tracktui" or not path or self.query("#console-view"):
            return
        if has_console(Path(str(path))):
            view = ConsoleView(Path(str(path)), live=detail.status == "running", id="console-view")
            self.query_one(TabbedContent).add_pane(TabPane("Console", view, id="console"))

    def _status_style(self, status: str) -> str:
        variable = {"finished": "success", "failed": "error", "crashed": "error", "damaged": "warning",
                    "killed": "warning", "running": "primary"}.get(status, "foreground")
        colour = self.app.theme_variables.get(variable)
        return f"bold reverse {colour}" if colour else "bold reverse"

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_tab(self, tab: str) -> None:
        if tab == "console" and not self.query("#console"):
            return
        self.query_one(TabbedContent).active = tab

    def action_artifacts(self) -> None:
        if self.detail is not None:
            from .artifacts import ArtifactsScreen

            self.app.push_screen(ArtifactsScreen(self.detail))

    def action_charts(self) -> None:
        from .charts import ChartsScreen

        self.app.push_screen(ChartsScreen(self.store, [self.run_id]))


def facts_table(detail: RunDetail) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    facts: list[tuple[str, Any]] = [
        ("status", detail.status), ("run id", detail.run_id), ("experiment", detail.experiment),
        ("created", format_timestamp(detail.created)), ("ended", format_timestamp(detail.ended)),
        ("duration", format_duration(detail.duration)),
    ]
    if detail.status == "crashed" and detail.last_seen:
        facts.append(("last seen", format_timestamp(detail.last_seen)))
    git = detail.facts.get("git_commit")
    if git:
        dirty = detail.facts.get("git_dirty")
        facts.append(("git", f"{git}{' (dirty)' if dirty else ''}  {detail.facts.get('git_branch') or ''}".strip()))
    for key, value in detail.facts.items():
        if key.startswith("git_") or value in (None, "", [], {}):
            continue
        facts.append((key.replace("_", " "), value))
    for key, value in facts:
        if value in (None, ""):
            continue
        table.add_row(Text(key), Text(printable(str(value))))
    return table


def metrics_table(detail: RunDetail, sparks: dict[str, str]) -> Table | Text:
    if not detail.metrics:
        return Text("No metrics logged.")
    table = Table(box=None, header_style="bold", padding=(0, 2))
    for name in ("metric", "last", "min", "max", "steps", "history"):
        table.add_column(name, justify="right" if name in ("last", "min", "max", "steps") else "left")
    system_shown = False
    for key, summary in sorted(detail.metrics.items(), key=lambda item: (is_system_metric(item[0]), item[0])):
        if is_system_metric(key) and not system_shown:  # machine metrics are their own group, last
            system_shown = True
            table.add_section()
            table.add_row(Text("system", style="bold"))
        table.add_row(
            Text(printable(key)),
            Text(format_value(_float(summary.get("last")))),
            Text(format_value(_float(summary.get("min")))),
            Text(format_value(_float(summary.get("max")))),
            Text(printable(str(summary.get("count", "")))),
            Text(sparks.get(key, "")),
        )
    return table


def printable_block(text: str) -> str:
    """Keep line breaks and tabs of a traceback; make every other control character visible."""
    return "\n".join(printable(line.replace("\t", "    ")) for line in text.splitlines())


def _float(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None if value is None else np.nan


def _fill_tree(node: Any, params: dict[str, Any]) -> None:
    for key, value in params.items():
        if isinstance(value, dict) and value:
            child = node.add(Text(printable(str(key)), style="bold"), expand=True)
            _fill_tree(child, value)
        else:
            label = Text(printable(str(key)), style="bold")
            label.append(" = ")
            label.append(format_value(value))
            node.add_leaf(label)

