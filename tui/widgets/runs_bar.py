"""The line over the runs table: the store's kind, how many runs show, marks, grouping, sort, and where."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.widgets import Static

from store import RunStore

from ..shaping.first_listing import FirstListing
from ..shaping.runs_view import RunsView
from ..shaping.sanitize import printable
from ..theme import theme_style
from .fitted_line import FittedLine


class RunsBar(Static):
    """At 80 columns the parts least needed give way first (`FittedLine`), the count and the sort last."""

    notice: str | None = None
    """Why a folder search was cut short, while it is."""
    reading: tuple[int, int] | None = None
    """(runs read, runs in all) while a first listing is painted as it is read."""

    def search_notice(self, store: RunStore) -> None:
        """A folder search that did not search everything says so once, and the bar keeps saying it."""
        from store.opening.multi import MultiStore

        notice = store.notice if isinstance(store, MultiStore) else None
        if notice and notice != self.notice:
            self.notify(
                f"Runs there may be missing: {printable(notice)}",
                title="Folder search cut short",
                severity="warning",
                timeout=20,
                markup=False,
            )
        self.notice = notice

    def show(
        self,
        view: RunsView | FirstListing,
        *,
        total: int,
        marked: int,
        store: RunStore | None,
        where: str,
        attention: Mapping[str, str] | None = None,
        current: str | None = None,
    ) -> None:
        """`where`: the store's path or address; `attention`: runs that need a look -> why (the bar says
        why for the `current` run, else how many)."""
        running = view.running
        count = f"{len(view.positions)}/{total} run{'s' if total != 1 else ''}"
        parts: list[tuple[str, int]] = [(count, 0)]  # (text, priority)
        if self.reading is not None:
            parts.append((f"reading {self.reading[0]:,} / {self.reading[1]:,}", 0))
        if running:
            parts.append((f"{running} running", 2))
        if marked:
            parts.append((f"{marked} marked", 2))
        why = (attention or {}).get(current or "")
        if why or attention:
            flagged = len(attention or ())
            count = f"{flagged} need{'s' if flagged == 1 else ''} a look (!)"
            parts.append((f"! {printable(why)}" if why else count, 1))
        if view.experiment is not None:
            parts.append((f"experiment: {printable(view.experiment)}", 3))
        if view.metric_stat != "last":
            parts.append((f"metrics: {view.metric_stat}", 4))
        grouped = view.grouped
        if grouped is not None:
            stat = "mean ± std" if view.group_stat == "mean" else view.group_stat
            pick = {0: "", 1: ", best of each"}.get(view.pick, f", top {view.pick} of each")
            parts.append((f"{len(grouped.labels)} groups ({stat}{pick})", 3))
        if not view.choice.is_automatic:
            parts.append(("columns: picked (R: automatic)", 5))
        if view.sort_key:
            parts.append((f"sort: {view.sort_key} {'▼' if view.sort_descending else '▲'}", 1))
        if self.notice:
            parts.append(("not every folder searched", 4))
        kind = store.kind if store is not None else "tracktui"
        line = [(Text(f" {kind} ", style="bold reverse"), 0)]
        line += [(Text((" · " if i else " ") + text, style="bold"), rank) for i, (text, rank) in enumerate(parts)]
        stale = getattr(store, "stale", "")  # a tracking server that failed: the listing is the cached one
        if stale:
            warning = theme_style(self.app, "warning", bold=True)
            line.append((Text(f"  stale listing: {printable(stale)}", style=warning), 0))
        line.append((Text(f"  {printable(where)}", style="dim"), 9))
        self.update(FittedLine(line))
