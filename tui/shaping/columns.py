"""What the runs table's columns are: their kinds and labels, their order, the user's column
choice, and which columns vary over a set of runs.

Plain code the runs view, the scripts (`tracktui ls`) and the grouping share; it imports
neither Textual nor Rich.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .formatting import is_missing
from .sanitize import printable

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:
    from .lazy_modules import np, pd

PARENT_COLUMNS = ("parent", "tags.mlflow.parentRunId")
"""Where a run's parent lives (as `grouping.PARENT_COLUMNS`, which imports this module)."""

LEAD = ("status", "name")
"""Always first; then metrics, params, tags (what a run did before what it was given, as MLflow orders them)."""
SOURCE = "source"
"""Which store a run comes from: after the status, only when several stores share the table."""
TRAIL = ("experiment", "created", "duration")
BASE_SHOWN = LEAD + TRAIL
EXTRAS = ("run_id", "ended", "host", "user", "reason")
"""Columns shown only when the user picks them."""
KIND_ORDER = {"metric": 0, "param": 1, "tag": 2}
KIND_PREFIX = {"metric": "m:", "param": "p:", "tag": "t:"}
"""Put before a label shared by a metric, a param or a tag (or a base column), so headers tell
them apart without colour (NO_COLOR, 16-colour terminals)."""
LABELS = {
    "status": "status",
    "name": "name",
    "experiment": "experiment",
    "created": "created",
    "duration": "duration",
    "run_id": "run id",
    "ended": "ended",
    "host": "host",
    "user": "user",
    "reason": "reason",
    SOURCE: "source",
}
SPARK_WIDTH = 8
"""Cells of the sparkline at the start of a metric cell, when sparklines are on."""
MAX_WIDTH = {"name": 30, "experiment": 18, "reason": 40, SOURCE: 18}
TEXT_MAX_WIDTH = 24
WIDTH_SAMPLE = 2000
SHORT_FRAME = 2000
"""Up to this many runs, a wide frame's columns are sized and checked on plain lists."""
WIDE_FRAME = 500
"""From this many columns on, a pandas call per column costs more than plain lists."""


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
    """The plain label: the name without its group; see `column_labels` for the one shown."""
    kind = column_kind(key)
    return LABELS.get(key, key) if kind == "base" else printable(key.split(".", 1)[1])


def column_labels(keys: Sequence[str], metric_stat: str = "last") -> dict[str, str]:
    """Header labels for these columns.

    A name two groups share (`lr` as a param and as a logged metric) gets a prefix on each
    (`p:lr`, `m:lr`); metric columns say which value they show unless it is the last one
    (`mse (min)`).
    """
    kinds: dict[str, set[str]] = {name: {"base"} for name in LABELS.values()}
    for key in keys:
        kind = column_kind(key)
        if kind != "base":
            kinds.setdefault(key.split(".", 1)[1], set()).add(kind)
    labels = {}
    for key in keys:
        kind = column_kind(key)
        label = column_label(key)
        if kind != "base":
            if len(kinds[key.split(".", 1)[1]]) > 1:
                label = KIND_PREFIX[kind] + label
            if kind == "metric" and metric_stat != "last":
                label = f"{label} ({metric_stat})"
        labels[key] = label
    return labels


def data_columns(frame: pd.DataFrame) -> list[str]:
    """Columns a user may pick from, in the default order: status, name, metrics, params, tags, the rest."""
    return default_order(list(frame.columns))


def default_order(columns: Sequence[str]) -> list[str]:
    """`data_columns` of a frame with these columns (a first listing has no frame yet)."""
    rest = [c for c in columns if column_kind(c) != "base"]
    rest.sort(key=lambda c: KIND_ORDER[column_kind(c)])  # stable: the store's order within a group
    extras = [c for c in EXTRAS if c in columns]
    lead = [LEAD[0], SOURCE, *LEAD[1:]] if SOURCE in columns else list(LEAD)
    return [*lead, *rest, *TRAIL, *extras]


def ordered(default: Sequence[str], order: Sequence[str]) -> list[str]:
    """`default` rearranged as the user ordered columns; columns the order does not know keep their place.

    A column new since the user moved columns (a metric logged later, another experiment's
    param) goes right after the column it follows by default, so it is not pushed to the end.
    """
    if not order:
        return list(default)
    present = set(default)
    result = [c for c in order if c in present]
    placed = set(result)
    for index, key in enumerate(default):
        if key in placed:
            continue
        after = next((default[i] for i in range(index - 1, -1, -1) if default[i] in placed), None)
        result.insert(result.index(after) + 1 if after is not None else 0, key)
        placed.add(key)
    return result


