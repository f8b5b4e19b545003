"""Which columns the runs view shows, in what order and how wide.

`ColumnChooser` is the part of a `RunsView` that picks its columns after every change: the
user's order, picks and hides, then what varies among the runs shown, each as wide as its cells
(with room for group rows and sparklines). It keeps what that costs to work out (which columns
vary, the widened widths) for one frame; a new frame gets a new chooser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from store.writing.system_metrics import is_system_metric

from .column_cells import extra_width
from .columns import BASE_SHOWN, EXTRAS, Column, column_kind, ordered

if TYPE_CHECKING:
    from .runs_view import RunsView


class ColumnChooser:
    """Chooses `RunsView.columns`; its caches hold for one frame of one view (a fork copies it)."""

    def __init__(self) -> None:
        self._grouped_widths: tuple[object, ...] = ()
        self._extra_widths: dict[str, int] = {}
        self._varying_cache: tuple[tuple[object, ...], set[str]] | None = None
        """(which runs, which columns) -> the columns that vary; valid for this frame only."""

    def choose(self, view: RunsView, keys: tuple[str, ...]) -> list[Column]:
        """The columns for `view` as it now is, grouped by `keys`: widths made for another grouping,
        group statistic or sparklines are forgotten first."""
        if (keys, view.group_stat, view.sparklines) != self._grouped_widths:
            self._extra_widths = {}
            if self._grouped_widths:  # metric cells got wider or narrower: no minimum from before
                view.min_widths = {
                    k: w for k, w in view.min_widths.items() if column_kind(k) != "metric" and k != "name"
                }
            self._grouped_widths = (keys, view.group_stat, view.sparklines)
        elif view.grouped is not None:
            self._extra_widths = {}  # other groups, other aggregates
        return self._choose_columns(view)

    def _choose_columns(self, view: RunsView) -> list[Column]:
        """The default order as the user rearranged it; then, unless `v` shows all, drop what the
        user hid and what does not vary (except what the user chose to show)."""
        choice = view.choice
        available = [
            c
            for c in view.all_columns()
            if (c in view.frame.columns or c in BASE_SHOWN) and (c not in EXTRAS or c in choice.shown)
        ]
        keys = ordered(available, choice.order)
        if not view.show_all_columns:
            keys = [c for c in keys if c not in choice.hidden and (c in choice.shown or not is_system_metric(c))]
            candidates = [c for c in keys if c not in choice.shown]
            # The same runs in another order (a sort, a grouping) vary in the same columns: asked once.
            every = len(view.positions) == len(view.frame)
            runs = None if every else np.sort(view.positions)
            cache_key = (len(view.frame) if runs is None else hash(runs.tobytes()), every, tuple(candidates))
            if self._varying_cache is None or self._varying_cache[0] != cache_key:
                self._varying_cache = (cache_key, set(view.facts.varying(runs, candidates)))
            automatic = self._varying_cache[1]
            keys = [c for c in keys if c in choice.shown or c in automatic]
        return [Column(k, view.label(k), self._width(view, k), view.measures.numeric(k), column_kind(k)) for k in keys]

    def _width(self, view: RunsView, key: str) -> int:
        width = view.measures.width(key, view.label(key), key in view.min_widths, view.now)
        if view.grouped is not None or view.sparklines:
            width = self._extra_width(view, key, width)
        return max(width, view.min_widths.get(key, 0))

    def _extra_width(self, view: RunsView, key: str, width: int) -> int:
        """`width` made room for group rows and sparklines (see `extra_width`); cached until they change."""
        cached = self._extra_widths.get(key)
        if cached is None:
            cached = self._extra_widths[key] = extra_width(key, width, view.grouped, view.group_stat, view.sparklines)
        return max(width, cached)
