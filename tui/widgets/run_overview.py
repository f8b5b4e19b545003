"""The run detail's overview, drawn with Rich: facts, params and metrics at a glance, the other facts,
the inputs; and the rows of its metrics table and params tree and list.

`RunSummary` is the params-and-metrics row that fits its two columns to the screen; the functions
build what the detail screen's other widgets show. Store text is always `Text` (never markup).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.console import Group
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Static

from store import RunDetail
from store.writing.system_metrics import is_system_metric

from ..shaping.formatting import cell_width, format_duration, format_timestamp, format_value, long_int_text
from ..shaping.inputs_view import INPUT_COLUMNS, input_rows
from ..shaping.sanitize import printable

OVERVIEW_ROWS = 60
"""Params (and metrics) listed on the overview; the rest are a `2`/`3` away, so a run with
10,000 params still draws its first screen at once."""
PARAM_KEY_WIDTH = 40


class RunSummary(Horizontal):
    """The run's params and metrics side by side, under its facts."""

    DEFAULT_CSS = """
    RunSummary { height: auto; padding: 1 0 0 0; }
    RunSummary #overview-params { width: 1fr; min-width: 24; height: auto; padding: 0 1; }
    RunSummary #overview-metrics { width: 3fr; height: auto; padding: 0 1; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[RunDetail, dict[str, Any]] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="overview-params")
        yield Static(id="overview-metrics")

    def show(self, detail: RunDetail, flat: dict[str, Any]) -> None:
        """Show `detail`'s metrics and its flat params (`flat`)."""
        self._shown = detail, flat
        self.fit()

    def fit(self) -> None:
        """The metrics take what their numbers need (never cut: up to 60% of the screen's width, more when
        the numbers need it), the params the rest; the names of both give way (`…`) before any number.
        Called again when the screen's size changes."""
        if self._shown is None:
            return
        detail, flat = self._shown
        console = self.app.console
        screen_width = self.screen.size.width
        metrics = overview_metrics(detail)
        box = self.query_one("#overview-metrics", Static)
        used = 0
        if isinstance(metrics, Table):
            numbers = sum((c.min_width or 0) + 2 for c in metrics.columns[1:])
            most = Measurement.get(console, console.options, metrics).maximum
            width = max(numbers + 14, min(most, int(screen_width * 0.6)))
            metrics.columns[0].max_width = width - numbers - 2
            used = width + 2
            box.styles.width = used
        box.update(metrics)
        room = screen_width - used - 4
        params = overview_params(flat, room)
        box = self.query_one("#overview-params", Static)
        box.styles.width = min(room, Measurement.get(console, console.options, params).maximum) + 2
        box.update(params)


def param_lines(flat: dict[str, Any]) -> str:
    """Every flat param as one `key  value` line, keys padded to a common width (capped)."""
    width = min(PARAM_KEY_WIDTH, max((len(k) for k in flat), default=0))
    return "\n".join(f"{printable(key).ljust(width)}  {value_text(value)}" for key, value in flat.items())


def value_text(value: Any) -> str:
    try:
        return format_value(value)
    except ValueError:  # an int too long to print (over 4,300 digits), maybe inside a list
        if isinstance(value, int):
            return long_int_text(value)
        return f"<a {type(value).__name__} holding a number too long to print>"


def steps_of(detail: RunDetail) -> int | None:
    counts = [count for s in detail.metrics.values() if isinstance(count := s.get("count"), int)]
    return max(counts) if counts else None


def overview_params(flat: dict[str, Any], room: int = 80) -> Group | Text:
    """The first params in `room` cells: the keys give way (`…`) so a value keeps up to 12 of them."""
    if not flat:
        return Text("No params logged.", style="dim")
    table = Table.grid(padding=(0, 2))
    values = [value_text(value) for value in list(flat.values())[:OVERVIEW_ROWS]]
    keys = max(8, min(PARAM_KEY_WIDTH, room - 2 - min(12, max(map(cell_width, values)))))
    table.add_column(no_wrap=True, overflow="ellipsis", max_width=keys)
    table.add_column(overflow="fold")
    for key, value in list(flat.items())[:OVERVIEW_ROWS]:
        table.add_row(Text(printable(key)), Text(value_text(value)))
    if len(flat) > OVERVIEW_ROWS:
        table.add_row(Text(f"… {len(flat) - OVERVIEW_ROWS:,} more", style="italic"), Text("2: all", style="dim"))
    return Group(Text(f"params ({len(flat):,})", style="bold", no_wrap=True), table)


