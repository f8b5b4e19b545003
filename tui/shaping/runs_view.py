"""The runs table as data: which columns show, in what order, how wide, and which rows.

`RunsView` takes the frame from `RunStore.runs_frame()` and the user's choices (filter,
experiment, sort, column picks) and answers what the table widget asks while it draws:
the cell texts of the few rows on screen. Nothing here formats every cell of every row,
so a 100,000-run store costs only sorting and masking, which pandas does in C.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd
from rich.cells import cell_len

from .filter_expr import Filter, FilterError, parse_filter
from .formatting import format_ago, format_duration, format_value, printable

STATUS_GLYPHS = {
    "running": "▶", "finished": "✓", "failed": "✗", "killed": "■", "crashed": "‼", "damaged": "⚠",
    "deleted": "⌫",
}
BASE_SHOWN = ("status", "name", "experiment", "created", "duration")
LABELS = {"status": "status", "name": "name", "experiment": "experiment", "created": "created",
          "duration": "duration", "run_id": "run id", "ended": "ended", "host": "host", "user": "user",
          "reason": "reason"}
MAX_WIDTH = {"name": 30, "experiment": 18, "reason": 40}
TEXT_MAX_WIDTH = 24
WIDTH_SAMPLE = 2000


@dataclass
class Column:
    key: str
    """The frame column it shows."""
    label: str
    width: int
    numeric: bool
    kind: str
    """'base', 'param', 'metric' or 'tag' — the header is styled by kind."""


def column_kind(key: str) -> str:
    for prefix, kind in (("params.", "param"), ("metrics.", "metric"), ("tags.", "tag")):
        if key.startswith(prefix):
            return kind
    return "base"


def column_label(key: str) -> str:
    kind = column_kind(key)
    return LABELS.get(key, key) if kind == "base" else printable(key.split(".", 1)[1])


def data_columns(frame: pd.DataFrame) -> list[str]:
    """Columns a user may pick from, in the default order."""
    rest = [c for c in frame.columns if column_kind(c) != "base"]
    extras = [c for c in ("run_id", "ended", "host", "user", "reason") if c in frame.columns]
    return [*BASE_SHOWN, *rest, *extras]


def varying(frame: pd.DataFrame, keys: Sequence[str]) -> list[str]:
    """The columns worth showing for these rows.

    A column empty in every row goes. A param, metric or the experiment also goes when two
    or more rows have it and they all agree: a param only one experiment has, constant
    within it, says nothing the experiment column does not. One run with a metric nobody
    else has keeps it: that is news, not noise.
    """
    if len(frame) == 0:
        return list(keys)
    kept = []
    for key in keys:
        if key in frame.columns and column_kind(key) != "base" or key == "experiment":
            col = frame[key]
            present = int(col.notna().sum())
            if present == 0:
                continue
            if column_kind(key) != "tag" and present >= 2 and col.nunique(dropna=True) <= 1:
                continue
        kept.append(key)
    return kept


def sort_positions(frame: pd.DataFrame, key: str, descending: bool) -> np.ndarray:
    """Row positions sorted by one column: numbers as numbers, missing values last, stable."""
    col = frame[key]
    if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
        numeric = pd.to_numeric(col, errors="coerce")
        present = col.notna()
        if present.any() and numeric[present].notna().all() and not col[present].map(type).eq(bool).all():
            col = numeric
        else:
            col = col.where(~present, col.astype(str).str.lower())
    ordered = col.reset_index(drop=True).sort_values(ascending=not descending, kind="stable", na_position="last")
    return ordered.index.to_numpy()


@dataclass
class RunsView:
    """The table's state: frame, filter, experiment, sort, columns; positions of the rows shown."""

    frame: pd.DataFrame = field(default_factory=pd.DataFrame)
    filter_text: str = ""
    experiment: str | None = None
    sort_key: str | None = None
    sort_descending: bool = False
    show_all_columns: bool = False
    column_choice: list[str] | None = None
    """Columns picked by the user, in order; None = the default (what varies)."""
    hidden_columns: set[str] = field(default_factory=set)
    now: float = 0.0

    def __post_init__(self) -> None:
        self.positions: np.ndarray = np.arange(len(self.frame))
        self.columns: list[Column] = []
        self._filter: Filter | None = None
        self._widths: dict[str, int] = {}
        self.min_widths: dict[str, int] = {}
        self._numeric_columns: dict[str, bool] = {}
        self._row_cache: dict[int, list[str]] = {}
        self.set_frame(self.frame)

    # -- inputs ----------------------------------------------------------------------------

    def set_frame(self, frame: pd.DataFrame) -> None:
        self.frame = frame.reset_index(drop=True)
        self._widths = {}
        self._numeric_columns = {}
        try:
            self._filter = parse_filter(self.filter_text, list(self.frame.columns)) if self.filter_text else None
        except FilterError:
            self.filter_text, self._filter = "", None  # it named a column the store no longer has
        self.update()

    def settings(self) -> tuple[Any, ...]:
        """Everything the user chose; two views with equal settings show the same frame alike."""
        return (self.filter_text, self.experiment, self.sort_key, self.sort_descending, self.show_all_columns,
                tuple(self.column_choice or ()), frozenset(self.hidden_columns))

    def with_frame(self, frame: pd.DataFrame, now: float) -> RunsView:
        """A new view with these settings over `frame`, fully computed.

        Made in the worker that read the store, so the UI thread only swaps views: on
        10,000 runs, filtering, sorting and measuring columns take a fifth of a second.
        """
        view = RunsView(filter_text=self.filter_text, experiment=self.experiment,
                        sort_key=self.sort_key, sort_descending=self.sort_descending,
                        show_all_columns=self.show_all_columns,
                        column_choice=list(self.column_choice) if self.column_choice is not None else None,
                        hidden_columns=set(self.hidden_columns), now=now)
        view.min_widths = {**self.min_widths, **self._widths}  # live values never make columns jump narrower
        view.set_frame(frame)
        return view

    def set_filter(self, text: str) -> None:
        """Raises FilterError (and changes nothing) for a bad expression."""
        parsed = parse_filter(text, list(self.frame.columns)) if text.strip() else None
        self.filter_text, self._filter = text, parsed
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
                mask &= self._filter.mask(frame)
            except (KeyError, FilterError):
                self.filter_text, self._filter = "", None  # a column the filter named is gone
        positions = np.flatnonzero(mask)
        if self.sort_key and self.sort_key in frame.columns and len(positions):
            order = sort_positions(frame.iloc[positions], self.sort_key, self.sort_descending)
            positions = positions[order]
        self.positions = positions
        self._row_cache = {}
        self.columns = self._choose_columns()

    # -- outputs ---------------------------------------------------------------------------

    @property
    def filter_is_free_text(self) -> bool:
        return self._filter is not None and self._filter.is_free_text

    @property
    def row_count(self) -> int:
        return len(self.positions)

    def run_id_at(self, row: int) -> str | None:
        if 0 <= row < len(self.positions):
            return str(self.frame.at[int(self.positions[row]), "run_id"])
        return None

    def row_of(self, run_id: str | None) -> int | None:
        if run_id is None or not len(self.positions):
            return None
        hits = np.flatnonzero(self.frame["run_id"].to_numpy()[self.positions] == run_id)
        return int(hits[0]) if len(hits) else None

    def status_at(self, row: int) -> str:
        return str(self.frame.at[int(self.positions[row]), "status"])

    def visible_frame(self) -> pd.DataFrame:
        return self.frame.iloc[self.positions]

    def cells(self, row: int) -> list[str]:
        """Texts of one row's cells, formatted on demand and cached until the view changes."""
        cached = self._row_cache.get(row)
        if cached is not None:
            return cached
        record = self.frame.iloc[int(self.positions[row])]
        texts = [self.cell_text(column.key, record[column.key]) for column in self.columns]
        if len(self._row_cache) > 4096:
            self._row_cache.clear()
        self._row_cache[row] = texts
        return texts

    def cell_text(self, key: str, value: Any) -> str:
        if key == "status":
            return f"{STATUS_GLYPHS.get(str(value), '?')} {printable(str(value))}"
        if key in ("created", "ended"):
            return format_ago(value, self.now)
        if key == "duration":
            return format_duration(value)
        return format_value(value)

    def all_columns(self) -> list[str]:
        return data_columns(self.frame)

    def _choose_columns(self) -> list[Column]:
        """The picker's order and hides, then (unless `v` shows all) only the columns that vary."""
        available = [c for c in self.all_columns() if c in self.frame.columns or c in BASE_SHOWN]
        extras = ("run_id", "ended", "host", "user", "reason")
        chosen = [c for c in self.column_choice or () if c in available]
        rest = [c for c in available if c not in chosen and c not in extras]
        if self.show_all_columns:
            keys = chosen + rest
        else:
            keys = chosen + [c for c in rest if c not in self.hidden_columns]
            keys = varying(self.visible_frame(), keys)
        return [Column(k, column_label(k), self._width(k), self._numeric(k), column_kind(k)) for k in keys]

    def _numeric(self, key: str) -> bool:
        """Right-align a column whose values are all numbers; decided once per frame."""
        cached = self._numeric_columns.get(key)
        if cached is None:
            cached = self._numeric_columns[key] = self._is_numeric(key)
        return cached

    def _is_numeric(self, key: str) -> bool:
        if key in ("created", "duration", "ended"):
            return True
        if key not in self.frame.columns:
            return False
        dtype = self.frame[key].dtype
        if pd.api.types.is_bool_dtype(dtype):
            return False
        if pd.api.types.is_numeric_dtype(dtype):
            return True
        values = self.frame[key].dropna()
        return bool(len(values)) and values.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)).all()

    def _width(self, key: str) -> int:
        width = self._widths.get(key)
        if width is None:
            width = self._widths[key] = max(self._measure(key), self.min_widths.get(key, 0))
        return width

    def _measure(self, key: str) -> int:
        label = cell_len(column_label(key)) + 1  # room for the sort arrow
        if key == "status":
            return max(label, 10)
        if key in ("created", "ended"):
            return max(label, 8)
        if key == "duration":
            return max(label, 7)
        frame = self.frame
        if not len(frame):
            return label
        step = max(1, len(frame) // WIDTH_SAMPLE)
        sample = frame[key].iloc[::step]
        longest = max((cell_len(self.cell_text(key, v)) for v in sample), default=0)
        cap = MAX_WIDTH.get(key, TEXT_MAX_WIDTH)
        return max(min(label, 26), min(longest, cap), 3)
