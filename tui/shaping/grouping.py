"""Runs grouped by columns: counts and metric aggregates per group, best and top N per group.

The app's grouped table and `tracktui ls --group` both use this. Everything works on whole
columns (pandas groupby, numpy indexing), never row by row in Python: grouping 10,000 runs
by a param and aggregating every metric takes milliseconds (`tests/perf/bench_grouping.py`).

A group is identified by its number, the row of `Groups.table`; `Groups.codes` gives each
run (a row position of the frame grouped) its group's number, so the app can draw group rows
and the runs under each without another pass. Missing key values make a group of their own.
Which way a metric is better (for "best" and "top N") is the diff's rule
(`diff.effective_direction`: the user's override, else a guess from the name).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from .columns import sort_positions
from .diff import Direction, effective_direction
from .filter_expr import FilterError, resolve_field
from .formatting import format_value, is_missing
from .sanitize import printable

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:
    from .lazy_modules import np, pd

AGGREGATES = ("mean", "std", "min", "max", "median")
"""What a group row can show per metric; `std` is the sample standard deviation (NaN for one run)."""
COUNT = "count"
PARENT_COLUMNS = ("parent", "tags.mlflow.parentRunId")
"""Where a run's parent lives: our `tracktui run` children, MLflow's nested runs."""


def aggregate_column(metric_column: str, stat: str) -> str:
    """`metrics.mse` and `mean` -> `metrics.mse.mean`, the table's column of that aggregate."""
    return f"{metric_column}.{stat}"


def resolve_group_keys(names: Sequence[str], columns: Sequence[str]) -> list[str]:
    """Frame columns for what the user typed (`lr`, `tags.stage`, `status`, `parent`), as filters name fields.

    Raises FilterError for an unknown or ambiguous name, with the filter's suggestion.
    """
    keys: list[str] = []
    for name in names:
        if name.strip().lower() == "parent":
            found = [c for c in PARENT_COLUMNS if c in columns]
            if not found:
                raise FilterError("no parent column: these runs have no parent runs")
            key = found[0]
        else:
            key = resolve_field(name.strip(), columns)
        if key not in keys:
            keys.append(key)
    if not keys:
        raise FilterError("group by what? name one or more columns")
    return keys


@dataclass(frozen=True)
class Groups:
    """Runs of one frame grouped by `keys`."""

    keys: tuple[str, ...]
    table: pd.DataFrame
    """One row per group, in group order: the key columns, `count`, then `metrics.<k>.<stat>`."""
    codes: np.ndarray
    """Per row of the grouped frame: the number (table row) of its group."""
    metrics: tuple[str, ...]
    stats: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.table)

    def members(self) -> list[np.ndarray]:
        """Each group's row positions in the frame (in frame order), in group order."""
        order = np.argsort(self.codes, kind="stable")
        bounds = np.searchsorted(self.codes[order], np.arange(1, len(self.table)))
        return np.split(order, bounds)

    def label(self, group: int) -> str:
        """`lr=0.1 · seed=—`: the group's key values as the table shows them, safe to draw."""
        row = self.table.iloc[group]
        parts = []
        for key in self.keys:
            value = row[key]
            shown = "—" if is_missing(value) else format_value(value)
            parts.append(f"{printable(key.split('.', 1)[1] if '.' in key else key)}={shown}")
        return " · ".join(parts)

    def reordered(self, order: np.ndarray) -> Groups:
        """The same groups with table rows in `order` (positions into the current table)."""
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        table = self.table.take(order).reset_index(drop=True)
        return Groups(self.keys, table, rank[self.codes] if len(self.codes) else self.codes, self.metrics, self.stats)

    def sorted_by(self, column: str, descending: bool = False) -> Groups:
        """Groups ordered by a table column (an aggregate such as `metrics.mse.mean`, `count`, a key);
        groups without a value go last, ties keep their order."""
        if column not in self.table.columns:
            raise KeyError(f"groups have no column {column!r}")
        return self.reordered(sort_positions(self.table, column, descending))