@dataclass
class ColumnChoice:
    """What the user changed in the column picker, and nothing more.

    Everything not named here stays automatic: shown when it varies. Saving the whole set
    of columns shown at one moment would hide, for good, every column that appears later.
    """

    shown: set[str] = field(default_factory=set)
    """Shown even when they do not vary."""
    hidden: set[str] = field(default_factory=set)
    order: list[str] = field(default_factory=list)
    """The picker's order once the user moved a column; empty for the default order."""

    @property
    def is_automatic(self) -> bool:
        return not (self.shown or self.hidden or self.order)

    def key(self) -> tuple[Any, ...]:
        return (frozenset(self.shown), frozenset(self.hidden), tuple(self.order))

    def copy(self) -> ColumnChoice:
        return ColumnChoice(set(self.shown), set(self.hidden), list(self.order))

    def to_json(self) -> dict[str, list[str]]:
        return {"shown": sorted(self.shown), "hidden": sorted(self.hidden), "order": list(self.order)}

    @classmethod
    def from_json(cls, data: object) -> ColumnChoice:
        """Tolerant: a hand-edited or damaged entry gives what can be read of it."""
        if not isinstance(data, dict):
            return cls()

        def strings(name: str) -> list[str]:
            value = data.get(name)
            return [str(v) for v in value] if isinstance(value, list) else []

        return cls(set(strings("shown")), set(strings("hidden")), strings("order"))

    def after_picker(self, before: Sequence[tuple[str, bool]], after: Sequence[tuple[str, bool]]) -> ColumnChoice:
        """This choice plus what the user changed in the picker: `before` and `after` are (column, shown) rows."""
        was_shown = {key for key, shown in before if shown}
        new = self.copy()
        for key, shown in after:
            if shown and key not in was_shown:
                new.shown.add(key)
                new.hidden.discard(key)
            elif not shown and key in was_shown:
                new.hidden.add(key)
                new.shown.discard(key)
        if [key for key, _ in after] != [key for key, _ in before]:
            new.order = [key for key, _ in after]
        return new


def varying(frame: pd.DataFrame, keys: Sequence[str]) -> list[str]:
    """The columns worth showing for these rows.

    A column empty in every row goes. A param, metric, tag or the experiment also goes when
    two or more rows have it and they all agree: a param only one experiment has, constant
    within it, says nothing the experiment column does not. One run with a metric nobody
    else has keeps it: that is news, not noise.

    A short, wide frame (a few runs with 10,000 params) is checked on plain lists, since a
    pandas call per column would take seconds; a tall one (100,000 runs) with pandas.
    """
    if len(frame) == 0:
        return list(keys)
    checked = [k for k in keys if (k in frame.columns and column_kind(k) != "base") or k == "experiment"]
    if len(frame) <= SHORT_FRAME and len(checked) > WIDE_FRAME:
        values = dict(zip(checked, frame[checked].to_numpy(dtype=object).T))
        return varying_lists(values, keys)
    kept = []
    for key in keys:
        if (key in frame.columns and column_kind(key) != "base") or key == "experiment":
            col = frame[key]
            present = int(col.notna().sum())
            if present == 0:
                continue
            if present >= 2 and col.nunique(dropna=True) <= 1:
                continue
        kept.append(key)
    return kept


def varying_lists(values: Mapping[str, Sequence[Any]], keys: Sequence[str]) -> list[str]:
    """`varying` on plain lists: `values` holds the checked columns (params, metrics, tags, the experiment)."""
    dropped = set()
    for key, column in values.items():
        seen = [v for v in column if not is_missing(v)]
        if not seen or (len(seen) >= 2 and distinct_count(seen) <= 1):
            dropped.add(key)
    return [k for k in keys if k not in dropped]


def distinct_count(values: list[Any]) -> int:
    """How many different values, lists and dicts among them too (compared by their repr)."""
    try:
        return len(set(values))
    except TypeError:  # lists or dicts as values
        return len({repr(v) for v in values})


