"""The runs a first listing with no index has read so far: for the app to paint before the rest, and
for `tracktui ls` the whole listing at the end.

`TrackStore._fold_first_listing` adds the runs as column tables, a journal chunk or a batch of
run folders at a time; they are put together only when asked for (`table`, `whole`), so a
progressive paint costs a copy per paint, not per part, and memory never holds every run's records.
"""

from __future__ import annotations

from typing import Any


class PartialListing:
    """The runs of a first listing read so far, as column tables put together only when asked for."""

    def __init__(self, width: int, newest: Any = None) -> None:
        from store.ours.column_index import ColumnTable

        self.read = 0
        """Runs added so far."""
        self._parts: list[tuple[ColumnTable, Any]] = []
        """Tables added since `whole` was last made, each with the rows of it added (None: all)."""
        self._table = ColumnTable.empty(width)
        self._newest: ColumnTable | None = newest
        """The newest runs, read before the listing began (`TrackStore._paint_newest`): painted until the
        listing reads them again, so the top of the table does not fall back to the runs a journal holds first."""
        self._added: set[str] = set()
        """The units added, while some of `_newest` is not among them."""

    def add(self, part: Any, rows: Any = None) -> None:
        """Add the table `part`, or only its `rows` (an int64 array): taken when put together, a column at a time."""
        self._parts.append((part, rows))
        self.read += len(part) if rows is None else len(rows)
        if self._newest is not None:
            self._added.update(part.units if rows is None else [part.units[i] for i in rows.tolist()])

    def whole(self) -> Any:
        """Every run added, newest first; each call puts together only the tables added since the last."""
        from store.ours.column_index import ColumnTable

        if self._parts:
            tables, rows = zip(*self._parts)
            self._table = ColumnTable.concat(
                [self._table, *tables], newest_first=True, consume=True, rows=[None, *rows]
            )
            self._parts = []
        return self._table

    def table(self) -> Any:
        """The runs to paint: `whole`, with the newest runs read before the listing that it has not read again."""
        import numpy as np

        from store.ours.column_index import ColumnTable

        table = self.whole()
        newest = self._newest
        if newest is None:
            return table
        keep = [row for row, unit in enumerate(newest.units) if unit not in self._added]
        if len(keep) < len(newest):
            newest = self._newest = newest.take(np.array(keep, dtype=np.int64))
        if not len(newest):
            self._newest, self._added = None, set()
            return table
        return ColumnTable.concat([table, newest], newest_first=True)
