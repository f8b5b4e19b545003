"""Evaluating a parsed filter (`filter_tree`) on the runs frame, column-wise.

Text work runs once per distinct value of a column and is spread back to the rows, so a filter
costs well under 50 ms on 10,000 runs; a frame's prepared columns are kept for the last few
frames, so typing a filter on 100,000 runs does not redo them on every key.
"""

from __future__ import annotations

import math
import re
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from .filter_inputs import ANY_DIGEST, ANY_INPUT_FIELDS, ANY_NAME, digest_prefix_hits, input_columns, is_input_field
from .filter_tree import And, Compare, FilterError, FreeText, Has, In, Node, Not, Or, Value
from .models_view import REGISTRY_COLUMNS

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:
    from .lazy_modules import np, pd

FREE_TEXT_COLUMNS = ("name", "experiment", "run_id")
"""Columns free text searches, besides every tag."""


class Columns:
    """Views of the frame's columns for one `mask` call, each built at most once.

    Text work (str(), lower(), substring and regex search) is done once per *distinct*
    value and spread back to the rows through `pd.factorize` codes: tag, status and param
    columns hold a handful of distinct values, so this turns 10,000 string operations into
    a few dozen, and the remaining per-row work is numpy indexing.
    """

    def __init__(self, frame: pd.DataFrame, now: float | None = None) -> None:
        self._frame = weakref.ref(frame)
        self.now = time.time() if now is None else now
        self._present: dict[str, np.ndarray] = {}
        self._codes: dict[str, tuple[np.ndarray, pd.Series]] = {}
        self._lower: dict[str, pd.Series] = {}
        self._numbers: dict[str, np.ndarray] = {}

    @property
    def frame(self) -> pd.DataFrame:
        """The frame, held weakly: kept `Columns` (`columns_of`) must not keep a frame a refresh replaced alive."""
        frame = self._frame()
        if frame is None:
            raise ReferenceError("the frame of these columns is gone")
        return frame

    def series(self, column: str, position: int | None = None) -> pd.Series:
        if column not in self.frame.columns:
            raise FilterError(f"the table has no column '{column}'", position)
        series = self.frame[column]
        if isinstance(series, pd.DataFrame):
            raise FilterError(f"the table has several columns named '{column}'", position)
        return series

    def present(self, column: str) -> np.ndarray:
        if column not in self._present:
            self._present[column] = self.series(column).notna().to_numpy(dtype=bool)
        return self._present[column]

    def distinct_text(self, column: str) -> tuple[np.ndarray, pd.Series]:
        """Codes per row (-1 where missing) into the distinct cells as the table shows them."""
        if column not in self._codes:
            series = self.series(column)
            if not isinstance(series.dtype, pd.StringDtype):
                # str() of the objects, not the objects: 1 and True hash alike but read differently.
                series = series.astype(str)
            codes, uniques = pd.factorize(series)
            codes = np.where(self.present(column), codes, -1).astype(np.int32)  # half of intp's 8 bytes a run
            # Text stays in the string dtype (Arrow buffers): as Python objects, the distinct names
            # and run ids of 100,000 runs, and their lower case, held a few hundred MB over a session.
            self._codes[column] = (codes, pd.Series(uniques))
        return self._codes[column]

    def distinct_lower(self, column: str) -> pd.Series:
        if column not in self._lower:
            self._lower[column] = self.distinct_text(column)[1].str.lower()
        return self._lower[column]

    def spread(self, column: str, per_distinct: pd.Series | np.ndarray) -> np.ndarray:
        """A bool per row from a bool per distinct value; missing cells get False."""
        codes = self.distinct_text(column)[0]
        flags = pd.Series(per_distinct).to_numpy(dtype=bool, na_value=False)
        return cast(np.ndarray, np.append(flags, False)[codes])

    def numbers(self, column: str) -> np.ndarray:
        """The cells as floats; NaN where missing or not written as a number (booleans included)."""
        if column not in self._numbers:
            series = self.series(column)
            if pd.api.types.is_bool_dtype(series.dtype):
                values = np.full(len(series), np.nan)
            elif pd.api.types.is_numeric_dtype(series.dtype):
                values = series.to_numpy(dtype=float, na_value=np.nan)
            elif series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) in _NUMBERS:
                # Python numbers in an object column (params): as they are, not through their text.
                values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            else:
                codes, uniques = self.distinct_text(column)
                distinct = pd.to_numeric(uniques, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                values = np.append(distinct, np.nan)[codes]
            self._numbers[column] = values
        return self._numbers[column]


_NUMBERS = frozenset({"integer", "floating", "mixed-integer-float"})
"""`infer_dtype`'s names for a column of Python numbers only (flags are "boolean")."""


def evaluate(node: Node, columns: Columns) -> np.ndarray:
    if isinstance(node, And):
        result = evaluate(node.parts[0], columns)
        for part in node.parts[1:]:
            result = result & evaluate(part, columns)
        return result
    if isinstance(node, Or):
        result = evaluate(node.parts[0], columns)
        for part in node.parts[1:]:
            result = result | evaluate(part, columns)
        return result
    if isinstance(node, Not):
        return ~evaluate(node.child, columns)
    if isinstance(node, FreeText):
        return _free_text(node, columns)
    if isinstance(node, Has) and node.column in ANY_INPUT_FIELDS:
        return _any_input(node.column, lambda c: columns.present(c), columns)
    if isinstance(node, Has):
        columns.series(node.column, node.position)
        return cast(np.ndarray, columns.present(node.column).copy())
    if isinstance(node, In):
        if node.column not in ANY_INPUT_FIELDS:
            columns.series(node.column, node.position)
        hit = np.zeros(len(columns.frame), dtype=bool)
        for value in node.values:
            hit |= _equal(node.column, value, columns)
        return ~hit if node.negated else hit
    return _compare(node, columns)


_RECENT: list[tuple[weakref.ref[pd.DataFrame], Columns]] = []
"""The `Columns` of the last few frames filtered: typing a filter masks the same frame once per key."""


def columns_of(frame: pd.DataFrame, now: float | None) -> Columns:
    """The column views of `frame`, kept while the frame lives (100,000 run ids are factorized once, not per key)."""
    _RECENT[:] = [entry for entry in _RECENT if entry[0]() is not None]
    for ref, columns in _RECENT:
        if ref() is frame:
            columns.now = time.time() if now is None else now
            return columns
    columns = Columns(frame, now)
    _RECENT[:] = [*_RECENT[-2:], (weakref.ref(frame), columns)]
    return columns


def free_text_columns(frame: pd.DataFrame) -> list[str]:
    """The columns free text searches: `FREE_TEXT_COLUMNS` and every tag."""
    frame_columns = [str(c) for c in frame.columns]
    return [*(c for c in FREE_TEXT_COLUMNS if c in frame_columns), *(c for c in frame_columns if c.startswith("tags."))]


def prepare_free_text(columns: Columns) -> None:
    """Lower-case the distinct texts free text searches, now (in a worker), for the next filters of this frame.

    On 100,000 runs the names and run ids take a few tenths of a second the first time;
    a filter typed later finds them done, as long as its caller keeps `columns`.
    """
    for column in free_text_columns(columns.frame):
        columns.distinct_lower(column)


def _free_text(node: FreeText, columns: Columns) -> np.ndarray:
    searched = free_text_columns(columns.frame)
    term = node.term.lower()
    hit = np.zeros(len(columns.frame), dtype=bool)
    for column in searched:
        hit |= columns.spread(column, columns.distinct_lower(column).str.contains(term, regex=False))
    return hit


_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _compare(node: Compare, columns: Columns) -> np.ndarray:
    op, value, column = node.op, node.value, node.column
    if column not in ANY_INPUT_FIELDS:
        columns.series(column, node.position)
    if op in ("~", "!~") and column in ANY_INPUT_FIELDS:
        found = _any_input(
            column,
            lambda c: columns.spread(c, columns.distinct_text(c)[1].str.count(value.text, flags=re.IGNORECASE) > 0),
            columns,
            names=lambda n: re.search(value.text, n, re.IGNORECASE),
        )
        return found if op == "~" else ~found
    if op in ("~", "!~"):
        # count() > 0 is search() for every cell; str.contains would warn about capture groups.
        distinct = columns.distinct_text(column)[1]
        found = columns.spread(column, distinct.str.count(value.text, flags=re.IGNORECASE) > 0)
        return found if op == "~" else ~found
    if op in ("=", "==", "!="):
        equal = _equal(column, value, columns)
        return equal if op != "!=" else ~equal
    if value.number is not None:
        number = columns.now - value.ago if value.ago is not None else value.number
        with np.errstate(invalid="ignore"):
            return np.asarray(_ORDER[op](columns.numbers(column), number), dtype=bool)
    return columns.spread(column, _ORDER[op](columns.distinct_lower(column), value.text.lower()))


def _equal(column: str, value: Value, columns: Columns) -> np.ndarray:
    if column in ANY_INPUT_FIELDS:
        return _any_input(
            column, lambda c: _equal(c, value, columns), columns, names=lambda n: n.lower() == value.text.lower()
        )
    if column in REGISTRY_COLUMNS:  # `model = churn`: one of the run's models (the cell lists them)
        return columns.spread(
            column, columns.distinct_lower(column).str.split(", ").map(lambda names: value.text.lower() in names)
        )
    if is_input_field(column):
        return columns.spread(column, digest_prefix_hits(columns.distinct_text(column)[1], value.text))
    if value.number is None:
        return columns.spread(column, columns.distinct_lower(column) == value.text.lower())
    if math.isnan(value.number):
        return ~columns.present(column)
    if value.span is not None:
        numbers = columns.numbers(column)
        with np.errstate(invalid="ignore"):
            return np.asarray((numbers >= value.number) & (numbers < value.number + value.span), dtype=bool)
    return np.asarray(columns.numbers(column) == value.number, dtype=bool)


def _any_input(
    column: str, test: Callable[[str], np.ndarray], columns: Columns, names: Callable[[str], object] | None = None
) -> np.ndarray:
    """`inputs.name`/`inputs.digest`: a name test picks the inputs columns whose runs match; a
    digest test is `test` on each inputs column, or-ed (see filter_inputs.py)."""
    hit = np.zeros(len(columns.frame), dtype=bool)
    for input_column in input_columns(columns.frame.columns):
        if column == ANY_NAME and names is not None:
            if names(input_column[len("inputs.") :]):
                hit |= columns.present(input_column)
        elif column == ANY_DIGEST and names is None:  # has:inputs.digest: a digest is known
            hit |= columns.present(input_column) & ~_equal(input_column, Value("", True, None, 0), columns)
        else:
            hit |= test(input_column)
    return hit