def column_arrays(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """A short, wide frame split into its columns at once (a pandas lookup per column of
    10,000 would cost seconds); numbers and flags keep their types."""
    arrays = dict(zip(frame.columns, frame.to_numpy(dtype=object).T))
    for name, dtype in zip(frame.columns, frame.dtypes):
        if dtype.kind in "biuf":
            arrays[name] = arrays[name].astype(dtype)
    return arrays


NUMBER_KINDS = frozenset({"integer", "floating", "mixed-integer-float"})
"""What `pd.api.types.infer_dtype` calls a column of Python numbers (bools are "boolean")."""


def holds_numbers(values: np.ndarray) -> bool:
    """Whether a column is all numbers (flags are not), so the table right-aligns it.

    `infer_dtype` looks at each value in C: a Python test per value cost a second over the
    2 million param cells of 100,000 runs.
    """
    if values.dtype.kind == "b":
        return False
    if values.dtype.kind in "iuf":
        return True
    return pd.api.types.infer_dtype(values, skipna=True) in NUMBER_KINDS


def sort_codes(col: pd.Series) -> np.ndarray:
    """Each value's rank in the column's sort order (ties equal), -1 when missing.

    Numbers sort as numbers, also in an object column whose present values are all numbers
    or numeric text (but not all flags); anything else as lower-cased text.
    """
    values = col.to_numpy()
    if values.dtype.kind in "biuf":
        numbers = values.astype(float)
    else:
        present = col.notna().to_numpy()
        numeric = _as_numbers(col, present)
        if numeric is not None:
            numbers = np.where(present, numeric, np.nan)
        else:
            codes = np.full(len(values), -1, dtype=np.int64)
            if present.any():
                lowered = col[present].astype(str).str.lower()
                arrow = getattr(lowered.dtype, "storage", None) == "pyarrow"
                codes[present] = text_ranks(lowered.array if arrow else lowered.to_numpy(dtype=object))
            return codes
    codes = np.full(len(numbers), -1, dtype=np.int64)
    real = ~np.isnan(numbers)
    if real.any():
        codes[real] = np.unique(numbers[real], return_inverse=True)[1].reshape(-1)
    return codes


NUMBER_PROBE = 64
"""Values tried as numbers before converting a whole text column: one that is not ends the test."""
SHORT_TEXT = 256
"""Longest distinct text sorted as a fixed-width numpy string (compared in C); longer ones as objects."""


def _as_numbers(col: pd.Series, present: np.ndarray) -> np.ndarray | None:
    """The column as floats when every present value is a number or numeric text (and not all flags), else None.

    A few values are tried first: converting 100,000 names only to find the first is no
    number cost more than sorting them.
    """
    if not present.any():
        return None
    probe = col[present].iloc[:NUMBER_PROBE]
    if pd.to_numeric(probe, errors="coerce").isna().any():
        return None
    numeric = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    values = col.to_numpy()
    if np.isnan(numeric[present]).any() or pd.api.types.infer_dtype(values[present], skipna=True) == "boolean":
        return None
    return numeric


def text_ranks(text: Any) -> np.ndarray:
    """Each string's rank among the distinct strings in code-point order (ties equal).

    Distinct values are found by hashing and only they are sorted: in Arrow's buffers when the
    text is Arrow strings (UTF-8 bytes sort in code-point order; no Python string a run, ~20 MB
    at 100,000 names), else as fixed-width numpy strings when short (compared in C, not through
    Python's `<`).
    """
    codes, uniques = pd.factorize(text)
    if not isinstance(uniques, np.ndarray):  # Arrow strings
        order = np.asarray(uniques.argsort(), dtype=np.int64)
    else:
        keys = np.asarray(uniques, dtype=object)
        if len(keys) and max(map(len, keys)) <= SHORT_TEXT:
            keys = keys.astype(str)
        order = np.argsort(keys, kind="stable")
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(len(order))
    return np.asarray(ranks[codes])


def order_by_codes(codes: np.ndarray, descending: bool) -> np.ndarray:
    """Positions that sort `codes` (from `sort_codes`): stable, missing values last either way."""
    missing = codes < 0
    keyed = np.where(missing, np.iinfo(np.int64).max, -codes if descending else codes)
    return np.argsort(keyed, kind="stable")


def sort_positions(frame: pd.DataFrame, key: str, descending: bool) -> np.ndarray:
    """Row positions sorted by one column: numbers as numbers, missing values last, stable."""
    return order_by_codes(sort_codes(frame[key]), descending)


class FrameFacts:
    """What one frame's columns hold, worked out once per column and reused by every sort and filter.

    At 100,000 runs, sorting an object column or asking which of 40 columns vary costs
    seconds through pandas each time; here a column is turned into sort codes once
    (`sort_codes`) and a sort over any subset of rows is numpy work on them, and `varying`
    compares each value with the first (`_varies`), in C.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self._sort: dict[str, np.ndarray] = {}
        self._ids: tuple[np.ndarray, np.ndarray] | None = None

    def index_ids(self) -> tuple[np.ndarray, np.ndarray]:
        """Each run id's hash, sorted, and the frame positions in that order: made once per frame (in a
        worker), shared by its views; a dict of 100,000 ids held about 17 MB for each view."""
        if self._ids is None:
            frame = self.frame
            ids: list[str] = frame["run_id"].astype(str).tolist() if "run_id" in frame.columns else []
            hashes = np.fromiter(map(hash, ids), dtype=np.int64, count=len(ids))
            order = np.argsort(hashes, kind="stable")
            self._ids = (hashes[order], order)
        return self._ids

    def positions_of(self, run_id: str) -> np.ndarray:
        """The frame positions of run `run_id` (several when stores in one table share an id)."""
        hashes, order = self.index_ids()
        wanted = hash(run_id)
        found = order[np.searchsorted(hashes, wanted, "left") : np.searchsorted(hashes, wanted, "right")]
        ids = self.frame["run_id"]
        return np.asarray(found[np.array([str(ids.iat[p]) == run_id for p in found], dtype=bool)])  # no collision

    def sort_positions(self, rows: np.ndarray, key: str, descending: bool) -> np.ndarray:
        """The order of `rows` (frame positions) by `key`, as `sort_positions` gives it."""
        col = self.frame[key]
        if col.dtype.kind == "f":
            values = col.to_numpy()[rows]
            return np.argsort(-values if descending else values, kind="stable")  # NaN last either way
        codes = self._sort.get(key)
        if codes is None:
            codes = self._sort[key] = sort_codes(col)
        return order_by_codes(codes[rows], descending)

    def prepare_sort(self, key: str) -> None:
        """Make `key`'s sort codes now (in a worker), so the first sort by it costs only the sort."""
        if self.frame[key].dtype.kind != "f" and key not in self._sort:
            self._sort[key] = sort_codes(self.frame[key])

    def varying(self, rows: np.ndarray | None, keys: Sequence[str]) -> list[str]:
        """`varying(frame.iloc[rows], keys)`; `rows` None for every row."""
        frame = self.frame
        if len(frame) <= SHORT_FRAME:
            return varying(frame if rows is None else frame.iloc[rows], keys)
        if rows is not None and len(rows) == 0:
            return list(keys)
        kept = []
        for key in keys:
            if (key in frame.columns and column_kind(key) != "base") or key == "experiment":
                col = frame[key]
                if col.dtype.kind == "f":
                    values = col.to_numpy() if rows is None else col.to_numpy()[rows]
                    present = values[~np.isnan(values)]
                    if not len(present) or (len(present) >= 2 and present.min() == present.max()):
                        continue
                elif isinstance(col.dtype, pd.StringDtype):  # compared in its own buffers, no Python string per run
                    present = (col if rows is None else col.iloc[rows]).dropna()
                    if not len(present) or (len(present) >= 2 and not (present != present.iloc[0]).any()):
                        continue
                elif not _varies(col.to_numpy() if rows is None else col.to_numpy()[rows]):
                    continue
            kept.append(key)
        return kept


SCALARS = (str, int, float)


def _varies(values: np.ndarray) -> bool:
    """`varying`'s test on one column's values: present somewhere, and not one value shared by two or more runs.

    Every value is compared with the first present one, in C: a tenth of the cost of telling
    all values apart (`_distinct_codes`), which a refresh or a filter of 100,000 runs would pay
    per column, and nothing to keep per frame.
    """
    present = values[pd.notna(values)]
    if not len(present):
        return False
    first = present[0]
    if len(present) < 2:
        return True
    if not isinstance(first, SCALARS):  # a list compared with an array broadcasts; tell values apart instead
        codes = _distinct_codes(pd.Series(present, dtype=object))
        return bool(codes.min() != codes.max())
    return bool(np.asarray(present != first, dtype=bool).any())


def _distinct_codes(col: pd.Series) -> np.ndarray:
    """A code per distinct value (as `nunique` tells them apart), -1 when missing."""
    try:
        return np.asarray(pd.factorize(col, use_na_sentinel=True)[0])
    except TypeError:  # lists or dicts as values
        return np.asarray(pd.factorize(col.map(repr).where(col.notna()), use_na_sentinel=True)[0])