def group_runs(
    frame: pd.DataFrame, keys: Sequence[str], metrics: Sequence[str] | None = None, stats: Sequence[str] = AGGREGATES
) -> Groups:
    """Group `frame`'s rows by the columns `keys` (frame column names; see `resolve_group_keys`).

    Per group: `count` and, per metric column (`metrics` or every `metrics.*` column), each of
    `stats` over the runs that have a value (NaN when none has). Groups come ordered by their
    key values (numbers as numbers, missing last); re-order them with `Groups.sorted_by`.
    """
    keys = list(keys)
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise KeyError(f"no column {missing[0]!r} to group by")
    unknown = [s for s in stats if s not in AGGREGATES]
    if unknown:
        raise ValueError(f"unknown aggregate {unknown[0]!r}; one of {', '.join(AGGREGATES)}")
    metric_columns = [
        c
        for c in (metrics if metrics is not None else frame.columns)
        if str(c).startswith("metrics.") and c in frame.columns
    ]
    if not len(frame):
        empty = pd.DataFrame({**{k: pd.Series([], dtype=object) for k in keys}, COUNT: pd.Series([], dtype=int)})
        for col in metric_columns:
            for stat in stats:
                empty[aggregate_column(col, stat)] = pd.Series([], dtype=float)
        return Groups(tuple(keys), empty, np.array([], dtype=np.int64), tuple(metric_columns), tuple(stats))
    # Keys as hashable codes (object columns may hold 1 and "1"): factorize each, group on the codes.
    key_codes = {}
    for key in keys:
        codes, _ = pd.factorize(frame[key], use_na_sentinel=True)
        key_codes[key] = codes
    by = pd.DataFrame(key_codes)
    grouped_codes = by.groupby(keys, sort=False).ngroup().to_numpy()
    firsts = pd.Series(np.arange(len(frame))).groupby(grouped_codes, sort=True).first().to_numpy()
    table = frame[keys].take(firsts).reset_index(drop=True)
    table[COUNT] = np.bincount(grouped_codes, minlength=len(firsts))
    if metric_columns:
        values = frame[metric_columns].astype(float)
        aggregated = values.groupby(grouped_codes, sort=True).agg(list(stats))
        aggregated.columns = [aggregate_column(col, stat) for col, stat in aggregated.columns]
        table = pd.concat([table, aggregated.reset_index(drop=True)], axis=1)
    groups = Groups(tuple(keys), table, grouped_codes.astype(np.int64), tuple(metric_columns), tuple(stats))
    return groups.reordered(sort_by_keys(table, [(k, False) for k in keys]))


def sort_by_keys(frame: pd.DataFrame, keys: Sequence[tuple[str, bool]]) -> np.ndarray:
    """Row positions sorted by several columns ((column, descending) pairs, the first decides
    first), each as the runs table sorts one: numbers as numbers, missing last, stable."""
    positions = np.arange(len(frame))
    for key, descending in reversed(list(keys)):
        if len(positions):
            positions = positions[sort_positions(frame.iloc[positions], key, descending)]
    return positions


def run_order(frame: pd.DataFrame, groups: Groups, sort_key: str | None = None, descending: bool = False) -> np.ndarray:
    """The frame's row positions group after group (in group order), sorted by `sort_key` within each."""
    positions = sort_positions(frame, sort_key, descending) if sort_key else np.arange(len(frame))
    return positions[np.argsort(groups.codes[positions], kind="stable")]


def metric_direction(column: str, overrides: Mapping[str, Direction | None] | None = None) -> Direction | None:
    """Which way is better for a metric column (`metrics.val/acc` -> higher), as the diff decides."""
    name = column[len("metrics.") :] if column.startswith("metrics.") else column
    return effective_direction(name, overrides)


def top_per_group(
    frame: pd.DataFrame,
    groups: Groups,
    by: str,
    n: int = 1,
    descending: bool | None = None,
    overrides: Mapping[str, Direction | None] | None = None,
) -> np.ndarray:
    """The best `n` runs of each group by column `by` (row positions, group after group, best first).

    For a metric the order follows its direction (higher is better: largest first) unless
    `descending` is given; any other column needs `descending`. Runs without a value in `by`
    are never among the best. ValueError when the direction is unknown.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    if descending is None:
        direction = metric_direction(by, overrides) if by.startswith("metrics.") else None
        if direction is None:
            raise ValueError(f"which is better for {by}, lower or higher? it cannot be told from the name")
        descending = direction == "higher"
    positions = sort_positions(frame, by, descending)
    positions = positions[frame[by].notna().to_numpy()[positions]]
    codes = groups.codes[positions]
    rank = pd.Series(codes).groupby(codes).cumcount().to_numpy()
    positions, codes = positions[rank < n], codes[rank < n]
    return cast(np.ndarray, positions[np.argsort(codes, kind="stable")])


def best_per_group(
    frame: pd.DataFrame,
    groups: Groups,
    by: str,
    descending: bool | None = None,
    overrides: Mapping[str, Direction | None] | None = None,
) -> np.ndarray:
    """The best run of each group that has one, by `by` (see `top_per_group`)."""
    return top_per_group(frame, groups, by, 1, descending, overrides)
