"""The runs table as data: which columns show, in what order, how wide, and which rows.

`RunsView` takes the frame from `RunStore.runs_frame()` and the user's choices (filter,
experiment, sort, column picks) and answers what the table widget asks while it draws:
the cell texts of the few rows on screen. Nothing here formats every cell of every row,
so a 100,000-run store costs only sorting and masking, which pandas does in C.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from .column_cells import FrameMeasures, cell_text
from .columns import (
    PARENT_COLUMNS,
    Column,
    ColumnChoice,
    FrameFacts,
    column_label,
    column_labels,
    data_columns,
)
from .filter_eval import Columns, columns_of, prepare_free_text
from .filter_expr import Filter, FilterError, parse_filter, status_hint
from .view_columns import ColumnChooser
from .view_settings import ViewSettings

if TYPE_CHECKING:
    from .grouped_view import GroupedRows


@dataclass
class RunsView:
    """The table's state: frame, filter, experiment, sort, columns; positions of the rows shown."""

    frame: pd.DataFrame = field(default_factory=pd.DataFrame)
    filter_text: str = ""
    experiment: str | None = None
    sort_key: str | None = None
    sort_descending: bool = False
    show_all_columns: bool = False
    choice: ColumnChoice = field(default_factory=ColumnChoice)
    """What the user changed in the column picker; the rest is automatic (what varies)."""
    metric_stat: str = "last"
    """Which value the frame's metric columns hold (last, min or max); headers say so."""
    group_keys: tuple[str, ...] | None = ()
    """Frame columns the runs are grouped by; () for none; None for automatic (by parent run
    when the runs have parents, as MLflow's nested runs do; else none), as the app starts."""
    group_stat: str = "mean"
    """What group rows show per metric (`GROUP_STATS`)."""
    collapsed: set[str] = field(default_factory=set)
    """Labels of the groups shown without their runs."""
    pick: int = 0
    """0: every run; N: only the best N runs of each group by the sort column."""
    column_stats: dict[str, str] = field(default_factory=dict)
    """Metric columns that show their own statistic (`column_stats.COLUMN_STATS`) instead of `metric_stat`."""
    sparklines: bool = False
    """Metric cells start with a sparkline of the run's history (`SPARK_WIDTH` cells; the table draws it)."""
    deleted_listed: bool = False
    """The store lists its deleted runs (`--deleted`, or `D` in the app): the empty-table hint says so."""
    now: float = 0.0

    def __post_init__(self) -> None:
        self.positions: np.ndarray = np.arange(len(self.frame))
        self._shown: tuple[pd.DataFrame, np.ndarray] = (self.frame, self.positions)
        self.columns: list[Column] = []
        self._filter: Filter | None = None
        self.min_widths: dict[str, int] = {}
        self._labels: dict[str, str] = {}
        self._row_cache: dict[int, list[str]] = {}
        self.filter_error: str | None = None
        """Why the filter no longer applies to the current frame (a field it names is gone), or None."""
        self._fallback_ids: np.ndarray | None = None
        self.rows: np.ndarray = self.positions
        """The table's rows: frame positions, and `-(g + 1)` for the row of group g when grouped."""
        self.grouped: GroupedRows | None = None
        self.empty_hint: str | None = None
        """When no run matches: why (a status the runs do not have), for the empty table."""
        self._row_index: np.ndarray | None = None
        self._values_cache: dict[str, np.ndarray] = {}
        self.set_frame(self.frame)

    # -- inputs ----------------------------------------------------------------------------

    def set_frame(self, frame: pd.DataFrame, shown_before: np.ndarray | None = None) -> None:
        """Show `frame` with the same settings.

        The filter is never dropped here: a refresh happens every two seconds, and a filter
        the user typed must hold through all of them. If the new frame lacks a field the
        filter names, `filter_error` says so and the rows shown are the runs the filter
        matched before (`shown_before`, run ids; by default those this view shows now).
        """
        if shown_before is None and self.filter_text.strip():
            shown_before = self.shown_ids()
        index = frame.index
        numbered = isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
        self.frame = frame if numbered else frame.reset_index(drop=True)  # a copy of 100,000 rows only when needed
        self.facts = FrameFacts(self.frame)
        """Codes of the frame's columns, made once per column for every sort and filter of this frame."""
        self._values_cache = {}
        self._text_columns: Columns | None = None
        self.running = int((self.frame["status"] == "running").sum()) if "status" in self.frame.columns else 0
        """How many runs of the frame are running (the status bar's count), counted once per frame."""
        self.measures = FrameMeasures(self.frame)
        self._labels = column_labels(data_columns(self.frame), self.metric_stat)
        if self.column_stats:
            plain = column_labels(data_columns(self.frame))
            for key, stat in self.column_stats.items():
                if key in plain:
                    self._labels[key] = plain[key] if stat == "last" else f"{plain[key]} ({stat})"
        self._fallback_ids = shown_before
        self._chooser = ColumnChooser()
        """Which columns vary and how wide group rows and sparklines make them; valid for this frame only."""
        self._parse_filter()
        self.update()

    def _parse_filter(self) -> None:
        self.filter_error = None
        if not self.filter_text.strip():
            self._filter = None
            return
        try:
            self._filter = parse_filter(self.filter_text, list(self.frame.columns))
        except FilterError as exc:
            self._filter = None
            self.filter_error = exc.message

    def shown_ids(self) -> np.ndarray:
        """Run ids of the rows shown, in order.

        Safe to call from the worker while the UI thread changes this view: it reads the
        frame and positions `update` stored together, never a new frame with old positions.
        """
        frame, positions = self._shown
        if not len(positions) or "run_id" not in frame.columns:
            return np.array([], dtype=object)
        return cast(np.ndarray, frame["run_id"].to_numpy()[positions])

    def settings(self) -> ViewSettings:
        """What the user chose, frozen: the poll worker builds the next view from it (see `ViewSettings`)."""
        choice = self.choice
        return ViewSettings(
            filter_text=self.filter_text,
            experiment=self.experiment,
            sort_key=self.sort_key,
            sort_descending=self.sort_descending,
            show_all_columns=self.show_all_columns,
            shown=frozenset(choice.shown),
            hidden=frozenset(choice.hidden),
            order=tuple(choice.order),
            metric_stat=self.metric_stat,
            group_keys=self.group_keys,
            group_stat=self.group_stat,
            collapsed=frozenset(self.collapsed),
            pick=self.pick,
            column_stats=tuple(sorted(self.column_stats.items())),
            sparklines=self.sparklines,
            deleted_listed=self.deleted_listed,
            shown_before=self.shown_ids() if self.filter_text.strip() else None,
            min_widths=tuple({**self.min_widths, **self.measures.widths}.items()),
        )

    @classmethod
    def from_settings(cls, settings: ViewSettings, frame: pd.DataFrame, now: float) -> RunsView:
        """A view with these settings over `frame`, fully computed.

        Made in the worker that read the store, so the UI thread only swaps views: on
        10,000 runs, filtering, sorting and measuring columns take a fifth of a second.
        """
        view = cls(**settings.view_options(), now=now)
        view.min_widths = dict(settings.min_widths)
        view.set_frame(frame, shown_before=settings.shown_before)
        view.prepare_rows()
        return view

    def fork(self) -> RunsView:
        """A copy to change in a worker while the table keeps drawing this one.

        The copy has its own settings (filter, sort, groups, columns) and shares what was
        worked out from the frame (sort and filter codes, widths, labels), so a filter
        computed on the copy does not encode a column again.
        """
        view = copy.copy(self)
        view.choice = self.choice.copy()
        view.collapsed = set(self.collapsed)
        view.column_stats = dict(self.column_stats)
        view.min_widths = dict(self.min_widths)
        view._row_cache = {}
        view._row_index = None
        view._chooser = copy.copy(self._chooser)
        return view

    def prepare(self) -> None:
        """Work the UI thread would otherwise do on its first use, done now (call it in a worker,
        once the table has painted the view: the first paint waits for none of it).

        Where each run's row is (the cursor stays on its run through a refresh; `from_settings`
        already did it), how names sort, and the columns free text searches: on 100,000 runs
        each of these costs a tenth of a second or more the first time, which the UI thread
        must not pay.
        """
        self.prepare_rows()
        if "name" in self.frame.columns:
            self.facts.prepare_sort("name")
        prepare_free_text(self.filter_columns())

    def filter_columns(self) -> Columns:
        """The frame's columns as the filter reads them, kept with the view (and its forks) while it lives."""
        if self._text_columns is None or self._text_columns.frame is not self.frame:
            self._text_columns = columns_of(self.frame, None)
        return self._text_columns

    def with_frame(self, frame: pd.DataFrame, now: float) -> RunsView:
        """A new view with this view's settings over `frame` (see `from_settings`)."""
        return RunsView.from_settings(self.settings(), frame, now)

    def set_filter(self, text: str) -> None:
        """Raises FilterError (and changes nothing) for a bad expression."""
        parsed = parse_filter(text, list(self.frame.columns)) if text.strip() else None
        self.filter_text, self._filter, self.filter_error = text, parsed, None
        self.update()

    def set_sort(self, key: str) -> None:
        """Sort by `key`; the same key again reverses."""
        if self.sort_key == key:
            self.sort_descending = not self.sort_descending
        else:
            self.sort_key, self.sort_descending = key, False
        self.update()

    def update(self) -> None:
        frame = self.frame
        mask = np.ones(len(frame), dtype=bool)
        if self.experiment is not None and len(frame):
            mask &= (frame["experiment"] == self.experiment).to_numpy()
        if self._filter is not None and len(frame):
            try:
                mask &= self._filter.mask(frame, columns=self.filter_columns())
            except (KeyError, FilterError) as exc:
                if self._fallback_ids is None:
                    self._fallback_ids = self.shown_ids()
                self._filter = None  # a column the filter named is gone
                self.filter_error = exc.message if isinstance(exc, FilterError) else f"no field {exc}"
        if self.filter_error is not None and len(frame):
            kept = self._fallback_ids if self._fallback_ids is not None else np.array([], dtype=object)
            mask &= frame["run_id"].isin(kept).to_numpy()
        positions = np.flatnonzero(mask)
        if self.sort_key and self.sort_key in frame.columns and len(positions):
            order = self.facts.sort_positions(positions, self.sort_key, self.sort_descending)
            positions = positions[order]
        self.grouped = None
        self.empty_hint = None
        keys = self.effective_group_keys
        if keys:
            from .grouped_view import group_rows

            self.grouped = group_rows(
                frame,
                positions,
                keys,
                sort_key=self.sort_key,
                descending=self.sort_descending,
                stat=self.group_stat,
                collapsed=self.collapsed,
                pick=self.pick,
            )
            positions = self.grouped.positions
            self.rows = self.grouped.rows
        else:
            self.rows = positions
        if not len(positions) and self._filter is not None and len(frame):
            self.empty_hint = status_hint(self._filter, frame, self.deleted_listed)
        self.positions = positions
        self._shown = (frame, positions)
        self._row_cache = {}
        self._row_index = None
        self.columns = self._chooser.choose(self, keys)

    @property
    def effective_group_keys(self) -> tuple[str, ...]:
        """The columns grouped by now: the user's, or by parent run when automatic and runs have parents."""
        columns = self.frame.columns
        if self.group_keys is not None:
            return tuple(k for k in self.group_keys if k in columns)
        for key in PARENT_COLUMNS:
            if key in columns and self.frame[key].notna().any():
                return (key,)
        return ()

    # -- outputs ---------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def run_id_at(self, row: int) -> str | None:
        """The run on this row; None past the end and on a group row."""
        if 0 <= row < len(self.rows) and self.rows[row] >= 0:
            return str(self._column_values("run_id")[int(self.rows[row])])
        return None

    def group_at(self, row: int) -> int | None:
        """The group whose row this is, or None for a run's row."""
        if 0 <= row < len(self.rows) and self.rows[row] < 0:
            return int(-self.rows[row] - 1)
        return None

    def group_label(self, group: int) -> str:
        return self.grouped.labels[group] if self.grouped is not None else ""

    def group_run_ids(self, group: int) -> list[str]:
        if self.grouped is None:
            return []
        return [str(r) for r in self.frame["run_id"].to_numpy()[self.grouped.members[group]]]

    def prepare_rows(self) -> None:
        """Index the rows by run now (in a worker): the cursor finds its run after a change without a search."""
        self._index_rows()

    def row_of(self, run_id: str | None) -> int | None:
        if run_id is None or not len(self.rows):
            return None
        rows = self._index_rows()[self.facts.positions_of(run_id)]
        rows = rows[rows >= 0]
        return int(rows.min()) if len(rows) else None

    def _index_rows(self) -> np.ndarray:
        """The row of each frame position (-1 when not shown; a run on two rows keeps its first), made
        once per change of rows (`prepare` makes it in the worker), with the frame's run id hashes."""
        index = self._row_index
        if index is None:
            runs = np.flatnonzero(self.rows >= 0)
            positions, first = np.unique(self.rows[runs], return_index=True)
            index = np.full(len(self.frame), -1, dtype=np.int64)
            index[positions] = runs[first]
            self.facts.index_ids()
            self._row_index = index
        return index

    def _column_values(self, key: str) -> np.ndarray:
        """One frame column as an array, taken once per frame (a row lookup through pandas is slow).

        A text column stays the frame's own array (Arrow buffers, indexed per cell): as a numpy
        array it would be a Python string per run, about 8 MB a column at 100,000 runs, per view.
        """
        values = self._values_cache.get(key)
        if values is None:
            column = self.frame[key]
            values = self._values_cache[key] = cast(
                np.ndarray, column.array if isinstance(column.dtype, pd.StringDtype) else column.to_numpy()
            )
        return values

    def row_of_group(self, label: str) -> int | None:
        if self.grouped is None or label not in self.grouped.labels:
            return None
        hits = np.flatnonzero(self.rows == -(self.grouped.labels.index(label) + 1))
        return int(hits[0]) if len(hits) else None

    def status_at(self, row: int) -> str:
        position = int(self.rows[row])
        return "group" if position < 0 else str(self._column_values("status")[position])

    def visible_frame(self) -> pd.DataFrame:
        return cast(pd.DataFrame, self.frame.iloc[self.positions])

    def cells(self, row: int) -> list[str]:
        """Texts of one row's cells, formatted on demand and cached until the view changes."""
        cached = self._row_cache.get(row)
        if cached is not None:
            return cached
        group = self.group_at(row)
        if group is not None and self.grouped is not None:
            from .grouped_view import group_cell

            closed = self.grouped.labels[group] in self.collapsed
            texts = [group_cell(self.grouped, group, c.key, self.group_stat, closed) for c in self.columns]
            self._row_cache[row] = texts
            return texts
        position = int(self.rows[row])
        columns = self.frame.columns
        texts = [
            cell_text(
                column.key, self._column_values(column.key)[position] if column.key in columns else None, self.now
            )
            for column in self.columns
        ]
        if len(self._row_cache) > 4096:
            self._row_cache.clear()
        self._row_cache[row] = texts
        return texts

    def set_now(self, now: float, rows: range) -> bool:
        """Ages (`created`, `ended`) as of `now`, for a quiet store that is never re-listed: only the
        age cells of `rows` (those on screen) are redone, other rows are formatted again when shown.
        True when a text on screen changed."""
        self.now = now
        ages = [
            (i, c.key)
            for i, c in enumerate(self.columns)
            if c.key in ("created", "ended") and c.key in self.frame.columns
        ]
        changed = False
        for row, texts in list(self._row_cache.items()):
            if row not in rows or int(self.rows[row]) < 0:
                self._row_cache.pop(row, None)
                continue
            for i, key in ages:
                text = cell_text(key, self._column_values(key)[int(self.rows[row])], self.now)
                changed |= text != texts[i]
                texts[i] = text
        return changed

    def all_columns(self) -> list[str]:
        return data_columns(self.frame)

    def label(self, key: str) -> str:
        return self._labels.get(key) or column_label(key)
