"""The runs table's settings as an immutable snapshot, safe to hand to another thread.

The runs screen publishes one after every change (`RunsView.settings`); the app's poll worker
builds the next view from it over a fresh listing (`RunsView.from_settings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .columns import ColumnChoice

if TYPE_CHECKING:
    import numpy as np
else:
    from .lazy_modules import np


@dataclass(frozen=True)
class ViewSettings:
    """An immutable snapshot of a `RunsView`'s settings, safe to hand to another thread.

    Two snapshots compare equal when they show the same frame alike; the run ids shown and the
    column widths ride along (for a filter that stops applying, and so live values never make
    columns jump narrower) but take no part in the comparison.
    """

    filter_text: str = ""
    experiment: str | None = None
    sort_key: str | None = None
    sort_descending: bool = False
    show_all_columns: bool = False
    shown: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()
    order: tuple[str, ...] = ()
    metric_stat: str = "last"
    group_keys: tuple[str, ...] | None = None
    group_stat: str = "mean"
    collapsed: frozenset[str] = frozenset()
    pick: int = 0
    column_stats: tuple[tuple[str, str], ...] = ()
    sparklines: bool = False
    deleted_listed: bool = False
    shown_before: np.ndarray | None = field(default=None, compare=False)
    """Run ids the filter matched, for when a refresh removes a field it names (an array the view
    never changes in place: taking it is free on the UI thread, where a tuple of 100,000 ids was not)."""
    min_widths: tuple[tuple[str, int], ...] = field(default=(), compare=False)

    def view_options(self) -> dict[str, Any]:
        """The `RunsView` fields these settings give (the frame, `now` and widths are the caller's)."""
        return dict(
            filter_text=self.filter_text,
            experiment=self.experiment,
            sort_key=self.sort_key,
            sort_descending=self.sort_descending,
            show_all_columns=self.show_all_columns,
            choice=ColumnChoice(set(self.shown), set(self.hidden), list(self.order)),
            metric_stat=self.metric_stat,
            group_keys=self.group_keys,
            group_stat=self.group_stat,
            collapsed=set(self.collapsed),
            pick=self.pick,
            column_stats=dict(self.column_stats),
            sparklines=self.sparklines,
            deleted_listed=self.deleted_listed,
        )