def overview_metrics(detail: RunDetail) -> Table | Text:
    if not detail.metrics:
        return Text("No metrics logged.", style="dim")
    names = sorted(k for k in detail.metrics if not is_system_metric(k))
    system = len(detail.metrics) - len(names)
    table = Table(box=None, show_header=True, header_style="bold", padding=(0, 1))
    table.add_column(
        f"metrics ({len(names):,})", no_wrap=True, overflow="ellipsis", min_width=12, max_width=PARAM_KEY_WIDTH
    )
    shown = names[:OVERVIEW_ROWS]
    cells = {key: [format_value(_float(detail.metrics[key].get(s))) for s in ("last", "min", "max")] for key in shown}
    for i, name in enumerate(("last", "min", "max")):  # numbers are never cut: the names give way
        table.add_column(
            name,
            justify="right",
            no_wrap=True,
            min_width=max([len(name), *(cell_width(row[i]) for row in cells.values())]),
        )
    for key in shown:
        table.add_row(Text(printable(key)), *(Text(cell) for cell in cells[key]))
    if len(names) > OVERVIEW_ROWS:
        table.add_row(Text(f"… {len(names) - OVERVIEW_ROWS:,} more", style="italic"), Text("3: all"), Text(), Text())
    if system:
        table.add_row(
            Text(f"+ {system} system metrics", style="dim italic"), Text("3: all", style="dim"), Text(), Text()
        )
    return table


def facts_table(detail: RunDetail) -> Table:
    """When and how long, where: two facts a row, so the params and metrics fit under them at 80x24."""
    facts: list[tuple[str, str]] = [("created", format_timestamp(detail.created))]
    if detail.status == "crashed" and detail.last_seen and not detail.ended:
        facts.append(("last seen", format_timestamp(detail.last_seen)))
    else:
        facts.append(("ended", format_timestamp(detail.ended) or ("—" if detail.status == "running" else "")))
    steps = steps_of(detail)
    facts += [("duration", format_duration(detail.duration)), ("steps", "" if steps is None else f"{steps:,}")]
    host, user = detail.facts.get("host"), detail.facts.get("user")
    if host or user:
        facts.append(("on", f"{user or '?'}@{host or '?'}"))
    git = detail.facts.get("git_commit")
    if git:
        facts.append(("git", f"{str(git)[:10]}{' (dirty)' if detail.facts.get('git_dirty') else ''}"))
    facts = [(k, v) for k, v in facts if v]
    table = Table.grid(padding=(0, 2))
    for _ in range(2):
        table.add_column(style="bold", no_wrap=True)
        table.add_column(overflow="ellipsis", no_wrap=True)
    for i in range(0, len(facts), 2):
        row = facts[i : i + 2]
        cells: list[Text] = []
        for key, value in row:
            cells += [Text(key), Text(printable(value))]
        table.add_row(*cells)
    return table


def inputs_table(detail: RunDetail) -> Table:
    """The data the run used (`run.log_input`, MLflow dataset inputs): what, where, how big, which version."""
    table = Table(
        box=None,
        show_header=True,
        header_style="bold",
        padding=(0, 2),
        pad_edge=False,
        title=f"inputs ({len(detail.inputs)})",
        title_justify="left",
        title_style="bold",
    )
    for name in INPUT_COLUMNS:
        table.add_column(
            name,
            no_wrap=name != "path",
            overflow="fold" if name == "path" else "ellipsis",
            justify="right" if name == "size" else "left",
        )
    for row in input_rows(detail.inputs):
        table.add_row(*(Text(cell) for cell in row))
    return table


def fill_metrics_table(table: DataTable[Text], detail: RunDetail, sparks: dict[str, str]) -> None:
    """One row per metric (keyed by it, so `enter`/`p` can chart it), the cursor kept on its metric."""
    keep = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value if table.row_count else None
    table.clear(columns=True)
    for name in ("metric", "last", "min", "max", "steps", "history"):
        table.add_column(
            Text(name, style="bold", justify="right" if name in ("last", "min", "max", "steps") else "left"), key=name
        )
    if not detail.metrics:
        table.add_row(Text("No metrics logged."), *([Text("")] * 5))
        return
    # Machine metrics are their own group, last (their names say `system/`).
    for key, summary in sorted(detail.metrics.items(), key=lambda item: (is_system_metric(item[0]), item[0])):
        table.add_row(
            Text(printable(key)),
            *(Text(format_value(_float(summary.get(stat))), justify="right") for stat in ("last", "min", "max")),
            Text(printable(str(summary.get("count", ""))), justify="right"),
            Text(sparks.get(key, "")),
            key=key,
        )
    if keep in detail.metrics:
        table.move_cursor(row=table.get_row_index(keep), animate=False)


def _float(value: Any) -> float | None:
    """A summary's last/min/max as a number to format; anything odd shows as NaN rather than as
    its text (the values were read already: this is no rule for foreign values)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None if value is None else np.nan


def fill_tree(node: Any, params: dict[str, Any]) -> None:
    for key, value in params.items():
        if isinstance(value, dict) and value:
            child = node.add(Text(printable(str(key)), style="bold"), expand=True)
            fill_tree(child, value)
        else:
            label = Text(printable(str(key)), style="bold")
            label.append(" = ")
            label.append(value_text(value))
            node.add_leaf(label)
